// Tests of streamed report writing: reports read from the state store in small batches
// (StoreSource) are byte for byte the reports of the same run in memory, a failure in the middle
// of a report leaves neither a half-written file nor a temporary file, and the summary's single
// pass gives what the per-instance definitions give.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "common/json_dump.h"
#include "report/report_test_util.h"
#include "report/report_writer.h"
#include "report/run_source.h"
#include "report/xml_util.h"
#include "state/sqlite_state_store.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"

namespace fleetpatch::report {
namespace {

namespace fs = std::filesystem;

// `v` with invalid UTF-8 replaced: the demo run carries hostile bytes that the store's JSON
// encoding refuses (the workflow only ever stores text parsed from AWS's responses, which is valid).
template <class T>
T ValidUtf8(const T& v) {
  return nlohmann::json::parse(DumpJson(nlohmann::json(v))).template get<T>();
}

// The demo run saved into a store, as the workflow would have saved it.
class StoreReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = state::SqliteStateStore::Open((dir_.path() / "state.db").string(), clock_);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(store).value();
    RunSnapshot demo = testutil::DemoSnapshot();
    demo.run = ValidUtf8(demo.run);
    for (auto& z : demo.zones) z = ValidUtf8(z);
    for (auto& e : demo.events) e = ValidUtf8(e);
    for (auto& r : demo.instances) {
      r.info = ValidUtf8(r.info);
      if (r.backup) r.backup = ValidUtf8(*r.backup);
      if (r.precheck) r.precheck = ValidUtf8(*r.precheck);
      if (r.patch) r.patch = ValidUtf8(*r.patch);
    }
    run_id_ = demo.run.run_id;
    ASSERT_TRUE(store_->CreateRun(demo.run).ok());
    ASSERT_TRUE(store_->SaveZones(run_id_, demo.zones).ok());
    std::vector<InstanceInfo> infos;
    std::vector<state::BackupUpdate> backups;
    std::vector<state::PrecheckUpdate> prechecks;
    std::vector<state::PatchUpdate> patches;
    for (const InstanceRun& r : demo.instances) {
      infos.push_back(r.info);
      if (r.backup) backups.push_back({r.info.zone, r.info.instance_id, *r.backup});
      if (r.precheck) prechecks.push_back({r.info.zone, r.info.instance_id, *r.precheck});
      if (r.patch) patches.push_back({r.info.zone, r.info.instance_id, *r.patch});
    }
    ASSERT_TRUE(store_->SaveInstances(run_id_, infos).ok());
    ASSERT_TRUE(store_->SaveBackups(run_id_, backups).ok());
    ASSERT_TRUE(store_->SavePrechecks(run_id_, prechecks).ok());
    ASSERT_TRUE(store_->SavePatches(run_id_, patches).ok());
    ASSERT_TRUE(store_->AppendEvents(run_id_, demo.events).ok());
    ASSERT_GT(demo.instances.size(), 3u);
    ASSERT_GT(demo.zones.size(), 1u);
  }

  fleetpatch::testing::TempDir dir_;
  fleetpatch::testing::FakeClock clock_;
  std::unique_ptr<state::SqliteStateStore> store_;
  std::string run_id_;
};

TEST_F(StoreReportsTest, StreamedFromTheStoreInSmallBatchesEqualsTheReportOfTheWholeRunInMemory) {
  auto snap = store_->LoadSnapshot(run_id_);
  ASSERT_TRUE(snap.ok());
  const RunSummary whole = Summarize(*snap);
  for (size_t batch : {1u, 2u, 3u, 1000u}) {
    auto source = StoreSource::Open(*store_, run_id_, batch);
    ASSERT_TRUE(source.ok()) << source.error().ToString();
    auto summary = Summarize(**source);
    ASSERT_TRUE(summary.ok()) << summary.error().ToString();
    EXPECT_EQ(summary->instances, whole.instances);
    EXPECT_EQ(summary->errors.size(), whole.errors.size());
    EXPECT_EQ(summary->events, static_cast<int64_t>(snap->events.size()));
    ReportData streamed(**source, *summary, "2026-11-25T20:00:00Z");
    ReportData in_memory(*snap, "2026-11-25T20:00:00Z");
    for (ReportFormat f : AllReportFormats()) {
      auto writer = MakeReportWriter(f);
      auto a = writer->Render(streamed);
      auto b = writer->Render(in_memory);
      ASSERT_TRUE(a.ok() && b.ok()) << ReportFormatName(f);
      EXPECT_TRUE(*a == *b) << ReportFormatName(f) << " differs with batch " << batch;
    }
  }
}

