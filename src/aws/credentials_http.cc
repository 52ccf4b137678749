#include "aws/credentials_http.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/strings.h"

namespace fleetpatch::aws {

namespace {

std::string TrimRight(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// The URL without its query string or fragment, for messages.
std::string UrlForMessage(const std::string& url) {
  size_t q = url.find_first_of("?#");
  return q == std::string::npos ? url : url.substr(0, q);
}

bool IsRetryable(const Result<HttpResponse>& r) { return !r.ok() || r->status >= 500; }

struct ParsedUrl {
  std::string scheme;
  std::string host;  // lower-case, without [] for IPv6
};

std::optional<ParsedUrl> ParseUrl(const std::string& url) {
  size_t sep = url.find("://");
  if (sep == std::string::npos || sep == 0) return std::nullopt;
  ParsedUrl p;
  p.scheme = Lower(url.substr(0, sep));
  size_t start = sep + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  size_t at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    p.host = authority.substr(1, close - 1);
  } else {
    p.host = authority.substr(0, authority.find(':'));
  }
  p.host = Lower(p.host);
  if (p.host.empty()) return std::nullopt;
  return p;
}

bool IsAllowedHttpHost(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    uint32_t a = ntohl(v4.s_addr);
    if ((a >> 24) == 127) return true;  // 127.0.0.0/8
    return host == "169.254.170.2" || host == "169.254.170.23";
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    in6_addr eks{};
    inet_pton(AF_INET6, "fd00:ec2::23", &eks);
    return std::memcmp(&v6, &eks, sizeof v6) == 0;
  }
  return false;
}

// Every request to a credential endpoint goes through here: never through a proxy (HTTP_PROXY
// would otherwise see the metadata token and the credentials in clear text).
Result<HttpResponse> SendWithAttempts(HttpTransport& http, HttpRequest request, const HttpOptions& options,
                                      int attempts) {
  request.direct = true;
  Result<HttpResponse> r = Error::Internal("no attempt made");
  for (int i = 0; i < std::max(1, attempts); ++i) {
    r = http.Send(request, options);
    if (!IsRetryable(r)) break;
  }
  return r;
}

}  // namespace

Result<Credentials> ParseHttpCredentials(const std::string& body, const std::string& source,
                                         bool require_success_code) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Error::Auth(source + " did not answer with a JSON object");
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (require_success_code) {
    std::string code = str("Code");
    if (code != "Success") {
      // The Code is a short status word (e.g. "AssumeRoleUnauthorizedAccess"), not a secret.
      std::string shown = code.size() <= 64 ? code : code.substr(0, 64);
      return Error::Auth(source + " reported Code \"" + shown +
                         "\": check the instance profile's role and its trust policy");
    }
  }
  Credentials c;
  c.access_key_id = str("AccessKeyId");
  c.secret_access_key = str("SecretAccessKey");
  c.session_token = str("Token");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return Error::Auth(source + " answered without AccessKeyId/SecretAccessKey");
  }
  std::string expiration = str("Expiration");
  if (!expiration.empty()) {
    std::chrono::system_clock::time_point t;
    if (!ParseIso8601(expiration, &t))
      return Error::Auth(source + " answered an Expiration that is not ISO 8601");
    c.expiration = t;
  }
  c.source = source;
  return c;
}

// ---- container ----

ContainerCredentialsProvider::ContainerCredentialsProvider(EnvLookup env, HttpTransport& http,
                                                           Options options)
    : env_(std::move(env)), http_(http), options_(options) {}

