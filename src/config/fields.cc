#include "config/fields.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <regex>

#include "common/run_events.h"
#include "common/strings.h"
#include "common/time_zone.h"
#include "config/names.h"
#include "config/safety_config.h"
#include "config/yaml_reader.h"

namespace fleetpatch::config {

std::string FieldSpec::Key() const {
  size_t dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

std::string FieldSpec::Parent() const {
  size_t dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

std::vector<const FieldSpec*> ChildrenOf(const std::vector<FieldSpec>& table, const std::string& path) {
  std::vector<const FieldSpec*> out;
  for (const FieldSpec& f : table) {
    if (f.Parent() == path) out.push_back(&f);
  }
  return out;
}

std::vector<std::string> ChildKeys(const std::vector<FieldSpec>& table, const std::string& path) {
  std::vector<std::string> out;
  for (const FieldSpec* f : ChildrenOf(table, path)) out.push_back(f->Key());
  return out;
}

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
using Check = std::function<std::string(const std::string&)>;  // the problem with a value, "" if none

// The row builders. `ref` is a generic lambda returning a reference to the field in a Config, so
// the same accessor reads (const Config&) and writes (Config&).

FieldSpec Section(std::string path, std::string doc = "") {
  FieldSpec f;
  f.path = std::move(path);
  f.doc = std::move(doc);
  return f;
}

template <class Ref>
FieldSpec Bool(std::string path, Ref ref, std::string doc) {
  FieldSpec f{std::move(path), FieldType::kBool, std::move(doc)};
  f.read = [ref](Reader& r, const Field& x, Config* c) { r.Bool(x, &ref(*c)); };
  f.value = [ref](const Config& c) { return json(ref(c)); };
  return f;
}

template <class Ref>
FieldSpec Int(std::string path, Ref ref, int min, int max, std::string doc) {
  FieldSpec f{std::move(path), FieldType::kInt, std::move(doc), double(min), double(max)};
  f.read = [ref, min, max](Reader& r, const Field& x, Config* c) { r.Int32(x, min, max, &ref(*c)); };
  f.value = [ref](const Config& c) { return json(ref(c)); };
  return f;
}

template <class Ref>
FieldSpec Number(std::string path, Ref ref, double min, double max, std::string unit, std::string doc) {
  FieldSpec f{std::move(path), FieldType::kNumber, std::move(doc), min, max, std::move(unit)};
  f.read = [ref, min, max, unit = f.unit](Reader& r, const Field& x, Config* c) {
    r.Number(x, min, max, &ref(*c), unit.c_str());
  };
  f.value = [ref](const Config& c) { return json(ref(c)); };
  return f;
}

template <class Ref>
FieldSpec Duration(std::string path, Ref ref, int64_t min_s, int64_t max_s, std::string doc) {
  FieldSpec f{std::move(path), FieldType::kDuration, std::move(doc), double(min_s), double(max_s)};
  f.read = [ref, min_s, max_s](Reader& r, const Field& x, Config* c) {
    r.Duration(x, min_s, max_s, &ref(*c));
  };
  f.value = [ref](const Config& c) { return json(ref(c).count()); };
  return f;
}

template <class Ref>
FieldSpec CountOrPct(std::string path, Ref ref, int64_t max_count, std::string doc) {
  FieldSpec f{std::move(path), FieldType::kCountOrPercent, std::move(doc), 0, double(max_count)};
  f.read = [ref, max_count](Reader& r, const Field& x, Config* c) { r.CountOrPct(x, max_count, &ref(*c)); };
  f.value = [ref](const Config& c) { return json(ref(c).ToString()); };
  return f;
}

// An enum whose values are 0, 1, ... in the order of `names`.
template <class Ref>
FieldSpec Enum(std::string path, Ref ref, std::vector<std::string> names, std::string doc) {
  FieldSpec f{std::move(path), FieldType::kEnum, std::move(doc)};
  f.names = names;
  f.read = [ref, names](Reader& r, const Field& x, Config* c) {
    std::string v;
    if (!r.Enum(x, names, &v)) return;
    auto i = std::find(names.begin(), names.end(), v) - names.begin();
    ref(*c) = static_cast<std::remove_reference_t<decltype(ref(*c))>>(i);
  };
  f.value = [ref, names](const Config& c) { return json(names.at(static_cast<size_t>(ref(c)))); };
  return f;
}

// A string-valued row: its pattern (for the schema) and the docs' "allowed" text.
FieldSpec Textual(std::string path, FieldType type, std::string pattern, std::string allowed,
                  std::string doc) {
  FieldSpec f{std::move(path), type, std::move(doc)};
  f.pattern = std::move(pattern);
  f.allowed = std::move(allowed);
  return f;
}

template <class Ref>
FieldSpec String(std::string path, Ref ref, std::string pattern, std::string allowed, Check check,
                 std::string doc) {
  FieldSpec f =
      Textual(std::move(path), FieldType::kString, std::move(pattern), std::move(allowed), std::move(doc));
  f.read = [ref, check](Reader& r, const Field& x, Config* c) {
    std::string v;
    if (!r.String(x, &v)) return;
    if (std::string why = check ? check(v) : ""; !why.empty()) return r.Add(x, why);
    ref(*c) = v;
  };
  f.value = [ref](const Config& c) { return json(ref(c)); };
  return f;
}

// A list of strings; each item that `check` rejects is reported at its position, and the list is
// kept only when every item is fine.
template <class Ref>
FieldSpec StringList(std::string path, Ref ref, std::string pattern, std::string allowed, Check check,
                     std::string doc) {
  FieldSpec f = Textual(std::move(path), FieldType::kStringList, std::move(pattern), std::move(allowed),
                        std::move(doc));
  f.read = [ref, check](Reader& r, const Field& x, Config* c) {
    std::vector<std::string> v;
    if (!r.StringList(x, &v, false)) return;
    bool ok = true;
    for (size_t i = 0; i < v.size(); ++i) {
      if (std::string why = check(v[i]); !why.empty()) {
        r.Add(MarkOf(x.value[i], x.value), x.path + "[" + std::to_string(i) + "]", why);
        ok = false;
      }
    }
    if (ok) ref(*c) = std::move(v);
  };
  f.value = [ref](const Config& c) { return json(ref(c)); };
  return f;
}

FieldSpec Custom(std::string path, std::string allowed,
                 std::function<void(Reader&, const Field&, Config*)> read,
                 std::function<json(const Config&)> value, std::function<ojson()> schema, std::string doc) {
  FieldSpec f{std::move(path), FieldType::kCustom, std::move(doc)};
  f.allowed = std::move(allowed);
  f.read = std::move(read);
  f.value = std::move(value);
  f.schema = std::move(schema);
  return f;
}

// A Check from a names.h-style function ("" or why): "found "v"; why".
Check Found(std::string (*why)(const std::string&), bool allow_empty = false) {
  return [why, allow_empty](const std::string& v) -> std::string {
    if (allow_empty && v.empty()) return "";
    std::string w = why(v);
    return w.empty() ? "" : "found \"" + v + "\"; " + w;
  };
}

// A Check by regex: "found "v"; <what>".
Check Matching(std::string regex, std::string what) {
  auto re = std::make_shared<std::regex>(regex);
  return [re, what](const std::string& v) -> std::string {
    return std::regex_match(v, *re) ? "" : "found \"" + v + "\"; " + what;
  };
}

Check NonEmpty(std::string message) {
  return [message](const std::string& v) { return v.empty() ? message : std::string(); };
}

// ---------------------------------------------------------------------------------------------
// Fields with their own rules

std::string CheckNameTemplate(const std::string& t) {
  static const std::regex kPlaceholder(R"(\{([^{}]*)\})");
  const std::vector<std::string> known = {"run_id", "instance_id", "date", "zone"};
  for (auto it = std::sregex_iterator(t.begin(), t.end(), kPlaceholder); it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[1].str();
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string msg = "unknown placeholder {" + name + "}";
    if (std::string s = DidYouMean(name, known); !s.empty()) msg += " (did you mean {" + s + "}?)";
    return msg + "; allowed: {run_id}, {instance_id}, {date}, {zone}";
  }
  if (t.find("{run_id}") == std::string::npos || t.find("{instance_id}") == std::string::npos) {
    return "found \"" + t +
           "\"; the name must contain {run_id} and {instance_id} so that it is unique per run and instance "
           "(a "
           "resumed run finds its AMI by this name)";
  }
  static const std::regex kAmiName(R"(^[A-Za-z0-9 ()\[\]./'@_-]{3,128}$)");
  std::string sample = RenderAmiName(t, "20261125-194200-a1b2c3", "i-0123456789abcdef0", "20261125", "zone");
  if (std::regex_match(sample, kAmiName)) return "";
  return "found \"" + t +
         "\"; an AMI name is 3-128 characters of letters, digits, spaces and ()[]./'@_- (with placeholders "
         "filled in, e.g. \"" +
         sample + "\")";
}

void ReadBackupTags(Reader& r, const Field& x, Config* c) {
  auto tm = r.Map(x, {}, "a mapping of tag key to value");
  if (!tm) return;
  std::map<std::string, std::string> tags;
  for (const auto& [k, v] : *tm) {
    if (k.empty() || k.size() > 128 || k.rfind("aws:", 0) == 0) {
      r.Add(v, "a tag key is 1-128 characters and must not start with \"aws:\"");
      continue;
    }
    std::string s;
    if (!r.String(v, &s)) continue;
    if (s.size() > 256) {
      r.Add(v, "a tag value is at most 256 characters");
      continue;
    }
    tags[k] = s;
  }
  c->backup.tags = tags;
}

void ReadFormats(Reader& r, const Field& x, Config* c) {
  std::vector<std::string> items;
  if (x.value.IsScalar()) {  // "csv,json"
    std::string s;
    if (!r.String(x, &s)) return;
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, ',');) {
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      items.push_back(item);
    }
  } else if (!r.StringList(x, &items, false)) {
    return;
  }
  std::vector<ReportFormat> formats;
  for (const auto& item : items) {
    ReportFormat fmt;
    if (!ParseChoosableReportFormat(Lower(item), &fmt)) {
      std::string msg = "unknown report format \"" + item + "\"";
      if (std::string s = DidYouMean(item, ChoosableReportFormatNames()); !s.empty())
        msg += " (did you mean \"" + s + "\"?)";
      return r.Add(x, msg + "; allowed: " + Join(ChoosableReportFormatNames(), ", "));
    }
    if (std::find(formats.begin(), formats.end(), fmt) == formats.end()) formats.push_back(fmt);
  }
  c->reporting.formats = formats;
}

json FormatsJson(const Config& c) {
  json out = json::array();
  for (auto f : c.reporting.formats) out.push_back(ReportFormatName(f));
  return out;
}

ojson FormatsSchema() {
  return {
      {"oneOf",
       {{{"type", "array"}, {"items", {{"enum", ChoosableReportFormatNames()}}}},
        {{"type", "string"}, {"pattern", R"(^\s*(csv|json|html|xml)(\s*,\s*(csv|json|html|xml))*\s*$)"}}}}};
}

ojson BackupTagsSchema() {
  return {{"type", "object"},
          {"propertyNames", {{"maxLength", 128}, {"not", {{"pattern", "^aws:"}}}}},
          {"additionalProperties", {{"type", {"string", "number", "boolean"}}}}};
}

void PhasesNotAllOff(Reader& r, const Field& x, Config* c) {
  const auto& p = c->workflow.phases;
  if (!p.scan && !p.backup && !p.precheck && !p.patch)
    r.Add(x, "every phase is turned off, so a run would do nothing; turn at least one on");
}

// The rate limit of one API family: a section with per_second and burst.
void AddRateLimit(std::vector<FieldSpec>& t, const std::string& family, RateLimit RateLimits::*member,
                  std::string doc) {
  t.push_back(Section("aws.rate_limits." + family, std::move(doc)));
  t.push_back(Number(
      "aws.rate_limits." + family + ".per_second",
      [member](auto& c) -> auto& { return (c.aws.rate_limits.*member).per_second; }, 0.01, 10000, "",
      "sustained requests per second"));
  t.push_back(Number(
      "aws.rate_limits." + family + ".burst",
      [member](auto& c) -> auto& { return (c.aws.rate_limits.*member).burst; }, 1, 10000, "",
      "bucket size: requests that may go at once after a quiet spell"));
}

// ---------------------------------------------------------------------------------------------
// The tables

// workflow.window: a section whose presence turns the window on; its scalar forms are parsed once
// here into minutes and weekday numbers (safety_config.h).
void WindowOn(Reader&, const Field&, Config* c) { c->workflow.window.enabled = true; }

std::string HhMm(int minutes) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
  return buf;
}

