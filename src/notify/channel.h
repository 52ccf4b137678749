// Channel: one place notifications go (a webhook, an SNS topic). Abstract so the Notifier's
// retries and failure accounting are tested without a network.
// Thread-safety: Send may be called from several threads; implementations must allow it.
#pragma once

#include <string>

#include "common/error.h"
#include "notify/message.h"

namespace fleetpatch::notify {

class Channel {
 public:
  virtual ~Channel() = default;
  // What to call the channel in messages and reports: never a secret (a webhook shows only its
  // scheme and host, since chat webhook URLs carry their token in the path).
  virtual std::string Name() const = 0;
  // Delivers one notification (one attempt). An Error with retryable=true when a later attempt
  // may succeed (connection failures, timeouts, HTTP 429 and 5xx); its message starts with Name()
  // and holds no secret.
  virtual Status Send(const Notification& n) = 0;
};

}  // namespace fleetpatch::notify
