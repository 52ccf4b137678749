#include "notify/notifier.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace fleetpatch::notify {

void Notifier::AddChannel(std::unique_ptr<Channel> channel, std::vector<std::string> events) {
  std::lock_guard lock(mu_);
  channels_.push_back({std::move(channel), std::move(events)});
}

void Notifier::OnRunFinished(const RunFinished& e) { Deliver(FromEvent(e)); }
void Notifier::OnRolloutHalted(const RolloutHalted& e) { Deliver(FromEvent(e)); }
void Notifier::OnRollbackDone(const RollbackDone& e) { Deliver(FromEvent(e)); }
void Notifier::OnInstancesInStandby(const InstancesInStandby& e) { Deliver(FromEvent(e)); }

int Notifier::Deliver(const Notification& n) {
  std::lock_guard lock(mu_);
  int failed = 0;
  for (auto& s : channels_) {
    if (!s.events.empty() && std::find(s.events.begin(), s.events.end(), n.event) == s.events.end()) continue;
    Status st = SendWithRetry(*s.channel, n);
    if (st.ok()) {
      spdlog::debug("notification {} for run {} sent to {}", n.event, n.run_id, s.channel->Name());
      continue;
    }
    ++failed;
    std::string line = n.event + " for run " + n.run_id + ": " + st.error().message;
    spdlog::warn("notification failed: {}", line);
    failures_.push_back(std::move(line));
  }
  return failed;
}

Status Notifier::SendWithRetry(Channel& channel, const Notification& n) {
  auto delay = retry_.backoff;
  for (int attempt = 1;; ++attempt) {
    Status st = channel.Send(n);
    if (st.ok()) return st;
    if (!st.error().retryable || attempt >= retry_.attempts) {
      Error e = st.error();
      e.message += " (" + std::to_string(attempt) + (attempt == 1 ? " attempt)" : " attempts)");
      return e;
    }
    spdlog::debug("{}: attempt {} failed, retrying in {} ms", channel.Name(), attempt, delay.count());
    clock_.SleepFor(delay);
    delay = std::min(delay * 2, retry_.max_backoff);
  }
}

std::vector<std::string> Notifier::Failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

}  // namespace fleetpatch::notify
