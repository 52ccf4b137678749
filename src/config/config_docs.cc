#include "config/config_docs.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "config/fields.h"

namespace fleetpatch::config {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

constexpr const char* kDurationPattern = R"(^[0-9]{1,11}$|^([0-9]{1,9}h)?([0-9]{1,9}m)?([0-9]{1,9}s)?$)";
constexpr const char* kCountOrPercentPattern = R"(^[0-9]{1,9}(\.[0-9]{1,9})?\s*%$|^[0-9]{1,11}$)";

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// A bound as JSON: a whole number without ".0".
ojson Bound(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v))) return static_cast<int64_t>(v);
  return v;
}

ojson StringSchema(const std::string& pattern) {
  ojson o = {{"type", "string"}};
  if (!pattern.empty()) o["pattern"] = pattern + "|" + kEnvRefPattern;
  return o;
}

ojson SectionSchema(const std::vector<FieldSpec>& table, const std::string& path, const Config& defaults);
ojson ZoneSchema(const Config& defaults);
ojson ZoneDefaultsSchema(const Config& defaults);

// The schema of one field: its description, the type's constraints, then its default.
ojson FieldSchema(const std::vector<FieldSpec>& table, const FieldSpec& f, const Config& defaults) {
  ojson o;
  std::string desc = f.doc;
  ojson body;
  const std::string lo = Num(f.min), hi = Num(f.max);
  switch (f.type) {
    case FieldType::kSection:
      body = SectionSchema(table, f.path, defaults);
      break;
    case FieldType::kBool:
      body = {{"type", "boolean"}};
      break;
    case FieldType::kInt:
      body = {{"type", "integer"}, {"minimum", Bound(f.min)}, {"maximum", Bound(f.max)}};
      break;
    case FieldType::kNumber:
      body = {{"type", "number"}, {"minimum", Bound(f.min)}, {"maximum", Bound(f.max)}};
      break;
    case FieldType::kDuration:
      desc += ". Seconds (" + lo + "-" + hi + ") or a duration such as \"30m\" or \"1h30m\"";
      body = {{"oneOf",
               {{{"type", "integer"}, {"minimum", Bound(f.min)}, {"maximum", Bound(f.max)}},
                {{"type", "string"}, {"minLength", 1}, {"pattern", kDurationPattern}}}}};
      break;
    case FieldType::kCountOrPercent:
      desc += ". A count (0-" + hi + ") or a percentage such as \"10%\"";
      body = {{"oneOf",
               {{{"type", "integer"}, {"minimum", 0}, {"maximum", Bound(f.max)}},
                {{"type", "string"}, {"pattern", kCountOrPercentPattern}}}}};
      break;
    case FieldType::kEnum:
      desc += " (the loader accepts any case)";
      body = {{"enum", f.names}};
      break;
    case FieldType::kString:
      body = StringSchema(f.pattern);
      break;
    case FieldType::kStringList:
      body = {{"type", "array"}, {"items", StringSchema(f.pattern)}};
      break;
    case FieldType::kCustom:
      if (f.path == "landing_zones") {
        body = {{"oneOf",
                 {{{"type", "string"}}, {{"type", "array"}, {"items", {{"$ref", "#/$defs/landing_zone"}}}}}}};
      } else if (f.path == "landing_zone_defaults") {
        body = ZoneDefaultsSchema(defaults);
      } else if (f.schema) {
        body = f.schema();
      }
      break;
  }
  if (!desc.empty()) o["description"] = desc;
  for (auto& [k, v] : body.items()) o[k] = v;
  if (f.value && f.type != FieldType::kSection) {
    json v = f.value(defaults);
    o["default"] = v.is_number_float() ? Bound(v.get<double>()) : ojson(v);
  }
  return o;
}

ojson SectionSchema(const std::vector<FieldSpec>& table, const std::string& path, const Config& defaults) {
  ojson props = ojson::object();
  for (const FieldSpec* child : ChildrenOf(table, path))
    props[child->Key()] = FieldSchema(table, *child, defaults);
  return {{"type", "object"}, {"additionalProperties", false}, {"properties", props}};
}

