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

#include "common/aws_partition.h"
#include "config/fields.h"
#include "config/names.h"
#include "config/yaml_reader.h"

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

// ---------------------------------------------------------------------------------------------
// Files

// Reads at most `max_bytes` of `path` into *text: the size is checked before reading (a regular
// file) and while reading (a device or pipe such as /dev/zero), so no input can exhaust memory.
// Returns "" or what went wrong, worded to follow "the file X ".
std::string ReadBounded(const fs::path& path, size_t max_bytes, std::string* text) {
  const std::string too_large =
      "is larger than " + std::to_string(max_bytes >> 20) + " MiB; this is not a fleetpatch config";
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

// A zone's keys, the keys an inventory's `defaults:` takes, and those of `filters:` (fields.h).
const std::vector<std::string>& ZoneKeys() {
  static const std::vector<std::string> kKeys = ChildKeys(ZoneFields(), "");
  return kKeys;
}
const std::vector<std::string>& DefaultsKeys() {
  static const std::vector<std::string> kKeys = [] {
    std::vector<std::string> v;
    for (const FieldSpec* f : ChildrenOf(ZoneFields(), "")) {
      if (f->zone_default) v.push_back(f->Key());
    }
    return v;
  }();
  return kKeys;
}
const std::vector<std::string>& FilterKeys() {
  static const std::vector<std::string> kKeys = ChildKeys(ZoneFields(), "filters");
  return kKeys;
}

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
  auto m = r.Map(f, FilterKeys());
  if (!m) return;
  With(*m, "tags", [&](const Field& x) { ReadTagMatch(r, x, tags); });
  With(*m, "exclude_tags", [&](const Field& x) { ReadTagMatch(r, x, exclude); });
}

void CheckWith(Reader& r, const Field& f, const std::string& value,
               std::string (*check)(const std::string&)) {
  if (std::string why = check(value); !why.empty()) r.Add(f, "found \"" + value + "\"; " + why);
}

