#include "emulator/request_log.h"

#include <algorithm>

namespace fleetpatch::emulator {

void RecordRequest(Emulator::Impl& im, const RequestLogEntry& entry) {
  std::lock_guard<std::mutex> lock(im.log_mu);
  ++im.log_counts[entry.operation];
  if (entry.mutating && !entry.dry_run) ++im.log_mutating;
  if (im.log.size() >= std::max<size_t>(2, im.options.max_log_entries))
    im.log.erase(im.log.begin(), im.log.begin() + static_cast<std::ptrdiff_t>(im.log.size() / 2));
  im.log.push_back(entry);
}

std::vector<RequestLogEntry> Emulator::RequestLog() const {
  std::lock_guard<std::mutex> lock(impl_->log_mu);
  return impl_->log;
}

std::map<std::string, int> Emulator::RequestCounts() const {
  std::lock_guard<std::mutex> lock(impl_->log_mu);
  return impl_->log_counts;
}

int Emulator::CountMutatingRequests() const {
  std::lock_guard<std::mutex> lock(impl_->log_mu);
  return impl_->log_mutating;
}

void Emulator::ClearRequestLog() {
  std::lock_guard<std::mutex> lock(impl_->log_mu);
  impl_->log.clear();
  impl_->log_counts.clear();
  impl_->log_mutating = 0;
}

}  // namespace fleetpatch::emulator
