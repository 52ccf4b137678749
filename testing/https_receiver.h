// HttpsReceiver: a local HTTPS server on 127.0.0.1 for tests of outgoing webhooks. Its certificate
// is a throw-away CA made for the test (test_tls.h), written as PEM so that a client trusts it only
// through that CA bundle (CurlTransportOptions::ca_bundle, or AWS_CA_BUNDLE for a child process).
// POSTs to `path` are recorded and answered with the queued statuses, then 200; a non-200 answer
// echoes the request body, so a test can check that a client never quotes it.
// Thread-safety: every method may be called from any thread; the server runs on its own thread.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace fleetpatch::testing {

struct ReceivedRequest {
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string Header(const std::string& name) const;  // case-insensitive; "" when absent
  bool HasHeader(const std::string& name) const;
};

class HttpsReceiver {
 public:
  // Makes the CA, writes it to `ca_pem` and starts listening on an ephemeral port. Check valid().
  HttpsReceiver(std::string path, const std::filesystem::path& ca_pem);
  ~HttpsReceiver();  // stops the server and joins its thread
  HttpsReceiver(const HttpsReceiver&) = delete;
  HttpsReceiver& operator=(const HttpsReceiver&) = delete;

  bool valid() const;
  std::string Url() const;  // https://127.0.0.1:<port><path>
  void Queue(std::initializer_list<int> statuses);
  std::vector<ReceivedRequest> Requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetpatch::testing
