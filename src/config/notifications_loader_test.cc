// The notifications: section of the config (the loader's ReadNotifications block).
#include <gtest/gtest.h>

#include "common/env.h"
#include "config/loader.h"

namespace fleetpatch::config {
namespace {

Result<Config> Load(const std::string& yaml, const EnvLookup& env = MapEnv({})) {
  return LoadConfigString(yaml, "cfg.yml", ".", env);
}

TEST(NotificationsConfig, ReadsWebhooksSnsAndRetrySettings) {
  auto c = Load(
      "notifications:\n"
      "  webhooks:\n"
      "    - url: ${HOOK}\n"
      "      secret_env: FP_HOOK_SECRET\n"
      "      events: [run_finished, rollout_halted]\n"
      "    - url: https://ops.example.com/h\n"
      "  sns:\n"
      "    - topic_arn: arn:aws:sns:eu-west-1:123456789012:alerts\n"
      "      events: rollback_done\n"
      "  attempts: 5\n"
      "  backoff: 30s\n"
      "  timeout: 20s\n",
      MapEnv({{"HOOK", "https://hooks.slack.com/services/T/B/X"}}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  const auto& n = c->notifications;
  ASSERT_EQ(n.webhooks.size(), 2u);
  EXPECT_EQ(n.webhooks[0].url, "https://hooks.slack.com/services/T/B/X");
  EXPECT_EQ(n.webhooks[0].secret_env, "FP_HOOK_SECRET");
  EXPECT_EQ(n.webhooks[0].events, (std::vector<std::string>{"run_finished", "rollout_halted"}));
  EXPECT_TRUE(n.webhooks[1].events.empty());
  ASSERT_EQ(n.sns.size(), 1u);
  EXPECT_EQ(n.sns[0].events, std::vector<std::string>{"rollback_done"});
  EXPECT_EQ(n.attempts, 5);
  EXPECT_EQ(n.backoff.count(), 30);
  EXPECT_EQ(n.timeout.count(), 20);
}

TEST(NotificationsConfig, DefaultsAreNoChannels) {
  auto c = Load("dry_run: true\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->notifications.webhooks.empty());
  EXPECT_TRUE(c->notifications.sns.empty());
  EXPECT_EQ(c->notifications.attempts, 3);
}

TEST(NotificationsConfig, ProblemsNameTheLineFieldAndWhatIsAllowed) {
  auto c = Load(
      "notifications:\n"
      "  webhooks:\n"
      "    - url: http://plain.example.com/h\n"
      "      secret_env: \"not a name\"\n"
      "      events: [run_finishd]\n"
      "    - secret_env: X\n"
      "  sns:\n"
      "    - topic_arn: arn:aws:sqs:eu-west-1:123456789012:q\n"
      "  backoff: 45\n");
  ASSERT_FALSE(c.ok());
  const std::string m = c.error().message;
  EXPECT_NE(m.find("cfg.yml:3:"), std::string::npos) << m;
  EXPECT_NE(m.find("must start with https://"), std::string::npos) << m;
  EXPECT_NE(m.find("name of an environment variable"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean \"run_finished\""), std::string::npos) << m;
  EXPECT_NE(m.find("a webhook needs a url"), std::string::npos) << m;
  EXPECT_NE(m.find("notifications.sns[0].topic_arn"), std::string::npos) << m;
  EXPECT_NE(m.find("notifications.backoff"), std::string::npos) << "the notifier waits at most 30 s\n" << m;
}

TEST(NotificationsConfig, WebhookUrlsAreNotStoredWithTheRun) {
  auto c = Load("notifications:\n  webhooks:\n    - url: https://hooks.example.com/secret-token\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(ConfigToJson(*c).dump().find("secret-token"), std::string::npos);
}

}  // namespace
}  // namespace fleetpatch::config
