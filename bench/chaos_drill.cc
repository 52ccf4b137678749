// fp_chaos_drill: the fault drills of `make chaos` (docs/chaos.md). Not a test: figures for humans,
// and a non-zero exit when an invariant breaks.
//
// It generates a seeded fleet (the emulator's generator, as the benchmark does), serves it from the
// emulator library over HTTP on 127.0.0.1 and runs the real `fleetpatch` binary against it:
//  1. a clean full run, the reference: each instance's outcomes and statuses per phase;
//  2. the same fleet, fresh, with faults on every operation (throttling, 5xx, dropped connections):
//     per-instance results must equal the reference, with no AMI made twice for an instance and
//     no second AWS-RunPatchBaseline command to one;
//  3. K kill points: a fresh copy of the fleet per point, fleetpatch killed with SIGKILL after a
//     seeded delay spread over the reference run's duration (so over every phase), then resumed
//     with --resume until it finishes: results equal to the reference, no duplicate, none lost.
// AMIs and patch commands are counted from the emulator's own state (DescribeImages Owners=self and
// ListCommandInvocations per account, after the run, with faults off), not from fleetpatch.
//
// Usage: fp_chaos_drill --fleetpatch BIN --work DIR [--instances N] [--zones Z] [--seed S]
//        [--kills K] [--kill-instances N] [--kill-zones Z] [--throttle P] [--5xx P] [--drop P]
//        [--time-scale X] [--max-attempts N] [--out FILE.json]
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/landing_zones.h"
#include "common/clock.h"
#include "emulator/emulator.h"
#include "emulator/fleet.h"
#include "emulator/server.h"
#include "emulator/signed_client.h"

namespace {

namespace fs = std::filesystem;
using fleetpatch::emulator::Emulator;
using fleetpatch::emulator::EmulatorOptions;
using fleetpatch::emulator::FaultSpec;
using fleetpatch::emulator::Fleet;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string fleetpatch;
  fs::path work;
  int instances = 1000, zones = 10, kills = 50, kill_instances = 100, kill_zones = 4;
  uint64_t seed = 7;
  double throttle = 0.2, error_5xx = 0.05, drop = 0.01, time_scale = 600;
  int max_attempts = 10;
  std::string out;
};

// One emulator serving one fresh copy of the fleet.
struct World {
  std::unique_ptr<Emulator> emulator;
  std::unique_ptr<fleetpatch::emulator::Server> server;
};

World Serve(const Fleet& fleet, const Args& a, const FaultSpec* faults) {
  EmulatorOptions eo;
  eo.time_scale = a.time_scale;
  eo.rate_limits = false;  // the faults throttle; real rate limits would only slow the drill down
  eo.seed = a.seed;
  World w;
  w.emulator = std::make_unique<Emulator>(fleet, eo);
  if (faults) w.emulator->SetFault("*", *faults);
  w.server = std::make_unique<fleetpatch::emulator::Server>(*w.emulator);
  fleetpatch::emulator::ServerOptions so;
  so.threads = 32;
  if (auto st = w.server->Start(so); !st.ok()) throw std::runtime_error(st.error().message);
  return w;
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

// A fresh working directory with the inventory and the config (short polls and generous timeouts,
// so that only the emulator's outcomes decide; JSON report only).
fs::path Prepare(const fs::path& dir, const Fleet& fleet, const Args& a) {
  fs::remove_all(dir);
  fs::create_directories(dir / "home");
  ::chmod(dir.c_str(), 0700);
  WriteFile(dir / "zones.yml", fleetpatch::bench::LandingZonesYaml(fleet, "fleetpatch-chaos"));
  WriteFile(dir / "cfg.yml",
            "version: 1\n"
            "landing_zones: zones.yml\n"
            "aws:\n  max_attempts: " +
                std::to_string(a.max_attempts) +
                "\n"
                "workflow:\n  poll_interval: 1\n"
                "  timeouts: {ami_creation: 600, patch_execution: 600, ssm_connection: 60}\n"
                "error_budget: \"100%\"\n"
                "concurrency: {zone_workers: " +
                std::to_string(std::max(1, a.zones)) +
                "}\n"
                "reporting: {output_dir: reports, formats: [json]}\n");
  return dir;
}

struct Exit {
  int code = -1;
  bool killed = false;
  double seconds = 0;
};

// Runs fleetpatch in `dir`; with kill_after set, sends SIGKILL then (if it is still running).
Exit RunFleetpatch(const Args& a, const World& w, const fs::path& dir, const std::vector<std::string>& args,
                   std::optional<std::chrono::milliseconds> kill_after, const std::string& tag) {
  auto creds = w.emulator->BaseCredentials();
  std::vector<std::string> env = {"PATH=/usr/bin:/bin",
                                  "HOME=" + (dir / "home").string(),
                                  "AWS_CONFIG_FILE=" + (dir / "home/none").string(),
                                  "AWS_SHARED_CREDENTIALS_FILE=" + (dir / "home/none").string(),
                                  "AWS_EC2_METADATA_DISABLED=true",
                                  "AWS_ENDPOINT_URL=" + w.server->endpoint(),
                                  "AWS_ACCESS_KEY_ID=" + creds.access_key_id,
                                  "AWS_SECRET_ACCESS_KEY=" + creds.secret_access_key,
                                  "AWS_DEFAULT_REGION=us-east-1",
                                  "TZ=UTC"};
  std::vector<std::string> argv = {a.fleetpatch};
  argv.insert(argv.end(), args.begin(), args.end());
  auto start = Clock::now();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    std::string out = (dir / (tag + ".out")).string(), err = (dir / (tag + ".err")).string();
    if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr)) ::_exit(127);
    std::vector<char*> cargv, cenv;
    for (auto& s : argv) cargv.push_back(s.data());
    for (auto& s : env) cenv.push_back(s.data());
    cargv.push_back(nullptr);
    cenv.push_back(nullptr);
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  Exit e;
  int status = 0;
  if (kill_after) {
    auto deadline = start + *kill_after;
    while (Clock::now() < deadline && ::waitpid(pid, &status, WNOHANG) == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (Clock::now() >= deadline && ::waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      e.killed = true;
    }
  } else {
    ::waitpid(pid, &status, 0);
  }
  e.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  e.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return e;
}