const std::vector<std::string> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

void ReadWindowDays(Reader& r, const Field& x, Config* c) {
  std::vector<std::string> items;
  if (!r.StringList(x, &items, false)) return;
  std::vector<int> days;
  for (const std::string& d : items) {
    auto day = ParseWeekday(d);
    if (!day.ok()) return r.Add(x, day.error().message);
    days.push_back(*day);
  }
  c->workflow.window.days = days;
}

FieldSpec ClockRow(std::string path, int WindowConfig::*member, std::string doc) {
  return Custom(
      std::move(path), "`HH:MM`, 00:00-24:00",
      [member](Reader& r, const Field& x, Config* c) {
        std::string v;
        if (!r.String(x, &v)) return;
        auto m = ParseClockTime(v);
        if (!m.ok()) return r.Add(x, m.error().message);
        c->workflow.window.*member = *m;
      },
      [member](const Config& c) { return json(HhMm(c.workflow.window.*member)); },
      [] {
        return ojson{{"type", "string"}, {"pattern", "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"}};
      },
      std::move(doc));
}

void AddWindow(std::vector<FieldSpec>& t) {
  t.push_back(
      Section("workflow.window",
              "when new waves may start; outside it in-flight work finishes and the run stops resumable, "
              "saying when the window next opens. Not set: any time"));
  t.back().after = WindowOn;
  t.push_back(Custom(
      "workflow.window.days", "list of `mon` ... `sun`", ReadWindowDays,
      [](const Config& c) {
        json out = json::array();
        for (int d : c.workflow.window.days) out.push_back(kDayNames.at(static_cast<size_t>(d) % 7));
        return out;
      },
      [] {
        return ojson{{"type", "array"},
                     {"items", {{"type", "string"}, {"pattern", "(?i)^(sun|mon|tue|wed|thu|fri|sat)"}}}};
      },
      "local days on which a window opens (it may run past midnight into the next); empty = every day"));
  t.push_back(ClockRow("workflow.window.start", &WindowConfig::start_minute, "local time the window opens"));
  t.push_back(ClockRow("workflow.window.end", &WindowConfig::end_minute,
                       "local time it closes; at or before `start`: the next day (equal: 24 h)"));
  t.push_back(String(
      "workflow.window.time_zone", [](auto& c) -> auto& { return c.workflow.window.time_zone; }, "",
      "IANA name (the system tz database)",
      [](const std::string& v) -> std::string {
        auto tz = TimeZone::Load(v);
        return tz.ok() ? "" : tz.error().message;
      },
      "the time zone of days, start, end and blackout dates"));
  t.push_back(StringList(
      "workflow.window.blackout_dates", [](auto& c) -> auto& { return c.workflow.window.blackout_dates; },
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "`YYYY-MM-DD`",
      [](const std::string& v) -> std::string {
        Status s = ValidateDate(v);
        return s.ok() ? "" : s.error().message;
      },
      "local dates on which no window opens (a window running into one closes at its midnight)"));
}

