#include "aws/sigv4.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/strings.h"

namespace fleetpatch::aws {
namespace {

constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// Headers a transport or proxy may add or rewrite after signing: signing them would make the
// signature fragile for no security gain (botocore and aws-c-auth skip the same ones).
bool IsUnsignableHeader(std::string_view lower_name) {
  return lower_name == "authorization" || lower_name == "user-agent" || lower_name == "expect" ||
         lower_name == "x-amzn-trace-id" || lower_name == "connection" || lower_name == "transfer-encoding";
}

// Sets name to value: replaces the first header with that name (case-insensitive) and drops any
// later duplicates, or appends a new one. Keeps header order stable for the signed-request vectors.
void SetHeader(Headers& headers, std::string_view name, std::string value) {
  bool done = false;
  for (auto it = headers.begin(); it != headers.end();) {
    if (EqualsIgnoreCase(it->first, name)) {
      if (done) {
        it = headers.erase(it);
        continue;
      }
      it->second = std::move(value);
      done = true;
    }
    ++it;
  }
  if (!done) headers.emplace_back(std::string(name), std::move(value));
}

void RemoveHeader(Headers& headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
}

struct UrlParts {
  std::string scheme;
  std::string authority;  // host[:port], userinfo removed
  std::string path;
  std::string query;
};

std::optional<UrlParts> SplitUrl(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return std::nullopt;
  UrlParts parts;
  parts.scheme = Lower(url.substr(0, scheme_end));
  std::string_view rest = url.substr(scheme_end + 3);
  size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.empty()) return std::nullopt;
  parts.authority = std::string(authority);
  rest = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t q = rest.find('?');
  parts.path = std::string(rest.substr(0, q));
  if (q != std::string_view::npos) parts.query = std::string(rest.substr(q + 1));
  return parts;
}

// The Host header a client sends for this URL: the port only when it is not the scheme default.
std::string HostForUrl(const UrlParts& url) {
  std::string_view authority = url.authority;
  size_t colon = authority.rfind(':');
  // A colon inside an IPv6 literal ("[::1]") is not a port separator.
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    if ((url.scheme == "https" && port == "443") || (url.scheme == "http" && port == "80") || port.empty()) {
      return Lower(authority.substr(0, colon));
    }
  }
  return Lower(authority);
}

struct CanonicalHeaders {
  std::string block;           // "name:value\n" per header
  std::string signed_headers;  // "a;b;c"
};

// Canonical headers for the given lower-case names (sorted, unique). Values of repeated headers are
// joined with ',' in arrival order. Returns the first name that has no value in headers, if any.
CanonicalHeaders BuildCanonicalHeaders(const Headers& headers, const std::vector<std::string>& names,
                                       std::string* missing) {
  CanonicalHeaders out;
  for (const std::string& name : names) {
    std::string joined;
    bool found = false;
    for (const auto& [k, v] : headers) {
      if (!EqualsIgnoreCase(k, name)) continue;
      if (found) joined.push_back(',');
      joined += CanonicalHeaderValue(v);
      found = true;
    }
    if (!found && missing != nullptr && missing->empty()) *missing = name;
    out.block += name;
    out.block.push_back(':');
    out.block += joined;
    out.block.push_back('\n');
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers += name;
  }
  return out;
}

std::string BuildCanonicalRequest(std::string_view method, std::string_view path, std::string_view query,
                                  const CanonicalHeaders& headers, std::string_view payload_hash,
                                  bool normalize) {
  std::string out;
  out += method;
  out.push_back('\n');
  out += CanonicalUri(path, normalize);
  out.push_back('\n');
  out += CanonicalQueryString(query);
  out.push_back('\n');
  out += headers.block;
  out.push_back('\n');
  out += headers.signed_headers;
  out.push_back('\n');
  out += payload_hash;
  return out;
}