// instance id -> "backup/precheck/patch outcomes and statuses" from the newest JSON report.
std::map<std::string, std::string> Results(const fs::path& dir) {
  fs::path newest;
  if (!fs::is_directory(dir / "reports"))
    throw std::runtime_error("no reports in " + dir.string() + " (see its *.err files)");
  for (const auto& f : fs::directory_iterator(dir / "reports"))
    if (f.path().extension() == ".json" &&
        (newest.empty() || f.last_write_time() > fs::last_write_time(newest)))
      newest = f.path();
  if (newest.empty()) throw std::runtime_error("no JSON report in " + (dir / "reports").string());
  json report = json::parse(std::ifstream(newest));
  std::map<std::string, std::string> out;
  for (const auto& i : report["instances"]) {
    std::string r = i["outcomes"].dump();
    for (const char* phase : {"backup", "precheck", "patch"})
      r += std::string(" ") + phase + "=" + (i[phase].is_object() ? i[phase].value("status", "") : "-");
    out[i["instance_id"].get<std::string>()] = r;
  }
  return out;
}

struct Census {
  int created_amis = 0;  // successful CreateImage calls (the request log): deregistered ones count too
  int amis = 0, duplicate_amis = 0, patch_commands = 0, second_patch_commands = 0;
};

// What the emulator holds, per account (faults off): AMIs per source instance and patch commands
// per instance.
Census Count(World& w) {
  w.emulator->ClearFaults();
  Census c;
  for (const auto& e : w.emulator->RequestLog())
    c.created_amis += e.operation == "CreateImage" && e.error_code.empty();
  fleetpatch::emulator::SignedClient client(*w.emulator, fleetpatch::DefaultClock(),
                                            w.emulator->BaseCredentials());
  for (const auto& acct : w.emulator->fleet().accounts) {
    for (const auto& region : acct.regions) {
      client.SetCredentials(w.emulator->BaseCredentials());
      auto role = client.Query("sts", region, "AssumeRole",
                               {{"RoleArn", fleetpatch::emulator::RoleArn(acct.id, acct.roles[0].name)},
                                {"RoleSessionName", "chaos-census"},
                                {"ExternalId", acct.roles[0].external_id}});
      if (role.status != 200) throw std::runtime_error("AssumeRole for the census failed: " + role.body);
      client.SetCredentials({role.XmlText("AccessKeyId"), role.XmlText("SecretAccessKey"),
                             role.XmlText("SessionToken"), std::nullopt, "census"});
      std::map<std::string, int> per_instance;
      auto images = client.Query("ec2", region, "DescribeImages", {{"Owner.1", "self"}});
      for (auto n : images.xml.select_nodes("//imagesSet/item")) {
        ++c.amis;
        ++per_instance[n.node().child("sourceInstanceId").text().as_string()];
      }
      for (const auto& [id, n] : per_instance) c.duplicate_amis += n - 1;
      std::map<std::string, int> patches;
      std::string token;
      do {
        json body = {{"MaxResults", 50},
                     {"Filters", {{{"key", "DocumentName"}, {"value", "AWS-RunPatchBaseline"}}}}};
        if (!token.empty()) body["NextToken"] = token;
        auto page = client.Ssm(region, "ListCommandInvocations", body);
        if (page.status != 200)
          throw std::runtime_error("ListCommandInvocations for the census failed: " + page.body);
        for (const auto& inv : page.json.value("CommandInvocations", json::array())) {
          ++c.patch_commands;
          ++patches[inv.value("InstanceId", "")];
        }
        token = page.json.value("NextToken", "");
      } while (!token.empty());
      for (const auto& [id, n] : patches) c.second_patch_commands += n - 1;
    }
  }
  return c;
}

