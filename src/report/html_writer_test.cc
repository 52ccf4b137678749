#include "report/html_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "report/report_test_util.h"
#include "report/summary.h"
#include "testing/ci.h"
#include "testing/testdata.h"

namespace fleetpatch::report {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testutil::RunCommand;

constexpr const char* kChromium = "/usr/bin/chromium";

std::string Render(const RunSnapshot& snap) {
  Result<std::string> out = HtmlWriter().Render(ReportData(snap));
  EXPECT_TRUE(out.ok());
  return out.ok() ? *out : "";
}

std::string Sha256Base64(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  out.resize(static_cast<size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest, static_cast<int>(len))));
  return out;
}

// The contents of every <tag ...>...</tag> element in raw HTML.
std::vector<std::string> ElementBodies(const std::string& html, const std::string& tag) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = html.find("<" + tag, pos)) != std::string::npos) {
    size_t open_end = html.find('>', pos);
    size_t close = html.find("</" + tag + ">", open_end);
    if (open_end == std::string::npos || close == std::string::npos) break;
    out.push_back(html.substr(open_end + 1, close - open_end - 1));
    pos = close;
  }
  return out;
}

TEST(HtmlWriter, CspForbidsNetworkAndPinsEveryInlineBlockByHash) {
  std::string html = Render(testutil::DemoSnapshot());
  std::string csp = DashboardCsp();
  EXPECT_THAT(csp, HasSubstr("default-src 'none'"));
  EXPECT_THAT(csp, Not(HasSubstr("unsafe-inline")));
  EXPECT_THAT(
      html, HasSubstr("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;;"));
  std::vector<std::string> styles = ElementBodies(html, "style");
  ASSERT_EQ(styles.size(), 1u);
  EXPECT_THAT(csp, HasSubstr("style-src 'sha256-" + Sha256Base64(styles[0]) + "'"));
  std::vector<std::string> scripts = ElementBodies(html, "script");
  ASSERT_EQ(scripts.size(), 3u);  // guard, data (JSON, not executed), table script
  EXPECT_THAT(csp, HasSubstr("'sha256-" + Sha256Base64(scripts[0]) + "'"));
  EXPECT_THAT(csp, HasSubstr("'sha256-" + Sha256Base64(scripts[2]) + "'"));
}

TEST(HtmlWriter, ReferencesNoExternalResources) {
  std::string html = Render(testutil::DemoSnapshot());
  // No element that would load something: no src/href/action/srcset/poster attributes at all.
  std::regex loader(R"(<[a-zA-Z][^>]*\s(src|href|action|srcset|poster|data|formaction)\s*=)",
                    std::regex::icase);
  std::smatch m;
  EXPECT_FALSE(std::regex_search(html, m, loader)) << m.str();
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  // The only URLs are the SVG namespace and the untrusted Name tag inside the escaped JSON data.
  std::regex url(R"(https?://[^\s"'<>\\]+)");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), url); it != std::sregex_iterator(); ++it) {
    std::string u = it->str();
    EXPECT_TRUE(u == "http://www.w3.org/2000/svg" || u == "http://example.invalid") << u;
  }
}

