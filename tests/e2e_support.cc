#include "tests/e2e_support.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace fleetpatch::e2e {

namespace fs = std::filesystem;

fs::path FleetpatchBinary() { return fs::path(FP_BINARY_DIR) / "fleetpatch"; }
fs::path EmulatorBinary() { return fs::path(FP_BINARY_DIR) / "fleetpatch-emulator"; }

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);  // never listened: connections are refused
  return port;
}

Child::Child(const fs::path& exe, const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env, const fs::path& cwd, const std::string& tag) {
  out_path_ = cwd / ("." + tag + ".stdout");
  err_path_ = cwd / ("." + tag + ".stderr");
  std::vector<std::string> argv_s{exe.string()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  // A fresh process group, so a signal to the test runner's group does not reach it, and default
  // signal dispositions (gtest or ctest may block/ignore some).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  start_ = std::chrono::steady_clock::now();
  int rc = posix_spawn(&pid_, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << exe << ": " << strerror(rc);
    pid_ = -1;
    reaped_ = true;
    status_ = 127 << 8;
  }
}

Child::~Child() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
}

bool Child::Running() {
  if (reaped_) return false;
  pid_t r = ::waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return !reaped_;
}

void Child::Signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

std::string Child::Stdout() const { return ReadAll(out_path_); }
std::string Child::Stderr() const { return ReadAll(err_path_); }

ProcResult Child::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  while (Running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      reaped_ = true;
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ProcResult r;
  r.elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_);
  if (timed_out) {
    r.exit_code = -1;
  } else if (WIFEXITED(status_)) {
    r.exit_code = WEXITSTATUS(status_);
  } else if (WIFSIGNALED(status_)) {
    r.signaled = true;
    r.exit_code = 128 + WTERMSIG(status_);
  }
  r.out = Stdout();
  r.err = Stderr();
  return r;
}

// ---- fleets -----------------------------------------------------------------------------------

FleetBuilder& FleetBuilder::Account(const std::string& id, const std::string& region) {
  emulator::AccountSpec a;
  a.id = id;
  a.name = "acct-" + id.substr(0, 3);
  a.regions = {region};
  a.roles.push_back({"FleetPatchRole", "ext-" + id, false});
  fleet.accounts.push_back(a);
  return *this;
}

emulator::InstanceSpec& FleetBuilder::Instance(const std::string& id, const std::string& account,
                                               const std::string& region, const std::string& env) {
  emulator::InstanceSpec i;
  i.id = id;
  i.account_id = account;
  i.region = region;
  i.name = "host-" + id.substr(id.size() - 4);
  i.tags = {{"Environment", env}};
  i.platform = "linux";
  i.platform_name = "Amazon Linux";
  i.platform_version = "2023";
  i.services = {{"sshd", "active"}, {"amazon-ssm-agent", "active"}};
  i.ami_duration_s = 5;
  i.command_duration_s = 1;
  i.patch.duration_s = 5;
  fleet.instances.push_back(i);
  return fleet.instances.back();
}

emulator::Fleet FleetBuilder::Build() {
  emulator::Fleet f = fleet;
  Status s = emulator::ValidateFleet(f, "test-fleet");
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  return f;
}

// ---- harness ----------------------------------------------------------------------------------

Harness::Harness() {
  fs::create_directories(dir() / "home");
  WriteFile("home/aws-config", "");
  WriteFile("home/aws-credentials", "");
}

Harness::~Harness() {
  if (server_) server_->Stop();
}

void Harness::StartEmulator(emulator::Fleet fleet, double time_scale) {
  // A restart (a later phase "days later" against a changed fleet): the old server goes first.
  if (server_) server_->Stop();
  server_.reset();
  emulator_.reset();
  emulator::EmulatorOptions o;
  o.time_scale = time_scale;
  o.ssm_delivery_s = 0.001;  // commands leave Pending at once: the first poll sees them run
  access_key_ = fleet.caller.access_key_id;
  secret_key_ = fleet.caller.secret_access_key;
  emulator_ = std::make_unique<emulator::Emulator>(std::move(fleet), o);
  server_ = std::make_unique<emulator::Server>(*emulator_);
  emulator::ServerOptions so;
  so.threads = 8;
  Status s = server_->Start(so);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  endpoint_ = server_->endpoint();
}

void Harness::WriteFile(const std::string& name, const std::string& text) {
  std::ofstream out(dir() / name, std::ios::binary);
  out << text;
}

fs::path Harness::WriteInventory(const std::vector<ZoneDef>& zones, const std::string& file) {
  std::string y = "landing_zones:\n";
  for (const auto& z : zones) {
    y += "  - name: " + z.name + "\n";
    y += "    account_id: \"" + z.account + "\"\n";
    y += "    region: " + z.region + "\n";
    y += "    role_arn: arn:aws:iam::" + z.account + ":role/" + z.role_name + "\n";
    y += "    external_id: " + (z.external_id.empty() ? "ext-" + z.account : z.external_id) + "\n";
    y += "    filters:\n      tags:\n        Environment: [" + z.env + "]\n";
  }
  WriteFile(file, y);
  return dir() / file;
}

fs::path Harness::WriteConfig(const std::string& extra, const std::string& file) {
  std::string y =
      "version: 1\n"
      "workflow:\n"
      // The emulated work takes (simulated) milliseconds and every first poll waits one interval:
      // 2 s keeps each phase short without changing what the tests check.
      "  poll_interval: 2\n"
      "  timeouts:\n"
      "    ami_creation: 60\n"
      "    patch_execution: 60\n"
      "    ssm_connection: 10\n"
      "landing_zones: zones.yml\n" +
      extra;
  WriteFile(file, y);
  return dir() / file;
}

std::map<std::string, std::string> Harness::Env() const {
  std::map<std::string, std::string> e{
      {"PATH", "/usr/bin:/bin"},
      {"HOME", (dir() / "home").string()},
      {"AWS_CONFIG_FILE", (dir() / "home" / "aws-config").string()},
      {"AWS_SHARED_CREDENTIALS_FILE", (dir() / "home" / "aws-credentials").string()},
      {"AWS_EC2_METADATA_DISABLED", "true"},
      {"AWS_ENDPOINT_URL", endpoint_},
      {"AWS_ACCESS_KEY_ID", access_key_},
      {"AWS_SECRET_ACCESS_KEY", secret_key_},
      {"AWS_DEFAULT_REGION", "us-east-1"},
      {"TZ", "UTC"},
  };
  for (const auto& [k, v] : env_overrides) {
    if (v.empty())
      e.erase(k);
    else
      e[k] = v;
  }
  return e;
}

ProcResult Harness::Run(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  Child c(FleetpatchBinary(), args, Env(), dir(), "run" + std::to_string(++runs_));
  return c.Wait(timeout);
}

std::unique_ptr<Child> Harness::Start(const std::vector<std::string>& args, const std::string& tag) {
  return std::make_unique<Child>(FleetpatchBinary(), args, Env(), dir(), tag + std::to_string(++runs_));
}

int Harness::Count(const std::string& operation) const {
  int n = 0;
  for (const auto& e : emulator_->RequestLog())
    if (e.operation == operation && e.error_code.empty()) ++n;
  return n;
}

int Harness::CountAll(const std::string& operation) const {
  int n = 0;
  for (const auto& e : emulator_->RequestLog())
    if (e.operation == operation) ++n;
  return n;
}

}  // namespace fleetpatch::e2e
