#include "aws/curl_transport.h"

#include <curl/curl.h>
#include <strings.h>

#include <cstdlib>
#include <utility>

#include "common/strings.h"

namespace fleetpatch::aws {
namespace {

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;

struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

std::string GetEnv(const char* upper, const char* lower) {
  if (const char* v = std::getenv(upper); v && *v) return v;
  if (lower != nullptr) {
    if (const char* v = std::getenv(lower); v && *v) return v;
  }
  return "";
}

// The parts of a URL we need: the pool key (scheme://host:port) and a form safe for messages
// (no user info, no query string: a presigned query could hold a signature).
struct UrlParts {
  std::string scheme;
  std::string pool_key;
  std::string display;
};

Result<UrlParts> SplitUrl(const std::string& url) {
  UrlPtr u(curl_url());
  if (!u) return Error::Internal("out of memory parsing a URL");
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return Error::Config("malformed endpoint URL '" + url.substr(0, url.find('?')) +
                         "': check the endpoint settings (AWS_ENDPOINT_URL*, endpoint_url)");
  }
  auto part = [&](CURLUPart which, unsigned flags) -> std::string {
    char* raw = nullptr;
    if (curl_url_get(u.get(), which, &raw, flags) != CURLUE_OK) return "";
    CurlString owned(raw);
    return owned ? std::string(owned.get()) : std::string();
  };
  UrlParts parts;
  parts.scheme = part(CURLUPART_SCHEME, 0);
  std::string host = part(CURLUPART_HOST, 0);
  std::string port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  std::string path = part(CURLUPART_PATH, 0);
  if (parts.scheme != "https" && parts.scheme != "http") {
    return Error::Config("unsupported URL scheme '" + parts.scheme + "' in endpoint " + host +
                         ": use https:// (or http:// for a local emulator)");
  }
  parts.pool_key = parts.scheme + "://" + host + ":" + port;
  parts.display = parts.scheme + "://" + host + (port.empty() ? "" : ":" + port) + path;
  return parts;
}

struct ResponseSink {
  HttpResponse response;
  size_t max_body = kDefaultMaxResponseBytes;
  bool too_large = false;
};

// libcurl hands over decompressed data, so this caps the decompressed size; returning less than
// was given aborts the transfer (CURLE_WRITE_ERROR).
size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* sink = static_cast<ResponseSink*>(user);
  if (size * nmemb > sink->max_body - sink->response.body.size()) {
    sink->too_large = true;
    return 0;
  }
  sink->response.body.append(data, size * nmemb);
  return size * nmemb;
}

Error TooLarge(const HttpRequest& request, const UrlParts& url, size_t limit) {
  return Error::Connectivity(
      "the response to " + request.method + " " + url.display + " is larger than " +
          std::to_string(limit >> 20) + " MiB (" + std::to_string(limit) +
          " bytes, after decompression): refused; a genuine AWS answer is far smaller, so "
          "check the endpoint (raise the cap with FLEETPATCH_MAX_RESPONSE_MIB if it is right)",
      /*retryable=*/false);
}

size_t WriteHeader(char* data, size_t size, size_t nmemb, void* user) {
  auto* sink = static_cast<ResponseSink*>(user);
  std::string_view line(data, size * nmemb);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line starts a new header block (100 Continue, proxy CONNECT): keep only the last.
    sink->response.headers.clear();
  } else if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !sink->response.headers.empty()) {
    // obs-fold continuation of the previous header.
    sink->response.headers.back().second += " " + std::string(Trim(line));
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    sink->response.headers.emplace_back(Trim(line.substr(0, colon)), Trim(line.substr(colon + 1)));
  }
  return size * nmemb;
}

