// SigV4 against AWS's published vectors (sigv4/ via botocore, sigv4-crt/v4 via aws-c-auth), plus
// sign -> verify round trips, in-process and over real HTTP (libcurl client, cpp-httplib server),
// and verification of requests signed by the AWS CLI.
#include "aws/sigv4.h"

#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/clock.h"
#include "common/crypto.h"
#include "testing/ci.h"
#include "testing/testdata.h"

namespace fleetpatch::aws {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAccessKeyId[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::chrono::system_clock::time_point VectorTime() {
  std::chrono::system_clock::time_point t;
  EXPECT_TRUE(ParseIso8601("2015-08-30T12:36:00Z", &t));
  return t;
}

// A raw HTTP request as the vector files write it: request line, headers (repeated, or folded onto
// indented continuation lines), blank line, body.
struct RawRequest {
  std::string head;  // request line + header lines, exactly as in the file (no final newline)
  std::string method;
  std::string target;  // raw: may hold spaces, UTF-8, "..", "//"
  Headers headers;     // folded lines joined with a space
  std::string body;
};

RawRequest ParseRawRequest(const std::string& text) {
  RawRequest r;
  size_t blank = text.find("\n\n");
  r.head = text.substr(0, blank);
  if (blank != std::string::npos) r.body = text.substr(blank + 2);
  while (!r.head.empty() && r.head.back() == '\n') r.head.pop_back();
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= r.head.size()) {
    size_t nl = r.head.find('\n', start);
    lines.push_back(r.head.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  // "GET /example space/ HTTP/1.1": the target may contain spaces, so cut at the first and last.
  const std::string& line = lines.at(0);
  size_t first = line.find(' ');
  size_t last = line.rfind(' ');
  r.method = line.substr(0, first);
  r.target = line.substr(first + 1, last - first - 1);
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (!l.empty() && (l[0] == ' ' || l[0] == '\t')) {
      r.headers.back().second += " " + l;  // obs-fold: the signer collapses the whitespace run
      continue;
    }
    size_t colon = l.find(':');
    r.headers.emplace_back(l.substr(0, colon), l.substr(colon + 1));
  }
  return r;
}

HttpRequest ToHttpRequest(const RawRequest& raw) {
  HttpRequest req;
  req.method = raw.method;
  req.url = "https://" + CanonicalHeaderValue(*FindHeader(raw.headers, "host")) + raw.target;
  req.headers = raw.headers;
  req.body = raw.body;
  return req;
}

// The signed request in the vectors' form: the original text, then each header the signer added.
std::string RenderSigned(const RawRequest& raw, const HttpRequest& signed_req, bool space_after_authorization,
                         bool always_blank_line) {
  std::string out = raw.head;
  for (size_t i = raw.headers.size(); i < signed_req.headers.size(); ++i) {
    const auto& [name, value] = signed_req.headers[i];
    out += "\n" + name + (space_after_authorization && name == "Authorization" ? ": " : ":") + value;
  }
  if (always_blank_line || !signed_req.body.empty()) out += "\n\n" + signed_req.body;
  return out;
}

std::string Slurp(const fs::path& p) { return fleetpatch::testing::ReadFileOrDie(p); }

// Value of the first "name:value" line of a canonical request or raw request, or "".
std::string LineValue(const std::string& text, const std::string& lower_name) {
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (lower.rfind(lower_name + ":", 0) == 0) return line.substr(lower_name.size() + 1);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return "";
}

std::string TestName(std::string s) {
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

ReceivedRequest ToReceived(const HttpRequest& req) {
  ReceivedRequest r;
  r.method = req.method;
  size_t scheme = req.url.find("://");
  size_t slash = req.url.find_first_of("/?", scheme + 3);
  r.target = slash == std::string::npos ? "/" : req.url.substr(slash);
  r.headers = req.headers;
  r.body = req.body;
  return r;
}

// ---------------------------------------------------------------------------------------------
// sigv4/ (botocore's copy of the AWS test suite): 34 cases, nested groups included.

struct SuiteCase {
  std::string name;  // path relative to the suite root, e.g. "normalize-path/get-space"
  fs::path dir;
};

// Failure messages name the case instead of dumping bytes.
void PrintTo(const SuiteCase& c, std::ostream* os) { *os << c.name; }

std::vector<SuiteCase> ListSigV4Cases() {
  std::vector<SuiteCase> cases;
  fs::path root = fleetpatch::testing::AwsTestdataDir() / "sigv4";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return cases;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_directory()) continue;
    std::string base = it->path().filename().string();
    if (fs::exists(it->path() / (base + ".req"))) {
      cases.push_back({fs::relative(it->path(), root).generic_string(), it->path()});
    }
  }
  std::sort(cases.begin(), cases.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return cases;
}

class SigV4SuiteTest : public ::testing::TestWithParam<SuiteCase> {
 protected:
  std::string File(const std::string& ext) const {
    return Slurp(GetParam().dir / (GetParam().dir.filename().string() + "." + ext));
  }
};

TEST(SigV4SuiteCount, EnumeratesAll34Cases) {
  auto cases = ListSigV4Cases();
  std::cout << "[ sigv4 ] " << cases.size() << " cases in "
            << (fleetpatch::testing::AwsTestdataDir() / "sigv4") << "\n";
  EXPECT_EQ(cases.size(), 34u) << "a case was added to or removed from the sigv4 suite";
}

// Credentials and token placement for a case, derived from its files: the token comes from the
// .req (signed), else from the .creq (signed; botocore's get-vanilla-with-session-token), else
// from the .sreq (added after signing, post-sts-header-after).
struct CaseSetup {
  Credentials creds;
  SigningParams params;
};

CaseSetup SetupFor(const RawRequest& raw, const std::string& creq, const std::string& sreq) {
  CaseSetup s;
  s.creds.access_key_id = kAccessKeyId;
  s.creds.secret_access_key = kSecret;
  s.params.region = "us-east-1";
  s.params.service = "service";
  s.params.time = VectorTime();
  if (const std::string* t = FindHeader(raw.headers, "x-amz-security-token")) {
    s.creds.session_token = *t;
  } else if (std::string t = LineValue(creq, "x-amz-security-token"); !t.empty()) {
    s.creds.session_token = t;
  } else if (std::string t = LineValue(sreq, "x-amz-security-token"); !t.empty()) {
    s.creds.session_token = t;
    s.params.omit_session_token = true;
  }
  return s;
}

TEST_P(SigV4SuiteTest, SignsByteForByte) {
  RawRequest raw = ParseRawRequest(File("req"));
  const std::string creq = File("creq");
  const std::string sreq = File("sreq");
  CaseSetup setup = SetupFor(raw, creq, sreq);
  HttpRequest req = ToHttpRequest(raw);
  auto result = SignRequest(req, setup.creds, setup.params);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->canonical_request, creq);
  EXPECT_EQ(result->string_to_sign, File("sts"));
  EXPECT_EQ(result->authorization, File("authz"));
  EXPECT_EQ(*FindHeader(req.headers, "authorization"), File("authz"));
}

// The .sreq files. One upstream case (get-vanilla-with-session-token) carries in its .sreq the
// signature of get-vanilla, not the one in its own .authz. We detect that from the files instead
// of listing names, and then still compare everything but the signature.
TEST_P(SigV4SuiteTest, SignedRequestMatchesSreq) {
  RawRequest raw = ParseRawRequest(File("req"));
  const std::string sreq = File("sreq");
  CaseSetup setup = SetupFor(raw, File("creq"), sreq);
  HttpRequest req = ToHttpRequest(raw);
  ASSERT_TRUE(SignRequest(req, setup.creds, setup.params).ok());
  std::string rendered =
      RenderSigned(raw, req, /*space_after_authorization=*/true, /*always_blank_line=*/false);
  const std::string authz = File("authz");
  std::string sreq_authz = LineValue(sreq, "authorization");
  if (!sreq_authz.empty() && sreq_authz[0] == ' ') sreq_authz.erase(0, 1);
  if (sreq_authz == authz) {
    EXPECT_EQ(rendered, sreq);
  } else {
    auto mask = [](std::string s) {
      size_t p = s.find("Signature=");
      if (p != std::string::npos) s.replace(p + 10, 64, std::string(64, 'x'));
      return s;
    };
    std::cout << "[ note ] " << GetParam().name << ": upstream .sreq signature differs from .authz; "
              << "comparing with the signature masked\n";
    EXPECT_EQ(mask(rendered), mask(sreq));
  }
}

// The server side accepts what the client produced, and the published .sreq when it is consistent.
TEST_P(SigV4SuiteTest, ServerVerifiesSignedRequest) {
  RawRequest raw = ParseRawRequest(File("req"));
  const std::string sreq_text = File("sreq");
  CaseSetup setup = SetupFor(raw, File("creq"), sreq_text);
  HttpRequest req = ToHttpRequest(raw);
  ASSERT_TRUE(SignRequest(req, setup.creds, setup.params).ok());
  ReceivedRequest received{req.method, raw.target, req.headers, req.body};
  auto verified = VerifyRequest(received, kSecret);
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  EXPECT_EQ(verified->access_key_id, kAccessKeyId);
  EXPECT_EQ(verified->region, "us-east-1");
  EXPECT_EQ(verified->service, "service");

  RawRequest sreq = ParseRawRequest(sreq_text);
  ReceivedRequest published{sreq.method, sreq.target, sreq.headers, sreq.body};
  auto published_result = VerifyRequest(published, kSecret);
  std::string sreq_authz = CanonicalHeaderValue(*FindHeader(sreq.headers, "authorization"));
  if (sreq_authz == File("authz")) {
    EXPECT_TRUE(published_result.ok()) << published_result.error().ToString();
  } else {
    ASSERT_FALSE(published_result.ok());
    EXPECT_EQ(published_result.error().aws_code, "SignatureDoesNotMatch");
  }
}

INSTANTIATE_TEST_SUITE_P(Vectors, SigV4SuiteTest, ::testing::ValuesIn(ListSigV4Cases()),
                         [](const auto& info) { return TestName(info.param.name); });

// ---------------------------------------------------------------------------------------------
// sigv4-crt/v4 (aws-c-auth): 38 cases; header signing compared in full.

std::vector<SuiteCase> ListCrtCases() {
  std::vector<SuiteCase> cases;
  fs::path root = fleetpatch::testing::AwsTestdataDir() / "sigv4-crt" / "v4";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return cases;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory() && fs::exists(entry.path() / "context.json")) {
      cases.push_back({entry.path().filename().string(), entry.path()});
    }
  }
  std::sort(cases.begin(), cases.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return cases;
}

