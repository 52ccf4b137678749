#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <ostream>

#include "aws/credentials_env.h"
#include "cli/demo.h"
#include "cli/run_engine.h"
#include "common/exit_codes.h"
#include "config/loader.h"
#include "emulator/fleet.h"
#include "emulator/server.h"

namespace fleetpatch::cli {
namespace {

// Throttling answers in the emulator's request log (each one was retried by the client).
int CountThrottled(const std::vector<emulator::RequestLogEntry>& log) {
  int n = 0;
  for (const auto& e : log) {
    if (e.error_code == "Throttling" || e.error_code == "ThrottlingException" ||
        e.error_code == "RequestLimitExceeded")
      ++n;
  }
  return n;
}

// `flag`'s value made absolute (the default when not given).
Result<std::string> AbsolutePath(const std::string& given, const char* fallback, const char* flag) {
  std::error_code ec;
  std::string p = std::filesystem::absolute(given.empty() ? fallback : given, ec).string();
  if (ec) return Error::Config(std::string(flag) + ": cannot resolve " + given + ": " + ec.message());
  return p;
}

// The run's HTTP transport takes proxies from the process environment; a proxy must not carry
// requests for the local emulator, so loopback joins NO_PROXY for this (short-lived) process.
void BypassProxyForLoopback() {
  bool proxied = false;
  for (const char* v : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"})
    if (const char* p = std::getenv(v); p && *p) proxied = true;
  if (!proxied) return;
  const char* np = std::getenv("NO_PROXY");
  if (!np) np = std::getenv("no_proxy");
  std::string no_proxy = np && *np ? std::string(np) + ",127.0.0.1" : "127.0.0.1";
  setenv("NO_PROXY", no_proxy.c_str(), 1);
  setenv("no_proxy", no_proxy.c_str(), 1);
}

// Everything AWS-related the user's environment holds is replaced: the demo must never reach a
// real account, whatever profile, endpoint or keys are set in this shell.
config::EnvLookup DemoEnv(config::EnvLookup user_env, const std::string& endpoint) {
  return [user_env, endpoint](std::string_view name) -> std::optional<std::string> {
    if (name == "AWS_ENDPOINT_URL") return endpoint;
    if (name.rfind("AWS_", 0) == 0 && name != "AWS_MAX_ATTEMPTS") return std::nullopt;
    return user_env(name);
  };
}

// The demo fleet's landing zones (as `examples/demo/landing_zones.yml` holds them), with the
// timeouts compressed by the emulator's time scale.
Result<config::Config> DemoConfig(const Options& options, const DemoSettings& settings,
                                  const config::EnvLookup& env, const std::string& state_path,
                                  const std::string& output_dir) {
  if (settings.time_scale <= 0) return Error::Internal("demo time scale must be positive");
  std::error_code ec;
  FP_ASSIGN_OR_RETURN(
      config::Config config,
      config::LoadConfigString(emulator::DemoLandingZonesYaml(), "built-in demo landing zones",
                               std::filesystem::current_path(ec), env));
  config.state.path = state_path;
  config.reporting.output_dir = output_dir;
  if (!options.formats.empty()) config.reporting.formats = options.formats;
  auto compress = [&](std::chrono::seconds d) {
    return std::chrono::seconds(std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(static_cast<double>(d.count()) / settings.time_scale))));
  };
  config.workflow.timeouts.ami_creation = compress(config.workflow.timeouts.ami_creation);
  config.workflow.timeouts.patch_execution = compress(config.workflow.timeouts.patch_execution);
  config.workflow.timeouts.ssm_connection = settings.ssm_timeout;
  config.aws.region = config.landing_zones.empty() ? "us-east-1" : config.landing_zones.front().region;
  // The whole safety loop: the instances a patch breaks are checked and rolled back (docs/safety.md).
  config.patch.rollback = config::RollbackMode::kAuto;
  return config;
}

// What the demo did, after the run's own summary. Its planned failures are expected: exit 0.
int PrintDemoNotes(const Options& options, Context& ctx, const std::string& endpoint,
                   const std::string& state_path, const std::vector<emulator::RequestLogEntry>& log,
                   int code) {
  // With --output json stdout holds one JSON document: the notes go to stderr then.
  std::ostream& notes = options.output == OutputFormat::kJson ? *ctx.err : *ctx.out;
  notes << "Ran against the built-in AWS emulator at " << endpoint
        << " (no real AWS account was used): " << log.size() << " requests, " << CountThrottled(log)
        << " throttled and retried.\n";
  notes << "State: " << state_path << " (try `fleetpatch runs --state " << state_path << "`)\n";
  if (code == kExitInstanceFailures) {
    notes << "The demo fleet fails some instances on purpose (an AMI that fails and one too slow for its "
             "timeout, instances that fail the precheck, patches that fail or hang, instances a patch "
             "breaks, checked and rolled back), so the failures above are expected: exit code 0. A real run "
             "with failed instances exits with "
          << kExitInstanceFailures << ".\n";
    return kExitOk;
  }
  if (code != kExitOk) notes << "The demo did not run as designed (exit code " << code << ").\n";
  return code;
}

}  // namespace

Result<int> RunDemo(const Options& options, const DemoSettings& settings, Context& ctx) {
  FP_ASSIGN_OR_RETURN(std::string output_dir,
                      AbsolutePath(options.output_dir, kDemoOutputDir, "--output-dir"));
  FP_ASSIGN_OR_RETURN(std::string state_path, AbsolutePath(options.state_path, kDemoStatePath, "--state"));
  emulator::EmulatorOptions eopts;
  eopts.time_scale = settings.time_scale;
  emulator::Emulator emu(emulator::DemoFleet(), eopts);
  emulator::Server server(emu);
  FP_RETURN_IF_ERROR(server.Start(emulator::ServerOptions{}));
  const std::string endpoint = server.endpoint();
  BypassProxyForLoopback();
  Context demo_ctx = ctx;
  demo_ctx.env = DemoEnv(ctx.env, endpoint);
  FP_ASSIGN_OR_RETURN(config::Config config,
                      DemoConfig(options, settings, demo_ctx.env, state_path, output_dir));

  RunRequest req;
  req.phases = {Phase::kScan, Phase::kBackup, Phase::kPrecheck, Phase::kPatch};
  req.workflow = WorkflowOptionsFrom(config);
  req.workflow.poll_interval = settings.poll_interval;
  req.workflow_name = "full";
  req.base_credentials = std::make_shared<aws::StaticCredentialsProvider>(emu.BaseCredentials());
  req.config = std::move(config);
  Options run_options = options;
  run_options.yes = true;  // no confirmation: every "production" instance here is simulated
  run_options.run_id.clear();
  run_options.resume = false;
  if (options.output != OutputFormat::kJson) {
    *ctx.err << "fleetpatch demo: emulator serving the demo fleet (" << emu.fleet().instances.size()
             << " instances, 3 landing zones) on " << endpoint << "\n";
  }
  FP_ASSIGN_OR_RETURN(int code, ExecuteRun(run_options, std::move(req), demo_ctx));
  auto log = emu.RequestLog();
  if (settings.after_run) settings.after_run(emu);
  server.Stop();
  return PrintDemoNotes(options, ctx, endpoint, state_path, log, code);
}

Result<int> RunDemoCommand(const Options& options, Context& ctx) {
  return RunDemo(options, DemoSettings{}, ctx);
}

}  // namespace fleetpatch::cli