void AddWorkflow(std::vector<FieldSpec>& t) {
  t.push_back(Section("workflow"));
  t.push_back(Section("workflow.phases"));
  const char* phase_doc =
      "the phases `--workflow full` and a plain `--config` run perform. `backup: false` is how backups are "
      "turned off: patch then needs no AMI. At least one must be on";
  t.back().after = PhasesNotAllOff;
  t.push_back(Bool(
      "workflow.phases.scan", [](auto& c) -> auto& { return c.workflow.phases.scan; }, phase_doc));
  t.push_back(Bool(
      "workflow.phases.backup", [](auto& c) -> auto& { return c.workflow.phases.backup; }, phase_doc));
  t.push_back(Bool(
      "workflow.phases.precheck", [](auto& c) -> auto& { return c.workflow.phases.precheck; }, phase_doc));
  t.push_back(Bool(
      "workflow.phases.patch", [](auto& c) -> auto& { return c.workflow.phases.patch; }, phase_doc));
  t.push_back(Bool(
      "workflow.phases.postcheck", [](auto& c) -> auto& { return c.workflow.phases.postcheck; },
      "after patch: rerun the precheck script and the EC2 status checks and compare with the "
      "instance's precheck (healthy, degraded or unreachable; docs/safety.md)"));
  t.push_back(Section("workflow.timeouts"));
  t.push_back(Duration(
      "workflow.timeouts.ami_creation", [](auto& c) -> auto& { return c.workflow.timeouts.ami_creation; }, 60,
      86400,
      "per AMI, from CreateImage to available; a timed-out AMI is cleaned up unless "
      "`backup.keep_failed`"));
  t.push_back(Duration(
      "workflow.timeouts.patch_execution",
      [](auto& c) -> auto& { return c.workflow.timeouts.patch_execution; }, 60, 172800,
      "per patch command invocation; then CancelCommand and \"timed out\""));
  t.push_back(Duration(
      "workflow.timeouts.ssm_connection", [](auto& c) -> auto& { return c.workflow.timeouts.ssm_connection; },
      10, 3600, "how long an instance's SSM agent may take to be Online before it is \"unreachable\""));
  t.push_back(Duration(
      "workflow.timeouts.precheck_command",
      [](auto& c) -> auto& { return c.workflow.timeouts.precheck_command; }, 30, 3600,
      "for the precheck script to finish"));
  t.push_back(Duration(
      "workflow.timeouts.reboot", [](auto& c) -> auto& { return c.workflow.timeouts.reboot; }, 60, 86400,
      "after a patch with `RebootIfNeeded`: for the agent to be Online and the EC2 status checks "
      "ok again; else the instance fails with the reason"));
  t.push_back(Duration(
      "workflow.timeouts.standby", [](auto& c) -> auto& { return c.workflow.timeouts.standby; }, 10, 7200,
      "after EnterStandby (`patch.auto_scaling: standby`): for Auto Scaling to show the instance "
      "`Standby` (it is `EnteringStandby` while its load balancers drain it); its patch is sent only "
      "then, else it is not patched (skipped with the reason)"));
  t.push_back(Duration(
      "workflow.poll_interval", [](auto& c) -> auto& { return c.workflow.poll_interval; }, 1, 300,
      "between two status polls of the same work: DescribeImages for pending AMIs, ListCommandInvocations "
      "for "
      "commands, DescribeInstanceInformation for agents not yet Online. Longer means fewer calls, shorter "
      "notices finished work sooner"));
  t.push_back(Section("workflow.first_poll"));
  const char* first_doc =
      "the first status check of new work of this kind, at the first moment any of it can have finished "
      "(never later than `poll_interval`); then re-checks of what is still unfinished after waits doubling "
      "from this (2x, 4x, ...) up to `poll_interval`. Shorter: finished work is seen sooner, for about "
      "log2(`poll_interval` / this) more calls per batch that outlasts it";
  t.push_back(Duration(
      "workflow.first_poll.ami", [](auto& c) -> auto& { return c.workflow.first_poll.ami; }, 1, 300,
      first_doc));
  t.push_back(Duration(
      "workflow.first_poll.precheck", [](auto& c) -> auto& { return c.workflow.first_poll.precheck; }, 1, 300,
      first_doc));
  t.push_back(Duration(
      "workflow.first_poll.patch", [](auto& c) -> auto& { return c.workflow.first_poll.patch; }, 1, 300,
      first_doc));
  t.push_back(Duration(
      "workflow.first_poll.reboot", [](auto& c) -> auto& { return c.workflow.first_poll.reboot; }, 1, 300,
      "after a patch with `RebootIfNeeded` ended: the first check whether its instances are back (agent "
      "Online, status checks ok), at the first moment a rebooted one can be (never later than "
      "`poll_interval`); instances that did not reboot wait for it too. Then as the other kinds"));
  AddWindow(t);
}

