// SNS (AWS Query, API 2010-03-31): Publish to the fleet's topics. The emulator delivers nothing;
// every accepted message is recorded (Emulator::PublishedMessages) for tests to read.
#include <algorithm>

#include "emulator/service.h"

namespace fleetpatch::emulator {
namespace {

ApiError InvalidParameter(const std::string& what) {
  return {400, "InvalidParameter", "Invalid parameter: " + what};
}

// MessageAttributes.entry.N.Name / .Value.DataType / .Value.StringValue
std::map<std::string, std::string> MessageAttributes(const Params& p) {
  std::map<std::string, std::string> out;
  for (int i = 1;; ++i) {
    std::string base = "MessageAttributes.entry." + std::to_string(i);
    auto name = p.find(base + ".Name");
    if (name == p.end()) break;
    if (Get(p, (base + ".Value.DataType").c_str()).empty())
      throw InvalidParameter("The message attribute '" + name->second +
                             "' must contain non-empty message attribute type.");
    out[name->second] = Get(p, (base + ".Value.StringValue").c_str());
  }
  return out;
}

void CheckMessage(const std::string& message, const std::string& subject, const std::string& structure) {
  if (message.empty()) throw InvalidParameter("Empty message");
  if (message.size() > 262144) throw InvalidParameter("Message too long");
  if (subject.size() > 100) throw InvalidParameter("Subject");
  for (unsigned char c : subject)
    if (c < 0x20 || c > 0x7e) throw InvalidParameter("Subject");
  if (!structure.empty() && structure != "json") throw InvalidParameter("MessageStructure");
}

// The topic ARN must name a topic of the caller's account and region.
void CheckTopic(Emulator::Impl& im, const std::string& arn, const CallContext& ctx) {
  if (arn.empty()) throw InvalidParameter("TopicArn or TargetArn Reason: no value for required parameter");
  std::string prefix = "arn:aws:sns:" + ctx.region + ":";
  if (arn.rfind("arn:aws:sns:", 0) != 0 || std::count(arn.begin(), arn.end(), ':') != 5)
    throw InvalidParameter("TopicArn");
  if (arn.rfind(prefix + ctx.identity->account_id + ":", 0) != 0)
    throw ApiError{
        403, "AuthorizationError",
        "User: " + ctx.identity->arn + " is not authorized to perform: SNS:Publish on resource: " + arn};
  Zone& z = im.ZoneFor(ctx.identity->account_id, ctx.region);
  std::string name = arn.substr(arn.rfind(':') + 1);
  std::shared_lock<std::shared_mutex> lock(z.mu);
  if (std::find(z.sns_topics.begin(), z.sns_topics.end(), name) == z.sns_topics.end())
    throw ApiError{404, "NotFound", "Topic does not exist"};
}

Response Publish(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const Params& p = in.params;
  std::string arn = Get(p, "TopicArn");
  if (arn.empty()) arn = Get(p, "TargetArn");
  if (!Get(p, "PhoneNumber").empty()) throw InvalidParameter("PhoneNumber Reason: SMS is not emulated");
  PublishedMessage m;
  m.topic_arn = arn;
  m.message = Get(p, "Message");
  m.subject = Get(p, "Subject");
  m.message_structure = Get(p, "MessageStructure");
  CheckMessage(m.message, m.subject, m.message_structure);
  m.attributes = MessageAttributes(p);
  if (ctx.identity->read_only)
    throw ApiError{
        403, "AuthorizationError",
        "User: " + ctx.identity->arn + " is not authorized to perform: SNS:Publish on resource: " + arn};
  CheckTopic(im, arn, ctx);
  m.message_id = im.NewRequestId();
  m.caller_arn = ctx.identity->arn;
  m.time = im.clock->Now();
  {
    std::lock_guard<std::mutex> lock(im.sns_mu);
    im.published.push_back(m);
  }
  XmlWriter x;
  OpenQueryResult(x, SnsService(), "Publish");
  x.Leaf("MessageId", m.message_id);
  return QueryReply(x, "Publish", ctx);
}

}  // namespace

std::vector<PublishedMessage> Emulator::PublishedMessages() const {
  std::lock_guard<std::mutex> lock(impl_->sns_mu);
  return impl_->published;
}

const Service& SnsService() {
  static const Service kSns = [] {
    Service s{"sns",
              Protocol::kQuery,
              "2010-03-31",
              "http://sns.amazonaws.com/doc/2010-03-31/",
              "",
              QueryProtocolErrors("InternalError"),
              {}};
    s.operations = {{"Publish", Publish, true, "sns"}};
    return s;
  }();
  return kSns;
}

}  // namespace fleetpatch::emulator
