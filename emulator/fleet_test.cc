#include "emulator/fleet.h"

#include <gtest/gtest.h>

#include <set>

#include "testing/testdata.h"

namespace fleetpatch::emulator {
namespace {

TEST(FleetTest, DemoFleetHasThreeZonesFortyInstancesAndEveryOutcome) {
  Fleet f = DemoFleet();
  EXPECT_EQ(f.accounts.size(), 3u);
  EXPECT_EQ(f.instances.size(), 40u);
  std::set<std::string> seen;
  for (const auto& in : f.instances) {
    seen.insert("patch:" + std::string(PatchOutcomeName(in.patch.outcome)));
    seen.insert("ping:" + in.ssm_ping);
    seen.insert("state:" + in.state);
    seen.insert("platform:" + in.platform);
    if (in.ami_fails) seen.insert("ami:failed");
    if (in.patch.reboot_required) seen.insert("reboot");
    if (in.reboot_pending) seen.insert("reboot_pending");
    if (in.pkg_lock) seen.insert("pkg_lock");
    for (const auto& d : in.disks)
      if (d.avail_kb * 10 < d.size_kb) seen.insert("disk_full");
    for (const auto& [name, state] : in.services)
      if (state != "active") seen.insert("service:" + state);
    if (!in.auto_scaling_group.empty()) seen.insert(in.patch.reboot_required ? "asg:rebooted" : "asg:member");
    if (!in.post_patch_failed_services.empty()) seen.insert("post_patch:broken");
    if (in.reboot.never_returns) seen.insert("reboot:never_returns");
    if (in.reboot.duration_s > 60) seen.insert("reboot:slow");
    if (in.root_device_type == "instance-store") seen.insert("root:instance-store");
    if (in.disks.size() >= 80) seen.insert("long_precheck_output");
    if (in.patch.last_operation == "never") seen.insert("patch_state:never");
    if (in.patch.last_operation_days_ago >= 30) seen.insert("patch_state:stale");
    if (in.patch.installed_pending_reboot > 0) seen.insert("patch_state:reboot_debt");
  }
  EXPECT_EQ(f.auto_scaling_groups.size(), 1u);
  EXPECT_EQ(f.sns_topics.size(), 1u);
  int fleetpatch_images = 0;
  for (const auto& img : f.images) fleetpatch_images += img.tags.count("fleetpatch:created-by");
  EXPECT_EQ(fleetpatch_images, 3);
  ASSERT_EQ(f.snapshots.size(), 1u);  // tagged by fleetpatch, of no AMI
  EXPECT_TRUE(f.snapshots[0].tags.count("fleetpatch:created-by"));
  for (const char* want : {"patch:success",
                           "patch:failed",
                           "patch:hang",
                           "patch:agent_lost",
                           "ping:Online",
                           "ping:ConnectionLost",
                           "ping:Inactive",
                           "ping:None",
                           "state:stopped",
                           "state:terminated",
                           "platform:windows",
                           "ami:failed",
                           "reboot",
                           "reboot_pending",
                           "pkg_lock",
                           "disk_full",
                           "service:failed",
                           "service:inactive",
                           "asg:rebooted",
                           "asg:member",
                           "post_patch:broken",
                           "reboot:never_returns",
                           "reboot:slow",
                           "root:instance-store",
                           "long_precheck_output",
                           "patch_state:never",
                           "patch_state:stale",
                           "patch_state:reboot_debt"})
    EXPECT_TRUE(seen.count(want)) << want;
}

TEST(FleetTest, ValidationErrorsNameFileLineAndField) {
  const char* yaml =
      "accounts:\n"
      "  - id: \"111111111111\"\n"
      "    regions: [us-east-1]\n"
      "instances:\n"
      "  - id: i-0123456789abcdef0\n"
      "    account: \"111111111111\"\n"
      "    region: us-east-1\n"
      "    state: sleeping\n";
  auto r = ParseFleetYaml(yaml, "f.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kConfig);
  EXPECT_NE(r.error().message.find("f.yml:5"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("instances[0].state"), std::string::npos) << r.error().message;

  r = ParseFleetYaml("accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    colour: red\n",
                     "g.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("g.yml:4: accounts[0].colour: unknown field"), std::string::npos)
      << r.error().message;

  r = ParseFleetYaml(
      "accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\ninstances:\n  - id: "
      "i-0123456789abcdef0\n"
      "    account: \"222222222222\"\n    region: us-east-1\n",
      "h.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("account '222222222222' is not defined"), std::string::npos)
      << r.error().message;

  r = ParseFleetYaml(
      "accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\ninstances:\n  - id: "
      "i-0123456789abcdef0\n"
      "    account: \"111111111111\"\n    region: us-east-1\n    host: {cpus: many}\n",
      "i.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("i.yml:8: instances[0].host.cpus: cannot read 'many' as an integer"),
            std::string::npos)
      << r.error().message;

  EXPECT_FALSE(ParseFleetYaml("accounts: [", "j.yml").ok());
  EXPECT_FALSE(LoadFleetFile("/nonexistent/fleet.yml").ok());
}

TEST(FleetTest, GeneratorIsSeededAndValid) {
  GeneratorOptions g;
  g.instances = 10000;
  g.zones = 20;
  Fleet a = GenerateFleet(g);
  Fleet b = GenerateFleet(g);
  ASSERT_EQ(a.instances.size(), 10000u);
  EXPECT_EQ(a.accounts.size(), 20u);
  int failed = 0, hang = 0, lost = 0, windows = 0, ami = 0;
  for (size_t i = 0; i < a.instances.size(); ++i) {
    EXPECT_EQ(a.instances[i].id, b.instances[i].id);
    EXPECT_EQ(a.instances[i].patch.outcome, b.instances[i].patch.outcome);
    failed += a.instances[i].patch.outcome == PatchOutcome::kFailed;
    hang += a.instances[i].patch.outcome == PatchOutcome::kHang;
    lost += a.instances[i].patch.outcome == PatchOutcome::kAgentLost;
    windows += a.instances[i].platform == "windows";
    ami += a.instances[i].ami_fails;
  }
  EXPECT_GT(failed, 100);
  EXPECT_GT(hang, 10);
  EXPECT_GT(lost, 10);
  EXPECT_GT(windows, 1000);
  EXPECT_GT(ami, 10);
  g.seed = 2;
  EXPECT_NE(GenerateFleet(g).instances[0].id, a.instances[0].id);
}

TEST(FleetTest, GeneratorAddsTheBetweenRunsMixWithoutChangingTheFleet) {
  GeneratorOptions g;
  g.instances = 1000;
  g.zones = 4;
  Fleet plain = GenerateFleet(g);
  ASSERT_TRUE(ApplyGeneratorFlag("--patch-states", "never=0.1,stale=0.2,reboot=0.3", &g).value());
  ASSERT_TRUE(ApplyGeneratorFlag("--old-backups", "1500", &g).value());
  Fleet mixed = GenerateFleet(g);
  int never = 0, stale = 0, debt = 0, recent = 0;
  for (size_t i = 0; i < mixed.instances.size(); ++i) {
    const PatchSpec& p = mixed.instances[i].patch;
    EXPECT_EQ(mixed.instances[i].id, plain.instances[i].id);
    EXPECT_EQ(p.outcome, plain.instances[i].patch.outcome);  // the workflow's outcomes stay those of the seed
    EXPECT_EQ(plain.instances[i].patch.last_operation, "Scan");
    if (p.last_operation == "never")
      ++never;
    else if (p.last_operation_days_ago > 30)
      ++stale;
    else if (p.installed_pending_reboot > 0 && p.last_reboot_option == "NoReboot")
      ++debt;
    else if (p.last_operation == "Install" && p.last_operation_days_ago <= 15)
      ++recent;
  }
  EXPECT_NEAR(never, 100, 40);
  EXPECT_NEAR(stale, 200, 55);
  EXPECT_NEAR(debt, 300, 60);
  EXPECT_EQ(never + stale + debt + recent, 1000);

  ASSERT_EQ(mixed.images.size(), 1500u);
  int with_data = 0;
  for (size_t k = 0; k < mixed.images.size(); ++k) {
    const ImageSpec& img = mixed.images[k];
    const InstanceSpec& owner = mixed.instances[k % 1000];
    EXPECT_EQ(img.source_instance_id, owner.id);
    EXPECT_EQ(img.account_id, owner.account_id);
    EXPECT_EQ(img.owner_id, owner.account_id);  // filled by validation: fleetpatch's own account
    EXPECT_EQ(img.tags.at("fleetpatch:backup-name"), img.name);
    EXPECT_EQ(img.tags.at("fleetpatch:instance-id"), owner.id);
    EXPECT_EQ(img.created_days_ago, k < 1000 ? 37 : 44);  // an instance's second backup is a week older
    with_data += img.snapshots.size() == 2;
  }
  EXPECT_NEAR(with_data, 375, 90);
  auto back = ParseFleetYaml(FleetToYaml(mixed), "generated");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->images.size(), 1500u);
}

TEST(FleetTest, GeneratorFlagsRejectBadValues) {
  GeneratorOptions g;
  EXPECT_FALSE(ApplyGeneratorFlag("--zones", "3", &g).value());  // not a generator flag of its own
  EXPECT_FALSE(ApplyGeneratorFlag("--patch-states", "stale=1.5", &g).ok());
  EXPECT_FALSE(ApplyGeneratorFlag("--patch-states", "late=0.1", &g).ok());
  EXPECT_FALSE(ApplyGeneratorFlag("--patch-states", "never=0.6,stale=0.6", &g).ok());
  EXPECT_FALSE(ApplyGeneratorFlag("--old-backups", "-1", &g).ok());
  EXPECT_FALSE(ApplyGeneratorFlag("--old-backups", "12x", &g).ok());
}

TEST(FleetTest, YamlRoundTrip) {
  Fleet f = DemoFleet();
  auto back = ParseFleetYaml(FleetToYaml(f), "roundtrip");
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->instances.size(), f.instances.size());
  for (size_t i = 0; i < f.instances.size(); ++i) {
    EXPECT_EQ(back->instances[i].id, f.instances[i].id);
    EXPECT_EQ(back->instances[i].tags, f.instances[i].tags);
    EXPECT_EQ(back->instances[i].patch.outcome, f.instances[i].patch.outcome);
    EXPECT_EQ(back->instances[i].disks.size(), f.instances[i].disks.size());
    EXPECT_EQ(back->instances[i].reboot.never_returns, f.instances[i].reboot.never_returns);
    EXPECT_EQ(back->instances[i].reboot.duration_s, f.instances[i].reboot.duration_s);
    EXPECT_EQ(back->instances[i].post_patch_failed_services, f.instances[i].post_patch_failed_services);
    EXPECT_EQ(back->instances[i].auto_scaling_group, f.instances[i].auto_scaling_group);
    EXPECT_EQ(back->instances[i].root_device_type, f.instances[i].root_device_type);
    EXPECT_EQ(back->instances[i].patch.last_operation, f.instances[i].patch.last_operation);
    EXPECT_EQ(back->instances[i].patch.installed_pending_reboot,
              f.instances[i].patch.installed_pending_reboot);
  }
  ASSERT_EQ(back->auto_scaling_groups.size(), f.auto_scaling_groups.size());
  EXPECT_EQ(back->auto_scaling_groups[0].replace_unhealthy_after_s,
            f.auto_scaling_groups[0].replace_unhealthy_after_s);
  ASSERT_EQ(back->images.size(), f.images.size());
  for (size_t i = 0; i < f.images.size(); ++i) {
    EXPECT_EQ(back->images[i].owner_id, f.images[i].owner_id);
    EXPECT_EQ(back->images[i].tags, f.images[i].tags);
    EXPECT_EQ(back->images[i].snapshots.size(), f.images[i].snapshots.size());
  }
  EXPECT_EQ(back->snapshots.size(), f.snapshots.size());
  EXPECT_EQ(back->sns_topics.size(), f.sns_topics.size());
}

TEST(FleetTest, AfterPatchFieldsAreValidated) {
  const std::string head = "accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n";
  auto bad =
      ParseFleetYaml(head +
                         "instances:\n  - {id: i-00000001, account: \"111111111111\", region: us-east-1, "
                         "auto_scaling_group: nope}\n",
                     "g.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("auto_scaling_group: 'nope' is not defined"), std::string::npos)
      << bad.error().message;
  bad = ParseFleetYaml(head +
                           "instances:\n  - {id: i-00000001, account: \"111111111111\", region: us-east-1, "
                           "post_patch: {failed_services: [nginx]}}\n",
                       "p.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'nginx' is not one of host.services"), std::string::npos)
      << bad.error().message;
  bad = ParseFleetYaml(
      head +
          "auto_scaling_groups:\n  - {name: g, account: \"111111111111\", region: us-east-1, min_size: 3, "
          "desired_capacity: 2}\n",
      "s.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("min_size <= desired_capacity"), std::string::npos)
      << bad.error().message;
  bad = ParseFleetYaml(
      head + "images:\n  - {id: ami-1, account: \"111111111111\", region: us-east-1, name: x}\n", "i.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("is not an AMI id"), std::string::npos) << bad.error().message;
  bad = ParseFleetYaml(head +
                           "instances:\n  - {id: i-00000001, account: \"111111111111\", region: us-east-1, "
                           "patch: {last_operation: Sometimes}}\n",
                       "o.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("o.yml:5: instances[0].patch.last_operation"), std::string::npos)
      << bad.error().message;
}

TEST(FleetTest, OutcomeFieldsParseValidateAndRoundTrip) {
  const char* yaml =
      "accounts:\n"
      "  - id: \"111111111111\"\n"
      "    regions: [us-east-1]\n"
      "instances:\n"
      "  - {id: i-00000001, account: \"111111111111\", region: us-east-1, platform: macos}\n"
      "  - {id: i-00000002, account: \"111111111111\", region: us-east-1, ssm: {lost_after_s: 60}}\n"
      "  - {id: i-00000003, account: \"111111111111\", region: us-east-1, patch: {missing: 4, still_missing: "
      "2}}\n";
  auto r = ParseFleetYaml(yaml, "o.yml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->instances[0].platform, "macos");
  EXPECT_EQ(r->instances[0].platform_name, "macOS");
  EXPECT_EQ(r->instances[1].ssm_lost_after_s, 60);
  EXPECT_LT(r->instances[0].ssm_lost_after_s, 0);  // default: never
  EXPECT_EQ(r->instances[2].patch.still_missing, 2);

  auto back = ParseFleetYaml(FleetToYaml(*r), "roundtrip");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->instances[0].platform, "macos");
  EXPECT_EQ(back->instances[1].ssm_lost_after_s, 60);
  EXPECT_EQ(back->instances[2].patch.still_missing, 2);

  // still_missing and failed come out of the same missing patches.
  auto bad = ParseFleetYaml(
      "accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\ninstances:\n"
      "  - {id: i-00000003, account: \"111111111111\", region: us-east-1, patch: {outcome: failed, missing: "
      "3, "
      "failed: 2, still_missing: 2}}\n",
      "p.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("failed + still_missing <= missing"), std::string::npos)
      << bad.error().message;
  bad = ParseFleetYaml(
      "accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\ninstances:\n"
      "  - {id: i-00000003, account: \"111111111111\", region: us-east-1, platform: beos}\n",
      "q.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("must be linux, windows or macos"), std::string::npos)
      << bad.error().message;
}

}  // namespace
}  // namespace fleetpatch::emulator