void AddZonesAndConcurrency(std::vector<FieldSpec>& t) {
  t.push_back(Custom(
      "landing_zone_defaults", "as an inventory's `defaults:`", ReadZoneDefaultsField, nullptr, nullptr,
      "the base under an inventory's own `defaults:` and for inline zones (see the zone fields)"));
  t.push_back(Custom(
      "landing_zones", "path or list", ReadLandingZonesField, nullptr, nullptr,
      "a path to an inventory (relative to the config file) or an inline list of zones (fields as above)"));
  t.back().default_text = "none";
  t.push_back(Section("concurrency"));
  t.push_back(Int(
      "concurrency.zone_workers", [](auto& c) -> auto& { return c.concurrency.zone_workers; }, 1, 64,
      "landing zones worked on in parallel"));
  t.push_back(Int(
      "concurrency.max_requests_per_zone",
      [](auto& c) -> auto& { return c.concurrency.max_requests_per_zone; }, 1, 100,
      "AWS requests in flight per zone. Accepted and validated, but not applied by this version: "
      "requests are paced by `aws.rate_limits`"));
  t.push_back(Int(
      "concurrency.max_pending_images_per_zone",
      [](auto& c) -> auto& { return c.concurrency.max_pending_images_per_zone; }, 1, 1000,
      "AMIs being created at once per zone"));
  t.push_back(Int(
      "concurrency.max_commands_per_zone",
      [](auto& c) -> auto& { return c.concurrency.max_commands_per_zone; }, 1, 10000,
      "SSM command invocations in flight per zone"));
  t.push_back(CountOrPct(
      "error_budget", [](auto& c) -> auto& { return c.error_budget; }, 1000000,
      "the patch failures tolerated: once more than this many patched instances have failed, no new patch "
      "wave "
      "starts; the rest are skipped with the reason (`0` = stop after the first failure). A percentage is of "
      "the "
      "instances the patch phase starts with, rounded down. Independently, any failure in the canary wave "
      "stops "
      "the rollout"));
}

void AddPrecheck(std::vector<FieldSpec>& t) {
  t.push_back(Section("precheck"));
  t.push_back(Number(
      "precheck.min_free_disk_percent", [](auto& c) -> auto& { return c.precheck.min_free_disk_percent; }, 0,
      100, "%", "free space required on every checked mount, %"));
  t.push_back(Number(
      "precheck.min_free_disk_gib", [](auto& c) -> auto& { return c.precheck.min_free_disk_gib; }, 0, 65536,
      " GiB", "free GiB required on every checked mount (both disk thresholds must hold)"));
  t.push_back(StringList(
      "precheck.mounts", [](auto& c) -> auto& { return c.precheck.mounts; },
      R"(^(/[^\s'"`$\\]*|[A-Za-z]:\\?)$)", "absolute paths or drives (`C:`)",
      Matching(R"(^(/[^\s'"`$\\]*|[A-Za-z]:\\?)$)",
               "a mount is an absolute path such as / or /var, or a drive such as C:"),
      "mounts to check; empty = every local mount the script reports"));
  t.push_back(Number(
      "precheck.max_load_per_cpu", [](auto& c) -> auto& { return c.precheck.max_load_per_cpu; }, 0.01, 1000,
      "", "highest 1-minute load average divided by CPUs"));
  t.push_back(Number(
      "precheck.min_free_memory_percent", [](auto& c) -> auto& { return c.precheck.min_free_memory_percent; },
      0, 100, "%", "memory available, % of total"));
  t.push_back(Number(
      "precheck.min_free_memory_mib", [](auto& c) -> auto& { return c.precheck.min_free_memory_mib; }, 0,
      1048576, " MiB", "memory available, MiB"));
  // Service names end up inside the precheck script: one rule (names.h) for the loader and the precheck.
  const std::string service = "^[A-Za-z0-9@._][A-Za-z0-9@._-]{0,127}$";
  Check service_check = Found(CheckServiceName);
  t.push_back(Section("precheck.critical_services"));
  t.push_back(StringList(
      "precheck.critical_services.linux",
      [](auto& c) -> auto& { return c.precheck.critical_services.linux_services; }, service,
      "names of `A-Za-z0-9@._-`, not starting with `-`", service_check,
      "services that must be active on Linux (characters are limited because they are "
      "embedded in the precheck script)"));
  t.push_back(StringList(
      "precheck.critical_services.windows",
      [](auto& c) -> auto& { return c.precheck.critical_services.windows_services; }, service, "same",
      service_check, "services that must be running on Windows"));
  t.push_back(Bool(
      "precheck.fail_on_pending_reboot", [](auto& c) -> auto& { return c.precheck.fail_on_pending_reboot; },
      "a reboot already pending makes the instance not ready (otherwise it is listed as a risk)"));
  t.push_back(Bool(
      "precheck.fail_on_package_lock", [](auto& c) -> auto& { return c.precheck.fail_on_package_lock; },
      "a package manager locked by another process makes the instance not ready"));
  t.push_back(String(
      "precheck.min_ssm_agent_version", [](auto& c) -> auto& { return c.precheck.min_ssm_agent_version; },
      R"(^[0-9]+(\.[0-9]+){0,3}$)", "dotted version",
      Matching(R"(^[0-9]+(\.[0-9]+){0,3}$)", "a version is dotted numbers such as \"3.2.582.0\""),
      "older agents are listed as a risk"));
}

