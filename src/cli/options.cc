#include "cli/options.h"

#include <CLI/CLI.hpp>
#include <sstream>

#include "common/exit_codes.h"
#include "common/report_format.h"
#include "common/strings.h"
#include "config/names.h"

#ifndef FP_VERSION
#define FP_VERSION "0.0.0-dev"
#endif

namespace fleetpatch::cli {

const char* CommandName(Command c) {
  switch (c) {
    case Command::kWorkflow:
      return "workflow";
    case Command::kRuns:
      return "runs";
    case Command::kShow:
      return "show";
    case Command::kReport:
      return "report";
    case Command::kValidate:
      return "validate";
    case Command::kWhoami:
      return "whoami";
    case Command::kEmulator:
      return "emulator";
    case Command::kDemo:
      return "demo";
    case Command::kPrune:
      return "prune";
    case Command::kCompliance:
      return "compliance";
    case Command::kGenDocs:
      return "gen-docs";
    case Command::kStateCopy:
      return "state copy";
    case Command::kWorker:
      return "worker";
    case Command::kRollback:
      return "rollback";
    case Command::kHelp:
      return "help";
    case Command::kVersion:
      return "version";
  }
  return "?";
}

const char* WorkflowName(Workflow w) {
  switch (w) {
    case Workflow::kFull:
      return "full";
    case Workflow::kScan:
      return "scan";
    case Workflow::kBackup:
      return "backup";
    case Workflow::kPrecheck:
      return "precheck";
    case Workflow::kPatch:
      return "patch";
    case Workflow::kPostcheck:
      return "postcheck";
  }
  return "?";
}

namespace {

// The raw strings CLI11 fills; checked and converted after parsing so that every bad value gets a
// message with the allowed values and a suggestion.
struct RawFlags {
  std::string workflow;
  std::vector<std::string> formats;
  std::string log_level = "info";
  std::string log_format = "text";
  std::string output = "text";
  bool version = false;
};

struct Parser {
  CLI::App app{
      "fleetpatch: patch Amazon EC2 fleets across AWS accounts and regions (landing zones): scan, back "
      "up (AMI), pre-check (SSM), patch (SSM AWS-RunPatchBaseline) and report, resumably.",
      "fleetpatch"};
  CLI::App* runs = nullptr;
  CLI::App* show = nullptr;
  CLI::App* report = nullptr;
  CLI::App* validate = nullptr;
  CLI::App* whoami = nullptr;
  CLI::App* emulator = nullptr;
  CLI::App* demo = nullptr;
  CLI::App* prune = nullptr;
  CLI::App* compliance = nullptr;
  CLI::App* gen_docs = nullptr;
  CLI::App* rollback = nullptr;
  CLI::App* state_copy = nullptr;
  CLI::App* worker = nullptr;
  RawFlags raw;

