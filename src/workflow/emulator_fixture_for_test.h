// EmulatorWorkflowTest: the test fixture for running the workflow through the real client stack
// (typed clients, protocol engine, SigV4, retries, role assumption) against an emulator in process.
// The emulator, its transport and the workflow share one FakeClock, so simulated hours pass at the
// speed of the polls. Tests start the emulator on their fleet, add their landing zones, and make
// workflows with Make(Connector()).
// Thread-safety: test-only, one fixture per test.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aws/aws_context.h"
#include "aws/credentials_env.h"
#include "emulator/emulator.h"
#include "emulator/fleet.h"
#include "emulator/in_process_transport.h"
#include "state/run_id.h"
#include "state/sqlite_state_store.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"
#include "workflow/aws_zone_api.h"
#include "workflow/interrupt.h"
#include "workflow/workflow.h"

namespace fleetpatch::workflow::testing {

class EmulatorWorkflowTest : public ::testing::Test {
 protected:
  EmulatorWorkflowTest() {
    ClearInterrupt();
    options_.poll_interval = std::chrono::seconds(15);
    options_.linux_thresholds.critical_services = {"sshd"};
    options_.windows_thresholds.critical_services = {"W32Time"};
    options_.error_budget = {true, 100};
  }

  // Starts the emulator on `fleet` (on the fixture's clock, unscaled unless `eo` says otherwise)
  // and opens the state store.
  void StartEmulator(emulator::Fleet fleet, emulator::EmulatorOptions eo = {}) {
    eo.clock = &clock_;
    emu_ = std::make_unique<emulator::Emulator>(std::move(fleet), eo);
    transport_ = std::make_unique<emulator::InProcessTransport>(*emu_, &clock_);
    aws::AwsContextOptions ao;
    ao.retry.base_backoff = std::chrono::milliseconds(1);
    context_ = std::make_unique<aws::AwsContext>(
        *transport_, clock_, MapEnv({{"AWS_ENDPOINT_URL", emulator::InProcessTransport::kEndpoint}}), ao);
    auto store = state::SqliteStateStore::Open((dir_.path() / "state.db").string(), clock_);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(store).value();
  }

  // A landing zone: the account's FleetPatchRole assumed with `external_id`, instances tagged
  // Environment=`environment`.
  void AddZone(const std::string& name, const std::string& account, const std::string& region,
               const std::string& external_id, const std::string& environment) {
    ZoneSpec spec;
    spec.info.name = name;
    spec.info.account_id = account;
    spec.info.region = region;
    spec.info.role_arn = emulator::RoleArn(account, "FleetPatchRole");
    spec.tag_filters = {{"Environment", {environment}}};
    zones_.push_back(spec);
    access_[name] = {spec.info.role_arn, external_id, "fleetpatch-" + name, 3600, ""};
  }

  std::unique_ptr<Workflow> Make(ZoneConnector& connector) {
    return std::make_unique<Workflow>(options_, *store_, connector, clock_, Progress::Options{.quiet = true});
  }
  std::string NewRun() {
    RunInfo run;
    run.run_id = state::NewRunId(clock_);
    run.workflow = "full";
    EXPECT_TRUE(store_->CreateRun(run).ok());
    return run.run_id;
  }
  AwsZoneConnector Connector() {
    return AwsZoneConnector(*context_,
                            std::make_shared<aws::StaticCredentialsProvider>(emu_->BaseCredentials()),
                            limiter_, access_);
  }

  fleetpatch::testing::TempDir dir_;
  fleetpatch::testing::FakeClock clock_{std::chrono::system_clock::now()};
  std::unique_ptr<emulator::Emulator> emu_;
  std::unique_ptr<emulator::InProcessTransport> transport_;
  std::unique_ptr<aws::AwsContext> context_;
  std::unique_ptr<state::SqliteStateStore> store_;
  RateLimiter limiter_{clock_};
  std::vector<ZoneSpec> zones_;
  std::map<std::string, ZoneAccess> access_;
  WorkflowOptions options_;
};

}  // namespace fleetpatch::workflow::testing