bool ContainerCredentialsProvider::IsConfigured(const EnvLookup& env) {
  return !GetEnv(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").empty() ||
         !GetEnv(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI").empty();
}

Result<std::string> ContainerCredentialsProvider::ResolveUrl(const EnvLookup& env) {
  std::string relative = GetEnv(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  if (!relative.empty()) {
    if (relative[0] != '/') relative = "/" + relative;
    return "http://169.254.170.2" + relative;
  }
  std::string full = GetEnv(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (full.empty()) {
    return Error::Config(
        "container credentials are not configured: set AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or "
        "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  }
  auto parsed = ParseUrl(full);
  if (!parsed || (parsed->scheme != "http" && parsed->scheme != "https")) {
    return Error::Config("AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL");
  }
  if (parsed->scheme == "http" && !IsAllowedHttpHost(parsed->host)) {
    return Error::Config("AWS_CONTAINER_CREDENTIALS_FULL_URI host '" + parsed->host +
                         "' is not allowed over plain http: use https, a loopback address, 169.254.170.2, "
                         "169.254.170.23 or fd00:ec2::23");
  }
  return full;
}

Result<Credentials> ContainerCredentialsProvider::GetCredentials() {
  FP_ASSIGN_OR_RETURN(std::string url, ResolveUrl(env_));
  HttpRequest req;
  req.method = "GET";
  req.url = url;
  req.headers.emplace_back("Accept", "application/json");

  std::string token;
  std::string token_file = GetEnv(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  if (!token_file.empty()) {
    std::ifstream f(token_file, std::ios::binary);
    if (!f) {
      return Error::Auth("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + token_file +
                         ": check that the file exists and is readable");
    }
    std::ostringstream ss;
    ss << f.rdbuf();
    token = TrimRight(ss.str());
  } else {
    token = GetEnv(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  if (token.find_first_of("\r\n") != std::string::npos) {
    return Error::Auth("the container authorization token contains a line break; it must be a single line");
  }
  if (!token.empty()) req.headers.emplace_back("Authorization", token);

  HttpOptions http_options;
  http_options.connect_timeout = options_.timeout;
  http_options.total_timeout = options_.timeout;
  const std::string shown = UrlForMessage(url);
  auto resp = SendWithAttempts(http_, req, http_options, options_.attempts);
  if (!resp.ok()) {
    Error e = Error::Auth("could not reach the container credentials endpoint " + shown + ": " +
                          resp.error().message);
    e.retryable = true;
    return e;
  }
  if (resp->status != 200) {
    Error e = Error::Auth(
        "the container credentials endpoint " + shown + " answered HTTP " + std::to_string(resp->status) +
        (resp->status == 401 || resp->status == 403 ? ": check AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)"
                                                    : ": check the task role / pod identity association"));
    e.http_status = resp->status;
    return e;
  }
  return ParseHttpCredentials(resp->body, "container credentials endpoint", /*require_success_code=*/false);
}

// ---- IMDS ----

namespace {
constexpr char kTokenPath[] = "/latest/api/token";
constexpr char kRolesPath[] = "/latest/meta-data/iam/security-credentials/";
}  // namespace

ImdsCredentialsProvider::ImdsCredentialsProvider(EnvLookup env, HttpTransport& http, Clock& clock,
                                                 Options options)
    : env_(std::move(env)), http_(http), clock_(clock), options_(options) {
  endpoint_ = GetEnv(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (endpoint_.empty()) {
    endpoint_ = Lower(GetEnv(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")) == "ipv6"
                    ? "http://[fd00:ec2::254]"
                    : "http://169.254.169.254";
  }
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
}

bool ImdsCredentialsProvider::IsDisabled(const EnvLookup& env) {
  return Lower(GetEnv(env, "AWS_EC2_METADATA_DISABLED")) == "true";
}

Result<HttpResponse> ImdsCredentialsProvider::SendWithRetry(HttpRequest request) {
  HttpOptions http_options;
  http_options.connect_timeout = options_.timeout;
  http_options.total_timeout = options_.timeout;
  return SendWithAttempts(http_, request, http_options, options_.attempts);
}

Result<std::string> ImdsCredentialsProvider::Token(bool force_refresh) {
  std::lock_guard<std::mutex> lock(token_mu_);
  auto now = clock_.SteadyNow();
  if (!force_refresh && (token_v1_fallback_ || !token_.empty()) && now < token_expiry_) {
    return token_v1_fallback_ ? std::string() : token_;
  }
  HttpRequest req;
  req.method = "PUT";
  req.url = endpoint_ + kTokenPath;
  req.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", std::to_string(options_.token_ttl_s));
  FP_ASSIGN_OR_RETURN(HttpResponse resp, SendWithRetry(req));
  // Re-use the token until shortly before the TTL ends, so a request never carries a stale one.
  auto margin = std::min<std::chrono::seconds>(std::chrono::seconds(60),
                                               std::chrono::seconds(options_.token_ttl_s / 10));
  if (resp.status == 200 && !resp.body.empty()) {
    token_ = resp.body;
    token_v1_fallback_ = false;
    token_expiry_ = now + std::chrono::seconds(options_.token_ttl_s) - margin;
    return token_;
  }
  if (resp.status == 403 || resp.status == 404 || resp.status == 405 || resp.status >= 500) {
    if (Lower(GetEnv(env_, "AWS_EC2_METADATA_V1_DISABLED")) == "true") {
      return Error::Auth("the instance metadata service refused a session token (HTTP " +
                         std::to_string(resp.status) + ") and AWS_EC2_METADATA_V1_DISABLED forbids IMDSv1");
    }
    token_.clear();
    token_v1_fallback_ = true;
    token_expiry_ = now + std::chrono::seconds(options_.token_ttl_s) - margin;
    return std::string();
  }
  return Error::Auth("the instance metadata service answered HTTP " + std::to_string(resp.status) +
                     " to the IMDSv2 token request (PUT " + kTokenPath + ")");
}

Result<HttpResponse> ImdsCredentialsProvider::Get(const std::string& path) {
  for (int attempt = 0;; ++attempt) {
    FP_ASSIGN_OR_RETURN(std::string token, Token(/*force_refresh=*/attempt > 0));
    HttpRequest req;
    req.method = "GET";
    req.url = endpoint_ + path;
    if (!token.empty()) req.headers.emplace_back("X-aws-ec2-metadata-token", token);
    FP_ASSIGN_OR_RETURN(HttpResponse resp, SendWithRetry(req));
    // 401: the token expired or the instance rebooted; fetch a new one once.
    if (resp.status == 401 && attempt == 0) continue;
    return resp;
  }
}

Result<std::optional<Credentials>> ImdsCredentialsProvider::Fetch(std::string* unavailable_reason) {
  if (IsDisabled(env_)) {
    *unavailable_reason = "instance metadata is disabled by AWS_EC2_METADATA_DISABLED";
    return std::optional<Credentials>();
  }
  auto token = Token(false);
  if (!token.ok()) {
    if (token.error().category == ErrorCategory::kAuth) return token.error();
    *unavailable_reason = "no instance metadata service answered at " + endpoint_;
    return std::optional<Credentials>();
  }
  auto roles = Get(kRolesPath);
  if (!roles.ok()) {
    *unavailable_reason = "no instance metadata service answered at " + endpoint_;
    return std::optional<Credentials>();
  }
  if (roles->status == 404) {
    *unavailable_reason = "this instance has no IAM instance profile (role) attached";
    return std::optional<Credentials>();
  }
  if (roles->status != 200) {
    return Error::Auth("the instance metadata service answered HTTP " + std::to_string(roles->status) +
                       " when listing the instance's IAM role");
  }
  std::string role = roles->body.substr(0, roles->body.find('\n'));
  role = TrimRight(role);
  if (role.empty()) {
    *unavailable_reason = "this instance has no IAM instance profile (role) attached";
    return std::optional<Credentials>();
  }
  if (role.find_first_of("/?#% ") != std::string::npos) {
    return Error::Auth("the instance metadata service returned an invalid role name");
  }
  auto creds = Get(std::string(kRolesPath) + role);
  if (!creds.ok()) {
    return Error::Auth("could not fetch the credentials of instance role " + role +
                       " from the instance metadata service: " + creds.error().message);
  }
  if (creds->status != 200) {
    return Error::Auth("the instance metadata service answered HTTP " + std::to_string(creds->status) +
                       " for the credentials of instance role " + role);
  }
  FP_ASSIGN_OR_RETURN(Credentials c,
                      ParseHttpCredentials(creds->body, "instance metadata (role " + role + ")", true));
  return std::optional<Credentials>(std::move(c));
}

Result<std::optional<Credentials>> ImdsCredentialsProvider::TryGetCredentials(std::string* reason) {
  std::string ignored;
  return Fetch(reason != nullptr ? reason : &ignored);
}

Result<Credentials> ImdsCredentialsProvider::GetCredentials() {
  std::string reason;
  FP_ASSIGN_OR_RETURN(auto c, Fetch(&reason));
  if (!c) return Error::Auth("no credentials from EC2 instance metadata: " + reason);
  return std::move(*c);
}

}  // namespace fleetpatch::aws
