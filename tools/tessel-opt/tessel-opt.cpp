// tessel-opt: runs Tessel's dialects and passes on .mlir files (for lit tests
// and for looking at one stage of the pipeline by hand).
#include "tessel/Compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  tessel::registerCompilerDialects(registry);
  tessel::registerCompilerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Tessel optimizer driver\n", registry));
}