TEST(SigV4CrtCount, EnumeratesAll38Cases) {
  auto cases = ListCrtCases();
  std::cout << "[ sigv4-crt ] " << cases.size() << " cases\n";
  EXPECT_EQ(cases.size(), 38u) << "a case was added to or removed from the sigv4-crt/v4 suite";
}

class SigV4CrtTest : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(SigV4CrtTest, HeaderSigningByteForByte) {
  const fs::path dir = GetParam().dir;
  auto ctx = nlohmann::json::parse(Slurp(dir / "context.json"));
  Credentials creds;
  creds.access_key_id = ctx["credentials"]["access_key_id"].get<std::string>();
  creds.secret_access_key = ctx["credentials"]["secret_access_key"].get<std::string>();
  creds.session_token = ctx["credentials"].value("token", "");
  SigningParams params;
  params.region = ctx["region"].get<std::string>();
  params.service = ctx["service"].get<std::string>();
  ASSERT_TRUE(ParseIso8601(ctx["timestamp"].get<std::string>(), &params.time));
  params.normalize_path = ctx.value("normalize", true);
  params.sign_body = ctx.value("sign_body", false);
  params.omit_session_token = ctx.value("omit_session_token", false);

  RawRequest raw = ParseRawRequest(Slurp(dir / "request.txt"));
  HttpRequest req = ToHttpRequest(raw);
  auto result = SignRequest(req, creds, params);
  ASSERT_TRUE(result.ok()) << result.error().message;
  int compared = 0;
  auto compare = [&](const char* file, const std::string& actual) {
    if (!fs::exists(dir / file)) return;
    ++compared;
    EXPECT_EQ(actual, Slurp(dir / file)) << file;
  };
  compare("header-canonical-request.txt", result->canonical_request);
  compare("header-string-to-sign.txt", result->string_to_sign);
  compare("header-signature.txt", result->signature);
  compare("header-signed-request.txt", RenderSigned(raw, req, false, true));
  EXPECT_EQ(compared, 4) << "header-signing files missing";

