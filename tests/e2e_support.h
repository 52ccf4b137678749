// Support for the end-to-end tests: runs the real `fleetpatch` binary (and, when asked, the real
// `fleetpatch-emulator` binary) as child processes with a controlled environment, each test in its
// own temporary working directory, and serves small per-test fleets from an in-process emulator
// over real HTTP on 127.0.0.1 so tests can read its request log.
// Thread-safety: one test thread uses one Harness; children are plain processes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "emulator/emulator.h"
#include "emulator/fleet.h"
#include "emulator/server.h"
#include "testing/testdata.h"

namespace fleetpatch::e2e {

// What a finished child did.
struct ProcResult {
  int exit_code = -1;  // exit status, or 128 + signal when killed by a signal
  bool signaled = false;
  std::string out;  // stdout
  std::string err;  // stderr
  std::chrono::milliseconds elapsed{0};
};

// A child process whose stdout/stderr go to files in `dir`, stdin from /dev/null (no terminal).
class Child {
 public:
  Child(const std::filesystem::path& exe, const std::vector<std::string>& args,
        const std::map<std::string, std::string>& env, const std::filesystem::path& cwd,
        const std::string& tag);
  ~Child();  // kills (SIGKILL) and reaps a child still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();  // not yet exited (reaps if it has)
  void Signal(int sig);
  // Waits up to `timeout`; on timeout kills the child and marks exit_code -1.
  ProcResult Wait(std::chrono::milliseconds timeout = std::chrono::seconds(120));
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::filesystem::path out_path_, err_path_;
  std::chrono::steady_clock::time_point start_;
};

// A small fleet builder: accounts with role FleetPatchRole (external id "ext-<account>"), instances
// with healthy defaults (running, SSM online, sshd active, quick AMI/patch/command durations).
struct FleetBuilder {
  emulator::Fleet fleet;
  FleetBuilder& Account(const std::string& id, const std::string& region);
  // Adds a healthy Linux instance tagged Environment=<env>; returns it for further edits.
  emulator::InstanceSpec& Instance(const std::string& id, const std::string& account,
                                   const std::string& region, const std::string& env = "prod");
  emulator::Fleet Build();  // validated (fills defaults); aborts the test on an invalid fleet
};

// One landing zone for the inventory the test writes.
struct ZoneDef {
  std::string name, account, region, role_name = "FleetPatchRole", external_id, env = "prod";
};

// Per-test world: temp working dir, HOME, AWS config files, the in-process emulator and server.
class Harness {
 public:
  Harness();
  ~Harness();

  const std::filesystem::path& dir() const { return tmp_.path(); }
  // Starts the in-process emulator on an ephemeral loopback port.
  void StartEmulator(emulator::Fleet fleet, double time_scale = 100000.0);
  emulator::Emulator& emu() { return *emulator_; }
  std::string endpoint() const { return endpoint_; }
  void set_endpoint(std::string e) { endpoint_ = std::move(e); }

  // Writes zones.yml (the inventory) and returns its path.
  std::filesystem::path WriteInventory(const std::vector<ZoneDef>& zones,
                                       const std::string& file = "zones.yml");
  // Writes a config (YAML text) with short timeouts and `extra` appended; returns its path.
  std::filesystem::path WriteConfig(const std::string& extra = "", const std::string& file = "cfg.yml");
  void WriteFile(const std::string& name, const std::string& text);

  // The child environment: endpoint, base keys, HOME and AWS config files in the temp dir.
  std::map<std::string, std::string> Env() const;
  std::map<std::string, std::string> env_overrides;  // applied on top of Env(); "" value removes

  ProcResult Run(const std::vector<std::string>& args,
                 std::chrono::milliseconds timeout = std::chrono::seconds(120));
  std::unique_ptr<Child> Start(const std::vector<std::string>& args, const std::string& tag = "bg");

  std::filesystem::path StatePath() const { return dir() / ".fleetpatch" / "state.db"; }
  std::filesystem::path ReportsDir() const { return dir() / "reports"; }
  int Count(const std::string& operation) const;     // successful requests of one operation
  int CountAll(const std::string& operation) const;  // every request of one operation

 private:
  fleetpatch::testing::TempDir tmp_;
  std::unique_ptr<emulator::Emulator> emulator_;
  std::unique_ptr<emulator::Server> server_;
  std::string endpoint_;
  std::string access_key_ = "AKIDFPEMULATOR000001";
  std::string secret_key_ = "fpEmulatorSecretKey/DoNotUseInProduction0";
  int runs_ = 0;
};

std::filesystem::path FleetpatchBinary();
std::filesystem::path EmulatorBinary();
std::string ReadAll(const std::filesystem::path& p);
// A loopback port nobody listens on (bound, then closed).
int ClosedPort();

}  // namespace fleetpatch::e2e
