#include "aws/service_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "aws/protocol/embedded_models.h"
#include "aws/sigv4.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"
#include "testing/faulty_transport.h"
#include "testing/testdata.h"

namespace fleetpatch::aws {
namespace {

using namespace std::chrono_literals;
using fleetpatch::testing::FakeClock;
using fleetpatch::testing::FakeTransport;
using fleetpatch::testing::FaultOptions;
using fleetpatch::testing::FaultyTransport;

constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kSessionToken[] = "IQoJb3JpZ2luX2VjSESSIONTOKENVALUE";

class StaticProvider final : public CredentialsProvider {
 public:
  Result<Credentials> GetCredentials() override {
    ++calls;
    if (fail) return Error::Auth("no credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID");
    return Credentials{kAccessKey, kSecret, kSessionToken, std::nullopt, "test"};
  }
  std::atomic<int> calls{0};
  bool fail = false;
};

const protocol::ServiceModel& LoadModel(const std::string& service) {
  if (service == "ec2") return protocol::Ec2Model();
  if (service == "ssm") return protocol::SsmModel();
  return protocol::StsModel();
}

// A tiny EC2-protocol model with an idempotency token (the shipped models' operations have none).
const protocol::ServiceModel& TokenModel() {
  static const protocol::ServiceModel model = [] {
    auto m = protocol::ServiceModel::Parse(R"({
      "metadata": {"protocol": "ec2", "apiVersion": "2016-11-15", "endpointPrefix": "ec2"},
      "operations": {"RunThing": {"name": "RunThing", "http": {"method": "POST", "requestUri": "/"},
                                  "input": {"shape": "RunThingRequest"}, "output": {"shape": "RunThingResult"}}},
      "shapes": {
        "RunThingRequest": {"type": "structure", "members": {
          "Name": {"shape": "Str"}, "ClientToken": {"shape": "Str", "idempotencyToken": true}}},
        "RunThingResult": {"type": "structure", "members": {"ThingId": {"shape": "Str", "locationName": "thingId"}}},
        "Str": {"type": "string"}}})");
    EXPECT_TRUE(m.ok());
    return std::move(m).value();
  }();
  return model;
}

// Checks a request the way AWS would: a valid SigV4 signature by kAccessKey for the region/service.
Status VerifySignature(const HttpRequest& request, const std::string& service) {
  ReceivedRequest received;
  received.method = request.method;
  auto scheme_end = request.url.find("://");
  auto path_start = request.url.find('/', scheme_end + 3);
  received.target = path_start == std::string::npos ? "/" : request.url.substr(path_start);
  received.headers = request.headers;
  received.body = request.body;
  auto verified = VerifyRequest(received, kSecret);
  if (!verified.ok()) return verified.error();
  if (verified->access_key_id != kAccessKey || verified->service != service ||
      verified->region != "us-east-1") {
    return Error::Auth("signed for the wrong key, service or region");
  }
  const std::string* token = FindHeader(request.headers, "X-Amz-Security-Token");
  if (token == nullptr || *token != kSessionToken) return Error::Auth("session token missing");
  return OkStatus();
}

const char kDescribeInstancesOk[] =
    R"(<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">)"
    R"(<requestId>ec2-req-ok</requestId><reservationSet><item><reservationId>r-1</reservationId>)"
    R"(<instancesSet><item><instanceId>i-0abc</instanceId></item></instancesSet></item></reservationSet>)"
    R"(</DescribeInstancesResponse>)";

std::string Ec2Error(const std::string& code, const std::string& message, const std::string& request_id) {
  return "<Response><Errors><Error><Code>" + code + "</Code><Message>" + message +
         "</Message></Error></Errors><RequestID>" + request_id + "</RequestID></Response>";
}

const char kGetCallerIdentityOk[] =
    R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>)"
    R"(<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>)"
    R"(</GetCallerIdentityResult><ResponseMetadata><RequestId>sts-req-1</RequestId></ResponseMetadata>)"
    R"(</GetCallerIdentityResponse>)";

class ServiceClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServiceClient> MakeClient(const std::string& service, HttpTransport& transport,
                                            RetryOptions retry = {},
                                            const protocol::ServiceModel* model = nullptr) {
    ServiceClientOptions o;
    o.endpoint = "https://" + service + ".us-east-1.amazonaws.com";
    o.region = "us-east-1";
    o.retry = retry;
    o.observer = [this](const AttemptRecord& r) {
      std::lock_guard lock(mu_);
      records_.push_back(r);
    };
    o.idempotency_token = [this] { return "token-" + std::to_string(++tokens_); };
    o.gate = gate_;
    return std::make_unique<ServiceClient>(model != nullptr ? *model : LoadModel(service), o, transport,
                                           provider_, clock_, [] { return 0.5; });
  }
  std::vector<AttemptRecord> records() {
    std::lock_guard lock(mu_);
    return records_;
  }

  FakeClock clock_;
  StaticProvider provider_;
  FakeTransport fake_;
  std::shared_ptr<AttemptGate> gate_;  // none unless a test sets one before MakeClient
  std::mutex mu_;
  std::vector<AttemptRecord> records_;
  std::atomic<int> tokens_{0};
};

TEST_F(ServiceClientTest, SignsSendsAndParses) {
  fake_.QueueResponse(200, kGetCallerIdentityOk, {{"x-amzn-RequestId", "sts-req-1"}});
  auto client = MakeClient("sts", fake_);
  auto result = client->Call("GetCallerIdentity", nlohmann::json::object());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ((*result)["Account"], "123456789012");
  EXPECT_EQ((*result)["Arn"], "arn:aws:iam::123456789012:user/alice");

  ASSERT_EQ(fake_.request_count(), 1u);
  HttpRequest sent = fake_.requests()[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://sts.us-east-1.amazonaws.com/");
  EXPECT_EQ(sent.body, "Action=GetCallerIdentity&Version=2011-06-15");
  ASSERT_NE(FindHeader(sent.headers, "User-Agent"), nullptr);
  EXPECT_EQ(*FindHeader(sent.headers, "X-Amz-Date"), "20150830T123600Z");  // from the injected clock
  auto verified = VerifySignature(sent, "sts");
  EXPECT_TRUE(verified.ok()) << verified.error().message;

  auto r = records();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].action, "sts:GetCallerIdentity");
  EXPECT_EQ(r[0].attempt, 1);
  EXPECT_EQ(r[0].http_status, 200);
  EXPECT_EQ(r[0].request_id, "sts-req-1");
  EXPECT_TRUE(r[0].error.empty());
  EXPECT_EQ(client->retry_policy().quota().available(), 500);
}

TEST_F(ServiceClientTest, ThrottledThenSuccessIsRetriedAfterBackoff) {
  fake_.QueueResponse(503, Ec2Error("RequestLimitExceeded", "Request limit exceeded.", "ec2-req-1"));
  fake_.QueueResponse(200, kDescribeInstancesOk);
  auto client = MakeClient("ec2", fake_);
  auto result = client->Call("DescribeInstances", {{"MaxResults", 1000}});
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ((*result)["Reservations"][0]["Instances"][0]["InstanceId"], "i-0abc");
  EXPECT_EQ(fake_.request_count(), 2u);
  EXPECT_EQ(clock_.TotalSlept(), 500ms);  // 0.5 * 2^0 s
  // Each attempt is signed afresh, after the backoff, and both verify.
  auto sent = fake_.requests();
  EXPECT_EQ(*FindHeader(sent[0].headers, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(*FindHeader(sent[1].headers, "X-Amz-Date"), "20150830T123600Z");  // 0.5 s later, same second
  for (const auto& req : sent) EXPECT_TRUE(VerifySignature(req, "ec2").ok());
  EXPECT_EQ(provider_.calls.load(), 2);
  auto r = records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].error, "RequestLimitExceeded");
  EXPECT_EQ(r[0].request_id, "ec2-req-1");
  EXPECT_TRUE(r[0].will_retry);
  EXPECT_EQ(r[0].retry_delay, 500ms);
  EXPECT_EQ(r[1].attempt, 2);
  EXPECT_EQ(r[1].request_id, "ec2-req-ok");
  EXPECT_EQ(client->retry_policy().quota().available(), 500);  // the retry's 5 tokens refunded
}

TEST_F(ServiceClientTest, CallReadingRetriesLikeCallAndHandsOverTheWireBody) {
  const std::string page = R"({"InstancePatchStates":[],"NextToken":"t2"})";
  fake_.QueueResponse(503, R"({"__type":"ThrottlingException","message":"Rate exceeded"})",
                      {{"x-amzn-RequestId", "ssm-req-1"}});
  fake_.QueueResponse(200, page, {{"x-amzn-RequestId", "ssm-req-2"}});
  auto client = MakeClient("ssm", fake_);
  std::vector<std::string> bodies;
  Status st = client->CallReading("DescribeInstancePatchStates", {{"InstanceIds", {"i-1"}}},
                                  [&](std::string_view body) -> Status {
                                    bodies.emplace_back(body);
                                    return OkStatus();
                                  });
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(bodies, std::vector<std::string>{page});  // only the answer that succeeded, as sent
  EXPECT_EQ(fake_.request_count(), 2u);
  auto r = records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].error, "ThrottlingException");
  EXPECT_EQ(r[1].request_id, "ssm-req-2");
  EXPECT_TRUE(r[1].error.empty());
}

