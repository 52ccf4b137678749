// SnsClient: the one SNS operation fleetpatch uses, Publish (notifications to a topic), typed.
// Messages are the caller's text; the client adds nothing to them.
// Thread-safety: stateless apart from the ApiCaller reference; safe from many threads when the
// ApiCaller is.
#pragma once

#include <string>

#include "aws/api_caller.h"
#include "common/error.h"

namespace fleetpatch::aws {

struct PublishRequest {
  std::string topic_arn;  // arn:<partition>:sns:<region>:<account>:<name>
  std::string message;    // up to 256 KiB (UTF-8)
  std::string subject;    // Default: "" (none); at most 100 printable ASCII characters
};

class SnsClient {
 public:
  explicit SnsClient(ApiCaller& caller) : caller_(caller) {}

  // Returns the MessageId. kValidation (before sending) for a missing topic or message, a subject
  // SNS would reject, or a message over 256 KiB; otherwise the ApiCaller's errors.
  Result<std::string> Publish(const PublishRequest& request);

 private:
  ApiCaller& caller_;
};

// The region of an SNS topic ARN ("" when `arn` is not an SNS topic ARN).
std::string SnsTopicRegion(const std::string& arn);

}  // namespace fleetpatch::aws
