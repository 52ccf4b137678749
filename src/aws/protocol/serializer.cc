#include "aws/protocol/serializer.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <random>

#include "aws/protocol/encoding.h"

namespace fleetpatch::aws::protocol {
namespace {

using Json = nlohmann::ordered_json;  // keeps map entries in the caller's order
using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string Capitalize(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

Error Invalid(const std::string& path, const std::string& what) {
  return Error::Validation(
      fmt::format("invalid request parameter {}: {}", path.empty() ? "(input)" : path, what));
}

bool IsFloatSpecial(const Json& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  return s == "NaN" || s == "Infinity" || s == "-Infinity";
}

// Reads a timestamp parameter: epoch seconds or a parseable date string.
Result<double> TimestampParam(const Json& v, const std::string& path) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    if (auto t = ParseTimestamp(v.get_ref<const std::string&>())) return *t;
  }
  return Invalid(path, "expected a timestamp (epoch seconds or ISO 8601)");
}

std::string FormatTimestamp(double t, const std::string& format) {
  if (format == "unixTimestamp") return FormatTimestampEpoch(t);
  if (format == "rfc822") return FormatTimestampRfc822(t);
  return FormatTimestampIso8601(t);
}

class Serializer {
 public:
  Serializer(const ServiceModel& model) : model_(model) {}  // NOLINT

  // ---- Query / EC2 ----
  Status Query(const Json& v, const ShapeRef& ref, const std::string& prefix, Pairs* out) {
    const Shape* shape = model_.FindShape(ref.shape);
    if (!shape) return Error::Internal(fmt::format("service model has no shape {}", ref.shape));
    const bool ec2 = model_.protocol() == Protocol::kEc2;
    switch (shape->type) {
      case ShapeType::kStructure: {
        if (!v.is_object()) return Invalid(prefix, "expected an object");
        FP_RETURN_IF_ERROR(CheckKnownMembers(v, *shape, prefix));
        for (const auto& [name, mref] : shape->members) {
          auto it = v.find(name);
          if (it == v.end() || it->is_null()) continue;
          std::string wire = ec2 ? Ec2Name(mref, name) : QueryName(mref, name);
          FP_RETURN_IF_ERROR(Query(*it, mref, prefix.empty() ? wire : prefix + "." + wire, out));
        }
        return OkStatus();
      }
      case ShapeType::kList: {
        if (!v.is_array()) return Invalid(prefix, "expected a list");
        if (ec2) {
          for (size_t i = 0; i < v.size(); ++i) {
            FP_RETURN_IF_ERROR(Query(v[i], shape->member, fmt::format("{}.{}", prefix, i + 1), out));
          }
          return OkStatus();
        }
        if (v.empty()) {
          out->emplace_back(prefix, "");
          return OkStatus();
        }
        std::string list_prefix;
        if (ref.flattened.value_or(shape->flattened)) {
          list_prefix = prefix;
          std::string member_name = MemberLocation(shape->member);
          // Flattened on the list shape (older models): the list member's name replaces the
          // member's. Flattened on the member reference (Smithy's xmlFlattened): the member's own
          // name stands, as the Smithy suites expect.
          if (!member_name.empty() && !ref.flattened.value_or(false)) {
            auto dot = prefix.rfind('.');
            list_prefix = dot == std::string::npos ? member_name : prefix.substr(0, dot + 1) + member_name;
          }
        } else {
          std::string member_name = MemberLocation(shape->member);
          list_prefix = prefix + "." + (member_name.empty() ? "member" : member_name);
        }
        for (size_t i = 0; i < v.size(); ++i) {
          FP_RETURN_IF_ERROR(Query(v[i], shape->member, fmt::format("{}.{}", list_prefix, i + 1), out));
        }
        return OkStatus();
      }
      case ShapeType::kMap: {
        if (!v.is_object()) return Invalid(prefix, "expected a map (JSON object)");
        std::string full = ref.flattened.value_or(shape->flattened) ? prefix : prefix + ".entry";
        std::string key_name = MemberLocation(shape->key);
        std::string value_name = MemberLocation(shape->value);
        if (key_name.empty()) key_name = "key";
        if (value_name.empty()) value_name = "value";
        size_t i = 1;
        for (const auto& [k, val] : v.items()) {
          FP_RETURN_IF_ERROR(Query(Json(k), shape->key, fmt::format("{}.{}.{}", full, i, key_name), out));
          FP_RETURN_IF_ERROR(Query(val, shape->value, fmt::format("{}.{}.{}", full, i, value_name), out));
          ++i;
        }
        return OkStatus();
      }
      default: {
        FP_ASSIGN_OR_RETURN(std::string s, QueryScalar(v, ref, *shape, prefix));
        out->emplace_back(prefix, std::move(s));
        return OkStatus();
      }
    }
  }

