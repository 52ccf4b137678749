#include "report/table_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <pugixml.hpp>
#include <sstream>

#include "common/json_dump.h"
#include "report/xml_util.h"

namespace fleetpatch::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TableReport Sample() {
  TableReport r;
  r.kind = "compliance";
  r.title = "t";
  r.generated_at = "2026-12-04T12:00:00Z";
  r.columns = {{"zone", "Zone"}, {"name", "Name"}, {"count", "Count"}, {"ok", "OK"}};
  r.rows = {{{"prod", "=HYPERLINK(\"x\")", 3, true}, ""},
            {{"prod", "<script>alert(1)</script> & \"q\"", 0, false}, "fails --fail-on: missing"}};
  r.facts = {{"instances", 2}};
  r.summaries = {
      {"by_zone", "By zone", {{"group", "Zone"}, {"instances", "Instances"}}, {{{"prod", 2}, ""}}}};
  return r;
}

std::string Render(Status (*fn)(const TableReport&, std::ostream&), const TableReport& r) {
  std::ostringstream out;
  Status st = fn(r, out);
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  return out.str();
}

TEST(TableReportTest, CsvGuardsFormulasAndQuotes) {
  std::string csv = Render(WriteTableCsv, Sample());
  EXPECT_THAT(csv, HasSubstr("zone,name,count,ok,flag\r\n"));
  EXPECT_THAT(csv, HasSubstr("prod,\"'=HYPERLINK(\"\"x\"\")\",3,true,\r\n"));
  EXPECT_THAT(csv, HasSubstr(",fails --fail-on: missing\r\n"));
}

TEST(TableReportTest, HtmlEscapesEveryCell) {
  std::string html = Render(WriteTableHtml, Sample());
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;"));
  EXPECT_THAT(html, HasSubstr("class=\"flagged\""));
  EXPECT_THAT(html, HasSubstr("<h2>By zone</h2>"));
}

TEST(TableReportTest, JsonIsStreamedAsNlohmannWouldDumpTheWholeDocument) {
  TableReport r = Sample();
  std::ostringstream out;
  ASSERT_TRUE(StreamTableJson(r, {{"exit_code", 1}, {"zone_errors", nlohmann::json::array()}}, out).ok());
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(out.str(), j.dump(2) + "\n");  // members sorted, nested values indented like one dump
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["rows"].size(), 2u);
  EXPECT_EQ(j["rows"][1]["name"], "<script>alert(1)</script> & \"q\"");
  r.rows.clear();
  EXPECT_EQ(Render(WriteTableJson, r), nlohmann::json::parse(Render(WriteTableJson, r)).dump(2) + "\n");
}

// The rows are written cell by cell, not as JSON objects: what a whole-document dump would print
// even for odd tables (a column named "flag", duplicate keys, nested and empty cell values, bytes
// that are not UTF-8, keys that sort before and after "flag").
TEST(TableReportTest, JsonRowsWrittenCellByCellEqualTheDumpOfTheDocument) {
  TableReport r;
  r.kind = "compliance";
  r.generated_at = "2026-12-04T12:00:00Z";
  r.columns = {{"zeta", "Z"}, {"flag", "F"}, {"alpha", "A"}, {"alpha", "A2"}, {"n", "N"}, {"Upper", "U"}};
  nlohmann::json nested = {{"b", {1, 2, {{"c", nullptr}}}}, {"a", nlohmann::json::object()}};
  r.rows = {{{"z\xFF\x01\"", "column flag", 1, 2, 0.5, nested}, ""},
            {{"z", "column flag", nlohmann::json::array(), nullptr, -3, true}, "row flag \u00e9"}};
  nlohmann::json doc = {{"report_version", 1},
                        {"kind", r.kind},
                        {"generated_at", r.generated_at},
                        {"facts", nlohmann::json::object()},
                        {"summaries", nlohmann::json::object()}};
  doc["rows"] = nlohmann::json::array();
  for (const auto& row : r.rows) {
    nlohmann::json o = nlohmann::json::object();
    for (size_t c = 0; c < r.columns.size(); ++c) o[r.columns[c].key] = row.cells[c];
    if (!row.flag.empty()) o["flag"] = row.flag;
    doc["rows"].push_back(o);
  }
  std::string written = Render(WriteTableJson, r);
  doc["report_version"] = nlohmann::json::parse(written)["report_version"];
  EXPECT_EQ(written, DumpJson(doc, 2) + "\n");
  r.columns.clear();  // rows of no cells: {}
  r.rows = {{{}, ""}};
  EXPECT_THAT(Render(WriteTableJson, r), HasSubstr("\"rows\": [\n    {}\n  ]"));
}

