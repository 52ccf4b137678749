#include "common/error.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/exit_codes.h"

namespace fleetpatch {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Error::Validation("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  FP_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(Quarter(8).value(), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "odd");
  EXPECT_EQ(r.error().category, ErrorCategory::kValidation);
}

TEST(ErrorTest, ToStringNamesAwsDetails) {
  Error e{ErrorCategory::kAws, "boom", "Throttling", 400, "req-1", true};
  EXPECT_EQ(e.ToString(), "boom (AWS code Throttling, HTTP 400, request id req-1)");
  EXPECT_EQ(Error::Config("x").ToString(), "x");
}

TEST(ExitCodeTest, EachCategoryHasItsCode) {
  EXPECT_EQ(ExitCodeFor(ErrorCategory::kConfig), 2);
  EXPECT_EQ(ExitCodeFor(ErrorCategory::kAuth), 3);
  EXPECT_EQ(ExitCodeFor(ErrorCategory::kConnectivity), 4);
  EXPECT_EQ(ExitCodeFor(ErrorCategory::kPermission), 5);
  EXPECT_EQ(ExitCodeFor(ErrorCategory::kTimeout), 6);
  EXPECT_EQ(ExitCodeFor(ErrorCategory::kValidation), 7);
  EXPECT_EQ(ExitCodeFor(ErrorCategory::kInterrupted), 130);
}

}  // namespace
}  // namespace fleetpatch
