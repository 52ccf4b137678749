// Runs AWS's protocol compliance suites (botocore's JSON form of the Smithy protocol tests) in
// ../shared/testdata/aws/protocols against the engine, one parameterised test per case. Every case
// outside botocore's ignore list runs; so do the listed ones this engine meets (all but request
// compression). Skipped cases show up as skipped, and ProtocolSuiteCounts prints and checks how
// many ran per file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "aws/protocol/encoding.h"
#include "aws/protocol/parser.h"
#include "aws/protocol/serializer.h"
#include "aws/protocol/service_model.h"
#include "testing/testdata.h"

namespace fleetpatch::aws::protocol {
namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;
namespace fs = std::filesystem;

struct Case {
  std::string file;      // e.g. "ec2-input.json", "legacy/query-output.json"
  std::string protocol;  // ec2, query, json
  bool input = true;
  int suite_index = 0;
  int case_index = 0;
  std::string id;               // may be empty for legacy cases
  std::string ignored_because;  // non-empty: skipped
  bool on_ignore_list = false;  // botocore skips it; may still run here (see LoadCases)
};

const std::vector<std::string> kFiles = {
    "ec2-input.json",           "ec2-output.json",        "query-input.json",
    "query-output.json",        "json-input.json",        "json-output.json",
    "legacy/ec2-input.json",    "legacy/ec2-output.json", "legacy/query-input.json",
    "legacy/query-output.json", "legacy/json-input.json", "legacy/json-output.json",
};

fs::path ProtocolsDir() { return fleetpatch::testing::AwsTestdataDir() / "protocols"; }

const OJson& LoadFile(const std::string& file) {
  static std::map<std::string, OJson> cache;
  auto it = cache.find(file);
  if (it == cache.end()) {
    it = cache.emplace(file, OJson::parse(fleetpatch::testing::ReadFileOrDie(ProtocolsDir() / file))).first;
  }
  return it->second;
}

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  if (!fs::exists(ProtocolsDir() / "protocol-tests-ignore-list.json")) {
    // A single case that fails, so missing test data is loud at discovery and at run time.
    cases.push_back(Case{.file = "MISSING"});
    return cases;
  }
  Json ignore =
      Json::parse(fleetpatch::testing::ReadFileOrDie(ProtocolsDir() / "protocol-tests-ignore-list.json"));
  for (const std::string& file : kFiles) {
    std::string base = fs::path(file).filename().string();
    std::string protocol = base.substr(0, base.find('-'));
    bool input = base.find("-input") != std::string::npos;
    std::string direction = input ? "input" : "output";
    std::set<std::string> ignored_suites, ignored_cases;
    for (const auto& s : ignore["general"].value(direction, Json::object()).value("suites", Json::array())) {
      ignored_suites.insert(s.get<std::string>());
    }
    if (ignore["protocols"].contains(protocol)) {
      for (const auto& c :
           ignore["protocols"][protocol].value(direction, Json::object()).value("cases", Json::array())) {
        ignored_cases.insert(c.get<std::string>());
      }
    }
    const OJson& suites = LoadFile(file);
    for (size_t si = 0; si < suites.size(); ++si) {
      const OJson& suite = suites[si];
      for (size_t ci = 0; ci < suite["cases"].size(); ++ci) {
        Case c{file,
               protocol,
               input,
               static_cast<int>(si),
               static_cast<int>(ci),
               suite["cases"][ci].value("id", std::string())};
        std::string desc = suite.value("description", "");
        if (ignored_suites.count(desc)) c.ignored_because = "suite '" + desc + "' is in the ignore list";
        if (!c.id.empty() && ignored_cases.count(c.id))
          c.ignored_because = "case " + c.id + " is in the ignore list";
        c.on_ignore_list = !c.ignored_because.empty();
        // Cases botocore skips still run here when the engine can meet them (idempotency tokens
        // come from an injected generator; Smithy's flattened-list naming; hosts with a path).
        // Only request compression stays skipped: fleetpatch never gzips request bodies.
        if (c.on_ignore_list) {
          if (desc.find("ContentEncoding") != std::string::npos) {
            c.ignored_because =
                "on the ignore list, and request compression (Content-Encoding: gzip) is not used";
          } else {
            c.ignored_because.clear();
          }
        }
        cases.push_back(std::move(c));
      }
    }
  }
  return cases;
}

