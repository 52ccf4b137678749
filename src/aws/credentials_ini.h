// Parser for the AWS shared files (~/.aws/credentials and ~/.aws/config), following the rules the
// AWS CLI applies (Python configparser plus botocore's nested values):
//  - `[section]` headers (anything after the closing bracket, e.g. a comment, is ignored);
//  - `key = value` or `key: value`; keys are case-insensitive (stored lower-case), values trimmed;
//  - whole-line comments start with `#` or `;`; there are no inline comments in values;
//  - an indented line continues the previous key; when that key's own value is empty the indented
//    lines are a nested sub-section (`s3 =\n  max_concurrent_requests = 10`);
//  - a duplicate section or key, a key before any section, or a line that is none of these is an
//    error naming the file and line (never the line's text: it may hold a secret).
// Thread-safety: plain values; the parse functions are pure.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace fleetpatch::aws {

struct IniSection {
  std::map<std::string, std::string> values;                              // lower-case key -> value
  std::map<std::string, std::map<std::string, std::string>> subsections;  // "s3" -> {key -> value}

  // The value of `key` (case-insensitive), or nullptr.
  const std::string* Find(const std::string& key) const;
  bool Has(const std::string& key) const { return Find(key) != nullptr; }
};

struct IniFile {
  std::map<std::string, IniSection> sections;  // section names are case-sensitive, as in the CLI
  std::vector<std::string> order;              // section names in file order
};

// Parses `text`; `display_name` (e.g. the file path) names the source in error messages.
Result<IniFile> ParseIni(const std::string& text, const std::string& display_name);

// Reads and parses `path`. A missing file is an empty IniFile (the CLI treats it the same way);
// an unreadable one is a kConfig error.
Result<IniFile> LoadIniFile(const std::filesystem::path& path);

}  // namespace fleetpatch::aws