// --output json copies the JSON report file instead of serialising the rows again: the same text as
// StreamTableJson, with extra members sorting before, between and after the report's, one the
// report also has (the report's wins), and with no rows.
TEST(TableReportTest, CopyOfTheJsonFileWithExtrasEqualsTheStreamedDocument) {
  auto dir = std::filesystem::temp_directory_path() / ("fp-copy-json-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  nlohmann::json extra = {{"exit_code", 1},
                          {"reports", {"a.json", "b \"q\".csv"}},
                          {"kind", "not the report's"},
                          {"zone_errors", {{{"category", "aws"}, {"message", "x\ny"}}}},
                          {"aaa", nlohmann::json::object()}};
  for (bool rows : {true, false}) {
    TableReport r = Sample();
    if (!rows) r.rows.clear();
    auto path = dir / "report.json";
    {
      std::ofstream f(path, std::ios::binary);
      ASSERT_TRUE(WriteTableJson(r, f).ok());
    }
    std::ostringstream streamed, copied;
    ASSERT_TRUE(StreamTableJson(r, extra, streamed).ok());
    Status st = CopyTableJson(path, extra, copied);
    ASSERT_TRUE(st.ok()) << st.error().ToString();
    EXPECT_EQ(copied.str(), streamed.str());
    std::ostringstream plain;
    ASSERT_TRUE(CopyTableJson(path, nlohmann::json(), plain).ok());
    EXPECT_EQ(plain.str(), Render(WriteTableJson, r));
  }
  // Not a file WriteTableJson wrote: a truncated one, a missing one, another layout.
  std::string whole = Render(WriteTableJson, Sample());
  for (const std::string& text :
       {whole.substr(0, whole.size() / 2), std::string("[1]\n"), std::string("{\n\"a\": 1\n}\n"),
        std::string("{\n  \"a\": 1\n  \"b\": 2\n}\n")}) {
    std::ofstream(dir / "bad.json", std::ios::binary) << text;
    std::ostringstream out;
    EXPECT_FALSE(CopyTableJson(dir / "bad.json", extra, out).ok()) << text;
  }
  std::ostringstream out;
  EXPECT_FALSE(CopyTableJson(dir / "missing.json", extra, out).ok());
  std::filesystem::remove_all(dir);
}

TEST(TableReportTest, JsonKeepsTypes) {
  auto j = nlohmann::json::parse(Render(WriteTableJson, Sample()));
  EXPECT_EQ(j["kind"], "compliance");
  EXPECT_EQ(j["rows"][0]["count"], 3);
  EXPECT_EQ(j["rows"][0]["ok"], true);
  EXPECT_EQ(j["rows"][1]["flag"], "fails --fail-on: missing");
  EXPECT_EQ(j["summaries"]["by_zone"][0]["instances"], 2);
  EXPECT_EQ(j["facts"]["instances"], 2);
}

TEST(TableReportTest, XmlAndJunitAreStreamedAsPugixmlWouldSaveTheWholeDocument) {
  for (auto write : {WriteTableXml, WriteTableJunit}) {
    for (bool empty : {false, true}) {
      TableReport r = Sample();
      if (empty) r.rows.clear();
      std::string text = Render(write, r);
      pugi::xml_document whole;
      ASSERT_TRUE(whole.load_string(text.c_str())) << text;
      std::ostringstream again;  // the parse drops the declaration: compare what follows it
      whole.save(again, "  ", pugi::format_default | pugi::format_no_declaration, pugi::encoding_utf8);
      ASSERT_EQ(text.rfind(kXmlDeclaration, 0), 0u) << text;
      EXPECT_EQ(text.substr(std::string(kXmlDeclaration).size()), again.str());
    }
  }
}

TEST(TableReportTest, XmlAndJunitAreWellFormedAndFlagRowsFail) {
  std::string xml = Render(WriteTableXml, Sample());
  EXPECT_THAT(xml, HasSubstr("<compliance version=\"1\""));
  EXPECT_THAT(xml, HasSubstr("&lt;script&gt;"));
  std::string junit = Render(WriteTableJunit, Sample());
  EXPECT_THAT(junit, HasSubstr("tests=\"2\""));
  EXPECT_THAT(junit, HasSubstr("failures=\"1\""));
  EXPECT_THAT(junit, HasSubstr("<failure message=\"fails --fail-on: missing\""));
}

TEST(TableReportTest, ARowOfTheWrongShapeIsAnErrorNotAFile) {
  TableReport r = Sample();
  r.rows[1].cells.pop_back();
  std::ostringstream out;
  EXPECT_FALSE(WriteTableCsv(r, out).ok());
  auto dir = std::filesystem::temp_directory_path() / ("fp-table-" + std::to_string(::getpid()));
  auto written = WriteTableReports(r, dir, {ReportFormat::kCsv}, "20261204-120000");
  EXPECT_FALSE(written.ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "fleetpatch-compliance-20261204-120000.csv"));
  std::filesystem::remove_all(dir);
}

TEST(TableReportTest, WritesEveryFormatOwnerOnly) {
  auto dir = std::filesystem::temp_directory_path() / ("fp-table-ok-" + std::to_string(::getpid()));
  auto written = WriteTableReports(Sample(), dir, AllReportFormats(), "20261204-120000");
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  ASSERT_EQ(written->size(), 5u);
  EXPECT_EQ((*written)[4].filename(), "fleetpatch-compliance-20261204-120000-junit.xml");
  for (const auto& p : *written) {
    struct stat st {};
    ASSERT_EQ(::stat(p.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600) << p;
  }
  EXPECT_FALSE(WriteTableReports(Sample(), dir, AllReportFormats(), "../escape").ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fleetpatch::report
