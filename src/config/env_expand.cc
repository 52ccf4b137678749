#include "config/env_expand.h"

#include <cctype>
#include <cstdlib>

namespace fleetpatch::config {

namespace {

bool ValidName(const std::string& n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

bool ExpandEnv(const std::string& in, const EnvLookup& env, std::string* out, std::string* error) {
  std::string result;
  for (size_t i = 0; i < in.size();) {
    if (in.compare(i, 3, "$${") == 0) {
      result += "${";
      i += 3;
      continue;
    }
    if (in.compare(i, 2, "${") != 0) {
      result += in[i++];
      continue;
    }
    size_t close = in.find('}', i + 2);
    if (close == std::string::npos) {
      *error = "unterminated environment reference starting at \"" + in.substr(i, 20) +
               "\"; write ${NAME} or ${NAME:-default} (use $${ for a literal ${)";
      return false;
    }
    std::string body = in.substr(i + 2, close - i - 2);
    std::string name = body;
    std::optional<std::string> fallback;
    if (size_t sep = body.find(":-"); sep != std::string::npos) {
      name = body.substr(0, sep);
      fallback = body.substr(sep + 2);
    }
    if (!ValidName(name)) {
      *error = "\"${" + body +
               "}\" is not a valid environment reference; a name is letters, digits and _ "
               "(not starting with a digit), as in ${NAME} or ${NAME:-default}";
      return false;
    }
    std::optional<std::string> value = env ? env(name) : std::nullopt;
    if (fallback && (!value || value->empty())) value = fallback;
    if (!value) {
      *error = "environment variable " + name + " is not set (referenced as ${" + name +
               "}); export it, or give a default with ${" + name + ":-value}";
      return false;
    }
    result += *value;
    i = close + 1;
  }
  *out = std::move(result);
  return true;
}

}  // namespace fleetpatch::config