std::string BuildStringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view canonical_request) {
  std::string out(kSigV4Algorithm);
  out.push_back('\n');
  out += amz_date;
  out.push_back('\n');
  out += scope;
  out.push_back('\n');
  out += Sha256Hex(canonical_request);
  return out;
}

std::string Scope(std::string_view date, std::string_view region, std::string_view service) {
  std::string out(date);
  out.push_back('/');
  out += region;
  out.push_back('/');
  out += service;
  out.push_back('/');
  out += kTerminator;
  return out;
}

Error AuthError(std::string aws_code, int http_status, std::string message) {
  Error e = Error::Auth(std::move(message));
  e.aws_code = std::move(aws_code);
  e.http_status = http_status;
  return e;
}

Error Incomplete(std::string message) { return AuthError("IncompleteSignature", 400, std::move(message)); }

// "20150830T123600Z" -> time point; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  for (size_t i : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 9u, 10u, 11u, 12u, 13u, 14u}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  }
  std::string iso = std::string(s.substr(0, 4)) + "-" + std::string(s.substr(4, 2)) + "-" +
                    std::string(s.substr(6, 2)) + "T" + std::string(s.substr(9, 2)) + ":" +
                    std::string(s.substr(11, 2)) + ":" + std::string(s.substr(13, 2)) + "Z";
  std::chrono::system_clock::time_point t;
  if (!ParseIso8601(iso, &t)) return std::nullopt;
  return t;
}

// Lower-case names of the headers to sign, sorted and unique.
std::vector<std::string> SignableHeaderNames(const Headers& headers, bool omit_session_token) {
  std::vector<std::string> names;
  for (const auto& header : headers) {
    std::string name = Lower(header.first);
    if (IsUnsignableHeader(name)) continue;
    if (omit_session_token && name == "x-amz-security-token") continue;
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Status ValidateSigningInputs(const Credentials& credentials, const SigningParams& params) {
  if (credentials.empty()) {
    return Error::Auth(
        "cannot sign the request: no AWS access key id or secret access key; configure credentials "
        "(environment, profile, or role)");
  }
  if (params.region.empty() || params.service.empty()) {
    return Error::Internal("cannot sign the request: region and service must be set");
  }
  return OkStatus();
}

}  // namespace

std::string CanonicalUri(std::string_view path, bool normalize) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    segments.push_back(
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  // segments[0] is what precedes the first '/', normally empty.
  std::string out;
  if (!normalize) {
    for (size_t i = 0; i < segments.size(); ++i) {
      if (i > 0) out.push_back('/');
      out += UriEncode(segments[i]);
    }
    return out.empty() ? "/" : out;
  }
  std::vector<std::string_view> kept;
  for (std::string_view seg : segments) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(seg);
  }
  out = "/";
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out.push_back('/');
    out += UriEncode(kept[i]);
  }
  // Like botocore: a trailing slash survives normalisation ("//example//" -> "/example/").
  if (!kept.empty() && path.back() == '/') out.push_back('/');
  return out;
}

