#include "aws/credentials_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "aws/credentials_env.h"
#include "aws/credentials_sts.h"
#include "aws/credentials_testing.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"

namespace fleetpatch::aws {
namespace {

using namespace std::chrono_literals;
using fleetpatch::testing::FakeClock;
using testing::FakeSts;
using testing::LogCapture;

// A source whose answers a test scripts; counts calls; can be slow.
class ScriptedSource final : public CredentialsProvider {
 public:
  explicit ScriptedSource(Clock& clock) : clock_(clock) {}
  Result<Credentials> GetCredentials() override {
    int n = ++calls;
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (fail) return Error::Auth("source is down");
    Credentials c{"AKID" + std::to_string(n), "secret" + std::to_string(n), "token" + std::to_string(n),
                  std::nullopt, "scripted"};
    if (lifetime.count() > 0) c.expiration = clock_.Now() + lifetime;
    return c;
  }
  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};
  std::chrono::seconds lifetime{3600};
  std::chrono::milliseconds delay{0};

 private:
  Clock& clock_;
};

struct CacheFixture {
  FakeClock clock;
  std::shared_ptr<ScriptedSource> source = std::make_shared<ScriptedSource>(clock);
  CachingProvider cache{source, clock, "test source"};
};

TEST(CachingProviderTest, RefreshesWhenTenPercentOfALongLifetimeIsLeft) {
  CacheFixture f;
  EXPECT_EQ(f.cache.GetCredentials()->access_key_id, "AKID1");
  f.clock.Advance(53min);  // 7 min left of 60: more than max(5 min, 6 min)
  EXPECT_EQ(f.cache.GetCredentials()->access_key_id, "AKID1");
  EXPECT_EQ(f.source->calls, 1);
  f.clock.Advance(90s);  // 5.5 min left: inside the 6-minute window
  EXPECT_EQ(f.cache.GetCredentials()->access_key_id, "AKID2");
  EXPECT_EQ(f.source->calls, 2);
}

TEST(CachingProviderTest, RefreshesFiveMinutesBeforeAShortLifetimeEnds) {
  CacheFixture f;
  f.source->lifetime = 15min;
  ASSERT_TRUE(f.cache.GetCredentials().ok());
  f.clock.Advance(9min + 59s);
  EXPECT_EQ(f.cache.GetCredentials()->access_key_id, "AKID1");
  f.clock.Advance(2s);
  EXPECT_EQ(f.cache.GetCredentials()->access_key_id, "AKID2");
}

TEST(CachingProviderTest, CredentialsWithoutExpirationAreFetchedOnce) {
  CacheFixture f;
  f.source->lifetime = 0s;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(f.cache.GetCredentials().ok());
    f.clock.Advance(24h);
  }
  EXPECT_EQ(f.source->calls, 1);
}

TEST(CachingProviderTest, FailedEarlyRefreshKeepsValidCredentialsAndWarns) {
  LogCapture logs;
  CacheFixture f;
  ASSERT_TRUE(f.cache.GetCredentials().ok());
  f.source->fail = true;
  f.clock.Advance(56min);
  auto c = f.cache.GetCredentials();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKID1");
  EXPECT_NE(logs.text().find("could not refresh the credentials of test source (source is down)"),
            std::string::npos)
      << logs.text();
  EXPECT_NE(logs.text().find("[warning]"), std::string::npos);
  // No retry storm: the next attempt waits 30 s.
  ASSERT_TRUE(f.cache.GetCredentials().ok());
  EXPECT_EQ(f.source->calls, 2);
  f.clock.Advance(31s);
  ASSERT_TRUE(f.cache.GetCredentials().ok());
  EXPECT_EQ(f.source->calls, 3);
  // Once the source recovers, the next attempt replaces them.
  f.source->fail = false;
  f.clock.Advance(31s);
  EXPECT_EQ(f.cache.GetCredentials()->access_key_id, "AKID4");
}

TEST(CachingProviderTest, ExpiredAndRefreshFailsIsAnAuthError) {
  CacheFixture f;
  ASSERT_TRUE(f.cache.GetCredentials().ok());
  f.source->fail = true;
  f.clock.Advance(61min);
  auto c = f.cache.GetCredentials();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().category, ErrorCategory::kAuth);
  EXPECT_NE(c.error().message.find("expired at"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("source is down"), std::string::npos);
}