TEST_F(ServiceClientTest, CallReadingDoesNotRetryWhatTheReaderRefuses) {
  fake_.QueueResponse(200, "{}");
  auto client = MakeClient("ssm", fake_);
  Status st = client->CallReading("DescribeInstancePatchStates", {{"InstanceIds", {"i-1"}}},
                                  [](std::string_view) -> Status { return Error::Internal("refused"); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "ssm:DescribeInstancePatchStates: refused");
  EXPECT_EQ(fake_.request_count(), 1u);
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].error, "unparseable-response");
}

// Records what the client tells its gate; BeforeAttempt also notes how many requests had been sent.
class RecordingGate final : public AttemptGate {
 public:
  explicit RecordingGate(const FakeTransport& transport) : transport_(transport) {}
  void BeforeAttempt(const std::string& operation, int attempt) override {
    std::lock_guard lock(mu_);
    log_.push_back("before " + operation + " #" + std::to_string(attempt) +
                   " sent=" + std::to_string(transport_.request_count()));
  }
  void AfterAttempt(const std::string& operation, int attempt, AttemptOutcome outcome) override {
    std::lock_guard lock(mu_);
    const char* name = outcome == AttemptOutcome::kSuccess     ? "success"
                       : outcome == AttemptOutcome::kThrottled ? "throttled"
                                                               : "failed";
    log_.push_back("after " + operation + " #" + std::to_string(attempt) + " " + name);
  }
  std::vector<std::string> log() {
    std::lock_guard lock(mu_);
    return log_;
  }

 private:
  const FakeTransport& transport_;
  std::mutex mu_;
  std::vector<std::string> log_;
};

TEST_F(ServiceClientTest, EveryAttemptWaitsAtTheGateAndReportsThrottling) {
  auto gate = std::make_shared<RecordingGate>(fake_);
  gate_ = gate;
  fake_.QueueResponse(503, Ec2Error("RequestLimitExceeded", "Request limit exceeded.", "ec2-req-1"));
  fake_.QueueResponse(500, Ec2Error("InternalError", "An internal error has occurred.", "ec2-req-2"));
  fake_.QueueResponse(200, kDescribeInstancesOk);
  auto client = MakeClient("ec2", fake_);
  auto result = client->Call("DescribeInstances", {{"MaxResults", 1000}});
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(fake_.request_count(), 3u);
  // Three attempts, three waits at the gate, each before its request went out.
  EXPECT_EQ(gate->log(), (std::vector<std::string>{
                             "before DescribeInstances #1 sent=0", "after DescribeInstances #1 throttled",
                             "before DescribeInstances #2 sent=1", "after DescribeInstances #2 failed",
                             "before DescribeInstances #3 sent=2", "after DescribeInstances #3 success"}));
}

TEST_F(ServiceClientTest, AuthErrorsAreNotRetried) {
  fake_.QueueResponse(401,
                      Ec2Error("AuthFailure", "AWS was not able to validate the provided access credentials",
                               "ec2-req-auth"));
  auto client = MakeClient("ec2", fake_);
  auto result = client->Call("DescribeInstances", nlohmann::json::object());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::kAuth);
  EXPECT_EQ(result.error().aws_code, "AuthFailure");
  EXPECT_EQ(result.error().http_status, 401);
  EXPECT_EQ(result.error().request_id, "ec2-req-auth");
  EXPECT_FALSE(result.error().retryable);
  EXPECT_NE(result.error().message.find("ec2:DescribeInstances"), std::string::npos);
  EXPECT_EQ(fake_.request_count(), 1u);
  EXPECT_EQ(clock_.TotalSlept(), 0ns);
}