Error MapCurlError(CURLcode code, const char* errbuf, const std::string& method, const UrlParts& url,
                   const HttpOptions& options, bool connected) {
  std::string detail = (errbuf != nullptr && errbuf[0] != '\0') ? errbuf : curl_easy_strerror(code);
  std::string where = " (" + method + " " + url.display + ")";
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return Error::Connectivity("could not resolve the endpoint host: " + detail + where +
                                     "; check the region, the endpoint URL and DNS",
                                 /*retryable=*/true);
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PROXY:
      return Error::Connectivity(
          "proxy failure: " + detail + where + "; check HTTPS_PROXY/HTTP_PROXY/NO_PROXY",
          /*retryable=*/true);
    case CURLE_COULDNT_CONNECT:
      return Error::Connectivity("could not connect: " + detail + where +
                                     "; check network access to the endpoint (firewall, proxy, VPC endpoint)",
                                 /*retryable=*/true);
    case CURLE_OPERATION_TIMEDOUT: {
      Error e = connected
                    ? Error::Timeout("no complete response within " +
                                     std::to_string(options.total_timeout.count()) + " ms: " + detail + where)
                    : Error::Timeout("connecting timed out after " +
                                     std::to_string(options.connect_timeout.count()) + " ms: " + detail +
                                     where + "; check network access to the endpoint");
      e.retryable = true;
      return e;
    }
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return Error::Connectivity("connection reset or closed by the peer: " + detail + where,
                                 /*retryable=*/true);
    case CURLE_SSL_CONNECT_ERROR:
      return Error::Connectivity("TLS handshake failed: " + detail + where +
                                     "; if a proxy intercepts TLS, set AWS_CA_BUNDLE to its CA certificate",
                                 /*retryable=*/true);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return Error::Connectivity(
          "TLS certificate verification failed: " + detail + where +
              "; check AWS_CA_BUNDLE (a PEM file with the CA that signed the endpoint's "
              "certificate) and any TLS-intercepting proxy",
          /*retryable=*/false);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Error::Config("malformed endpoint URL: " + detail + where);
    default:
      return Error::Connectivity("HTTP transport failure: " + detail + where, /*retryable=*/false);
  }
}

}  // namespace

CurlTransportOptions CurlTransportOptions::FromEnvironment() {
  CurlTransportOptions o;
  o.ca_bundle = GetEnv("AWS_CA_BUNDLE", nullptr);
  o.https_proxy = GetEnv("HTTPS_PROXY", "https_proxy");
  o.http_proxy = GetEnv("HTTP_PROXY", "http_proxy");
  o.no_proxy = GetEnv("NO_PROXY", "no_proxy");
  std::string mib = GetEnv("FLEETPATCH_MAX_RESPONSE_MIB", nullptr);
  if (!mib.empty() && mib.size() <= 4 && mib.find_first_not_of("0123456789") == std::string::npos) {
    size_t n = std::stoul(mib);
    if (n >= 1 && n <= 4096) o.max_response_bytes = n << 20;
  }
  return o;
}

CurlGlobal::CurlGlobal() : ok_(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) {}

CurlGlobal::~CurlGlobal() {
  if (ok_) curl_global_cleanup();
}

void CurlTransport::EasyDeleter::operator()(void* easy) const { curl_easy_cleanup(static_cast<CURL*>(easy)); }

CurlTransport::CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {}

CurlTransport::~CurlTransport() = default;

std::size_t CurlTransport::IdleHandles() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [key, handles] : idle_) n += handles.size();
  return n;
}

CurlTransport::EasyPtr CurlTransport::Acquire(const std::string& pool_key) {
  {
    std::lock_guard lock(mu_);
    auto it = idle_.find(pool_key);
    if (it != idle_.end() && !it->second.empty()) {
      EasyPtr easy = std::move(it->second.back());
      it->second.pop_back();
      // Clears options but keeps the live connection, DNS and TLS session caches.
      curl_easy_reset(static_cast<CURL*>(easy.get()));
      return easy;
    }
  }
  return EasyPtr(curl_easy_init());
}

