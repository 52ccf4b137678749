#include "aws/curl_transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "testing/test_tls.h"
#include "testing/testdata.h"

namespace fleetpatch::aws {
namespace {

using namespace std::chrono_literals;

CurlGlobal& Global() {
  static CurlGlobal global;  // tests only; main() owns the real one
  return global;
}

// Runs an httplib server on 127.0.0.1 (ephemeral port) in a background thread and records the
// client ports it saw: each distinct port is one TCP connection.
class TestServer {
 public:
  explicit TestServer(std::unique_ptr<httplib::Server> server = std::make_unique<httplib::Server>())
      : server_(std::move(server)) {
    server_->new_task_queue = [] { return new httplib::ThreadPool(16); };
    server_->set_keep_alive_max_count(1000);
    server_->set_keep_alive_timeout(2);
    server_->set_tcp_nodelay(true);  // otherwise Nagle + delayed ACK add 40 ms to every response
    server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      std::lock_guard lock(mu_);
      ports_.insert(req.remote_port);
      ++requests_;
      return httplib::Server::HandlerResponse::Unhandled;
    });
  }
  ~TestServer() { Stop(); }

  httplib::Server& server() { return *server_; }

  void Start() {
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    for (int i = 0; i < 2000 && !server_->is_running(); ++i) std::this_thread::sleep_for(1ms);
  }
  void Stop() {
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
  }
  std::string Url(const std::string& scheme, const std::string& path) const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string Url(const std::string& path) const { return Url("http", path); }
  size_t Connections() const {
    std::lock_guard lock(mu_);
    return ports_.size();
  }
  int Requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::set<int> ports_;
  int requests_ = 0;
};

class CurlTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Global().ok());
    server_.server().Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Amzn-RequestId", "req-123");
      res.set_header("X-Echo", req.get_header_value("X-Custom"));
      res.set_content("hello " + req.get_param_value("name"), "text/plain");
    });
    server_.server().Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.status = 201;
      res.set_header("X-Content-Type-Seen",
                     req.has_header("Content-Type") ? req.get_header_value("Content-Type") : "<none>");
      res.set_header("X-Expect-Seen", req.has_header("Expect") ? "yes" : "no");
      res.set_header("X-Method", req.method);
      res.set_content(req.body, "application/octet-stream");
    });
    server_.server().Put("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Method", req.method);
      res.set_content(req.body, "application/octet-stream");
    });
    server_.server().Get("/status/503", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content("<Error><Code>ServiceUnavailable</Code></Error>", "text/xml");
    });
    server_.server().Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      std::unique_lock lock(slow_mu_);
      slow_cv_.wait_for(lock, 1s, [this] { return release_slow_; });
      res.set_content("late", "text/plain");
    });
    server_.Start();
  }
  void TearDown() override {
    {
      std::lock_guard lock(slow_mu_);
      release_slow_ = true;
    }
    slow_cv_.notify_all();
  }

  TestServer server_;
  std::mutex slow_mu_;
  std::condition_variable slow_cv_;
  bool release_slow_ = false;
};

TEST_F(CurlTransportTest, GetReturnsStatusHeadersAndBody) {
  CurlTransport transport;
  HttpRequest req{"GET", server_.Url("/hello?name=fleet"), {{"X-Custom", "abc"}}, ""};
  auto res = transport.Send(req, {});
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "hello fleet");
  ASSERT_NE(FindHeader(res->headers, "x-amzn-requestid"), nullptr);
  EXPECT_EQ(*FindHeader(res->headers, "x-amzn-requestid"), "req-123");
  EXPECT_EQ(*FindHeader(res->headers, "X-Echo"), "abc");
}

