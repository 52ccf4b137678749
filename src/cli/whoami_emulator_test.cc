// whoami, emulator and demo: the commands that talk to AWS, proven against the emulator over
// real HTTP on 127.0.0.1 (the same CurlTransport, SigV4 and retry stack as against AWS).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/app.h"
#include "cli/demo.h"
#include "common/exit_codes.h"
#include "emulator/fleet.h"
#include "emulator/server.h"
#include "testing/testdata.h"

namespace fleetpatch::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

class AwsCommandsTest : public ::testing::Test {
 protected:
  AwsCommandsTest() : emulator_(emulator::DemoFleet()), server_(emulator_) {
    ctx_.out = &out_;
    ctx_.err = &err_;
    ctx_.terminal = Terminal{[] { return false; }, nullptr, nullptr};
    auto creds = emulator_.BaseCredentials();
    secret_ = creds.secret_access_key;
    EXPECT_TRUE(server_.Start(emulator::ServerOptions{}).ok());
    // Nothing from the real environment or home directory: no profile files, no IMDS.
    env_ = {{"AWS_ENDPOINT_URL", server_.endpoint()},
            {"AWS_ACCESS_KEY_ID", creds.access_key_id},
            {"AWS_SECRET_ACCESS_KEY", creds.secret_access_key},
            {"AWS_REGION", "us-east-1"},
            {"AWS_MAX_ATTEMPTS", "1"},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"HOME", dir_.path().string()},
            {"AWS_SHARED_CREDENTIALS_FILE", (dir_.path() / "no-credentials").string()},
            {"AWS_CONFIG_FILE", (dir_.path() / "no-config").string()}};
  }
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "fleetpatch");
    out_.str("");
    err_.str("");
    ctx_.env = MapEnv(env_);
    return cli::Run(args, ctx_);
  }
  void ExpectNoSecret() {
    EXPECT_THAT(out_.str(), Not(HasSubstr(secret_)));
    EXPECT_THAT(err_.str(), Not(HasSubstr(secret_)));
  }

  testing::TempDir dir_;
  emulator::Emulator emulator_;
  emulator::Server server_;
  std::map<std::string, std::string> env_;
  std::string secret_;
  std::ostringstream out_, err_;
  Context ctx_;
};

TEST_F(AwsCommandsTest, WhoamiPrintsTheCallerAndWhereTheCredentialsCameFrom) {
  ASSERT_EQ(Run({"whoami"}), kExitOk) << err_.str();
  const auto& caller = emulator_.fleet().caller;
  EXPECT_THAT(out_.str(), HasSubstr("Account:     " + caller.account_id + "\n"));
  EXPECT_THAT(out_.str(),
              HasSubstr("ARN:         arn:aws:iam::" + caller.account_id + ":user/" + caller.user_name));
  EXPECT_THAT(out_.str(), HasSubstr("Credentials: AKID****0001 from environment"));
  EXPECT_THAT(out_.str(), HasSubstr("Region:      us-east-1"));
  EXPECT_THAT(out_.str(), Not(HasSubstr(caller.access_key_id)));
  ExpectNoSecret();

  ASSERT_EQ(Run({"whoami", "--output", "json", "--region", "eu-west-1"}), kExitOk) << err_.str();
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["account"], caller.account_id);
  EXPECT_EQ(j["region"], "eu-west-1");
  EXPECT_FALSE(j["user_id"].get<std::string>().empty());
  ExpectNoSecret();
}

TEST_F(AwsCommandsTest, WhoamiAfterAssumingARole) {
  ASSERT_EQ(Run({"whoami", "--role-arn", "arn:aws:iam::111111111111:role/FleetPatchRole", "--external-id",
                 "fp-demo-prod", "--output", "json"}),
            kExitOk)
      << err_.str();
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["assumed_role"]["account"], "111111111111");
  EXPECT_THAT(j["assumed_role"]["arn"].get<std::string>(),
              HasSubstr("arn:aws:sts::111111111111:assumed-role/FleetPatchRole/fleetpatch-whoami"));
  EXPECT_THAT(j["assumed_role"]["credentials"].get<std::string>(), HasSubstr("assume"));
  ExpectNoSecret();

  // A wrong external id: the role's trust policy refuses -> the authentication code.
  EXPECT_EQ(Run({"whoami", "--role-arn", "arn:aws:iam::111111111111:role/FleetPatchRole", "--external-id",
                 "wrong"}),
            kExitAuth);
  EXPECT_THAT(err_.str(), HasSubstr("assuming arn:aws:iam::111111111111:role/FleetPatchRole"));
  ExpectNoSecret();
}