TEST_F(ServiceClientTest, PermissionErrorNamesTheIamAction) {
  fake_.QueueResponse(403, Ec2Error("UnauthorizedOperation",
                                    "You are not authorized to perform this operation.", "ec2-req-perm"));
  auto client = MakeClient("ec2", fake_);
  auto result = client->Call("CreateImage", {{"InstanceId", "i-1"}, {"Name", "backup"}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::kPermission);
  EXPECT_NE(result.error().message.find("ec2:CreateImage"), std::string::npos) << result.error().message;
  EXPECT_EQ(fake_.request_count(), 1u);
}

TEST_F(ServiceClientTest, GivesUpAfterMaxAttemptsAndSaysSo) {
  for (int i = 0; i < 3; ++i)
    fake_.QueueResponse(400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})");
  auto client = MakeClient("ssm", fake_);
  auto result = client->Call("DescribeInstanceInformation", nlohmann::json::object());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::kThrottled);
  EXPECT_EQ(result.error().aws_code, "ThrottlingException");
  EXPECT_NE(result.error().message.find("gave up after 3 attempts"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(fake_.request_count(), 3u);
  EXPECT_EQ(clock_.TotalSlept(), 1500ms);  // 0.5 s + 1 s
  for (const auto& req : fake_.requests()) {
    EXPECT_EQ(*FindHeader(req.headers, "X-Amz-Target"), "AmazonSSM.DescribeInstanceInformation");
    EXPECT_TRUE(VerifySignature(req, "ssm").ok());
  }
  EXPECT_EQ(client->retry_policy().quota().available(), 490);  // two retries never refunded
}

TEST_F(ServiceClientTest, MaxAttemptsOverride) {
  for (int i = 0; i < 5; ++i) fake_.QueueResponse(500, Ec2Error("InternalError", "oops", "r"));
  RetryOptions retry;
  retry.max_attempts = 5;
  auto client = MakeClient("ec2", fake_, retry);
  auto result = client->Call("DescribeInstances", nlohmann::json::object());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(fake_.request_count(), 5u);
  EXPECT_EQ(clock_.TotalSlept(), 500ms + 1s + 2s + 4s);
}

TEST_F(ServiceClientTest, ConnectionErrorsAndTimeoutsAreRetriedAtTheHigherCost) {
  fake_.QueueError(Error::Connectivity("connection reset by peer"));
  fake_.QueueResponse(200, kDescribeInstancesOk);
  auto client = MakeClient("ec2", fake_);
  ASSERT_TRUE(client->Call("DescribeInstances", nlohmann::json::object()).ok());
  EXPECT_EQ(client->retry_policy().quota().available(), 500);  // 10 taken, 10 refunded

  Error timeout = Error::Timeout("no complete response within 60000 ms");
  timeout.retryable = true;
  fake_.QueueError(timeout);
  fake_.QueueError(timeout);
  fake_.QueueError(timeout);
  auto failed = client->Call("DescribeInstances", nlohmann::json::object());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().category, ErrorCategory::kTimeout);
  EXPECT_NE(failed.error().message.find("ec2:DescribeInstances"), std::string::npos);
  EXPECT_EQ(client->retry_policy().quota().available(), 480);
  EXPECT_EQ(records().back().error, "timeout");
}

TEST_F(ServiceClientTest, NonRetryableTransportErrorIsReturnedAtOnce) {
  fake_.QueueError(Error::Connectivity("TLS certificate verification failed; check AWS_CA_BUNDLE", false));
  auto client = MakeClient("ec2", fake_);
  auto result = client->Call("DescribeInstances", nlohmann::json::object());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::kConnectivity);
  EXPECT_EQ(fake_.request_count(), 1u);
}

TEST_F(ServiceClientTest, TheRetryQuotaRunsOut) {
  fake_.SetHandler([](const HttpRequest&) -> Result<HttpResponse> {
    return HttpResponse{503, {}, Ec2Error("RequestLimitExceeded", "Request limit exceeded.", "r")};
  });
  RetryOptions retry;
  retry.quota_capacity = 30;  // six retries
  auto client = MakeClient("ec2", fake_, retry);
  int attempts_before = 0;
  std::vector<size_t> attempts_per_call;
  std::string last_message;
  for (int i = 0; i < 5; ++i) {
    auto result = client->Call("DescribeInstances", nlohmann::json::object());
    ASSERT_FALSE(result.ok());
    attempts_per_call.push_back(fake_.request_count() - attempts_before);
    attempts_before = static_cast<int>(fake_.request_count());
    last_message = result.error().message;
  }
  // 3 + 3 + 3 attempts use the 30 tokens; then each call gets its first try only.
  EXPECT_EQ(attempts_per_call, (std::vector<size_t>{3, 3, 3, 1, 1}));
  EXPECT_NE(last_message.find("retry quota"), std::string::npos) << last_message;
  EXPECT_EQ(client->retry_policy().quota().available(), 0);
}

