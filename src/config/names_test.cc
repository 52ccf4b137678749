#include "config/names.h"

#include <gtest/gtest.h>

namespace fleetpatch::config {
namespace {

TEST(Names, ServiceNames) {
  for (const char* ok : {"sshd", "amazon-ssm-agent", "getty@tty1", "W32Time", "a.b_c", "x-"})
    EXPECT_EQ(CheckServiceName(ok), "") << ok;
  for (const char* bad : {"", "-H", "--help", "a:b", "c+d", "a b", "x'y", "a\\b"})
    EXPECT_NE(CheckServiceName(bad), "") << bad;
  EXPECT_NE(CheckServiceName(std::string(129, 'a')), "");
}

TEST(Names, AccountIds) {
  EXPECT_EQ(CheckAccountId("012345678901"), "");
  EXPECT_NE(CheckAccountId("12345678901"), "");
  EXPECT_NE(CheckAccountId("1234567890123"), "");
  EXPECT_NE(CheckAccountId("01234567890a"), "");
}

TEST(Names, Regions) {
  for (const char* ok :
       {"us-east-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1", "cn-northwest-1", "il-central-1"}) {
    EXPECT_EQ(CheckRegion(ok), "") << ok;
  }
  for (const char* bad : {"us-east", "US-EAST-1", "useast1", "us_east_1", "", "us-east-1a"}) {
    EXPECT_NE(CheckRegion(bad), "") << bad;
  }
}

TEST(Names, RoleArns) {
  EXPECT_EQ(CheckRoleArn("arn:aws:iam::123456789012:role/Name", "123456789012", "us-east-1"), "");
  EXPECT_EQ(CheckRoleArn("arn:aws:iam::123456789012:role/a/b/Name", "", ""), "");
  EXPECT_EQ(CheckRoleArn("arn:aws-cn:iam::123456789012:role/N", "123456789012", "cn-north-1"), "");
  EXPECT_EQ(CheckRoleArn("arn:aws-us-gov:iam::123456789012:role/N", "123456789012", "us-gov-east-1"), "");
  EXPECT_NE(CheckRoleArn("arn:aws:iam::123456789012:role/", "", ""), "");
  EXPECT_NE(CheckRoleArn("arn:aws:sts::123456789012:role/N", "", ""), "");
  EXPECT_NE(CheckRoleArn("arn:aws:iam:us-east-1:123456789012:role/N", "", ""), "");
  EXPECT_NE(CheckRoleArn("arn:aws-xx:iam::123456789012:role/N", "", ""), "");
  EXPECT_NE(CheckRoleArn("arn:aws:iam::123456789012:role/N", "999999999999", ""), "");
  EXPECT_NE(CheckRoleArn("arn:aws:iam::123456789012:role/N", "", "us-gov-west-1"), "");
}

TEST(Names, SessionAndExternalIdsAndEndpoints) {
  EXPECT_EQ(CheckSessionName("fleetpatch"), "");
  EXPECT_NE(CheckSessionName("a"), "");
  EXPECT_NE(CheckSessionName("has space"), "");
  EXPECT_EQ(CheckExternalId("abc:/=x"), "");
  EXPECT_NE(CheckExternalId("x"), "");
  EXPECT_EQ(CheckEndpointUrl("http://127.0.0.1:4566"), "");
  EXPECT_EQ(CheckEndpointUrl("https://ec2.us-east-1.amazonaws.com/"), "");
  EXPECT_NE(CheckEndpointUrl("127.0.0.1:4566"), "");
  EXPECT_NE(CheckEndpointUrl("ftp://x"), "");
}

TEST(Names, DidYouMean) {
  const std::vector<std::string> keys = {"scan", "backup", "precheck", "patch"};
  EXPECT_EQ(DidYouMean("scna", keys), "scan");
  EXPECT_EQ(DidYouMean("PATCH", keys), "patch");
  EXPECT_EQ(DidYouMean("precheks", keys), "precheck");
  EXPECT_EQ(DidYouMean("zzzz", keys), "");
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("ab", "ba"), 1u);
}

}  // namespace
}  // namespace fleetpatch::config