std::string CanonicalQueryString(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    std::string_view part =
        query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string_view key = part.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
      pairs.emplace_back(UriEncode(UriDecode(key)), UriEncode(UriDecode(value)));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

std::string CanonicalHeaderValue(std::string_view value) {
  value = Trim(value);
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char c : value) {
    if (IsAsciiSpace(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

std::string DeriveSigningKey(std::string_view secret_access_key, std::string_view date,
                             std::string_view region, std::string_view service) {
  std::string k_secret = "AWS4";
  k_secret += secret_access_key;
  std::string k_date = HmacSha256(k_secret, date);
  std::string k_region = HmacSha256(k_date, region);
  std::string k_service = HmacSha256(k_region, service);
  return HmacSha256(k_service, kTerminator);
}

Result<SigningResult> SignRequest(HttpRequest& request, const Credentials& credentials,
                                  const SigningParams& params) {
  FP_RETURN_IF_ERROR(ValidateSigningInputs(credentials, params));
  std::optional<UrlParts> url = SplitUrl(request.url);
  if (!url) return Error::Internal("cannot sign the request: the URL is not absolute (scheme://host/path)");

  const std::string amz_date = FormatAmzDate(params.time);
  const std::string date = amz_date.substr(0, 8);
  const std::string payload_hash = Sha256Hex(request.body);

  Headers headers = request.headers;  // work on a copy: the request stays unchanged on failure
  RemoveHeader(headers, "authorization");
  if (FindHeader(headers, "host") == nullptr) headers.emplace_back("Host", HostForUrl(*url));
  const bool has_token = !credentials.session_token.empty();
  if (has_token) {
    SetHeader(headers, "X-Amz-Security-Token", credentials.session_token);
  } else {
    // A token left from signing with earlier (temporary) credentials would be rejected.
    RemoveHeader(headers, "x-amz-security-token");
  }
  SetHeader(headers, "X-Amz-Date", amz_date);
  if (params.sign_body) SetHeader(headers, "x-amz-content-sha256", payload_hash);

  std::vector<std::string> names = SignableHeaderNames(headers, params.omit_session_token);

  CanonicalHeaders canonical_headers = BuildCanonicalHeaders(headers, names, nullptr);
  SigningResult result;
  result.canonical_request = BuildCanonicalRequest(request.method, url->path, url->query, canonical_headers,
                                                   payload_hash, params.normalize_path);
  const std::string scope = Scope(date, params.region, params.service);
  result.string_to_sign = BuildStringToSign(amz_date, scope, result.canonical_request);
  result.signature = HexEncode(
      HmacSha256(DeriveSigningKey(credentials.secret_access_key, date, params.region, params.service),
                 result.string_to_sign));
  result.signed_headers = canonical_headers.signed_headers;
  result.authorization = std::string(kSigV4Algorithm) + " Credential=" + credentials.access_key_id + "/" +
                         scope + ", SignedHeaders=" + result.signed_headers +
                         ", Signature=" + result.signature;
  headers.emplace_back("Authorization", result.authorization);
  request.headers = std::move(headers);
  return result;
}

Result<SigningResult> PresignRequest(HttpRequest& request, const Credentials& credentials,
                                     const SigningParams& params, std::chrono::seconds expires) {
  FP_RETURN_IF_ERROR(ValidateSigningInputs(credentials, params));
  if (expires.count() < 1 || expires > std::chrono::hours(24 * 7)) {
    return Error::Internal("cannot presign the request: expiry must be between 1 second and 7 days");
  }
  std::optional<UrlParts> url = SplitUrl(request.url);
  if (!url) return Error::Internal("cannot sign the request: the URL is not absolute (scheme://host/path)");

  const std::string amz_date = FormatAmzDate(params.time);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = Scope(date, params.region, params.service);
  Headers headers = request.headers;
  if (FindHeader(headers, "host") == nullptr) headers.emplace_back("Host", HostForUrl(*url));
  // The token travels in the query, so a token header (if any) is not part of the signature.
  std::vector<std::string> names = SignableHeaderNames(headers, /*omit_session_token=*/true);
  CanonicalHeaders canonical_headers = BuildCanonicalHeaders(headers, names, nullptr);

  std::string auth_query = "X-Amz-Algorithm=" + std::string(kSigV4Algorithm) +
                           "&X-Amz-Credential=" + UriEncode(credentials.access_key_id + "/" + scope) +
                           "&X-Amz-Date=" + amz_date +
                           "&X-Amz-SignedHeaders=" + UriEncode(canonical_headers.signed_headers) +
                           "&X-Amz-Expires=" + std::to_string(expires.count());
  std::string token_query;
  if (!credentials.session_token.empty()) {
    token_query = "&X-Amz-Security-Token=" + UriEncode(credentials.session_token);
  }
  std::string signed_query = url->query;
  if (!signed_query.empty()) signed_query.push_back('&');
  signed_query += auth_query;
  if (!params.omit_session_token) signed_query += token_query;

  SigningResult result;
  result.canonical_request = BuildCanonicalRequest(request.method, url->path, signed_query, canonical_headers,
                                                   Sha256Hex(request.body), params.normalize_path);
  result.string_to_sign = BuildStringToSign(amz_date, scope, result.canonical_request);
  result.signature = HexEncode(
      HmacSha256(DeriveSigningKey(credentials.secret_access_key, date, params.region, params.service),
                 result.string_to_sign));
  result.signed_headers = canonical_headers.signed_headers;
  result.authorization.clear();  // query authentication has no Authorization header

  // Append to the URL as given (before any fragment), keeping its existing query text.
  std::string base = request.url.substr(0, request.url.find('#'));
  base += url->query.empty() && base.find('?') == std::string::npos ? "?" : "&";
  base += auth_query + token_query + "&X-Amz-Signature=" + result.signature;
  request.url = std::move(base);
  request.headers = std::move(headers);
  return result;
}

std::string ParsedAuthorization::CredentialScope() const { return Scope(date, region, service); }

Result<ParsedAuthorization> ParseAuthorization(std::string_view header_value) {
  std::string_view v = Trim(header_value);
  if (v.substr(0, kSigV4Algorithm.size()) != kSigV4Algorithm ||
      (v.size() > kSigV4Algorithm.size() && !IsAsciiSpace(v[kSigV4Algorithm.size()]))) {
    return Incomplete("Authorization header does not use the AWS4-HMAC-SHA256 algorithm");
  }
  v.remove_prefix(kSigV4Algorithm.size());
  // Components are separated by ',' (optionally followed by spaces); their order is free.
  std::map<std::string, std::string, std::less<>> parts;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    std::string_view part =
        Trim(v.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (!part.empty()) {
      size_t eq = part.find('=');
      if (eq == std::string_view::npos)
        return Incomplete("Authorization header component is not of the form Key=Value");
      std::string key(Trim(part.substr(0, eq)));
      if (parts.count(key)) return Incomplete("Authorization header repeats the component " + key);
      parts[key] = std::string(Trim(part.substr(eq + 1)));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  for (const char* required : {"Credential", "SignedHeaders", "Signature"}) {
    if (!parts.count(required)) {
      return Incomplete(std::string("Authorization header lacks the ") + required + "= component");
    }
  }
  ParsedAuthorization out;
  // Credential=AKID/date/region/service/aws4_request
  std::vector<std::string> cred;
  {
    std::string_view c = parts["Credential"];
    size_t s = 0;
    while (true) {
      size_t slash = c.find('/', s);
      cred.emplace_back(c.substr(s, slash == std::string_view::npos ? std::string_view::npos : slash - s));
      if (slash == std::string_view::npos) break;
      s = slash + 1;
    }
  }
  if (cred.size() != 5 || cred[4] != kTerminator) {
    return Incomplete("Authorization Credential must be AccessKeyId/YYYYMMDD/region/service/aws4_request");
  }
  for (const auto& c : cred) {
    if (c.empty()) return Incomplete("Authorization Credential has an empty field");
  }
  if (cred[1].size() != 8 || !std::all_of(cred[1].begin(), cred[1].end(), [](char ch) {
        return std::isdigit(static_cast<unsigned char>(ch));
      })) {
    return Incomplete("Authorization Credential date must be YYYYMMDD");
  }
  out.access_key_id = cred[0];
  out.date = cred[1];
  out.region = cred[2];
  out.service = cred[3];
  {
    std::string_view sh = parts["SignedHeaders"];
    size_t s = 0;
    while (true) {
      size_t semi = sh.find(';', s);
      std::string_view name =
          sh.substr(s, semi == std::string_view::npos ? std::string_view::npos : semi - s);
      if (name.empty()) return Incomplete("Authorization SignedHeaders has an empty header name");
      out.signed_headers.push_back(Lower(name));
      if (semi == std::string_view::npos) break;
      s = semi + 1;
    }
  }
  out.signature = parts["Signature"];
  if (out.signature.size() != 64 || !HexDecode(out.signature)) {
    return Incomplete("Authorization Signature must be 64 hexadecimal characters");
  }
  return out;
}

Result<ParsedAuthorization> VerifyRequest(const ReceivedRequest& request, const SecretLookup& lookup,
                                          const VerifyOptions& options) {
  const std::string* authz_header = FindHeader(request.headers, "authorization");
  if (authz_header == nullptr) {
    return AuthError("MissingAuthenticationToken", 403,
                     "request is not signed: the Authorization header is missing");
  }
  FP_ASSIGN_OR_RETURN(ParsedAuthorization authz, ParseAuthorization(*authz_header));

  std::vector<std::string> names = authz.signed_headers;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (!std::binary_search(names.begin(), names.end(), "host")) {
    return Incomplete("the Host header must be signed (missing from SignedHeaders)");
  }
  const std::string* amz_date = FindHeader(request.headers, "x-amz-date");
  if (amz_date == nullptr) return Incomplete("the X-Amz-Date header is missing");
  std::optional<std::chrono::system_clock::time_point> request_time = ParseAmzDate(*amz_date);
  if (!request_time) return Incomplete("X-Amz-Date must be of the form YYYYMMDDTHHMMSSZ");
  if (amz_date->substr(0, 8) != authz.date) {
    return Incomplete("the date in the Authorization Credential does not match X-Amz-Date");
  }
  if (options.now) {
    auto skew = *request_time > *options.now ? *request_time - *options.now : *options.now - *request_time;
    if (skew > options.max_skew) {
      return AuthError("RequestExpired", 403,
                       "request time " + *amz_date + " is more than " +
                           std::to_string(options.max_skew.count()) +
                           " s away from the server time; check the client's clock");
    }
  }

  std::string payload_hash = Sha256Hex(request.body);
  if (const std::string* declared = FindHeader(request.headers, "x-amz-content-sha256")) {
    std::string value(Trim(*declared));
    if (value != kUnsignedPayload && !ConstantTimeEquals(Lower(value), payload_hash)) {
      return AuthError("SignatureDoesNotMatch", 403, "the body does not match its x-amz-content-sha256 hash");
    }
    payload_hash = value;
  }

  std::string missing;
  CanonicalHeaders canonical_headers = BuildCanonicalHeaders(request.headers, names, &missing);
  if (!missing.empty()) return Incomplete("signed header '" + missing + "' is not present in the request");

  std::optional<std::string> secret = lookup(authz.access_key_id);
  if (!secret) {
    return AuthError("InvalidClientTokenId", 403,
                     "the access key id " + authz.access_key_id + " is not known to this endpoint");
  }

  std::string_view target = request.target;
  if (size_t hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  // An absolute-form target ("http://host/path") carries the path after the authority.
  if (size_t scheme = path.find("://"); scheme != std::string_view::npos) {
    size_t slash = path.find('/', scheme + 3);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }

  std::string canonical_request = BuildCanonicalRequest(request.method, path, query, canonical_headers,
                                                        payload_hash, options.normalize_path);
  std::string string_to_sign = BuildStringToSign(*amz_date, authz.CredentialScope(), canonical_request);
  std::string expected = HexEncode(
      HmacSha256(DeriveSigningKey(*secret, authz.date, authz.region, authz.service), string_to_sign));
  if (!ConstantTimeEquals(expected, Lower(authz.signature))) {
    return AuthError(
        "SignatureDoesNotMatch", 403,
        "the request signature does not match; check the secret access key and that the request was "
        "not modified after signing");
  }
  return authz;
}

Result<ParsedAuthorization> VerifyRequest(const ReceivedRequest& request, std::string_view secret_access_key,
                                          const VerifyOptions& options) {
  std::string secret(secret_access_key);
  return VerifyRequest(
      request, [&secret](std::string_view) -> std::optional<std::string> { return secret; }, options);
}

}  // namespace fleetpatch::aws
