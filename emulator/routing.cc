#include "emulator/routing.h"

namespace fleetpatch::emulator {
namespace {

std::vector<std::string> SplitSlash(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    parts.push_back(s.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) return parts;
    start = slash + 1;
  }
}

// The service of an unsigned request: a JSON service by its target prefix, a Query service by
// its Action; EC2 otherwise.
const Service* GuessService(const Request& req) {
  std::string target = req.Header("X-Amz-Target");
  std::string action = ParseForm(req.body + "&" + req.query)["Action"];
  for (const Service* s : AllServices()) {
    if (s->protocol == Protocol::kJson && !s->target_prefix.empty() && target.rfind(s->target_prefix, 0) == 0)
      return s;
    if (s->protocol == Protocol::kQuery && s->Find(action)) return s;
  }
  return &Ec2Service();
}

void RouteJson(const Request& req, Route* route) {
  const std::string& prefix = route->service->target_prefix;
  std::string target = req.Header("X-Amz-Target");
  if (target.rfind(prefix, 0) != 0)
    throw ApiError{400, "UnknownOperationException", "Missing or unknown X-Amz-Target header"};
  route->operation_name = target.substr(prefix.size());
  try {
    route->body = req.body.empty() ? nlohmann::json::object() : nlohmann::json::parse(req.body);
  } catch (const nlohmann::json::exception&) {
    throw ApiError{400, "SerializationException", "The request body is not valid JSON"};
  }
  if (!route->body.is_object())
    throw ApiError{400, "SerializationException", "The request body must be a JSON object"};
}

void RouteQuery(const Request& req, Route* route) {
  route->params = ParseForm(req.query);
  for (auto& [k, v] : ParseForm(req.body)) route->params[k] = v;
  route->operation_name = route->params["Action"];
  if (route->operation_name.empty()) {
    bool ec2 = route->service->protocol == Protocol::kEc2Query;
    throw ApiError{400, "MissingAction",
                   ec2 ? "The request must contain the parameter Action" : "Missing Action"};
  }
}

}  // namespace

AuthHeader ParseAuthorization(const std::string& value) {
  AuthHeader a;
  if (value.empty()) return a;
  a.present = true;
  static const std::string kAlg = "AWS4-HMAC-SHA256 ";
  if (value.rfind(kAlg, 0) != 0) return a;
  size_t c = value.find("Credential=");
  if (c == std::string::npos) return a;
  size_t end = value.find_first_of(", ", c);
  std::vector<std::string> parts =
      SplitSlash(value.substr(c + 11, end == std::string::npos ? std::string::npos : end - c - 11));
  if (parts.size() != 5 || parts[4] != "aws4_request") return a;
  a.access_key_id = parts[0];
  a.date = parts[1];
  a.region = parts[2];
  a.service = parts[3];
  a.well_formed =
      value.find("SignedHeaders=") != std::string::npos && value.find("Signature=") != std::string::npos;
  return a;
}

void RouteRequest(const Request& req, Route* route) {
  route->auth = ParseAuthorization(req.Header("Authorization"));
  route->region = route->auth.region.empty() ? "us-east-1" : route->auth.region;
  if (route->auth.service.empty()) {
    route->service = GuessService(req);
  } else {
    route->service = ServiceNamed(route->auth.service);
    if (!route->service) {
      route->service = &Ec2Service();
      std::string names;
      for (const Service* s : AllServices()) names += (names.empty() ? "" : ", ") + s->name;
      throw ApiError{400, "InvalidAction",
                     "The credential scope names service '" + route->auth.service +
                         "', which this emulator does not provide (" + names + ")"};
    }
  }
  if (route->service->protocol == Protocol::kJson)
    RouteJson(req, route);
  else
    RouteQuery(req, route);
  route->operation = route->service->Find(route->operation_name);
}

}  // namespace fleetpatch::emulator
