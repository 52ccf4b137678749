// The YAML reading kit of the config loader (internal to src/config; yaml-cpp never leaves this
// folder): a Field (a node with its path and position) and a Reader that turns nodes into typed
// values, recording a Problem with file, line, column and field path for anything it rejects.
// Thread-safety: a Reader appends to its problem list; use one per thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "common/count_or_percent.h"
#include "common/strings.h"
#include "config/env_expand.h"
#include "config/loader.h"
#include "config/names.h"

namespace fleetpatch::config {

// Where a key written at the wrong level belongs ("workflow:"), from the field tables; "" when
// the key is unknown everywhere or allowed_here already shows the right place (fields.cc).
std::string HomeOf(const std::string& key, const std::vector<std::string>& allowed_here);

class Reader;
struct Field;
// The config's landing_zones (a path to an inventory or a list) and landing_zone_defaults, read by
// the zone reader in loader.cc (they need its inheritance rules and file loading).
void ReadLandingZonesField(Reader& r, const Field& f, Config* c);
void ReadZoneDefaultsField(Reader& r, const Field& f, Config* c);

inline bool IsPlain(const YAML::Node& n) { return n.IsScalar() && n.Tag() == "?"; }

// What a node is, for "found ..." in messages.
inline std::string Describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "no value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar: {
      std::string v = n.Scalar();
      if (v.size() > 60) v = v.substr(0, 57) + "...";
      return IsPlain(n) ? "'" + v + "'" : "the quoted string \"" + v + "\"";
    }
    default:
      return "nothing";
  }
}

// A value together with where it sits: the key's position when the value is null.
struct Field {
  YAML::Node value;
  std::string path;
  YAML::Mark mark;
};

inline YAML::Mark MarkOf(const YAML::Node& value, const YAML::Node& key) {
  if (value && !value.IsNull() && value.Mark().line >= 0) return value.Mark();
  if (key && key.Mark().line >= 0) return key.Mark();
  return YAML::Mark();
}

class Reader {
 public:
  Reader(std::string file, const EnvLookup& env, std::vector<Problem>* problems)
      : file_(std::move(file)), env_(env), problems_(problems) {}

  const std::string& file() const { return file_; }
  const EnvLookup& env() const { return env_; }
  std::vector<Problem>* problems() const { return problems_; }

  // For the config's landing_zones: where a relative inventory path starts, and whether to load it.
  std::filesystem::path base_dir;
  bool load_landing_zones = true;

  void Add(const YAML::Mark& m, const std::string& path, std::string message) {
    Problem p;
    p.file = file_;
    p.line = m.line >= 0 ? m.line + 1 : 0;
    p.column = m.line >= 0 ? m.column + 1 : 0;
    p.path = path;
    p.message = std::move(message);
    problems_->push_back(std::move(p));
  }
  void Add(const Field& f, std::string message) { Add(f.mark, f.path, std::move(message)); }