TEST_F(StoreReportsTest, WritesFilesFromTheStoreInsideOneReadSnapshot) {
  fs::path out = dir_.path() / "reports";
  std::vector<fs::path> written;
  Status s = store_->ReadConsistently([&]() -> Status {
    FP_ASSIGN_OR_RETURN(auto source, StoreSource::Open(*store_, run_id_, 2));
    FP_ASSIGN_OR_RETURN(RunSummary summary, Summarize(*source));
    FP_ASSIGN_OR_RETURN(written, WriteReports(*source, summary, out, AllReportFormats()));
    return OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  ASSERT_EQ(written.size(), 5u);
  auto snap = store_->LoadSnapshot(run_id_);
  ASSERT_TRUE(snap.ok());
  for (const fs::path& p : written) {
    ReportFormat f = ReportFormat::kCsv;
    for (ReportFormat g : AllReportFormats())
      if (MakeReportWriter(g)->FileName(run_id_) == p.filename().string()) f = g;
    auto want = MakeReportWriter(f)->Render(ReportData(*snap));
    ASSERT_TRUE(want.ok());
    EXPECT_TRUE(fleetpatch::testing::ReadFileOrDie(p) == *want) << p;
  }
}

TEST_F(StoreReportsTest, AnUnknownRunIsNotFound) {
  auto source = StoreSource::Open(*store_, "20990101-000000-ffffff");
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().category, ErrorCategory::kNotFound);
}

// A source that fails after `fail_after` instances, like a store whose disk goes away mid-report.
class FailingSource final : public RunSource {
 public:
  FailingSource(const RunSnapshot& snap, int fail_after) : inner_(snap), fail_after_(fail_after) {}
  const RunInfo& run() const override { return inner_.run(); }
  const std::vector<LandingZoneInfo>& zones() const override { return inner_.zones(); }
  Status ForEachInstance(const std::string& zone, const InstanceFn& fn) const override {
    int seen = 0;
    return inner_.ForEachInstance(zone, [&](const InstanceRun& inst) -> Status {
      if (seen++ == fail_after_) return Error::Internal("state store: disk I/O error");
      return fn(inst);
    });
  }
  Status ForEachEvent(const EventFn& fn) const override { return inner_.ForEachEvent(fn); }

 private:
  SnapshotSource inner_;
  int fail_after_;
};

TEST(StreamedWrite, AnErrorInTheMiddleKeepsThePreviousFileAndLeavesNoTemporaryFile) {
  fleetpatch::testing::TempDir tmp;
  RunSnapshot snap = testutil::DemoSnapshot();
  auto first = WriteReports(snap, tmp.path(), AllReportFormats());
  ASSERT_TRUE(first.ok());
  std::vector<std::string> before;
  for (const auto& p : *first) before.push_back(fleetpatch::testing::ReadFileOrDie(p));

  // The summary pass is over the healthy run; the formats' passes then fail after 2 instances.
  FailingSource failing(snap, 2);
  const RunSummary summary = Summarize(snap);
  for (ReportFormat f : AllReportFormats()) {
    auto r = WriteReports(failing, summary, tmp.path(), {f});
    ASSERT_FALSE(r.ok()) << ReportFormatName(f);
    EXPECT_THAT(r.error().message, ::testing::HasSubstr("disk I/O error"));
  }
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(tmp.path())) names.insert(e.path().filename().string());
  EXPECT_EQ(names.size(), 5u);  // the five earlier reports, no .tmp- file
  for (const auto& n : names) EXPECT_EQ(n.find(".tmp-"), std::string::npos) << n;
  for (size_t i = 0; i < first->size(); ++i)
    EXPECT_EQ(fleetpatch::testing::ReadFileOrDie((*first)[i]), before[i]) << (*first)[i];
}

