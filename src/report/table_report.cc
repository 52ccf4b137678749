#include "report/table_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <pugixml.hpp>
#include <sstream>
#include <string_view>

#include "report/csv_writer.h"
#include "report/html_assets.h"
#include "report/report_format.h"
#include "report/text_util.h"
#include "report/xml_util.h"

namespace fleetpatch::report {
namespace {

using nlohmann::json;

// A cell as text: strings as they are, numbers in their shortest form, booleans as true/false.
std::string CellText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return FormatNumber(v.get<double>());
  if (v.is_null()) return "";
  return DumpJson(v);
}

Status CheckShape(const std::vector<TableColumn>& columns, const std::vector<TableRow>& rows,
                  const std::string& what) {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].cells.size() != columns.size()) {
      return Error::Internal(fmt::format("{} row {} has {} cells for {} columns", what, i,
                                         rows[i].cells.size(), columns.size()));
    }
  }
  return OkStatus();
}

Status CheckReport(const TableReport& r) {
  FP_RETURN_IF_ERROR(CheckShape(r.columns, r.rows, r.kind));
  for (const auto& s : r.summaries) FP_RETURN_IF_ERROR(CheckShape(s.columns, s.rows, s.key));
  return OkStatus();
}

Status StreamStatus(const std::ostream& out) {
  return out ? OkStatus() : Error::Internal("writing the report failed");
}

json RowToJson(const std::vector<TableColumn>& columns, const TableRow& row) {
  json o = json::object();
  for (size_t c = 0; c < columns.size(); ++c) o[columns[c].key] = row.cells[c];
  if (!row.flag.empty()) o["flag"] = row.flag;
  return o;
}

json RowsToJson(const std::vector<TableColumn>& columns, const std::vector<TableRow>& rows) {
  json out = json::array();
  for (const auto& row : rows) out.push_back(RowToJson(columns, row));
  return out;
}

// `v` as DumpJson(document, 2) prints it `depth` levels deep (every line after the first indented).
void WriteNested(std::ostream& out, const json& v, int depth) {
  const std::string text = DumpJson(v, 2);
  const std::string newline = "\n" + std::string(2 * static_cast<size_t>(depth), ' ');
  size_t from = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; from = nl + 1, nl = text.find('\n', from))
    out.write(text.data() + from, static_cast<std::streamsize>(nl - from)) << newline;
  out.write(text.data() + from, static_cast<std::streamsize>(text.size() - from));
}

// Writes each row as DumpJson(RowToJson(row), 2) would print it two levels deep, without building
// the row's JSON object: its members in the order the object would sort them (keys by byte), each
// key's text made once, and each cell through one nlohmann serializer straight into the stream.
class RowJsonWriter {
 public:
  RowJsonWriter(std::ostream& out, const std::vector<TableColumn>& columns)
      : out_(out),
        serializer_(nlohmann::detail::output_adapter<char>(out), ' ', json::error_handler_t::replace) {
    std::map<std::string, size_t> by_key;  // as the object keeps them: sorted, a later column wins
    for (size_t c = 0; c < columns.size(); ++c) by_key[columns[c].key] = c;
    by_key.try_emplace("flag", kNone);
    for (const auto& [key, column] : by_key)
      members_.push_back({column, key == "flag", "\n      " + DumpJson(json(key)) + ": "});
  }

  void Write(const TableRow& row) {
    const char* sep = "{";
    for (const Member& m : members_) {
      const bool flag = m.is_flag && !row.flag.empty();  // the flag replaces a column named "flag"
      if (!flag && m.column == kNone) continue;
      out_ << sep << m.prefix;
      sep = ",";
      if (flag) {
        serializer_.dump(json(row.flag), false, false, 0);
      } else if (const json& v = row.cells[m.column]; v.is_structured() && !v.empty()) {
        WriteNested(out_, v, 3);
      } else {
        serializer_.dump(v, false, false, 0);
      }
    }
    out_ << (*sep == '{' ? "{}" : "\n    }");
  }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);
  struct Member {
    size_t column;  // kNone: no column of that name
    bool is_flag;
    std::string prefix;  // the line break, indent and quoted key
  };
  std::ostream& out_;
  nlohmann::detail::serializer<json> serializer_;
  std::vector<Member> members_;
};

// The "rows" array, one row at a time.
void WriteRows(std::ostream& out, const TableReport& r) {
  if (r.rows.empty()) {
    out << "[]";
    return;
  }
  RowJsonWriter writer(out, r.columns);
  out << "[";
  for (size_t i = 0; i < r.rows.size(); ++i) {
    out << (i ? ",\n    " : "\n    ");
    writer.Write(r.rows[i]);
  }
  out << "\n  ]";
}