  // The entries of a mapping, keyed by name; null values are left out (they mean "default").
  // Reports a non-mapping, unknown keys (with a suggestion), non-scalar keys and duplicates.
  // allowed empty = any key.
  std::optional<std::map<std::string, Field>> Map(const Field& f, const std::vector<std::string>& allowed,
                                                  const char* what = nullptr) {
    if (!f.value.IsMap()) {
      std::string expected = what ? what : ("a mapping with the keys " + Join(allowed, ", "));
      Add(f, "expected " + expected + "; found " + Describe(f.value));
      return std::nullopt;
    }
    std::map<std::string, Field> out;
    std::map<std::string, int> first_line;
    for (auto it = f.value.begin(); it != f.value.end(); ++it) {
      const YAML::Node k = it->first;  // a copy: the iterator hands out a temporary pair
      std::string child_path_prefix = f.path.empty() ? "" : f.path + ".";
      if (!k.IsScalar()) {
        Add(MarkOf(k, k), f.path, "a key must be a plain name; found " + Describe(k));
        continue;
      }
      const std::string key = k.Scalar();
      Field child{it->second, child_path_prefix + key, MarkOf(it->second, k)};
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string msg = "unknown key \"" + key + "\"";
        if (std::string s = DidYouMean(key, allowed); !s.empty()) {
          msg += " (did you mean \"" + s + "\"?)";
        } else if (std::string home = HomeOf(key, allowed); !home.empty()) {
          msg += " (it belongs under " + home + ")";
        }
        Add(k.Mark(), child.path, msg + "; allowed here: " + Join(allowed, ", "));
        continue;
      }
      if (auto fl = first_line.find(key); fl != first_line.end()) {
        Add(k.Mark(), child.path,
            "duplicate key \"" + key + "\" (first given on line " + std::to_string(fl->second) +
                "); give it once");
        continue;
      }
      first_line[key] = k.Mark().line + 1;
      if (it->second.IsNull()) continue;
      out.emplace(key, std::move(child));
    }
    return out;
  }

  bool String(const Field& f, std::string* out) {
    if (!f.value.IsScalar()) {
      Add(f, "expected a string; found " + Describe(f.value));
      return false;
    }
    std::string expanded, err;
    if (!ExpandEnv(f.value.Scalar(), env_, &expanded, &err)) {
      Add(f, err);
      return false;
    }
    *out = std::move(expanded);
    return true;
  }

  bool Bool(const Field& f, bool* out) {
    if (IsPlain(f.value)) {
      std::string v = Lower(f.value.Scalar());
      if (v == "true") return *out = true, true;
      if (v == "false") return *out = false, true;
    }
    Add(f, "expected true or false; found " + Describe(f.value));
    return false;
  }

  bool Int(const Field& f, int64_t min, int64_t max, int64_t* out, const char* unit = "") {
    static const std::regex kInt("^[-+]?[0-9]+$");
    if (!IsPlain(f.value) || !std::regex_match(f.value.Scalar(), kInt)) {
      std::string hint = f.value.IsScalar() && !IsPlain(f.value) ? " (write the number without quotes)" : "";
      Add(f, "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) + unit +
                 "; found " + Describe(f.value) + hint);
      return false;
    }
    errno = 0;
    long long v = std::strtoll(f.value.Scalar().c_str(), nullptr, 10);
    if (errno == ERANGE || v < min || v > max) {
      Add(f, "out of range: " + f.value.Scalar() + unit + "; allowed: " + std::to_string(min) + " to " +
                 std::to_string(max) + unit);
      return false;
    }
    *out = v;
    return true;
  }

  bool Int32(const Field& f, int min, int max, int* out) {
    int64_t v = 0;
    if (!Int(f, min, max, &v)) return false;
    *out = static_cast<int>(v);
    return true;
  }

  bool Number(const Field& f, double min, double max, double* out, const char* unit = "") {
    static const std::regex kNum(R"(^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$)");
    auto fmt = [](double d) {
      std::ostringstream s;
      s << d;
      return s.str();
    };
    if (!IsPlain(f.value) || !std::regex_match(f.value.Scalar(), kNum)) {
      std::string hint = f.value.IsScalar() && !IsPlain(f.value) ? " (write the number without quotes)" : "";
      Add(f, "expected a number from " + fmt(min) + " to " + fmt(max) + unit + "; found " +
                 Describe(f.value) + hint);
      return false;
    }
    double v = std::strtod(f.value.Scalar().c_str(), nullptr);
    if (!std::isfinite(v) || v < min || v > max) {
      Add(f,
          "out of range: " + f.value.Scalar() + unit + "; allowed: " + fmt(min) + " to " + fmt(max) + unit);
      return false;
    }
    *out = v;
    return true;
  }

  // Seconds as a whole number, or a string like "90s", "30m", "1h30m".
  bool Duration(const Field& f, int64_t min_s, int64_t max_s, std::chrono::seconds* out) {
    const std::string allowed = "a number of seconds from " + std::to_string(min_s) + " to " +
                                std::to_string(max_s) + ", or a duration such as \"30m\" or \"1h30m\"";
    if (!f.value.IsScalar()) {
      Add(f, "expected " + allowed + "; found " + Describe(f.value));
      return false;
    }
    const std::string s = f.value.Scalar();
    int64_t total = 0;
    static const std::regex kSeconds("^[0-9]+$");
    static const std::regex kDuration("^([0-9]{1,9}h)?([0-9]{1,9}m)?([0-9]{1,9}s)?$");
    std::smatch m;
    if (std::regex_match(s, kSeconds) && s.size() < 12) {
      total = std::stoll(s);
    } else if (!s.empty() && s.size() < 24 && std::regex_match(s, m, kDuration)) {
      auto part = [&](int i, int64_t mult) {
        if (m[i].matched) total += std::stoll(m[i].str().substr(0, m[i].length() - 1)) * mult;
      };
      part(1, 3600);
      part(2, 60);
      part(3, 1);
    } else {
      Add(f, "expected " + allowed + "; found " + Describe(f.value));
      return false;
    }
    if (total < min_s || total > max_s) {
      Add(f, "out of range: " + s + " is " + std::to_string(total) + " s; allowed: " + allowed);
      return false;
    }
    *out = std::chrono::seconds(total);
    return true;
  }

  // One of a fixed set of words (case-insensitive); *out gets the canonical spelling.
  bool Enum(const Field& f, const std::vector<std::string>& allowed, std::string* out) {
    if (f.value.IsScalar()) {
      for (const auto& a : allowed) {
        if (Lower(a) == Lower(f.value.Scalar())) return *out = a, true;
      }
    }
    std::string msg = "found " + Describe(f.value);
    if (f.value.IsScalar()) {
      if (std::string s = DidYouMean(f.value.Scalar(), allowed); !s.empty())
        msg += " (did you mean \"" + s + "\"?)";
    }
    Add(f, msg + "; allowed: " + Join(allowed, ", "));
    return false;
  }

  // A list of strings; a single string is accepted as a list of one when allow_single.
  bool StringList(const Field& f, std::vector<std::string>* out, bool allow_single) {
    std::vector<std::string> result;
    if (f.value.IsScalar() && allow_single) {
      std::string s;
      if (!String(f, &s)) return false;
      result.push_back(s);
    } else if (f.value.IsSequence()) {
      bool ok = true;
      for (size_t i = 0; i < f.value.size(); ++i) {
        Field item{f.value[i], f.path + "[" + std::to_string(i) + "]", MarkOf(f.value[i], f.value)};
        std::string s;
        if (String(item, &s)) {
          result.push_back(s);
        } else {
          ok = false;
        }
      }
      if (!ok) return false;
    } else {
      Add(f, std::string("expected a list of strings") + (allow_single ? " or a single string" : "") +
                 "; found " + Describe(f.value));
      return false;
    }
    *out = std::move(result);
    return true;
  }

  // "10%" (a percentage, 0-100) or a whole number (a count, 0-max_count).
  bool CountOrPct(const Field& f, int64_t max_count, CountOrPercent* out) {
    if (!f.value.IsScalar()) {
      Add(f, "expected " + CountOrPercent::Allowed(max_count) + "; found " + Describe(f.value));
      return false;
    }
    auto parsed = CountOrPercent::Parse(f.value.Scalar(), max_count);
    if (parsed.ok()) return *out = *parsed, true;
    const std::string& why = parsed.error().message;
    Add(f, why.rfind("out of range", 0) == 0 ? why : why + "; found " + Describe(f.value));
    return false;
  }

 private:
  std::string file_;
  const EnvLookup& env_;
  std::vector<Problem>* problems_;
};

// Runs fn(field) when key is present (and not null).
template <class Fn>
void With(const std::map<std::string, Field>& m, const char* key, Fn&& fn) {
  if (auto it = m.find(key); it != m.end()) fn(it->second);
}
}  // namespace fleetpatch::config
