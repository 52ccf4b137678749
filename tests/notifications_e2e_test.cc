// End-to-end tests of what a run tells the outside world (issue 15): the real `fleetpatch` binary
// with a `notifications:` section and --metrics-file, against the emulator (SNS Publish) and a
// local HTTPS webhook receiver whose test CA the binary trusts only through AWS_CA_BUNDLE. They
// check the run engine's wiring: which events go out for a real run, that a notifier that cannot
// deliver never changes the run's exit code but is reported, and that no secret is printed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/exit_codes.h"
#include "state/sqlite_state_store.h"
#include "testing/https_receiver.h"
#include "tests/e2e_support.h"

namespace fleetpatch::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

constexpr const char* kAcct = "111111111111";
constexpr const char* kOps = "000000000000";  // the emulator's base identity: the topic's owner
constexpr const char* kTopic = "arn:aws:sns:us-east-1:000000000000:fleetpatch-alerts";
constexpr const char* kHookPath = "/hooks/T0/B0/HOOKSECRETPATH";
constexpr const char* kHookSecret = "whsec-e2e-never-printed";

std::string Dump(const ProcResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out + "\n--- stderr\n" + r.err;
}

// Three prod instances in one zone, and the ops account's topic. `fail_patch`: every patch fails,
// so the canary (whichever instance it is) fails.
emulator::Fleet Fleet(bool fail_patch) {
  FleetBuilder fb;
  fb.Account(kAcct, "us-east-1");
  fb.Account(kOps, "us-east-1");
  for (const char* id : {"i-0aaa00000000000a1", "i-0aaa00000000000a2", "i-0aaa00000000000a3"}) {
    auto& i = fb.Instance(id, kAcct, "us-east-1");
    if (!fail_patch) continue;
    i.patch.outcome = emulator::PatchOutcome::kFailed;
    i.patch.failed = 1;
  }
  fb.fleet.sns_topics.push_back({kOps, "us-east-1", "fleetpatch-alerts"});
  return fb.Build();
}

std::string Notifications(const std::string& hook_url) {
  std::string y = "notifications:\n  webhooks:\n";
  y += "    - url: " + hook_url + "\n";
  y += "      secret_env: FP_HOOK_SECRET\n";
  y += "  sns:\n";
  y += "    - topic_arn: " + std::string(kTopic) + "\n";
  y += "      events: [rollout_halted]\n";
  y += "  attempts: 2\n  backoff: 0\n";
  return y;
}

void ExpectNoSecret(const ProcResult& r) {
  for (const std::string& s : {std::string(kHookSecret), std::string("HOOKSECRETPATH")}) {
    EXPECT_THAT(r.out, Not(HasSubstr(s)));
    EXPECT_THAT(r.err, Not(HasSubstr(s)));
  }
}

// The body a receiver can trust: signed with the shared secret over "<timestamp>.<body>".
void ExpectSigned(const testing::ReceivedRequest& req) {
  const std::string ts = req.Header("X-Fleetpatch-Timestamp");
  ASSERT_FALSE(ts.empty());
  EXPECT_EQ(req.Header("X-Fleetpatch-Signature"),
            "sha256=" + HexEncode(HmacSha256(kHookSecret, ts + "." + req.body)));
}

