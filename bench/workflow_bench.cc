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
//   fp_bench_workflow (--fleet FILE | --generate N [--zones Z] [--seed S] --write-fleet OUT.yml)
//                     --landing-zones OUT.yml --request-log OUT.json
//                     [--time-scale X] [--latency-ms MS] [--threads N] [--no-rate-limits]
// --generate makes the fleet with the emulator's seeded generator (the same fleet as
// `fleetpatch-emulator --generate N --zones Z --seed S --write-fleet F`) and writes it for the
// analysis, instead of parsing a fleet file: yaml-cpp's tree of a generated fleet file takes about
// 50 KiB per instance while it is parsed (5 GB at 100,000 instances), and glibc keeps most of it
// resident afterwards; the generated fleet itself is about 4 KiB per instance.
// Prints the same export lines as fleetpatch-emulator on stdout, then serves until a stop signal.
#include <malloc.h>
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
  int generate = 0;  // > 0: generate this many instances instead of reading --fleet
  int zones = 20;
  uint64_t seed = 7;
  std::string write_fleet;
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
            << "\nusage: fp_bench_workflow (--fleet FILE | --generate N [--zones Z] [--seed S] --write-fleet OUT.yml)"
               " --landing-zones OUT.yml --request-log OUT.json"
               " [--time-scale X] [--latency-ms MS] [--threads N] [--no-rate-limits]\n";
  return 2;
}

// The fleet to serve: generated (and written to a.write_fleet for the analysis) or read from a.fleet.
fleetpatch::Result<Fleet> MakeFleet(const Args& a) {
  if (a.generate <= 0) return fleetpatch::emulator::LoadFleetFile(a.fleet);
  fleetpatch::emulator::GeneratorOptions g;
  g.instances = a.generate;
  g.zones = a.zones;
  g.seed = a.seed;
  Fleet fleet = fleetpatch::emulator::GenerateFleet(g);
  std::ofstream out(a.write_fleet, std::ios::binary);
  out << fleetpatch::emulator::FleetToYaml(fleet);
  if (!out) return fleetpatch::Error::Config("cannot write " + a.write_fleet);
  return fleet;
}

// Reads the command line into *a; returns a message on a bad command line, "" when it is good.
std::string ParseArgs(int argc, char** argv, Args* out) {
  Args& a = *out;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string f = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(f + " needs a value");
        return argv[++i];
      };
      if (f == "--fleet") a.fleet = value();
      else if (f == "--generate") a.generate = std::stoi(value());
      else if (f == "--zones") a.zones = std::stoi(value());
      else if (f == "--seed") a.seed = std::stoull(value());
      else if (f == "--write-fleet") a.write_fleet = value();
      else if (f == "--landing-zones") a.landing_zones = value();
      else if (f == "--request-log") a.request_log = value();
      else if (f == "--time-scale") a.time_scale = std::stod(value());
      else if (f == "--latency-ms") a.latency_ms = std::stoi(value());
      else if (f == "--threads") a.threads = std::stoi(value());
      else if (f == "--no-rate-limits") a.rate_limits = false;
      else return "unknown argument " + f;
    }
  } catch (const std::exception& e) {
    return std::string("bad argument: ") + e.what();
  }
  if ((a.fleet.empty() == (a.generate <= 0)) || a.landing_zones.empty() || a.request_log.empty())
    return "one of --fleet and --generate, --landing-zones and --request-log are required";
  if (a.generate > 0 && (a.write_fleet.empty() || a.zones < 1))
    return "--generate needs --write-fleet (the analysis reads the fleet) and --zones of at least 1";
  if (a.time_scale <= 0 || a.latency_ms < 0 || a.threads < 1) return "out-of-range value";
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (std::string bad = ParseArgs(argc, argv, &a); !bad.empty()) return Usage(bad);

  auto fleet = MakeFleet(a);
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

  malloc_trim(0);  // what parsing or writing YAML freed goes back to the system before serving

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
