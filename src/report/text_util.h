// Text escaping for reports: every piece of untrusted text (tag values, command output, AWS error
// messages) passes through one of these before it reaches a report file or the terminal.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/json_dump.h"  // DumpJson: report JSON never throws on bad bytes

namespace fleetpatch::report {

// Unicode bidi controls: U+202A-U+202E (embeddings, overrides) and U+2066-U+2069 (isolates). In a
// tag value they reorder what a person reads ("exe.txt" shown for "txt.exe"), so every output
// shows them as the visible text "[U+202E]" instead: XmlSafeText (XML, JUnit, CSV), HtmlEscape,
// TerminalSafe and ScriptSafeJson do; the JSON report writes them as \u202e escapes (JsonEscapeBidi).
bool IsBidiControl(char32_t cp);

// Dumped JSON with every bidi control written as a \uXXXX escape: the same data, shown as text.
std::string JsonEscapeBidi(std::string dumped);

// Valid UTF-8: every invalid sequence (stray continuation bytes, overlong forms, surrogates, code
// points above U+10FFFF, truncated sequences) becomes U+FFFD. Valid input is returned unchanged.
std::string SanitizeUtf8(std::string_view s);

// Text that XML 1.0 can hold: SanitizeUtf8, then C0 controls other than TAB, LF, CR, and the
// non-characters U+FFFE/U+FFFF become U+FFFD; bidi controls become "[U+XXXX]". Used for XML,
// JUnit, CSV and HTML text.
std::string XmlSafeText(std::string_view s);

// HTML text and attribute values: XmlSafeText, then & < > " ' as character references.
std::string HtmlEscape(std::string_view s);

// One line for a terminal: SanitizeUtf8, control characters (C0, DEL, C1, which could move the
// cursor or change colours) become U+FFFD; TAB/LF/CR become a space; bidi controls "[U+XXXX]".
std::string TerminalSafe(std::string_view s);

// JSON for a <script type="application/json"> element: invalid UTF-8 replaced, and <, >, & and
// U+2028/U+2029 written as \uXXXX escapes, so the text can never close the element or open a
// comment/CDATA section, whatever the strings contain; bidi controls become "[U+XXXX]" (the page's
// script shows the text as it is).
std::string ScriptSafeJson(const nlohmann::json& j);

// True when a spreadsheet would treat a cell starting with this text as a formula:
// = + - @ TAB CR (OWASP's list for CSV injection).
bool LooksLikeFormula(std::string_view s);

}  // namespace fleetpatch::report
