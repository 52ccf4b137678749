// The emulator's HTTP server (cpp-httplib) and the `fleetpatch-emulator` entry point.
// Server serves one Emulator on a loopback address; it refuses other addresses unless
// ServerOptions::allow_non_loopback is set, because the emulator accepts any client that holds the
// demo credentials printed on its stdout.
// Thread-safety: Start/Stop from one thread; requests are served on httplib's worker threads.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/error.h"
#include "emulator/emulator.h"
#include "emulator/fault_flags.h"
#include "emulator/fleet.h"

namespace fleetpatch::emulator {

struct ServerOptions {
  std::string host = "127.0.0.1";  // Default: loopback
  int port = 0;                    // 0: an ephemeral port (see Server::port())
  bool allow_non_loopback = false;
  int threads = 16;  // worker threads. Default: 16
};

class Server {
 public:
  explicit Server(Emulator& emulator);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving on a background thread. kConfig for a refused or unusable address.
  Status Start(const ServerOptions& options);
  void Stop();
  int port() const { return port_; }
  // "http://127.0.0.1:PORT"
  std::string endpoint() const;

 private:
  struct Impl;
  Emulator& emulator_;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
};

// Options of the `fleetpatch-emulator` / `fleetpatch emulator` command.
struct RunOptions {
  bool demo = false;
  std::string fleet_file;      // YAML; exclusive with demo and generate
  int generate = 0;            // > 0: a synthetic fleet of this many instances
  GeneratorOptions generator;  // for generate: --zones, --seed, --patch-states, --old-backups
  ServerOptions server;
  double time_scale = 1.0;
  bool strict_sigv4 = true;
  bool rate_limits = true;
  std::string write_fleet;                                // write the fleet as YAML to this path and exit
  std::vector<std::pair<std::string, FaultSpec>> faults;  // operation ("*" = all) -> spec
  std::vector<std::pair<std::string, RateLimit>> rate_limits_override;  // bucket -> limit
};

// `s` in single quotes for a POSIX shell (a ' inside becomes '\''): eval-ing it yields `s` and
// runs nothing.
std::string ShellQuote(const std::string& s);
// The lines the emulator prints for `eval`: AWS_ENDPOINT_URL, the base credentials and the default
// region, each value shell-quoted (a fleet file's secret must never run as a command).
std::string ExportLines(const std::string& endpoint, const aws::Credentials& creds,
                        const std::string& region);

// Loads the fleet, starts the server, prints the export lines on stdout and serves until SIGINT or
// SIGTERM. Returns a process exit code.
int Run(const RunOptions& options);
// Parses argv (--demo | --fleet FILE | --generate N [--zones Z --seed S --patch-states
// never=F,stale=F,reboot=F --old-backups K], --port P, --host H,
// --allow-non-loopback, --time-scale X, --no-strict-sigv4, --no-rate-limits, --write-fleet FILE,
// --fault SPEC (repeatable), --faults-file FILE, --rate-limit BUCKET=BURST/RATE (repeatable))
// and calls Run.
int RunMain(int argc, char** argv);

}  // namespace fleetpatch::emulator