TEST(CachingProviderTest, CredentialsThatAreAlreadyExpiredAreRejected) {
  CacheFixture f;
  f.source->lifetime = 10s;  // inside the 30 s expiry skew
  auto c = f.cache.GetCredentials();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("clock"), std::string::npos);
}

TEST(CachingProviderTest, SeededCredentialsAreServedWithoutAFetch) {
  CacheFixture f;
  f.cache.Seed(Credentials{"SEEDED", "s", "", f.clock.Now() + 1h, "seed"});
  EXPECT_EQ(f.cache.GetCredentials()->access_key_id, "SEEDED");
  EXPECT_EQ(f.source->calls, 0);
}

// Runs `fn` on `n` threads released at the same moment; returns the results.
std::vector<Result<Credentials>> RunConcurrently(int n, const std::function<Result<Credentials>()>& fn) {
  std::vector<std::optional<Result<Credentials>>> results(static_cast<size_t>(n));
  std::barrier start(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[static_cast<size_t>(i)].emplace(fn());
    });
  }
  for (auto& t : threads) t.join();
  std::vector<Result<Credentials>> out;
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

TEST(CachingProviderTest, ConcurrentFirstCallsFetchOnce) {
  CacheFixture f;
  f.source->delay = 50ms;
  auto results = RunConcurrently(16, [&] { return f.cache.GetCredentials(); });
  EXPECT_EQ(f.source->calls, 1);
  for (auto& r : results) {
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->access_key_id, "AKID1");
  }
}

TEST(CachingProviderTest, ConcurrentCallsDuringEarlyRefreshFetchOnceAndNobodyWaits) {
  CacheFixture f;
  ASSERT_TRUE(f.cache.GetCredentials().ok());
  f.clock.Advance(56min);
  f.source->delay = 100ms;
  auto results = RunConcurrently(16, [&] { return f.cache.GetCredentials(); });
  EXPECT_EQ(f.source->calls, 2);
  for (auto& r : results) {
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->access_key_id == "AKID1" || r->access_key_id == "AKID2");
  }
  EXPECT_EQ(f.cache.GetCredentials()->access_key_id, "AKID2");
}

TEST(CachingProviderTest, ConcurrentCallsAfterExpiryShareOneFailedRefresh) {
  CacheFixture f;
  ASSERT_TRUE(f.cache.GetCredentials().ok());
  f.clock.Advance(2h);
  f.source->fail = true;
  f.source->delay = 50ms;
  auto results = RunConcurrently(8, [&] { return f.cache.GetCredentials(); });
  EXPECT_EQ(f.source->calls, 2);
  for (auto& r : results) EXPECT_FALSE(r.ok());
}

// ---- AssumeRoleProvider ----

struct RoleFixture {
  FakeClock clock;
  FakeSts sts;
  std::shared_ptr<CredentialsProvider> base = std::make_shared<StaticCredentialsProvider>(
      Credentials{"AKIDBASEEXAMPLE", "baseSecretKey", "", std::nullopt, "profile base"});
  AssumeRoleConfig config{"arn:aws:iam::111122223333:role/FleetPatch", "ext-123", "lz-prod", 1800,
                          "eu-west-1"};
  RoleFixture() { sts.expiration = clock.Now() + 30min; }
};

TEST(AssumeRoleProviderTest, CallsStsWithTheLandingZoneParametersAndCaches) {
  RoleFixture f;
  AssumeRoleProvider p(f.config, f.base, f.sts, f.clock);
  auto c = p.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIAROLE1EXAMPLE");
  EXPECT_EQ(c->source, "assume-role arn:aws:iam::111122223333:role/FleetPatch");
  ASSERT_TRUE(p.GetCredentials().ok());
  auto calls = f.sts.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].source_access_key_id, "AKIDBASEEXAMPLE");
  EXPECT_EQ(calls[0].region, "eu-west-1");
  EXPECT_EQ(calls[0].params.role_arn, "arn:aws:iam::111122223333:role/FleetPatch");
  EXPECT_EQ(calls[0].params.external_id, "ext-123");
  EXPECT_EQ(calls[0].params.session_name, "lz-prod");
  EXPECT_EQ(calls[0].params.duration_s, 1800);
}