std::string RowName(const TableReport& r, const TableRow& row) {
  std::string name;
  for (size_t c : r.name_columns) {
    if (c >= row.cells.size()) continue;
    name += (name.empty() ? "" : "/") + CellText(row.cells[c]);
  }
  return name;
}

// One <table> of the HTML view: a header row of titles, then the rows, flagged rows marked.
void HtmlTable(std::ostream& out, const std::vector<TableColumn>& columns,
               const std::vector<TableRow>& rows) {
  out << "<table><thead><tr>";
  for (const auto& c : columns) out << "<th>" << HtmlEscape(c.title) << "</th>";
  out << "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    out << (row.flag.empty() ? "<tr>" : "<tr class=\"flagged\" title=\"" + HtmlEscape(row.flag) + "\">");
    for (const auto& cell : row.cells) out << "<td>" << HtmlEscape(CellText(cell)) << "</td>";
    out << "</tr>\n";
  }
  out << "</tbody></table>\n";
}

void XmlRow(pugi::xml_node parent, const std::vector<TableColumn>& columns, const TableRow& row) {
  pugi::xml_node r = parent.append_child("row");
  if (!row.flag.empty()) SetAttr(r, "flag", row.flag);
  for (size_t c = 0; c < columns.size(); ++c) {
    pugi::xml_node cell = AddText(r, "cell", CellText(row.cells[c]));
    SetAttr(cell, "name", columns[c].key);
  }
}

void XmlRows(pugi::xml_node parent, const std::vector<TableColumn>& columns,
             const std::vector<TableRow>& rows) {
  for (const auto& row : rows) XmlRow(parent, columns, row);
}

// The JUnit test case of one row: a failure when the row is flagged.
void JunitCase(pugi::xml_node parent, const TableReport& r, const TableRow& row) {
  pugi::xml_node tc = parent.append_child("testcase");
  SetAttr(tc, "classname", "fleetpatch." + r.kind);
  SetAttr(tc, "name", RowName(r, row));
  if (row.flag.empty()) return;
  pugi::xml_node f = tc.append_child("failure");
  SetAttr(f, "message", row.flag);
  std::string details;
  for (size_t c = 0; c < r.columns.size(); ++c)
    details += r.columns[c].key + ": " + CellText(row.cells[c]) + "\n";
  f.append_child(pugi::node_pcdata).set_value(XmlSafeText(details).c_str());
}

// Prints each row as `add` builds it in a small document of its own, as the next child of `parent`:
// the whole table never exists as one XML tree.
template <typename AddRow>
void StreamRows(StreamedElement& parent, const std::vector<TableRow>& rows, AddRow add) {
  for (const auto& row : rows) {
    pugi::xml_document one;
    add(one, row);
    parent.Child(one.first_child());
  }
}

const char* Extension(ReportFormat f) {
  switch (f) {
    case ReportFormat::kCsv:
      return ".csv";
    case ReportFormat::kJson:
      return ".json";
    case ReportFormat::kHtml:
      return ".html";
    case ReportFormat::kXml:
      return ".xml";
    case ReportFormat::kJunit:
      return "-junit.xml";
  }
  return "";
}

Status WriteFormat(const TableReport& r, ReportFormat f, std::ostream& out) {
  switch (f) {
    case ReportFormat::kCsv:
      return WriteTableCsv(r, out);
    case ReportFormat::kJson:
      return WriteTableJson(r, out);
    case ReportFormat::kHtml:
      return WriteTableHtml(r, out);
    case ReportFormat::kXml:
      return WriteTableXml(r, out);
    case ReportFormat::kJunit:
      return WriteTableJunit(r, out);
  }
  return Error::Internal("unknown report format");
}

}  // namespace

Status WriteTableCsv(const TableReport& r, std::ostream& out) {
  FP_RETURN_IF_ERROR(CheckReport(r));
  out << "\xEF\xBB\xBF";  // UTF-8 byte order mark, as the run reports (spreadsheets read UTF-8 then)
  std::string line;
  for (const auto& c : r.columns) line += (line.empty() ? "" : ",") + CsvField(c.key, false);
  out << line << ",flag\r\n";
  for (const auto& row : r.rows) {
    line.clear();
    for (const auto& cell : row.cells)
      line += (line.empty() ? "" : ",") + CsvField(CellText(cell), cell.is_string());
    out << line << "," << CsvField(row.flag, true) << "\r\n";
  }
  return StreamStatus(out);
}

