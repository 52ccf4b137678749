#include "aws/credentials_ini.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "common/strings.h"

namespace fleetpatch::aws {

namespace {

Error LineError(const std::string& file, int line, const std::string& what) {
  return Error::Config(file + " line " + std::to_string(line) + ": " + what);
}

// Finalizes a key whose value may have continuation lines into `section`.
struct PendingKey {
  std::string key;
  std::string first_value;
  std::vector<std::pair<int, std::string>> continuation;  // (line number, trimmed text)
  int line = 0;
};

Status Flush(PendingKey& pending, IniSection& section, const std::string& file) {
  if (pending.key.empty()) return OkStatus();
  if (pending.first_value.empty() && !pending.continuation.empty()) {
    // Nested sub-section: each indented line is its own `key = value`.
    std::map<std::string, std::string> sub;
    for (const auto& [line, text] : pending.continuation) {
      size_t eq = text.find('=');
      if (eq == std::string::npos) {
        return LineError(file, line,
                         "expected 'key = value' in the nested section under '" + pending.key + "'");
      }
      std::string k = Lower(Trim(text.substr(0, eq)));
      if (k.empty())
        return LineError(file, line, "empty key in the nested section under '" + pending.key + "'");
      sub[k] = std::string(Trim(text.substr(eq + 1)));
    }
    section.subsections[pending.key] = std::move(sub);
    section.values[pending.key] = "";
  } else {
    std::string value = pending.first_value;
    for (const auto& [line, text] : pending.continuation) value += "\n" + text;
    section.values[pending.key] = std::move(value);
  }
  pending = PendingKey{};
  return OkStatus();
}

}  // namespace

const std::string* IniSection::Find(const std::string& key) const {
  auto it = values.find(Lower(key));
  return it == values.end() ? nullptr : &it->second;
}

Result<IniFile> ParseIni(const std::string& text, const std::string& display_name) {
  IniFile file;
  IniSection* current = nullptr;
  PendingKey pending;
  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    std::string line(Trim(raw));
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    bool indented = std::isspace(static_cast<unsigned char>(raw[0])) != 0;
    if (indented && !pending.key.empty()) {
      pending.continuation.emplace_back(line_no, line);
      continue;
    }
    if (current != nullptr) FP_RETURN_IF_ERROR(Flush(pending, *current, display_name));
    if (line[0] == '[') {
      size_t close = line.rfind(']');
      if (close == std::string::npos || close < 2) {
        return LineError(display_name, line_no, "malformed section header (expected [name])");
      }
      std::string name(Trim(line.substr(1, close - 1)));
      if (name.empty()) return LineError(display_name, line_no, "empty section name");
      if (file.sections.count(name) != 0) {
        return LineError(display_name, line_no, "section [" + name + "] appears twice");
      }
      current = &file.sections[name];
      file.order.push_back(name);
      continue;
    }
    size_t delim = line.find_first_of("=:");
    if (delim == std::string::npos) {
      return LineError(display_name, line_no, "expected '[section]' or 'key = value'");
    }
    if (current == nullptr) {
      return LineError(display_name, line_no, "'key = value' before any [section] header");
    }
    std::string key = Lower(Trim(line.substr(0, delim)));
    if (key.empty())
      return LineError(display_name, line_no, "missing key before '" + line.substr(delim, 1) + "'");
    if (current->values.count(key) != 0) {
      return LineError(display_name, line_no, "key '" + key + "' appears twice in the same section");
    }
    pending.key = key;
    pending.first_value = std::string(Trim(line.substr(delim + 1)));
    pending.line = line_no;
  }
  if (current != nullptr) FP_RETURN_IF_ERROR(Flush(pending, *current, display_name));
  return file;
}

Result<IniFile> LoadIniFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return IniFile{};
  if (std::filesystem::is_directory(path, ec)) {
    return Error::Config(path.string() + " is a directory, expected an AWS shared config/credentials file");
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return Error::Config("cannot read " + path.string() + ": check its permissions");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return Error::Config("error reading " + path.string());
  return ParseIni(ss.str(), path.string());
}

}  // namespace fleetpatch::aws
