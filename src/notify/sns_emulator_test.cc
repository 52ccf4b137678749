// SNS notifications through the real client stack (ServiceClient: SigV4, retries, the embedded
// SNS model) against the emulator's SNS Publish, in process.
#include <gtest/gtest.h>

#include "aws/credentials_env.h"
#include "aws/protocol/embedded_models.h"
#include "aws/service_client.h"
#include "aws/sts_client.h"
#include "emulator/emulator.h"
#include "emulator/in_process_transport.h"
#include "notify/notifier.h"
#include "notify/sns_channel.h"
#include "testing/fake_clock.h"

namespace fleetpatch::notify {
namespace {

constexpr char kRegion[] = "us-east-1";
constexpr char kTopic[] = "arn:aws:sns:us-east-1:111111111111:fleetpatch-notifications";

class SnsEmulatorTest : public ::testing::Test {
 protected:
  SnsEmulatorTest() : emulator_(emulator::DemoFleet(), Options()), transport_(emulator_, &clock_) {}

  static aws::ServiceClientOptions ClientOptions() {
    aws::ServiceClientOptions o;
    o.endpoint = emulator::InProcessTransport::kEndpoint;
    o.region = kRegion;
    o.observer = [](const aws::AttemptRecord&) {};
    return o;
  }
  emulator::EmulatorOptions Options() {
    emulator::EmulatorOptions o;
    o.clock = &clock_;
    return o;
  }
  // The demo zone's role in account 111111111111, which owns the topic.
  aws::Credentials ZoneRole() {
    aws::StaticCredentialsProvider base(emulator_.BaseCredentials());
    aws::ServiceClient sts_client(aws::protocol::StsModel(), ClientOptions(), transport_, base, clock_);
    aws::StsClient sts(sts_client);
    auto role = sts.AssumeRole({.role_arn = "arn:aws:iam::111111111111:role/FleetPatchRole",
                                .session_name = "fp-test",
                                .external_id = "fp-demo-prod"});
    EXPECT_TRUE(role.ok()) << role.error().ToString();
    return role.ok() ? role->credentials : aws::Credentials{};
  }

  fleetpatch::testing::FakeClock clock_;
  emulator::Emulator emulator_;
  emulator::InProcessTransport transport_;
};

TEST_F(SnsEmulatorTest, ARunFinishedEventIsPublishedToTheTopic) {
  aws::StaticCredentialsProvider role(ZoneRole());
  aws::ServiceClient sns(aws::protocol::SnsModel(), ClientOptions(), transport_, role, clock_);
  Notifier notifier(clock_);
  notifier.AddChannel(std::make_unique<SnsChannel>(kTopic, sns));
  RunFinished f;
  f.run_id = "20261204-030000-beef";
  f.status = RunStatus::kSucceeded;
  f.phases = {{Phase::kPatch, {12, 0, 1, 0, 0}}};
  notifier.OnRunFinished(f);
  EXPECT_TRUE(notifier.Failures().empty()) << notifier.Failures()[0];
  auto published = emulator_.PublishedMessages();
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].topic_arn, kTopic);
  EXPECT_EQ(published[0].subject, "fleetpatch: run 20261204-030000-beef succeeded");
  auto body = nlohmann::json::parse(published[0].message);
  EXPECT_EQ(body["event"], "run_finished");
  EXPECT_EQ(body["summary"]["phases"]["patch"]["succeeded"], 12);
  EXPECT_NE(body["text"].get<std::string>().find("patch 12 ok"), std::string::npos) << body["text"];
}

TEST_F(SnsEmulatorTest, AnUnknownTopicIsReportedAndTheRunGoesOn) {
  aws::StaticCredentialsProvider role(ZoneRole());
  aws::ServiceClient sns(aws::protocol::SnsModel(), ClientOptions(), transport_, role, clock_);
  Notifier notifier(clock_);
  notifier.AddChannel(std::make_unique<SnsChannel>("arn:aws:sns:us-east-1:111111111111:nope", sns));
  notifier.OnRolloutHalted(
      {.run_id = "r1", .reason = HaltReason::kCanaryFailed, .failed = 1, .not_started = 5});
  ASSERT_EQ(notifier.Failures().size(), 1u);
  EXPECT_NE(notifier.Failures()[0].find("NotFound"), std::string::npos) << notifier.Failures()[0];
  EXPECT_EQ(notifier.Failures()[0].find(role.GetCredentials()->secret_access_key), std::string::npos);
  EXPECT_TRUE(emulator_.PublishedMessages().empty());
}

}  // namespace
}  // namespace fleetpatch::notify