TEST(NotificationsE2e, AFailedCanaryIsNotifiedByWebhookAndSnsAndCountedInTheMetricsFile) {
  Harness h;
  h.StartEmulator(Fleet(/*fail_patch=*/true));
  testing::HttpsReceiver hook(kHookPath, h.dir() / "ca.pem");
  ASSERT_TRUE(hook.valid());
  h.env_overrides["AWS_CA_BUNDLE"] = (h.dir() / "ca.pem").string();
  h.env_overrides["FP_HOOK_SECRET"] = kHookSecret;
  h.WriteInventory({{"prod", kAcct, "us-east-1"}});
  // A budget of 10 failures: the canary alone stops the rollout (with 10% of 3, one failure would
  // also spend the budget, and the scheduler names the budget then).
  const std::string patch = "patch:\n  canary_size: 1\n  max_concurrency: 50\nerror_budget: 10\n";
  h.WriteConfig(patch + Notifications(hook.Url()));

  auto r = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes", "--metrics-file", "fleetpatch.prom"});
  EXPECT_EQ(r.exit_code, kExitInstanceFailures) << Dump(r);
  EXPECT_THAT(r.err, Not(HasSubstr("notification not delivered"))) << Dump(r);
  ExpectNoSecret(r);

  // The webhook has every event: the halt as it happens, then the run's summary.
  auto reqs = hook.Requests();
  ASSERT_EQ(reqs.size(), 2u) << Dump(r);
  EXPECT_EQ(reqs[0].Header("X-Fleetpatch-Event"), "rollout_halted");
  json halted = json::parse(reqs[0].body);
  EXPECT_EQ(halted["summary"]["reason"], "canary_failed") << reqs[0].body;
  EXPECT_EQ(halted["summary"]["failed"], 1) << reqs[0].body;
  EXPECT_EQ(halted["summary"]["not_started"], 2) << reqs[0].body;
  json finished = json::parse(reqs[1].body);
  EXPECT_EQ(finished["event"], "run_finished");
  EXPECT_EQ(finished["summary"]["status"], "completed_with_failures");
  EXPECT_EQ(finished["summary"]["exit_code"], kExitInstanceFailures);
  EXPECT_EQ(finished["summary"]["phases"]["patch"]["failed"], 1);
  EXPECT_THAT(finished["text"].get<std::string>(), HasSubstr("completed_with_failures"));
  for (const auto& req : reqs) ExpectSigned(req);

  // The topic subscribed to halts only.
  auto published = h.emu().PublishedMessages();
  ASSERT_EQ(published.size(), 1u) << Dump(r);
  EXPECT_EQ(published[0].topic_arn, kTopic);
  EXPECT_EQ(json::parse(published[0].message)["summary"]["reason"], "canary_failed");

  const std::string prom = ReadAll(h.dir() / "fleetpatch.prom");
  EXPECT_THAT(prom, HasSubstr("fleetpatch_instances{phase=\"patch\",outcome=\"failed\"} 1\n")) << prom;
  EXPECT_THAT(prom, HasSubstr("fleetpatch_run_status{status=\"completed_with_failures\"} 1\n")) << prom;
  // The precheck, the canary's patch and the canary's postcheck.
  EXPECT_THAT(prom, HasSubstr("fleetpatch_aws_api_calls_total{operation=\"ssm:SendCommand\"} 3\n")) << prom;
  EXPECT_THAT(prom, HasSubstr("fleetpatch_phase_duration_seconds{phase=\"backup\"}")) << prom;
  EXPECT_THAT(prom, Not(HasSubstr("fleetpatch_last_success_timestamp_seconds")))
      << "no run has succeeded yet";
}

TEST(NotificationsE2e, AWebhookThatCannotBeReachedIsReportedAndTheRunStillSucceeds) {
  Harness h;
  h.StartEmulator(Fleet(/*fail_patch=*/false));
  h.env_overrides["FP_HOOK_SECRET"] = kHookSecret;
  h.WriteInventory({{"prod", kAcct, "us-east-1"}});
  const std::string url = "https://127.0.0.1:" + std::to_string(ClosedPort()) + kHookPath;
  h.WriteConfig("patch:\n  canary_size: 0\n  max_concurrency: 50\n" + Notifications(url));

  auto r = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes", "--output", "json", "--metrics-file",
                  "fleetpatch.prom"});
  EXPECT_EQ(r.exit_code, kExitOk) << Dump(r);
  ExpectNoSecret(r);
  json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << Dump(r);
  EXPECT_EQ(j["status"], "succeeded");
  ASSERT_EQ(j["notification_errors"].size(), 1u) << r.out;  // run_finished; nothing halted
  const std::string line = j["notification_errors"][0];
  EXPECT_THAT(line, HasSubstr("run_finished for run " + j["run_id"].get<std::string>())) << line;
  EXPECT_THAT(line, HasSubstr("webhook https://127.0.0.1:")) << line;
  EXPECT_THAT(line, HasSubstr("(2 attempts)")) << line;
  EXPECT_THAT(r.err, HasSubstr("notification not delivered")) << Dump(r);
  EXPECT_TRUE(h.emu().PublishedMessages().empty()) << "the topic wants halts only";

  const std::string prom = ReadAll(h.dir() / "fleetpatch.prom");
  EXPECT_THAT(prom, HasSubstr("fleetpatch_run_status{status=\"succeeded\"} 1\n")) << prom;
  EXPECT_THAT(prom, HasSubstr("fleetpatch_last_success_timestamp_seconds ")) << prom;
}

TEST(NotificationsE2e, AnUnsetSigningSecretStopsTheRunBeforeItStarts) {
  Harness h;
  h.StartEmulator(Fleet(/*fail_patch=*/false));
  h.WriteInventory({{"prod", kAcct, "us-east-1"}});
  h.WriteConfig(Notifications("https://127.0.0.1:1" + std::string(kHookPath)));

  auto r = h.Run({"--config", "cfg.yml", "--workflow", "full", "--yes"});
  EXPECT_EQ(r.exit_code, kExitConfig) << Dump(r);
  EXPECT_THAT(r.err, HasSubstr("FP_HOOK_SECRET")) << Dump(r);
  ExpectNoSecret(r);
  EXPECT_EQ(h.CountAll("DescribeInstances"), 0) << "nothing was done";
  if (fs::exists(h.StatePath())) {
    state::SqliteStateStoreOptions ro;
    ro.read_only = true;
    auto store = state::SqliteStateStore::Open(h.StatePath().string(), DefaultClock(), ro);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    EXPECT_FALSE((*store)->LatestRun().ok()) << "no run was recorded";
  }
}

}  // namespace
}  // namespace fleetpatch::e2e