  explicit Parser(Options* o) {
    std::string footer = std::string(
                             "\nExamples:\n"
                             "  fleetpatch --landing-zones inventory/prod_landing_zones.yml --workflow full\n"
                             "  fleetpatch --landing-zones inventory/prod_landing_zones.yml --workflow scan\n"
                             "  fleetpatch --config config/prepatch_config.yml\n"
                             "  fleetpatch validate --config config/prepatch_config.yml\n"
                             "  fleetpatch runs; fleetpatch show RUN; fleetpatch report RUN\n\n") +
                         ExitCodeTable();
    app.footer(footer);
    app.fallthrough();  // global flags may follow a subcommand: `fleetpatch validate --config F`
    app.set_help_flag("-h,--help", "Print this help (also after any subcommand) and exit");
    app.add_flag("--version", raw.version, "Print the version and exit");

    app.add_option("-c,--config", o->config_path, "Workflow config file (YAML); see docs/configuration.md")
        ->type_name("FILE");
    app.add_option("-l,--landing-zones", o->landing_zones_path,
                   "Landing-zone inventory file (YAML); replaces the config's landing_zones")
        ->type_name("FILE");
    app.add_option("-w,--workflow", raw.workflow,
                   "What to run: full (the phases the config turns on) | scan | backup | precheck | patch | "
                   "postcheck. "
                   "Default: full")
        ->type_name("NAME");
    app.add_option("--profile", o->profile, "AWS profile for the base credentials (overrides aws.profile)")
        ->type_name("NAME");
    app.add_option("--region", o->region, "Base AWS region for STS and whoami (overrides aws.region)")
        ->type_name("REGION");
    app.add_flag("--dry-run", o->dry_run, "Scan for real, then only show what later phases would do");
    app.add_option("--run", o->run_id,
                   "Work on this run id (a single phase continues the latest run by default)")
        ->type_name("ID");
    app.add_flag("--resume", o->resume,
                 "Resume an interrupted run (the latest, or --run ID), redoing only unfinished work");
    app.add_option(
           "--state", o->state_path,
           "State database path, or a postgresql:// URL for a shared store (overrides state.path, state.url "
           "and FLEETPATCH_STATE_URL; Default: .fleetpatch/state.db)")
        ->type_name("PATH|URL");
    app.add_option("--output-dir", o->output_dir, "Report directory (overrides reporting.output_dir)")
        ->type_name("DIR");
    app.add_option("--format", raw.formats, "Report formats, comma-separated: csv,json,html,xml")
        ->type_name("LIST")
        ->delimiter(',');
    app.add_option("--log-level", raw.log_level, "trace | debug | info | warn | error. Default: info")
        ->type_name("LEVEL");
    app.add_option("--log-format", raw.log_format, "Log line format: text | json. Default: text")
        ->type_name("FORMAT");
    app.add_option("--output", raw.output, "Output of summaries and subcommands: text | json. Default: text")
        ->type_name("FORMAT");
    app.add_flag("-q,--quiet", o->quiet, "Only warnings, errors and the final summary");
    app.add_flag(
        "--allow-insecure-endpoint", o->allow_insecure_endpoint,
        "Accept http:// endpoint URLs on hosts other than loopback (credentials travel unencrypted)");
    app.add_flag("-y,--yes", o->yes,
                 "Do not ask for confirmation before patching (needed without a terminal)");
    app.add_option("--metrics-file", o->metrics_file,
                   "Write Prometheus metrics (text format, for node_exporter's textfile collector) to PATH "
                   "during and at the end of a run")
        ->type_name("PATH");

    runs = app.add_subcommand("runs", "List recorded runs, newest first");
    runs->add_option("--limit", o->runs_limit, "How many runs to list. Default: 20")
        ->type_name("N")
        ->check(CLI::Range(1, 100000));
    show = app.add_subcommand("show", "Show one run: its zones, phases and per-instance results");
    show->add_option("RUN", o->target_run, "Run id (or \"latest\")")->required();
    report = app.add_subcommand("report", "Regenerate the reports of a run from the state store");
    report->add_option("RUN", o->target_run, "Run id (or \"latest\")")->required();
    validate = app.add_subcommand(
        "validate",
        "Check a config and/or inventory without touching AWS: prints OK and the zones, or every problem");
    whoami = app.add_subcommand(
        "whoami",
        "Show the AWS identity in use (STS GetCallerIdentity with the default "
        "credential chain; --profile and --region apply), optionally after assuming a "
        "role. Exit 3 when credentials are missing or rejected, 4 when AWS is unreachable");
    whoami->add_option("--role-arn", o->whoami_role_arn, "Assume this role first")->type_name("ARN");
    whoami
        ->add_option("--external-id", o->whoami_external_id,
                     "ExternalId for --role-arn (visible to other users in the process list: prefer "
                     "--external-id-file or FLEETPATCH_EXTERNAL_ID)")
        ->type_name("ID");
    whoami
        ->add_option("--external-id-file", o->whoami_external_id_file,
                     "Read the ExternalId for --role-arn from this file (first line)")
        ->type_name("FILE");
    emulator = app.add_subcommand("emulator",
                                  "Run the AWS emulator (arguments go to the emulator, e.g. --demo, "
                                  "--fleet FILE, --port P)");
    emulator->fallthrough(false);
    emulator->prefix_command();
    // --help after `emulator` belongs to the emulator's own parser (emulator::RunMain), which
    // documents its flags; `fleetpatch --help emulator` still shows this summary.
    emulator->set_help_flag();
    demo =
        app.add_subcommand("demo",
                           "Run the full workflow against the built-in demo fleet on a local AWS emulator "
                           "(reports in ./fleetpatch-demo/reports, state in ./fleetpatch-demo/state.db; "
                           "--output-dir and --state override). Exits 0 when the demo ran as designed: its "
                           "fleet fails some instances on purpose");
    AddBetweenRuns(o);
    // Hidden (empty group): the packaging step runs it to generate the man pages and completions.
    gen_docs = app.add_subcommand("gen-docs", "Write the man pages and shell completions into DIR");
    gen_docs->group("");
    gen_docs->add_option("DIR", o->docs_dir, "Output directory")->required();
    AddState(o);
    AddWorker(o);
    app.require_subcommand(0, 1);
  }

