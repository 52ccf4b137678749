#include "config/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <tuple>

#include "common/run_events.h"
#include "config/names.h"
#include "common/strings.h"

namespace fleetpatch::config {

std::string Problem::ToString() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
  s += ": ";
  if (!path.empty()) s += path + ": ";
  return s + message;
}

Error ProblemsToError(const std::vector<Problem>& problems) {
  std::string msg;
  for (const auto& p : problems) {
    if (!msg.empty()) msg += "\n";
    msg += p.ToString();
  }
  return Error::Config(msg);
}

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxFileBytes = 16 * 1024 * 1024;

bool IsPlain(const YAML::Node& n) { return n.IsScalar() && n.Tag() == "?"; }

// What a node is, for "found ..." in messages.
std::string Describe(const YAML::Node& n) {
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

// Where a key that is commonly written one level too high (or low) belongs, for the hint after
// "unknown key". Only used when the key is not allowed at the place it was found.
std::string HomeOf(const std::string& key, const std::vector<std::string>& allowed_here) {
  static const std::map<std::string, std::string> kHome = {
      {"phases", "workflow:"},
      {"timeouts", "workflow:"},
      {"ami_creation", "workflow.timeouts:"},
      {"patch_execution", "workflow.timeouts:"},
      {"ssm_connection", "workflow.timeouts:"},
      {"poll_interval", "workflow:"},
      {"zone_workers", "concurrency:"},
      {"formats", "reporting:"},
      {"output_dir", "reporting:"},
      {"profile", "aws:"},
      {"max_attempts", "aws:"},
      {"rate_limits", "aws:"},
      {"reboot_option", "patch:"},
      {"operation", "patch:"},
      {"canary_size", "patch:"},
      {"no_reboot", "backup:"},
      {"retention_days", "backup:"},
      {"name_template", "backup:"},
      {"critical_services", "precheck:"},
      {"tags", "filters:"},
      {"exclude_tags", "filters:"},
      {"defaults", "the top level of an inventory file"},
  };
  auto it = kHome.find(key);
  if (it == kHome.end()) return "";
  // "tags" is a legitimate key in backup:, so only hint where the allowed keys show a zone.
  if ((key == "tags" || key == "exclude_tags") &&
      std::find(allowed_here.begin(), allowed_here.end(), "filters") == allowed_here.end()) {
    return "";
  }
  return it->second;
}

// A value together with where it sits: the key's position when the value is null.
struct Field {
  YAML::Node value;
  std::string path;
  YAML::Mark mark;
};

YAML::Mark MarkOf(const YAML::Node& value, const YAML::Node& key) {
  if (value && !value.IsNull() && value.Mark().line >= 0) return value.Mark();
  if (key && key.Mark().line >= 0) return key.Mark();
  return YAML::Mark();
}

class Reader {
 public:
  Reader(std::string file, const EnvLookup& env, std::vector<Problem>* problems)
      : file_(std::move(file)), env_(env), problems_(problems) {}

  const std::string& file() const { return file_; }

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
  bool Duration(const Field& f, int64_t min_s, int64_t max_s, int64_t* out) {
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
    *out = total;
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
    static const std::regex kPct(R"(^([0-9]{1,9}(\.[0-9]{1,9})?)\s*%$)");
    static const std::regex kCount("^[0-9]+$");
    const std::string allowed =
        "a count (0 to " + std::to_string(max_count) + ") or a percentage from 0% to 100% such as \"10%\"";
    std::smatch m;
    if (f.value.IsScalar()) {
      std::string s = f.value.Scalar();
      if (std::regex_match(s, m, kPct)) {
        double v = std::stod(m[1].str());
        if (v <= 100) {
          *out = CountOrPercent{true, v};
          return true;
        }
        Add(f, "out of range: " + s + "; allowed: " + allowed);
        return false;
      }
      if (std::regex_match(s, kCount) && s.size() < 12) {
        long long v = std::stoll(s);
        if (v <= max_count) {
          *out = CountOrPercent{false, static_cast<double>(v)};
          return true;
        }
        Add(f, "out of range: " + s + "; allowed: " + allowed);
        return false;
      }
    }
    Add(f, "expected " + allowed + "; found " + Describe(f.value));
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

// ---------------------------------------------------------------------------------------------
// Files

// Reads at most `max_bytes` of `path` into *text: the size is checked before reading (a regular
// file) and while reading (a device or pipe such as /dev/zero), so no input can exhaust memory.
// Returns "" or what went wrong, worded to follow "the file X ".
std::string ReadBounded(const fs::path& path, size_t max_bytes, std::string* text) {
  const std::string too_large = "is larger than " + std::to_string(max_bytes >> 20) + " MiB; this is not a fleetpatch config";
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::string("cannot be read: ") + std::strerror(errno) + "; check its permissions";
  std::error_code ec;
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) > max_bytes && !ec) return too_large;
  text->clear();
  char buf[64 * 1024];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    if (text->size() + static_cast<size_t>(in.gcount()) > max_bytes) return too_large;
    text->append(buf, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return std::string("cannot be read: ") + std::strerror(errno);
  return "";
}

// Reads and parses a YAML file. Problems about the file itself are reported at `ref` (the config
// field that named it) when given, else against the file with no position.
std::optional<YAML::Node> ParseFile(const fs::path& path, std::vector<Problem>* problems, Reader* ref_reader,
                                    const Field* ref) {
  auto report = [&](const std::string& msg) {
    if (ref_reader && ref) {
      ref_reader->Add(*ref, "the file \"" + path.string() + "\" " + msg);
    } else {
      problems->push_back(Problem{path.string(), 0, 0, "", msg});
    }
  };
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec && status.type() != fs::file_type::not_found) {  // e.g. a symlink loop, a file used as a directory
    report("cannot be read: " + ec.message() + "; check the path and its permissions");
    return std::nullopt;
  }
  if (!fs::exists(status)) {
    report("does not exist (looked for " + fs::absolute(path, ec).lexically_normal().string() + ")");
    return std::nullopt;
  }
  if (fs::is_directory(status)) {
    report("is a directory; give the path of a YAML file");
    return std::nullopt;
  }
  std::string text;
  if (std::string why = ReadBounded(path, kMaxFileBytes, &text); !why.empty()) {
    report(why);
    return std::nullopt;
  }
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    problems->push_back(
        Problem{path.string(), e.mark.line + 1, e.mark.column + 1, "", "YAML syntax error: " + e.msg});
  } catch (const YAML::Exception& e) {
    problems->push_back(Problem{path.string(), e.mark.line >= 0 ? e.mark.line + 1 : 0,
                                e.mark.line >= 0 ? e.mark.column + 1 : 0, "",
                                std::string("YAML error: ") + e.msg});
  }
  return std::nullopt;
}

