// Everything a kernel author needs: #include "tessel/dsl/DSL.h".
#pragma once

#include "tessel/dsl/Kernel.h"
#include "tessel/dsl/Ops.h"
#include "tessel/dsl/Value.h"