// The safety loop's patch keys (docs/safety.md).
void AddPatchSafety(std::vector<FieldSpec>& t) {
  t.push_back(Bool(
      "patch.fail_on_pending_reboot", [](auto& c) -> auto& { return c.patch.fail_on_pending_reboot; },
      "with `NoReboot`: instances left installed-pending-reboot make the run exit 1 (otherwise they "
      "are an outcome of their own, not an error)"));
  t.push_back(Enum(
      "patch.rollback", [](auto& c) -> auto& { return c.patch.rollback; }, {"auto", "manual", "off"},
      "`auto`: replace the root volume from this run's verified AMI when the patch failed or the "
      "postcheck is degraded or unreachable; `manual`: only `fleetpatch rollback`"));
  t.push_back(Bool(
      "patch.delete_replaced_root_volume",
      [](auto& c) -> auto& { return c.patch.delete_replaced_root_volume; },
      "delete the old root volume once a rollback replaced it (default: keep it)"));
  t.push_back(Enum(
      "patch.auto_scaling", [](auto& c) -> auto& { return c.patch.auto_scaling; },
      {"standby", "suspend", "skip"},
      "instances of an Auto Scaling group: Standby around their patch, the group's HealthCheck, "
      "ReplaceUnhealthy and AZRebalance suspended, or ineligible"));
  t.push_back(Custom(
      "patch.max_unavailable", "count or percentage (`\"10%\"`)",
      [](Reader& r, const Field& x, Config* c) {
        CountOrPercent v;
        if (r.CountOrPct(x, 1000000, &v)) c->patch.max_unavailable = v;
      },
      [](const Config& c) {
        return c.patch.max_unavailable ? json(c.patch.max_unavailable->ToString()) : json();
      },
      [] {
        return ojson{
            {"oneOf",
             {{{"type", "integer"}, {"minimum", 0}, {"maximum", 1000000}},
              {{"type", "string"}, {"pattern", R"(^[0-9]{1,9}(\.[0-9]{1,9})?\s*%$|^[0-9]{1,11}$)"}}}}};
      },
      "disruption budget: instances of one group (Auto Scaling group, or value of a `max_unavailable_tags` "
      "tag) "
      "down at once, across zones and accounts"));
  t.back().default_text = "none";
  t.push_back(StringList(
      "patch.max_unavailable_tags", [](auto& c) -> auto& { return c.patch.max_unavailable_tags; },
      "^.{1,128}$", "tag keys", NonEmpty("a tag key must not be empty"),
      "tag keys whose values also form disruption-budget groups (e.g. `App`)"));
}

void AddPatch(std::vector<FieldSpec>& t) {
  t.push_back(Section("patch"));
  t.push_back(String(
      "patch.document", [](auto& c) -> auto& { return c.patch.document; }, R"(^[A-Za-z0-9_.:/-]{3,256}$)",
      "SSM document name or ARN",
      Matching(R"(^[A-Za-z0-9_.:/-]{3,256}$)",
               "an SSM document name is 3-128 characters of letters, digits and _.- (or its ARN, up to 256)"),
      "the patch document"));
  t.push_back(Enum(
      "patch.operation", [](auto& c) -> auto& { return c.patch.operation; }, {"Install", "Scan"},
      "`Scan` reports missing patches without installing"));
  t.push_back(Enum(
      "patch.reboot_option", [](auto& c) -> auto& { return c.patch.reboot_option; },
      {"RebootIfNeeded", "NoReboot"}, "passed to AWS-RunPatchBaseline"));
  t.push_back(String(
      "patch.baseline_override", [](auto& c) -> auto& { return c.patch.baseline_override; },
      "^$|^s3://|^https://", "`s3://...` or `https://...`",
      Matching("^$|^s3://.*|^https://.*",
               "a baseline override is the s3:// or https:// URL of a baseline JSON file"),
      "a baseline override JSON (the `BaselineOverride` parameter); empty = the patch group's "
      "baseline"));
  t.push_back(Int(
      "patch.canary_size", [](auto& c) -> auto& { return c.patch.canary_size; }, 0, 1000,
      "instances in the first wave; 0 = no canary wave"));
  t.push_back(Int(
      "patch.max_concurrency", [](auto& c) -> auto& { return c.patch.max_concurrency; }, 1, 1000,
      "instances per later wave"));
  t.push_back(CountOrPct(
      "patch.max_errors", [](auto& c) -> auto& { return c.patch.max_errors; }, 10000,
      "SSM `MaxErrors` of each patch command. Accepted and validated, but not sent by this "
      "version (SSM's default applies); the run-wide `error_budget` is what stops a rollout"));
  t.push_back(Bool(
      "patch.require_confirmation", [](auto& c) -> auto& { return c.patch.require_confirmation; },
      "ask on a terminal before patching (see [Confirmation](#confirmation))"));
  AddPatchSafety(t);
}

