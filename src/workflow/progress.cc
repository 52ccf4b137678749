#include "workflow/progress.h"

namespace fleetpatch::workflow {

std::string FormatDuration(std::chrono::seconds s) {
  long long t = s.count();
  if (t < 0) t = 0;
  char buf[32];
  if (t >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, (t % 3600) / 60);
  } else if (t >= 60) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%llds", t);
  }
  return buf;
}

Progress::Progress(std::string phase, int64_t total, Options options, Clock& clock, std::FILE* out)
    : phase_(std::move(phase)), options_(options), clock_(clock), out_(out), total_(total) {
  start_ = last_print_ = clock_.SteadyNow();
}

Progress::~Progress() { Finish(); }

void Progress::AddTotal(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  total_ += n;
}

void Progress::Done(Outcome outcome, int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ += n;
  if (outcome == Outcome::kFailed) failed_ += n;
  if (outcome == Outcome::kSkipped) skipped_ += n;
  MaybePrintLocked(false);
}

std::string Progress::Line() const {
  std::lock_guard<std::mutex> lock(mu_);
  return LineLocked();
}

std::string Progress::LineLocked() const {
  std::string line = "[" + phase_ + "] " + std::to_string(done_) + "/" + std::to_string(total_) + " done, " +
                     std::to_string(failed_) + " failed, " + std::to_string(skipped_) + " skipped";
  // No estimate from the first few instances: a canary wave of 1 out of 9,000 predicts a day.
  if (done_ > 0 && done_ < total_ && done_ * 20 >= total_) {
    auto elapsed = clock_.SteadyNow() - start_;
    auto left = elapsed * (total_ - done_) / done_;
    line += ", about " + FormatDuration(std::chrono::duration_cast<std::chrono::seconds>(left)) + " left";
  }
  return line;
}

void Progress::MaybePrintLocked(bool force) {
  if (options_.quiet || !out_) return;
  auto now = clock_.SteadyNow();
  if (options_.terminal) {
    if (!force && now - last_print_ < std::chrono::milliseconds(100) && done_ < total_) return;
    std::fprintf(out_, "\r\033[K%s", LineLocked().c_str());
    if (force) std::fputc('\n', out_);
  } else {
    if (!force && now - last_print_ < options_.log_interval) return;
    std::fprintf(out_, "%s\n", LineLocked().c_str());
  }
  std::fflush(out_);
  last_print_ = now;
}

void Progress::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  MaybePrintLocked(true);
}

}  // namespace fleetpatch::workflow