  // The commands that work between runs, across every enabled landing zone.
  void AddBetweenRuns(Options* o) {
    prune = app.add_subcommand(
        "prune",
        "Plan (default) or, with --yes, delete fleetpatch's expired backup AMIs and exactly "
        "their snapshots, keeping backup.keep_last per instance, unfinished runs' and those a "
        "rollback may need; reports in every format");
    prune->add_option("--zone", o->zones, "Only this landing zone (repeatable)")->type_name("NAME");
    compliance =
        app.add_subcommand("compliance",
                           "Read-only patch compliance of every SSM-managed instance across the landing "
                           "zones: missing, failed, reboot debt, stale, never scanned; reports in every "
                           "format. Exit 1 when an instance fails a --fail-on check");
    compliance->add_option("--zone", o->zones, "Only this landing zone (repeatable)")->type_name("NAME");
    compliance
        ->add_option("--fail-on", o->fail_on,
                     "Exit 1 when any instance has one of: missing, failed, reboot, stale (comma-separated)")
        ->type_name("LIST");
    rollback = app.add_subcommand(
        "rollback",
        "Replace the root volume of a run's instances from their pre-patch AMI of that run (verified: owner, "
        "source "
        "instance, run, snapshots), then check them again. Default: the instances whose patch failed or "
        "whose "
        "postcheck is degraded or unreachable. Data volumes are not reverted (docs/safety.md)");
    rollback->add_option("RUN", o->target_run, "Run id (or \"latest\")")->required();
    rollback->add_option("--instance", o->instance_ids, "Only this instance, needed or not (repeatable)")
        ->type_name("ID");
    rollback->add_option("--zone", o->zones, "Only this landing zone (repeatable)")->type_name("NAME");
  }

  // `fleetpatch worker`: one of several processes working the zones of one run (docs/team.md).
  void AddWorker(Options* o) {
    worker = app.add_subcommand(
        "worker",
        "Join run --run ID (scanned already) as one of several workers sharing a state store (PostgreSQL, or "
        "SQLite on one machine): claim its landing zones one at a time under a lease, back up, precheck and "
        "patch "
        "them under the run-wide canary, waves and error budget, take over zones of workers whose lease "
        "expired. "
        "The worker that finishes the last zone writes the run's reports");
    worker
        ->add_option("--zone", o->zones,
                     "Only claim this landing zone (repeatable; e.g. the ones this host can "
                     "reach). Default: every enabled zone of the config")
        ->type_name("NAME");
    worker
        ->add_option("--worker-id", o->worker_id,
                     "This worker's name in leases and the journal. Default: HOST:PID")
        ->type_name("ID");
    worker
        ->add_option("--lease-ttl", o->lease_ttl_s,
                     "Seconds a zone lease lasts without a heartbeat (renewed every third of it); another "
                     "worker takes the zone over after that. Default: 60")
        ->type_name("SECONDS")
        ->check(CLI::Range(2, 3600));
  }

