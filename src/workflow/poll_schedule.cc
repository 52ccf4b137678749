#include "workflow/poll_schedule.h"

#include <algorithm>

namespace fleetpatch::workflow {

std::chrono::nanoseconds PollDelay(std::chrono::nanoseconds first, std::chrono::nanoseconds interval, int n) {
  std::chrono::nanoseconds d = std::min(first, interval);
  for (int i = 0; i < n && d < interval; ++i) d *= 2;  // stops doubling once capped: no overflow
  return std::min(d, interval);
}

void PollSchedule::Started(SteadyTime t) {
  if (due_) return;  // joins the batch in flight
  checks_ = 0;
  due_ = FirstCheckOf(t);
}

void PollSchedule::Checked(SteadyTime t) { due_ = t + PollDelay(first_, interval_, ++checks_); }

void PollSchedule::Idle() {
  due_.reset();
  checks_ = 0;
}

}  // namespace fleetpatch::workflow
