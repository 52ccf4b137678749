#include "emulator/wire.h"

#include <fmt/format.h>

#include <ctime>

namespace fleetpatch::emulator {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kTokenPrefix[] = "fpe1";

}  // namespace

std::string UrlDecode(const std::string& s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

Params ParseForm(const std::string& body) {
  Params p;
  size_t start = 0;
  while (start <= body.size()) {
    size_t amp = body.find('&', start);
    if (amp == std::string::npos) amp = body.size();
    std::string pair = body.substr(start, amp - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      if (eq == std::string::npos)
        p[UrlDecode(pair)] = "";
      else
        p[UrlDecode(pair.substr(0, eq))] = UrlDecode(pair.substr(eq + 1));
    }
    start = amp + 1;
  }
  return p;
}

std::string Get(const Params& p, const char* key) {
  auto it = p.find(key);
  return it == p.end() ? std::string() : it->second;
}

std::vector<std::string> ListParam(const Params& p, const std::string& prefix) {
  std::vector<std::string> out;
  for (int i = 1;; ++i) {
    auto it = p.find(prefix + "." + std::to_string(i));
    if (it == p.end()) break;
    out.push_back(it->second);
  }
  return out;
}

std::vector<Filter> FilterParams(const Params& p, const std::string& prefix) {
  std::vector<Filter> out;
  for (int i = 1;; ++i) {
    std::string base = prefix + "." + std::to_string(i);
    auto it = p.find(base + ".Name");
    if (it == p.end()) break;
    out.push_back({it->second, ListParam(p, base + ".Value")});
  }
  return out;
}

std::vector<Tag> TagParams(const Params& p, const std::string& prefix) {
  std::vector<Tag> out;
  for (int i = 1;; ++i) {
    std::string base = prefix + "." + std::to_string(i);
    auto k = p.find(base + ".Key");
    if (k == p.end()) break;
    auto v = p.find(base + ".Value");
    out.push_back({k->second, v == p.end() ? "" : v->second});
  }
  return out;
}

bool WildcardMatch(const std::string& pattern, const std::string& value) {
  // Iterative glob match with backtracking over the last '*'.
  size_t p = 0, v = 0, star = std::string::npos, mark = 0;
  while (v < value.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == value[v])) {
      ++p;
      ++v;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = v;
    } else if (star != std::string::npos) {
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string XmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EncodeToken(const std::string& key) {
  std::string out = kTokenPrefix;
  for (unsigned char c : key) out += fmt::format("{:02x}", c);
  return out;
}

bool DecodeToken(const std::string& token, std::string* key) {
  const size_t n = sizeof(kTokenPrefix) - 1;
  if (token.size() < n || token.compare(0, n, kTokenPrefix) != 0 || (token.size() - n) % 2 != 0) return false;
  std::string out;
  for (size_t i = n; i < token.size(); i += 2) {
    int hi = HexValue(token[i]), lo = HexValue(token[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
  }
  *key = out;
  return true;
}

}  // namespace fleetpatch::emulator