  // `fleetpatch state ...`: the state stores themselves.
  void AddState(Options* o) {
    CLI::App* state = app.add_subcommand("state", "Manage state stores (see docs/team.md)");
    state->require_subcommand(1, 1);
    state_copy = state->add_subcommand(
        "copy",
        "Copy every run (zones, instances, results, journal) from one store to another, e.g. an SQLite file "
        "into "
        "a shared PostgreSQL store. Runs already in the target are checked, not copied again");
    state_copy->add_option("--from", o->copy_from, "Source: sqlite:PATH, PATH or postgresql://...")
        ->type_name("STORE")
        ->required();
    state_copy->add_option("--to", o->copy_to, "Target: postgresql://..., sqlite:PATH or PATH")
        ->type_name("STORE")
        ->required();
  }
};

std::string UsageHint() { return "\nRun 'fleetpatch --help' for usage."; }

// Case-insensitive choice with a "did you mean".
Status Choose(const std::string& flag, const std::string& value, const std::vector<std::string>& allowed,
              std::string* out) {
  std::string lower = Lower(value);
  for (const auto& a : allowed) {
    if (a == lower) {
      *out = a;
      return OkStatus();
    }
  }
  std::string msg = flag + ": unknown value \"" + value + "\"";
  if (std::string s = config::DidYouMean(value, allowed); !s.empty()) msg += " (did you mean \"" + s + "\"?)";
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  return Error::Config(msg + "; allowed: " + list + UsageHint());
}

// The subcommand the command line named (the workflow when none).
void SetCommand(const Parser& p, Options& o) {
  if (p.runs->parsed()) o.command = Command::kRuns;
  if (p.show->parsed()) o.command = Command::kShow;
  if (p.report->parsed()) o.command = Command::kReport;
  if (p.validate->parsed()) o.command = Command::kValidate;
  if (p.whoami->parsed()) o.command = Command::kWhoami;
  if (p.demo->parsed()) o.command = Command::kDemo;
  if (p.prune->parsed()) o.command = Command::kPrune;
  if (p.compliance->parsed()) o.command = Command::kCompliance;
  if (p.gen_docs->parsed()) o.command = Command::kGenDocs;
  if (p.state_copy->parsed()) o.command = Command::kStateCopy;
  if (p.worker->parsed()) o.command = Command::kWorker;
  if (p.rollback->parsed()) o.command = Command::kRollback;
  if (p.emulator->parsed()) {
    o.command = Command::kEmulator;
    o.emulator_args = p.emulator->remaining();
  }
}

// --workflow, --format, --log-level, --log-format and --output, each checked against its choices.
Status ReadChoices(const Parser& p, Options& o) {
  std::string v;
  if (!p.raw.workflow.empty()) {
    FP_RETURN_IF_ERROR(Choose("--workflow", p.raw.workflow,
                              {"full", "scan", "backup", "precheck", "patch", "postcheck"}, &v));
    for (Workflow w : {Workflow::kFull, Workflow::kScan, Workflow::kBackup, Workflow::kPrecheck,
                       Workflow::kPatch, Workflow::kPostcheck}) {
      if (v == WorkflowName(w)) o.workflow = w;
    }
  }
  for (const auto& f : p.raw.formats) {
    std::string item = f;
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item.empty()) continue;
    FP_RETURN_IF_ERROR(Choose("--format", item, ChoosableReportFormatNames(), &v));
    ReportFormat fmt;
    ParseChoosableReportFormat(v, &fmt);
    if (std::find(o.formats.begin(), o.formats.end(), fmt) == o.formats.end()) o.formats.push_back(fmt);
  }
  if (!p.raw.formats.empty() && o.formats.empty()) {
    return Error::Config("--format: give at least one of " + Join(ChoosableReportFormatNames(), ", ") +
                         UsageHint());
  }
  FP_RETURN_IF_ERROR(
      Choose("--log-level", p.raw.log_level, {"trace", "debug", "info", "warn", "error"}, &o.log_level));
  FP_RETURN_IF_ERROR(Choose("--log-format", p.raw.log_format, {"text", "json"}, &v));
  o.log_format = v == "json" ? LogFormat::kJson : LogFormat::kText;
  FP_RETURN_IF_ERROR(Choose("--output", p.raw.output, {"text", "json"}, &v));
  o.output = v == "json" ? OutputFormat::kJson : OutputFormat::kText;

  return OkStatus();
}

// What each command needs besides its options: the zones to work on, the run to join.
Status CheckWhatToDo(const Options& o) {
  if (o.command == Command::kWorkflow && o.config_path.empty() && o.landing_zones_path.empty()) {
    return Error::Config(
        "nothing to do: give --config FILE and/or --landing-zones FILE to run a workflow, or a subcommand "
        "(runs, show, report, validate, whoami, emulator, demo, prune, compliance)" +
        UsageHint());
  }
  bool between_runs =
      o.command == Command::kPrune || o.command == Command::kCompliance || o.command == Command::kWorker;
  if (between_runs && o.config_path.empty() && o.landing_zones_path.empty()) {
    return Error::Config(std::string(CommandName(o.command)) +
                         ": give --config FILE and/or --landing-zones FILE (the zones to work on)" +
                         UsageHint());
  }
  if (o.command == Command::kWorker && o.run_id.empty()) {
    return Error::Config("worker: give --run ID, the run to join (start it with `--workflow scan`)" +
                         UsageHint());
  }
  if (o.command == Command::kValidate && o.config_path.empty() && o.landing_zones_path.empty()) {
    return Error::Config("validate: give --config FILE and/or --landing-zones FILE to check" + UsageHint());
  }
  return OkStatus();
}

}  // namespace