void AddBackup(std::vector<FieldSpec>& t) {
  t.push_back(Section("backup"));
  t.push_back(Bool(
      "backup.required", [](auto& c) -> auto& { return c.backup.required; },
      "patch only instances whose AMI is available (ignored when `workflow.phases.backup` is false)"));
  t.push_back(Bool(
      "backup.no_reboot", [](auto& c) -> auto& { return c.backup.no_reboot; },
      "CreateImage `NoReboot` (crash-consistent image, no reboot)"));
  t.push_back(String(
      "backup.name_template", [](auto& c) -> auto& { return c.backup.name_template; }, "",
      "placeholders `{run_id}` `{instance_id}` `{date}` (YYYYMMDD, UTC) `{zone}`; must contain "
      "`{run_id}` and `{instance_id}`; the result must be a valid AMI name",
      CheckNameTemplate,
      "deterministic per run and instance, so a resumed run finds the AMI it already started"));
  t.push_back(Custom(
      "backup.tags", "key (not `aws:`) -> value", ReadBackupTags,
      [](const Config& c) { return json(c.backup.tags); }, BackupTagsSchema,
      "extra tags on the AMI and its snapshots"));
  t.push_back(Int(
      "backup.retention_days", [](auto& c) -> auto& { return c.backup.retention_days; }, 1, 3650,
      "written as the delete-after tag"));
  t.push_back(Bool(
      "backup.keep_failed", [](auto& c) -> auto& { return c.backup.keep_failed; },
      "keep an AMI that failed or timed out (default: deregister it and delete its snapshots)"));
  t.push_back(Int(
      "backup.keep_last", [](auto& c) -> auto& { return c.backup.keep_last; }, 0, 100,
      "`fleetpatch prune` keeps the newest N available AMIs of each instance, however old"));
}

void AddReportingStateAws(std::vector<FieldSpec>& t) {
  t.push_back(Section("reporting"));
  t.push_back(String(
      "reporting.output_dir", [](auto& c) -> auto& { return c.reporting.output_dir; }, ".", "non-empty path",
      NonEmpty("the output directory must not be empty (use \".\" for the working directory)"),
      "where reports go"));
  t.push_back(Custom("reporting.formats", "list or `\"csv,json\"` of `csv`, `json`, `html`, `xml`",
                     ReadFormats, FormatsJson, FormatsSchema,
                     "report formats; with `xml` a JUnit XML file is written too"));
  t.push_back(Section("state"));
  t.push_back(String(
      "state.path", [](auto& c) -> auto& { return c.state.path; }, ".", "non-empty path",
      NonEmpty("the state path must not be empty"), "the run state database"));
  t.push_back(String(
      "state.url", [](auto& c) -> auto& { return c.state.url; }, "^$|^(postgres|postgresql)://",
      "`postgresql://...` or empty",
      Matching("^$|^(postgres|postgresql)://.*",
               "the state url must start with postgresql:// (a PostgreSQL connection URI)"),
      "a shared PostgreSQL state store used instead of `path` (docs/team.md); "
      "`FLEETPATCH_STATE_URL` and `--state` override it"));
  t.push_back(Section("aws"));
  t.push_back(String(
      "aws.profile", [](auto& c) -> auto& { return c.aws.profile; }, "", "string", nullptr,
      "profile for the base credentials; empty = `AWS_PROFILE` or the default credential chain"));
  t.push_back(String(
      "aws.region", [](auto& c) -> auto& { return c.aws.region; }, "^$|^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$",
      "region", Found(CheckRegion, true),
      "base region for STS and `whoami`; empty = `AWS_REGION` / the profile's region"));
  t.push_back(Int(
      "aws.max_attempts", [](auto& c) -> auto& { return c.aws.max_attempts; }, 1, 20,
      "attempts per AWS call (standard retry mode)"));
  t.push_back(Duration(
      "aws.role_session_duration", [](auto& c) -> auto& { return c.aws.role_session_duration; }, 900, 43200,
      "AssumeRole `DurationSeconds`"));
  t.push_back(Section("aws.rate_limits",
                      "token bucket per account, region and API family. Every HTTP attempt takes a token, "
                      "retries included; a "
                      "throttling answer empties that bucket and halves its rate (not below 10%), which then "
                      "climbs back to the "
                      "configured rate over about 10 s (adaptive, like the AWS SDKs' adaptive retry mode). "
                      "EC2 defaults are 90% "
                      "of AWS's published account buckets, so that jitter never finds AWS's bucket empty"));
  AddRateLimit(t, "ec2_non_mutating", &RateLimits::ec2_non_mutating, "EC2 Describe* calls");
  AddRateLimit(t, "ec2_mutating", &RateLimits::ec2_mutating,
               "EC2 CreateImage, DeregisterImage, DeleteSnapshot");
  AddRateLimit(t, "ec2_create_tags", &RateLimits::ec2_create_tags, "EC2 CreateTags");
  AddRateLimit(t, "ssm_read", &RateLimits::ssm_read, "SSM reads");
  AddRateLimit(t, "ssm_write", &RateLimits::ssm_write, "SSM SendCommand and CancelCommand");
  AddRateLimit(t, "sts", &RateLimits::sts, "STS AssumeRole");
}

// --- notifications: (one block; the structs are documented in config.h, the channels in src/notify) ---

void ReadEvents(Reader& r, const Field& f, std::vector<std::string>* out) {
  std::vector<std::string> names;
  if (!r.StringList(f, &names, true)) return;
  const std::vector<std::string> allowed = NotificationEventNames();
  for (const auto& n : names) {
    if (std::find(allowed.begin(), allowed.end(), n) != allowed.end()) continue;
    std::string msg = "unknown event \"" + n + "\"";
    if (std::string s = DidYouMean(n, allowed); !s.empty()) msg += " (did you mean \"" + s + "\"?)";
    return r.Add(f, msg + "; allowed: " + Join(allowed, ", "));
  }
  *out = names;
}