const std::vector<Case>& AllCases() {
  static const std::vector<Case> cases = LoadCases();
  return cases;
}

// The model a case runs against: the suite's metadata and shapes plus the case's one operation.
ServiceModel CaseModel(const OJson& suite, const OJson& given) {
  OJson m;
  m["metadata"] = suite["metadata"];
  m["shapes"] = suite.value("shapes", OJson::object());
  m["operations"][given["name"].get<std::string>()] = given;
  auto model = ServiceModel::FromJson(m);
  EXPECT_TRUE(model.ok()) << (model.ok() ? "" : model.error().message);
  return std::move(model).value();
}

// JSON equality with a relative tolerance for floating-point numbers (timestamps with fractions).
bool JsonEqual(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    double x = a.get<double>(), y = b.get<double>();
    return x == y || std::fabs(x - y) <= 1e-9 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [k, v] : a.items()) {
      if (!b.contains(k) || !JsonEqual(v, b[k])) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!JsonEqual(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

std::string StripCharset(std::string v) {
  for (const char* suffix : {"; charset=utf-8", ";charset=utf-8"}) {
    if (auto p = v.find(suffix); p != std::string::npos) v.erase(p);
  }
  return v;
}

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.file << " suite " << c.suite_index << " case " << c.case_index << " " << c.id;
}

class ProtocolCompliance : public ::testing::TestWithParam<Case> {};

TEST_P(ProtocolCompliance, Case) {
  const Case& c = GetParam();
  ASSERT_NE(c.file, "MISSING") << "protocol test data not found under " << ProtocolsDir()
                               << " (set FP_TESTDATA_DIR)";
  if (!c.ignored_because.empty()) GTEST_SKIP() << c.ignored_because;

  const OJson& suite = LoadFile(c.file)[c.suite_index];
  const OJson& tc = suite["cases"][c.case_index];
  SCOPED_TRACE(c.file + ": " + suite.value("description", "") + " / " + tc.value("description", ""));
  ServiceModel model = CaseModel(suite, tc["given"]);
  std::string op = tc["given"]["name"];

  if (c.input) {
    const OJson& params = tc["params"];
    auto req = SerializeRequest(model, op, params,
                                [] { return std::string("00000000-0000-4000-8000-000000000000"); });
    ASSERT_TRUE(req.ok()) << req.error().message;
    const OJson& want = tc["serialized"];
    if (want.contains("method")) {
      EXPECT_EQ(req->method, want["method"].get<std::string>());
    }
    // The operation path joined to the endpoint's own path (clientEndpoint may carry one).
    std::string endpoint = suite.contains("clientEndpoint") ? suite["clientEndpoint"].get<std::string>()
                                                            : std::string("https://example.com");
    std::string url = ToHttpRequest(*req, endpoint).url;
    EXPECT_EQ(url.substr(url.find('/', url.find("://") + 3)), want["uri"].get<std::string>());
    if (want.contains("body") && want["body"].is_string()) {
      std::string body = want["body"];
      if (c.protocol == "json") {
        if (body.empty()) {
          EXPECT_TRUE(req->body.empty() || req->body == "{}") << req->body;
        } else {
          EXPECT_TRUE(JsonEqual(Json::parse(req->body), Json::parse(body)))
              << "got  " << req->body << "\nwant " << body;
        }
      } else {
        EXPECT_EQ(req->body, body);
      }
    }
    const OJson want_headers = want.value("headers", OJson::object());
    for (const auto& [name, value] : want_headers.items()) {
      const std::string* got = FindHeader(req->headers, name);
      ASSERT_NE(got, nullptr) << "missing header " << name;
      EXPECT_EQ(StripCharset(*got), StripCharset(value.get<std::string>())) << name;
    }
    for (const auto& name : want.value("requireHeaders", OJson::array())) {
      // Content-Length is set by the HTTP transport from the body it sends.
      if (name == "Content-Length") continue;
      EXPECT_NE(FindHeader(req->headers, name.get<std::string>()), nullptr) << "required header " << name;
    }
    for (const auto& name : want.value("forbidHeaders", OJson::array())) {
      EXPECT_EQ(FindHeader(req->headers, name.get<std::string>()), nullptr) << "forbidden header " << name;
    }
    if (want.contains("host")) {
      // "host" is the URL between the scheme and the operation path: the host with its prefix,
      // plus the endpoint's own path when it has one ("example.com/custom").
      std::string rest = url.substr(url.find("://") + 3);
      EXPECT_EQ(rest.substr(0, rest.size() - req->path.size()), want["host"].get<std::string>());
    }
    return;
  }

  const OJson& r = tc["response"];
  HttpResponse response;
  response.status = r.value("status_code", 200);
  const OJson response_headers = r.value("headers", OJson::object());
  for (const auto& [name, value] : response_headers.items()) {
    response.headers.emplace_back(name, value.get<std::string>());
  }
  response.body = r.value("body", "");
  // Event stream bodies are binary; the suites carry them base64-encoded.
  const OJson shapes = suite.value("shapes", OJson::object());
  for (const auto& [name, shape] : shapes.items()) {
    if (shape.value("eventstream", false)) response.body = Base64Decode(response.body).value_or("");
  }
  if (tc.contains("errorCode")) {
    ServiceError err = ParseErrorResponse(model, op, response);
    EXPECT_EQ(err.code, tc["errorCode"].get<std::string>());
    EXPECT_EQ(err.http_status, response.status);
    if (tc.contains("errorMessage")) {
      EXPECT_EQ(err.message, tc["errorMessage"].get<std::string>());
    }
    if (tc.contains("error")) {
      Json want = Json::parse(tc["error"].dump());
      EXPECT_TRUE(JsonEqual(err.members, want)) << "got  " << err.members.dump() << "\nwant " << want.dump();
    }
    return;
  }
  auto parsed = ParseResponse(model, op, response);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  Json got = std::move(parsed).value();
  got.erase("ResponseMetadata");
  Json want = Json::parse(tc.value("result", OJson::object()).dump());
  EXPECT_TRUE(JsonEqual(got, want)) << "got  " << got.dump() << "\nwant " << want.dump();
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.file + "_" + std::to_string(info.param.suite_index) + "_" +
                     std::to_string(info.param.case_index) +
                     (info.param.id.empty() ? "" : "_" + info.param.id);
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Suites, ProtocolCompliance, ::testing::ValuesIn(AllCases()), CaseName);

TEST(ProtocolSuiteCounts, EveryFileRunsCases) {
  ASSERT_TRUE(fs::exists(ProtocolsDir())) << "no protocol test data under " << ProtocolsDir();
  int total_ran = 0, total_ignored = 0, total_ran_despite_list = 0;
  for (const std::string& file : kFiles) {
    int ran = 0, ignored = 0, in_file = 0, ran_despite_list = 0;
    for (const auto& suite : LoadFile(file)) in_file += static_cast<int>(suite["cases"].size());
    for (const Case& c : AllCases()) {
      if (c.file != file) continue;
      if (c.ignored_because.empty()) {
        ++ran;
        if (c.on_ignore_list) ++ran_despite_list;
      } else {
        ++ignored;
      }
    }
    std::printf(
        "[protocols] %-26s %3d cases: %3d ran (%2d of them on botocore's ignore list), %d skipped "
        "(ignore list: request compression)\n",
        file.c_str(), in_file, ran, ran_despite_list, ignored);
    EXPECT_EQ(ran + ignored, in_file) << file;
    EXPECT_GT(ran, 0) << file;
    total_ran += ran;
    total_ignored += ignored;
    total_ran_despite_list += ran_despite_list;
  }
  std::printf("[protocols] total: %d ran (%d of them on botocore's ignore list), %d skipped\n", total_ran,
              total_ran_despite_list, total_ignored);
}

}  // namespace
}  // namespace fleetpatch::aws::protocol
