#include "aws/protocol/json_reader.h"

#include <fmt/format.h>

#include <optional>
#include <unordered_map>
#include <vector>

#include "aws/protocol/json_sax.h"
#include "aws/protocol/shape_values.h"

namespace fleetpatch::aws::protocol {
namespace {

using Json = nlohmann::json;

// nlohmann's SAX handler: keeps a stack of the containers being filled, each with the shape its
// values take. A container whose shape is not a structure, list or map (a document, or a value
// the model calls a string) is kept verbatim, as JsonToShape keeps it.
class OutputReader : public JsonSaxEvents<OutputReader> {
 public:
  OutputReader(const ServiceModel& model, const ShapeRef& output) : model_(model), output_(output) {}

  // The output once the parse succeeded.
  Result<Json> Take() {
    if (error_) return *error_;
    return std::move(root_);
  }

 private:
  struct Frame {
    const Shape* shape;  // a structure, list or map; nullptr: kept verbatim
    Json* node;
    const std::pair<std::string, ShapeRef>* member = nullptr;  // structure: the next value's; null: skip it
    std::string key;                                           // map or verbatim object: the next value's
  };
  // Where the next value goes and which shape it takes.
  struct Target {
    Json* parent = nullptr;             // nullptr: the root
    const std::string* name = nullptr;  // the member or key in an object; nullptr: appended to an array
    const ShapeRef* ref = nullptr;      // nullptr: kept verbatim
    bool skip = false;                  // an unmodelled member: read and dropped
    bool in_structure = false;
  };

  Target Next() const;
  Json* Put(const Target& t, Json v);
  const Shape* Resolve(const ShapeRef& ref);
  friend class JsonSaxEvents<OutputReader>;
  bool Scalar(Json v);
  bool Open(bool object);
  bool Close();
  bool Key(std::string& k);
  bool Fail(Error e) {
    if (!error_) error_ = std::move(e);
    return true;  // keep reading: a body that is not JSON at all is reported as such
  }

  const ServiceModel& model_;
  const ShapeRef& output_;
  Json root_;
  std::vector<Frame> stack_;
  int skipping_ = 0;  // depth inside a dropped container
  std::optional<Error> error_;
  std::unordered_map<const ShapeRef*, const Shape*> shapes_;
};

bool OutputReader::Key(std::string& k) {
  if (skipping_ > 0 || error_ || stack_.empty()) return true;
  Frame& f = stack_.back();
  if (!f.shape || f.shape->type != ShapeType::kStructure) {
    f.key = k;
    return true;
  }
  f.member = nullptr;
  for (const auto& m : f.shape->members) {
    const std::string& wire = m.second.location_name.empty() ? m.first : m.second.location_name;
    if (wire == k) {
      f.member = &m;
      break;
    }
  }
  return true;
}

OutputReader::Target OutputReader::Next() const {
  if (stack_.empty()) return Target{nullptr, nullptr, &output_};
  const Frame& f = stack_.back();
  const std::string* key = f.node->is_object() ? &f.key : nullptr;
  if (!f.shape) return Target{f.node, key};
  switch (f.shape->type) {
    case ShapeType::kStructure:
      if (!f.member) return Target{f.node, nullptr, nullptr, /*skip=*/true};
      return Target{f.node, &f.member->first, &f.member->second, false, /*in_structure=*/true};
    case ShapeType::kList:
      return Target{f.node, nullptr, &f.shape->member};
    default:  // a map
      return Target{f.node, key, &f.shape->value};
  }
}

Json* OutputReader::Put(const Target& t, Json v) {
  if (!t.parent) {
    root_ = std::move(v);
    return &root_;
  }
  if (t.name) {
    Json& slot = (*t.parent)[*t.name];
    slot = std::move(v);
    return &slot;
  }
  t.parent->push_back(std::move(v));
  return &t.parent->back();
}

const Shape* OutputReader::Resolve(const ShapeRef& ref) {
  auto [it, added] = shapes_.try_emplace(&ref, nullptr);
  if (added) it->second = model_.FindShape(ref.shape);
  if (!it->second) Fail(Error::Internal(fmt::format("service model has no shape {}", ref.shape)));
  return it->second;
}

bool OutputReader::Scalar(Json v) {
  if (skipping_ > 0 || error_) return true;
  Target t = Next();
  if (t.skip) return true;
  if (!t.ref) {
    Put(t, std::move(v));
    return true;
  }
  const Shape* shape = Resolve(*t.ref);
  if (!shape) return true;
  if (v.is_null()) {
    if (t.in_structure) {
      t.parent->erase(*t.name);  // a null member is an absent one
    } else {
      Put(t, std::move(v));
    }
    return true;
  }
  if (shape->type == ShapeType::kStructure || shape->type == ShapeType::kMap)
    return Fail(BadResponse(fmt::format("{} is not a JSON object", shape->name)));
  if (shape->type == ShapeType::kList)
    return Fail(BadResponse(fmt::format("{} is not a JSON array", shape->name)));
  Result<Json> value = JsonScalar(std::move(v), *shape);
  if (!value.ok()) return Fail(value.error());
  Put(t, std::move(value).value());
  return true;
}

bool OutputReader::Open(bool object) {
  if (error_) return true;
  if (skipping_ > 0) {
    ++skipping_;
    return true;
  }
  Target t = Next();
  if (t.skip) {
    skipping_ = 1;
    return true;
  }
  const Shape* shape = t.ref ? Resolve(*t.ref) : nullptr;
  if (t.ref && !shape) return true;
  const bool container = shape && (shape->type == ShapeType::kStructure || shape->type == ShapeType::kList ||
                                   shape->type == ShapeType::kMap);
  if (container && object != (shape->type != ShapeType::kList)) {
    return Fail(BadResponse(fmt::format("{} is not a JSON {}", shape->name, object ? "array" : "object")));
  }
  if (shape && !container) {
    // JsonScalar refuses a container only for a timestamp or a blob; otherwise it is kept verbatim.
    Result<Json> verbatim = JsonScalar(object ? Json::object() : Json::array(), *shape);
    if (!verbatim.ok()) return Fail(verbatim.error());
    shape = nullptr;
  }
  Json* node = Put(t, object ? Json::object() : Json::array());
  stack_.push_back(Frame{shape, node});
  return true;
}

bool OutputReader::Close() {
  if (error_) return true;
  if (skipping_ > 0) {
    --skipping_;
    return true;
  }
  stack_.pop_back();
  return true;
}

}  // namespace

Result<nlohmann::json> ReadJsonOutput(const ServiceModel& model, const ShapeRef& output,
                                      std::string_view body) {
  OutputReader reader(model, output);
  if (!Json::sax_parse(body, &reader)) return BadResponse("the body is not JSON");
  return reader.Take();
}

}  // namespace fleetpatch::aws::protocol