TEST_F(ServiceClientTest, RetryAfterIsHonoured) {
  fake_.QueueResponse(503, Ec2Error("ServiceUnavailable", "busy", "r"), {{"Retry-After", "3"}});
  fake_.QueueResponse(200, kDescribeInstancesOk);
  auto client = MakeClient("ec2", fake_);
  ASSERT_TRUE(client->Call("DescribeInstances", nlohmann::json::object()).ok());
  EXPECT_EQ(clock_.TotalSlept(), 3s);
  // Three seconds passed between the attempts; the second signature uses the new time.
  EXPECT_EQ(*FindHeader(fake_.requests()[1].headers, "X-Amz-Date"), "20150830T123603Z");
}

TEST_F(ServiceClientTest, UndecodableGatewayErrorIsRetriedByStatus) {
  fake_.QueueResponse(502, "<html><body>Bad Gateway</body></html>", {{"Content-Type", "text/html"}});
  fake_.QueueResponse(200, kDescribeInstancesOk);
  auto client = MakeClient("ec2", fake_);
  auto result = client->Call("DescribeInstances", nlohmann::json::object());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(fake_.request_count(), 2u);
  EXPECT_EQ(records()[0].http_status, 502);
}

TEST_F(ServiceClientTest, IdempotencyTokenIsStableAcrossRetries) {
  fake_.QueueResponse(503, Ec2Error("RequestLimitExceeded", "slow down", "r"));
  fake_.QueueResponse(200, R"(<RunThingResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">)"
                           R"(<requestId>r2</requestId><thingId>t-1</thingId></RunThingResponse>)");
  auto client = MakeClient("ec2", fake_, {}, &TokenModel());
  auto result = client->Call("RunThing", {{"Name", "x"}});
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ((*result)["ThingId"], "t-1");
  auto sent = fake_.requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_NE(sent[0].body.find("ClientToken=token-1"), std::string::npos) << sent[0].body;
  EXPECT_EQ(sent[0].body, sent[1].body);
}

TEST_F(ServiceClientTest, BadParametersFailBeforeSending) {
  auto client = MakeClient("ec2", fake_);
  auto result = client->Call("DescribeInstances", {{"NoSuchParameter", 1}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::kValidation);
  EXPECT_EQ(fake_.request_count(), 0u);
}

TEST_F(ServiceClientTest, MissingCredentialsFailBeforeSending) {
  provider_.fail = true;
  auto client = MakeClient("ec2", fake_);
  auto result = client->Call("DescribeInstances", nlohmann::json::object());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::kAuth);
  EXPECT_EQ(fake_.request_count(), 0u);
}

TEST_F(ServiceClientTest, EndpointWithPathAndEmulatorUrls) {
  fake_.QueueResponse(200, kDescribeInstancesOk);
  ServiceClientOptions o;
  o.endpoint = "http://127.0.0.1:4566/";
  o.region = "us-east-1";
  o.observer = [](const AttemptRecord&) {};
  ServiceClient client(LoadModel("ec2"), o, fake_, provider_, clock_, [] { return 0.0; });
  ASSERT_TRUE(client.Call("DescribeInstances", nlohmann::json::object()).ok());
  EXPECT_EQ(fake_.requests()[0].url, "http://127.0.0.1:4566/");
  EXPECT_EQ(client.options().signing_name, "ec2");  // from the model's endpointPrefix
  EXPECT_TRUE(VerifySignature(fake_.requests()[0], "ec2").ok());
}

TEST_F(ServiceClientTest, NoSecretsInLogsOrErrors) {
  // A service that echoes a canonical request containing the session token, as STS can.
  fake_.QueueResponse(
      403, std::string("<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
                       "<Message>The request signature we calculated does not match. The Canonical "
                       "String for this request should have been 'x-amz-security-token:") +
               kSessionToken + "'</Message></Error><RequestId>r</RequestId></ErrorResponse>");
  fake_.QueueResponse(503, Ec2Error("RequestLimitExceeded", "x", "r"));
  fake_.QueueResponse(200, kDescribeInstancesOk);
  auto sts = MakeClient("sts", fake_);
  auto failed = sts->Call("GetCallerIdentity", nlohmann::json::object());
  ASSERT_FALSE(failed.ok());
  auto ec2 = MakeClient("ec2", fake_);
  ASSERT_TRUE(ec2->Call("DescribeInstances", nlohmann::json::object()).ok());

  std::vector<std::string> texts = {failed.error().ToString()};
  for (const auto& r : records()) texts.push_back(FormatAttempt(r));
  std::vector<std::string> secrets = {kSecret, kSessionToken};
  for (const auto& req : fake_.requests()) {
    std::string auth = *FindHeader(req.headers, "Authorization");
    secrets.push_back(auth.substr(auth.find("Signature=") + 10));
  }
  for (const auto& text : texts) {
    for (const auto& secret : secrets) EXPECT_EQ(text.find(secret), std::string::npos) << text;
  }
  EXPECT_NE(texts[1].find("aws sts:GetCallerIdentity attempt=1 status=403"), std::string::npos) << texts[1];
}

