#include "report/text_util.h"

#include <gtest/gtest.h>

namespace fleetpatch::report {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(SanitizeUtf8, KeepsValidText) {
  for (std::string s : {"", "plain", "日本語 ünïcødé", "\xF0\x9F\x98\x80 emoji", "tab\tand\nnewline"})
    EXPECT_EQ(SanitizeUtf8(s), s);
}

TEST(SanitizeUtf8, ReplacesInvalidSequences) {
  EXPECT_EQ(SanitizeUtf8("a\xFF"
                         "b"),
            "a" + kFffd + "b");
  EXPECT_EQ(SanitizeUtf8("\x80"), kFffd);                                      // stray continuation byte
  EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), kFffd + kFffd);                          // overlong '/'
  EXPECT_EQ(SanitizeUtf8("\xED\xA0\x80"), kFffd + kFffd + kFffd);              // UTF-16 surrogate
  EXPECT_EQ(SanitizeUtf8("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // > U+10FFFF
  EXPECT_EQ(SanitizeUtf8("end\xE6\x97"), "end" + kFffd + kFffd);               // truncated
}

TEST(XmlSafeText, ReplacesCharactersXmlCannotHold) {
  EXPECT_EQ(XmlSafeText(std::string("a\0b", 3)), "a" + kFffd + "b");
  EXPECT_EQ(XmlSafeText("\x01\x1b[31m"), kFffd + kFffd + "[31m");
  EXPECT_EQ(XmlSafeText("keep\t\r\n"), "keep\t\r\n");
  EXPECT_EQ(XmlSafeText("\xEF\xBF\xBE"), kFffd);  // U+FFFE
  EXPECT_EQ(XmlSafeText("<&>"), "<&>");           // escaping is the serializer's job
}

TEST(HtmlEscape, EscapesAllFiveSpecialCharacters) {
  EXPECT_EQ(HtmlEscape("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
  EXPECT_EQ(HtmlEscape("a&b\"c'd"), "a&amp;b&quot;c&#39;d");
  EXPECT_EQ(HtmlEscape(std::string("\x00", 1)), kFffd);
}

TEST(TerminalSafe, NeutralisesEscapeSequences) {
  EXPECT_EQ(TerminalSafe("red\x1b[31m\nnext\t\x9b"), "red" + kFffd + "[31m next " + kFffd);
  EXPECT_EQ(TerminalSafe("\xC2\x9B"), kFffd);  // C1 CSI encoded as UTF-8
}

TEST(ScriptSafeJson, CannotCloseTheScriptElement) {
  nlohmann::json j = {{"name", "</script><script>alert(1)</script>"},
                      {"c", "<!-- & -->"},
                      {"sep",
                       "a\xE2\x80\xA8"
                       "b\xE2\x80\xA9"},
                      {"bad", "\xFF"}};
  std::string out = ScriptSafeJson(j);
  EXPECT_EQ(out.find('<'), std::string::npos);
  EXPECT_EQ(out.find('>'), std::string::npos);
  EXPECT_EQ(out.find('&'), std::string::npos);
  EXPECT_EQ(out.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_EQ(out.find("\xE2\x80\xA9"), std::string::npos);
  // And it still reads back as the same data (with the invalid byte replaced).
  nlohmann::json back = nlohmann::json::parse(out);
  EXPECT_EQ(back["name"], "</script><script>alert(1)</script>");
  EXPECT_EQ(back["c"], "<!-- & -->");
  EXPECT_EQ(back["sep"],
            "a\xE2\x80\xA8"
            "b\xE2\x80\xA9");
  EXPECT_EQ(back["bad"], kFffd);
}

TEST(DumpJson, NeverThrowsOnInvalidUtf8) {
  nlohmann::json j = {{"x", std::string("\xC3\x28")}};
  std::string out;
  EXPECT_NO_THROW(out = DumpJson(j));
  EXPECT_NE(out.find(kFffd), std::string::npos);
}

TEST(LooksLikeFormula, OwaspTriggers) {
  for (std::string s : {"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"}) EXPECT_TRUE(LooksLikeFormula(s)) << s;
  for (std::string s : {"", "a=1", "1-2", " =1", "'=1"}) EXPECT_FALSE(LooksLikeFormula(s)) << s;
}

TEST(TextUtil, BidiControlsAreShownEscapedInEveryOutput) {
  // "invoice\u202Etxt.exe" reads as "invoiceexe.txt"; the isolates U+2066-U+2069 reorder too.
  const std::string rlo = "invoice\xE2\x80\xAEtxt.exe";
  const std::string isolates =
      "a\xE2\x81\xA6"
      "b\xE2\x81\xA9"
      "c\xE2\x80\xAA"
      "d";
  EXPECT_EQ(XmlSafeText(rlo), "invoice[U+202E]txt.exe");  // XML, JUnit, CSV
  EXPECT_EQ(HtmlEscape(rlo), "invoice[U+202E]txt.exe");
  EXPECT_EQ(TerminalSafe(rlo), "invoice[U+202E]txt.exe");
  EXPECT_EQ(XmlSafeText(isolates), "a[U+2066]b[U+2069]c[U+202A]d");
  EXPECT_EQ(ScriptSafeJson(nlohmann::json(rlo)), "\"invoice[U+202E]txt.exe\"");
  EXPECT_EQ(JsonEscapeBidi(DumpJson(nlohmann::json(rlo))), "\"invoice\\u202etxt.exe\"");
  EXPECT_EQ(nlohmann::json::parse(JsonEscapeBidi(DumpJson(nlohmann::json(isolates)))),
            isolates);  // same data
  // Neighbours are not bidi controls: U+2029, U+202F (narrow no-break space), U+2065, U+206A.
  for (const char* keep : {"\xE2\x80\xAF", "\xE2\x81\xA5", "\xE2\x81\xAA", "\xC3\xA9"}) {
    EXPECT_EQ(XmlSafeText(keep), keep);
    EXPECT_EQ(TerminalSafe(keep), keep);
  }
}

}  // namespace
}  // namespace fleetpatch::report
