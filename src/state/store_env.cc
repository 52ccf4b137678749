#include "state/store_env.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fleetpatch::state {

bool PosixStoreEnv::Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

std::optional<uint32_t> PosixStoreEnv::Mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint32_t>(st.st_mode & 07777);
}

Status PosixStoreEnv::CreateDir(const std::string& path, uint32_t mode) {
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    if (errno == EEXIST) return OkStatus();
    return Error::Config(std::strerror(errno));
  }
  ::chmod(path.c_str(), static_cast<mode_t>(mode));  // mkdir's mode is filtered by the umask
  return OkStatus();
}

Result<bool> PosixStoreEnv::CreateNewFile(const std::string& path, uint32_t mode) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) {
    if (errno == EEXIST) return false;
    return Error::Config(std::strerror(errno));
  }
  ::fchmod(fd, static_cast<mode_t>(mode));  // open's mode is filtered by the umask
  ::close(fd);
  return true;
}

void PosixStoreEnv::RestrictMode(const std::string& path, uint32_t mode) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 0777) != mode) {
    ::chmod(path.c_str(), static_cast<mode_t>(mode));
  }
}

std::string PosixStoreEnv::HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

int64_t PosixStoreEnv::ProcessId() { return ::getpid(); }

std::string PosixStoreEnv::ProcessStartTime(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return {};
  std::string line;
  std::getline(in, line);
  // The command name (field 2) is in parentheses and may itself contain spaces and ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  // Fields after the name start at 3 (state); starttime is field 22.
  for (int i = 3; i <= 22; ++i) {
    if (!(rest >> field)) return {};
  }
  return field;
}

bool PosixStoreEnv::ProcessExists(int64_t pid) {
  if (pid <= 0) return false;
  return !(::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH);
}

StoreEnv& DefaultStoreEnv() {
  static PosixStoreEnv env;
  return env;
}

}  // namespace fleetpatch::state