Status StreamTableJson(const TableReport& r, const json& extra, std::ostream& out) {
  FP_RETURN_IF_ERROR(CheckReport(r));
  json top = extra.is_object() ? extra : json::object();
  top["report_version"] = kReportVersion;
  top["kind"] = r.kind;
  top["generated_at"] = r.generated_at;
  json facts = json::object();
  for (const auto& [k, v] : r.facts) facts[k] = v;
  top["facts"] = std::move(facts);
  json summaries = json::object();
  for (const auto& s : r.summaries) summaries[s.key] = RowsToJson(s.columns, s.rows);
  top["summaries"] = std::move(summaries);
  top["rows"] = nullptr;  // holds the members' order (nlohmann sorts them); written row by row below
  const char* sep = "{\n  ";
  for (auto it = top.begin(); it != top.end(); ++it, sep = ",\n  ") {
    out << sep << DumpJson(json(it.key())) << ": ";
    if (it.key() == "rows")
      WriteRows(out, r);
    else
      WriteNested(out, it.value(), 1);
  }
  out << "\n}\n";
  return StreamStatus(out);
}

namespace {

// The key of a line that opens a top-level member of a document DumpJson(v, 2) printed: two
// spaces, then the quoted key (deeper lines are indented further; strings hold no raw newline).
std::optional<std::string> TopLevelKey(const std::string& line) {
  if (line.compare(0, 3, "  \"") != 0) return std::nullopt;
  size_t end = 3;
  while (end < line.size() && line[end] != '"') end += line[end] == '\\' ? 2 : 1;
  if (end >= line.size()) return std::nullopt;
  json key = json::parse(line.substr(2, end - 1), nullptr, /*allow_exceptions=*/false);
  if (!key.is_string()) return std::nullopt;
  return key.get<std::string>();
}

// Buffers the copy into large writes (std::cout writes through stdio call by call).
class BlockWriter {
 public:
  explicit BlockWriter(std::ostream& out) : out_(out) {}
  ~BlockWriter() { Flush(); }
  void Add(std::string_view text) {
    buf_.append(text);
    if (buf_.size() >= kBlock) Flush();
  }
  void Flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }

 private:
  static constexpr size_t kBlock = 1 << 16;
  std::ostream& out_;
  std::string buf_;
};

}  // namespace

Status CopyTableJson(const std::filesystem::path& path, const json& extra, std::ostream& out) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line) || line != "{")
    return Error::Internal("could not read the JSON report " + path.string());
  auto layout = [&] {
    return Error::Internal("the JSON report " + path.string() + " is not laid out as written");
  };
  const json extras = extra.is_object() ? extra : json::object();
  auto next_extra = extras.begin();
  BlockWriter w(out);
  const char* sep = "{\n  ";
  auto add_extras_before = [&](const std::string* key) {  // nullptr: all that are left
    for (; next_extra != extras.end() && (!key || next_extra.key() <= *key); ++next_extra) {
      if (key && next_extra.key() == *key) continue;  // the report's own member wins
      std::ostringstream member;
      WriteNested(member, next_extra.value(), 1);
      w.Add(sep);
      w.Add(DumpJson(json(next_extra.key())) + ": " + member.str());
      sep = ",\n  ";
    }
  };
  std::string pending;  // the member's latest line: its last one ends with the file's separator
  bool in_member = false, closed = false;
  while (!closed && std::getline(in, line)) {
    closed = line == "}";
    std::optional<std::string> key = closed ? std::nullopt : TopLevelKey(line);
    if (closed || key) {
      if (in_member && !closed && (pending.empty() || pending.back() != ',')) return layout();
      if (in_member) w.Add(std::string_view(pending).substr(0, pending.size() - (closed ? 0 : 1)));
      add_extras_before(key ? &*key : nullptr);
      if (closed) break;
      w.Add(sep);
      sep = ",\n  ";
      pending = line.substr(2);
      in_member = true;
    } else if (!in_member || (line.compare(0, 4, "    ") != 0 && line.compare(0, 3, "  ]") != 0 &&
                              line.compare(0, 3, "  }") != 0)) {
      return layout();
    } else {
      w.Add(pending);
      w.Add("\n");
      pending = std::move(line);
    }
  }
  if (!closed) return layout();
  w.Add("\n}\n");
  w.Flush();
  return StreamStatus(out);
}