std::string HelpText() {
  Options o;
  Parser p(&o);
  return p.app.help();
}

void VisitCommandLine(const std::function<void(const CLI::App&)>& fn) {
  Options o;
  Parser p(&o);
  fn(p.app);
}

Result<Options> ParseCommandLine(int argc, const char* const* argv) {
  Options o;
  Parser p(&o);
  try {
    p.app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    o.command = Command::kHelp;
    o.text = p.app.help();
    return o;
  } catch (const CLI::ParseError& e) {
    return Error::Config(std::string("invalid command line: ") + e.what() + UsageHint());
  }
  if (p.raw.version) {
    o.command = Command::kVersion;
    o.text = std::string("fleetpatch ") + FP_VERSION + "\n";
    return o;
  }

  SetCommand(p, o);
  FP_RETURN_IF_ERROR(ReadChoices(p, o));
  FP_RETURN_IF_ERROR(CheckWhatToDo(o));
  return o;
}

Result<Options> ParseCommandLine(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  return ParseCommandLine(static_cast<int>(args.size()), argv.data());
}

std::vector<config::Problem> CheckEffectiveConfig(const Options& o, const config::EnvLookup& env,
                                                  config::Config* out) {
  using config::Problem;
  std::vector<Problem> problems;
  config::Config c;
  if (!o.config_path.empty()) {
    // An inventory given on the command line replaces the config's, which is then not read.
    problems =
        config::CheckConfigFile(o.config_path, env, &c, /*load_landing_zones=*/o.landing_zones_path.empty());
  }
  if (!o.landing_zones_path.empty()) {
    std::vector<config::LandingZone> zones;
    auto zp = config::CheckLandingZonesFile(o.landing_zones_path, c.landing_zone_defaults, env, &zones);
    problems.insert(problems.end(), zp.begin(), zp.end());
    c.landing_zones = std::move(zones);
    c.landing_zones_file = o.landing_zones_path;
  }
  auto flag_problem = [&](const std::string& flag, const std::string& msg) {
    problems.push_back(Problem{"command line", 0, 0, flag, msg});
  };
  if (!o.profile.empty()) c.aws.profile = o.profile;
  if (!o.region.empty()) {
    if (std::string why = config::CheckRegion(o.region); !why.empty()) {
      flag_problem("--region", "found \"" + o.region + "\"; " + why);
    }
    c.aws.region = o.region;
  }
  if (o.dry_run) c.dry_run = true;
  if (!o.state_path.empty()) c.state.path = o.state_path;
  if (!o.output_dir.empty()) c.reporting.output_dir = o.output_dir;
  if (!o.formats.empty()) c.reporting.formats = o.formats;
  if (problems.empty() && out) *out = std::move(c);
  return problems;
}

Result<config::Config> EffectiveConfig(const Options& options, const config::EnvLookup& env) {
  config::Config c;
  auto problems = CheckEffectiveConfig(options, env, &c);
  if (!problems.empty()) return config::ProblemsToError(problems);
  return c;
}

std::vector<Phase> PhasesToRun(const Options& options, const config::Config& config) {
  switch (options.workflow) {
    case Workflow::kScan:
      return {Phase::kScan};
    case Workflow::kBackup:
      return {Phase::kBackup};
    case Workflow::kPrecheck:
      return {Phase::kPrecheck};
    case Workflow::kPatch:
      return {Phase::kPatch};
    case Workflow::kPostcheck:
      return {};  // not a Phase: RunRequest::postcheck (run_engine.h)
    case Workflow::kFull:
      break;
  }
  std::vector<Phase> phases;
  const auto& p = config.workflow.phases;
  if (p.scan) phases.push_back(Phase::kScan);
  if (p.backup) phases.push_back(Phase::kBackup);
  if (p.precheck) phases.push_back(Phase::kPrecheck);
  if (p.patch) phases.push_back(Phase::kPatch);
  return phases;
}

}  // namespace fleetpatch::cli
