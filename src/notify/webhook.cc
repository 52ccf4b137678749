#include "notify/webhook.h"

#include <chrono>

#include "common/crypto.h"
#include "common/encoding.h"

namespace fleetpatch::notify {

std::string UrlOrigin(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "(invalid URL)";
  size_t end = url.find_first_of("/?#", scheme + 3);
  std::string authority =
      url.substr(scheme + 3, end == std::string::npos ? std::string::npos : end - scheme - 3);
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  return url.substr(0, scheme + 3) + authority;
}

std::string WebhookSignature(const std::string& secret, const std::string& timestamp,
                             const std::string& body) {
  return HexEncode(HmacSha256(secret, timestamp + "." + body));
}

std::string WebhookChannel::Name() const { return "webhook " + UrlOrigin(options_.url); }

Status WebhookChannel::Send(const Notification& n) {
  aws::HttpRequest req;
  req.method = "POST";
  req.url = options_.url;
  req.body = n.Body();
  req.headers = {
      {"Content-Type", "application/json"}, {"User-Agent", "fleetpatch"}, {"X-Fleetpatch-Event", n.event}};
  if (!options_.secret.empty()) {
    std::string ts = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count());
    req.headers.push_back({"X-Fleetpatch-Timestamp", ts});
    req.headers.push_back(
        {"X-Fleetpatch-Signature", "sha256=" + WebhookSignature(options_.secret, ts, req.body)});
  }
  auto res = transport_.Send(req, options_.http);
  if (!res.ok()) {
    // Transport errors may name the URL: keep only its origin.
    Error e = res.error();
    const std::string origin = UrlOrigin(options_.url);
    for (size_t p; (p = e.message.find(options_.url)) != std::string::npos;)
      e.message.replace(p, options_.url.size(), origin);
    e.message = Name() + ": " + e.message;
    return e;
  }
  if (res->status >= 200 && res->status < 300) return OkStatus();
  Error e{ErrorCategory::kConnectivity, Name() + ": HTTP " + std::to_string(res->status)};
  e.http_status = res->status;
  e.retryable = res->status == 429 || res->status >= 500;
  return e;
}

}  // namespace fleetpatch::notify
