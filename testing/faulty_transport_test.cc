#include "testing/faulty_transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "testing/fake_clock.h"
#include "testing/fake_transport.h"

namespace fleetpatch::testing {
namespace {

using namespace std::chrono_literals;

aws::HttpRequest Ec2Request() {
  return {"POST", "https://ec2.us-east-1.amazonaws.com/", {{"Content-Type", "application/x-www-form-urlencoded"}},
          "Action=DescribeInstances&Version=2016-11-15"};
}

TEST(FakeTransportTest, AnswersInOrderAndRecordsRequests) {
  FakeTransport fake;
  fake.QueueResponse(200, "one", {{"x-amzn-RequestId", "r1"}});
  fake.QueueError(Error::Connectivity("reset"));
  auto a = fake.Send(Ec2Request(), {});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->body, "one");
  auto b = fake.Send({"GET", "http://x/", {}, ""}, {});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().category, ErrorCategory::kConnectivity);
  auto c = fake.Send({"GET", "http://x/unexpected", {}, ""}, {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("/unexpected"), std::string::npos);
  ASSERT_EQ(fake.request_count(), 3u);
  EXPECT_EQ(fake.requests()[0].body, "Action=DescribeInstances&Version=2016-11-15");
  fake.SetHandler([](const aws::HttpRequest& r) -> Result<aws::HttpResponse> {
    return aws::HttpResponse{200, {}, "echo " + r.body};
  });
  EXPECT_EQ(fake.Send({"POST", "http://x/", {}, "b"}, {})->body, "echo b");
}

TEST(FakeTransportTest, ThreadSafe) {
  FakeTransport fake;
  for (int i = 0; i < 400; ++i) fake.QueueResponse(200, std::to_string(i));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) ok += fake.Send(Ec2Request(), {}).ok() ? 1 : 0;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 400);
  EXPECT_EQ(fake.queued(), 0u);
  EXPECT_EQ(fake.request_count(), 400u);
}

TEST(FaultyTransportTest, InjectsEachFaultKindAtRoughlyItsRate) {
  FakeTransport fake;
  fake.SetHandler([](const aws::HttpRequest&) -> Result<aws::HttpResponse> { return aws::HttpResponse{200, {}, "ok"}; });
  FakeClock clock;
  FaultOptions o;
  o.throttle_rate = 0.2;
  o.server_error_rate = 0.1;
  o.reset_rate = 0.1;
  o.timeout_rate = 0.1;
  o.latency = 5ms;
  o.seed = 7;
  FaultyTransport faulty(fake, o, clock);
  int throttles = 0, server = 0, resets = 0, timeouts = 0, ok = 0;
  for (int i = 0; i < 2000; ++i) {
    auto r = faulty.Send(Ec2Request(), {});
    if (!r.ok()) {
      EXPECT_TRUE(r.error().retryable);
      (r.error().category == ErrorCategory::kTimeout ? timeouts : resets)++;
    } else if (r->status == 200) {
      ok++;
    } else if (r->body.find("RequestLimitExceeded") != std::string::npos) {
      EXPECT_EQ(r->status, 503);
      EXPECT_NE(r->body.find("<RequestID>faulty-"), std::string::npos);
      throttles++;
    } else {
      EXPECT_TRUE(r->status == 500 || r->status == 503);
      server++;
    }
  }
  auto c = faulty.counts();
  EXPECT_EQ(c.throttled, throttles);
  EXPECT_EQ(c.server_errors, server);
  EXPECT_EQ(c.resets, resets);
  EXPECT_EQ(c.timeouts, timeouts);
  EXPECT_EQ(c.forwarded, ok);
  EXPECT_EQ(static_cast<int>(fake.request_count()), ok);  // faults never reach the inner transport
  EXPECT_NEAR(throttles, 400, 80);
  EXPECT_NEAR(server, 200, 60);
  EXPECT_NEAR(resets, 200, 60);
  EXPECT_NEAR(timeouts, 200, 60);
  EXPECT_EQ(clock.TotalSlept(), 2000 * 5ms);
}

TEST(FaultyTransportTest, SameSeedSameFaults) {
  FakeTransport fake;
  fake.SetHandler([](const aws::HttpRequest&) -> Result<aws::HttpResponse> { return aws::HttpResponse{200, {}, ""}; });
  FakeClock clock;
  FaultOptions o;
  o.throttle_rate = 0.3;
  o.reset_rate = 0.2;
  o.seed = 99;
  auto run = [&] {
    FaultyTransport faulty(fake, o, clock);
    std::string trace;
    for (int i = 0; i < 100; ++i) {
      auto r = faulty.Send(Ec2Request(), {});
      trace += !r.ok() ? 'R' : r->status == 200 ? '.' : 'T';
    }
    return trace;
  };
  std::string first = run();
  EXPECT_EQ(first, run());
  EXPECT_NE(first.find('T'), std::string::npos);
  EXPECT_NE(first.find('R'), std::string::npos);
}

TEST(FaultyTransportTest, ErrorBodiesFollowTheWireProtocol) {
  FakeTransport fake;
  FakeClock clock;
  FaultOptions o;
  o.throttle_rate = 1.0;
  FaultyTransport faulty(fake, o, clock);
  auto json = faulty.Send({"POST", "https://ssm.us-east-1.amazonaws.com/",
                           {{"Content-Type", "application/x-amz-json-1.1"}}, "{}"}, {});
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->status, 400);
  EXPECT_NE(json->body.find(R"("__type":"ThrottlingException")"), std::string::npos);
  auto query = faulty.Send({"POST", "https://sts.amazonaws.com/", {}, "Action=GetCallerIdentity&Version=2011-06-15"}, {});
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->status, 400);
  EXPECT_NE(query->body.find("<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"), std::string::npos);
}

}  // namespace
}  // namespace fleetpatch::testing
