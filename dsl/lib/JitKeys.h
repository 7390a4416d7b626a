// The keys the JIT finds kernels by: in memory (per process), on disk (the
// binary, keyed by its IR and everything else that changes it) and the memo
// from a kernel body's compiled code to the IR key it produced. Private to
// the JIT.
#pragma once

#include "tessel/dsl/Kernel.h"

#include <optional>
#include <string>
#include <string_view>

namespace tessel::dsl::detail {

/// SHA-256 of `text`, in hex: the form of every disk key.
std::string hexDigest(std::string_view text);

/// "NAME=VALUE;" per constant, in name order.
std::string constantsText(const Constants &constants);

/// The key of a loaded kernel in memory. The definition's address tells
/// apart user kernels that share a name.
std::string memoryKey(const KernelDefinition &kernel, const Constants &resolved,
                      const Specialization &specialization, unsigned numWarps);

/// The key of a built kernel the interpreter runs.
std::string interpreterKey(const KernelDefinition &kernel, const Constants &resolved);

/// The disk key of the binary of `irText` compiled in `configuration` (the
/// compile options, specialization, compiler identity and driver).
std::string binaryKey(std::string_view irText, std::string_view configuration);

/// The disk key under which the binary key of this kernel's body, constants
/// and configuration is remembered; nullopt where the body has no identity
/// (bodyIdentity).
std::optional<std::string> memoKey(const KernelDefinition &kernel, const Constants &constants,
                                   std::string_view configuration);

/// Identifies the compiled code of a kernel's body without running it: the
/// object file that holds the body function (device, inode, size,
/// modification time: not its path, which differs between ways of starting
/// the same program) and the function's offset in it. Rebuilding the
/// program gives a new identity, so a memo keyed by it never outlives the
/// code it describes. Nullopt when the body is not a plain function (a
/// capturing lambda, say): such kernels are traced on every first call.
std::optional<std::string> bodyIdentity(const KernelDefinition &kernel);

} // namespace tessel::dsl::detail
