// fp_bench_workflow: the emulator host of the workflow benchmark (bench/run.sh).
//
// It serves a fleet file (made by `fleetpatch-emulator --generate N --write-fleet F`) over HTTP with
// the emulator's AWS-like rate limits, a fixed latency added to every call and a time scale, writes
// the matching landing-zones inventory for fleetpatch, and on SIGINT/SIGTERM writes the emulator's
// request log, summarised, as JSON: calls per operation, errors per operation and code, throttled
// calls. fleetpatch itself runs as a separate process (so that its peak RSS and CPU time can be
// measured on their own); this program only hosts the emulator, so its figures are not fleetpatch's.
//
// Usage:
//   fp_bench_workflow --fleet FILE --landing-zones OUT.yml --request-log OUT.json
//                     [--time-scale X] [--latency-ms MS] [--threads N] [--no-rate-limits]
// Prints the same export lines as fleetpatch-emulator on stdout, then serves until a stop signal.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "emulator/emulator.h"
#include "emulator/fleet.h"
#include "bench/landing_zones.h"
#include "emulator/server.h"

namespace {

using fleetpatch::emulator::Emulator;
using fleetpatch::emulator::EmulatorOptions;
using fleetpatch::emulator::FaultSpec;
using fleetpatch::emulator::Fleet;

struct Args {
  std::string fleet;
  std::string landing_zones;
  std::string request_log;
  double time_scale = 60;
  int latency_ms = 20;
  int threads = 64;
  bool rate_limits = true;
};

// The request log summarised: what the benchmark's analysis needs, not every entry.
nlohmann::json Summarise(const Emulator& emulator, std::chrono::system_clock::time_point started) {
  auto log = emulator.RequestLog();
  std::map<std::string, int> calls, ok;
  std::map<std::string, std::map<std::string, int>> errors;
  std::map<std::string, int> throttled;
  static const std::set<std::string> kThrottleCodes = {"RequestLimitExceeded", "ThrottlingException", "Throttling",
                                                       "TooManyRequestsException"};
  int total_throttled = 0;
  std::chrono::system_clock::time_point first{}, last{};
  nlohmann::json timeline = nlohmann::json::array();  // [seconds since start, operation, error code]
  for (const auto& e : log) {
    std::string op = e.operation.empty() ? "(unknown)" : e.operation;
    ++calls[op];
    if (e.error_code.empty()) {
      ++ok[op];
    } else {
      ++errors[op][e.error_code];
      if (kThrottleCodes.count(e.error_code)) {
        ++throttled[op];
        ++total_throttled;
      }
    }
    timeline.push_back({std::round(std::chrono::duration<double>(e.time - started).count() * 1000) / 1000, op,
                        e.error_code});
    if (first == std::chrono::system_clock::time_point{} || e.time < first) first = e.time;
    if (e.time > last) last = e.time;
  }
  auto secs = [&](std::chrono::system_clock::time_point t) {
    return t == std::chrono::system_clock::time_point{}
               ? 0.0
               : std::chrono::duration<double>(t - started).count();
  };
  nlohmann::json j;
  j["total_calls"] = log.size();
  j["calls"] = calls;
  j["ok"] = ok;
  j["errors"] = errors;
  j["throttled"] = throttled;
  j["total_throttled"] = total_throttled;
  j["first_request_s"] = secs(first);
  j["last_request_s"] = secs(last);
  j["simulated_seconds"] = emulator.SimulatedSeconds();
  j["time_scale"] = emulator.options().time_scale;
  j["timeline"] = std::move(timeline);
  return j;
}

int Usage(const std::string& why) {
  std::cerr << "fp_bench_workflow: " << why
            << "\nusage: fp_bench_workflow --fleet FILE --landing-zones OUT.yml --request-log OUT.json"
               " [--time-scale X] [--latency-ms MS] [--threads N] [--no-rate-limits]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string f = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(f + " needs a value");
        return argv[++i];
      };
      if (f == "--fleet") a.fleet = value();
      else if (f == "--landing-zones") a.landing_zones = value();
      else if (f == "--request-log") a.request_log = value();
      else if (f == "--time-scale") a.time_scale = std::stod(value());
      else if (f == "--latency-ms") a.latency_ms = std::stoi(value());
      else if (f == "--threads") a.threads = std::stoi(value());
      else if (f == "--no-rate-limits") a.rate_limits = false;
      else return Usage("unknown argument " + f);
    }
  } catch (const std::exception& e) {
    return Usage(std::string("bad argument: ") + e.what());
  }
  if (a.fleet.empty() || a.landing_zones.empty() || a.request_log.empty())
    return Usage("--fleet, --landing-zones and --request-log are required");
  if (a.time_scale <= 0 || a.latency_ms < 0 || a.threads < 1) return Usage("out-of-range value");

  auto fleet = fleetpatch::emulator::LoadFleetFile(a.fleet);
  if (!fleet.ok()) {
    std::cerr << "fp_bench_workflow: " << fleet.error().message << "\n";
    return 2;
  }
  {
    std::ofstream out(a.landing_zones, std::ios::binary);
    out << fleetpatch::bench::LandingZonesYaml(*fleet, "fleetpatch-bench");
    if (!out) {
      std::cerr << "fp_bench_workflow: cannot write " << a.landing_zones << "\n";
      return 2;
    }
  }

  // Only sigwait below receives the stop signals (blocked before any server thread starts).
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  EmulatorOptions eo;
  eo.time_scale = a.time_scale;
  eo.rate_limits = a.rate_limits;
  std::string region = fleet->accounts.empty() ? "us-east-1" : fleet->accounts[0].regions[0];
  Emulator emulator(std::move(fleet).value(), eo);
  FaultSpec latency;
  latency.latency = std::chrono::milliseconds(a.latency_ms);
  emulator.SetFault("*", latency);

  fleetpatch::emulator::Server server(emulator);
  fleetpatch::emulator::ServerOptions so;
  so.threads = a.threads;
  if (auto st = server.Start(so); !st.ok()) {
    std::cerr << "fp_bench_workflow: " << st.error().message << "\n";
    return 2;
  }
  auto started = std::chrono::system_clock::now();
  std::cout << fleetpatch::emulator::ExportLines(server.endpoint(), emulator.BaseCredentials(), region) << std::flush;
  std::cerr << "fp_bench_workflow: serving " << emulator.fleet().instances.size() << " instances on "
            << server.endpoint() << " (time scale " << a.time_scale << ", latency " << a.latency_ms
            << " ms, rate limits " << (a.rate_limits ? "on" : "off") << ")\n";
  int sig = 0;
  sigwait(&stop, &sig);
  server.Stop();

  std::ofstream log(a.request_log, std::ios::binary);
  log << Summarise(emulator, started).dump(2) << "\n";
  if (!log) {
    std::cerr << "fp_bench_workflow: cannot write " << a.request_log << "\n";
    return 2;
  }
  return 0;
}
