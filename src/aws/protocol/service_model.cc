#include "aws/protocol/service_model.h"

#include <fmt/format.h>

namespace fleetpatch::aws::protocol {
namespace {

using OJson = nlohmann::ordered_json;

std::string GetString(const OJson& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

bool GetBool(const OJson& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

ShapeRef ParseRef(const OJson& j) {
  ShapeRef ref;
  ref.shape = GetString(j, "shape");
  ref.location_name = GetString(j, "locationName");
  ref.query_name = GetString(j, "queryName");
  if (auto it = j.find("flattened"); it != j.end() && it->is_boolean()) ref.flattened = it->get<bool>();
  ref.xml_attribute = GetBool(j, "xmlAttribute");
  ref.idempotency_token = GetBool(j, "idempotencyToken");
  ref.host_label = GetBool(j, "hostLabel");
  ref.timestamp_format = GetString(j, "timestampFormat");
  ref.location = GetString(j, "location");
  ref.json_value = GetBool(j, "jsonvalue");
  ref.event_payload = GetBool(j, "eventpayload");
  ref.event_header = GetBool(j, "eventheader");
  return ref;
}

Result<ShapeType> ParseType(const std::string& t, const std::string& shape_name) {
  static const std::map<std::string, ShapeType, std::less<>> kTypes = {
      {"structure", ShapeType::kStructure},
      {"list", ShapeType::kList},
      {"map", ShapeType::kMap},
      {"string", ShapeType::kString},
      {"integer", ShapeType::kInteger},
      {"long", ShapeType::kLong},
      {"byte", ShapeType::kInteger},
      {"short", ShapeType::kInteger},
      {"float", ShapeType::kFloat},
      {"double", ShapeType::kDouble},
      {"boolean", ShapeType::kBoolean},
      {"timestamp", ShapeType::kTimestamp},
      {"blob", ShapeType::kBlob},
      {"character", ShapeType::kCharacter},
      {"document", ShapeType::kDocument},
      {"bigdecimal", ShapeType::kDouble},
      {"biginteger", ShapeType::kLong},
  };
  auto it = kTypes.find(t);
  if (it == kTypes.end()) {
    return Error::Internal(fmt::format("service model: shape {} has unknown type '{}'", shape_name, t));
  }
  return it->second;
}

Result<Protocol> ParseProtocol(const std::string& protocol) {
  if (protocol == "ec2") return Protocol::kEc2;
  if (protocol == "query") return Protocol::kQuery;
  if (protocol == "json") return Protocol::kJson;
  return Error::Internal(fmt::format("service model: unsupported protocol '{}'", protocol));
}

Operation ParseOperation(const std::string& name, const OJson& o) {
  Operation op;
  op.name = name;
  if (auto http = o.find("http"); http != o.end()) {
    if (std::string v = GetString(*http, "method"); !v.empty()) op.http_method = v;
    if (std::string v = GetString(*http, "requestUri"); !v.empty()) op.request_uri = v;
  }
  if (auto in = o.find("input"); in != o.end() && in->is_object()) op.input = ParseRef(*in);
  if (auto out = o.find("output"); out != o.end() && out->is_object()) {
    op.output = ParseRef(*out);
    op.result_wrapper = GetString(*out, "resultWrapper");
  }
  if (auto errs = o.find("errors"); errs != o.end() && errs->is_array()) {
    for (const auto& e : *errs) op.errors.push_back(GetString(e, "shape"));
  }
  if (auto ep = o.find("endpoint"); ep != o.end() && ep->is_object())
    op.host_prefix = GetString(*ep, "hostPrefix");
  op.unsigned_request = GetString(o, "authtype") == "none";
  return op;
}

Result<Shape> ParseShape(const std::string& name, const OJson& s) {
  Shape shape;
  shape.name = name;
  FP_ASSIGN_OR_RETURN(shape.type, ParseType(GetString(s, "type"), name));
  if (auto members = s.find("members"); members != s.end() && members->is_object()) {
    for (const auto& [mname, mref] : members->items()) shape.members.emplace_back(mname, ParseRef(mref));
  }
  if (auto mem = s.find("member"); mem != s.end()) shape.member = ParseRef(*mem);
  if (auto key = s.find("key"); key != s.end()) shape.key = ParseRef(*key);
  if (auto value = s.find("value"); value != s.end()) shape.value = ParseRef(*value);
  shape.flattened = GetBool(s, "flattened");
  shape.location_name = GetString(s, "locationName");
  shape.timestamp_format = GetString(s, "timestampFormat");
  shape.exception = GetBool(s, "exception");
  shape.document = GetBool(s, "document");
  shape.event_stream = GetBool(s, "eventstream");
  if (shape.document) shape.type = ShapeType::kDocument;
  shape.error_code = name;
  if (auto err = s.find("error"); err != s.end() && err->is_object()) {
    if (std::string code = GetString(*err, "code"); !code.empty()) shape.error_code = code;
    if (auto st = err->find("httpStatusCode"); st != err->end() && st->is_number_integer()) {
      shape.error_http_status = st->get<int>();
    }
  }
  return shape;
}

}  // namespace

Result<ServiceModel> ServiceModel::Parse(std::string_view json_text) {
  OJson doc = OJson::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error::Internal("service model: not valid JSON");
  return FromJson(doc);
}

Result<ServiceModel> ServiceModel::FromJson(const OJson& model) {
  if (!model.is_object()) return Error::Internal("service model: top level is not an object");
  ServiceModel m;
  const OJson& meta = model.contains("metadata") ? model["metadata"] : OJson::object();
  FP_ASSIGN_OR_RETURN(m.protocol_, ParseProtocol(GetString(meta, "protocol")));
  m.api_version_ = GetString(meta, "apiVersion");
  m.target_prefix_ = GetString(meta, "targetPrefix");
  if (std::string v = GetString(meta, "jsonVersion"); !v.empty()) m.json_version_ = v;
  m.endpoint_prefix_ = GetString(meta, "endpointPrefix");
  if (auto ops = model.find("operations"); ops != model.end() && ops->is_object()) {
    for (const auto& [name, o] : ops->items()) m.operations_.emplace(name, ParseOperation(name, o));
  }
  if (auto shapes = model.find("shapes"); shapes != model.end() && shapes->is_object()) {
    for (const auto& [name, s] : shapes->items()) {
      FP_ASSIGN_OR_RETURN(Shape shape, ParseShape(name, s));
      if (shape.exception) {
        m.error_shapes_.emplace(shape.error_code, name);
        m.error_shapes_.emplace(name, name);
      }
      m.shapes_.emplace(name, std::move(shape));
    }
  }

  // Every reference must resolve, so the engine never meets a dangling shape name mid-request.
  auto check = [&](const ShapeRef& ref, const std::string& from) -> Status {
    if (!ref.shape.empty() && !m.FindShape(ref.shape)) {
      return Error::Internal(fmt::format("service model: {} refers to unknown shape {}", from, ref.shape));
    }
    return OkStatus();
  };
  for (const auto& [name, op] : m.operations_) {
    if (op.input) FP_RETURN_IF_ERROR(check(*op.input, name));
    if (op.output) FP_RETURN_IF_ERROR(check(*op.output, name));
  }
  for (const auto& [name, s] : m.shapes_) {
    for (const auto& [mname, ref] : s.members) FP_RETURN_IF_ERROR(check(ref, name + "." + mname));
    if (s.type == ShapeType::kList) FP_RETURN_IF_ERROR(check(s.member, name + ".member"));
    if (s.type == ShapeType::kMap) {
      FP_RETURN_IF_ERROR(check(s.key, name + ".key"));
      FP_RETURN_IF_ERROR(check(s.value, name + ".value"));
    }
  }
  return m;
}

const Operation* ServiceModel::FindOperation(std::string_view name) const {
  auto it = operations_.find(name);
  return it == operations_.end() ? nullptr : &it->second;
}

const Shape* ServiceModel::FindShape(std::string_view name) const {
  auto it = shapes_.find(name);
  return it == shapes_.end() ? nullptr : &it->second;
}

const Shape* ServiceModel::FindErrorShape(std::string_view code) const {
  auto it = error_shapes_.find(code);
  return it == error_shapes_.end() ? nullptr : FindShape(it->second);
}

std::vector<std::string> ServiceModel::OperationNames() const {
  std::vector<std::string> names;
  for (const auto& [name, op] : operations_) names.push_back(name);
  return names;
}

}  // namespace fleetpatch::aws::protocol