  ReceivedRequest received{req.method, raw.target, req.headers, req.body};
  VerifyOptions verify;
  verify.normalize_path = params.normalize_path;
  auto verified = VerifyRequest(received, creds.secret_access_key, verify);
  EXPECT_TRUE(verified.ok()) << verified.error().ToString();
}

TEST_P(SigV4CrtTest, PresignedQueryByteForByte) {
  const fs::path dir = GetParam().dir;
  if (!fs::exists(dir / "query-canonical-request.txt")) GTEST_SKIP() << "no presigned vectors";
  auto ctx = nlohmann::json::parse(Slurp(dir / "context.json"));
  Credentials creds;
  creds.access_key_id = ctx["credentials"]["access_key_id"].get<std::string>();
  creds.secret_access_key = ctx["credentials"]["secret_access_key"].get<std::string>();
  creds.session_token = ctx["credentials"].value("token", "");
  SigningParams params;
  params.region = ctx["region"].get<std::string>();
  params.service = ctx["service"].get<std::string>();
  ASSERT_TRUE(ParseIso8601(ctx["timestamp"].get<std::string>(), &params.time));
  params.normalize_path = ctx.value("normalize", true);
  params.omit_session_token = ctx.value("omit_session_token", false);
  RawRequest raw = ParseRawRequest(Slurp(dir / "request.txt"));
  HttpRequest req = ToHttpRequest(raw);
  const std::string url_before = req.url;
  auto result =
      PresignRequest(req, creds, params, std::chrono::seconds(ctx["expiration_in_seconds"].get<int>()));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->canonical_request, Slurp(dir / "query-canonical-request.txt"));
  EXPECT_EQ(result->string_to_sign, Slurp(dir / "query-string-to-sign.txt"));
  EXPECT_EQ(result->signature, Slurp(dir / "query-signature.txt"));
  ASSERT_EQ(req.url.rfind(url_before, 0), 0u) << "the URL must only be extended";
  std::string rendered = raw.method + " " + raw.target + req.url.substr(url_before.size()) + " HTTP/1.1" +
                         raw.head.substr(raw.head.find('\n')) + "\n\n" + raw.body;
  EXPECT_EQ(rendered, Slurp(dir / "query-signed-request.txt"));
}