TEST(AssumeRoleProviderTest, RefreshesBeforeExpiry) {
  RoleFixture f;
  AssumeRoleProvider p(f.config, f.base, f.sts, f.clock);
  ASSERT_TRUE(p.GetCredentials().ok());
  f.clock.Advance(24min);  // 6 min left of 30: outside the 5-minute window
  EXPECT_EQ(p.GetCredentials()->access_key_id, "ASIAROLE1EXAMPLE");
  f.sts.expiration = f.clock.Now() + 1h;
  f.clock.Advance(2min);
  EXPECT_EQ(p.GetCredentials()->access_key_id, "ASIAROLE2EXAMPLE");
  EXPECT_EQ(f.sts.count(), 2);
}

TEST(AssumeRoleProviderTest, ManyThreadsTriggerExactlyOneAssumeRole) {
  RoleFixture f;
  f.sts.delay = 50ms;
  AssumeRoleProvider p(f.config, f.base, f.sts, f.clock);
  auto results = RunConcurrently(32, [&] { return p.GetCredentials(); });
  EXPECT_EQ(f.sts.count(), 1);
  for (auto& r : results) ASSERT_TRUE(r.ok());
  // And again at refresh time.
  f.sts.expiration = f.clock.Now() + 2h;
  f.clock.Advance(26min);
  results = RunConcurrently(32, [&] { return p.GetCredentials(); });
  EXPECT_EQ(f.sts.count(), 2);
  for (auto& r : results) ASSERT_TRUE(r.ok());
}

TEST(AssumeRoleProviderTest, DefaultSessionNameAndRegion) {
  RoleFixture f;
  f.config.session_name.clear();
  f.config.region.clear();
  AssumeRoleProvider p(f.config, f.base, f.sts, f.clock);
  ASSERT_TRUE(p.GetCredentials().ok());
  EXPECT_EQ(f.sts.calls()[0].params.session_name, "fleetpatch-1440938160");
  EXPECT_EQ(f.sts.calls()[0].region, "us-east-1");
}

TEST(AssumeRoleProviderTest, AccessDeniedSaysWhatToCheck) {
  RoleFixture f;
  f.sts.handler = [](const FakeSts::Call&) -> Result<Credentials> {
    Error e{ErrorCategory::kPermission,
            "User: arn:aws:iam::1:user/x is not authorized to perform: sts:AssumeRole"};
    e.aws_code = "AccessDenied";
    e.http_status = 403;
    return e;
  };
  AssumeRoleProvider p(f.config, f.base, f.sts, f.clock);
  auto r = p.GetCredentials();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kAuth);
  EXPECT_EQ(r.error().aws_code, "AccessDenied");
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("arn:aws:iam::111122223333:role/FleetPatch"), std::string::npos) << m;
  EXPECT_NE(m.find("trust policy"), std::string::npos);
  EXPECT_NE(m.find("ExternalId"), std::string::npos);
  EXPECT_NE(m.find("sts:AssumeRole"), std::string::npos);
  EXPECT_NE(m.find("AKID****MPLE"), std::string::npos);  // the source identity, redacted
  EXPECT_EQ(m.find("baseSecretKey"), std::string::npos);
}

TEST(AssumeRoleProviderTest, UnreachableStsKeepsItsCategory) {
  RoleFixture f;
  f.sts.handler = [](const FakeSts::Call&) -> Result<Credentials> {
    return Error::Connectivity("connection reset");
  };
  AssumeRoleProvider p(f.config, f.base, f.sts, f.clock);
  auto r = p.GetCredentials();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kConnectivity);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_NE(r.error().message.find("arn:aws:iam::111122223333:role/FleetPatch"), std::string::npos);
}