ojson ZoneSchema(const Config& defaults) {
  ojson o = SectionSchema(ZoneFields(), "", defaults);
  ojson required = ojson::array();
  for (const FieldSpec* f : ChildrenOf(ZoneFields(), "")) {
    if (f->required) required.push_back(f->Key());
  }
  // A zone's own fields have no default of their own: they fall back to `defaults:`.
  for (const FieldSpec& f : ZoneFields()) {
    if (!f.zone_default || f.type == FieldType::kSection) continue;
    auto& props = f.Parent().empty() ? o["properties"] : o["properties"][f.Parent()]["properties"];
    props[f.Key()].erase("default");
  }
  o["required"] = required;
  o["not"] = {{"required", {"role_arn", "role_name"}}};
  return o;
}

ojson ZoneDefaultsSchema(const Config& defaults) {
  ojson props = ojson::object();
  for (const FieldSpec* f : ChildrenOf(ZoneFields(), "")) {
    if (f->zone_default) props[f->Key()] = FieldSchema(ZoneFields(), *f, defaults);
  }
  return {{"description", "Inherited by every zone that does not set the field."},
          {"type", "object"},
          {"additionalProperties", false},
          {"properties", props}};
}

ojson SchemaHead(const std::string& file, const std::string& title, const std::string& description) {
  return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
          {"$id", "https://fleetpatch.dev/schemas/" + file},
          {"title", title},
          {"description", description + " Generated from src/config/fields.cc; see docs/configuration.md."},
          {"$defs", {{"landing_zone", ZoneSchema(Config{})}}}};
}

// ---------------------------------------------------------------------------------------------
// Markdown

// A value as the docs show it: `true`, `1800` (30 min), `"10%"`, `[csv, json]`, `""`.
std::string ShowValue(const FieldSpec& f, const json& v) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s.empty() || f.type == FieldType::kCountOrPercent) return "`\"" + s + "\"`";
    return "`" + s + "`";
  }
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + (x.is_string() ? x.get<std::string>() : x.dump());
    return "`[" + s + "]`";
  }
  if (v.is_number() && f.type == FieldType::kDuration) {
    int64_t s = v.get<int64_t>();
    std::string human = s % 3600 == 0 ? std::to_string(s / 3600) + " h"
                        : s % 60 == 0 ? std::to_string(s / 60) + " min"
                                      : std::to_string(s) + " s";
    return "`" + v.dump() + "` (" + human + ")";
  }
  if (v.is_number_float()) return "`" + Num(v.get<double>()) + "`";
  return "`" + v.dump() + "`";
}

std::string Allowed(const FieldSpec& f) {
  const std::string lo = Num(f.min), hi = Num(f.max);
  switch (f.type) {
    case FieldType::kBool:
      return "bool";
    case FieldType::kInt:
      return lo + "-" + hi;
    case FieldType::kNumber:
      return lo + "-" + hi + (f.unit == "%" ? " %" : f.unit);
    case FieldType::kDuration:
      return lo + "-" + hi + " s";
    case FieldType::kCountOrPercent:
      return "count (0-" + hi + ") or percentage (`\"10%\"`)";
    case FieldType::kEnum: {
      std::string s;
      for (const auto& n : f.names) s += (s.empty() ? "`" : " \\| `") + n + "`";
      return s + " (any case)";
    }
    case FieldType::kSection:
      return "mapping";
    default:
      return f.allowed;
  }
}

std::string ConfigReference() {
  const Config defaults;
  std::string out = "| key | default | allowed | meaning |\n|---|---|---|---|\n";
  for (const FieldSpec& f : ConfigFields()) {
    if (f.type == FieldType::kSection && f.doc.empty()) continue;
    std::string def = !f.default_text.empty()                    ? f.default_text
                      : f.value && f.type != FieldType::kSection ? ShowValue(f, f.value(defaults))
                                                                 : "-";
    out += "| `" + f.path + "` | " + def + " | " + Allowed(f) + " | " + f.doc + " |\n";
  }
  return out;
}

std::string ZoneReference() {
  const Config defaults;
  std::string out = "| key | allowed | default | meaning |\n|---|---|---|---|\n";
  for (const FieldSpec& f : ZoneFields()) {
    if (f.type == FieldType::kSection) continue;
    std::string def = f.required ? "- (**required**)" : !f.default_text.empty() ? f.default_text : "-";
    if (f.zone_default && f.value) {
      json v = f.value(defaults);
      bool none = (v.is_string() && v.get<std::string>().empty()) || (v.is_object() && v.empty());
      def = "`defaults." + f.path + "`, else " + (none ? "none" : ShowValue(f, v));
    } else if (f.value) {
      def = ShowValue(f, f.value(defaults));
    }
    out += "| `" + f.path + "` | " + Allowed(f) + " | " + def + " | " + f.doc + " |\n";
  }
  return out;
}