INSTANTIATE_TEST_SUITE_P(Vectors, SigV4CrtTest, ::testing::ValuesIn(ListCrtCases()),
                         [](const auto& info) { return TestName(info.param.name); });

// ---------------------------------------------------------------------------------------------
// Building blocks.

TEST(SigV4Canonical, UriNormalisation) {
  EXPECT_EQ(CanonicalUri("", true), "/");
  EXPECT_EQ(CanonicalUri("/", true), "/");
  EXPECT_EQ(CanonicalUri("//example//", true), "/example/");
  EXPECT_EQ(CanonicalUri("//example//", false), "//example//");
  EXPECT_EQ(CanonicalUri("/a/./b/../c", true), "/a/c");
  EXPECT_EQ(CanonicalUri("/../..", true), "/");
  EXPECT_EQ(CanonicalUri("/a b/ሴ", true), "/a%20b/%E1%88%B4");
  // A wire path that is already encoded is encoded again, as AWS and botocore do.
  EXPECT_EQ(CanonicalUri("/my%20fn/a+b", true), "/my%2520fn/a%2Bb");
}

TEST(SigV4Canonical, QueryString) {
  EXPECT_EQ(CanonicalQueryString(""), "");
  EXPECT_EQ(CanonicalQueryString("b=2&a=1&c"), "a=1&b=2&c=");
  EXPECT_EQ(CanonicalQueryString("a=2&a=1&A=3"), "A=3&a=1&a=2");
  EXPECT_EQ(CanonicalQueryString("x=a b&y=%E1%88%B4&z=a%2Fb&&"), "x=a%20b&y=%E1%88%B4&z=a%2Fb");
  EXPECT_EQ(CanonicalQueryString("k=a/b:c"), "k=a%2Fb%3Ac");
}

TEST(SigV4Canonical, HeaderValue) {
  EXPECT_EQ(CanonicalHeaderValue("  a   b \t c  "), "a b c");
  EXPECT_EQ(CanonicalHeaderValue("value1\n  value2"), "value1 value2");
  EXPECT_EQ(CanonicalHeaderValue(""), "");
}

// ---------------------------------------------------------------------------------------------
// Client behaviour.

HttpRequest SampleRequest() {
  HttpRequest req;
  req.method = "POST";
  req.url = "https://ec2.us-east-1.amazonaws.com/";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  req.body = "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=a%20b";
  return req;
}

Credentials SampleCreds(bool with_token = true) {
  Credentials c;
  c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
  if (with_token) c.session_token = "FQoGZXIvYXdzEXAMPLETOKEN//////////wEaDEXAMPLE=";
  return c;
}

SigningParams SampleParams() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "ec2";
  p.time = VectorTime();
  return p;
}

TEST(SigV4Client, AddsHostFromUrlWithoutDefaultPort) {
  for (auto [url, host] : std::vector<std::pair<std::string, std::string>>{
           {"https://EC2.us-east-1.amazonaws.com/", "ec2.us-east-1.amazonaws.com"},
           {"https://ec2.us-east-1.amazonaws.com:443/", "ec2.us-east-1.amazonaws.com"},
           {"http://127.0.0.1:8080/x?y=1", "127.0.0.1:8080"},
           {"http://localhost:80", "localhost"},
           {"http://[::1]:9000/", "[::1]:9000"}}) {
    HttpRequest req = SampleRequest();
    req.url = url;
    auto r = SignRequest(req, SampleCreds(), SampleParams());
    ASSERT_TRUE(r.ok()) << url;
    ASSERT_NE(FindHeader(req.headers, "host"), nullptr);
    EXPECT_EQ(*FindHeader(req.headers, "host"), host) << url;
    EXPECT_THAT(r->canonical_request, HasSubstr("\nhost:" + host + "\n"));
  }
}

