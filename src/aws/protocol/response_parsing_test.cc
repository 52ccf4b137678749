// Real EC2 and STS XML responses (botocore's response-parsing suite) parsed with the real service
// models from ../shared/testdata/aws/models and compared with botocore's expected output. The
// expected files keep timestamps as the raw strings from the XML; the engine emits epoch seconds,
// so expected timestamps are converted (located by walking the output shape) before comparing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

#include "aws/protocol/encoding.h"
#include "aws/protocol/parser.h"
#include "aws/protocol/service_model.h"
#include "testing/testdata.h"

namespace fleetpatch::aws::protocol {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

const ServiceModel& FullModel(const std::string& service) {
  static std::map<std::string, ServiceModel> models;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  auto it = models.find(service);
  if (it == models.end()) {
    auto text = fleetpatch::testing::ReadFileOrDie(fleetpatch::testing::AwsTestdataDir() / "models" /
                                                   (service + "-service-2.json"));
    auto m = ServiceModel::Parse(text);
    EXPECT_TRUE(m.ok()) << service << ": " << (m.ok() ? "" : m.error().message);
    it = models.emplace(service, std::move(m).value()).first;
  }
  return it->second;
}

// "describe-instance-status" -> "DescribeInstanceStatus".
std::string OperationFromKebab(const std::string& kebab) {
  std::string out;
  bool upper = true;
  for (char c : kebab) {
    if (c == '-') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

// Converts raw timestamp strings in botocore's expected output to epoch seconds.
Json NormalizeExpected(const ServiceModel& model, const std::string& shape_name, const Json& v) {
  const Shape* shape = model.FindShape(shape_name);
  if (!shape) return v;
  switch (shape->type) {
    case ShapeType::kStructure: {
      if (!v.is_object()) return v;
      Json out = v;
      for (const auto& [name, ref] : shape->members) {
        if (v.contains(name)) out[name] = NormalizeExpected(model, ref.shape, v[name]);
      }
      return out;
    }
    case ShapeType::kList: {
      if (!v.is_array()) return v;
      Json out = Json::array();
      for (const auto& e : v) out.push_back(NormalizeExpected(model, shape->member.shape, e));
      return out;
    }
    case ShapeType::kMap: {
      if (!v.is_object()) return v;
      Json out = Json::object();
      for (const auto& [k, e] : v.items()) out[k] = NormalizeExpected(model, shape->value.shape, e);
      return out;
    }
    case ShapeType::kTimestamp:
      if (v.is_string()) {
        if (auto t = ParseTimestamp(v.get<std::string>())) {
          return std::floor(*t) == *t ? Json(static_cast<long long>(*t)) : Json(*t);
        }
      }
      return v;
    default:
      return v;
  }
}

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

fs::path XmlDir() { return fleetpatch::testing::AwsTestdataDir() / "response-parsing" / "xml"; }

std::vector<std::string> ResponseCases() {
  std::vector<std::string> names;
  // A single name that fails, so missing test data is loud at discovery and at run time.
  if (!fs::exists(XmlDir() / "responses")) return {"missing-test-data"};
  for (const auto& e : fs::directory_iterator(XmlDir() / "responses")) {
    if (e.path().extension() == ".xml") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class ResponseParsing : public ::testing::TestWithParam<std::string> {};

TEST_P(ResponseParsing, MatchesBotocore) {
  const std::string& name = GetParam();
  ASSERT_NE(name, "missing-test-data")
      << "response-parsing data not found under " << XmlDir() << " (set FP_TESTDATA_DIR)";
  std::string service = name.substr(0, name.find('-'));
  std::string operation = OperationFromKebab(name.substr(name.find('-') + 1));
  const ServiceModel& model = FullModel(service);
  const Operation* op = model.FindOperation(operation);
  ASSERT_NE(op, nullptr) << operation;

  HttpResponse response{
      200, {}, fleetpatch::testing::ReadFileOrDie(XmlDir() / "responses" / (name + ".xml"))};
  auto parsed = ParseResponse(model, operation, response);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  Json expected = Json::parse(fleetpatch::testing::ReadFileOrDie(XmlDir() / "responses" / (name + ".json")));
  Json metadata = expected.value("ResponseMetadata", Json::object());
  expected.erase("ResponseMetadata");
  if (op->output) expected = NormalizeExpected(model, op->output->shape, expected);
  if (!metadata.empty()) expected["ResponseMetadata"] = metadata;
  EXPECT_TRUE(JsonEqual(*parsed, expected)) << "got  " << parsed->dump(1) << "\nwant " << expected.dump(1);
}

INSTANTIATE_TEST_SUITE_P(Botocore, ResponseParsing, ::testing::ValuesIn(ResponseCases()),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(ResponseParsingCounts, AllPairsPresentAndRequiredOnesIncluded) {
  auto cases = ResponseCases();
  std::printf("[response-parsing] %zu XML response cases\n", cases.size());
  EXPECT_EQ(cases.size(), 73u);
  for (const char* required :
       {"ec2-describe-instances", "ec2-describe-instance-status", "sts-get-session-token"}) {
    EXPECT_NE(std::find(cases.begin(), cases.end(), required), cases.end()) << required;
  }
}

class ErrorParsing : public ::testing::TestWithParam<std::string> {};

TEST_P(ErrorParsing, MatchesBotocore) {
  const std::string& name = GetParam();
  std::string service = name.substr(0, name.find('-'));
  std::string operation = OperationFromKebab(name.substr(name.find('-') + 1));
  HttpResponse response{400, {}, fleetpatch::testing::ReadFileOrDie(XmlDir() / "errors" / (name + ".xml"))};
  ServiceError err = ParseErrorResponse(FullModel(service), operation, response);
  Json got;
  got["Error"]["Code"] = err.code;
  got["Error"]["Message"] = err.message;
  if (!err.type.empty()) got["Error"]["Type"] = err.type;
  got["ResponseMetadata"]["RequestId"] = err.request_id;
  Json expected = Json::parse(fleetpatch::testing::ReadFileOrDie(XmlDir() / "errors" / (name + ".json")));
  EXPECT_EQ(got, expected);
  EXPECT_EQ(err.http_status, 400);
}

INSTANTIATE_TEST_SUITE_P(Botocore, ErrorParsing,
                         ::testing::Values("ec2-describe-instances", "sts-get-session-token"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace fleetpatch::aws::protocol