TEST_F(ServiceClientTest, FaultyTransportEndToEndSingleThread) {
  fake_.SetHandler([](const HttpRequest& req) -> Result<HttpResponse> {
    if (!VerifySignature(req, "ec2").ok())
      return HttpResponse{403, {}, Ec2Error("SignatureDoesNotMatch", "", "")};
    return HttpResponse{200, {}, kDescribeInstancesOk};
  });
  FaultOptions fo;
  fo.throttle_rate = 0.2;
  fo.server_error_rate = 0.1;
  fo.reset_rate = 0.05;
  fo.timeout_rate = 0.05;
  fo.latency = 20ms;
  fo.seed = 2024;
  FaultyTransport faulty(fake_, fo, clock_);
  auto client = MakeClient("ec2", faulty);
  int ok = 0, failed = 0;
  for (int i = 0; i < 300; ++i) {
    auto result = client->Call("DescribeInstances", nlohmann::json::object());
    if (result.ok()) {
      ++ok;
    } else {
      ++failed;
      EXPECT_TRUE(result.error().retryable) << result.error().ToString();
      EXPECT_NE(result.error().message.find("gave up after 3 attempts"), std::string::npos);
    }
  }
  auto counts = faulty.counts();
  EXPECT_EQ(counts.forwarded, ok);  // every forwarded request carried a valid signature and succeeded
  EXPECT_EQ(static_cast<int>(fake_.request_count()), ok);
  int attempts = counts.forwarded + counts.throttled + counts.server_errors + counts.resets + counts.timeouts;
  EXPECT_EQ(static_cast<int>(records().size()), attempts);
  // With 40% faults, about 0.4^3 = 6% of calls exhaust three attempts.
  EXPECT_GT(ok, 255);
  EXPECT_GT(failed, 3);
  EXPECT_GE(client->retry_policy().quota().available(), 0);
}

TEST_F(ServiceClientTest, ConcurrentCallsShareOneQuota) {
  fake_.SetHandler([](const HttpRequest& req) -> Result<HttpResponse> {
    if (!VerifySignature(req, "ec2").ok())
      return HttpResponse{403, {}, Ec2Error("SignatureDoesNotMatch", "", "")};
    return HttpResponse{200, {}, kDescribeInstancesOk};
  });
  FaultOptions fo;
  fo.throttle_rate = 0.3;
  fo.seed = 5;
  FaultyTransport faulty(fake_, fo, clock_);
  auto client = MakeClient("ec2", faulty);
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto r = client->Call("DescribeInstances", nlohmann::json::object());
        (r.ok() ? ok : failed)++;
        if (!r.ok() && r.error().category != ErrorCategory::kThrottled) ADD_FAILURE() << r.error().ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok + failed, 400);
  EXPECT_EQ(faulty.counts().forwarded, ok.load());
  EXPECT_GT(ok.load(), 370);
  // Quota bookkeeping is exact under concurrency: every retry took 5, every success refunded its
  // last retry cost or 1, capped at 500.
  EXPECT_LE(client->retry_policy().quota().available(), 500);
  EXPECT_GT(client->retry_policy().quota().available(), 400);
}

TEST(ServiceClientOptionsTest, FromAResolvedEndpoint) {
  ResolvedEndpoint e{"https://sts.amazonaws.com", "us-east-1", "sts", "aws", "partition aws"};
  ServiceClientOptions o = ServiceClientOptionsFor(e);
  EXPECT_EQ(o.endpoint, "https://sts.amazonaws.com");
  EXPECT_EQ(o.region, "us-east-1");
  EXPECT_EQ(o.signing_name, "sts");
  EXPECT_EQ(o.retry.max_attempts, 3);
}

}  // namespace
}  // namespace fleetpatch::aws