TEST(SigV4Client, SignsTokenAndBodyHashWhenAsked) {
  HttpRequest req = SampleRequest();
  SigningParams p = SampleParams();
  p.sign_body = true;
  auto r = SignRequest(req, SampleCreds(), p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->signed_headers, "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  EXPECT_EQ(*FindHeader(req.headers, "x-amz-content-sha256"), Sha256Hex(req.body));
  EXPECT_EQ(*FindHeader(req.headers, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(*FindHeader(req.headers, "X-Amz-Security-Token"), SampleCreds().session_token);
}

TEST(SigV4Client, ResigningReplacesPreviousHeaders) {
  HttpRequest req = SampleRequest();
  ASSERT_TRUE(SignRequest(req, SampleCreds(), SampleParams()).ok());
  SigningParams later = SampleParams();
  later.time += std::chrono::minutes(5);
  auto r = SignRequest(req, SampleCreds(), later);
  ASSERT_TRUE(r.ok());
  int authz = 0, dates = 0;
  for (const auto& [k, v] : req.headers) {
    authz += k == "Authorization";
    dates += k == "X-Amz-Date";
  }
  EXPECT_EQ(authz, 1);
  EXPECT_EQ(dates, 1);
  EXPECT_EQ(*FindHeader(req.headers, "x-amz-date"), "20150830T124100Z");
  EXPECT_TRUE(VerifyRequest(ToReceived(req), SampleCreds().secret_access_key).ok());
}

TEST(SigV4Client, ResigningWithLongTermKeysDropsOldToken) {
  HttpRequest req = SampleRequest();
  ASSERT_TRUE(SignRequest(req, SampleCreds(true), SampleParams()).ok());
  ASSERT_NE(FindHeader(req.headers, "x-amz-security-token"), nullptr);
  auto r = SignRequest(req, SampleCreds(false), SampleParams());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FindHeader(req.headers, "x-amz-security-token"), nullptr);
  EXPECT_EQ(r->signed_headers, "content-type;host;x-amz-date");
}

TEST(SigV4Client, SkipsHeadersTransportsRewrite) {
  HttpRequest req = SampleRequest();
  req.headers.emplace_back("User-Agent", "fleetpatch/0.1");
  req.headers.emplace_back("Expect", "100-continue");
  auto r = SignRequest(req, SampleCreds(false), SampleParams());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->signed_headers, "content-type;host;x-amz-date");
}

TEST(SigV4Client, FailuresLeaveRequestUnchangedAndSayWhy) {
  HttpRequest req = SampleRequest();
  const HttpRequest before = req;
  auto r = SignRequest(req, Credentials{}, SampleParams());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kAuth);
  EXPECT_EQ(req.headers, before.headers);
  req.url = "ec2.amazonaws.com/";
  r = SignRequest(req, SampleCreds(), SampleParams());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("URL"));
  SigningParams no_region = SampleParams();
  no_region.region.clear();
  req.url = "https://ec2.amazonaws.com/";
  EXPECT_FALSE(SignRequest(req, SampleCreds(), no_region).ok());
  EXPECT_EQ(req.headers, before.headers);
}

TEST(SigV4Client, PureFunctionOfInputs) {
  HttpRequest a = SampleRequest(), b = SampleRequest();
  auto ra = SignRequest(a, SampleCreds(), SampleParams());
  auto rb = SignRequest(b, SampleCreds(), SampleParams());
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->authorization, rb->authorization);
  EXPECT_EQ(a.headers, b.headers);
}

// ---------------------------------------------------------------------------------------------
// Server side: parsing and tamper detection.

