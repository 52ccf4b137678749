// End-to-end: `fleetpatch prune` and `fleetpatch compliance` as a user runs them, the real binary
// against the emulator over HTTP, with AMIs, snapshots and patch states that exist before the run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/clock.h"
#include "emulator/signed_client.h"
#include "tests/e2e_support.h"

namespace fleetpatch::e2e {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kAccount = "111111111111";
constexpr const char* kRegion = "eu-west-1";
constexpr const char* kInstance = "i-0a00000000000a001";

emulator::SnapshotSpec Snap(const std::string& id, int gib, std::map<std::string, std::string> tags = {}) {
  emulator::SnapshotSpec s;
  s.id = id;
  s.size_gb = gib;
  s.tags = std::move(tags);
  return s;
}

// A backup fleetpatch made of kInstance `days_ago` in run `run`.
emulator::ImageSpec Backup(const std::string& id, const std::string& run, double days_ago,
                           std::vector<emulator::SnapshotSpec> snaps) {
  emulator::ImageSpec img;
  img.id = id;
  img.account_id = kAccount;
  img.region = kRegion;
  img.name = "fleetpatch-" + std::string(kInstance) + "-" + run;
  img.source_instance_id = kInstance;
  img.created_days_ago = days_ago;
  img.tags = {{"fleetpatch:created-by", "fleetpatch"},
              {"fleetpatch:run-id", run},
              {"fleetpatch:instance-id", kInstance},
              {"fleetpatch:backup-name", img.name},
              {"fleetpatch:delete-after", days_ago > 30 ? "2001-01-01" : "2099-12-31"}};
  img.snapshots = std::move(snaps);
  return img;
}

class BetweenRunsTest : public ::testing::Test {
 protected:
  // Old backups: two expired ones and the newest; a forged one (the tags of a backup of kInstance,
  // made from another instance); a decoy snapshot tagged like the old backup's but in no AMI.
  emulator::Fleet PruneFleet(int expired) {
    FleetBuilder b;
    b.Account(kAccount, kRegion);
    b.Instance(kInstance, kAccount, kRegion);
    for (int i = 0; i < expired; ++i) {
      char id[32], s1[32], s2[32];
      std::snprintf(id, sizeof id, "ami-0a00000000000b%03d", i);
      std::snprintf(s1, sizeof s1, "snap-0a00000000000c%03d", i);
      std::snprintf(s2, sizeof s2, "snap-0a00000000000d%03d", i);
      b.fleet.images.push_back(
          Backup(id, "run-old-" + std::to_string(i), 40 + i, {Snap(s1, 8), Snap(s2, 20)}));
    }
    b.fleet.images.push_back(
        Backup("ami-0a0000000000000f1", "run-new", 2, {Snap("snap-0a000000000000f1a", 8)}));
    emulator::ImageSpec forged =
        Backup("ami-0a0000000000000e1", "run-old-0", 90, {Snap("snap-0a000000000000e1a", 8)});
    forged.source_instance_id = "i-0a00000000000a999";
    b.fleet.images.push_back(forged);
    emulator::SnapshotSpec decoy =
        Snap("snap-0a000000000000dec", 50,
             {{"fleetpatch:created-by", "fleetpatch"}, {"fleetpatch:backup-name", "fleetpatch-x"}});
    decoy.account_id = kAccount;
    decoy.region = kRegion;
    b.fleet.snapshots.push_back(decoy);
    return b.Build();
  }

  void Start(emulator::Fleet fleet) {
    h_.StartEmulator(std::move(fleet));
    h_.WriteInventory({{"prod", kAccount, kRegion, "FleetPatchRole", "ext-" + std::string(kAccount)}});
  }