void ReadZoneDefaults(Reader& r, const Field& f, ZoneDefaults* d) {
  auto m = r.Map(f, DefaultsKeys());
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

// A string that `check` accepts (empty passes when `empty_ok`); otherwise false, with the problem
// added quoting the value (never use it for secrets such as external ids).
bool ReadChecked(Reader& r, const Field& x, std::string* out, std::string (*check)(const std::string&),
                 bool empty_ok) {
  if (!r.String(x, out)) return false;
  if (empty_ok && out->empty()) return true;
  if (std::string why = check(*out); !why.empty()) {
    r.Add(x, "found \"" + *out + "\"; " + why);
    return false;
  }
  return true;
}

bool ReadZoneName(Reader& r, const Field& x, std::map<std::string, ZoneSeen>* seen, std::string* name) {
  static const std::regex kName("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
  if (!r.String(x, name)) return false;
  if (!std::regex_match(*name, kName)) {
    r.Add(x, "found \"" + *name +
                 "\"; a zone name is 1-64 characters of letters, digits and ._- "
                 "(starting with a letter or digit)");
    return false;
  }
  auto [it, inserted] = seen->emplace(*name, ZoneSeen{r.file(), x.mark.line + 1});
  if (!inserted) {
    r.Add(x, "duplicate landing zone name \"" + *name + "\" (first defined at " + it->second.file + ":" +
                 std::to_string(it->second.line) + "); zone names must be unique");
    return false;
  }
  return true;
}

// The external id is a secret: a problem names the rule, never the value.
bool ReadExternalId(Reader& r, const Field& x, std::string* out) {
  if (!r.String(x, out)) return false;
  if (out->empty()) return true;
  if (std::string why = CheckExternalId(*out); !why.empty()) {
    r.Add(x, why);
    return false;
  }
  return true;
}

// A key given in the zone's filters replaces the defaults' values for that key.
bool ReadZoneFilters(Reader& r, const Field& x, LandingZone* z) {
  auto fm = r.Map(x, FilterKeys());
  if (!fm) return false;
  With(*fm, "tags", [&](const Field& t) {
    TagMatch tags;
    ReadTagMatch(r, t, &tags);
    for (auto& [k, v] : tags) z->filter_tags[k] = v;
  });
  With(*fm, "exclude_tags", [&](const Field& t) {
    TagMatch exclude;
    ReadTagMatch(r, t, &exclude);
    for (auto& [k, v] : exclude) z->exclude_tags[k] = v;
  });
  return true;
}

// The role: role_arn as written (checked against the account), or built from a role name. Called
// once the rest of the zone is read: the ARN is built only when `ok`.
bool ReadZoneRole(Reader& r, const std::map<std::string, Field>& m, const ZoneDefaults& d, bool ok,
                  LandingZone* z) {
  auto arn_it = m.find("role_arn");
  auto name_it = m.find("role_name");
  if (arn_it != m.end() && name_it != m.end()) {
    r.Add(name_it->second, "give either role_arn or role_name, not both");
    return false;
  }
  if (arn_it != m.end()) {
    if (!r.String(arn_it->second, &z->role_arn)) return false;
    if (std::string why = CheckRoleArn(z->role_arn, z->account_id, z->region); !why.empty()) {
      r.Add(arn_it->second, "found \"" + z->role_arn + "\"; " + why);
      return false;
    }
    return true;
  }
  z->role_name = d.role_name;
  if (name_it != m.end() && !ReadChecked(r, name_it->second, &z->role_name, CheckRoleName, false))
    return false;
  if (ok)
    z->role_arn = "arn:" + PartitionForRegion(z->region) + ":iam::" + z->account_id + ":role/" + z->role_name;
  return true;
}

void ReadZone(Reader& r, const Field& f, const ZoneDefaults& d, std::map<std::string, ZoneSeen>* seen,
              std::vector<LandingZone>* out) {
  auto m = r.Map(f, ZoneKeys());
  if (!m) return;
  LandingZone z;
  z.external_id = d.external_id;
  z.session_name = d.session_name;
  z.endpoint_url = d.endpoint_url;
  z.filter_tags = d.filter_tags;
  z.exclude_tags = d.exclude_tags;
  bool ok = true;
  for (const char* key : {"name", "account_id", "region"}) {
    if (m->count(key)) continue;
    r.Add(f, std::string("missing required key \"") + key + "\"");
    ok = false;
  }
  With(*m, "name", [&](const Field& x) { ok = ReadZoneName(r, x, seen, &z.name) && ok; });
  With(*m, "account_id", [&](const Field& x) {
    ReadAccountId(r, x, &z.account_id);
    if (z.account_id.empty()) ok = false;
  });
  With(*m, "region", [&](const Field& x) { ok = ReadChecked(r, x, &z.region, CheckRegion, false) && ok; });
  With(*m, "enabled", [&](const Field& x) { ok = r.Bool(x, &z.enabled) && ok; });
  With(*m, "external_id", [&](const Field& x) { ok = ReadExternalId(r, x, &z.external_id) && ok; });
  With(*m, "session_name",
       [&](const Field& x) { ok = ReadChecked(r, x, &z.session_name, CheckSessionName, false) && ok; });
  With(*m, "endpoint_url",
       [&](const Field& x) { ok = ReadChecked(r, x, &z.endpoint_url, CheckEndpointUrl, true) && ok; });
  With(*m, "filters", [&](const Field& x) { ok = ReadZoneFilters(r, x, &z) && ok; });
  ok = ReadZoneRole(r, *m, d, ok, &z) && ok;
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

// Reads section `path` of the field table ("" = the whole file) from f: its keys, then each field
// by its row's reader, then the section's own check.
void ReadSection(Reader& r, const Field& f, const std::string& path, Config* c) {
  const auto children = ChildrenOf(ConfigFields(), path);
  auto m = r.Map(f, ChildKeys(ConfigFields(), path));
  if (!m) return;
  for (const FieldSpec* child : children) {
    With(*m, child->Key().c_str(), [&](const Field& x) {
      if (child->type == FieldType::kSection) return ReadSection(r, x, child->path, c);
      child->read(r, x, c);
    });
  }
  for (const FieldSpec& s : ConfigFields()) {
    if (s.path == path && s.after) s.after(r, f, c);
  }
}

void ReadConfig(Reader& r, const YAML::Node& root, Config* c) {
  if (root.IsNull()) {
    r.Add(YAML::Mark(), "",
          "the file is empty (or holds only comments); expected a mapping with keys such as "
          "workflow, landing_zones, patch");
    return;
  }
  ReadSection(r, Field{root, "", root.Mark()}, "", c);
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

void ReadZoneDefaultsField(Reader& r, const Field& f, Config* c) {
  ReadZoneDefaults(r, f, &c->landing_zone_defaults);
}

void ReadLandingZonesField(Reader& r, const Field& x, Config* c) {
  if (!r.load_landing_zones) return;
  std::map<std::string, ZoneSeen> seen;
  if (x.value.IsScalar()) {
    std::string rel;
    if (!r.String(x, &rel)) return;
    fs::path p = rel;
    if (p.is_relative()) p = r.base_dir / p;
    p = p.lexically_normal();
    c->landing_zones_file = p.string();
    auto doc = ParseFile(p, r.problems(), &r, &x);
    if (!doc) return;
    Reader inv(p.string(), r.env(), r.problems());
    ReadInventory(inv, *doc, c->landing_zone_defaults, &seen, &c->landing_zones);
  } else if (x.value.IsSequence()) {
    ReadZoneList(r, x, c->landing_zone_defaults, &seen, &c->landing_zones);
  } else {
    r.Add(x, "expected the path of a landing-zone inventory file or a list of landing zones; found " +
                 Describe(x.value));
  }
}

std::vector<Problem> CheckConfigFile(const fs::path& path, const EnvLookup& env, Config* out,
                                     bool load_landing_zones) {
  std::vector<Problem> problems;
  auto doc = ParseFile(path, &problems, nullptr, nullptr);
  if (!doc) return problems;
  Config c;
  Reader r(path.string(), env, &problems);
  r.base_dir = path.parent_path();
  r.load_landing_zones = load_landing_zones;
  Guard(path.string(), &problems, [&] { ReadConfig(r, *doc, &c); });
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
  r.base_dir = base_dir;
  Guard(display_name, &problems, [&] { ReadConfig(r, *doc, &c); });
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
