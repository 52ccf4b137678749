// The field tables: every key of the workflow config file and of a landing zone, with its path,
// type, allowed range and doc line. Defaults are not written here: a field's default is its
// initializer in config.h, read through the row's `value`. From these tables the loader reads the
// sections and fields (loader.cc), ConfigToJson writes the effective config, and config_docs.h
// generates the JSON Schemas (schemas/) and the reference tables of docs/configuration.md, which
// config_docs_test.cc compares with the checked-in files.
// Thread-safety: the tables are built on first use (thread-safe static init) and never change.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"

namespace fleetpatch::config {

class Reader;  // yaml_reader.h, internal to this folder
struct Field;

// A reference to the environment, which every string value may hold (env_expand.h): string
// patterns in the schemas also accept it.
inline constexpr const char* kEnvRefPattern = R"(\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\})";

enum class FieldType {
  kSection,
  kBool,
  kInt,
  kNumber,
  kDuration,
  kCountOrPercent,
  kEnum,
  kString,
  kStringList,
  kCustom
};

struct FieldSpec {
  std::string path;  // "workflow.timeouts.ami_creation"; a zone's fields are relative to the zone
  FieldType type = FieldType::kSection;
  std::string doc;                 // one line: the "meaning" column of the reference
  double min = 0, max = 0;         // kInt, kNumber, kDuration (seconds); kCountOrPercent: max = largest count
  std::string unit;                // kNumber: "%", " GiB", " MiB" in messages
  std::vector<std::string> names;  // kEnum: the accepted words, in the enum's order
  std::string pattern;             // kString / kStringList items: the JSON Schema pattern ("" = any)
  std::string allowed;             // the reference's "allowed" column where the type does not say it
  std::string default_text;        // the reference's "default" column where the value does not say it
  bool required = false;           // zone fields: must be given
  bool zone_default = false;       // zone fields: may also be given in an inventory's `defaults:`
  // Reads the YAML value into the config, recording problems in the reader. Empty for sections
  // and for zone fields (the zone reader in loader.cc applies the inheritance rules).
  std::function<void(Reader&, const Field&, Config*)> read;
  // The field's value in c as JSON (given a default Config: the default). Empty: no default.
  std::function<nlohmann::json(const Config& c)> value;
  // kCustom: the field's JSON Schema (without description and default).
  std::function<nlohmann::ordered_json()> schema;
  // kSection: a check once its fields were read (e.g. "not every phase off"); may be empty.
  std::function<void(Reader&, const Field&, Config*)> after;

  std::string Key() const;     // the last component of path
  std::string Parent() const;  // path without its last component ("" at the top)
};

// The workflow config file: sections before their fields, in the order of the file.
const std::vector<FieldSpec>& ConfigFields();
// A landing zone's keys (inventory files and inline zones), in the order of the docs.
const std::vector<FieldSpec>& ZoneFields();

// The direct children of section `path` ("" = the top) in `table`, in table order.
std::vector<const FieldSpec*> ChildrenOf(const std::vector<FieldSpec>& table, const std::string& path);
// Their keys, for "allowed here" lists.
std::vector<std::string> ChildKeys(const std::vector<FieldSpec>& table, const std::string& path);

}  // namespace fleetpatch::config
