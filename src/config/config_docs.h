// What the field tables (fields.h) generate for people and editors: the JSON Schemas of the two
// files (schemas/config.schema.json, schemas/landing_zones.schema.json) and the generated blocks
// of docs/configuration.md. config_docs_test.cc fails when a checked-in file differs from them;
// FP_UPDATE_CONFIG_DOCS=1 on that test rewrites the files (ignored under CI=true).
// Thread-safety: pure functions of the immutable tables; safe from any thread.
#pragma once

#include <string>
#include <vector>

namespace fleetpatch::config {

// The text of schemas/config.schema.json and schemas/landing_zones.schema.json.
std::string ConfigSchemaText();
std::string InventorySchemaText();

// A generated block of docs/configuration.md: its name (the marker in the file) and its text.
struct DocBlock {
  std::string name;
  std::string text;
};
// "zone-fields" (the zone keys table), "config-defaults" (the YAML of an empty config) and
// "config-reference" (every config key with default, allowed values and meaning).
std::vector<DocBlock> ConfigDocBlocks();

// `doc` with each block's text put between its markers
//   <!-- BEGIN GENERATED name ... -->  and  <!-- END GENERATED name -->
// (the marker lines kept). Error text in *error and "" returned when a marker is missing.
std::string ReplaceDocBlocks(const std::string& doc, const std::vector<DocBlock>& blocks, std::string* error);

}  // namespace fleetpatch::config