TEST(SigV4Parse, ParsesAllParts) {
  auto p = ParseAuthorization(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
      "SignedHeaders=content-type;Host;x-amz-date, "
      "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(p->date, "20150830");
  EXPECT_EQ(p->region, "us-east-1");
  EXPECT_EQ(p->service, "iam");
  EXPECT_EQ(p->signed_headers, (std::vector<std::string>{"content-type", "host", "x-amz-date"}));
  EXPECT_EQ(p->signature, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  EXPECT_EQ(p->CredentialScope(), "20150830/us-east-1/iam/aws4_request");
  // Order of components is free, spaces after commas optional.
  auto q = ParseAuthorization(
      "AWS4-HMAC-SHA256 Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7,"
      "SignedHeaders=host,Credential=AKID/20150830/eu-west-1/sts/aws4_request");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->region, "eu-west-1");
}

TEST(SigV4Parse, RejectsMalformedWithoutEchoingSignature) {
  const std::string sig = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
  for (const std::string& bad : std::vector<std::string>{
           "", "AWS4-HMAC-SHA1 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=" + sig,
           "AWS4-HMAC-SHA256X Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=" + sig,
           "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + sig,
           "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, Signature=" + sig,
           "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host",
           "AWS4-HMAC-SHA256 Credential=A/20150830/r/s, SignedHeaders=host, Signature=" + sig,
           "AWS4-HMAC-SHA256 Credential=A/2015083/r/s/aws4_request, SignedHeaders=host, Signature=" + sig,
           "AWS4-HMAC-SHA256 Credential=A//r/s/aws4_request, SignedHeaders=host, Signature=" + sig,
           "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host;;x, Signature=" + sig,
           "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=" +
               sig.substr(1) + "g",
           "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=" + sig +
               "00",
           "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, Credential=B/20150830/r/s/aws4_request, "
           "SignedHeaders=host, Signature=" +
               sig,
           "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request SignedHeaders=host Signature=" + sig}) {
    auto p = ParseAuthorization(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().aws_code, "IncompleteSignature");
    EXPECT_EQ(p.error().category, ErrorCategory::kAuth);
    EXPECT_THAT(p.error().message, Not(HasSubstr(sig.substr(0, 16))));
  }
}

class SigV4VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpRequest req = SampleRequest();
    req.url = "https://ec2.us-east-1.amazonaws.com/path/x?b=2&a=%E1%88%B4";
    SigningParams p = SampleParams();
    p.sign_body = true;
    ASSERT_TRUE(SignRequest(req, SampleCreds(), p).ok());
    received_ = ToReceived(req);
    ASSERT_TRUE(VerifyRequest(received_, secret_).ok());
  }
  void ExpectRejected(const ReceivedRequest& r, const std::string& code) {
    auto v = VerifyRequest(r, secret_);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().aws_code, code) << v.error().message;
    EXPECT_EQ(v.error().category, ErrorCategory::kAuth);
    // No secret material in the message.
    EXPECT_THAT(v.error().message, Not(HasSubstr(secret_)));
    EXPECT_THAT(v.error().message, Not(HasSubstr(SampleCreds().session_token)));
    const std::string authz = *FindHeader(received_.headers, "authorization");
    EXPECT_THAT(v.error().message, Not(HasSubstr(authz.substr(authz.find("Signature=") + 10, 16))));
  }
  static void SetValue(Headers& h, const std::string& name, const std::string& value) {
    for (auto& [k, v] : h) {
      if (k == name) v = value;
    }
  }
  ReceivedRequest received_;
  std::string secret_ = SampleCreds().secret_access_key;
};

TEST_F(SigV4VerifyTest, AcceptsUntamperedAndReportsWhoSigned) {
  auto v = VerifyRequest(received_, secret_);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->access_key_id, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(v->service, "ec2");
  // Unsigned headers may change (proxies add them).
  ReceivedRequest r = received_;
  r.headers.emplace_back("User-Agent", "curl/7.88");
  r.headers.emplace_back("Accept", "*/*");
  EXPECT_TRUE(VerifyRequest(r, secret_).ok());
  // Header name case and extra whitespace do not matter.
  r = received_;
  for (auto& [k, v2] : r.headers) {
    if (k == "Content-Type") {
      k = "content-TYPE";
      v2 = "  application/x-www-form-urlencoded;   charset=utf-8 ";
    }
  }
  EXPECT_TRUE(VerifyRequest(r, secret_).ok());
}

TEST_F(SigV4VerifyTest, TamperedBodyFails) {
  ReceivedRequest r = received_;
  r.body += "&Extra=1";
  ExpectRejected(r, "SignatureDoesNotMatch");
  // Without x-amz-content-sha256 the body still counts through the payload hash.
  HttpRequest req = SampleRequest();
  ASSERT_TRUE(SignRequest(req, SampleCreds(), SampleParams()).ok());
  r = ToReceived(req);
  ASSERT_TRUE(VerifyRequest(r, secret_).ok());
  r.body[0] = 'a';
  ExpectRejected(r, "SignatureDoesNotMatch");
}

TEST_F(SigV4VerifyTest, TamperedHeaderFails) {
  ReceivedRequest r = received_;
  SetValue(r.headers, "Content-Type", "application/json");
  ExpectRejected(r, "SignatureDoesNotMatch");
  r = received_;
  SetValue(r.headers, "X-Amz-Security-Token", "another-token");
  ExpectRejected(r, "SignatureDoesNotMatch");
  r = received_;
  r.headers.emplace_back("content-type", "text/plain");  // a repeated signed header changes its value
  ExpectRejected(r, "SignatureDoesNotMatch");
  r = received_;
  std::erase_if(r.headers, [](const auto& h) { return h.first == "Content-Type"; });
  ExpectRejected(r, "IncompleteSignature");
}

