#include "emulator/server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include "aws/sigv4.h"

namespace fleetpatch::emulator {
namespace {

TEST(ServerTest, ServesOnAnEphemeralLoopbackPortAndAnswersUnsignedRequestsWithAuthFailure) {
  Emulator emulator(DemoFleet());
  Server server(emulator);
  ASSERT_TRUE(server.Start(ServerOptions{}).ok());
  ASSERT_GT(server.port(), 0);
  EXPECT_EQ(server.endpoint(), "http://127.0.0.1:" + std::to_string(server.port()));
  httplib::Client client("127.0.0.1", server.port());
  auto res =
      client.Post("/", "Action=DescribeInstances&Version=2016-11-15", "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_NE(res->body.find("<Code>AuthFailure</Code>"), std::string::npos);
  res = client.Post("/", "{}", "application/x-amz-json-1.1");
  ASSERT_TRUE(res);
  server.Stop();
}

TEST(ServerTest, AnswersUncompressedWhateverTheClientAccepts) {
  Emulator emulator(DemoFleet());
  Server server(emulator);
  ASSERT_TRUE(server.Start(ServerOptions{}).ok());
  httplib::Client client("127.0.0.1", server.port());
  // What curl sends for CURLOPT_ACCEPT_ENCODING "": every encoding it can decode.
  httplib::Headers accept = {{"Accept-Encoding", "deflate, gzip, br, zstd"}};
  auto res = client.Post("/", accept, "Action=DescribeInstances&Version=2016-11-15",
                         "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_FALSE(res->has_header("Content-Encoding")) << res->get_header_value("Content-Encoding");
  EXPECT_NE(res->body.find("<Code>AuthFailure</Code>"), std::string::npos);
  server.Stop();
}

TEST(ServerTest, ReadsFormBodiesOverHttplibsEightKiB) {
  Emulator emulator(DemoFleet());
  Server server(emulator);
  ASSERT_TRUE(server.Start(ServerOptions{}).ok());
  std::string body = "Action=DescribeSnapshots&Version=2016-11-15&Filter.1.Name=snapshot-id";
  for (int i = 1; i <= 200; ++i)
    body += "&Filter.1.Value." + std::to_string(i) + "=snap-0b000000000000" + std::to_string(100 + i);
  ASSERT_GT(body.size(), 8192u);
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Post("/", body, "application/x-www-form-urlencoded; charset=utf-8");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401) << "reached the emulator (unsigned: AuthFailure), not httplib's 413";
  EXPECT_NE(res->body.find("<Code>AuthFailure</Code>"), std::string::npos);
  server.Stop();
}

TEST(ServerTest, RefusesNonLoopbackUnlessAllowed) {
  Emulator emulator(DemoFleet());
  Server server(emulator);
  ServerOptions o;
  o.host = "0.0.0.0";
  Status st = server.Start(o);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().category, ErrorCategory::kConfig);
  EXPECT_NE(st.error().message.find("--allow-non-loopback"), std::string::npos);
  EXPECT_EQ(server.port(), 0) << "nothing listens after a refusal";

  // Allowed: it listens on every interface, so also on loopback.
  o.allow_non_loopback = true;
  Server allowed(emulator);
  ASSERT_TRUE(allowed.Start(o).ok());
  ASSERT_GT(allowed.port(), 0);
  httplib::Client client("127.0.0.1", allowed.port());
  auto res =
      client.Post("/", "Action=DescribeInstances&Version=2016-11-15", "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);  // reached the emulator (unsigned: AuthFailure)
  allowed.Stop();
}

// Signs a DescribeInstances request with the base credentials and sends it over a real socket.
httplib::Result SignedDescribe(Emulator& emulator, const Server& server) {
  aws::HttpRequest req;
  req.url = server.endpoint() + "/";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  req.body = "Action=DescribeInstances&Version=2016-11-15";
  aws::SigningParams sp;
  sp.region = "us-east-1";
  sp.service = "ec2";
  sp.time = std::chrono::system_clock::now();
  auto signed_ = aws::SignRequest(req, emulator.BaseCredentials(), sp);
  EXPECT_TRUE(signed_.ok());
  httplib::Headers headers;
  for (const auto& [k, v] : req.headers)
    if (k != "Content-Type" && k != "Host") headers.emplace(k, v);
  httplib::Client client("127.0.0.1", server.port());
  return client.Post("/", headers, req.body, "application/x-www-form-urlencoded; charset=utf-8");
}

TEST(ServerTest, SignedRequestSucceedsAndDroppedConnectionFaultReachesTheClient) {
  Emulator emulator(DemoFleet());
  Server server(emulator);
  ASSERT_TRUE(server.Start(ServerOptions{}).ok());
  auto ok = SignedDescribe(emulator, server);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_NE(ok->body.find("<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"),
            std::string::npos);
  FaultSpec drop;
  drop.drop_rate = 1.0;
  emulator.SetFault("*", drop);
  auto dropped = SignedDescribe(emulator, server);
  EXPECT_FALSE(dropped && dropped->status == 200);
  EXPECT_EQ(emulator.RequestLog().back().error_code, "(connection dropped)");
}

}  // namespace
}  // namespace fleetpatch::emulator