TEST(HtmlWriter, UntrustedTextIsEscapedAndDataCannotLeaveItsScriptElement) {
  std::string html = Render(testutil::DemoSnapshot());
  EXPECT_THAT(html, Not(HasSubstr(testutil::kImgPayload)));
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, Not(HasSubstr("<b>disk")));
  // Server-rendered parts (error list, events) show the payload as text.
  EXPECT_THAT(html, HasSubstr("<td class=\"wrap\">&lt;img src=x onerror=alert(1)&gt;</td>"));
  EXPECT_THAT(html, HasSubstr("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("CreateImage refused the request: &lt;script&gt;alert(2)&lt;/script&gt;"));
  // The JSON data element holds no <, > or & at all, and parses back to the original text.
  std::vector<std::string> scripts = ElementBodies(html, "script");
  ASSERT_EQ(scripts.size(), 3u);
  EXPECT_EQ(scripts[1].find_first_of("<>&"), std::string::npos);
  EXPECT_EQ(scripts[1].find("\xE2\x80\xA8"), std::string::npos);
  nlohmann::json data = nlohmann::json::parse(scripts[1]);
  EXPECT_EQ(data["instances"][1]["name"], testutil::kImgPayload);
  EXPECT_EQ(data["instances"][2]["name"], testutil::kScriptPayload);
}

TEST(HtmlWriter, ShowsSummaryCardsChartsErrorsAndRunDetails) {
  std::string html = Render(testutil::DemoSnapshot());
  EXPECT_THAT(html, HasSubstr("<title>fleetpatch run 20261125-194200-a1b2c3</title>"));
  EXPECT_THAT(html, HasSubstr("<div class=\"label\">Instances</div><div class=\"value\">9</div>"));
  EXPECT_THAT(html, HasSubstr("<h2>Errors (8)</h2>"));  // the degraded postcheck is one of them
  EXPECT_THAT(html, HasSubstr("<td>postcheck</td>"));
  EXPECT_THAT(html, HasSubstr("aria-label=\"Outcomes per phase\""));
  EXPECT_THAT(html, HasSubstr("aria-label=\"Instance outcomes per landing zone\""));
  EXPECT_THAT(html, HasSubstr("zone failed: AccessDenied"));
  EXPECT_THAT(html, HasSubstr("<dt>Started by</dt><dd>ops</dd>"));
  EXPECT_THAT(html, HasSubstr("&quot;min_disk_free_pct&quot;: 10"));
  EXPECT_THAT(html, Not(HasSubstr("style=\"")));  // inline style attributes would violate the CSP
}

// ---- Headless Chromium -------------------------------------------------------------------------

struct ChromiumRun {
  int rc = -1;
  std::string out;     // stdout (the DOM for --dump-dom)
  std::string log;     // stderr (Chromium's log, including console messages)
  nlohmann::json net;  // the NetLog
};

std::string Quote(const std::string& s) { return "'" + s + "'"; }

ChromiumRun RunChromium(const std::vector<std::string>& extra, const std::string& url) {
  fleetpatch::testing::TempDir profile;
  fs::path stderr_file = profile.path() / "stderr.txt";
  fs::path netlog = profile.path() / "netlog.json";
  std::string cmd = std::string("timeout 90 ") + kChromium +
                    " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                    " --disable-background-networking --disable-component-update --disable-sync"
                    " --enable-logging=stderr --v=0 --virtual-time-budget=3000"
                    " --user-data-dir=" +
                    Quote((profile.path() / "profile").string()) + " --log-net-log=" + Quote(netlog.string());
  for (const auto& a : extra) cmd += " " + a;
  cmd += " " + Quote(url) + " 2>" + Quote(stderr_file.string());
  ChromiumRun run;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return run;
  char buf[8192];
  size_t n;
  while ((n = ::fread(buf, 1, sizeof buf, p)) > 0) run.out.append(buf, n);
  int status = ::pclose(p);
  run.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (fs::exists(stderr_file)) run.log = fleetpatch::testing::ReadFileOrDie(stderr_file);
  if (fs::exists(netlog))
    run.net = nlohmann::json::parse(fleetpatch::testing::ReadFileOrDie(netlog), nullptr, false);
  return run;
}

// URLs the page itself requested (Chromium's own background requests carry no page initiator).
std::vector<std::string> PageRequests(const nlohmann::json& netlog) {
  std::vector<std::string> urls;
  if (!netlog.is_object() || !netlog.contains("constants")) {
    ADD_FAILURE() << "no readable NetLog";
    return urls;
  }
  int start_job = netlog["constants"]["logEventTypes"].value("URL_REQUEST_START_JOB", -1);
  for (const auto& e : netlog["events"]) {
    if (e.value("type", -2) != start_job || !e.contains("params")) continue;
    const auto& p = e["params"];
    if (p.contains("url") && p.value("initiator", "") != "not an origin") urls.push_back(p["url"]);
  }
  return urls;
}

// Console errors Chromium logged (uncaught exceptions, CSP refusals, failed loads).
std::vector<std::string> ConsoleErrors(const std::string& log) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    std::string line = log.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.find("CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos ||
        line.find("Refused to") != std::string::npos)
      lines.push_back(line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

std::string HtmlUnescape(std::string s) {
  const std::pair<const char*, const char*> kRefs[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", "\xC2\xA0"}, {"&amp;", "&"}};
  for (const auto& [from, to] : kRefs) {
    size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
      s.replace(pos, std::strlen(from), to);
      pos += std::strlen(to);
    }
  }
  return s;
}

class HtmlDashboardChromium : public ::testing::Test {
 protected:
  void SetUp() override {
    FP_REQUIRE_OR_SKIP_OUTSIDE_CI(fs::exists(kChromium),
                                  "Chromium is not installed at /usr/bin/chromium (make deps installs it)");
  }
};

TEST_F(HtmlDashboardChromium, DetectorsCatchRequestsAndErrorsOnAHostilePage) {
  // A control page proves the checks below can fail: it loads an image, fetches, and throws.
  fleetpatch::testing::TempDir dir;
  fs::path page = dir.path() / "control.html";
  std::ofstream(page) << "<!DOCTYPE html><html><body><img src=\"http://fleetpatch.invalid/x.png\">"
                         "<script>fetch('https://fleetpatch.invalid/api').catch(function(){});"
                         "throw new Error('control failure');</script></body></html>";
  ChromiumRun run = RunChromium({"--dump-dom"}, "file://" + page.string());
  ASSERT_EQ(run.rc, 0) << run.log;
  EXPECT_THAT(PageRequests(run.net), ::testing::Contains(HasSubstr("fleetpatch.invalid")));
  std::vector<std::string> errors = ConsoleErrors(run.log);
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr("control failure")));
}

