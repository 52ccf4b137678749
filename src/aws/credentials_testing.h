// Test helpers for the credentials tests only (included by *_test.cc, never by the library):
// a local cpp-httplib server on 127.0.0.1 with an ephemeral port, a minimal HttpTransport over
// httplib::Client (until the curl transport lands), a fake StsApi, a log capture, and file helpers.
// Thread-safety: LocalServer handlers run on the server's threads; FakeSts is safe to call concurrently.
#pragma once

#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/sts_api.h"

namespace fleetpatch::aws::testing {

class LocalServer {
 public:
  LocalServer() = default;
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;
  ~LocalServer() { Stop(); }

  httplib::Server& server() { return server_; }
  // Binds 127.0.0.1 on an ephemeral port (listening immediately) and serves on a thread.
  void Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void Stop() {
    if (!thread_.joinable()) return;
    for (int i = 0; i < 2000 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

// A minimal HttpTransport for tests: one httplib::Client per request, http only.
class HttplibTransport final : public HttpTransport {
 public:
  Result<HttpResponse> Send(const HttpRequest& request, const HttpOptions& options) override {
    ++sends;
    size_t sep = request.url.find("://");
    if (sep == std::string::npos) return Error::Internal("bad url");
    size_t slash = request.url.find('/', sep + 3);
    std::string base = request.url.substr(0, slash);
    std::string path = slash == std::string::npos ? "/" : request.url.substr(slash);
    httplib::Client client(base);
    client.set_connection_timeout(options.connect_timeout);
    client.set_read_timeout(options.total_timeout);
    client.set_write_timeout(options.total_timeout);
    httplib::Request req;
    req.method = request.method;
    req.path = path;
    for (const auto& [k, v] : request.headers) req.headers.emplace(k, v);
    req.body = request.body;
    if (request.method == "PUT" || request.method == "POST") {
      req.headers.emplace("Content-Length", std::to_string(request.body.size()));
    }
    auto res = client.send(req);
    if (!res) {
      bool timeout = res.error() == httplib::Error::Read || res.error() == httplib::Error::ConnectionTimeout;
      Error e = timeout ? Error::Timeout("request timed out")
                        : Error::Connectivity("cannot connect: " + httplib::to_string(res.error()));
      e.retryable = true;
      return e;
    }
    HttpResponse out;
    out.status = res->status;
    for (const auto& [k, v] : res->headers) out.headers.emplace_back(k, v);
    out.body = res->body;
    return out;
  }
  std::atomic<int> sends{0};
};

// A fake StsApi: returns credentials built from a counter (or a configured error), records calls.
class FakeSts final : public StsApi {
 public:
  struct Call {
    std::string kind;  // "AssumeRole" / "AssumeRoleWithWebIdentity"
    std::string source_access_key_id;
    std::string region;
    AssumeRoleParams params;
    std::string token;
  };

  std::function<Result<Credentials>(const Call&)> handler;  // optional override
  std::chrono::system_clock::time_point expiration;         // of returned credentials
  std::chrono::milliseconds delay{0};                       // simulates STS latency

  Result<Credentials> AssumeRole(const Credentials& source, const std::string& region,
                                 const AssumeRoleParams& params) override {
    Call call{"AssumeRole", source.access_key_id, region, params, ""};
    return Handle(std::move(call));
  }
  Result<Credentials> AssumeRoleWithWebIdentity(const std::string& region, const std::string& role_arn,
                                                const std::string& session_name,
                                                const std::string& token) override {
    Call call{"AssumeRoleWithWebIdentity", "", region, {role_arn, session_name, "", 3600}, token};
    return Handle(std::move(call));
  }

  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  int count() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(calls_.size());
  }

 private:
  Result<Credentials> Handle(Call call) {
    int n;
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(call);
      n = static_cast<int>(calls_.size());
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (handler) return handler(call);
    Credentials c;
    c.access_key_id = "ASIAROLE" + std::to_string(n) + "EXAMPLE";
    c.secret_access_key = "roleSecret" + std::to_string(n) + "xxxxxxxxxxxxxxxx";
    c.session_token = "roleSessionToken" + std::to_string(n) + "yyyyyyyyyyyyyyyy";
    c.expiration = expiration;
    return c;
  }

  std::mutex mu_;
  std::vector<Call> calls_;
};

// Captures everything logged through spdlog's default logger (at all levels) while alive.
class LogCapture {
 public:
  LogCapture() {
    previous_ = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

inline void WriteFile(const std::filesystem::path& p, const std::string& content) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << content;
}

// Writes an executable shell script.
inline std::string WriteScript(const std::filesystem::path& p, const std::string& body) {
  WriteFile(p, "#!/bin/sh\n" + body);
  std::filesystem::permissions(p, std::filesystem::perms::owner_all);
  return p.string();
}

}  // namespace fleetpatch::aws::testing
