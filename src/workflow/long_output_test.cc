#include "workflow/long_output.h"

#include <gtest/gtest.h>

#include <string>

namespace fleetpatch::workflow {
namespace {

TEST(LongOutput, CountsCharactersNotBytes) {
  EXPECT_EQ(OutputChars(""), 0u);
  EXPECT_EQ(OutputChars("abc"), 3u);
  EXPECT_EQ(OutputChars("\xC3\xBC\xE6\x97\xA5"), 2u);  // ü, 日
}

TEST(LongOutput, CutAtEachApisLimit) {
  std::string list_full(kListInvocationsOutputChars, 'x');
  EXPECT_TRUE(OutputMayBeCut(list_full, OutputSource::kListInvocations));
  EXPECT_FALSE(OutputMayBeCut(list_full.substr(1), OutputSource::kListInvocations));
  EXPECT_FALSE(OutputMayBeCut(list_full, OutputSource::kGetInvocation));
  EXPECT_TRUE(OutputMayBeCut(std::string(kGetInvocationOutputChars, 'x'), OutputSource::kGetInvocation));
  // 2,499 two-byte characters are 4,998 bytes but not at the limit.
  std::string wide;
  for (size_t i = 0; i + 1 < kListInvocationsOutputChars; ++i) wide += "\xC3\xBC";
  EXPECT_FALSE(OutputMayBeCut(wide, OutputSource::kListInvocations));
  EXPECT_TRUE(OutputMayBeCut(wide + "\xC3\xBC", OutputSource::kListInvocations));
}

}  // namespace
}  // namespace fleetpatch::workflow
