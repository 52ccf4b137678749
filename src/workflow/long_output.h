// When to read a command's whole output: ListCommandInvocations returns at most the first 2,500
// characters of each plugin's output, GetCommandInvocation up to 24,000. An output cut at 2,500
// (the precheck of an instance with many mounts) is read again with GetCommandInvocation; an
// output that reaches 24,000 there is cut for good, and the caller reports that instead of
// parsing half a line.
// Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <string_view>

namespace fleetpatch::workflow {

inline constexpr size_t kListInvocationsOutputChars = 2500;
inline constexpr size_t kGetInvocationOutputChars = 24000;

// Characters as SSM counts them: the Unicode code points of UTF-8 text.
size_t OutputChars(std::string_view output);

enum class OutputSource { kListInvocations, kGetInvocation };

// True when `output`, as returned by `source`, reached that API's limit and may be cut.
bool OutputMayBeCut(std::string_view output, OutputSource source);

}  // namespace fleetpatch::workflow