// Each item of the list at `f` read by `read_item` (false: not kept).
template <class T, class Fn>
void ReadList(Reader& r, const Field& f, const char* what, std::vector<T>* out, Fn&& read_item) {
  if (!f.value.IsSequence())
    return r.Add(f, std::string("expected a list of ") + what + "; found " + Describe(f.value));
  for (size_t i = 0; i < f.value.size(); ++i) {
    Field item{f.value[i], f.path + "[" + std::to_string(i) + "]", MarkOf(f.value[i], f.value)};
    T t;
    if (read_item(item, &t)) out->push_back(std::move(t));
  }
}

bool ReadWebhook(Reader& r, const Field& f, WebhookConfig* w) {
  auto m = r.Map(f, {"url", "secret_env", "events"});
  if (!m) return false;
  if (!m->count("url")) return r.Add(f, "a webhook needs a url (https://...)"), false;
  With(*m, "url", [&](const Field& x) {
    if (r.String(x, &w->url) && w->url.rfind("https://", 0) != 0)
      r.Add(x, "a webhook url must start with https://");
  });
  With(*m, "secret_env", [&](const Field& x) {
    static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
    if (r.String(x, &w->secret_env) && !std::regex_match(w->secret_env, kName))
      r.Add(x, "expected the name of an environment variable (the secret itself never goes in the file)");
  });
  With(*m, "events", [&](const Field& x) { ReadEvents(r, x, &w->events); });
  return true;
}

bool ReadSnsTopic(Reader& r, const Field& f, SnsTopicConfig* t) {
  auto m = r.Map(f, {"topic_arn", "events"});
  if (!m) return false;
  if (!m->count("topic_arn")) return r.Add(f, "an sns entry needs a topic_arn"), false;
  With(*m, "topic_arn", [&](const Field& x) {
    static const std::regex kArn("arn:[a-z-]+:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+");
    if (r.String(x, &t->topic_arn) && !std::regex_match(t->topic_arn, kArn))
      r.Add(x, "found \"" + t->topic_arn + "\"; expected arn:aws:sns:<region>:<12-digit account>:<topic>");
  });
  With(*m, "events", [&](const Field& x) { ReadEvents(r, x, &t->events); });
  return true;
}

ojson ListSchema(ojson props, const char* required) {
  ojson events = {{"oneOf",
                   {{{"type", "array"}, {"items", {{"enum", NotificationEventNames()}}}},
                    {{"enum", NotificationEventNames()}}}}};
  props["events"] = events;
  return {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"additionalProperties", false},
            {"required", {required}},
            {"properties", props}}}};
}

// Webhook URLs are often secrets (chat tokens in the path): no `value`, so ConfigToJson never has them.
void AddNotifications(std::vector<FieldSpec>& t) {
  t.push_back(Section("notifications", "where run events go; see [notifications.md](notifications.md)"));
  t.push_back(Custom(
      "notifications.webhooks", "list of `{url, secret_env, events}`",
      [](Reader& r, const Field& x, Config* c) {
        ReadList(r, x, "webhooks", &c->notifications.webhooks,
                 [&](const Field& i, WebhookConfig* w) { return ReadWebhook(r, i, w); });
      },
      nullptr,
      [] {
        return ListSchema(
            {{"url", {{"type", "string"}, {"pattern", std::string("^https://|^") + kEnvRefPattern}}},
             {"secret_env", {{"type", "string"}, {"pattern", "^[A-Za-z_][A-Za-z0-9_]*$"}}}},
            "url");
      },
      "HTTPS webhooks (Slack, Teams, Google Chat, ...): `url` (https://, often `${VAR}`), `secret_env` (the "
      "environment variable holding the HMAC-SHA256 signing secret), `events` (default: all)"));
  t.back().default_text = "`[]`";
  t.push_back(Custom(
      "notifications.sns", "list of `{topic_arn, events}`",
      [](Reader& r, const Field& x, Config* c) {
        ReadList(r, x, "SNS topics", &c->notifications.sns,
                 [&](const Field& i, SnsTopicConfig* s) { return ReadSnsTopic(r, i, s); });
      },
      nullptr,
      [] {
        return ListSchema(
            {{"topic_arn",
              {{"type", "string"},
               {"pattern",
                std::string("^arn:[a-z-]+:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+$|^") + kEnvRefPattern}}}},
            "topic_arn");
      },
      "SNS topics to publish each event to (`sns:Publish`, the base identity, the topic's region); `events` "
      "as "
      "for webhooks"));
  t.back().default_text = "`[]`";
  t.push_back(Int(
      "notifications.attempts", [](auto& c) -> auto& { return c.notifications.attempts; }, 1, 10,
      "attempts per notification and channel; a notification that still fails never fails the run"));
  t.push_back(Duration(
      "notifications.backoff", [](auto& c) -> auto& { return c.notifications.backoff; }, 0, 30,
      "before the 2nd attempt, doubled after each (at most 30 s)"));
  t.push_back(Duration(
      "notifications.timeout", [](auto& c) -> auto& { return c.notifications.timeout; }, 1, 300,
      "per HTTP attempt"));
}

std::vector<FieldSpec> BuildConfigFields() {
  std::vector<FieldSpec> t;
  t.push_back(Custom(
      "version", "`1`",
      [](Reader& r, const Field& x, Config*) {
        int64_t v = 0;
        r.Int(x, 1, 1, &v);
      },
      [](const Config&) { return json(1); },
      [] {
        return ojson{{"const", 1}};
      },
      "the file format version"));
  AddWorkflow(t);
  AddZonesAndConcurrency(t);
  AddPrecheck(t);
  AddPatch(t);
  AddBackup(t);
  AddReportingStateAws(t);
  t.push_back(Section("compliance"));
  t.push_back(Int(
      "compliance.max_age_days", [](auto& c) -> auto& { return c.compliance.max_age_days; }, 1, 3650,
      "`fleetpatch compliance`: no Install within this many days makes an instance stale"));
  t.push_back(Bool(
      "dry_run", [](auto& c) -> auto& { return c.dry_run; },
      "scan for real, then show what later phases would do, with no mutating call"));
  AddNotifications(t);
  return t;
}

