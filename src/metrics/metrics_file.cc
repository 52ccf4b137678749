#include "metrics/metrics_file.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "aws/aws_error.h"

namespace fleetpatch::metrics {
namespace {

constexpr const char* kLastSuccess = "fleetpatch_last_success_timestamp_seconds";

double Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::optional<double> ReadLastSuccess(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  const std::string prefix = std::string(kLastSuccess) + " ";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    char* end = nullptr;
    double v = std::strtod(line.c_str() + prefix.size(), &end);
    if (end && end != line.c_str() + prefix.size()) return v;
  }
  return std::nullopt;
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void Header(std::ostream& o, const char* name, const char* type, const char* help) {
  o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

MetricsFile::MetricsFile(std::string path, Clock& clock, std::chrono::seconds min_interval)
    : path_(std::move(path)),
      clock_(clock),
      min_interval_(min_interval),
      last_success_s_(ReadLastSuccess(path_)) {}

void MetricsFile::OnRunStarted(const RunStarted& e) {
  std::lock_guard lock(mu_);
  run_id_ = e.run_id;
  started_ = clock_.Now();
  WriteOrWarnLocked();
}

void MetricsFile::OnPhaseEnded(const PhaseEnded& e) {
  std::lock_guard lock(mu_);
  instances_[e.phase] = e.counts;
  durations_s_[e.phase] = e.duration.count();
  WriteOrWarnLocked();
}

void MetricsFile::OnRunFinished(const RunFinished& e) {
  std::lock_guard lock(mu_);
  run_id_ = e.run_id;
  for (const auto& [phase, counts] : e.phases) instances_[phase] = counts;
  status_ = e.status;
  exit_code_ = e.exit_code;
  if (e.status == RunStatus::kSucceeded && !e.dry_run) last_success_s_ = Seconds(clock_.Now());
  WriteOrWarnLocked();
}

void MetricsFile::OnAttempt(const aws::AttemptRecord& r) {
  std::lock_guard lock(mu_);
  OpCounts& c = ops_[r.action];
  if (r.attempt == 1) ++c.calls;
  ++c.attempts;
  if (r.http_status == 429 || aws::IsThrottlingErrorCode(r.error)) ++c.throttles;
  if (clock_.SteadyNow() - last_write_ >= min_interval_) WriteOrWarnLocked();
}

std::string MetricsFile::Render() const {
  std::lock_guard lock(mu_);
  return RenderLocked();
}

std::string MetricsFile::RenderLocked() const {
  std::ostringstream o;
  const std::string run = "run_id=\"" + EscapeLabelValue(run_id_) + "\"";
  Header(o, "fleetpatch_run_info", "gauge", "The run this file describes (always 1).");
  o << "fleetpatch_run_info{" << run << "} 1\n";
  if (started_) {
    Header(o, "fleetpatch_run_start_timestamp_seconds", "gauge", "When this invocation started the run.");
    o << "fleetpatch_run_start_timestamp_seconds " << Number(Seconds(*started_)) << "\n";
  }
  Header(o, "fleetpatch_run_running", "gauge", "1 while the run is in progress, 0 once it finished.");
  o << "fleetpatch_run_running " << (status_ ? 0 : 1) << "\n";
  if (status_) {
    Header(o, "fleetpatch_run_exit_code", "gauge", "The exit code of the finished run (0 = success).");
    o << "fleetpatch_run_exit_code " << exit_code_ << "\n";
    Header(o, "fleetpatch_run_status", "gauge", "1 for the finished run's status.");
    o << "fleetpatch_run_status{status=\"" << RunStatusName(*status_) << "\"} 1\n";
  }
  Header(o, "fleetpatch_instances", "gauge", "Instances per phase and outcome in this run.");
  for (const auto& [phase, c] : instances_) {
    const std::pair<const char*, int64_t> outcomes[] = {{"succeeded", c.succeeded},
                                                        {"failed", c.failed},
                                                        {"skipped", c.skipped},
                                                        {"pending", c.pending},
                                                        {"not_run", c.not_run}};
    for (const auto& [outcome, n] : outcomes)
      o << "fleetpatch_instances{phase=\"" << PhaseName(phase) << "\",outcome=\"" << outcome << "\"} " << n
        << "\n";
  }
  Header(o, "fleetpatch_phase_duration_seconds", "gauge",
         "Wall time of each phase this invocation ran (pipelined phases: the pipeline's).");
  for (const auto& [phase, s] : durations_s_)
    o << "fleetpatch_phase_duration_seconds{phase=\"" << PhaseName(phase) << "\"} " << Number(s) << "\n";
  Header(o, "fleetpatch_aws_api_calls_total", "counter",
         "AWS API calls per operation (retries not counted).");
  for (const auto& [op, c] : ops_)
    o << "fleetpatch_aws_api_calls_total{operation=\"" << EscapeLabelValue(op) << "\"} " << c.calls << "\n";
  Header(o, "fleetpatch_aws_api_attempts_total", "counter",
         "HTTP attempts to AWS per operation (retries counted).");
  for (const auto& [op, c] : ops_)
    o << "fleetpatch_aws_api_attempts_total{operation=\"" << EscapeLabelValue(op) << "\"} " << c.attempts
      << "\n";
  Header(o, "fleetpatch_aws_api_throttles_total", "counter", "AWS throttling answers per operation.");
  for (const auto& [op, c] : ops_)
    o << "fleetpatch_aws_api_throttles_total{operation=\"" << EscapeLabelValue(op) << "\"} " << c.throttles
      << "\n";
  if (last_success_s_) {
    Header(o, kLastSuccess, "gauge", "When the last run that succeeded (not a dry run) finished.");
    o << kLastSuccess << " " << Number(*last_success_s_) << "\n";
  }
  return o.str();
}

Status MetricsFile::Write() {
  std::lock_guard lock(mu_);
  return WriteLocked();
}

Status MetricsFile::WriteLocked() {
  last_write_ = clock_.SteadyNow();
  const std::string tmp = path_ + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << RenderLocked();
    out.flush();
    if (!out) {
      int err = errno;
      std::remove(tmp.c_str());
      return Error::Internal("cannot write the metrics file " + tmp + ": " + std::strerror(err));
    }
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    return Error::Internal("cannot rename the metrics file to " + path_ + ": " + std::strerror(err));
  }
  return OkStatus();
}

void MetricsFile::WriteOrWarnLocked() {
  Status s = WriteLocked();
  if (!s.ok() && !warned_) {
    warned_ = true;
    spdlog::warn("metrics: {} (the run goes on)", s.error().ToString());
  }
}

}  // namespace fleetpatch::metrics
