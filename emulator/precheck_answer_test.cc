#include "emulator/precheck_answer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace fleetpatch::emulator {
namespace {

TEST(PrecheckAnswerTest, RecognisesBashAndPowerShellScripts) {
  std::vector<std::string> services;
  EXPECT_TRUE(RecognisePrecheck(
      {"#!/bin/bash\n# fleetpatch-precheck v1\nFP_SERVICES='sshd chronyd amazon-ssm-agent'\necho"},
      &services));
  EXPECT_EQ(services, (std::vector<std::string>{"sshd", "chronyd", "amazon-ssm-agent"}));
  EXPECT_TRUE(
      RecognisePrecheck({"# fleetpatch-precheck v1", "$FpServices = @('W32Time','WinRM')"}, &services));
  EXPECT_EQ(services, (std::vector<std::string>{"W32Time", "WinRM"}));
  EXPECT_FALSE(RecognisePrecheck({"FP_SERVICES='sshd'", "uptime"}, &services));
  EXPECT_TRUE(services.empty());
}

TEST(PrecheckAnswerTest, PrintsOneLineFromTheConfiguredState) {
  InstanceSpec in;
  in.disks = {{"/", 1000, 10}};
  in.cpus = 4;
  in.load1 = 3.5;
  in.mem_total_kb = 100;
  in.mem_available_kb = 7;
  in.services = {{"sshd", "failed"}};
  in.pkg_lock = true;
  std::string out = PrecheckOutput(in, {"sshd", "cron"}, /*reboot_required=*/true);
  ASSERT_EQ(out.rfind("FLEETPATCH_PRECHECK_V1 {\"disks\":", 0), 0u) << out;
  ASSERT_EQ(out.back(), '\n');
  auto j = nlohmann::json::parse(out.substr(23));
  EXPECT_EQ(j["disks"][0]["mount"], "/");
  EXPECT_EQ(j["disks"][0]["avail_kb"], 10);
  EXPECT_EQ(j["cpus"], 4);
  EXPECT_DOUBLE_EQ(j["load1"].get<double>(), 3.5);
  EXPECT_EQ(j["mem_available_kb"], 7);
  EXPECT_EQ(j["services"]["sshd"], "failed");
  EXPECT_EQ(j["services"]["cron"], "not-found");
  EXPECT_EQ(j["reboot_required"], true);
  EXPECT_EQ(j["pkg_lock"], true);
}

}  // namespace
}  // namespace fleetpatch::emulator