TEST_F(CurlTransportTest, PostSendsBodyWithoutExpectOrDefaultContentType) {
  CurlTransport transport;
  std::string big(200'000, 'x');  // large enough that curl would normally send Expect: 100-continue
  auto res = transport.Send({"POST", server_.Url("/echo"), {}, big}, {});
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, big);
  EXPECT_EQ(*FindHeader(res->headers, "X-Expect-Seen"), "no");
  EXPECT_EQ(*FindHeader(res->headers, "X-Content-Type-Seen"), "<none>");

  auto res2 = transport.Send(
      {"POST", server_.Url("/echo"), {{"Content-Type", "application/x-amz-json-1.1"}}, R"({"a":1})"}, {});
  ASSERT_TRUE(res2.ok());
  EXPECT_EQ(res2->body, R"({"a":1})");
  EXPECT_EQ(*FindHeader(res2->headers, "X-Content-Type-Seen"), "application/x-amz-json-1.1");
  EXPECT_EQ(*FindHeader(res2->headers, "X-Method"), "POST");
}

TEST_F(CurlTransportTest, PutAndEmptyPost) {
  CurlTransport transport;
  auto put = transport.Send({"PUT", server_.Url("/echo"), {}, "data"}, {});
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(*FindHeader(put->headers, "X-Method"), "PUT");
  EXPECT_EQ(put->body, "data");
  auto empty = transport.Send({"POST", server_.Url("/echo"), {}, ""}, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->status, 201);
  EXPECT_EQ(empty->body, "");
}

TEST_F(CurlTransportTest, ErrorStatusIsAResponseNotAnError) {
  CurlTransport transport;
  auto res = transport.Send({"GET", server_.Url("/status/503"), {}, ""}, {});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find("ServiceUnavailable"), std::string::npos);
}

TEST_F(CurlTransportTest, ReusesConnectionsForTheSameHost) {
  CurlTransport transport;
  for (int i = 0; i < 10; ++i) {
    auto res = transport.Send({"GET", server_.Url("/hello"), {}, ""}, {});
    ASSERT_TRUE(res.ok()) << res.error().ToString();
  }
  EXPECT_EQ(server_.Requests(), 10);
  EXPECT_EQ(server_.Connections(), 1u);
  EXPECT_EQ(transport.IdleHandles(), 1u);
}

TEST_F(CurlTransportTest, ConcurrentSendFromEightThreads) {
  CurlTransport transport;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::atomic<int> ok{0};
  // httplib listens with a backlog of 5; eight simultaneous first connects can overflow it and
  // cost a 1 s SYN retransmit. Threads open their first connection one after another, then race.
  std::atomic<int> connected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (connected.load() < t) std::this_thread::yield();
      for (int i = 0; i < kPerThread; ++i) {
        if (i == 1) ++connected;
        std::string body = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto res = transport.Send({"POST", server_.Url("/echo"), {}, body}, {});
        if (res.ok() && res->status == 201 && res->body == body) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  // Connections are reused: at most one per concurrently active thread, not one per request.
  EXPECT_LE(server_.Connections(), static_cast<size_t>(kThreads));
  EXPECT_LE(transport.IdleHandles(), static_cast<size_t>(kThreads));
}

TEST_F(CurlTransportTest, TotalTimeoutIsRetryableTimeout) {
  CurlTransport transport;
  HttpOptions opts;
  opts.total_timeout = 200ms;
  // No wall-clock bound: /slow answers in full later, so a failure with kTimeout naming 200 ms is
  // the event that proves the limit cut the request.
  auto res = transport.Send(
      {"GET", server_.Url("/slow"), {{"Authorization", "AWS4-HMAC-SHA256 secret-sig"}}, ""}, opts);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().category, ErrorCategory::kTimeout);
  EXPECT_TRUE(res.error().retryable);
  EXPECT_NE(res.error().message.find("200 ms"), std::string::npos) << res.error().message;
  EXPECT_EQ(res.error().message.find("secret-sig"), std::string::npos);
}

int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // bound but never listening: connections are refused
  return ntohs(addr.sin_port);
}

