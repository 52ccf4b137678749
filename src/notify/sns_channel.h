// SnsChannel: publishes Notification::Body() to an SNS topic through the AWS client layer
// (SnsClient over a ServiceClient: SigV4, retries, endpoint rules incl. AWS_ENDPOINT_URL_SNS).
// The subject is the notification's title (email subscribers see it).
// Thread-safety: as the ApiCaller it is given.
#pragma once

#include <string>

#include "aws/api_caller.h"
#include "notify/channel.h"

namespace fleetpatch::notify {

class SnsChannel final : public Channel {
 public:
  // caller (an SNS client for the topic's region) must outlive the channel.
  SnsChannel(std::string topic_arn, aws::ApiCaller& caller)
      : topic_arn_(std::move(topic_arn)), caller_(caller) {}

  std::string Name() const override { return "sns " + topic_arn_; }
  Status Send(const Notification& n) override;

 private:
  std::string topic_arn_;
  aws::ApiCaller& caller_;
};

// The title as an SNS subject: printable ASCII, at most 100 characters.
std::string SnsSubject(const std::string& title);

}  // namespace fleetpatch::notify
