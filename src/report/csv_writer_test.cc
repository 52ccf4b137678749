#include "report/csv_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "report/report_test_util.h"
#include "testing/testdata.h"

namespace fleetpatch::report {
namespace {

using Table = std::vector<std::vector<std::string>>;

// A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes, CR/LF allowed only
// inside quotes. Fails the test on anything else.
Table ParseRfc4180(const std::string& text) {
  Table rows;
  std::vector<std::string> row;
  std::string field;
  size_t i = 0;
  bool quoted = false, after_quote = false;
  while (i < text.size()) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        after_quote = true;
      } else {
        field += c;
      }
      ++i;
      continue;
    }
    if (c == ',') {
      row.push_back(field), field.clear(), after_quote = false;
    } else if (c == '\r') {
      EXPECT_TRUE(i + 1 < text.size() && text[i + 1] == '\n') << "bare CR at " << i;
      row.push_back(field), field.clear(), after_quote = false;
      rows.push_back(row), row.clear();
      ++i;
    } else if (c == '\n') {
      ADD_FAILURE() << "bare LF outside quotes at " << i;
    } else if (c == '"') {
      EXPECT_TRUE(field.empty() && !after_quote) << "quote inside an unquoted field at " << i;
      quoted = true;
    } else {
      EXPECT_FALSE(after_quote) << "text after a closing quote at " << i;
      field += c;
    }
    ++i;
  }
  EXPECT_FALSE(quoted) << "unterminated quoted field";
  EXPECT_TRUE(row.empty() && field.empty()) << "last record not terminated by CRLF";
  return rows;
}

// What a spreadsheet makes of an imported cell.
enum class CellKind { kText, kNumber, kFormula };
CellKind Classify(const std::string& cell) {
  if (cell.empty()) return CellKind::kText;
  char* end = nullptr;
  std::strtod(cell.c_str(), &end);
  if (end == cell.c_str() + cell.size() && cell.find_first_of(" \t\r\n") == std::string::npos)
    return CellKind::kNumber;
  switch (cell[0]) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return CellKind::kFormula;
    default:
      return CellKind::kText;
  }
}

struct Parsed {
  Table rows;
  std::map<std::string, size_t> col;
  const std::string& Cell(size_t row, const std::string& name) const { return rows.at(row).at(col.at(name)); }
};

Parsed RenderAndParse(const RunSnapshot& snap) {
  ReportData data(snap);
  Result<std::string> csv = CsvWriter().Render(data);
  EXPECT_TRUE(csv.ok());
  const std::string bom = "\xEF\xBB\xBF";
  EXPECT_EQ(csv->substr(0, 3), bom);
  Parsed p;
  p.rows = ParseRfc4180(csv->substr(3));
  for (size_t i = 0; i < CsvColumns().size(); ++i) p.col[std::string(CsvColumns()[i])] = i;
  return p;
}

TEST(CsvWriter, OneRowPerInstanceWithTheDocumentedColumns) {
  RunSnapshot snap = testutil::DemoSnapshot();
  Parsed p = RenderAndParse(snap);
  ASSERT_EQ(p.rows.size(), snap.instances.size() + 1);
  std::vector<std::string> header(CsvColumns().begin(), CsvColumns().end());
  EXPECT_EQ(p.rows[0], header);
  for (const auto& row : p.rows) EXPECT_EQ(row.size(), header.size());
  for (size_t i = 0; i < snap.instances.size(); ++i)
    EXPECT_EQ(p.Cell(i + 1, "instance_id"), snap.instances[i].info.instance_id);
}

TEST(CsvWriter, QuotedFieldsReadBackExactly) {
  Parsed p = RenderAndParse(testutil::DemoSnapshot());
  EXPECT_EQ(p.Cell(6, "name"), "app, \"quoted\"\nsecond line");
  EXPECT_EQ(p.Cell(2, "name"), testutil::kImgPayload);
  EXPECT_EQ(p.Cell(3, "name"), testutil::kScriptPayload);
  EXPECT_EQ(p.Cell(8, "name"), "日本語 ünïcødé");
}

