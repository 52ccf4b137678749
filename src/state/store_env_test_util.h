// FaultyStoreEnv: a StoreEnv for tests, in the spirit of leveldb's SpecialEnv. It passes every call
// to the real PosixStoreEnv unless a test has set a fault or a stand-in: a directory or file that
// cannot be created, another host name or pid, and the processes that exist (with their start
// times), so run-lock takeovers are tested without forking.
// Thread-safety: not thread-safe; set it up before opening a store and use it from one thread.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "state/store_env.h"

namespace fleetpatch::state::testutil {

class FaultyStoreEnv final : public StoreEnv {
 public:
  // Faults: CreateDir / CreateNewFile of these paths fail with this reason.
  std::set<std::string> failing_dirs;
  std::set<std::string> failing_files;
  std::string fault_reason = "Permission denied (injected)";
  // Stand-ins: when set, these replace the real answers.
  std::optional<std::string> host_name;
  std::optional<int64_t> process_id;
  // pid -> start time of each process this env pretends exists; a pid not listed here is real.
  std::map<int64_t, std::string> processes;
  // pids this env pretends do not exist.
  std::set<int64_t> gone;
  // Every RestrictMode call, in order (path and mode).
  std::vector<std::pair<std::string, uint32_t>> restricted;

  bool Exists(const std::string& path) override { return real_.Exists(path); }
  std::optional<uint32_t> Mode(const std::string& path) override { return real_.Mode(path); }
  Status CreateDir(const std::string& path, uint32_t mode) override {
    if (failing_dirs.count(path)) return Error::Config(fault_reason);
    return real_.CreateDir(path, mode);
  }
  Result<bool> CreateNewFile(const std::string& path, uint32_t mode) override {
    if (failing_files.count(path)) return Error::Config(fault_reason);
    return real_.CreateNewFile(path, mode);
  }
  void RestrictMode(const std::string& path, uint32_t mode) override {
    restricted.emplace_back(path, mode);
    real_.RestrictMode(path, mode);
  }
  std::string HostName() override { return host_name ? *host_name : real_.HostName(); }
  int64_t ProcessId() override { return process_id ? *process_id : real_.ProcessId(); }
  std::string ProcessStartTime(int64_t pid) override {
    if (gone.count(pid)) return "";
    auto it = processes.find(pid);
    return it != processes.end() ? it->second : real_.ProcessStartTime(pid);
  }
  bool ProcessExists(int64_t pid) override {
    if (gone.count(pid)) return false;
    return processes.count(pid) > 0 || real_.ProcessExists(pid);
  }

 private:
  PosixStoreEnv real_;
};

}  // namespace fleetpatch::state::testutil
