// Progress of a long phase, for people and for logs. On a terminal: one line redrawn in place
// ("[patch] 120/500 done, 3 failed, 2 skipped, about 2m10s left"; the estimate once 5% is done). Not on a
// terminal: a plain line at most every `log_interval` and at the end, so piped output stays quiet and
// greppable. Thread-safe: workers call Done() concurrently.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "common/clock.h"

namespace fleetpatch::workflow {

class Progress {
 public:
  struct Options {
    bool terminal = false;  // draw in place with \r
    bool quiet = false;     // print nothing
    std::chrono::seconds log_interval{15};
  };
  Progress(std::string phase, int64_t total, Options options, Clock& clock, std::FILE* out = stderr);
  ~Progress();

  enum class Outcome { kOk, kFailed, kSkipped };
  void Done(Outcome outcome = Outcome::kOk, int64_t n = 1);
  void AddTotal(int64_t n);
  // Prints the final line (once).
  void Finish();

  // The current line, e.g. for tests: "[scan] 3/10 done, 1 failed, 0 skipped, about 4s left".
  std::string Line() const;

 private:
  std::string LineLocked() const;
  void MaybePrintLocked(bool force);

  const std::string phase_;
  const Options options_;
  Clock& clock_;
  std::FILE* out_;
  mutable std::mutex mu_;
  int64_t total_;
  int64_t done_ = 0, failed_ = 0, skipped_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
  bool finished_ = false;
};

std::string FormatDuration(std::chrono::seconds s);  // "2h03m", "2m10s", "45s"

}  // namespace fleetpatch::workflow
