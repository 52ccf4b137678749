// Notifier: the RunObserver that turns run events into notifications and delivers each to the
// channels subscribed to that event, retrying with exponential backoff. A channel that still
// fails never fails the run: the failure is logged as a warning and kept, and the run engine
// reports Failures() at the end (stderr, and `notification_errors` in --output json).
// Messages hold no secret (message.h) and failures name channels by Channel::Name().
// Thread-safety: every method may be called from any thread; deliveries are serialised (one
// notification at a time) so that a chat channel receives them in order.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/run_events.h"
#include "notify/channel.h"

namespace fleetpatch::notify {

struct RetryOptions {
  int attempts = 3;                              // Default: 3 attempts per notification and channel
  std::chrono::milliseconds backoff{2000};       // Default: 2 s before the 2nd attempt, doubled after each
  std::chrono::milliseconds max_backoff{30000};  // Default: 30 s
};

class Notifier final : public RunObserver {
 public:
  // clock paces the backoff (a FakeClock in tests).
  Notifier(Clock& clock, RetryOptions retry = {}) : clock_(clock), retry_(retry) {}

  // `events`: the event names (run_events.h) the channel wants; empty = every event.
  void AddChannel(std::unique_ptr<Channel> channel, std::vector<std::string> events = {});

  void OnRunFinished(const RunFinished& e) override;
  void OnRolloutHalted(const RolloutHalted& e) override;
  void OnRollbackDone(const RollbackDone& e) override;
  void OnInstancesInStandby(const InstancesInStandby& e) override;

  // Delivers `n` to its subscribers now; returns how many channels failed.
  int Deliver(const Notification& n);

  // One line per notification that could not be delivered: "<event> for run <id>: <error>", where
  // the error starts with the channel's Name() (Channel::Send's contract).
  std::vector<std::string> Failures() const;

 private:
  struct Subscribed {
    std::unique_ptr<Channel> channel;
    std::vector<std::string> events;
  };
  Status SendWithRetry(Channel& channel, const Notification& n);

  Clock& clock_;
  RetryOptions retry_;
  mutable std::mutex mu_;
  std::vector<Subscribed> channels_;
  std::vector<std::string> failures_;
};

}  // namespace fleetpatch::notify
