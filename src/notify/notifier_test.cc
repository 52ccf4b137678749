#include "notify/notifier.h"

#include <gtest/gtest.h>

#include <deque>

#include "notify/message.h"
#include "notify/sns_channel.h"
#include "testing/fake_clock.h"

namespace fleetpatch::notify {
namespace {

using namespace std::chrono_literals;

// Answers with the queued results (then success) and records what it was sent.
class FakeChannel final : public Channel {
 public:
  explicit FakeChannel(std::string name) : name_(std::move(name)) {}
  std::string Name() const override { return name_; }
  Status Send(const Notification& n) override {
    sent.push_back(n);
    if (results.empty()) return OkStatus();
    Status s = results.front();
    results.pop_front();
    return s;
  }
  std::deque<Status> results;
  std::vector<Notification> sent;

 private:
  std::string name_;
};

Error Retryable(std::string msg) { return Error::Connectivity(std::move(msg), true); }

TEST(NotifierTest, EachChannelGetsOnlyTheEventsItSubscribedTo) {
  fleetpatch::testing::FakeClock clock;
  Notifier n(clock);
  auto all = std::make_unique<FakeChannel>("all");
  auto halts = std::make_unique<FakeChannel>("halts");
  FakeChannel* all_p = all.get();
  FakeChannel* halts_p = halts.get();
  n.AddChannel(std::move(all));
  n.AddChannel(std::move(halts), {kRolloutHaltedEvent});
  n.OnRunFinished({.run_id = "r1"});
  n.OnRolloutHalted({.run_id = "r1", .reason = HaltReason::kCanaryFailed, .failed = 1, .not_started = 9});
  n.OnRollbackDone({.run_id = "r1", .instance_ids = {"i-1"}});
  n.OnInstancesInStandby({.run_id = "r1", .instance_ids = {"i-2"}});
  ASSERT_EQ(all_p->sent.size(), 4u);
  EXPECT_EQ(all_p->sent[2].event, "rollback_done");
  EXPECT_EQ(all_p->sent[3].event, "instances_in_standby");
  ASSERT_EQ(halts_p->sent.size(), 1u);
  EXPECT_EQ(halts_p->sent[0].summary["reason"], "canary_failed");
  EXPECT_TRUE(n.Failures().empty());
}

TEST(NotifierTest, BackoffDoublesUpToTheMaximumAndTheFailureIsKept) {
  fleetpatch::testing::FakeClock clock;
  Notifier n(clock, RetryOptions{4, 10s, 25s});
  auto ch = std::make_unique<FakeChannel>("hook");
  FakeChannel* p = ch.get();
  for (int i = 0; i < 4; ++i) p->results.push_back(Retryable("hook: HTTP 503"));
  n.AddChannel(std::move(ch));
  auto before = clock.SteadyNow();
  EXPECT_EQ(n.Deliver(FromEvent(RunFinished{.run_id = "r9"})), 1);
  EXPECT_EQ(p->sent.size(), 4u);
  EXPECT_EQ(clock.SteadyNow() - before, 10s + 20s + 25s);
  ASSERT_EQ(n.Failures().size(), 1u);
  EXPECT_EQ(n.Failures()[0], "run_finished for run r9: hook: HTTP 503 (4 attempts)");
}

TEST(NotifierTest, OneFailingChannelDoesNotStopTheOthers) {
  fleetpatch::testing::FakeClock clock;
  Notifier n(clock, RetryOptions{1, 1s, 1s});
  auto bad = std::make_unique<FakeChannel>("bad");
  bad->results.push_back(Error::Permission("bad: AuthorizationError"));
  auto good = std::make_unique<FakeChannel>("good");
  FakeChannel* good_p = good.get();
  n.AddChannel(std::move(bad));
  n.AddChannel(std::move(good));
  n.OnRunFinished({.run_id = "r1"});
  EXPECT_EQ(good_p->sent.size(), 1u);
  EXPECT_EQ(n.Failures().size(), 1u);
}

TEST(MessageTest, NoSecretReachesTheTextOrTheSummary) {
  RunFinished f;
  f.run_id = "r1";
  f.status = RunStatus::kFailed;
  f.error = "credential_process printed aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
  Notification n = FromEvent(f);
  EXPECT_EQ(n.Body().find("wJalrXUtnFEMI"), std::string::npos) << n.Body();
  EXPECT_NE(n.text.find("[REDACTED]"), std::string::npos) << n.text;
}

TEST(MessageTest, UntrustedTextStaysInsideTheJsonString) {
  InstancesInStandby s;
  s.run_id = "r1";
  s.instance_ids = {"i-1\"},\"text\":\"pwned"};
  Notification n = FromEvent(s);
  auto body = nlohmann::json::parse(n.Body());
  EXPECT_EQ(body["summary"]["instance_ids"][0], "i-1\"},\"text\":\"pwned");
  EXPECT_NE(body["text"].get<std::string>().find("left in standby"), std::string::npos);
}

TEST(MessageTest, LongInstanceListsAreShortenedInTheText) {
  RollbackDone r;
  r.run_id = "r1";
  for (int i = 0; i < 25; ++i) r.instance_ids.push_back("i-" + std::to_string(i));
  Notification n = FromEvent(r);
  EXPECT_NE(n.text.find("25 rolled back (i-0, "), std::string::npos) << n.text;
  EXPECT_NE(n.text.find("and 15 more"), std::string::npos) << n.text;
  EXPECT_EQ(n.summary["rolled_back"].size(), 25u);
}

TEST(MessageTest, SnsSubjectIsPrintableAsciiOfAtMost100) {
  EXPECT_EQ(SnsSubject("fleetpatch: run r1 succeeded"), "fleetpatch: run r1 succeeded");
  EXPECT_EQ(SnsSubject("a\nb\xc3\xa9"), "a?b??");
  EXPECT_EQ(SnsSubject(std::string(150, 'x')).size(), 100u);
}

}  // namespace
}  // namespace fleetpatch::notify