  Result<std::string> QueryScalar(const Json& v, const ShapeRef& ref, const Shape& shape,
                                  const std::string& path) {
    switch (shape.type) {
      case ShapeType::kString:
      case ShapeType::kCharacter:
        if (!v.is_string()) return Invalid(path, "expected a string");
        return v.get<std::string>();
      case ShapeType::kBoolean:
        if (!v.is_boolean()) return Invalid(path, "expected true or false");
        return std::string(v.get<bool>() ? "true" : "false");
      case ShapeType::kInteger:
      case ShapeType::kLong:
        if (!v.is_number_integer()) return Invalid(path, "expected an integer");
        return v.dump();
      case ShapeType::kFloat:
      case ShapeType::kDouble:
        if (IsFloatSpecial(v)) return v.get<std::string>();
        if (!v.is_number()) return Invalid(path, "expected a number");
        return v.dump();
      case ShapeType::kTimestamp: {
        FP_ASSIGN_OR_RETURN(double t, TimestampParam(v, path));
        return FormatTimestamp(t, TimestampFormat(ref, shape, "iso8601"));
      }
      case ShapeType::kBlob:
        if (!v.is_string()) return Invalid(path, "expected a string (blob)");
        return Base64Encode(v.get_ref<const std::string&>());
      default:
        return Invalid(path, "this value type cannot be sent in a query request");
    }
  }

  // ---- JSON ----
  Result<Json> ToJson(const Json& v, const ShapeRef& ref, const std::string& path) {
    const Shape* shape = model_.FindShape(ref.shape);
    if (!shape) return Error::Internal(fmt::format("service model has no shape {}", ref.shape));
    switch (shape->type) {
      case ShapeType::kStructure: {
        if (!v.is_object()) return Invalid(path, "expected an object");
        FP_RETURN_IF_ERROR(CheckKnownMembers(v, *shape, path));
        Json out = Json::object();
        for (const auto& [name, mref] : shape->members) {
          auto it = v.find(name);
          if (it == v.end() || it->is_null()) continue;
          std::string wire = mref.location_name.empty() ? name : mref.location_name;
          FP_ASSIGN_OR_RETURN(out[wire], ToJson(*it, mref, Join(path, name)));
        }
        return out;
      }
      case ShapeType::kList: {
        if (!v.is_array()) return Invalid(path, "expected a list");
        Json out = Json::array();
        for (size_t i = 0; i < v.size(); ++i) {
          FP_ASSIGN_OR_RETURN(Json e, ToJson(v[i], shape->member, fmt::format("{}[{}]", path, i)));
          out.push_back(std::move(e));
        }
        return out;
      }
      case ShapeType::kMap: {
        if (!v.is_object()) return Invalid(path, "expected a map (JSON object)");
        Json out = Json::object();
        for (const auto& [k, val] : v.items()) {
          if (val.is_null()) continue;
          FP_ASSIGN_OR_RETURN(out[k], ToJson(val, shape->value, Join(path, k)));
        }
        return out;
      }
      case ShapeType::kString:
      case ShapeType::kCharacter:
        if (v.is_string()) return v;
        if (ref.json_value) return Json(v.dump());
        return Invalid(path, "expected a string");
      case ShapeType::kBoolean:
        if (!v.is_boolean()) return Invalid(path, "expected true or false");
        return v;
      case ShapeType::kInteger:
      case ShapeType::kLong:
        if (!v.is_number_integer()) return Invalid(path, "expected an integer");
        return v;
      case ShapeType::kFloat:
      case ShapeType::kDouble:
        if (IsFloatSpecial(v) || v.is_number()) return v;
        return Invalid(path, "expected a number");
      case ShapeType::kTimestamp: {
        FP_ASSIGN_OR_RETURN(double t, TimestampParam(v, path));
        std::string format = TimestampFormat(ref, *shape, "unixTimestamp");
        if (format == "unixTimestamp") {
          if (std::floor(t) == t) return Json(static_cast<long long>(t));
          return Json(std::round(t * 1000.0) / 1000.0);
        }
        return Json(FormatTimestamp(t, format));
      }
      case ShapeType::kBlob:
        if (!v.is_string()) return Invalid(path, "expected a string (blob)");
        return Json(Base64Encode(v.get_ref<const std::string&>()));
      case ShapeType::kDocument:
        return v;
    }
    return Error::Internal("unreachable shape type");
  }

 private:
  static std::string Join(const std::string& path, const std::string& name) {
    return path.empty() ? name : path + "." + name;
  }

  Status CheckKnownMembers(const Json& v, const Shape& shape, const std::string& path) {
    for (const auto& [key, val] : v.items()) {
      bool known = false;
      for (const auto& [name, mref] : shape.members) {
        if (name == key) {
          known = true;
          break;
        }
      }
      if (!known)
        return Invalid(Join(path, key), fmt::format("{} has no member named '{}'", shape.name, key));
    }
    return OkStatus();
  }

