#include "common/clock.h"

#include <thread>

namespace fleetpatch {

void RealClock::SleepFor(std::chrono::nanoseconds d) {
  if (d.count() > 0) std::this_thread::sleep_for(d);
}

RealClock& DefaultClock() {
  static RealClock clock;
  return clock;
}

}  // namespace fleetpatch
