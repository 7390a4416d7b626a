#include "JitKeys.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/SHA256.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>

#include <dlfcn.h>
#include <sys/stat.h>

namespace tessel::dsl::detail {

std::string hexDigest(std::string_view text) {
  std::array<uint8_t, 32> digest = llvm::SHA256::hash(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(text.data()), text.size()));
  std::string hex;
  for (uint8_t byte : digest)
    hex += fmt::format("{:02x}", byte);
  return hex;
}

std::string constantsText(const Constants &constants) {
  std::string text;
  for (const auto &[name, value] : constants)
    text += fmt::format("{}={};", name, value);
  return text;
}

std::string memoryKey(const KernelDefinition &kernel, const Constants &resolved,
                      const Specialization &specialization, unsigned numWarps) {
  return fmt::format("{}@{}|{}|{}|warps={}", kernel.name, static_cast<const void *>(&kernel),
                     constantsText(resolved), specialization.cacheKeyText(), numWarps);
}

std::string interpreterKey(const KernelDefinition &kernel, const Constants &resolved) {
  return fmt::format("{}@{}|{}", kernel.name, static_cast<const void *>(&kernel),
                     constantsText(resolved));
}

std::string binaryKey(std::string_view irText, std::string_view configuration) {
  return hexDigest(fmt::format("{}\n{}", irText, configuration));
}

std::optional<std::string> memoKey(const KernelDefinition &kernel, const Constants &constants,
                                   std::string_view configuration) {
  std::optional<std::string> identity = bodyIdentity(kernel);
  if (!identity)
    return std::nullopt;
  return hexDigest(fmt::format("memo\n{}\n{}\n{}\n{}", *identity, kernel.name,
                               constantsText(constants), configuration));
}

std::optional<std::string> bodyIdentity(const KernelDefinition &kernel) {
  using Body = void (*)(const KernelScope &);
  const Body *body = kernel.body.target<Body>();
  if (!body || !*body)
    return std::nullopt;
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(*body), &info) || !info.dli_fbase)
    return std::nullopt;
  // The main program may be named relative to a directory since left.
  std::string file = info.dli_fname && info.dli_fname[0] == '/' ? info.dli_fname
                                                                : "/proc/self/exe";
  struct stat status;
  if (::stat(file.c_str(), &status) != 0)
    return std::nullopt;
  return fmt::format("{}|{}|{}|{}.{}|{:x}", status.st_dev, status.st_ino, status.st_size,
                     status.st_mtim.tv_sec, status.st_mtim.tv_nsec,
                     reinterpret_cast<uintptr_t>(*body) -
                         reinterpret_cast<uintptr_t>(info.dli_fbase));
}

} // namespace tessel::dsl::detail
