// When a zone's in-flight work of one kind (AMIs, commands, instances back from a reboot) is next
// checked. The one place that decides it: every phase keeps a PollSchedule per kind of work.
//
// A batch is the work of that kind in flight from the moment the kind was idle until nothing of it
// is left. Its first check comes `first` after it started (the first moment any of it can have
// finished; never later than the poll interval); each later check re-checks only what is still
// unfinished (finished work leaves the caller's list and is never asked for again), after a wait
// that doubles from `first` (2 first, 4 first, ...) up to the poll interval. So a straggler that
// ends T after its batch started is seen by 2 T + first (or T + the interval, once capped), with
// about log2(interval / first) checks more than a batch that waits the interval from the start.
// Work started while a batch is in flight joins the batch's next check (at most one interval
// away) instead of adding a call of its own.
//
// Thread-safe: PollDelay is a pure function; a PollSchedule belongs to its zone's thread.
#pragma once

#include <chrono>
#include <optional>

namespace fleetpatch::workflow {

using SteadyTime = std::chrono::steady_clock::time_point;

// The wait before check `n` of a batch: n = 0 is the first check (counted from the batch's start),
// n >= 1 counts from check n - 1. min(first, interval), then first * 2^n, each at most `interval`.
std::chrono::nanoseconds PollDelay(std::chrono::nanoseconds first, std::chrono::nanoseconds interval, int n);

class PollSchedule {
 public:
  PollSchedule(std::chrono::nanoseconds first, std::chrono::nanoseconds interval)
      : first_(first), interval_(interval) {}
  // Work started at `t`: a new batch when nothing was in flight (first check at t + first), else
  // it joins the next check of the batch in flight.
  void Started(SteadyTime t);
  // A check of the batch was made at `t`: the next one follows PollDelay.
  void Checked(SteadyTime t);
  void Idle();  // nothing in flight: the batch is over
  // Work taken over from an earlier process (adopted at resume) started at `now` and is checked at
  // once: it may have finished long ago.
  void StartedLongAgo(SteadyTime now) {
    Started(now);
    Earliest(now);
  }
  // When work started at `t` can first have finished (t + PollDelay(first, interval, 0)).
  SteadyTime FirstCheckOf(SteadyTime t) const { return t + PollDelay(first_, interval_, 0); }
  // The next check, or nullopt when nothing is in flight.
  std::optional<SteadyTime> Due() const { return due_; }
  bool DueBy(SteadyTime now) const { return due_ && *due_ <= now; }
  // At most `t` (a deadline that needs a look, e.g. the SSM connection timeout, or adopted work
  // to check at once).
  void Earliest(SteadyTime t) {
    if (!due_ || t < *due_) due_ = t;
  }

 private:
  std::chrono::nanoseconds first_, interval_;
  std::optional<SteadyTime> due_;
  int checks_ = 0;  // checks made of the batch in flight
};

}  // namespace fleetpatch::workflow
