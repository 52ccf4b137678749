// Scan-specific properties that the phase tests in workflow_test.cc do not look at: how many zones
// fetch and decode their DescribeInstances pages at once (memory is bounded by that number, not by
// zone_workers).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "state/run_id.h"
#include "state/sqlite_state_store.h"
#include "testing/fake_clock.h"
#include "workflow/fake_zone_api_for_test.h"
#include "workflow/interrupt.h"
#include "workflow/workflow.h"

namespace fleetpatch::workflow {
namespace {

// Counts how many zones are inside ForEachInstancePage at the same moment.
class ConcurrencyProbe : public testing::FakeZoneApi {
 public:
  ConcurrencyProbe(Clock& clock, std::atomic<int>& now, std::atomic<int>& peak)
      : FakeZoneApi(clock), now_(now), peak_(peak) {}
  Status ForEachInstancePage(const std::map<std::string, std::vector<std::string>>& filters,
                             const std::function<void(std::vector<Ec2InstanceView>&&)>& on_page) override {
    int n = ++now_;
    int p = peak_.load();
    while (n > p && !peak_.compare_exchange_weak(p, n)) {
    }
    // Long enough (real time) for every zone worker to have arrived if nothing held them back.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    Status st = FakeZoneApi::ForEachInstancePage(filters, on_page);
    --now_;
    return st;
  }

 private:
  std::atomic<int>& now_;
  std::atomic<int>& peak_;
};

TEST(ScanTest, AtMostFourZonesDecodeInstancePagesAtOnceWhateverTheZoneWorkers) {
  ClearInterrupt();
  fleetpatch::testing::FakeClock clock;
  auto store = state::SqliteStateStore::Open(":memory:", clock);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  std::atomic<int> now{0}, peak{0};
  testing::FakeConnector connector;
  std::vector<ZoneSpec> zones;
  for (int z = 0; z < 12; ++z) {
    std::string name = "zone-" + std::to_string(z);
    auto api = std::make_shared<ConcurrencyProbe>(clock, now, peak);
    testing::FakeInstance i;
    i.ec2.instance_id = "i-" + std::to_string(z);
    i.ec2.state = "running";
    i.ssm = SsmInstanceView{i.ec2.instance_id, "Online", "Linux", "Amazon Linux", "3.2.0.0"};
    api->Add(i);
    connector.zones[name] = api;
    ZoneSpec spec;
    spec.info = {name, "111111111111", "eu-west-1", "", {}};
    zones.push_back(spec);
  }
  WorkflowOptions options;
  options.zone_workers = 12;
  Workflow wf(options, **store, connector, clock, Progress::Options{.quiet = true});
  RunInfo run;
  run.run_id = state::NewRunId(clock);
  ASSERT_TRUE((*store)->CreateRun(run).ok());

  auto scan = wf.Scan(run.run_id, zones);
  ASSERT_TRUE(scan.ok()) << scan.error().ToString();
  EXPECT_EQ(scan->succeeded, 12);  // every zone was scanned
  EXPECT_GE(peak.load(), 2);       // zones did overlap: the bound is not a serialisation
  EXPECT_LE(peak.load(), 4);
}

}  // namespace
}  // namespace fleetpatch::workflow