TEST_F(HtmlDashboardChromium, LoadsOfflineSortsFiltersAndRunsNoInjectedCode) {
  RunSnapshot snap = testutil::DemoSnapshot();
  RunSummary summary = Summarize(snap);
  fs::path artifacts = testutil::BinaryPath("report-artifacts");
  fs::create_directories(artifacts);
  fs::path page = artifacts / "dashboard.html";
  std::ofstream(page, std::ios::binary) << Render(snap);

  ChromiumRun run = RunChromium({"--dump-dom"}, "file://" + page.string() + "#selftest&q=prod-us");
  ASSERT_EQ(run.rc, 0) << run.log;
  EXPECT_THAT(ConsoleErrors(run.log), ::testing::IsEmpty());
  EXPECT_THAT(PageRequests(run.net), ::testing::IsEmpty());
  const std::string& dom = run.out;
  // The guard script sets data-fp-problems on <html> on any script error or CSP violation.
  EXPECT_NE(dom.find("<html lang=\"en\"><head>"), std::string::npos) << "page reported problems";

  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("<div id=\"fp-selftest\">([^<]*)</div>")))
      << dom.substr(0, 2000);
  nlohmann::json res = nlohmann::json::parse(HtmlUnescape(m[1].str()), nullptr, false);
  ASSERT_TRUE(res.is_object()) << m[1].str();
  ASSERT_EQ(res.value("done", false), true);

  std::vector<std::string> ids;
  for (const auto& i : snap.instances) ids.push_back(i.info.instance_id);
  std::sort(ids.begin(), ids.end());
  std::string asc, desc;
  for (size_t k = 0; k < ids.size(); ++k) {
    asc += (k ? "," : "") + ids[k];
    desc += (k ? "," : "") + ids[ids.size() - 1 - k];
  }
  EXPECT_EQ(res["rows_total"], snap.instances.size());  // the table shows every instance
  EXPECT_EQ(res["sorted_asc"], asc);
  EXPECT_EQ(res["dom_first"], ids.front());
  EXPECT_EQ(res["sorted_desc"], desc);
  EXPECT_EQ(res["dom_first_desc"], ids.back());
  EXPECT_EQ(res["installed_asc"], "0,0,0,0,0,5,12,,");  // numeric order, instances without a patch last
  EXPECT_EQ(res["filter_text_rows"], 4);                // the four prod-us instances
  EXPECT_EQ(res["filter_failed_rows"], summary.overall.failed);
  EXPECT_EQ(res["rows_after_reset"], snap.instances.size());
  EXPECT_EQ(res["detail_rows"], 1);
  EXPECT_EQ(res["alerted"], false);
  EXPECT_EQ(res["problems"], nlohmann::json::array());
  // The payloads are shown literally, as text, in the table built by the script...
  ASSERT_EQ(res["names"].size(), snap.instances.size());
  for (size_t k = 0; k < snap.instances.size(); ++k) EXPECT_EQ(res["names"][k], snap.instances[k].info.name);
  EXPECT_NE(dom.find("<td class=\"wrap\">&lt;img src=x onerror=alert(1)&gt;</td>"), std::string::npos);
  EXPECT_NE(dom.find("<td class=\"wrap\">&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</td>"),
            std::string::npos);
  // ... and never became markup.
  EXPECT_EQ(dom.find("<img"), std::string::npos);
  EXPECT_EQ(dom.find("<script>alert"), std::string::npos);
}

TEST_F(HtmlDashboardChromium, WritesAScreenshotArtifact) {
  fs::path artifacts = testutil::BinaryPath("report-artifacts");
  fs::create_directories(artifacts);
  fs::path page = artifacts / "dashboard-screenshot.html";
  std::ofstream(page, std::ios::binary) << Render(testutil::DemoSnapshot());
  fs::path png = artifacts / "dashboard.png";
  fs::remove(png);
  ChromiumRun run =
      RunChromium({"--screenshot=" + Quote(png.string()), "--window-size=1400,1000", "--hide-scrollbars"},
                  "file://" + page.string());
  ASSERT_EQ(run.rc, 0) << run.log;
  ASSERT_TRUE(fs::exists(png)) << run.log;
  EXPECT_GT(fs::file_size(png), 20000u);  // a rendered page, not a blank image
  EXPECT_THAT(ConsoleErrors(run.log), ::testing::IsEmpty());
  std::cout << "dashboard screenshot: " << png.string() << "\n";
}

}  // namespace
}  // namespace fleetpatch::report