Status WriteTableJson(const TableReport& r, std::ostream& out) {
  return StreamTableJson(r, json::object(), out);
}

Status WriteTableHtml(const TableReport& r, std::ostream& out) {
  FP_RETURN_IF_ERROR(CheckReport(r));
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
         "'unsafe-inline'\">\n"
      << "<title>" << HtmlEscape(r.title) << "</title>\n<style>" << kDashboardCss
      << "\ntr.flagged td{background:#fde8e8}</style></head><body>\n"
      << "<header><h1>" << HtmlEscape(r.title) << "</h1><p>Generated " << HtmlEscape(r.generated_at)
      << "</p></header>\n<main>\n<section class=\"facts\"><dl>";
  for (const auto& [k, v] : r.facts)
    out << "<dt>" << HtmlEscape(k) << "</dt><dd>" << HtmlEscape(CellText(v)) << "</dd>";
  out << "</dl></section>\n";
  for (const auto& s : r.summaries) {
    out << "<section><h2>" << HtmlEscape(s.title) << "</h2>\n";
    HtmlTable(out, s.columns, s.rows);
    out << "</section>\n";
  }
  out << "<section><h2>" << HtmlEscape(r.kind == "prune" ? "Images" : "Instances") << "</h2>\n";
  HtmlTable(out, r.columns, r.rows);
  out << "</section>\n</main></body></html>\n";
  return StreamStatus(out);
}

Status WriteTableXml(const TableReport& r, std::ostream& out) {
  FP_RETURN_IF_ERROR(CheckReport(r));
  out << kXmlDeclaration;
  StreamedElement root(out, r.kind.c_str(), 0);
  SetAttr(root.attributes(), "version", static_cast<int64_t>(kReportVersion));
  SetAttr(root.attributes(), "generated_at", r.generated_at);
  pugi::xml_document head;  // the facts and summaries: small
  pugi::xml_node facts = head.append_child("facts");
  for (const auto& [k, v] : r.facts) SetAttr(AddText(facts, "fact", CellText(v)), "name", k);
  root.Child(facts);
  for (const auto& s : r.summaries) {
    pugi::xml_node sum = head.append_child("summary");
    SetAttr(sum, "name", s.key);
    XmlRows(sum, s.columns, s.rows);
    root.Child(sum);
  }
  root.Open();
  StreamedElement rows(out, "rows", 1);
  StreamRows(rows, r.rows,
             [&](pugi::xml_node parent, const TableRow& row) { XmlRow(parent, r.columns, row); });
  rows.Close();
  root.Close();
  return StreamStatus(out);
}

Status WriteTableJunit(const TableReport& r, std::ostream& out) {
  FP_RETURN_IF_ERROR(CheckReport(r));
  const auto tests = static_cast<int64_t>(r.rows.size());
  const auto failures = static_cast<int64_t>(
      std::count_if(r.rows.begin(), r.rows.end(), [](const TableRow& row) { return !row.flag.empty(); }));
  out << kXmlDeclaration;
  StreamedElement suites(out, "testsuites", 0);
  SetAttr(suites.attributes(), "tests", tests);
  SetAttr(suites.attributes(), "failures", failures);
  suites.Open();
  StreamedElement suite(out, "testsuite", 1);
  SetAttr(suite.attributes(), "name", "fleetpatch " + r.kind);
  SetAttr(suite.attributes(), "tests", tests);
  SetAttr(suite.attributes(), "failures", failures);
  StreamRows(suite, r.rows, [&](pugi::xml_node parent, const TableRow& row) { JunitCase(parent, r, row); });
  suite.Close();
  suites.Close();
  return StreamStatus(out);
}

Result<std::vector<std::filesystem::path>> WriteTableReports(const TableReport& r,
                                                             const std::filesystem::path& dir,
                                                             const std::vector<ReportFormat>& formats,
                                                             const std::string& stamp) {
  FP_RETURN_IF_ERROR(ValidateRunIdForFileName(stamp));
  FP_RETURN_IF_ERROR(CheckReport(r));
  FP_RETURN_IF_ERROR(EnsurePrivateDirectory(dir));
  std::vector<std::filesystem::path> written;
  for (ReportFormat f : formats) {
    std::filesystem::path path = dir / ("fleetpatch-" + r.kind + "-" + stamp + Extension(f));
    FP_RETURN_IF_ERROR(WriteFileAtomic(path, [&](std::ostream& out) { return WriteFormat(r, f, out); }));
    written.push_back(std::move(path));
  }
  return written;
}

}  // namespace fleetpatch::report