// Zone fields: their values come from the config's landing_zone_defaults (a default Config gives
// the built-in defaults); the zone reader in loader.cc applies them.
FieldSpec ZoneString(std::string key, std::string pattern, std::string allowed, std::string default_text,
                     std::string doc) {
  FieldSpec f =
      Textual(std::move(key), FieldType::kString, std::move(pattern), std::move(allowed), std::move(doc));
  f.default_text = std::move(default_text);
  return f;
}

ojson TagMatchSchema() {
  ojson value = {{"type", {"string", "number", "boolean"}}};
  return {
      {"type", "object"},
      {"additionalProperties", {{"oneOf", {value, {{"type", "array"}, {"minItems", 1}, {"items", value}}}}}}};
}

std::vector<FieldSpec> BuildZoneFields() {
  std::vector<FieldSpec> t;
  t.push_back(ZoneString("name", "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", "1-64 of `A-Za-z0-9._-`", "-",
                         "unique name; used in reports, logs and the `{zone}` AMI-name placeholder"));
  t.back().required = true;
  t.push_back(Custom(
      "account_id", "12 digits", nullptr, nullptr,
      [] {
        return ojson{{"oneOf",
                      {{{"type", "string"}, {"pattern", std::string("^[0-9]{12}$|") + kEnvRefPattern}},
                       {{"type", "integer"}, {"minimum", 100000000000}, {"maximum", 999999999999}}}}};
      },
      "exactly 12 digits. Quote it: YAML reads `012345678901` unquoted as the number 12345678901. "
      "An unquoted number is accepted only when it reads back unchanged (12 digits, no leading "
      "zero)"));
  t.back().required = true;
  t.back().default_text = "-";
  t.push_back(ZoneString("region", "^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$", "region", "-",
                         "e.g. `us-east-1`, `us-gov-west-1`, `cn-north-1`"));
  t.back().required = true;
  t.push_back(ZoneString(
      "role_arn",
      R"(^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}$)",
      "`arn:aws\\|aws-cn\\|aws-us-gov:iam::ACCOUNT:role/[PATH/]NAME`", "built from `role_name`",
      "the role to assume; ACCOUNT must be the zone's `account_id` and the partition the region's"));
  t.push_back(
      ZoneString("role_name", "^[A-Za-z0-9+=,.@_-]{1,64}$", "1-64 of `A-Za-z0-9+=,.@_-`", "",
                 "the role to assume when `role_arn` is not given: "
                 "`arn:<partition>:iam::<account_id>:role/<role_name>`. Give `role_arn` or `role_name`, not "
                 "both"));
  t.back().value = [](const Config& c) { return json(c.landing_zone_defaults.role_name); };
  t.push_back(ZoneString("external_id", "^$|^[A-Za-z0-9+=,.@:/_-]{2,1224}$", "2-1224 of `A-Za-z0-9+=,.@:/_-`",
                         "", "the `ExternalId` of AssumeRole. Treated as a secret: never printed"));
  t.back().value = [](const Config& c) { return json(c.landing_zone_defaults.external_id); };
  t.push_back(ZoneString("session_name", "^[A-Za-z0-9+=,.@_-]{2,64}$", "2-64 of `A-Za-z0-9+=,.@_-`", "",
                         "`RoleSessionName`; shows in CloudTrail"));
  t.back().value = [](const Config& c) { return json(c.landing_zone_defaults.session_name); };
  t.push_back(
      ZoneString("endpoint_url", "^$|^https?://", "`http(s)://host[:port]`", "",
                 "the endpoint for every service of the zone, e.g. the emulator; empty = AWS's endpoints"));
  t.back().value = [](const Config& c) { return json(c.landing_zone_defaults.endpoint_url); };
  t.push_back(
      FieldSpec{"enabled", FieldType::kBool, "a disabled zone stays in the inventory and is never entered"});
  t.back().value = [](const Config&) { return json(LandingZone{}.enabled); };
  t.push_back(Section("filters"));
  t.push_back(Custom(
      "filters.tags", "map: tag key -> value or list of values", nullptr,
      [](const Config& c) { return json(c.landing_zone_defaults.filter_tags); }, TagMatchSchema,
      "instances must carry every listed key with one of its values (applied server-side)"));
  t.push_back(Custom(
      "filters.exclude_tags", "same", nullptr,
      [](const Config& c) { return json(c.landing_zone_defaults.exclude_tags); }, TagMatchSchema,
      "an instance matching any listed key is excluded (reported as ineligible, \"excluded by a "
      "tag\")"));
  for (auto& f : t) {
    f.zone_default = f.path == "role_name" || f.path == "external_id" || f.path == "session_name" ||
                     f.path == "endpoint_url" || f.path == "filters" || f.Parent() == "filters";
  }
  return t;
}

}  // namespace

const std::vector<FieldSpec>& ConfigFields() {
  static const std::vector<FieldSpec> kFields = BuildConfigFields();
  return kFields;
}

const std::vector<FieldSpec>& ZoneFields() {
  static const std::vector<FieldSpec> kFields = BuildZoneFields();
  return kFields;
}

std::string HomeOf(const std::string& key, const std::vector<std::string>& allowed_here) {
  if (key == "defaults") return "the top level of an inventory file";
  // At a zone (its keys are allowed here), look among the zone's fields first.
  bool at_zone = std::find(allowed_here.begin(), allowed_here.end(), "filters") != allowed_here.end();
  std::vector<std::string> homes;
  for (const auto* table : at_zone ? std::vector{&ZoneFields()} : std::vector{&ConfigFields()}) {
    for (const FieldSpec& f : *table) {
      if (f.Key() == key && !f.Parent().empty()) homes.push_back(f.Parent());
    }
  }
  // Only a unique home is a useful hint (e.g. "tags" lives under backup: and under filters:).
  if (homes.size() != 1) return "";
  return homes[0] + ":";
}

}  // namespace fleetpatch::config