void CurlTransport::Release(const std::string& pool_key, EasyPtr easy) {
  std::lock_guard lock(mu_);
  auto& handles = idle_[pool_key];
  if (handles.size() < options_.max_idle_per_host) handles.push_back(std::move(easy));
  // else: easy goes out of scope here and closes its connection.
}

namespace {

// The request's headers as curl takes them; nullptr when out of memory.
SlistPtr CurlHeaders(const HttpRequest& request) {
  SlistPtr headers;
  auto append = [&](const std::string& line) -> bool {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) return false;
    headers.release();
    headers.reset(next);
    return true;
  };
  bool has_content_type = false;
  bool ok = true;
  for (const auto& [name, value] : request.headers) {
    if (strcasecmp(name.c_str(), "content-type") == 0) has_content_type = true;
    // "Name;" is curl's way to send a header with an empty value ("Name:" would remove it).
    ok = ok && append(value.empty() ? name + ";" : name + ": " + value);
  }
  ok = ok && append("Expect:");  // no 100-continue round trip
  // Without this, curl adds "Content-Type: application/x-www-form-urlencoded" to every POST,
  // a header the caller neither chose nor signed.
  if (!has_content_type) ok = ok && append("Content-Type:");
  return ok ? std::move(headers) : SlistPtr();
}

// TLS, proxy, size cap, timeouts and keepalives of one request.
void SetConnectionOptions(CURL* easy, const HttpRequest& request, const UrlParts& url,
                          const CurlTransportOptions& transport, const HttpOptions& options) {
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);  // required when many threads use curl
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  // AWS's Query and JSON endpoints speak HTTP/1.1; pinning it keeps behaviour the same with and
  // without proxies and lets each pooled handle keep exactly one connection.
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!transport.ca_bundle.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, transport.ca_bundle.c_str());
  // Explicit proxy settings; "" disables libcurl's own environment lookup.
  const std::string& proxy = request.direct          ? std::string()
                             : url.scheme == "https" ? transport.https_proxy
                                                     : transport.http_proxy;
  curl_easy_setopt(easy, CURLOPT_PROXY, proxy.c_str());
  if (!transport.no_proxy.empty() && !request.direct)
    curl_easy_setopt(easy, CURLOPT_NOPROXY, transport.no_proxy.c_str());
  // An announced size over the cap is refused before any of the body is read.
  curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(transport.max_response_bytes));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 30L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 15L);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
}

void SetMethodAndBody(CURL* easy, const HttpRequest& request) {
  if (request.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    return;
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    return;
  }
  if (request.method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  // POSTFIELDS with size 0 still needs a valid pointer.
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.empty() ? "" : request.body.data());
}

}  // namespace

Result<HttpResponse> CurlTransport::Send(const HttpRequest& request, const HttpOptions& options) {
  FP_ASSIGN_OR_RETURN(UrlParts url, SplitUrl(request.url));
  EasyPtr easy_owner = Acquire(url.pool_key);
  CURL* easy = static_cast<CURL*>(easy_owner.get());
  if (easy == nullptr) return Error::Internal("could not create a libcurl handle (out of memory?)");
  SlistPtr headers = CurlHeaders(request);
  if (!headers) return Error::Internal("out of memory building HTTP headers");

  ResponseSink sink;
  sink.max_body = options_.max_response_bytes;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  SetConnectionOptions(easy, request, url, options_, options);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &WriteHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &sink);
  SetMethodAndBody(easy, request);

  CURLcode rc = curl_easy_perform(easy);
  // Detach pointers to this stack frame before the handle can be pooled.
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
  if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED)
    return TooLarge(request, url, options_.max_response_bytes);
  if (rc != CURLE_OK) {
    curl_off_t connect_us = 0;
    curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_us);
    // The handle (and its possibly broken connection) is discarded, not pooled.
    return MapCurlError(rc, errbuf, request.method, url, options, connect_us > 0);
  }
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  sink.response.status = static_cast<int>(status);
  Release(url.pool_key, std::move(easy_owner));
  return std::move(sink.response);
}

}  // namespace fleetpatch::aws