int Differences(const std::map<std::string, std::string>& want, const std::map<std::string, std::string>& got,
                const std::string& what) {
  int diff = 0;
  for (const auto& [id, r] : want) {
    auto it = got.find(id);
    if (it == got.end() || it->second != r) {
      if (++diff <= 5)
        std::cerr << "chaos: " << what << ": " << id << ": expected " << r << ", got "
                  << (it == got.end() ? "(missing)" : it->second) << "\n";
    }
  }
  for (const auto& [id, r] : got)
    if (!want.count(id)) ++diff;
  return diff;
}

const std::vector<std::string> kFullRun = {"--config", "cfg.yml", "--workflow", "full", "--yes", "--quiet"};

json CensusJson(const Census& c) {
  return {{"created_amis", c.created_amis},
          {"amis", c.amis},
          {"duplicate_amis", c.duplicate_amis},
          {"patch_commands", c.patch_commands},
          {"second_patch_commands", c.second_patch_commands}};
}

// Drills 1 and 2: a clean reference run and a faulty run of the same fleet.
json FaultDrill(const Args& a, bool* ok) {
  fleetpatch::emulator::GeneratorOptions g;
  g.instances = a.instances;
  g.zones = a.zones;
  g.seed = a.seed;
  Fleet fleet = fleetpatch::emulator::GenerateFleet(g);
  json out;
  World clean = Serve(fleet, a, nullptr);
  fs::path cdir = Prepare(a.work / "clean", fleet, a);
  Exit ce = RunFleetpatch(a, clean, cdir, kFullRun, std::nullopt, "run");
  auto want = Results(cdir);
  Census cc = Count(clean);
  out["clean"] = {
      {"exit", ce.code}, {"seconds", ce.seconds}, {"instances", want.size()}, {"census", CensusJson(cc)}};
  FaultSpec f;
  f.throttle_rate = a.throttle;
  f.error_5xx_rate = a.error_5xx;
  f.drop_rate = a.drop;
  World faulty = Serve(fleet, a, &f);
  fs::path fdir = Prepare(a.work / "faulty", fleet, a);
  Exit fe = RunFleetpatch(a, faulty, fdir, kFullRun, std::nullopt, "run");
  auto log = faulty.emulator->RequestLog();
  int injected = 0;
  for (const auto& e : log) injected += e.error_code.empty() ? 0 : 1;
  auto got = Results(fdir);
  Census fc = Count(faulty);
  int diff = Differences(want, got, "faulty run");
  out["faulty"] = {{"exit", fe.code},
                   {"seconds", fe.seconds},
                   {"requests", log.size()},
                   {"failed_requests", injected},
                   {"different_instances", diff},
                   {"census", CensusJson(fc)}};
  *ok = *ok && ce.code == fe.code && diff == 0 && fc.duplicate_amis == 0 && fc.second_patch_commands == 0 &&
        cc.duplicate_amis == 0 && fc.created_amis == cc.created_amis;
  return out;
}

