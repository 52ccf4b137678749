#include "notify/sns_channel.h"

#include "aws/sns_client.h"

namespace fleetpatch::notify {

std::string SnsSubject(const std::string& title) {
  std::string s;
  for (unsigned char c : title) {
    if (s.size() == 100) break;
    s += (c >= 0x20 && c <= 0x7e) ? static_cast<char>(c) : '?';
  }
  return s;
}

Status SnsChannel::Send(const Notification& n) {
  aws::SnsClient sns(caller_);
  auto id = sns.Publish({topic_arn_, n.Body(), SnsSubject(n.title)});
  if (!id.ok()) {
    // The AWS error code (NotFound, AuthorizationError, ...) is what an operator looks up.
    Error e = id.error();
    e.message = Name() + ": " + e.message + (e.aws_code.empty() ? "" : " (AWS code " + e.aws_code + ")");
    return e;
  }
  return OkStatus();
}

}  // namespace fleetpatch::notify