TEST(CurlTransportErrors, ConnectionRefusedIsRetryableConnectivity) {
  ASSERT_TRUE(Global().ok());
  CurlTransport transport;
  HttpOptions opts;
  opts.connect_timeout = 500ms;
  auto res = transport.Send(
      {"GET", "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/x?X-Amz-Signature=abcdef", {}, ""},
      opts);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().category, ErrorCategory::kConnectivity);
  EXPECT_TRUE(res.error().retryable);
  EXPECT_NE(res.error().message.find("could not connect"), std::string::npos) << res.error().message;
  // The query string (which may carry a presigned signature) never reaches the message.
  EXPECT_EQ(res.error().message.find("abcdef"), std::string::npos) << res.error().message;
}

TEST(CurlTransportErrors, ConnectTimeoutWhenTheAcceptQueueIsFull) {
  ASSERT_TRUE(Global().ok());
  // A listener with a full accept queue drops new SYNs, so connect() hangs until the timeout.
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(lfd, 0), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(20ms);
  CurlTransport transport;
  HttpOptions opts;
  opts.connect_timeout = 150ms;
  opts.total_timeout = 5s;
  // No wall-clock bound: "connecting timed out" (not the total timeout's message) is the event that
  // proves the 150 ms connect limit fired.
  auto res =
      transport.Send({"GET", "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/", {}, ""}, opts);
  for (int fd : fillers) ::close(fd);
  ::close(lfd);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().category, ErrorCategory::kTimeout) << res.error().message;
  EXPECT_TRUE(res.error().retryable);
  EXPECT_NE(res.error().message.find("connecting timed out"), std::string::npos) << res.error().message;
}

TEST(CurlTransportErrors, ConnectionClosedWithoutResponseIsRetryable) {
  ASSERT_TRUE(Global().ok());
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(lfd, 4), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread server([lfd] {
    int fd = ::accept(lfd, nullptr, nullptr);
    char buf[4096];
    (void)::recv(fd, buf, sizeof(buf), 0);
    linger lg{1, 0};  // close with RST: a "connection reset by peer"
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    ::close(fd);
  });
  CurlTransport transport;
  auto res =
      transport.Send({"GET", "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/", {}, ""}, {});
  server.join();
  ::close(lfd);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().category, ErrorCategory::kConnectivity);
  EXPECT_TRUE(res.error().retryable) << res.error().message;
}

TEST(CurlTransportErrors, DnsFailureIsConnectivity) {
  ASSERT_TRUE(Global().ok());
  CurlTransport transport;
  auto res = transport.Send({"GET", "http://no-such-host.invalid/", {}, ""}, {});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().category, ErrorCategory::kConnectivity);
  EXPECT_NE(res.error().message.find("resolve"), std::string::npos) << res.error().message;
}

TEST(CurlTransportErrors, MalformedOrUnsupportedUrlIsConfig) {
  ASSERT_TRUE(Global().ok());
  CurlTransport transport;
  auto bad = transport.Send({"GET", "not a url", {}, ""}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().category, ErrorCategory::kConfig);
  auto ftp = transport.Send({"GET", "ftp://127.0.0.1/x", {}, ""}, {});
  ASSERT_FALSE(ftp.ok());
  EXPECT_EQ(ftp.error().category, ErrorCategory::kConfig);
}

// --- HTTPS with a certificate made on the spot ---

using fleetpatch::testing::MakeSelfSigned;

class CurlTransportTlsTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer("IP:127.0.0.1,DNS:localhost"); }
  void StartServer(const char* san) {
    ASSERT_TRUE(Global().ok());
    server_.reset();
    auto [cert, key] = MakeSelfSigned(san);
    ASSERT_TRUE(cert && key);
    ca_path_ = dir_.path() / "ca.pem";
    ASSERT_TRUE(fleetpatch::testing::WriteCertPem(cert.get(), ca_path_));
    auto ssl = std::make_unique<httplib::SSLServer>(cert.get(), key.get());
    ASSERT_TRUE(ssl->is_valid());
    ssl->Get("/tls", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("secure", "text/plain");
    });
    server_ = std::make_unique<TestServer>(std::move(ssl));
    server_->Start();
  }

  fleetpatch::testing::TempDir dir_;
  std::filesystem::path ca_path_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(CurlTransportTlsTest, VerificationFailsWithoutTheCaBundle) {
  CurlTransport transport;
  auto res = transport.Send({"GET", server_->Url("https", "/tls"), {}, ""}, {});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().category, ErrorCategory::kConnectivity);
  EXPECT_FALSE(res.error().retryable);
  EXPECT_NE(res.error().message.find("AWS_CA_BUNDLE"), std::string::npos) << res.error().message;
  EXPECT_NE(res.error().message.find("proxy"), std::string::npos) << res.error().message;
}

TEST_F(CurlTransportTlsTest, SucceedsWithTheCaBundle) {
  CurlTransportOptions opts;
  opts.ca_bundle = ca_path_.string();
  CurlTransport transport(opts);
  for (int i = 0; i < 3; ++i) {
    auto res = transport.Send({"GET", server_->Url("https", "/tls"), {}, ""}, {});
    ASSERT_TRUE(res.ok()) << res.error().ToString();
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "secure");
  }
  EXPECT_EQ(server_->Connections(), 1u);
}

TEST_F(CurlTransportTlsTest, MissingCaBundleFileIsNotRetryable) {
  CurlTransportOptions opts;
  opts.ca_bundle = (dir_.path() / "no-such-ca.pem").string();
  CurlTransport transport(opts);
  auto res = transport.Send({"GET", server_->Url("https", "/tls"), {}, ""}, {});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().category, ErrorCategory::kConnectivity);
  EXPECT_FALSE(res.error().retryable) << res.error().message;
  EXPECT_NE(res.error().message.find("AWS_CA_BUNDLE"), std::string::npos) << res.error().message;
}

TEST_F(CurlTransportTlsTest, WrongHostNameFailsEvenWithTheCaBundle) {
  CurlTransportOptions opts;
  opts.ca_bundle = ca_path_.string();
  CurlTransport transport(opts);
  StartServer("DNS:elsewhere.example");  // trusted, but issued for another name
  auto res = transport.Send({"GET", server_->Url("https", "/tls"), {}, ""}, {});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().category, ErrorCategory::kConnectivity);
  EXPECT_FALSE(res.error().retryable);
}

// --- proxies ---

TEST(CurlTransportProxy, HttpRequestsGoThroughTheConfiguredProxy) {
  ASSERT_TRUE(Global().ok());
  TestServer proxy;
  std::atomic<int> proxied{0};
  proxy.server().set_error_handler([&](const httplib::Request&, httplib::Response& res) {
    ++proxied;
    res.status = 200;
    res.set_content("via proxy", "text/plain");
  });
  proxy.Start();
  CurlTransportOptions opts;
  opts.http_proxy = proxy.Url("");
  CurlTransport transport(opts);
  // .invalid never resolves: only a proxy can answer this.
  auto res = transport.Send({"GET", "http://ec2.example.invalid/", {}, ""}, {});
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  EXPECT_EQ(res->body, "via proxy");
  EXPECT_EQ(proxy.Requests(), 1);

  opts.no_proxy = "example.invalid";
  CurlTransport bypass(opts);
  auto direct = bypass.Send({"GET", "http://ec2.example.invalid/", {}, ""}, {});
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(proxy.Requests(), 1);
}

