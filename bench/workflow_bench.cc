// fp_bench_workflow: the emulator host of the workflow benchmark (bench/run.sh).
//
// It serves a fleet file (made by `fleetpatch-emulator --generate N --write-fleet F`) over HTTP with
// the emulator's AWS-like rate limits, a fixed latency added to every call and a time scale, writes
// the matching landing-zones inventory for fleetpatch, and on SIGINT/SIGTERM writes the emulator's
// request log, summarised, as JSON: calls per operation, errors per operation and code, throttled
// calls. fleetpatch itself runs as a separate process (so that its peak RSS and CPU time can be
// measured on their own); this program only hosts the emulator, so its figures are not fleetpatch's.
//
// The fleet comes from a file, or from the emulator's generator in this process (--generate N with
// --zones, --seed, --patch-states, --old-backups, as fleetpatch-emulator takes them): at 100,000
// instances loading the YAML file takes about 100 s and 5 GB (yaml-cpp's node tree), generating
// it 3 s and 0.3 GB. --write-fleet writes the generated fleet for the analysis (like
// `fleetpatch-emulator --write-fleet`) before serving.
//
// The request log summary also has, per zone (account|region), the calls per operation, and the
// fleet's own counts per zone (SSM-managed instances, images and their snapshots at start): what the
// benchmark's floors are computed from.
//
// Usage:
//   fp_bench_workflow (--fleet FILE | --generate N [--zones Z] [--seed S] [--patch-states SPEC]
//                     [--old-backups K] [--write-fleet OUT.yml]) --landing-zones OUT.yml
//                     --request-log OUT.json [--time-scale X] [--latency-ms MS] [--threads N]
//                     [--no-rate-limits]
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

#include "bench/landing_zones.h"
#include "emulator/emulator.h"
#include "emulator/fleet.h"
#include "emulator/server.h"

namespace {

using fleetpatch::emulator::Emulator;
using fleetpatch::emulator::EmulatorOptions;
using fleetpatch::emulator::FaultSpec;
using fleetpatch::emulator::Fleet;

struct Args {
  std::string fleet;
  int generate = 0;
  fleetpatch::emulator::GeneratorOptions generator;
  std::string write_fleet;
  std::string landing_zones;
  std::string request_log;
  double time_scale = 60;
  int latency_ms = 20;
  int threads = 64;
  bool rate_limits = true;
};

// Calls per operation of each zone ("account|region").
nlohmann::json CallsByZone(const std::vector<fleetpatch::emulator::RequestLogEntry>& log) {
  std::map<std::string, std::map<std::string, int>> by_zone;
  for (const auto& e : log)
    ++by_zone[e.account_id + "|" + e.region][e.operation.empty() ? "(unknown)" : e.operation];
  return by_zone;
}

// What each zone ("account|region") held at start: SSM-managed instances, images, their snapshots.
nlohmann::json FleetByZone(const Fleet& fleet) {
  std::map<std::string, std::map<std::string, int>> by_zone;
  for (const auto& in : fleet.instances) {
    auto& z = by_zone[in.account_id + "|" + in.region];
    ++z["instances"];
    z["ssm_managed"] += in.ssm_ping != "None";
  }
  for (const auto& img : fleet.images) {
    auto& z = by_zone[img.account_id + "|" + img.region];
    ++z["images"];
    z["image_snapshots"] += static_cast<int>(img.snapshots.size());
  }
  return by_zone;
}

// The rate-limit bucket of each operation called, with its limit: {op: [bucket, burst, per_second]}.
nlohmann::json RateLimits(const Emulator& emulator, const std::map<std::string, int>& calls) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [op, n] : calls) {
    std::string bucket;
    fleetpatch::emulator::RateLimit limit;
    if (emulator.RateLimitOf(op, &bucket, &limit)) out[op] = {bucket, limit.burst, limit.per_second};
  }
  return out;
}

