#include "state/secrets.h"

#include <array>
#include <cctype>

#include "state/postgres_conn.h"

namespace fleetpatch::state {
namespace {

// Normalised suffixes (lower case, no '-' or '_').
constexpr std::array<std::string_view, 11> kSecretSuffixes = {
    "password",        "passwd",     "passphrase", "token",       "secret",    "secretkey",
    "secretaccesskey", "privatekey", "apikey",     "credentials", "externalid"};

std::string Normalise(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '_' || c == '-' || c == '.' || c == ' ') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

// RFC 6901 escaping for a key inside a JSON pointer.
std::string EscapePointerToken(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out.push_back(c);
  }
  return out;
}

bool IsHarmless(const nlohmann::json& v) {
  return v.is_null() || (v.is_string() && (v.get_ref<const std::string&>().empty() ||
                                           v.get_ref<const std::string&>() == kRedacted ||
                                           v.get_ref<const std::string&>() == kLegacyRedacted));
}

void Walk(nlohmann::json& node, const std::string& path, bool redact, std::vector<std::string>* found) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string child = path + "/" + EscapePointerToken(it.key());
      if (LooksSecretKey(it.key())) {
        if (IsHarmless(it.value())) continue;
        if (found) found->push_back(child);
        if (redact) it.value() = std::string(kRedacted);
      } else {
        Walk(it.value(), child, redact, found);
      }
    }
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) Walk(node[i], path + "/" + std::to_string(i), redact, found);
  } else if (node.is_string() && IsPostgresUrl(node.get_ref<const std::string&>())) {
    std::string shown = RedactPostgresUrl(node.get_ref<const std::string&>());
    if (shown == node.get_ref<const std::string&>()) return;
    if (found) found->push_back(path);
    if (redact) node = std::move(shown);
  }
}

}  // namespace

bool LooksSecretKey(std::string_view key) {
  const std::string k = Normalise(key);
  for (std::string_view suffix : kSecretSuffixes) {
    if (k.size() >= suffix.size() && k.compare(k.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  }
  return false;
}

nlohmann::json RedactSecrets(const nlohmann::json& config, std::vector<std::string>* redacted_paths) {
  nlohmann::json copy = config;
  Walk(copy, "", /*redact=*/true, redacted_paths);
  return copy;
}

std::vector<std::string> FindSecrets(const nlohmann::json& config) {
  std::vector<std::string> found;
  nlohmann::json copy = config;  // Walk takes a mutable node; no redaction happens here
  Walk(copy, "", /*redact=*/false, &found);
  return found;
}

}  // namespace fleetpatch::state