// A YAML scalar or flow collection for the defaults block.
std::string Yaml(const json& v) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    bool plain = !s.empty() &&
                 s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./") ==
                     std::string::npos &&
                 !std::isdigit(static_cast<unsigned char>(s[0]));
    return plain ? s : json(s).dump();
  }
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + Yaml(x);
    return "[" + s + "]";
  }
  if (v.is_object()) return v.empty() ? "{}" : v.dump();
  if (v.is_number_float()) return Num(v.get<double>());
  return v.dump();
}

void YamlSection(const std::vector<FieldSpec>& table, const std::string& path, const Config& c, int depth,
                 std::string* out) {
  const std::string indent(static_cast<size_t>(depth) * 2, ' ');
  for (const FieldSpec* f : ChildrenOf(table, path)) {
    if (f->type == FieldType::kSection) {
      *out += indent + f->Key() + ":\n";
      YamlSection(table, f->path, c, depth + 1, out);
    } else if (f->path == "landing_zone_defaults") {
      *out += indent + f->Key() + ":\n";
      for (const FieldSpec& z : ZoneFields()) {
        if (!z.zone_default) continue;
        const std::string zi(static_cast<size_t>(depth + 1 + (z.Parent().empty() ? 0 : 1)) * 2, ' ');
        *out += zi + z.Key() + ":" + (z.value ? " " + Yaml(z.value(c)) : "") + "\n";
      }
    } else if (f->path == "landing_zones") {
      *out += indent + f->Key() + ": []   # or the path of an inventory file\n";
    } else if (f->value && !f->value(c).is_null()) {  // null: not set by default (e.g. max_unavailable)
      *out += indent + f->Key() + ": " + Yaml(f->value(c)) + "\n";
    }
  }
}

}  // namespace

std::string ConfigSchemaText() {
  ojson o = SchemaHead("config.schema.json", "fleetpatch workflow configuration", "Every key is optional.");
  const ojson top = SectionSchema(ConfigFields(), "", Config{});
  for (const auto& [k, v] : top.items()) o[k] = v;
  return o.dump(2) + "\n";
}

std::string InventorySchemaText() {
  ojson o = SchemaHead("landing_zones.schema.json", "fleetpatch landing-zone inventory",
                       "A mapping {version, defaults, landing_zones} or a bare list of zones.");
  ojson list = {{"type", "array"}, {"items", {{"$ref", "#/$defs/landing_zone"}}}};
  ojson file = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"landing_zones"}},
      {"properties",
       {{"version", {{"const", 1}}}, {"defaults", ZoneDefaultsSchema(Config{})}, {"landing_zones", list}}}};
  o["oneOf"] = {file, list};
  return o.dump(2) + "\n";
}

std::vector<DocBlock> ConfigDocBlocks() {
  std::string yaml = "```yaml\n";
  YamlSection(ConfigFields(), "", Config{}, 0, &yaml);
  yaml += "```\n";
  return {
      {"zone-fields", ZoneReference()}, {"config-defaults", yaml}, {"config-reference", ConfigReference()}};
}

std::string ReplaceDocBlocks(const std::string& doc, const std::vector<DocBlock>& blocks,
                             std::string* error) {
  std::string out = doc;
  for (const DocBlock& b : blocks) {
    const std::string begin = "<!-- BEGIN GENERATED " + b.name, end = "<!-- END GENERATED " + b.name + " -->";
    size_t bpos = out.find(begin);
    size_t bend = bpos == std::string::npos ? bpos : out.find('\n', bpos);
    size_t epos = bend == std::string::npos ? bend : out.find(end, bend);
    if (epos == std::string::npos) {
      *error = "docs/configuration.md has no \"" + begin + " ... -->\" ... \"" + end + "\" block";
      return "";
    }
    out.replace(bend + 1, epos - bend - 1, b.text);
  }
  return out;
}

}  // namespace fleetpatch::config