TEST(StreamedWrite, ContentLargerThanTheStreamBufferIsWrittenWhole) {
  fleetpatch::testing::TempDir tmp;
  std::string big;
  for (int i = 0; i < 300000; ++i) big += static_cast<char>('a' + i % 26);
  fs::path p = tmp.path() / "big.txt";
  Status s = WriteFileAtomic(p, [&](std::ostream& out) -> Status {
    out << big.substr(0, 10);                                      // buffered
    out.write(big.data() + 10, 200000);                            // larger than the buffer
    for (size_t i = 200010; i < big.size(); ++i) out.put(big[i]);  // one by one through overflow
    return OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(fleetpatch::testing::ReadFileOrDie(p) == big);
}

// A write that fails (here: the file size limit, as a full disk would) is an error naming the
// write, and leaves neither the target nor a temporary file. In a child process, so the limit and
// the ignored SIGXFSZ stay there.
TEST(StreamedWrite, AFailingWriteIsAnErrorAndLeavesNoFile) {
  fleetpatch::testing::TempDir tmp;
  const fs::path p = tmp.path() / "r.json";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit {};
    limit.rlim_cur = limit.rlim_max = 4096;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(2);
    // As the writers do: stop at the first failed write.
    Status s = WriteFileAtomic(p, [](std::ostream& out) -> Status {
      for (int i = 0; i < 10000; ++i) {
        out << "0123456789";
        if (!out) return Error::Internal("writing the report failed");
      }
      return OkStatus();
    });
    ::_exit(!s.ok() && s.error().message.find("cannot write") != std::string::npos ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

// The single-pass summary agrees with the per-instance definitions (InstanceOutcome) that the
// formats use for each row, for every instance of the demo run and for each zone.
TEST(StreamedSummary, OverallCountsMatchThePerInstanceOutcomes) {
  RunSnapshot snap = testutil::DemoSnapshot();
  RunSummary s = Summarize(snap);
  OutcomeCounts overall;
  std::map<std::string, OutcomeCounts> per_zone;
  PatchTotals totals;
  for (const InstanceRun& inst : snap.instances) {
    Outcome o = InstanceOutcome(inst, s.phases_present);
    overall.Add(o);
    per_zone[inst.info.zone].Add(o);
    if (inst.patch) {
      totals.any = true;
      totals.installed += inst.patch->installed;
      totals.failed += inst.patch->failed;
    }
  }
  for (Outcome o : kAllOutcomes) EXPECT_EQ(s.overall.Get(o), overall.Get(o)) << OutcomeName(o);
  for (const ZoneSummary& z : s.zones)
    for (Outcome o : kAllOutcomes) EXPECT_EQ(z.overall.Get(o), per_zone[z.zone].Get(o)) << z.zone;
  EXPECT_EQ(s.patch_totals.any, totals.any);
  EXPECT_EQ(s.patch_totals.installed, totals.installed);
  EXPECT_EQ(s.patch_totals.failed, totals.failed);
  EXPECT_EQ(s.events, static_cast<int64_t>(snap.events.size()));
}

}  // namespace
}  // namespace fleetpatch::report

namespace fleetpatch::report {
namespace {

// StreamedElement prints what pugixml prints for the whole tree: empty containers, text-only
// children, nested children and hostile attribute/text values.
TEST(StreamedXml, PrintsWhatPugixmlPrintsForTheWholeDocument) {
  const std::string hostile = std::string("a<b>&\"'\t\r\nc ") + testutil::kScriptPayload + "\xC3\xA9";
  pugi::xml_document whole;
  pugi::xml_node decl = whole.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = whole.append_child("root");
  SetAttr(root, "name", hostile);
  pugi::xml_node empty = root.append_child("empty");
  SetAttr(empty, "n", int64_t{0});
  pugi::xml_node list = root.append_child("list");
  for (int i = 0; i < 3; ++i) {
    pugi::xml_node item = list.append_child("item");
    SetAttr(item, "v", hostile);
    AddText(item, "text", hostile);
    AddText(item, "blank", "");
    pugi::xml_node nested = item.append_child("nested");
    SetAttr(AddText(nested, "deep", hostile), "k", hostile);
  }

  std::ostringstream streamed;
  streamed << kXmlDeclaration;
  StreamedElement r(streamed, "root", 0);
  SetAttr(r.attributes(), "name", hostile);
  {
    StreamedElement e(streamed, "empty", 1);
    SetAttr(e.attributes(), "n", int64_t{0});
    r.Open();
    e.Close();
  }
  StreamedElement l(streamed, "list", 1);
  for (pugi::xml_node item : list.children()) {
    pugi::xml_document piece;
    l.Child(piece.append_copy(item));
  }
  l.Close();
  r.Close();
  EXPECT_EQ(streamed.str(), SaveXml(whole));
}

}  // namespace
}  // namespace fleetpatch::report