  std::vector<std::string> Args(const std::string& command, std::vector<std::string> more = {}) {
    std::vector<std::string> a = {command, "--landing-zones", (h_.dir() / "zones.yml").string(), "--output",
                                  "json"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }

  // The snapshot ids the zone's account owns now (DescribeSnapshots Owner=self, as the zone role).
  std::set<std::string> OwnedSnapshots() {
    RealClock& clock = DefaultClock();
    emulator::SignedClient base(h_.emu(), clock, h_.emu().BaseCredentials());
    auto r = base.Query("sts", kRegion, "AssumeRole",
                        {{"RoleArn", emulator::RoleArn(kAccount, "FleetPatchRole")},
                         {"RoleSessionName", "fleetpatch-test"},
                         {"ExternalId", "ext-" + std::string(kAccount)}});
    aws::Credentials c{r.XmlText("AccessKeyId"), r.XmlText("SecretAccessKey"), r.XmlText("SessionToken")};
    emulator::SignedClient zone(h_.emu(), clock, c);
    auto snaps = zone.Query("ec2", kRegion, "DescribeSnapshots", {{"Owner.1", "self"}});
    EXPECT_EQ(snaps.status, 200) << snaps.body;
    std::set<std::string> out;
    for (auto n : snaps.xml.select_nodes("//snapshotSet/item/snapshotId"))
      out.insert(n.node().text().as_string());
    return out;
  }

  static std::map<std::string, json> RowsByImage(const json& j) {
    std::map<std::string, json> out;
    for (const auto& row : j["rows"]) out[row["image_id"].get<std::string>()] = row;
    return out;
  }

  Harness h_;
};

TEST_F(BetweenRunsTest, PrunePlansThenDeletesOnlyExpiredBackupsAndExactlyTheirSnapshots) {
  Start(PruneFleet(2));
  ProcResult plan = h_.Run(Args("prune"));
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  auto rows = RowsByImage(json::parse(plan.out));
  EXPECT_EQ(rows["ami-0a00000000000b000"]["action"], "delete");
  EXPECT_EQ(rows["ami-0a00000000000b001"]["action"], "delete");
  EXPECT_EQ(rows["ami-0a0000000000000f1"]["action"], "keep");
  EXPECT_EQ(rows["ami-0a0000000000000e1"]["action"], "not_ours");
  EXPECT_THAT(rows["ami-0a0000000000000e1"]["reason"].get<std::string>(), HasSubstr("source instance"));
  EXPECT_EQ(json::parse(plan.out)["facts"]["gib"], 56);
  EXPECT_EQ(h_.CountAll("DeregisterImage"), 0) << "the plan changes nothing";
  EXPECT_EQ(h_.CountAll("DeleteSnapshot"), 0);

  const int assumed = h_.Count("AssumeRole");
  ProcResult done = h_.Run(Args("prune", {"--yes"}));
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(h_.Count("AssumeRole") - assumed, 1)
      << "one AssumeRole for the zone: the listing's connection deletes too";
  rows = RowsByImage(json::parse(done.out));
  EXPECT_EQ(rows["ami-0a00000000000b000"]["action"], "deleted");
  EXPECT_EQ(h_.Count("DeregisterImage"), 2);
  std::set<std::string> left = OwnedSnapshots();
  for (const char* gone : {"snap-0a00000000000c000", "snap-0a00000000000d000", "snap-0a00000000000c001",
                           "snap-0a00000000000d001"}) {
    EXPECT_FALSE(left.count(gone)) << gone;
  }
  EXPECT_TRUE(left.count("snap-0a000000000000dec")) << "a snapshot with fleetpatch's tags in no AMI stays";
  EXPECT_TRUE(left.count("snap-0a000000000000e1a")) << "the forged image's snapshot stays";
  EXPECT_TRUE(left.count("snap-0a000000000000f1a")) << "the newest backup's snapshot stays";
  const json reports = json::parse(done.out)["reports"];
  for (const char* f : {".csv", ".json", ".html", ".xml", "-junit.xml"}) {
    bool found = false;
    for (const auto& p : reports) found |= p.get<std::string>().find(f) != std::string::npos;
    EXPECT_TRUE(found) << f << reports.dump();
  }
}

TEST_F(BetweenRunsTest, APruneKilledHalfWayIsFinishedByTheNextOne) {
  Start(PruneFleet(12));
  emulator::FaultSpec slow;
  slow.latency = std::chrono::milliseconds(150);
  h_.emu().SetFault("DeleteSnapshot", slow);
  auto child = h_.Start(Args("prune", {"--yes"}), "prune1");
  for (int i = 0; i < 600 && h_.Count("DeregisterImage") < 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  child->Signal(SIGKILL);
  ProcResult killed = child->Wait();
  ASSERT_TRUE(killed.signaled) << "the prune finished before it could be killed: " << killed.err;
  ASSERT_GE(h_.Count("DeregisterImage"), 4);
  ASSERT_LT(h_.Count("DeleteSnapshot"), 24) << "killed before every snapshot was deleted";

  h_.emu().ClearFaults();
  ProcResult again = h_.Run(Args("prune", {"--yes"}));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  std::set<std::string> left = OwnedSnapshots();
  for (int i = 0; i < 12; ++i) {
    char s1[32], s2[32];
    std::snprintf(s1, sizeof s1, "snap-0a00000000000c%03d", i);
    std::snprintf(s2, sizeof s2, "snap-0a00000000000d%03d", i);
    EXPECT_FALSE(left.count(s1)) << s1 << ": the killed prune's intent was finished";
    EXPECT_FALSE(left.count(s2)) << s2;
  }
  EXPECT_TRUE(left.count("snap-0a000000000000dec"));
  EXPECT_EQ(h_.Count("DeregisterImage"), 12) << "no image deregistered twice with success";
  ProcResult runs = h_.Run({"runs", "--output", "json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  for (const auto& r : json::parse(runs.out)["runs"]) EXPECT_NE(r["status"], "running") << r.dump();
}

TEST_F(BetweenRunsTest, ComplianceReportsEveryInstanceAndGatesOnFailOn) {
  FleetBuilder b;
  b.Account(kAccount, kRegion);
  auto& fresh = b.Instance("i-0a00000000000a001", kAccount, kRegion);
  fresh.patch.last_operation = "Install";
  fresh.patch.last_operation_days_ago = 1;
  fresh.patch.missing = 0;
  auto& debt = b.Instance("i-0a00000000000a002", kAccount, kRegion);
  debt.patch.last_operation = "Install";
  debt.patch.last_operation_days_ago = 2;
  debt.patch.missing = 0;
  debt.patch.installed_pending_reboot = 3;
  debt.patch.last_reboot_option = "NoReboot";
  auto& old = b.Instance("i-0a00000000000a003", kAccount, kRegion);
  old.patch.last_operation = "Install";
  old.patch.last_operation_days_ago = 90;
  old.patch.missing = 0;
  auto& never = b.Instance("i-0a00000000000a004", kAccount, kRegion);
  never.patch.last_operation = "never";
  Start(b.Build());

  ProcResult r = h_.Run(Args("compliance"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  std::map<std::string, json> rows;
  for (const auto& row : j["rows"]) rows[row["instance_id"].get<std::string>()] = row;
  EXPECT_EQ(rows["i-0a00000000000a001"]["status"], "compliant");
  EXPECT_EQ(rows["i-0a00000000000a002"]["status"], "reboot_pending");
  EXPECT_EQ(rows["i-0a00000000000a002"]["reboot_debt"], true);
  EXPECT_NE(rows["i-0a00000000000a002"]["reboot_pending_since"], "");
  EXPECT_EQ(rows["i-0a00000000000a003"]["status"], "stale");
  EXPECT_EQ(rows["i-0a00000000000a004"]["status"], "never_scanned");
  EXPECT_EQ(j["facts"]["instances"], 4);
  EXPECT_EQ(j["summaries"]["by_zone"][0]["instances"], 4);
  EXPECT_EQ(h_.Count("DescribeInstancePatchStates"), 1) << "one call for up to 50 instances";
  // stdout is the JSON report file (copied, not serialised again) plus exit_code, reports, zone_errors.
  EXPECT_EQ(j["exit_code"], 0);
  std::string json_report;
  for (const auto& p : j["reports"])
    if (p.get<std::string>().size() > 5 &&
        p.get<std::string>().substr(p.get<std::string>().size() - 5) == ".json")
      json_report = p.get<std::string>();
  ASSERT_FALSE(json_report.empty()) << j["reports"].dump();
  json file = json::parse(std::ifstream(h_.dir() / json_report));  // relative to fleetpatch's directory
  for (auto it = file.begin(); it != file.end(); ++it) EXPECT_EQ(j[it.key()], it.value()) << it.key();
  EXPECT_EQ(j.size(), file.size() + 3);

  ProcResult gated = h_.Run(Args("compliance", {"--fail-on", "reboot"}));
  EXPECT_EQ(gated.exit_code, 1) << gated.err;
  ProcResult bad = h_.Run(Args("compliance", {"--fail-on", "rebooot"}));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("allowed: missing, failed, reboot, stale"));
}

}  // namespace
}  // namespace fleetpatch::e2e
