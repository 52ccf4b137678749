#include "aws/protocol/parser.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <pugixml.hpp>
#include <string_view>
#include <unordered_map>

#include "aws/protocol/encoding.h"
#include "aws/protocol/event_stream.h"
#include "aws/protocol/json_reader.h"
#include "aws/protocol/shape_values.h"

namespace fleetpatch::aws::protocol {
namespace {

using Json = nlohmann::json;

// Local name of an element or attribute: "ns:Foo" -> "Foo".
std::string_view LocalName(const char* name) {
  std::string_view n(name);
  auto colon = n.find(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

pugi::xml_node Child(pugi::xml_node parent, std::string_view name) {
  for (pugi::xml_node c : parent.children()) {
    if (c.type() == pugi::node_element && LocalName(c.name()) == name) return c;
  }
  return {};
}

std::string Text(pugi::xml_node n) {
  std::string out;
  for (pugi::xml_node c : n.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  }
  return out;
}

std::string StripErrorCode(std::string code) {
  if (auto colon = code.find(':'); colon != std::string::npos) code.resize(colon);
  if (auto hash = code.rfind('#'); hash != std::string::npos) code.erase(0, hash + 1);
  return code;
}

class Parser {
 public:
  explicit Parser(const ServiceModel& model) : model_(model) {}

  // ---- XML ----
  Result<Json> Xml(pugi::xml_node node, const ShapeRef& ref) {
    const Shape* shape = model_.FindShape(ref.shape);
    if (!shape) return Error::Internal(fmt::format("service model has no shape {}", ref.shape));
    switch (shape->type) {
      case ShapeType::kStructure: {
        Json out = Json::object();
        // One pass over the children, so large pages cost O(children + members), not their product.
        std::unordered_map<std::string_view, std::vector<pugi::xml_node>> children;
        for (pugi::xml_node c : node.children()) {
          if (c.type() == pugi::node_element) children[LocalName(c.name())].push_back(c);
        }
        for (const auto& [name, mref] : shape->members) {
          const Shape* mshape = model_.FindShape(mref.shape);
          if (mref.xml_attribute) {
            std::string attr = Location(mref).empty() ? name : Location(mref);
            for (pugi::xml_attribute a : node.attributes()) {
              if (attr == a.name() || LocalName(a.name()) == LocalName(attr.c_str())) {
                FP_ASSIGN_OR_RETURN(out[name], XmlScalar(a.value(), mref, *mshape));
                break;
              }
            }
            continue;
          }
          bool flat = Flattened(mref, *mshape);
          std::string key = XmlMemberKey(mref, *mshape, name, flat);
          auto found = children.find(key);
          if (found == children.end()) continue;
          const std::vector<pugi::xml_node>& nodes = found->second;
          if (flat && mshape->type == ShapeType::kList) {
            Json list = Json::array();
            for (pugi::xml_node n : nodes) {
              FP_ASSIGN_OR_RETURN(Json e, Xml(n, mshape->member));
              list.push_back(std::move(e));
            }
            out[name] = std::move(list);
          } else if (flat && mshape->type == ShapeType::kMap) {
            Json map = Json::object();
            for (pugi::xml_node n : nodes) FP_RETURN_IF_ERROR(XmlMapEntry(n, *mshape, &map));
            out[name] = std::move(map);
          } else {
            FP_ASSIGN_OR_RETURN(out[name], Xml(nodes.front(), mref));
          }
        }
        return out;
      }
      case ShapeType::kList: {
        Json list = Json::array();
        for (pugi::xml_node c : node.children()) {
          if (c.type() != pugi::node_element) continue;
          FP_ASSIGN_OR_RETURN(Json e, Xml(c, shape->member));
          list.push_back(std::move(e));
        }
        return list;
      }
      case ShapeType::kMap: {
        Json map = Json::object();
        for (pugi::xml_node c : node.children()) {
          if (c.type() == pugi::node_element) FP_RETURN_IF_ERROR(XmlMapEntry(c, *shape, &map));
        }
        return map;
      }
      default:
        return XmlScalar(Text(node), ref, *shape);
    }
  }

  Status XmlMapEntry(pugi::xml_node entry, const Shape& map_shape, Json* out) {
    std::string key_name = Location(map_shape.key);
    std::string value_name = Location(map_shape.value);
    if (key_name.empty()) key_name = "key";
    if (value_name.empty()) value_name = "value";
    pugi::xml_node k = Child(entry, key_name);
    pugi::xml_node v = Child(entry, value_name);
    if (!k) return Error::Internal(fmt::format("XML map entry without <{}>", key_name));
    std::string key = Text(k);
    if (!v) {
      (*out)[key] = nullptr;
      return OkStatus();
    }
    FP_ASSIGN_OR_RETURN((*out)[key], Xml(v, map_shape.value));
    return OkStatus();
  }

  Result<Json> XmlScalar(const std::string& text, const ShapeRef& ref, const Shape& shape) {
    switch (shape.type) {
      case ShapeType::kBoolean:
        return Json(text == "true");
      case ShapeType::kInteger:
      case ShapeType::kLong: {
        char* end = nullptr;
        long long v = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0')
          return Bad(fmt::format("'{}' is not an integer ({})", text, shape.name));
        return Json(v);
      }
      case ShapeType::kFloat:
      case ShapeType::kDouble:
        return NumberText(text, shape);
      case ShapeType::kTimestamp: {
        // An unparseable date is kept as the raw text: one odd field must not lose a whole page.
        auto t = ParseTimestamp(text);
        if (!t) return Json(text);
        return TimestampJson(*t);
      }
      case ShapeType::kBlob: {
        auto b = Base64Decode(text);
        if (!b) return Bad(fmt::format("{} is not valid base64", shape.name));
        return Json(std::move(*b));
      }
      default:
        (void)ref;
        return Json(text);
    }
  }

  // ---- JSON ----
  Result<Json> FromJson(const Json& v, const ShapeRef& ref) {
    const Shape* shape = model_.FindShape(ref.shape);
    if (!shape) return Error::Internal(fmt::format("service model has no shape {}", ref.shape));
    if (v.is_null()) return Json(nullptr);
    switch (shape->type) {
      case ShapeType::kStructure: {
        if (!v.is_object()) return Bad(fmt::format("{} is not a JSON object", shape->name));
        Json out = Json::object();
        for (const auto& [name, mref] : shape->members) {
          std::string wire = mref.location_name.empty() ? name : mref.location_name;
          auto it = v.find(wire);
          if (it == v.end() || it->is_null()) continue;
          FP_ASSIGN_OR_RETURN(out[name], FromJson(*it, mref));
        }
        return out;
      }
      case ShapeType::kList: {
        if (!v.is_array()) return Bad(fmt::format("{} is not a JSON array", shape->name));
        Json out = Json::array();
        for (const auto& e : v) {
          FP_ASSIGN_OR_RETURN(Json p, FromJson(e, shape->member));
          out.push_back(std::move(p));
        }
        return out;
      }
      case ShapeType::kMap: {
        if (!v.is_object()) return Bad(fmt::format("{} is not a JSON object", shape->name));
        Json out = Json::object();
        for (const auto& [k, e] : v.items()) {
          FP_ASSIGN_OR_RETURN(out[k], FromJson(e, shape->value));
        }
        return out;
      }
      default:
        return JsonScalar(v, *shape);
    }
  }

 private:
  static Error Bad(const std::string& what) { return BadResponse(what); }

  std::string Location(const ShapeRef& ref) const {
    if (!ref.location_name.empty()) return ref.location_name;
    const Shape* s = model_.FindShape(ref.shape);
    return s ? s->location_name : std::string();
  }

  static bool Flattened(const ShapeRef& ref, const Shape& shape) {
    return ref.flattened.value_or(shape.flattened);
  }

  // The element name a structure member appears under: a list flattened on its shape (older
  // models, botocore's rule) whose member is named repeats that name; otherwise (including lists
  // flattened on the member reference, Smithy's xmlFlattened) the member's locationName, else its
  // model name.
  std::string XmlMemberKey(const ShapeRef& ref, const Shape& shape, const std::string& name,
                           bool flat) const {
    if (flat && shape.type == ShapeType::kList && !ref.flattened.value_or(false)) {
      std::string member_loc = Location(shape.member);
      if (!member_loc.empty()) return member_loc;
    }
    std::string loc = Location(ref);
    return loc.empty() ? name : loc;
  }

  const ServiceModel& model_;
};

Error WithResponse(Error e, const HttpResponse& r) {
  e.http_status = r.status;
  return e;
}

std::string RequestIdHeader(const HttpResponse& r) {
  if (const std::string* id = FindHeader(r.headers, "x-amzn-RequestId")) return *id;
  if (const std::string* id = FindHeader(r.headers, "x-amz-request-id")) return *id;
  return {};
}

std::string BodyExcerpt(const std::string& body) {
  std::string s = body.substr(0, 200);
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return s;
}

// An output whose member is an event stream: the "initial-response" event carries the other
// output members (JSON); every other event becomes {EventType: {...}} in the stream member's list.
Result<Json> ParseEventStreamOutput(const ServiceModel& model, const ShapeRef& output,
                                    const std::pair<std::string, ShapeRef>& stream_member,
                                    const std::string& body) {
  FP_ASSIGN_OR_RETURN(std::vector<EventMessage> messages, DecodeEventStream(body));
  Parser parser(model);
  const Shape* stream_shape = model.FindShape(stream_member.second.shape);
  Json out = Json::object();
  Json events = Json::array();
  for (const EventMessage& m : messages) {
    auto header = [&](const char* name) {
      auto it = m.headers.find(name);
      return it == m.headers.end() ? std::string() : it->second;
    };
    std::string message_type = header(":message-type");
    if (message_type == "exception" || message_type == "error") {
      Error e{ErrorCategory::kAws, "the service sent an error event"};
      e.aws_code = message_type == "error" ? header(":error-code") : header(":exception-type");
      Json payload = Json::parse(m.payload, nullptr, /*allow_exceptions=*/false);
      if (payload.is_object()) {
        for (const char* k : {"message", "Message"}) {
          if (payload.contains(k) && payload[k].is_string()) e.message = payload[k];
        }
      }
      if (!header(":error-message").empty()) e.message = header(":error-message");
      return e;
    }
    std::string event_type = header(":event-type");
    if (event_type == "initial-response") {
      Json payload = Json::parse(m.payload, nullptr, /*allow_exceptions=*/false);
      if (!payload.is_object())
        return Error{ErrorCategory::kAws, "event stream initial response is not JSON"};
      FP_ASSIGN_OR_RETURN(Json initial, parser.FromJson(payload, output));
      for (auto& [k, v] : initial.items()) {
        if (k != stream_member.first) out[k] = v;
      }
      continue;
    }
    const ShapeRef* event_ref = nullptr;
    for (const auto& [name, ref] : stream_shape->members) {
      if (name == event_type) event_ref = &ref;
    }
    if (!event_ref) continue;  // an event type newer than the model: skipped, as SDKs do
    const Shape* event_shape = model.FindShape(event_ref->shape);
    Json event = Json::object();
    bool has_payload_member = false;
    for (const auto& [name, ref] : event_shape->members) {
      const Shape* ms = model.FindShape(ref.shape);
      if (ref.event_payload) {
        has_payload_member = true;
        if (ms->type == ShapeType::kBlob || ms->type == ShapeType::kString) {
          event[name] = m.payload;
        } else {
          Json payload = Json::parse(m.payload, nullptr, /*allow_exceptions=*/false);
          if (payload.is_discarded()) return Error{ErrorCategory::kAws, "event payload is not JSON"};
          FP_ASSIGN_OR_RETURN(event[name], parser.FromJson(payload, ref));
        }
      } else if (ref.event_header) {
        auto it = m.headers.find(name);
        if (it == m.headers.end()) continue;
        if (ms->type == ShapeType::kInteger || ms->type == ShapeType::kLong) {
          event[name] = std::stoll(it->second);
        } else if (ms->type == ShapeType::kBoolean) {
          event[name] = it->second == "true";
        } else {
          event[name] = it->second;
        }
      }
    }
    if (!has_payload_member && !m.payload.empty()) {
      Json payload = Json::parse(m.payload, nullptr, /*allow_exceptions=*/false);
      if (payload.is_object()) {
        FP_ASSIGN_OR_RETURN(Json members, parser.FromJson(payload, *event_ref));
        for (auto& [k, v] : members.items()) event[k] = v;
      }
    }
    events.push_back(Json{{event_type, std::move(event)}});
  }
  out[stream_member.first] = std::move(events);
  return out;
}

}  // namespace

Result<nlohmann::json> JsonToShape(const ServiceModel& model, const ShapeRef& ref,
                                   const nlohmann::json& doc) {
  return Parser(model).FromJson(doc, ref);
}

Result<nlohmann::json> ParseResponse(const ServiceModel& model, std::string_view operation,
                                     const HttpResponse& response) {
  const Operation* op = model.FindOperation(operation);
  if (!op) return Error::Internal(fmt::format("unknown operation {}", operation));
  Parser parser(model);
  Json out = Json::object();
  std::string request_id = RequestIdHeader(response);
  bool blank = response.body.find_first_not_of(" \t\r\n") == std::string::npos;

  const Shape* output_shape = op->output ? model.FindShape(op->output->shape) : nullptr;
  const std::pair<std::string, ShapeRef>* stream_member = nullptr;
  if (output_shape) {
    for (const auto& m : output_shape->members) {
      const Shape* ms = model.FindShape(m.second.shape);
      if (ms && ms->event_stream) stream_member = &m;
    }
  }
  if (stream_member) {
    auto r = ParseEventStreamOutput(model, *op->output, *stream_member, response.body);
    if (!r.ok()) return WithResponse(r.error(), response);
    out = std::move(r).value();
  } else if (model.protocol() == Protocol::kJson) {
    if (!blank) {
      if (!op->output) {
        if (!Json::accept(response.body)) return WithResponse(BadResponse("the body is not JSON"), response);
      } else {
        auto r = ReadJsonOutput(model, *op->output, response.body);
        if (!r.ok()) return WithResponse(r.error(), response);
        if (r->is_object()) out = std::move(r).value();
      }
    }
  } else if (!blank) {
    pugi::xml_document doc;
    pugi::xml_parse_result pr = doc.load_buffer(response.body.data(), response.body.size());
    if (!pr) {
      return WithResponse(
          Error{ErrorCategory::kAws,
                fmt::format("could not parse the AWS response: invalid XML ({})", pr.description())},
          response);
    }
    pugi::xml_node root = doc.document_element();
    pugi::xml_node body = root;
    if (model.protocol() == Protocol::kQuery) {
      std::string wrapper = op->result_wrapper.empty() ? op->name + "Result" : op->result_wrapper;
      if (pugi::xml_node w = Child(root, wrapper)) body = w;
      if (pugi::xml_node md = Child(root, "ResponseMetadata")) {
        if (pugi::xml_node id = Child(md, "RequestId")) request_id = Text(id);
      }
    }
    if (pugi::xml_node id = Child(root, "requestId")) request_id = Text(id);
    if (op->output) {
      auto r = parser.Xml(body, *op->output);
      if (!r.ok()) return WithResponse(r.error(), response);
      out = std::move(r).value();
    }
  }
  if (!request_id.empty()) out["ResponseMetadata"]["RequestId"] = request_id;
  return out;
}

ServiceError ParseErrorResponse(const ServiceModel& model, std::string_view operation,
                                const HttpResponse& response) {
  ServiceError err;
  err.http_status = response.status;
  err.request_id = RequestIdHeader(response);
  const Operation* op = model.FindOperation(operation);
  Parser parser(model);

  auto find_error_shape = [&](const std::string& code) -> const Shape* {
    if (op) {
      for (const std::string& name : op->errors) {
        const Shape* s = model.FindShape(name);
        if (s && (s->error_code == code || s->name == code)) return s;
      }
    }
    // Services answer with errors the operation does not list; the model may still know them.
    return model.FindErrorShape(code);
  };

  if (model.protocol() == Protocol::kJson) {
    Json doc = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) doc = Json::object();
    std::string code;
    if (const std::string* h = FindHeader(response.headers, "X-Amzn-Errortype")) code = *h;
    if (code.empty() && doc.contains("__type") && doc["__type"].is_string()) code = doc["__type"];
    if (code.empty() && doc.contains("code") && doc["code"].is_string()) code = doc["code"];
    err.code = StripErrorCode(code);
    for (const char* k : {"message", "Message", "errorMessage"}) {
      if (doc.contains(k) && doc[k].is_string()) {
        err.message = doc[k];
        break;
      }
    }
    if (const Shape* s = find_error_shape(err.code)) {
      auto members = parser.FromJson(doc, ShapeRef{.shape = s->name});
      if (members.ok()) err.members = std::move(members).value();
    }
  } else {
    pugi::xml_document doc;
    if (doc.load_buffer(response.body.data(), response.body.size())) {
      pugi::xml_node root = doc.document_element();
      pugi::xml_node error;
      if (LocalName(root.name()) == "Response") {
        error = Child(Child(root, "Errors"), "Error");
      } else if (LocalName(root.name()) == "ErrorResponse") {
        error = Child(root, "Error");
      } else if (LocalName(root.name()) == "Error") {
        error = root;
      }
      if (error) {
        err.code = StripErrorCode(Text(Child(error, "Code")));
        err.message = Text(Child(error, "Message"));
        if (err.message.empty()) err.message = Text(Child(error, "message"));
        err.type = Text(Child(error, "Type"));
        for (const char* k : {"RequestID", "RequestId", "requestId"}) {
          if (pugi::xml_node id = Child(root, k))
            err.request_id = Text(id);
          else if (pugi::xml_node eid = Child(error, k))
            err.request_id = Text(eid);
        }
        if (const Shape* s = find_error_shape(err.code)) {
          auto members = parser.Xml(error, ShapeRef{.shape = s->name});
          if (members.ok()) err.members = std::move(members).value();
        }
      }
    }
  }
  if (err.code.empty()) {
    err.code = fmt::format("HttpStatus{}", response.status);
    if (err.message.empty()) {
      err.message = response.body.empty()
                        ? fmt::format("HTTP status {} with an empty body", response.status)
                        : fmt::format("HTTP status {}: {}", response.status, BodyExcerpt(response.body));
    }
  }
  return err;
}

}  // namespace fleetpatch::aws::protocol
