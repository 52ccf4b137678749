#include "report/text_util.h"

namespace fleetpatch::report {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Decodes one UTF-8 sequence at s[i]. Returns its length and sets *cp, or 0 if invalid.
size_t DecodeOne(std::string_view s, size_t i, char32_t* cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  char32_t v;
  char32_t min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(i + k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

// Walks s, calling emit(out, code point, bytes) for each valid sequence; invalid bytes become U+FFFD.
template <class Emit>
std::string Transform(std::string_view s, Emit emit) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t len = DecodeOne(s, i, &cp);
    if (len == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    emit(out, cp, s.substr(i, len));
    i += len;
  }
  return out;
}

// "[U+202E]": how a bidi control is shown.
void AppendVisible(std::string& out, char32_t cp) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += "[U+";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
  out += ']';
}

// The bidi control encoded at raw[i] (always three bytes, E2 80 AA-AE or E2 81 A6-A9), or 0.
char32_t BidiAt(std::string_view raw, size_t i) {
  if (i + 2 >= raw.size() || raw[i] != '\xE2') return 0;
  char32_t cp = 0;
  if (DecodeOne(raw, i, &cp) != 3 || !IsBidiControl(cp)) return 0;
  return cp;
}

bool XmlAllowed(char32_t cp) {
  if (cp < 0x20) return cp == 0x09 || cp == 0x0A || cp == 0x0D;
  return cp != 0xFFFE && cp != 0xFFFF;
}

}  // namespace

bool IsBidiControl(char32_t cp) { return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069); }

std::string JsonEscapeBidi(std::string dumped) {
  std::string out;
  out.reserve(dumped.size());
  for (size_t i = 0; i < dumped.size(); ++i) {
    if (char32_t cp = BidiAt(dumped, i)) {
      // Outside strings JSON has no such characters, so every one found is inside a string.
      out += cp <= 0x202E ? "\\u202" : "\\u206";
      out += "0123456789abcdef"[cp & 0xF];
      i += 2;
    } else {
      out += dumped[i];
    }
  }
  return out;
}

std::string SanitizeUtf8(std::string_view s) {
  return Transform(s, [](std::string& out, char32_t, std::string_view bytes) { out += bytes; });
}

std::string XmlSafeText(std::string_view s) {
  return Transform(s, [](std::string& out, char32_t cp, std::string_view bytes) {
    if (IsBidiControl(cp))
      AppendVisible(out, cp);
    else if (XmlAllowed(cp))
      out += bytes;
    else
      out += kReplacement;
  });
}

std::string HtmlEscape(std::string_view s) {
  return Transform(s, [](std::string& out, char32_t cp, std::string_view bytes) {
    switch (cp) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (IsBidiControl(cp))
          AppendVisible(out, cp);
        else if (XmlAllowed(cp))
          out += bytes;
        else
          out += kReplacement;
    }
  });
}

std::string TerminalSafe(std::string_view s) {
  return Transform(s, [](std::string& out, char32_t cp, std::string_view bytes) {
    if (cp == '\t' || cp == '\n' || cp == '\r')
      out += ' ';
    else if (IsBidiControl(cp))
      AppendVisible(out, cp);
    else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
      out += kReplacement;
    else
      out += bytes;
  });
}

std::string ScriptSafeJson(const nlohmann::json& j) {
  std::string raw = DumpJson(j);
  std::string out;
  out.reserve(raw.size() + raw.size() / 8);
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    // Outside strings JSON uses none of these characters, so escaping them everywhere is safe.
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < raw.size() && raw[i + 1] == '\x80' &&
               (raw[i + 2] == '\xA8' || raw[i + 2] == '\xA9')) {
      out += raw[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else if (char32_t cp = BidiAt(raw, i)) {
      AppendVisible(out, cp);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

bool LooksLikeFormula(std::string_view s) {
  if (s.empty()) return false;
  switch (s.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

}  // namespace fleetpatch::report
