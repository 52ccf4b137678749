// SignedClient: a minimal raw AWS client for tests of the emulator itself: builds an EC2/STS Query
// form or an SSM JSON 1.1 body, signs it with aws::SignRequest at the clock's time and sends it
// through InProcessTransport. It does no retries and no response parsing beyond handing back the
// XML (pugixml) or JSON document, so tests see exactly what the emulator answered.
// Thread-safety: Call is safe from many threads if the credentials are not changed concurrently.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <string>

#include "aws/sigv4.h"
#include "emulator/in_process_transport.h"
#include "emulator/wire.h"

namespace fleetpatch::emulator {

struct RawReply {
  int status = 0;  // 0: no response (dropped connection / timeout; see error)
  std::string body;
  std::string error;     // transport error message
  std::string aws_code;  // error code from the body, "" on success

  // Parsed views (empty documents when the body is not XML/JSON).
  pugi::xml_document xml;
  nlohmann::json json;
  // Text of the first element with this name anywhere in the XML.
  std::string XmlText(const char* name) const {
    auto n = xml.select_node((std::string("//") + name).c_str());
    return n ? n.node().text().as_string() : "";
  }
};

class SignedClient {
 public:
  SignedClient(Emulator& emulator, Clock& clock, aws::Credentials credentials)
      : transport_(emulator, &clock), clock_(clock), credentials_(std::move(credentials)) {}

  void SetCredentials(aws::Credentials c) { credentials_ = std::move(c); }
  const aws::Credentials& credentials() const { return credentials_; }

  // AWS Query or EC2 Query: `service` "ec2", "sts", "autoscaling" or "sns"; params without Action/Version.
  RawReply Query(const std::string& service, const std::string& region, const std::string& action,
                 const std::map<std::string, std::string>& params = {}) {
    static const std::map<std::string, std::string> kVersions = {
        {"sts", "2011-06-15"}, {"autoscaling", "2011-01-01"}, {"sns", "2010-03-31"}, {"ec2", "2016-11-15"}};
    std::string body = "Action=" + action + "&Version=" + kVersions.at(service);
    for (const auto& [k, v] : params) body += "&" + Encode(k) + "=" + Encode(v);
    aws::HttpRequest req;
    req.url = std::string(InProcessTransport::kEndpoint) + "/";
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    req.body = body;
    return Send(req, service, region, /*json=*/false);
  }

  // SSM JSON 1.1.
  RawReply Ssm(const std::string& region, const std::string& operation, const nlohmann::json& body) {
    aws::HttpRequest req;
    req.url = std::string(InProcessTransport::kEndpoint) + "/";
    req.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                   {"X-Amz-Target", "AmazonSSM." + operation}};
    req.body = body.dump();
    return Send(req, "ssm", region, /*json=*/true);
  }

 private:
  static std::string Encode(const std::string& s) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    return out;
  }

  RawReply Send(aws::HttpRequest& req, const std::string& service, const std::string& region, bool json) {
    RawReply reply;
    aws::SigningParams sp;
    sp.region = region;
    sp.service = service;
    sp.time = clock_.Now();
    auto signed_ = aws::SignRequest(req, credentials_, sp);
    if (!signed_.ok()) {
      reply.error = signed_.error().message;
      return reply;
    }
    auto res = transport_.Send(req, aws::HttpOptions{});
    if (!res.ok()) {
      reply.error = res.error().message;
      return reply;
    }
    reply.status = res->status;
    reply.body = res->body;
    if (json) {
      reply.json = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
      if (reply.status >= 300 && reply.json.is_object() && reply.json.contains("__type"))
        reply.aws_code = reply.json["__type"].get<std::string>();
    } else {
      reply.xml.load_string(reply.body.c_str());
      if (reply.status >= 300) reply.aws_code = reply.XmlText("Code");
    }
    return reply;
  }

  InProcessTransport transport_;
  Clock& clock_;
  aws::Credentials credentials_;
};

}  // namespace fleetpatch::emulator
