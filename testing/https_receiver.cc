#include "testing/https_receiver.h"

#include <httplib.h>
#include <strings.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <thread>

#include "testing/test_tls.h"

namespace fleetpatch::testing {

std::string ReceivedRequest::Header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return "";
}

bool ReceivedRequest::HasHeader(const std::string& name) const {
  for (const auto& h : headers)
    if (strcasecmp(h.first.c_str(), name.c_str()) == 0) return true;
  return false;
}

struct HttpsReceiver::Impl {
  Impl(X509* cert, EVP_PKEY* key) : server(cert, key) {}
  httplib::SSLServer server;
  std::string path;
  int port = 0;
  std::thread thread;
  mutable std::mutex mu;
  std::deque<int> statuses;
  std::vector<ReceivedRequest> requests;

  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    ReceivedRequest r;
    r.body = req.body;
    for (const auto& [k, v] : req.headers) r.headers.emplace_back(k, v);
    requests.push_back(std::move(r));
    int status = 200;
    if (!statuses.empty()) {
      status = statuses.front();
      statuses.pop_front();
    }
    res.status = status;
    res.set_content(status == 200 ? "ok" : "echo " + req.body, "text/plain");
  }
};

HttpsReceiver::HttpsReceiver(std::string path, const std::filesystem::path& ca_pem) {
  auto [cert, key] = MakeSelfSigned("IP:127.0.0.1,DNS:localhost");
  if (!cert || !key || !WriteCertPem(cert.get(), ca_pem)) return;
  impl_ = std::make_unique<Impl>(cert.get(), key.get());
  impl_->path = std::move(path);
  impl_->server.Post(
      impl_->path, [this](const httplib::Request& req, httplib::Response& res) { impl_->Handle(req, res); });
  impl_->port = impl_->server.bind_to_any_port("127.0.0.1");
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  for (int i = 0; i < 2000 && !impl_->server.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

HttpsReceiver::~HttpsReceiver() {
  if (!impl_) return;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool HttpsReceiver::valid() const { return impl_ && impl_->server.is_valid() && impl_->port > 0; }

std::string HttpsReceiver::Url() const {
  return impl_ ? "https://127.0.0.1:" + std::to_string(impl_->port) + impl_->path : "";
}

void HttpsReceiver::Queue(std::initializer_list<int> statuses) {
  std::lock_guard lock(impl_->mu);
  impl_->statuses.insert(impl_->statuses.end(), statuses);
}

std::vector<ReceivedRequest> HttpsReceiver::Requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

}  // namespace fleetpatch::testing
