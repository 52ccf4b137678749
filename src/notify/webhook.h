// WebhookChannel: HTTPS POST of Notification::Body() (application/json) to a URL, e.g. a Slack,
// Microsoft Teams or Google Chat incoming webhook, or any receiver of the structured summary.
// With a secret, each request carries
//   X-Fleetpatch-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//   X-Fleetpatch-Timestamp: <unix seconds>
// so a receiver can check that the body came from fleetpatch and is fresh. The secret comes
// from an environment variable (config `secret_env`), never from the config file.
// Thread-safety: Send may run concurrently when the transport allows it (HttpTransport does).
#pragma once

#include <string>

#include "aws/http.h"
#include "common/clock.h"
#include "notify/channel.h"

namespace fleetpatch::notify {

struct WebhookOptions {
  std::string url;     // https://...; the path and query are treated as secret
  std::string secret;  // Default: "" (requests are not signed)
  aws::HttpOptions http;
};

class WebhookChannel final : public Channel {
 public:
  // transport and clock must outlive the channel.
  WebhookChannel(WebhookOptions options, aws::HttpTransport& transport, Clock& clock)
      : options_(std::move(options)), transport_(transport), clock_(clock) {}

  std::string Name() const override;  // "webhook https://hooks.slack.com"
  Status Send(const Notification& n) override;

 private:
  WebhookOptions options_;
  aws::HttpTransport& transport_;
  Clock& clock_;
};

// HMAC-SHA256 of "<timestamp>.<body>" with `secret`, as lower-case hex: the signature header's value
// after "sha256=".
std::string WebhookSignature(const std::string& secret, const std::string& timestamp,
                             const std::string& body);

// "https://host[:port]" of a URL: what may be shown of it.
std::string UrlOrigin(const std::string& url);

}  // namespace fleetpatch::notify