  std::string MemberLocation(const ShapeRef& ref) const {
    if (!ref.location_name.empty()) return ref.location_name;
    const Shape* s = model_.FindShape(ref.shape);
    return s ? s->location_name : std::string();
  }

  std::string QueryName(const ShapeRef& ref, const std::string& name) const {
    std::string loc = MemberLocation(ref);
    return loc.empty() ? name : loc;
  }

  // EC2: queryName, else the capitalised locationName, else the capitalised member name.
  std::string Ec2Name(const ShapeRef& ref, const std::string& name) const {
    if (!ref.query_name.empty()) return ref.query_name;
    std::string loc = MemberLocation(ref);
    return Capitalize(loc.empty() ? name : loc);
  }

  static std::string TimestampFormat(const ShapeRef& ref, const Shape& shape, const char* fallback) {
    if (!ref.timestamp_format.empty()) return ref.timestamp_format;
    if (!shape.timestamp_format.empty()) return shape.timestamp_format;
    return fallback;
  }

  const ServiceModel& model_;
};

}  // namespace

std::string RandomIdempotencyToken() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

Result<SerializedRequest> SerializeRequest(const ServiceModel& model, std::string_view operation,
                                           const nlohmann::json& params,
                                           const IdempotencyTokenGenerator& token_generator) {
  return SerializeRequest(model, operation, nlohmann::ordered_json(params), token_generator);
}

Result<SerializedRequest> SerializeRequest(const ServiceModel& model, std::string_view operation,
                                           const nlohmann::ordered_json& params,
                                           const IdempotencyTokenGenerator& token_generator) {
  const Operation* op = model.FindOperation(operation);
  if (!op) return Error::Validation(fmt::format("unknown operation {} for this service", operation));
  if (!params.is_null() && !params.is_object()) return Invalid("", "parameters must be a JSON object");

  Json input = params.is_null() ? Json::object() : params;
  const Shape* input_shape = op->input ? model.FindShape(op->input->shape) : nullptr;
  if (input_shape) {
    for (const auto& [name, mref] : input_shape->members) {
      if (mref.idempotency_token && (!input.contains(name) || input[name].is_null()) && token_generator) {
        input[name] = token_generator();
      }
    }
  } else if (!input.empty()) {
    return Invalid(input.begin().key(), fmt::format("operation {} takes no parameters", operation));
  }

  SerializedRequest req;
  req.method = op->http_method;
  req.path = op->request_uri;

  // Endpoint trait: "foo.{label}." with labels filled from input members.
  req.host_prefix = op->host_prefix;
  for (size_t open; (open = req.host_prefix.find('{')) != std::string::npos;) {
    size_t close = req.host_prefix.find('}', open);
    if (close == std::string::npos) return Error::Internal("malformed hostPrefix in service model");
    std::string label = req.host_prefix.substr(open + 1, close - open - 1);
    auto it = input.find(label);
    if (it == input.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return Invalid(label, "required for the endpoint host and must be a non-empty string");
    }
    req.host_prefix.replace(open, close - open + 1, it->get<std::string>());
  }

  Serializer s(model);
  if (model.protocol() == Protocol::kJson) {
    req.headers.emplace_back("X-Amz-Target", model.target_prefix() + "." + op->name);
    req.headers.emplace_back("Content-Type", "application/x-amz-json-" + model.json_version());
    if (op->input) {
      FP_ASSIGN_OR_RETURN(Json body, s.ToJson(input, *op->input, ""));
      req.body = body.dump();
    } else {
      req.body = "{}";
    }
    return req;
  }

  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  Pairs pairs;
  pairs.emplace_back("Action", op->name);
  pairs.emplace_back("Version", model.api_version());
  if (op->input) FP_RETURN_IF_ERROR(s.Query(input, *op->input, "", &pairs));
  for (const auto& [k, v] : pairs) {
    if (!req.body.empty()) req.body += '&';
    req.body += PercentEncode(k);
    req.body += '=';
    req.body += PercentEncode(v);
  }
  return req;
}

HttpRequest ToHttpRequest(const SerializedRequest& request, std::string_view endpoint) {
  std::string_view scheme = "https://";
  if (auto p = endpoint.find("://"); p != std::string_view::npos) {
    scheme = endpoint.substr(0, p + 3);
    endpoint.remove_prefix(p + 3);
  }
  std::string_view authority = endpoint.substr(0, endpoint.find('/'));
  std::string_view base_path = authority.size() < endpoint.size() ? endpoint.substr(authority.size()) : "";
  while (!base_path.empty() && base_path.back() == '/') base_path.remove_suffix(1);
  std::string path = request.path.empty() ? "/" : request.path;
  if (path.front() != '/') path.insert(path.begin(), '/');

  HttpRequest out;
  out.method = request.method;
  out.url =
      std::string(scheme) + request.host_prefix + std::string(authority) + std::string(base_path) + path;
  out.headers = request.headers;
  out.body = request.body;
  return out;
}

}  // namespace fleetpatch::aws::protocol
