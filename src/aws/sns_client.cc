#include "aws/sns_client.h"

#include "aws/output_fields.h"

namespace fleetpatch::aws {
namespace {

constexpr size_t kMaxMessageBytes = 256 * 1024;
constexpr size_t kMaxSubject = 100;

Status CheckPublish(const PublishRequest& r) {
  if (SnsTopicRegion(r.topic_arn).empty())
    return Error::Validation("SNS Publish: \"" + r.topic_arn +
                             "\" is not a topic ARN (arn:aws:sns:<region>:<account>:<topic>)");
  if (r.message.empty()) return Error::Validation("SNS Publish: the message is empty");
  if (r.message.size() > kMaxMessageBytes)
    return Error::Validation("SNS Publish: the message has " + std::to_string(r.message.size()) +
                             " bytes; SNS allows 262144");
  if (r.subject.size() > kMaxSubject)
    return Error::Validation("SNS Publish: the subject is longer than 100 characters");
  for (unsigned char c : r.subject) {
    if (c < 0x20 || c > 0x7e)
      return Error::Validation("SNS Publish: the subject must be printable ASCII without line breaks");
  }
  return OkStatus();
}

}  // namespace

std::string SnsTopicRegion(const std::string& arn) {
  // arn:partition:sns:region:account:name
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', start);
    if (colon == std::string::npos) return "";
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  const std::string name = arn.substr(start);
  if (parts[0] != "arn" || parts[1].empty() || parts[2] != "sns" || parts[3].empty() ||
      parts[4].size() != 12 || name.empty() || name.find(':') != std::string::npos)
    return "";
  return parts[3];
}

Result<std::string> SnsClient::Publish(const PublishRequest& request) {
  FP_RETURN_IF_ERROR(CheckPublish(request));
  nlohmann::json params = {{"TopicArn", request.topic_arn}, {"Message", request.message}};
  if (!request.subject.empty()) params["Subject"] = request.subject;
  FP_ASSIGN_OR_RETURN(nlohmann::json out, caller_.Call("Publish", params));
  std::string id = fields::Str(out, "MessageId");
  if (id.empty()) return Error{ErrorCategory::kAws, "SNS Publish returned no MessageId"};
  return id;
}

}  // namespace fleetpatch::aws