TEST(CsvWriter, SpreadsheetSeesFormulaLikeValuesAsText) {
  Parsed p = RenderAndParse(testutil::DemoSnapshot());
  // Every cell of the file: none would be run as a formula.
  for (size_t r = 0; r < p.rows.size(); ++r)
    for (size_t c = 0; c < p.rows[r].size(); ++c)
      EXPECT_NE(Classify(p.rows[r][c]), CellKind::kFormula)
          << "row " << r << " column " << CsvColumns()[c] << ": " << p.rows[r][c];
  EXPECT_EQ(p.Cell(4, "name"), "'=HYPERLINK(\"http://example.invalid\",\"x\")");
  EXPECT_EQ(p.Cell(4, "ineligible_reason"), "'-SSM agent not online (ConnectionLost)");
  EXPECT_THAT(p.Cell(4, "tags"), ::testing::HasSubstr("Owner=+cmd|' /C calc'!A0"));  // not at the cell start
  EXPECT_EQ(p.Cell(7, "name"), "'\tbatch-worker");
}

TEST(CsvWriter, NumericColumnsStayNumbersEvenWhenNegative) {
  Parsed p = RenderAndParse(testutil::DemoSnapshot());
  EXPECT_EQ(p.Cell(5, "backup_duration_s"), "-1.5");
  EXPECT_EQ(Classify(p.Cell(5, "backup_duration_s")), CellKind::kNumber);
  EXPECT_EQ(p.Cell(1, "backup_duration_s"), "42.5");
  EXPECT_EQ(p.Cell(1, "patch_installed"), "12");
  EXPECT_EQ(p.Cell(1, "patch_installed_pending_reboot"), "2");
  EXPECT_EQ(p.Cell(6, "patch_failed"), "2");
  EXPECT_EQ(p.Cell(1, "patch_wave"), "0");
}

TEST(CsvWriter, TextCellThatLooksNegativeIsStillNeutralised) {
  RunSnapshot snap = testutil::DemoSnapshot();
  snap.instances[0].info.name = "-1";  // a Name tag is text, even when it looks like a number
  snap.instances[0].info.tags.clear();
  Parsed p = RenderAndParse(snap);
  EXPECT_EQ(p.Cell(1, "name"), "'-1");
}

TEST(CsvWriter, PhaseColumnsShowNotRunAndErrors) {
  Parsed p = RenderAndParse(testutil::DemoSnapshot());
  EXPECT_EQ(p.Cell(4, "backup_status"), "not_run");
  EXPECT_EQ(p.Cell(4, "ami_id"), "");
  EXPECT_EQ(p.Cell(2, "precheck_status"), "not_ready");
  EXPECT_EQ(p.Cell(2, "precheck_failed_thresholds"), "disk_free:/ is 4.2%, needs >= 10%");
  EXPECT_THAT(p.Cell(2, "precheck_findings"), ::testing::HasSubstr("disk_free:/ = 4.2% (>= 10%) FAIL"));
  EXPECT_EQ(p.Cell(2, "precheck_error_code"), "PrecheckNotReady");
  EXPECT_EQ(p.Cell(3, "backup_error_category"), "aws");
  EXPECT_EQ(p.Cell(3, "backup_error_code"), "InvalidParameterValue");
  EXPECT_EQ(p.Cell(5, "patch_error_message"), "the patch command did not finish within 3600 s");
  EXPECT_EQ(p.Cell(1, "snapshot_ids"), "snap-00a0000000000000011 snap-00a0000000000000012");
}

TEST(CsvWriter, ControlCharactersAndInvalidUtf8AreReplaced) {
  RunSnapshot snap = testutil::DemoSnapshot();
  snap.instances[0].info.name = std::string("a\0b\x1b\xff", 5);
  Parsed p = RenderAndParse(snap);
  EXPECT_EQ(p.Cell(1, "name"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(CsvField, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(CsvField("plain", true), "plain");
  EXPECT_EQ(CsvField("a,b", true), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\"", true), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("=1+1", true), "'=1+1");
  EXPECT_EQ(CsvField("-1", false), "-1");
  EXPECT_EQ(CsvField("\r", true), "\"'\r\"");
}

}  // namespace
}  // namespace fleetpatch::report

namespace fleetpatch::report {
namespace {

TEST(CsvColumnsDoc, EveryColumnIsDocumentedInOrder) {
  std::string doc = fleetpatch::testing::ReadFileOrDie(testutil::SourcePath("docs/reports.md"));
  size_t pos = 0;
  for (size_t i = 0; i < CsvColumns().size(); ++i) {
    std::string row = "| " + std::to_string(i + 1) + " | `" + std::string(CsvColumns()[i]) + "` |";
    size_t at = doc.find(row, pos);
    EXPECT_NE(at, std::string::npos) << "docs/reports.md lacks " << row;
    if (at != std::string::npos) pos = at;
  }
}

}  // namespace
}  // namespace fleetpatch::report