TEST(AssumeRoleProviderTest, SourceFailureAndBadDurationAreReported) {
  RoleFixture f;
  struct Broken final : CredentialsProvider {
    Result<Credentials> GetCredentials() override { return Error::Auth("no base keys"); }
  };
  AssumeRoleProvider broken(f.config, std::make_shared<Broken>(), f.sts, f.clock);
  auto r = broken.GetCredentials();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("source credentials failed: no base keys"), std::string::npos);
  f.config.duration_s = 60;
  AssumeRoleProvider short_duration(f.config, f.base, f.sts, f.clock);
  auto d = short_duration.GetCredentials();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().category, ErrorCategory::kConfig);
  EXPECT_EQ(f.sts.count(), 0);
}

TEST(AssumeRoleProviderTest, FailedRefreshWhileValidWarnsThenExpiryFails) {
  LogCapture logs;
  RoleFixture f;
  AssumeRoleProvider p(f.config, f.base, f.sts, f.clock);
  ASSERT_TRUE(p.GetCredentials().ok());
  f.sts.handler = [](const FakeSts::Call&) -> Result<Credentials> {
    Error e{ErrorCategory::kAuth, "The security token included in the request is expired"};
    e.aws_code = "ExpiredToken";
    return e;
  };
  f.clock.Advance(26min);
  EXPECT_EQ(p.GetCredentials()->access_key_id, "ASIAROLE1EXAMPLE");
  EXPECT_NE(logs.text().find("role arn:aws:iam::111122223333:role/FleetPatch"), std::string::npos)
      << logs.text();
  f.clock.Advance(5min);
  auto r = p.GetCredentials();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kAuth);
  EXPECT_NE(r.error().message.find("expired at"), std::string::npos);
  EXPECT_NE(r.error().message.find("trust policy"), std::string::npos);
  EXPECT_EQ(logs.text().find("roleSecret"), std::string::npos);
}

// ---- WebIdentityProvider ----

TEST(WebIdentityProviderTest, ReadsTheTokenFileOnEachRefresh) {
  FakeClock clock;
  FakeSts sts;
  sts.expiration = clock.Now() + 1h;
  fleetpatch::testing::TempDir dir;
  auto token_file = dir.path() / "token";
  testing::WriteFile(token_file, "oidc-token-1\n");
  WebIdentityProvider p({"arn:aws:iam::1:role/eks", token_file.string(), "pod", "ap-south-1"}, sts, clock);
  ASSERT_TRUE(p.GetCredentials().ok());
  testing::WriteFile(token_file, "oidc-token-2");
  clock.Advance(55min);
  auto c = p.GetCredentials();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->source, "web-identity arn:aws:iam::1:role/eks");
  auto calls = sts.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].kind, "AssumeRoleWithWebIdentity");
  EXPECT_EQ(calls[0].token, "oidc-token-1");
  EXPECT_EQ(calls[1].token, "oidc-token-2");
  EXPECT_EQ(calls[0].params.role_arn, "arn:aws:iam::1:role/eks");
  EXPECT_EQ(calls[0].params.session_name, "pod");
  EXPECT_EQ(calls[0].region, "ap-south-1");
}

TEST(WebIdentityProviderTest, ErrorsNameTheFileAndRoleButNotTheToken) {
  FakeClock clock;
  FakeSts sts;
  fleetpatch::testing::TempDir dir;
  WebIdentityProvider missing({"arn:aws:iam::1:role/eks", (dir.path() / "absent").string(), "", ""}, sts,
                              clock);
  auto r = missing.GetCredentials();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("absent"), std::string::npos);

  testing::WriteFile(dir.path() / "token", "TOKENCONTENT");
  sts.handler = [](const FakeSts::Call&) -> Result<Credentials> {
    Error e{ErrorCategory::kAws, "Not authorized to perform sts:AssumeRoleWithWebIdentity"};
    e.aws_code = "AccessDenied";
    return e;
  };
  WebIdentityProvider denied({"arn:aws:iam::1:role/eks", (dir.path() / "token").string(), "", ""}, sts,
                             clock);
  auto d = denied.GetCredentials();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().category, ErrorCategory::kAuth);
  EXPECT_NE(d.error().message.find("arn:aws:iam::1:role/eks"), std::string::npos);
  EXPECT_NE(d.error().message.find("trust policy"), std::string::npos);
  EXPECT_EQ(d.error().message.find("TOKENCONTENT"), std::string::npos);
}

}  // namespace
}  // namespace fleetpatch::aws
