// CurlTransport: the real HttpTransport, built on libcurl (OpenSSL).
//
// - HTTPS always verifies the peer certificate and host name; a custom CA bundle (AWS_CA_BUNDLE)
//   is passed in through CurlTransportOptions, never read from the environment in here.
// - Connections are reused per host: idle easy handles (each keeping its live connection) are
//   pooled by scheme://host:port and handed to the next Send() for the same host.
// - Proxies are explicit options too; CurlTransportOptions::FromEnvironment() reads HTTPS_PROXY /
//   HTTP_PROXY / NO_PROXY (either case) the way the AWS CLI does. libcurl's own environment
//   lookup is switched off so the options are the single source of truth. A request marked
//   `direct` (credential endpoints) never uses a proxy.
// - Response bodies are capped (max_response_bytes, after decompression).
// - `Expect: 100-continue` is disabled, TCP keepalive is on, redirects are not followed (AWS APIs
//   never redirect a signed call, and following one would re-send credentials elsewhere).
//
// Thread-safety: Send() may be called concurrently from any number of threads; each call uses its
// own easy handle and the pool is guarded by a mutex.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/http.h"

namespace fleetpatch::aws {

struct CurlTransportOptions {
  // PEM file of CA certificates to trust instead of the system store (AWS_CA_BUNDLE). Default: "" (system
  // store).
  std::string ca_bundle;
  // Proxy URLs for https:// and http:// requests. Default: "" (no proxy).
  std::string https_proxy;
  std::string http_proxy;
  // Comma-separated hosts/domains that bypass the proxy ("*" for all). Default: "".
  std::string no_proxy;
  // Idle connections kept per host. Default: 16 (the worker pool rarely exceeds this per endpoint).
  std::size_t max_idle_per_host = 16;
  // Largest response body accepted, counted after decompression (the compressed size is capped by
  // the same number). Default: kDefaultMaxResponseBytes (64 MiB).
  std::size_t max_response_bytes = kDefaultMaxResponseBytes;
  // Fills ca_bundle from AWS_CA_BUNDLE, the proxy fields from HTTPS_PROXY/https_proxy,
  // HTTP_PROXY/http_proxy, NO_PROXY/no_proxy (upper case wins, as in the AWS CLI) and
  // max_response_bytes from FLEETPATCH_MAX_RESPONSE_MIB (a whole number of MiB, 1 to 4096; other
  // values are ignored and the default kept).
  static CurlTransportOptions FromEnvironment();
};

// Owns curl_global_init/curl_global_cleanup. Create exactly one in main() before any thread starts
// and keep it alive until every CurlTransport is gone. Not thread-safe (by libcurl's contract).
class CurlGlobal {
 public:
  CurlGlobal();
  ~CurlGlobal();
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
};

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  // See HttpTransport::Send. Failures: kConnectivity (DNS, connect, reset, TLS; retryable except
  // certificate problems), kTimeout (retryable), kConfig (malformed URL), kInternal (curl setup).
  Result<HttpResponse> Send(const HttpRequest& request, const HttpOptions& options) override;

  // Idle pooled handles across all hosts (for tests and diagnostics).
  std::size_t IdleHandles() const;

 private:
  struct EasyDeleter {
    void operator()(void* easy) const;
  };
  using EasyPtr = std::unique_ptr<void, EasyDeleter>;  // CURL* kept opaque so curl.h stays private

  EasyPtr Acquire(const std::string& pool_key);
  void Release(const std::string& pool_key, EasyPtr easy);

  const CurlTransportOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<EasyPtr>> idle_;  // guarded by mu_
};

}  // namespace fleetpatch::aws