std::optional<YAML::Node> ParseText(const std::string& text, const std::string& name,
                                    std::vector<Problem>* problems) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    problems->push_back(Problem{name, e.mark.line + 1, e.mark.column + 1, "", "YAML syntax error: " + e.msg});
  } catch (const YAML::Exception& e) {
    problems->push_back(Problem{name, 0, 0, "", std::string("YAML error: ") + e.msg});
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Landing zones

const std::vector<std::string> kZoneKeys = {"name",      "account_id",  "region",       "role_arn",
                                            "role_name", "external_id", "session_name", "endpoint_url",
                                            "enabled",   "filters"};
const std::vector<std::string> kDefaultsKeys = {"role_name", "external_id", "session_name", "endpoint_url",
                                                "filters"};
const std::vector<std::string> kFilterKeys = {"tags", "exclude_tags"};

void ReadTagMatch(Reader& r, const Field& f, TagMatch* out) {
  auto m = r.Map(f, {}, "a mapping of tag key to a value or a list of values");
  if (!m) return;
  TagMatch result;
  for (const auto& [key, field] : *m) {
    if (key.empty() || key.size() > 128) {
      r.Add(field, "a tag key is 1-128 characters");
      continue;
    }
    std::vector<std::string> values;
    if (!r.StringList(field, &values, true)) continue;
    if (values.empty()) {
      r.Add(field, "an empty list matches nothing; give at least one value");
      continue;
    }
    for (const auto& v : values) {
      if (v.size() > 256) r.Add(field, "a tag value is at most 256 characters");
    }
    result[key] = values;
  }
  *out = std::move(result);
}

void ReadFilters(Reader& r, const Field& f, TagMatch* tags, TagMatch* exclude) {
  auto m = r.Map(f, kFilterKeys);
  if (!m) return;
  With(*m, "tags", [&](const Field& x) { ReadTagMatch(r, x, tags); });
  With(*m, "exclude_tags", [&](const Field& x) { ReadTagMatch(r, x, exclude); });
}

void CheckWith(Reader& r, const Field& f, const std::string& value,
               std::string (*check)(const std::string&)) {
  if (std::string why = check(value); !why.empty()) r.Add(f, "found \"" + value + "\"; " + why);
}

void ReadZoneDefaults(Reader& r, const Field& f, ZoneDefaults* d) {
  auto m = r.Map(f, kDefaultsKeys);
  if (!m) return;
  With(*m, "role_name", [&](const Field& x) {
    if (r.String(x, &d->role_name)) CheckWith(r, x, d->role_name, CheckRoleName);
  });
  With(*m, "external_id", [&](const Field& x) {
    if (r.String(x, &d->external_id) && !d->external_id.empty()) {
      if (std::string why = CheckExternalId(d->external_id); !why.empty()) r.Add(x, why);
    }
  });
  With(*m, "session_name", [&](const Field& x) {
    if (r.String(x, &d->session_name)) CheckWith(r, x, d->session_name, CheckSessionName);
  });
  With(*m, "endpoint_url", [&](const Field& x) {
    if (r.String(x, &d->endpoint_url) && !d->endpoint_url.empty())
      CheckWith(r, x, d->endpoint_url, CheckEndpointUrl);
  });
  With(*m, "filters", [&](const Field& x) { ReadFilters(r, x, &d->filter_tags, &d->exclude_tags); });
}

// The account id: a quoted 12-digit string, or an unquoted number that reads back unchanged.
void ReadAccountId(Reader& r, const Field& f, std::string* out) {
  if (!f.value.IsScalar()) {
    r.Add(f, "expected a 12-digit account id as a quoted string; found " + Describe(f.value));
    return;
  }
  const std::string s = f.value.Scalar();
  if (IsPlain(f.value)) {
    static const std::regex kDigits("^[0-9]+$");
    if (std::regex_match(s, kDigits) && s.size() == 12 && s[0] == '0') {
      size_t first = s.find_first_not_of('0');
      r.Add(f, "the unquoted number " + s + " is read by YAML as " +
                   (first == std::string::npos ? "0" : s.substr(first)) +
                   " and loses its leading zero; quote it: \"" + s + "\"");
      return;
    }
    static const std::regex kNumberLike(R"(^[-+]?(0[xXoO])?[0-9_.eE+-]+$)");
    if (!std::regex_match(s, kDigits) && std::regex_match(s, kNumberLike)) {
      r.Add(f, "the unquoted number " + s +
                   " does not read back as a 12-digit account id; write the 12 digits in quotes");
      return;
    }
  }
  std::string expanded;
  if (!r.String(f, &expanded)) return;
  if (std::string why = CheckAccountId(expanded); !why.empty()) {
    r.Add(f, "found " + Describe(f.value) + "; " + why);
    return;
  }
  *out = expanded;
}

struct ZoneSeen {
  std::string file;
  int line = 0;
};

void ReadZone(Reader& r, const Field& f, const ZoneDefaults& d, std::map<std::string, ZoneSeen>* seen,
              std::vector<LandingZone>* out) {
  auto m = r.Map(f, kZoneKeys);
  if (!m) return;
  LandingZone z;
  z.external_id = d.external_id;
  z.session_name = d.session_name;
  z.endpoint_url = d.endpoint_url;
  z.filter_tags = d.filter_tags;
  z.exclude_tags = d.exclude_tags;
  bool ok = true;
  auto require = [&](const char* key) {
    if (!m->count(key)) {
      r.Add(f, std::string("missing required key \"") + key + "\"");
      ok = false;
    }
  };
  require("name");
  require("account_id");
  require("region");
  With(*m, "name", [&](const Field& x) {
    static const std::regex kName("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
    if (!r.String(x, &z.name)) return ok = false, void();
    if (!std::regex_match(z.name, kName)) {
      r.Add(x, "found \"" + z.name +
                   "\"; a zone name is 1-64 characters of letters, digits and ._- "
                   "(starting with a letter or digit)");
      ok = false;
      return;
    }
    auto [it, inserted] = seen->emplace(z.name, ZoneSeen{r.file(), x.mark.line + 1});
    if (!inserted) {
      r.Add(x, "duplicate landing zone name \"" + z.name + "\" (first defined at " + it->second.file + ":" +
                   std::to_string(it->second.line) + "); zone names must be unique");
      ok = false;
    }
  });
  With(*m, "account_id", [&](const Field& x) {
    ReadAccountId(r, x, &z.account_id);
    if (z.account_id.empty()) ok = false;
  });
  With(*m, "region", [&](const Field& x) {
    if (!r.String(x, &z.region)) return ok = false, void();
    if (std::string why = CheckRegion(z.region); !why.empty()) {
      r.Add(x, "found \"" + z.region + "\"; " + why);
      ok = false;
    }
  });
  With(*m, "enabled", [&](const Field& x) { ok = r.Bool(x, &z.enabled) && ok; });
  With(*m, "external_id", [&](const Field& x) {
    if (!r.String(x, &z.external_id)) return ok = false, void();
    if (!z.external_id.empty()) {
      if (std::string why = CheckExternalId(z.external_id); !why.empty()) r.Add(x, why), ok = false;
    }
  });
  With(*m, "session_name", [&](const Field& x) {
    if (!r.String(x, &z.session_name)) return ok = false, void();
    if (std::string why = CheckSessionName(z.session_name); !why.empty()) {
      r.Add(x, "found \"" + z.session_name + "\"; " + why);
      ok = false;
    }
  });
  With(*m, "endpoint_url", [&](const Field& x) {
    if (!r.String(x, &z.endpoint_url)) return ok = false, void();
    if (!z.endpoint_url.empty()) {
      if (std::string why = CheckEndpointUrl(z.endpoint_url); !why.empty()) {
        r.Add(x, "found \"" + z.endpoint_url + "\"; " + why);
        ok = false;
      }
    }
  });
  With(*m, "filters", [&](const Field& x) {
    TagMatch tags, exclude;
    auto fm = r.Map(x, kFilterKeys);
    if (!fm) return ok = false, void();
    // A key given in the zone replaces the defaults' values for that key.
    With(*fm, "tags", [&](const Field& t) {
      ReadTagMatch(r, t, &tags);
      for (auto& [k, v] : tags) z.filter_tags[k] = v;
    });
    With(*fm, "exclude_tags", [&](const Field& t) {
      ReadTagMatch(r, t, &exclude);
      for (auto& [k, v] : exclude) z.exclude_tags[k] = v;
    });
  });
  // The role: role_arn as written (checked against the account), or built from a role name.
  auto arn_it = m->find("role_arn");
  auto name_it = m->find("role_name");
  if (arn_it != m->end() && name_it != m->end()) {
    r.Add(name_it->second, "give either role_arn or role_name, not both");
    ok = false;
  } else if (arn_it != m->end()) {
    if (r.String(arn_it->second, &z.role_arn)) {
      if (std::string why = CheckRoleArn(z.role_arn, z.account_id, z.region); !why.empty()) {
        r.Add(arn_it->second, "found \"" + z.role_arn + "\"; " + why);
        ok = false;
      }
    } else {
      ok = false;
    }
  } else {
    z.role_name = d.role_name;
    if (name_it != m->end()) {
      if (!r.String(name_it->second, &z.role_name)) {
        ok = false;
      } else if (std::string why = CheckRoleName(z.role_name); !why.empty()) {
        r.Add(name_it->second, "found \"" + z.role_name + "\"; " + why);
        ok = false;
      }
    }
    if (ok)
      z.role_arn = "arn:" + PartitionForRegion(z.region) + ":iam::" + z.account_id + ":role/" + z.role_name;
  }
  if (ok) out->push_back(std::move(z));
}

void ReadZoneList(Reader& r, const Field& f, const ZoneDefaults& d, std::map<std::string, ZoneSeen>* seen,
                  std::vector<LandingZone>* out) {
  if (!f.value.IsSequence()) {
    r.Add(f, "expected a list of landing zones (each a mapping with name, account_id, region, ...); found " +
                 Describe(f.value));
    return;
  }
  for (size_t i = 0; i < f.value.size(); ++i) {
    Field item{f.value[i], f.path + "[" + std::to_string(i) + "]", MarkOf(f.value[i], f.value)};
    ReadZone(r, item, d, seen, out);
  }
}

// An inventory document: {defaults, landing_zones} or a bare list. prefix is the path prefix for
// fields ("" in an inventory file).
void ReadInventory(Reader& r, const YAML::Node& root, const ZoneDefaults& base,
                   std::map<std::string, ZoneSeen>* seen, std::vector<LandingZone>* out) {
  if (root.IsNull()) {
    r.Add(YAML::Mark(), "", "the file is empty (or holds only comments); expected a landing_zones: list");
    return;
  }
  Field top{root, "", root.Mark()};
  if (root.IsSequence()) {
    top.path = "landing_zones";
    ReadZoneList(r, top, base, seen, out);
    return;
  }
  auto m = r.Map(top, {"version", "defaults", "landing_zones"});
  if (!m) return;
  With(*m, "version", [&](const Field& x) {
    int64_t v = 0;
    r.Int(x, 1, 1, &v);
  });
  ZoneDefaults d = base;
  With(*m, "defaults", [&](const Field& x) { ReadZoneDefaults(r, x, &d); });
  if (!m->count("landing_zones")) {
    r.Add(top, "missing required key \"landing_zones\" (the list of zones)");
    return;
  }
  ReadZoneList(r, m->at("landing_zones"), d, seen, out);
}

// ---------------------------------------------------------------------------------------------
// The workflow config

const std::vector<std::string> kTopKeys = {
    "version",     "workflow",     "landing_zones", "landing_zone_defaults",
    "concurrency", "error_budget", "precheck",      "patch",
    "backup",      "reporting",    "state",         "aws",
    "dry_run",     "notifications"};

void ReadWorkflow(Reader& r, const Field& f, WorkflowConfig* w) {
  auto m = r.Map(f, {"phases", "timeouts", "poll_interval"});
  if (!m) return;
  With(*m, "phases", [&](const Field& x) {
    auto p = r.Map(x, {"scan", "backup", "precheck", "patch"});
    if (!p) return;
    With(*p, "scan", [&](const Field& y) { r.Bool(y, &w->phases.scan); });
    With(*p, "backup", [&](const Field& y) { r.Bool(y, &w->phases.backup); });
    With(*p, "precheck", [&](const Field& y) { r.Bool(y, &w->phases.precheck); });
    With(*p, "patch", [&](const Field& y) { r.Bool(y, &w->phases.patch); });
    if (!w->phases.scan && !w->phases.backup && !w->phases.precheck && !w->phases.patch) {
      r.Add(x, "every phase is turned off, so a run would do nothing; turn at least one on");
    }
  });
  With(*m, "timeouts", [&](const Field& x) {
    auto t = r.Map(x, {"ami_creation", "patch_execution", "ssm_connection", "precheck_command"});
    if (!t) return;
    With(*t, "ami_creation", [&](const Field& y) { r.Duration(y, 60, 86400, &w->timeouts.ami_creation_s); });
    With(*t, "patch_execution",
         [&](const Field& y) { r.Duration(y, 60, 172800, &w->timeouts.patch_execution_s); });
    With(*t, "ssm_connection",
         [&](const Field& y) { r.Duration(y, 10, 3600, &w->timeouts.ssm_connection_s); });
    With(*t, "precheck_command",
         [&](const Field& y) { r.Duration(y, 30, 3600, &w->timeouts.precheck_command_s); });
  });
  With(*m, "poll_interval", [&](const Field& x) { r.Duration(x, 1, 300, &w->poll_interval_s); });
}

void ReadConcurrency(Reader& r, const Field& f, ConcurrencyConfig* c) {
  auto m = r.Map(
      f, {"zone_workers", "max_requests_per_zone", "max_pending_images_per_zone", "max_commands_per_zone"});
  if (!m) return;
  With(*m, "zone_workers", [&](const Field& x) { r.Int32(x, 1, 64, &c->zone_workers); });
  With(*m, "max_requests_per_zone", [&](const Field& x) { r.Int32(x, 1, 100, &c->max_requests_per_zone); });
  With(*m, "max_pending_images_per_zone",
       [&](const Field& x) { r.Int32(x, 1, 1000, &c->max_pending_images_per_zone); });
  With(*m, "max_commands_per_zone", [&](const Field& x) { r.Int32(x, 1, 10000, &c->max_commands_per_zone); });
}

// Service names end up inside the precheck script; only characters that cannot break out of its
// quoting are allowed.
void ReadServices(Reader& r, const Field& f, std::vector<std::string>* out) {
  std::vector<std::string> v;
  if (!r.StringList(f, &v, false)) return;
  bool ok = true;
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::string why = CheckServiceName(v[i]); !why.empty()) {
      r.Add(MarkOf(f.value[i], f.value), f.path + "[" + std::to_string(i) + "]", "found \"" + v[i] + "\"; " + why);
      ok = false;
    }
  }
  if (ok) *out = std::move(v);
}