TEST(CurlTransportProxy, DirectRequestsNeverUseTheProxy) {
  ASSERT_TRUE(Global().ok());
  TestServer proxy;
  proxy.server().set_error_handler([&](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_content("via proxy", "text/plain");
  });
  proxy.Start();
  TestServer metadata;
  metadata.server().Get(
      "/latest/meta-data/iam/security-credentials/",
      [](const httplib::Request&, httplib::Response& res) { res.set_content("role", "text/plain"); });
  metadata.Start();
  CurlTransportOptions opts;
  opts.http_proxy = proxy.Url("");
  CurlTransport transport(opts);
  HttpRequest req{"GET", metadata.Url("/latest/meta-data/iam/security-credentials/"), {}, ""};
  req.direct = true;
  auto res = transport.Send(req, {});
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  EXPECT_EQ(res->body, "role");
  EXPECT_EQ(proxy.Requests(), 0);
  req.direct = false;  // the same request unmarked goes through the proxy
  res = transport.Send(req, {});
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  EXPECT_EQ(res->body, "via proxy");
  EXPECT_EQ(proxy.Requests(), 1);
}

TEST(CurlTransportLimits, BodiesLargerThanTheCapAreRefusedCompressedOrNot) {
  ASSERT_TRUE(Global().ok());
  TestServer server;
  const std::string big(3 << 20, '0');
  std::atomic<bool> gzip_offered{false};
  server.server().Get("/raw", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(big, "application/octet-stream");  // not compressed by httplib
  });
  server.server().Get("/text", [&](const httplib::Request& req, httplib::Response& res) {
    gzip_offered = req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos;
    res.set_content(big, "text/xml");  // gzip-compressed by httplib: a few KiB on the wire
  });
  server.Start();
  CurlTransportOptions opts;
  opts.max_response_bytes = 1 << 20;
  CurlTransport capped(opts);
  for (const char* path : {"/raw", "/text"}) {
    auto res = capped.Send({"GET", server.Url(path), {}, ""}, {});
    ASSERT_FALSE(res.ok()) << path;
    EXPECT_EQ(res.error().category, ErrorCategory::kConnectivity);
    EXPECT_FALSE(res.error().retryable);
    EXPECT_NE(res.error().message.find("larger than 1 MiB"), std::string::npos) << res.error().message;
  }
  EXPECT_TRUE(gzip_offered);
  opts.max_response_bytes = 4 << 20;
  CurlTransport roomy(opts);
  auto res = roomy.Send({"GET", server.Url("/text"), {}, ""}, {});
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  EXPECT_EQ(res->body.size(), big.size());
  EXPECT_EQ(CurlTransportOptions{}.max_response_bytes, size_t{64} << 20);
}

TEST(CurlTransportProxy, OptionsFromEnvironment) {
  ::setenv("AWS_CA_BUNDLE", "/tmp/ca.pem", 1);
  ::setenv("HTTPS_PROXY", "http://upper:3128", 1);
  ::setenv("https_proxy", "http://lower:3128", 1);
  ::unsetenv("HTTP_PROXY");
  ::setenv("http_proxy", "http://plain:3128", 1);
  ::setenv("NO_PROXY", "169.254.169.254,localhost", 1);
  auto o = CurlTransportOptions::FromEnvironment();
  EXPECT_EQ(o.ca_bundle, "/tmp/ca.pem");
  EXPECT_EQ(o.https_proxy, "http://upper:3128");
  EXPECT_EQ(o.http_proxy, "http://plain:3128");
  EXPECT_EQ(o.no_proxy, "169.254.169.254,localhost");
  EXPECT_EQ(o.max_response_bytes, kDefaultMaxResponseBytes);
  ::setenv("FLEETPATCH_MAX_RESPONSE_MIB", "16", 1);
  EXPECT_EQ(CurlTransportOptions::FromEnvironment().max_response_bytes, size_t{16} << 20);
  ::setenv("FLEETPATCH_MAX_RESPONSE_MIB", "lots", 1);
  EXPECT_EQ(CurlTransportOptions::FromEnvironment().max_response_bytes, kDefaultMaxResponseBytes);
  for (const char* v : {"AWS_CA_BUNDLE", "HTTPS_PROXY", "https_proxy", "http_proxy", "NO_PROXY",
                        "FLEETPATCH_MAX_RESPONSE_MIB"})
    ::unsetenv(v);
}

}  // namespace
}  // namespace fleetpatch::aws
