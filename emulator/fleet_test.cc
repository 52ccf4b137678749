#include "emulator/fleet.h"

#include <gtest/gtest.h>

#include <set>

#include "testing/testdata.h"

namespace fleetpatch::emulator {
namespace {

TEST(FleetTest, DemoFleetHasThreeZonesThirtyInstancesAndEveryOutcome) {
  Fleet f = DemoFleet();
  EXPECT_EQ(f.accounts.size(), 3u);
  EXPECT_EQ(f.instances.size(), 30u);
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
  }
  for (const char* want : {"patch:success", "patch:failed", "patch:hang", "patch:agent_lost", "ping:Online",
                           "ping:ConnectionLost", "ping:Inactive", "ping:None", "state:stopped", "state:terminated",
                           "platform:windows", "ami:failed", "reboot", "reboot_pending", "pkg_lock", "disk_full",
                           "service:failed", "service:inactive"})
    EXPECT_TRUE(seen.count(want)) << want;
}

TEST(FleetTest, ShippedExamplesMatchTheBuiltInDemo) {
  // FP_SOURCE_DIR is defined for test binaries (testing::SourceDir() in fp_testing falls back to the cwd).
  const std::filesystem::path src = FP_SOURCE_DIR;
  EXPECT_EQ(::fleetpatch::testing::ReadFileOrDie(src / "examples/demo/fleet.yml"), DemoFleetYaml());
  EXPECT_EQ(::fleetpatch::testing::ReadFileOrDie(src / "examples/demo/landing_zones.yml"), DemoLandingZonesYaml());
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

  r = ParseFleetYaml("accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\n    colour: red\n", "g.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("g.yml:4: accounts[0].colour: unknown field"), std::string::npos) << r.error().message;

  r = ParseFleetYaml("accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\ninstances:\n  - id: i-0123456789abcdef0\n"
                     "    account: \"222222222222\"\n    region: us-east-1\n", "h.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("account '222222222222' is not defined"), std::string::npos) << r.error().message;

  r = ParseFleetYaml("accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\ninstances:\n  - id: i-0123456789abcdef0\n"
                     "    account: \"111111111111\"\n    region: us-east-1\n    host: {cpus: many}\n", "i.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("i.yml:8: instances[0].host.cpus: cannot read 'many' as an integer"), std::string::npos)
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
  }
}

TEST(FleetTest, OutcomeFieldsParseValidateAndRoundTrip) {
  const char* yaml =
      "accounts:\n"
      "  - id: \"111111111111\"\n"
      "    regions: [us-east-1]\n"
      "instances:\n"
      "  - {id: i-00000001, account: \"111111111111\", region: us-east-1, platform: macos}\n"
      "  - {id: i-00000002, account: \"111111111111\", region: us-east-1, ssm: {lost_after_s: 60}}\n"
      "  - {id: i-00000003, account: \"111111111111\", region: us-east-1, patch: {missing: 4, still_missing: 2}}\n";
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
      "  - {id: i-00000003, account: \"111111111111\", region: us-east-1, patch: {outcome: failed, missing: 3, "
      "failed: 2, still_missing: 2}}\n",
      "p.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("failed + still_missing <= missing"), std::string::npos) << bad.error().message;
  bad = ParseFleetYaml(
      "accounts:\n  - id: \"111111111111\"\n    regions: [us-east-1]\ninstances:\n"
      "  - {id: i-00000003, account: \"111111111111\", region: us-east-1, platform: beos}\n",
      "q.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("must be linux, windows or macos"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace fleetpatch::emulator
