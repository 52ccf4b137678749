#include "common/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

namespace fleetpatch {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kToken[] = "FwoGZXIvYXdzEXAMPLEsessionTOKEN+/abcdefghijklmnopqrstuvwxyz0123456789==";
constexpr char kSignature[] = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

class LogCapture {
 public:
  LogWriter Writer() {
    return [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.emplace_back(line);
    };
  }
  std::vector<std::string> Lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  std::string All() {
    std::string out;
    for (const auto& l : Lines()) out += l + "\n";
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = spdlog::default_logger(); }
  void TearDown() override { spdlog::set_default_logger(saved_); }
  void LogSecrets() {
    spdlog::info("loaded credentials: aws_secret_access_key = {}", kSecret);
    spdlog::warn("request headers: X-Amz-Security-Token: {}", kToken);
    spdlog::error(
        "sent Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ec2/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature={}",
        kSignature);
    spdlog::info("sts response <SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken>", kSecret,
                 kToken);
    spdlog::info(R"(credential_process output {{"SecretAccessKey": "{}", "SessionToken": "{}"}})", kSecret,
                 kToken);
  }
  void ExpectNoSecrets(const std::string& out) {
    EXPECT_THAT(out, Not(HasSubstr(kSecret)));
    EXPECT_THAT(out, Not(HasSubstr(kToken)));
    EXPECT_THAT(out, Not(HasSubstr(kSignature)));
    // Not even a recognisable piece of them.
    EXPECT_THAT(out, Not(HasSubstr("bPxRfiCY")));
    EXPECT_THAT(out, Not(HasSubstr("sessionTOKEN")));
    EXPECT_THAT(out, Not(HasSubstr("5d672d79c15b")));
  }
  std::shared_ptr<spdlog::logger> saved_;
};

TEST_F(LogTest, TextFormatRedactsEveryMessage) {
  LogCapture cap;
  SetupLogging({LogLevel::kInfo, LogFormat::kText, false}, cap.Writer());
  LogSecrets();
  auto lines = cap.Lines();
  ASSERT_EQ(lines.size(), 5u);
  ExpectNoSecrets(cap.All());
  EXPECT_THAT(lines[0], HasSubstr(" info loaded credentials: aws_secret_access_key = [REDACTED]"));
  EXPECT_THAT(lines[1], HasSubstr(" warn "));
  EXPECT_THAT(lines[2], HasSubstr("Credential=AKIDEXAMPLE/20150830/us-east-1/ec2/aws4_request"));
  EXPECT_THAT(lines[2], HasSubstr("Signature=[REDACTED]"));
  // "2026-11-25T19:58:01.123Z info ..."
  EXPECT_EQ(lines[0][4], '-');
  EXPECT_EQ(lines[0][10], 'T');
  EXPECT_EQ(lines[0][23], 'Z');
}

TEST_F(LogTest, JsonFormatIsOneObjectPerLineAndRedacted) {
  LogCapture cap;
  SetupLogging({LogLevel::kDebug, LogFormat::kJson, false}, cap.Writer());
  LogSecrets();
  spdlog::debug("bytes \xff\xfe are not UTF-8");
  auto lines = cap.Lines();
  ASSERT_EQ(lines.size(), 6u);
  ExpectNoSecrets(cap.All());
  for (const auto& line : lines) {
    EXPECT_EQ(line.find('\n'), std::string::npos);
    auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j.contains("time"));
    EXPECT_EQ(j["logger"], "fleetpatch");
    EXPECT_TRUE(j["msg"].is_string());
  }
  EXPECT_EQ(nlohmann::json::parse(lines[1])["level"], "warn");
  EXPECT_EQ(nlohmann::json::parse(lines[2])["level"], "error");
  EXPECT_EQ(nlohmann::json::parse(lines[5])["level"], "debug");
}

TEST_F(LogTest, LevelsAndQuiet) {
  LogCapture cap;
  SetupLogging({LogLevel::kWarn, LogFormat::kText, false}, cap.Writer());
  spdlog::info("hidden");
  spdlog::warn("shown");
  EXPECT_EQ(cap.Lines().size(), 1u);
  LogCapture quiet;
  SetupLogging({LogLevel::kDebug, LogFormat::kText, true}, quiet.Writer());
  spdlog::debug("hidden");
  spdlog::info("hidden");
  spdlog::error("shown");
  ASSERT_EQ(quiet.Lines().size(), 1u);
  EXPECT_THAT(quiet.Lines()[0], HasSubstr("error shown"));
}

TEST_F(LogTest, ConcurrentLoggingKeepsLinesWhole) {
  LogCapture cap;
  SetupLogging({LogLevel::kInfo, LogFormat::kJson, false}, cap.Writer());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 50; ++i) spdlog::info("worker {} item {} Token={}", t, i, kToken);
    });
  }
  for (auto& th : threads) th.join();
  auto lines = cap.Lines();
  ASSERT_EQ(lines.size(), 200u);
  for (const auto& l : lines) EXPECT_TRUE(nlohmann::json::accept(l)) << l;
  ExpectNoSecrets(cap.All());
}

TEST(LogOptionsParse, LevelsAndFormats) {
  EXPECT_EQ(*ParseLogLevel("DEBUG"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogFormat("Json"), LogFormat::kJson);
  auto bad = ParseLogLevel("loud");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(bad.error().message, HasSubstr("debug"));
  EXPECT_FALSE(ParseLogFormat("xml").ok());
}

}  // namespace
}  // namespace fleetpatch
