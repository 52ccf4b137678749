#include "emulator/faults.h"

namespace fleetpatch::emulator {

FaultDecision DecideFault(Emulator::Impl& im, const Service& service, const std::string& operation) {
  FaultDecision d;
  FaultSpec fault;
  {
    std::lock_guard<std::mutex> lock(im.faults_mu);
    auto it = im.faults.find(operation);
    if (it == im.faults.end()) it = im.faults.find("*");
    if (it == im.faults.end()) return d;
    fault = it->second;
  }
  d.delay = fault.latency;
  if (fault.jitter.count() > 0)
    d.delay += std::chrono::duration_cast<std::chrono::nanoseconds>(fault.jitter * im.Random());
  if (fault.drop_rate > 0 && im.Random() < fault.drop_rate)
    d.drop = true;
  else if (fault.throttle_rate > 0 && im.Random() < fault.throttle_rate)
    d.error = service.errors.throttle;
  else if (fault.error_5xx_rate > 0 && im.Random() < fault.error_5xx_rate)
    d.error = service.errors.internal;
  else if (fault.unavailable_rate > 0 && im.Random() < fault.unavailable_rate)
    d.error = service.errors.unavailable;
  return d;
}

void Emulator::SetFault(const std::string& operation, const FaultSpec& spec) {
  std::lock_guard<std::mutex> lock(impl_->faults_mu);
  impl_->faults[operation] = spec;
}

void Emulator::ClearFaults() {
  std::lock_guard<std::mutex> lock(impl_->faults_mu);
  impl_->faults.clear();
}

}  // namespace fleetpatch::emulator