TEST_F(SigV4VerifyTest, TamperedDateFails) {
  ReceivedRequest r = received_;
  SetValue(r.headers, "X-Amz-Date", "20150830T123601Z");
  ExpectRejected(r, "SignatureDoesNotMatch");
  SetValue(r.headers, "X-Amz-Date", "20150831T123600Z");
  ExpectRejected(r, "IncompleteSignature");  // no longer the Credential date
  SetValue(r.headers, "X-Amz-Date", "yesterday");
  ExpectRejected(r, "IncompleteSignature");
}

TEST_F(SigV4VerifyTest, TamperedTargetOrMethodFails) {
  for (const std::string target : {"/path/y?b=2&a=%E1%88%B4", "/path/x?b=3&a=%E1%88%B4", "/path/x?b=2"}) {
    ReceivedRequest r = received_;
    r.target = target;
    ExpectRejected(r, "SignatureDoesNotMatch");
  }
  ReceivedRequest r = received_;
  r.method = "PUT";
  ExpectRejected(r, "SignatureDoesNotMatch");
  // Query order and escaping style do not matter: it is the same request.
  r = received_;
  r.target = "/path/x?a=%e1%88%b4&b=2";
  EXPECT_TRUE(VerifyRequest(r, secret_).ok());
}

TEST_F(SigV4VerifyTest, WrongSecretOrUnknownKeyFails) {
  auto v = VerifyRequest(received_, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEz");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().aws_code, "SignatureDoesNotMatch");
  auto unknown = VerifyRequest(received_, [](std::string_view) { return std::optional<std::string>(); });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().aws_code, "InvalidClientTokenId");
  auto known = VerifyRequest(received_, [&](std::string_view id) -> std::optional<std::string> {
    if (id == "AKIAIOSFODNN7EXAMPLE") return secret_;
    return std::nullopt;
  });
  EXPECT_TRUE(known.ok());
}

TEST_F(SigV4VerifyTest, MissingOrTamperedAuthorizationFails) {
  ReceivedRequest r = received_;
  std::erase_if(r.headers, [](const auto& h) { return h.first == "Authorization"; });
  ExpectRejected(r, "MissingAuthenticationToken");
  r = received_;
  for (auto& [k, v] : r.headers) {
    if (k == "Authorization") v.replace(v.find("us-east-1"), 9, "us-west-2");
  }
  ExpectRejected(r, "SignatureDoesNotMatch");
  r = received_;
  for (auto& [k, v] : r.headers) {
    if (k == "Authorization") v.replace(v.find("content-type;"), 13, "");
  }
  ExpectRejected(r, "SignatureDoesNotMatch");  // dropping a header from SignedHeaders
  r = received_;
  for (auto& [k, v] : r.headers) {
    if (k == "Authorization") v.replace(v.find("host;"), 5, "");
  }
  ExpectRejected(r, "IncompleteSignature");  // host must be signed
  r = received_;
  SetValue(r.headers, "x-amz-content-sha256", Sha256Hex("other"));
  ExpectRejected(r, "SignatureDoesNotMatch");
}

TEST_F(SigV4VerifyTest, ClockSkewIsChecked) {
  VerifyOptions opts;
  opts.now = VectorTime() + std::chrono::minutes(14);
  EXPECT_TRUE(VerifyRequest(received_, secret_, opts).ok());
  opts.now = VectorTime() - std::chrono::minutes(16);
  auto v = VerifyRequest(received_, secret_, opts);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().aws_code, "RequestExpired");
  EXPECT_THAT(v.error().message, HasSubstr("clock"));
}

// ---------------------------------------------------------------------------------------------
// Over the wire: a libcurl client sends what SignRequest produced to a cpp-httplib server, which
// verifies it from what it received (raw request target, headers, body).

class CapturingServer {
 public:
  CapturingServer() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      ReceivedRequest r;
      r.method = req.method;
      r.target = req.target;
      for (const auto& [k, v] : req.headers) {
        // cpp-httplib adds these pseudo headers itself; they never went over the wire.
        if (k == "REMOTE_ADDR" || k == "REMOTE_PORT" || k == "LOCAL_ADDR" || k == "LOCAL_PORT") continue;
        r.headers.emplace_back(k, v);
      }
      r.body = req.body;
      {
        std::lock_guard<std::mutex> lock(mu_);
        received_.push_back(std::move(r));
      }
      res.status = 400;
      res.set_content("<ErrorResponse><Error><Code>Captured</Code></Error></ErrorResponse>", "text/xml");
    };
    server_.Get(".*", handler);
    server_.Post(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~CapturingServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<ReceivedRequest> Received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<ReceivedRequest> received_;
};