TEST_F(AwsCommandsTest, ExternalIdFromAFileOrTheEnvironmentKeepsItOutOfArgv) {
  const std::string role = "arn:aws:iam::111111111111:role/FleetPatchRole";
  std::string file = (dir_.path() / "external-id").string();
  std::ofstream(file) << "fp-demo-prod\n";
  EXPECT_EQ(Run({"whoami", "--role-arn", role, "--external-id-file", file}), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("After assuming " + role));

  env_["FLEETPATCH_EXTERNAL_ID"] = "fp-demo-prod";
  EXPECT_EQ(Run({"whoami", "--role-arn", role}), kExitOk) << err_.str();
  env_.erase("FLEETPATCH_EXTERNAL_ID");
  EXPECT_EQ(Run({"whoami", "--role-arn", role}), kExitAuth);  // the trust policy wants the id

  EXPECT_EQ(Run({"whoami", "--role-arn", role, "--external-id-file", file + ".missing"}), kExitConfig);
  EXPECT_THAT(err_.str(), HasSubstr("--external-id-file"));
}

TEST_F(AwsCommandsTest, WrongSecretIsAnAuthErrorThatNeverShowsTheSecret) {
  const std::string wrong = "wRoNgSeCrEtKeY/0123456789abcdefghijklmnopq";
  env_["AWS_SECRET_ACCESS_KEY"] = wrong;
  EXPECT_EQ(Run({"whoami"}), kExitAuth) << out_.str() << err_.str();
  EXPECT_THAT(err_.str(), HasSubstr("sts:GetCallerIdentity"));
  EXPECT_THAT(err_.str(), HasSubstr("AWS_SECRET_ACCESS_KEY"));  // what to check, by name
  EXPECT_THAT(err_.str(), Not(HasSubstr(wrong)));
  EXPECT_THAT(out_.str(), Not(HasSubstr(wrong)));
  ExpectNoSecret();
}

TEST_F(AwsCommandsTest, MissingCredentialsIsAnAuthError) {
  env_.erase("AWS_ACCESS_KEY_ID");
  env_.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(Run({"whoami"}), kExitAuth) << out_.str() << err_.str();
  EXPECT_THAT(err_.str(), HasSubstr("base credentials"));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(AwsCommandsTest, UnreachableEndpointIsAConnectivityError) {
  server_.Stop();
  EXPECT_EQ(Run({"whoami"}), kExitConnectivity) << out_.str() << err_.str();
  EXPECT_THAT(err_.str(), HasSubstr("check the network"));
  ExpectNoSecret();
}

TEST_F(AwsCommandsTest, ExternalIdNeedsARole) {
  EXPECT_EQ(Run({"whoami", "--external-id", "x"}), kExitConfig);
  EXPECT_THAT(err_.str(), HasSubstr("--role-arn"));
}

TEST(EmulatorCommandTest, HelpAndErrorsReachTheEmulatorsParser) {
  std::ostringstream out, err;
  Context ctx{&out, &err, MapEnv({}), Terminal{[] { return false; }, nullptr, nullptr}};
  ::testing::internal::CaptureStdout();
  int code = cli::Run({"fleetpatch", "emulator", "--help"}, ctx);
  std::string help = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(code, kExitOk) << err.str();
  EXPECT_THAT(help, HasSubstr("usage: fleetpatch-emulator"));

  ::testing::internal::CaptureStderr();
  code = cli::Run({"fleetpatch", "emulator", "--no-such-flag"}, ctx);
  std::string complaint = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, kExitConfig);
  EXPECT_THAT(complaint, HasSubstr("unknown argument --no-such-flag"));

  // A real emulator action that returns: write the demo fleet out.
  testing::TempDir dir;
  std::string file = (dir.path() / "fleet.yml").string();
  ASSERT_EQ(cli::Run({"fleetpatch", "emulator", "--demo", "--write-fleet", file}, ctx), kExitOk) << err.str();
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(emulator::ParseFleetYaml(text.str(), file).ok());
}

}  // namespace
}  // namespace fleetpatch::cli
