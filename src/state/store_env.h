// StoreEnv: every operating-system call the SQLite state store makes (directories, file creation and
// permissions, host name, processes), behind one interface in the spirit of leveldb's Env. Abstract
// so tests can inject failures (FaultyStoreEnv in state/store_env_test_util.h) and play the other
// processes of a run lock without forking.
// Thread-safety: implementations must be safe to call from many threads; PosixStoreEnv is stateless.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.h"

namespace fleetpatch::state {

class StoreEnv {
 public:
  virtual ~StoreEnv() = default;

  // True when something exists at `path`; false when it does not or cannot be checked.
  virtual bool Exists(const std::string& path) = 0;
  // The permission bits of `path` (mode & 07777, following symlinks); nullopt when it cannot be read.
  virtual std::optional<uint32_t> Mode(const std::string& path) = 0;
  // Creates directory `path` with exactly `mode` (not filtered by the umask). OK when it was created
  // or already exists; otherwise an Error whose message is the operating system's reason.
  virtual Status CreateDir(const std::string& path, uint32_t mode) = 0;
  // Creates the empty file `path` with exactly `mode`, only if nothing is there: true when created,
  // false when it already existed; otherwise an Error whose message is the operating system's reason.
  virtual Result<bool> CreateNewFile(const std::string& path, uint32_t mode) = 0;
  // Sets `path`'s permission bits to `mode` when this user owns it and they differ. Best effort: a
  // missing file, someone else's file or a failing chmod leave it as it is.
  virtual void RestrictMode(const std::string& path, uint32_t mode) = 0;

  // This machine's host name; "unknown-host" when it cannot be read.
  virtual std::string HostName() = 0;
  // This process's id.
  virtual int64_t ProcessId() = 0;
  // The start time of process `pid` (clock ticks since boot, /proc/PID/stat field 22); together with
  // the pid it identifies a process even after the pid is reused. "" when unknown or no such process.
  virtual std::string ProcessStartTime(int64_t pid) = 0;
  // False only when process `pid` certainly does not exist; true when it runs (also another user's
  // process) or when that cannot be told.
  virtual bool ProcessExists(int64_t pid) = 0;
};

// The real operating system (POSIX calls and Linux's /proc).
class PosixStoreEnv final : public StoreEnv {
 public:
  bool Exists(const std::string& path) override;
  std::optional<uint32_t> Mode(const std::string& path) override;
  Status CreateDir(const std::string& path, uint32_t mode) override;
  Result<bool> CreateNewFile(const std::string& path, uint32_t mode) override;
  void RestrictMode(const std::string& path, uint32_t mode) override;
  std::string HostName() override;
  int64_t ProcessId() override;
  std::string ProcessStartTime(int64_t pid) override;
  bool ProcessExists(int64_t pid) override;
};

// A process-wide PosixStoreEnv for callers that do not pass one (it holds no state).
StoreEnv& DefaultStoreEnv();

}  // namespace fleetpatch::state
