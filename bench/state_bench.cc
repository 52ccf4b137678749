// State store throughput at fleet scale: saving and loading 100,000 instances, batched phase
// results, and the event journal. Run a Release build:
//   ./fp_bench_state --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "state/sqlite_state_store.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"

namespace fleetpatch::state {
namespace {

constexpr const char* kRun = "20261125-194200-be0c40";

InstanceInfo MakeInstance(int i) {
  InstanceInfo inst;
  inst.zone = "zone-" + std::to_string(i % 20);
  inst.account_id = "0123456789" + std::to_string(10 + i % 20);
  inst.region = "eu-west-1";
  inst.instance_id = "i-" + std::to_string(0x10000000 + i);
  inst.name = "web-" + std::to_string(i);
  inst.platform = i % 5 == 0 ? "windows" : "linux";
  inst.platform_name = "Amazon Linux";
  inst.state = "running";
  inst.availability_zone = "eu-west-1a";
  inst.instance_type = "t3.micro";
  inst.tags = {{"Name", inst.name}, {"Environment", "prod"}, {"Patch", "yes"}};
  inst.ssm_ping_status = "Online";
  inst.ssm_agent_version = "3.2.1";
  inst.eligible = true;
  return inst;
}

std::vector<InstanceInfo> Fleet(int n) {
  std::vector<InstanceInfo> fleet;
  fleet.reserve(n);
  for (int i = 0; i < n; ++i) fleet.push_back(MakeInstance(i));
  return fleet;
}

std::unique_ptr<SqliteStateStore> FreshStore(const fleetpatch::testing::TempDir& dir, const Clock& clock,
                                             const std::string& name) {
  auto store = SqliteStateStore::Open((dir.path() / name).string(), clock);
  if (!store.ok()) std::abort();
  RunInfo run;
  run.run_id = kRun;
  run.workflow = "full";
  if (!(*store)->CreateRun(run).ok()) std::abort();
  return std::move(store).value();
}

void BM_SaveInstances(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  fleetpatch::testing::TempDir dir;
  fleetpatch::testing::FakeClock clock;
  auto fleet = Fleet(n);
  int round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto store = FreshStore(dir, clock, "save-" + std::to_string(round++) + ".db");
    state.ResumeTiming();
    if (!store->SaveInstances(kRun, fleet).ok()) state.SkipWithError("SaveInstances failed");
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_SaveInstances)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SaveBackupsBatched(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  fleetpatch::testing::TempDir dir;
  fleetpatch::testing::FakeClock clock;
  auto store = FreshStore(dir, clock, "backups.db");
  auto fleet = Fleet(n);
  if (!store->SaveInstances(kRun, fleet).ok()) std::abort();
  std::vector<BackupUpdate> batch;
  for (const auto& inst : fleet) {
    BackupResult b;
    b.status = BackupStatus::kAvailable;
    b.ami_id = "ami-0123456789abcdef0";
    b.ami_name = "fleetpatch-" + std::string(kRun) + "-" + inst.instance_id;
    b.snapshot_ids = {"snap-0123456789abcdef0"};
    b.duration_s = 412.5;
    batch.push_back({inst.zone, inst.instance_id, b});
  }
  for (auto _ : state) {
    if (!store->SaveBackups(kRun, batch).ok()) state.SkipWithError("SaveBackups failed");
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_SaveBackupsBatched)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

// One result per call: what a workflow that does not batch would pay per instance.
void BM_SavePatchSingle(benchmark::State& state) {
  fleetpatch::testing::TempDir dir;
  fleetpatch::testing::FakeClock clock;
  auto store = FreshStore(dir, clock, "single.db");
  auto fleet = Fleet(1000);
  if (!store->SaveInstances(kRun, fleet).ok()) std::abort();
  PatchResult p;
  p.status = PatchStatus::kSuccess;
  p.installed = 12;
  size_t i = 0;
  for (auto _ : state) {
    const auto& inst = fleet[i++ % fleet.size()];
    if (!store->SavePatch(kRun, inst.zone, inst.instance_id, p).ok()) state.SkipWithError("SavePatch failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SavePatchSingle)->Unit(benchmark::kMicrosecond);

void BM_LoadSnapshot(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  fleetpatch::testing::TempDir dir;
  fleetpatch::testing::FakeClock clock;
  auto store = FreshStore(dir, clock, "snapshot.db");
  auto fleet = Fleet(n);
  if (!store->SaveInstances(kRun, fleet).ok()) std::abort();
  // Every instance with all three results, as after a full run.
  std::vector<BackupUpdate> backups;
  std::vector<PrecheckUpdate> prechecks;
  std::vector<PatchUpdate> patches;
  for (const auto& inst : fleet) {
    BackupResult b;
    b.status = BackupStatus::kAvailable;
    b.ami_id = "ami-0123456789abcdef0";
    backups.push_back({inst.zone, inst.instance_id, b});
    PrecheckResult pc;
    pc.status = PrecheckStatus::kReady;
    pc.findings = {{"disk_free:/", "42%", ">= 10%", true}, {"load_per_cpu", "0.2", "<= 2", true}};
    prechecks.push_back({inst.zone, inst.instance_id, pc});
    PatchResult p;
    p.status = PatchStatus::kSuccess;
    p.command_id = "0b5c3f2e-1111-2222-3333-444455556666";
    patches.push_back({inst.zone, inst.instance_id, p});
  }
  if (!store->SaveBackups(kRun, backups).ok() || !store->SavePrechecks(kRun, prechecks).ok() ||
      !store->SavePatches(kRun, patches).ok()) {
    std::abort();
  }
  for (auto _ : state) {
    auto snap = store->LoadSnapshot(kRun);
    if (!snap.ok() || snap->instances.size() != static_cast<size_t>(n))
      state.SkipWithError("LoadSnapshot failed");
    benchmark::DoNotOptimize(snap);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_LoadSnapshot)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PendingBackupsQuery(benchmark::State& state) {
  fleetpatch::testing::TempDir dir;
  fleetpatch::testing::FakeClock clock;
  auto store = FreshStore(dir, clock, "query.db");
  auto fleet = Fleet(100000);
  if (!store->SaveInstances(kRun, fleet).ok()) std::abort();
  // 99% done: the resume query must find the remaining 1,000 quickly.
  std::vector<BackupUpdate> done;
  for (size_t i = 0; i < fleet.size(); ++i) {
    if (i % 100 == 0) continue;
    BackupResult b;
    b.status = BackupStatus::kAvailable;
    done.push_back({fleet[i].zone, fleet[i].instance_id, b});
  }
  if (!store->SaveBackups(kRun, done).ok()) std::abort();
  for (auto _ : state) {
    auto pending = store->PendingBackups(kRun);
    if (!pending.ok() || pending->size() != 1000) state.SkipWithError("PendingBackups failed");
  }
}
BENCHMARK(BM_PendingBackupsQuery)->Unit(benchmark::kMillisecond);

void BM_AppendEvent(benchmark::State& state) {
  fleetpatch::testing::TempDir dir;
  fleetpatch::testing::FakeClock clock;
  auto store = FreshStore(dir, clock, "events.db");
  Event e{0, "", "info", "zone-1", "i-10000001", "patch", "SendCommand accepted"};
  for (auto _ : state) {
    if (!store->AppendEvent(kRun, e).ok()) state.SkipWithError("AppendEvent failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AppendEvent)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fleetpatch::state

BENCHMARK_MAIN();