// The request log summarised: what the benchmark's analysis needs, not every entry.
// `rate_limits`: whether the emulator enforced them (--no-rate-limits turns them off).
nlohmann::json Summarise(const Emulator& emulator, std::chrono::system_clock::time_point started,
                         bool rate_limits) {
  auto log = emulator.RequestLog();
  std::map<std::string, int> calls, ok;
  std::map<std::string, std::map<std::string, int>> errors;
  std::map<std::string, int> throttled;
  static const std::set<std::string> kThrottleCodes = {"RequestLimitExceeded", "ThrottlingException",
                                                       "Throttling", "TooManyRequestsException"};
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
    return t == std::chrono::system_clock::time_point{} ? 0.0
                                                        : std::chrono::duration<double>(t - started).count();
  };
  nlohmann::json j;
  j["by_zone"] = CallsByZone(log);
  j["fleet"] = FleetByZone(emulator.fleet());
  j["rate_limits"] = rate_limits ? RateLimits(emulator, calls) : nlohmann::json::object();
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
            << "\nusage: fp_bench_workflow (--fleet FILE | --generate N [--zones Z] [--seed S] "
               "[--patch-states SPEC]"
               " [--old-backups K] [--write-fleet OUT.yml]) --landing-zones OUT.yml --request-log OUT.json"
               " [--time-scale X] [--latency-ms MS] [--threads N] [--no-rate-limits]\n";
  return 2;
}

// Parses argv into *a; an error message, or "" when it is complete and in range.
std::string ParseArgs(int argc, char** argv, Args* a) {
  try {
    for (int i = 1; i < argc; ++i) {
      std::string f = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(f + " needs a value");
        return argv[++i];
      };
      if (f == "--fleet")
        a->fleet = value();
      else if (f == "--generate")
        a->generate = std::stoi(value());
      else if (f == "--zones")
        a->generator.zones = std::stoi(value());
      else if (f == "--seed")
        a->generator.seed = std::stoull(value());
      else if (f == "--patch-states" || f == "--old-backups") {
        auto applied = fleetpatch::emulator::ApplyGeneratorFlag(f, value(), &a->generator);
        if (!applied.ok()) return applied.error().message;
      } else if (f == "--write-fleet")
        a->write_fleet = value();
      else if (f == "--landing-zones")
        a->landing_zones = value();
      else if (f == "--request-log")
        a->request_log = value();
      else if (f == "--time-scale")
        a->time_scale = std::stod(value());
      else if (f == "--latency-ms")
        a->latency_ms = std::stoi(value());
      else if (f == "--threads")
        a->threads = std::stoi(value());
      else if (f == "--no-rate-limits")
        a->rate_limits = false;
      else
        return "unknown argument " + f;
    }
  } catch (const std::exception& e) {
    return std::string("bad argument: ") + e.what();
  }
  if (a->fleet.empty() == (a->generate <= 0)) return "give one of --fleet FILE and --generate N";
  if (a->landing_zones.empty() || a->request_log.empty())
    return "--landing-zones and --request-log are required";
  if (a->time_scale <= 0 || a->latency_ms < 0 || a->threads < 1) return "out-of-range value";
  return "";
}

// The fleet of --fleet, or generated (and written to --write-fleet when given).
fleetpatch::Result<Fleet> LoadOrGenerate(const Args& a) {
  if (!a.fleet.empty()) return fleetpatch::emulator::LoadFleetFile(a.fleet);
  fleetpatch::emulator::GeneratorOptions g = a.generator;
  g.instances = a.generate;
  Fleet fleet = fleetpatch::emulator::GenerateFleet(g);
  if (!a.write_fleet.empty()) {
    std::ofstream out(a.write_fleet, std::ios::binary);
    out << fleetpatch::emulator::FleetToYaml(fleet);
    if (!out) return fleetpatch::Error::Config("cannot write " + a.write_fleet);
  }
  return fleet;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (std::string why = ParseArgs(argc, argv, &a); !why.empty()) return Usage(why);

  auto fleet = LoadOrGenerate(a);
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
  std::cout << fleetpatch::emulator::ExportLines(server.endpoint(), emulator.BaseCredentials(), region)
            << std::flush;
  std::cerr << "fp_bench_workflow: serving " << emulator.fleet().instances.size() << " instances on "
            << server.endpoint() << " (time scale " << a.time_scale << ", latency " << a.latency_ms
            << " ms, rate limits " << (a.rate_limits ? "on" : "off") << ")\n";
  int sig = 0;
  sigwait(&stop, &sig);
  server.Stop();

  std::ofstream log(a.request_log, std::ios::binary);
  log << Summarise(emulator, started, a.rate_limits).dump(2) << "\n";
  if (!log) {
    std::cerr << "fp_bench_workflow: cannot write " << a.request_log << "\n";
    return 2;
  }
  return 0;
}