size_t DiscardBody(char*, size_t size, size_t nmemb, void*) { return size * nmemb; }

// Sends req with libcurl and returns the HTTP status (0 on transport failure).
long CurlSend(const HttpRequest& req) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  curl_slist* list = nullptr;
  for (const auto& [k, v] : req.headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, &curl_slist_free_all);
  curl_easy_setopt(curl.get(), CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, req.method.c_str());
  if (req.method == "POST") {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
  }
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, DiscardBody);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");
  if (curl_easy_perform(curl.get()) != CURLE_OK) return 0;
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  return status;
}

TEST(SigV4OverHttp, SignedByClientVerifiedByServer) {
  CapturingServer server;
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  std::vector<HttpRequest> sent;
  {
    HttpRequest post = SampleRequest();
    post.url = base + "/";
    sent.push_back(post);
    HttpRequest get;
    get.method = "GET";
    get.url = base + "/a%20b/c?Z=1&a=x%2Fy&empty=&b=%E1%88%B4";
    get.headers = {{"X-Custom", "  spaced   value "}};
    sent.push_back(get);
  }
  for (auto& req : sent) {
    SigningParams p = SampleParams();
    p.time = DefaultClock().Now();
    ASSERT_TRUE(SignRequest(req, SampleCreds(), p).ok());
    ASSERT_EQ(CurlSend(req), 400);
  }
  auto received = server.Received();
  ASSERT_EQ(received.size(), sent.size());
  for (size_t i = 0; i < received.size(); ++i) {
    VerifyOptions opts;
    opts.now = DefaultClock().Now();
    auto v = VerifyRequest(received[i], SampleCreds().secret_access_key, opts);
    EXPECT_TRUE(v.ok()) << received[i].method << " " << received[i].target << ": " << v.error().ToString();
    received[i].body += "x";
    EXPECT_FALSE(VerifyRequest(received[i], SampleCreds().secret_access_key, opts).ok());
  }
}

// Requests signed by botocore (the AWS CLI) verify too. Needs /usr/bin/aws (Debian's awscli).
TEST(SigV4OverHttp, AwsCliSignedRequestsVerify) {
  const char* aws = "/usr/bin/aws";
  FP_REQUIRE_OR_SKIP_OUTSIDE_CI(fs::exists(aws),
                                aws << " not installed: cannot check botocore-signed requests");
  CapturingServer server;
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(server.port());
  fleetpatch::testing::TempDir home;
  const Credentials creds = SampleCreds();
  std::string env = "env -i PATH=/usr/bin:/bin HOME=" + home.path().string() +
                    " AWS_ACCESS_KEY_ID=" + creds.access_key_id +
                    " AWS_SECRET_ACCESS_KEY=" + creds.secret_access_key + " AWS_SESSION_TOKEN='" +
                    creds.session_token + "' AWS_DEFAULT_REGION=eu-west-1 AWS_MAX_ATTEMPTS=1 AWS_PAGER= ";
  const std::vector<std::string> commands = {
      "sts get-caller-identity",
      "ec2 describe-instances --filters 'Name=tag:Name,Values=web server/*,a+b' --max-results 5",
      "ssm describe-instance-information --max-results 5",
      // A REST service: the path and query carry characters that need encoding.
      "lambda get-function --function-name 'my fn+x' --qualifier 'v 1/2+3'",
  };
  // The CLI takes about a second to start: run the three at once.
  std::string script = "(";
  for (const auto& cmd : commands) {
    script += env + aws + " --endpoint-url " + endpoint + " " + cmd + " >/dev/null 2>&1 & ";
  }
  script += "wait)";
  ASSERT_EQ(std::system(script.c_str()), 0);
  auto received = server.Received();
  ASSERT_EQ(received.size(), commands.size());
  std::vector<std::string> services;
  for (const auto& r : received) {
    auto v = VerifyRequest(r, creds.secret_access_key);
    ASSERT_TRUE(v.ok()) << r.method << " " << r.target << ": " << v.error().ToString();
    EXPECT_EQ(v->region, "eu-west-1");
    if (v->service == "lambda") {
      EXPECT_THAT(r.target, HasSubstr("my%20fn%2Bx"));  // the wire path is percent-encoded
      EXPECT_THAT(r.target, HasSubstr("Qualifier=v%201%2F2%2B3"));
    }
    services.push_back(v->service);
    ReceivedRequest tampered = r;
    tampered.body += " ";
    EXPECT_FALSE(VerifyRequest(tampered, creds.secret_access_key).ok());
  }
  std::sort(services.begin(), services.end());
  EXPECT_EQ(services, (std::vector<std::string>{"ec2", "lambda", "ssm", "sts"}));
}

}  // namespace
}  // namespace fleetpatch::aws