// Drill 3: kill -9 at seeded points over the reference run's duration, then --resume to the end.
json KillDrill(const Args& a, bool* ok) {
  fleetpatch::emulator::GeneratorOptions g;
  g.instances = a.kill_instances;
  g.zones = a.kill_zones;
  g.seed = a.seed + 1;
  Fleet fleet = fleetpatch::emulator::GenerateFleet(g);
  World ref = Serve(fleet, a, nullptr);
  fs::path rdir = Prepare(a.work / "kill-ref", fleet, a);
  Exit re = RunFleetpatch(a, ref, rdir, kFullRun, std::nullopt, "run");
  auto want = Results(rdir);
  const Census rc = Count(ref);
  std::mt19937_64 rng(a.seed);
  std::uniform_real_distribution<double> when(0.0, re.seconds);
  json points = json::array();
  int failures = 0;
  for (int k = 0; k < a.kills; ++k) {
    // Spread evenly with jitter: point k lands in the k-th slice of the run.
    double at = (k + when(rng) / re.seconds) * re.seconds / a.kills;
    World w = Serve(fleet, a, nullptr);
    fs::path dir = Prepare(a.work / ("kill-" + std::to_string(k)), fleet, a);
    Exit first =
        RunFleetpatch(a, w, dir, kFullRun, std::chrono::milliseconds(static_cast<int>(at * 1000)), "first");
    int resumes = 0;
    Exit last = first;
    std::vector<std::string> resume = kFullRun;
    resume.push_back("--resume");
    while ((last.killed || last.code != re.code) && resumes < 5) {
      std::string tag = "resume" + std::to_string(++resumes);
      last = RunFleetpatch(a, w, dir, resume, std::nullopt, tag);
      // Killed before the run was recorded: there is nothing to resume, so it starts afresh.
      std::ifstream err(dir / (tag + ".err"));
      std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
      if (text.find("no earlier run to continue") != std::string::npos)
        last = RunFleetpatch(a, w, dir, kFullRun, std::nullopt, tag + "-fresh");
    }
    auto got = Results(dir);
    Census c = Count(w);
    int diff = Differences(want, got, "kill point " + std::to_string(k));
    bool good = last.code == re.code && diff == 0 && c.duplicate_amis == 0 && c.second_patch_commands == 0 &&
                c.created_amis == rc.created_amis && c.patch_commands == rc.patch_commands;
    failures += good ? 0 : 1;
    points.push_back({{"kill_at_s", std::round(at * 100) / 100},
                      {"killed", first.killed},
                      {"resumes", resumes},
                      {"exit", last.code},
                      {"lost_or_different", diff},
                      {"census", CensusJson(c)},
                      {"ok", good}});
    std::cerr << "chaos: kill point " << k + 1 << "/" << a.kills << " at " << at
              << " s: " << (good ? "ok" : "FAILED") << "\n";
  }
  *ok = *ok && failures == 0;
  return {{"reference_seconds", re.seconds},    {"reference_exit", re.code}, {"instances", want.size()},
          {"reference_census", CensusJson(rc)}, {"points", points},          {"failed_points", failures}};
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(f + " needs a value");
      return argv[++i];
    };
    if (f == "--fleetpatch")
      a.fleetpatch = value();
    else if (f == "--work")
      a.work = value();
    else if (f == "--instances")
      a.instances = std::stoi(value());
    else if (f == "--zones")
      a.zones = std::stoi(value());
    else if (f == "--seed")
      a.seed = std::stoull(value());
    else if (f == "--kills")
      a.kills = std::stoi(value());
    else if (f == "--kill-instances")
      a.kill_instances = std::stoi(value());
    else if (f == "--kill-zones")
      a.kill_zones = std::stoi(value());
    else if (f == "--throttle")
      a.throttle = std::stod(value());
    else if (f == "--5xx")
      a.error_5xx = std::stod(value());
    else if (f == "--drop")
      a.drop = std::stod(value());
    else if (f == "--time-scale")
      a.time_scale = std::stod(value());
    else if (f == "--max-attempts")
      a.max_attempts = std::stoi(value());
    else if (f == "--out")
      a.out = value();
    else
      throw std::invalid_argument("unknown argument " + f);
  }
  if (a.fleetpatch.empty() || a.work.empty())
    throw std::invalid_argument("--fleetpatch and --work are required");
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args a = Parse(argc, argv);
    a.work = fs::absolute(a.work);
    a.fleetpatch = fs::absolute(a.fleetpatch).string();  // the child chdirs into its run directory first
    fs::create_directories(a.work);
    bool ok = true;
    json out = {{"seed", a.seed},
                {"faults", {{"throttle", a.throttle}, {"5xx", a.error_5xx}, {"drop", a.drop}}},
                {"max_attempts", a.max_attempts},
                {"time_scale", a.time_scale}};
    out["fault_drill"] = FaultDrill(a, &ok);
    std::cerr << "chaos: fault drill: " << out["fault_drill"].dump() << "\n";
    if (a.kills > 0) out["kill_drill"] = KillDrill(a, &ok);
    out["ok"] = ok;
    std::string text = out.dump(2);
    if (!a.out.empty()) WriteFile(a.out, text + "\n");
    std::cout << text << "\n";
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "fp_chaos_drill: " << e.what() << "\n";
    return 2;
  }
}
