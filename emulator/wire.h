// Wire helpers for the emulator's protocols: form (AWS Query / EC2 Query) decoding, list/filter
// parameter extraction, a small XML writer, ISO 8601 formatting and opaque paging tokens.
// Thread-safety: pure functions and value types.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace fleetpatch::emulator {

using Params = std::map<std::string, std::string>;

std::string UrlDecode(const std::string& s, bool plus_is_space = true);
// Parses "a=1&b=2" (application/x-www-form-urlencoded). Later keys overwrite earlier ones.
Params ParseForm(const std::string& body);

// The parameter's value; "" when absent.
std::string Get(const Params& p, const char* key);

// EC2/Query list parameters: Prefix.1, Prefix.2, ... (stops at the first gap).
std::vector<std::string> ListParam(const Params& p, const std::string& prefix);

struct Filter {
  std::string name;
  std::vector<std::string> values;
};
// Filter.N.Name / Filter.N.Value.M
std::vector<Filter> FilterParams(const Params& p, const std::string& prefix = "Filter");

struct Tag {
  std::string key;
  std::string value;
};
// Prefix.N.Key / Prefix.N.Value
std::vector<Tag> TagParams(const Params& p, const std::string& prefix);

// Matches AWS filter values: '*' any run, '?' one character; everything else literal.
bool WildcardMatch(const std::string& pattern, const std::string& value);

// XML escaping of text content.
std::string XmlEscape(const std::string& s);

// Builds XML by appending; elements are closed explicitly.
class XmlWriter {
 public:
  XmlWriter& Open(const std::string& tag) {
    out_ += "<" + tag + ">";
    return *this;
  }
  XmlWriter& OpenNs(const std::string& tag, const std::string& ns) {
    out_ += "<" + tag + " xmlns=\"" + ns + "\">";
    return *this;
  }
  XmlWriter& Close(const std::string& tag) {
    out_ += "</" + tag + ">";
    return *this;
  }
  XmlWriter& Leaf(const std::string& tag, const std::string& text) {
    out_ += "<" + tag + ">" + XmlEscape(text) + "</" + tag + ">";
    return *this;
  }
  XmlWriter& Leaf(const std::string& tag, const char* text) { return Leaf(tag, std::string(text)); }
  XmlWriter& Leaf(const std::string& tag, bool b) { return Leaf(tag, std::string(b ? "true" : "false")); }
  XmlWriter& Leaf(const std::string& tag, long long v) { return Leaf(tag, std::to_string(v)); }
  XmlWriter& Leaf(const std::string& tag, int v) { return Leaf(tag, std::to_string(v)); }
  XmlWriter& Empty(const std::string& tag) {
    out_ += "<" + tag + "/>";
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
};

// Paging tokens: opaque to clients; carry the key of the next item to return.
std::string EncodeToken(const std::string& key);
// Returns false when the token was not issued by EncodeToken.
bool DecodeToken(const std::string& token, std::string* key);

}  // namespace fleetpatch::emulator
