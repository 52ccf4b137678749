// The workflow's own defaults (WorkflowOptions, used as is by library callers and tests) must be
// the config's defaults (config.h, documented from the field table): mapping a default Config gives
// a default WorkflowOptions. A default changed on one side only fails here.
#include <gtest/gtest.h>

#include "cli/run_engine.h"

namespace fleetpatch::cli {
namespace {

void ExpectSameThresholds(const workflow::PrecheckThresholds& a, const workflow::PrecheckThresholds& b,
                          const char* platform) {
  SCOPED_TRACE(platform);
  EXPECT_EQ(a.min_free_disk_percent, b.min_free_disk_percent);
  EXPECT_EQ(a.min_free_disk_gib, b.min_free_disk_gib);
  EXPECT_EQ(a.mounts, b.mounts);
  EXPECT_EQ(a.max_load_per_cpu, b.max_load_per_cpu);
  EXPECT_EQ(a.min_free_memory_percent, b.min_free_memory_percent);
  EXPECT_EQ(a.min_free_memory_mib, b.min_free_memory_mib);
  EXPECT_EQ(a.critical_services, b.critical_services);
  EXPECT_EQ(a.fail_on_pending_reboot, b.fail_on_pending_reboot);
  EXPECT_EQ(a.fail_on_package_lock, b.fail_on_package_lock);
}

TEST(WorkflowOptionsTest, DefaultsAreTheConfigDefaults) {
  const workflow::WorkflowOptions mapped = WorkflowOptionsFrom(config::Config{});
  const workflow::WorkflowOptions own;
  EXPECT_EQ(mapped.backup_enabled, own.backup_enabled);
  EXPECT_EQ(mapped.backup_required, own.backup_required);
  EXPECT_EQ(mapped.ami_timeout, own.ami_timeout);
  EXPECT_EQ(mapped.patch_timeout, own.patch_timeout);
  EXPECT_EQ(mapped.ssm_timeout, own.ssm_timeout);
  EXPECT_EQ(mapped.poll_interval, own.poll_interval);
  EXPECT_EQ(mapped.ami_first_poll, own.ami_first_poll);
  EXPECT_EQ(mapped.precheck_first_poll, own.precheck_first_poll);
  EXPECT_EQ(mapped.patch_first_poll, own.patch_first_poll);
  EXPECT_EQ(mapped.reboot_first_poll, own.reboot_first_poll);
  EXPECT_EQ(mapped.zone_workers, own.zone_workers);
  EXPECT_EQ(mapped.dry_run, own.dry_run);
  EXPECT_EQ(mapped.ami_name_template, own.ami_name_template);
  EXPECT_EQ(mapped.no_reboot, own.no_reboot);
  EXPECT_EQ(mapped.retention_days, own.retention_days);
  EXPECT_EQ(mapped.keep_failed_images, own.keep_failed_images);
  EXPECT_EQ(mapped.max_pending_images, own.max_pending_images);
  EXPECT_EQ(mapped.extra_tags, own.extra_tags);
  ExpectSameThresholds(mapped.linux_thresholds, own.linux_thresholds, "linux");
  ExpectSameThresholds(mapped.windows_thresholds, own.windows_thresholds, "windows");
  EXPECT_EQ(mapped.precheck_execution_timeout_s, own.precheck_execution_timeout_s);
  EXPECT_EQ(mapped.max_commands, own.max_commands);
  EXPECT_EQ(mapped.min_agent_version, own.min_agent_version);
  EXPECT_EQ(mapped.patch_document, own.patch_document);
  EXPECT_EQ(mapped.patch_operation, own.patch_operation);
  EXPECT_EQ(mapped.reboot_option, own.reboot_option);
  EXPECT_EQ(mapped.fail_on_pending_reboot, own.fail_on_pending_reboot);
  EXPECT_EQ(mapped.reboot_timeout, own.reboot_timeout);
  EXPECT_EQ(mapped.standby_timeout, own.standby_timeout);
  EXPECT_EQ(mapped.baseline_override, own.baseline_override);
  EXPECT_EQ(mapped.canary_size, own.canary_size);
  EXPECT_EQ(mapped.wave_size, own.wave_size);
  EXPECT_EQ(mapped.error_budget, own.error_budget);
  EXPECT_EQ(mapped.auto_scaling, own.auto_scaling);
  EXPECT_EQ(mapped.eligibility.skip_auto_scaling_members, own.eligibility.skip_auto_scaling_members);
  EXPECT_EQ(mapped.max_unavailable.has_value(), own.max_unavailable.has_value());
  EXPECT_EQ(mapped.max_unavailable_tags, own.max_unavailable_tags);
  EXPECT_EQ(mapped.window.enabled, own.window.enabled);
}

// The safety loop's keys arrive: skip makes group members ineligible at the scan, the budget and
// the window reach the rollout.
TEST(WorkflowOptionsTest, SafetyKeysArePassedThrough) {
  config::Config c;
  c.patch.auto_scaling = config::AutoScalingMode::kSkip;
  c.patch.max_unavailable = CountOrPercent{true, 25};
  c.patch.max_unavailable_tags = {"App"};
  c.workflow.window.enabled = true;
  c.workflow.window.time_zone = "Europe/Berlin";
  const auto o = WorkflowOptionsFrom(c);
  EXPECT_EQ(o.auto_scaling, config::AutoScalingMode::kSkip);
  EXPECT_TRUE(o.eligibility.skip_auto_scaling_members);
  ASSERT_TRUE(o.max_unavailable.has_value());
  EXPECT_EQ(*o.max_unavailable, (CountOrPercent{true, 25}));
  EXPECT_EQ(o.max_unavailable_tags, std::vector<std::string>{"App"});
  EXPECT_TRUE(o.window.enabled);
  EXPECT_EQ(o.window.time_zone, "Europe/Berlin");
  c.patch.auto_scaling = config::AutoScalingMode::kSuspend;
  EXPECT_FALSE(WorkflowOptionsFrom(c).eligibility.skip_auto_scaling_members);
}

// The mapping passes typed values through: a changed config value arrives unchanged.
TEST(WorkflowOptionsTest, TypedValuesArePassedAsTypes) {
  config::Config c;
  c.error_budget = CountOrPercent{false, 3};
  c.workflow.timeouts.ami_creation = std::chrono::minutes(45);
  c.workflow.poll_interval = std::chrono::seconds(2);
  c.workflow.first_poll.precheck = std::chrono::seconds(1);
  c.workflow.first_poll.reboot = std::chrono::seconds(4);
  c.workflow.timeouts.standby = std::chrono::seconds(90);
  const auto o = WorkflowOptionsFrom(c);
  EXPECT_EQ(o.standby_timeout, std::chrono::seconds(90));
  EXPECT_EQ(o.precheck_first_poll, std::chrono::seconds(1));
  EXPECT_EQ(o.reboot_first_poll, std::chrono::seconds(4));
  EXPECT_EQ(o.error_budget, (CountOrPercent{false, 3}));
  EXPECT_EQ(o.ami_timeout, std::chrono::seconds(2700));
  EXPECT_EQ(o.poll_interval, std::chrono::seconds(2));
}

}  // namespace
}  // namespace fleetpatch::cli