void ReadPrecheck(Reader& r, const Field& f, PrecheckConfig* p) {
  auto m = r.Map(f, {"min_free_disk_percent", "min_free_disk_gib", "mounts", "max_load_per_cpu",
                     "min_free_memory_percent", "min_free_memory_mib", "critical_services",
                     "fail_on_pending_reboot", "fail_on_package_lock", "min_ssm_agent_version"});
  if (!m) return;
  With(*m, "min_free_disk_percent",
       [&](const Field& x) { r.Number(x, 0, 100, &p->min_free_disk_percent, "%"); });
  With(*m, "min_free_disk_gib",
       [&](const Field& x) { r.Number(x, 0, 65536, &p->min_free_disk_gib, " GiB"); });
  With(*m, "mounts", [&](const Field& x) {
    static const std::regex kMount(R"(^(/[^\s'"`$\\]*|[A-Za-z]:\\?)$)");
    std::vector<std::string> v;
    if (!r.StringList(x, &v, false)) return;
    for (size_t i = 0; i < v.size(); ++i) {
      if (!std::regex_match(v[i], kMount)) {
        r.Add(MarkOf(x.value[i], x.value), x.path + "[" + std::to_string(i) + "]",
              "found \"" + v[i] + "\"; a mount is an absolute path such as / or /var, or a drive such as C:");
        return;
      }
    }
    p->mounts = v;
  });
  With(*m, "max_load_per_cpu", [&](const Field& x) { r.Number(x, 0.01, 1000, &p->max_load_per_cpu); });
  With(*m, "min_free_memory_percent",
       [&](const Field& x) { r.Number(x, 0, 100, &p->min_free_memory_percent, "%"); });
  With(*m, "min_free_memory_mib",
       [&](const Field& x) { r.Number(x, 0, 1048576, &p->min_free_memory_mib, " MiB"); });
  With(*m, "critical_services", [&](const Field& x) {
    auto s = r.Map(x, {"linux", "windows"});
    if (!s) return;
    With(*s, "linux", [&](const Field& y) { ReadServices(r, y, &p->critical_services.linux_services); });
    With(*s, "windows", [&](const Field& y) { ReadServices(r, y, &p->critical_services.windows_services); });
  });
  With(*m, "fail_on_pending_reboot", [&](const Field& x) { r.Bool(x, &p->fail_on_pending_reboot); });
  With(*m, "fail_on_package_lock", [&](const Field& x) { r.Bool(x, &p->fail_on_package_lock); });
  With(*m, "min_ssm_agent_version", [&](const Field& x) {
    static const std::regex kVersion(R"(^[0-9]+(\.[0-9]+){0,3}$)");
    std::string v;
    if (!r.String(x, &v)) return;
    if (!std::regex_match(v, kVersion)) {
      r.Add(x, "found \"" + v + "\"; a version is dotted numbers such as \"3.2.582.0\"");
      return;
    }
    p->min_ssm_agent_version = v;
  });
}

void ReadPatch(Reader& r, const Field& f, PatchConfig* p) {
  auto m = r.Map(f, {"document", "operation", "reboot_option", "baseline_override", "canary_size",
                     "max_concurrency", "max_errors", "require_confirmation"});
  if (!m) return;
  With(*m, "document", [&](const Field& x) {
    static const std::regex kDoc(R"(^[A-Za-z0-9_.:/-]{3,256}$)");
    std::string v;
    if (!r.String(x, &v)) return;
    if (!std::regex_match(v, kDoc)) {
      r.Add(x, "found \"" + v +
                   "\"; an SSM document name is 3-128 characters of letters, digits and _.- (or its ARN)");
      return;
    }
    p->document = v;
  });
  With(*m, "operation", [&](const Field& x) {
    std::string v;
    if (r.Enum(x, {"Install", "Scan"}, &v))
      p->operation = v == "Install" ? PatchOperation::kInstall : PatchOperation::kScan;
  });
  With(*m, "reboot_option", [&](const Field& x) {
    std::string v;
    if (r.Enum(x, {"RebootIfNeeded", "NoReboot"}, &v)) {
      p->reboot_option = v == "NoReboot" ? RebootOption::kNoReboot : RebootOption::kRebootIfNeeded;
    }
  });
  With(*m, "baseline_override", [&](const Field& x) {
    std::string v;
    if (!r.String(x, &v)) return;
    if (!v.empty() && v.rfind("s3://", 0) != 0 && v.rfind("https://", 0) != 0) {
      r.Add(x,
            "found \"" + v + "\"; a baseline override is the s3:// or https:// URL of a baseline JSON file");
      return;
    }
    p->baseline_override = v;
  });
  With(*m, "canary_size", [&](const Field& x) { r.Int32(x, 0, 1000, &p->canary_size); });
  With(*m, "max_concurrency", [&](const Field& x) { r.Int32(x, 1, 1000, &p->max_concurrency); });
  With(*m, "max_errors", [&](const Field& x) { r.CountOrPct(x, 10000, &p->max_errors); });
  With(*m, "require_confirmation", [&](const Field& x) { r.Bool(x, &p->require_confirmation); });
}

void ReadBackup(Reader& r, const Field& f, BackupConfig* b) {
  auto m = r.Map(f, {"required", "no_reboot", "name_template", "tags", "retention_days", "keep_failed"});
  if (!m) return;
  With(*m, "required", [&](const Field& x) { r.Bool(x, &b->required); });
  With(*m, "no_reboot", [&](const Field& x) { r.Bool(x, &b->no_reboot); });
  With(*m, "name_template", [&](const Field& x) {
    std::string t;
    if (!r.String(x, &t)) return;
    static const std::regex kPlaceholder(R"(\{([^{}]*)\})");
    const std::vector<std::string> known = {"run_id", "instance_id", "date", "zone"};
    bool ok = true;
    for (auto it = std::sregex_iterator(t.begin(), t.end(), kPlaceholder); it != std::sregex_iterator();
         ++it) {
      std::string name = (*it)[1].str();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string msg = "unknown placeholder {" + name + "}";
        if (std::string s = DidYouMean(name, known); !s.empty()) msg += " (did you mean {" + s + "}?)";
        r.Add(x, msg + "; allowed: {run_id}, {instance_id}, {date}, {zone}");
        ok = false;
      }
    }
    if (ok && (t.find("{run_id}") == std::string::npos || t.find("{instance_id}") == std::string::npos)) {
      r.Add(x, "found \"" + t +
                   "\"; the name must contain {run_id} and {instance_id} so that it is unique per "
                   "run and instance (a resumed run finds its AMI by this name)");
      ok = false;
    }
    if (ok) {
      static const std::regex kAmiName(R"(^[A-Za-z0-9 ()\[\]./'@_-]{3,128}$)");
      std::string sample =
          RenderAmiName(t, "20261125-194200-a1b2c3", "i-0123456789abcdef0", "20261125", "zone");
      if (!std::regex_match(sample, kAmiName)) {
        r.Add(x, "found \"" + t +
                     "\"; an AMI name is 3-128 characters of letters, digits, spaces and ()[]./'@_- "
                     "(with placeholders filled in, e.g. \"" +
                     sample + "\")");
        ok = false;
      }
    }
    if (ok) b->name_template = t;
  });
  With(*m, "tags", [&](const Field& x) {
    auto tm = r.Map(x, {}, "a mapping of tag key to value");
    if (!tm) return;
    std::map<std::string, std::string> tags;
    for (const auto& [k, v] : *tm) {
      if (k.empty() || k.size() > 128 || k.rfind("aws:", 0) == 0) {
        r.Add(v, "a tag key is 1-128 characters and must not start with \"aws:\"");
        continue;
      }
      std::string s;
      if (!r.String(v, &s)) continue;
      if (s.size() > 256) {
        r.Add(v, "a tag value is at most 256 characters");
        continue;
      }
      tags[k] = s;
    }
    b->tags = tags;
  });
  With(*m, "retention_days", [&](const Field& x) { r.Int32(x, 1, 3650, &b->retention_days); });
  With(*m, "keep_failed", [&](const Field& x) { r.Bool(x, &b->keep_failed); });
}

void ReadReporting(Reader& r, const Field& f, ReportingConfig* rep) {
  auto m = r.Map(f, {"output_dir", "formats"});
  if (!m) return;
  With(*m, "output_dir", [&](const Field& x) {
    std::string v;
    if (!r.String(x, &v)) return;
    if (v.empty())
      return r.Add(x, "the output directory must not be empty (use \".\" for the working directory)");
    rep->output_dir = v;
  });
  With(*m, "formats", [&](const Field& x) {
    std::vector<std::string> items;
    if (x.value.IsScalar()) {  // "csv,json"
      std::string s;
      if (!r.String(x, &s)) return;
      std::stringstream ss(s);
      for (std::string item; std::getline(ss, item, ',');) {
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        items.push_back(item);
      }
    } else if (!r.StringList(x, &items, false)) {
      return;
    }
    std::vector<ReportFormat> formats;
    const std::vector<std::string> names = {"csv", "json", "html", "xml"};
    for (const auto& item : items) {
      ReportFormat fmt;
      if (!ParseReportFormat(Lower(item), &fmt)) {
        std::string msg = "unknown report format \"" + item + "\"";
        if (std::string s = DidYouMean(item, names); !s.empty()) msg += " (did you mean \"" + s + "\"?)";
        r.Add(x, msg + "; allowed: csv, json, html, xml");
        return;
      }
      if (std::find(formats.begin(), formats.end(), fmt) == formats.end()) formats.push_back(fmt);
    }
    rep->formats = formats;
  });
}

void ReadRateLimit(Reader& r, const Field& f, RateLimit* rl) {
  auto m = r.Map(f, {"per_second", "burst"});
  if (!m) return;
  With(*m, "per_second", [&](const Field& x) { r.Number(x, 0.01, 10000, &rl->per_second); });
  With(*m, "burst", [&](const Field& x) { r.Number(x, 1, 10000, &rl->burst); });
}

void ReadAws(Reader& r, const Field& f, AwsConfig* a) {
  auto m = r.Map(f, {"profile", "region", "max_attempts", "role_session_duration", "rate_limits"});
  if (!m) return;
  With(*m, "profile", [&](const Field& x) { r.String(x, &a->profile); });
  With(*m, "region", [&](const Field& x) {
    std::string v;
    if (!r.String(x, &v)) return;
    if (!v.empty()) {
      if (std::string why = CheckRegion(v); !why.empty()) return r.Add(x, "found \"" + v + "\"; " + why);
    }
    a->region = v;
  });
  With(*m, "max_attempts", [&](const Field& x) { r.Int32(x, 1, 20, &a->max_attempts); });
  With(*m, "role_session_duration",
       [&](const Field& x) { r.Duration(x, 900, 43200, &a->role_session_duration_s); });
  With(*m, "rate_limits", [&](const Field& x) {
    auto rl =
        r.Map(x, {"ec2_non_mutating", "ec2_mutating", "ec2_create_tags", "ssm_read", "ssm_write", "sts"});
    if (!rl) return;
    auto& l = a->rate_limits;
    With(*rl, "ec2_non_mutating", [&](const Field& y) { ReadRateLimit(r, y, &l.ec2_non_mutating); });
    With(*rl, "ec2_mutating", [&](const Field& y) { ReadRateLimit(r, y, &l.ec2_mutating); });
    With(*rl, "ec2_create_tags", [&](const Field& y) { ReadRateLimit(r, y, &l.ec2_create_tags); });
    With(*rl, "ssm_read", [&](const Field& y) { ReadRateLimit(r, y, &l.ssm_read); });
    With(*rl, "ssm_write", [&](const Field& y) { ReadRateLimit(r, y, &l.ssm_write); });
    With(*rl, "sts", [&](const Field& y) { ReadRateLimit(r, y, &l.sts); });
  });
}

// --- notifications: (kept in one block; the fields are documented in config.h) ---

void ReadEvents(Reader& r, const Field& f, std::vector<std::string>* out) {
  std::vector<std::string> names;
  if (!r.StringList(f, &names, true)) return;
  const std::vector<std::string> allowed = NotificationEventNames();
  for (const auto& n : names) {
    Field one{f.value, f.path, f.mark};
    if (std::find(allowed.begin(), allowed.end(), n) == allowed.end()) {
      std::string msg = "unknown event \"" + n + "\"";
      if (std::string s = DidYouMean(n, allowed); !s.empty()) msg += " (did you mean \"" + s + "\"?)";
      return r.Add(one, msg + "; allowed: " + Join(allowed, ", "));
    }
  }
  *out = names;
}

template <class T, class Fn>
void ReadList(Reader& r, const Field& f, const char* what, std::vector<T>* out, Fn&& read_item) {
  if (!f.value.IsSequence()) return r.Add(f, std::string("expected a list of ") + what + "; found " + Describe(f.value));
  for (size_t i = 0; i < f.value.size(); ++i) {
    Field item{f.value[i], f.path + "[" + std::to_string(i) + "]", MarkOf(f.value[i], f.value)};
    T t;
    if (read_item(item, &t)) out->push_back(std::move(t));
  }
}

bool ReadWebhook(Reader& r, const Field& f, WebhookConfig* w) {
  auto m = r.Map(f, {"url", "secret_env", "events"});
  if (!m) return false;
  if (!m->count("url")) return r.Add(f, "a webhook needs a url (https://...)"), false;
  With(*m, "url", [&](const Field& x) {
    if (!r.String(x, &w->url)) return;
    if (w->url.rfind("https://", 0) != 0) r.Add(x, "a webhook url must start with https://");
  });
  With(*m, "secret_env", [&](const Field& x) {
    if (!r.String(x, &w->secret_env)) return;
    static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
    if (!std::regex_match(w->secret_env, kName))
      r.Add(x, "expected the name of an environment variable (the secret itself never goes in the file)");
  });
  With(*m, "events", [&](const Field& x) { ReadEvents(r, x, &w->events); });
  return true;
}

bool ReadSnsTopic(Reader& r, const Field& f, SnsTopicConfig* t) {
  auto m = r.Map(f, {"topic_arn", "events"});
  if (!m) return false;
  if (!m->count("topic_arn")) return r.Add(f, "an sns entry needs a topic_arn"), false;
  With(*m, "topic_arn", [&](const Field& x) {
    if (!r.String(x, &t->topic_arn)) return;
    static const std::regex kArn("arn:[a-z-]+:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+");
    if (!std::regex_match(t->topic_arn, kArn))
      r.Add(x, "found \"" + t->topic_arn + "\"; expected arn:aws:sns:<region>:<12-digit account>:<topic>");
  });
  With(*m, "events", [&](const Field& x) { ReadEvents(r, x, &t->events); });
  return true;
}

void ReadNotifications(Reader& r, const Field& f, NotificationsConfig* n) {
  auto m = r.Map(f, {"webhooks", "sns", "attempts", "backoff", "timeout"});
  if (!m) return;
  With(*m, "webhooks", [&](const Field& x) {
    ReadList(r, x, "webhooks", &n->webhooks, [&](const Field& i, WebhookConfig* w) { return ReadWebhook(r, i, w); });
  });
  With(*m, "sns", [&](const Field& x) {
    ReadList(r, x, "SNS topics", &n->sns, [&](const Field& i, SnsTopicConfig* t) { return ReadSnsTopic(r, i, t); });
  });
  With(*m, "attempts", [&](const Field& x) { r.Int32(x, 1, 10, &n->attempts); });
  With(*m, "backoff", [&](const Field& x) { r.Duration(x, 0, 300, &n->backoff_s); });
  With(*m, "timeout", [&](const Field& x) { r.Duration(x, 1, 300, &n->timeout_s); });
}

void ReadConfig(Reader& r, const YAML::Node& root, const fs::path& base_dir, const EnvLookup& env,
                std::vector<Problem>* problems, Config* c, bool load_landing_zones) {
  if (root.IsNull()) {
    r.Add(YAML::Mark(), "",
          "the file is empty (or holds only comments); expected a mapping with keys such as "
          "workflow, landing_zones, patch");
    return;
  }
  Field top{root, "", root.Mark()};
  auto m = r.Map(top, kTopKeys);
  if (!m) return;
  With(*m, "version", [&](const Field& x) {
    int64_t v = 0;
    r.Int(x, 1, 1, &v);
  });
  With(*m, "workflow", [&](const Field& x) { ReadWorkflow(r, x, &c->workflow); });
  With(*m, "landing_zone_defaults",
       [&](const Field& x) { ReadZoneDefaults(r, x, &c->landing_zone_defaults); });
  With(*m, "landing_zones", [&](const Field& x) {
    if (!load_landing_zones) return;
    std::map<std::string, ZoneSeen> seen;
    if (x.value.IsScalar()) {
      std::string rel;
      if (!r.String(x, &rel)) return;
      fs::path p = rel;
      if (p.is_relative()) p = base_dir / p;
      p = p.lexically_normal();
      c->landing_zones_file = p.string();
      auto doc = ParseFile(p, problems, &r, &x);
      if (!doc) return;
      Reader inv(p.string(), env, problems);
      ReadInventory(inv, *doc, c->landing_zone_defaults, &seen, &c->landing_zones);
    } else if (x.value.IsSequence()) {
      ReadZoneList(r, x, c->landing_zone_defaults, &seen, &c->landing_zones);
    } else {
      r.Add(x, "expected the path of a landing-zone inventory file or a list of landing zones; found " +
                   Describe(x.value));
    }
  });
  With(*m, "concurrency", [&](const Field& x) { ReadConcurrency(r, x, &c->concurrency); });
  With(*m, "error_budget", [&](const Field& x) { r.CountOrPct(x, 1000000, &c->error_budget); });
  With(*m, "precheck", [&](const Field& x) { ReadPrecheck(r, x, &c->precheck); });
  With(*m, "patch", [&](const Field& x) { ReadPatch(r, x, &c->patch); });
  With(*m, "backup", [&](const Field& x) { ReadBackup(r, x, &c->backup); });
  With(*m, "reporting", [&](const Field& x) { ReadReporting(r, x, &c->reporting); });
  With(*m, "state", [&](const Field& x) {
    auto s = r.Map(x, {"path"});
    if (!s) return;
    With(*s, "path", [&](const Field& y) {
      std::string v;
      if (!r.String(y, &v)) return;
      if (v.empty()) return r.Add(y, "the state path must not be empty");
      c->state.path = v;
    });
  });
  With(*m, "aws", [&](const Field& x) { ReadAws(r, x, &c->aws); });
  With(*m, "dry_run", [&](const Field& x) { r.Bool(x, &c->dry_run); });
  With(*m, "notifications", [&](const Field& x) { ReadNotifications(r, x, &c->notifications); });
}

// Problems in reading order: grouped by file (in the order files were first mentioned), then by
// position, so a user fixes them top to bottom.
std::vector<Problem> Sorted(std::vector<Problem> problems, const std::string& main_file) {
  std::map<std::string, size_t> file_rank{{main_file, 0}};
  for (const auto& p : problems) file_rank.emplace(p.file, file_rank.size());
  std::stable_sort(problems.begin(), problems.end(), [&](const Problem& a, const Problem& b) {
    return std::make_tuple(file_rank[a.file], a.line, a.column) <
           std::make_tuple(file_rank[b.file], b.line, b.column);
  });
  return problems;
}

// yaml-cpp and the standard library may throw; nothing thrown leaves this folder.
template <class Fn>
void Guard(const std::string& file, std::vector<Problem>* problems, Fn&& fn) {
  try {
    fn();
  } catch (const YAML::Exception& e) {
    problems->push_back(Problem{file, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                                e.mark.line >= 0 ? e.mark.column + 1 : 0, "",
                                std::string("YAML error: ") + e.msg});
  } catch (const std::exception& e) {
    problems->push_back(Problem{file, 0, 0, "", std::string("cannot be loaded: ") + e.what()});
  }
}

}  // namespace

std::vector<Problem> CheckConfigFile(const fs::path& path, const EnvLookup& env, Config* out,
                                     bool load_landing_zones) {
  std::vector<Problem> problems;
  auto doc = ParseFile(path, &problems, nullptr, nullptr);
  if (!doc) return problems;
  Config c;
  Reader r(path.string(), env, &problems);
  Guard(path.string(), &problems,
        [&] { ReadConfig(r, *doc, path.parent_path(), env, &problems, &c, load_landing_zones); });
  if (problems.empty() && out) *out = std::move(c);
  return Sorted(std::move(problems), path.string());
}

std::vector<Problem> CheckLandingZonesFile(const fs::path& path, const ZoneDefaults& base,
                                           const EnvLookup& env, std::vector<LandingZone>* out) {
  std::vector<Problem> problems;
  auto doc = ParseFile(path, &problems, nullptr, nullptr);
  if (!doc) return problems;
  std::vector<LandingZone> zones;
  std::map<std::string, ZoneSeen> seen;
  Reader r(path.string(), env, &problems);
  Guard(path.string(), &problems, [&] { ReadInventory(r, *doc, base, &seen, &zones); });
  if (problems.empty() && out) *out = std::move(zones);
  return Sorted(std::move(problems), path.string());
}

Result<Config> LoadConfigFile(const fs::path& path, const EnvLookup& env) {
  Config c;
  auto problems = CheckConfigFile(path, env, &c);
  if (!problems.empty()) return ProblemsToError(problems);
  return c;
}

Result<Config> LoadConfigString(const std::string& yaml, const std::string& display_name,
                                const fs::path& base_dir, const EnvLookup& env) {
  std::vector<Problem> problems;
  auto doc = ParseText(yaml, display_name, &problems);
  if (!doc) return ProblemsToError(problems);
  Config c;
  Reader r(display_name, env, &problems);
  Guard(display_name, &problems, [&] { ReadConfig(r, *doc, base_dir, env, &problems, &c, true); });
  if (!problems.empty()) return ProblemsToError(Sorted(std::move(problems), display_name));
  return c;
}

Result<std::vector<LandingZone>> LoadLandingZonesFile(const fs::path& path, const ZoneDefaults& base,
                                                      const EnvLookup& env) {
  std::vector<LandingZone> zones;
  auto problems = CheckLandingZonesFile(path, base, env, &zones);
  if (!problems.empty()) return ProblemsToError(problems);
  return zones;
}

}  // namespace fleetpatch::config
