#include "common/redact.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "common/strings.h"

namespace fleetpatch {
namespace {

// Keys whose value is a secret. Matched case-insensitively as whole words.
constexpr std::array<std::string_view, 20> kSecretKeys = {"Signature",
                                                          "X-Amz-Signature",
                                                          "X-Amz-Security-Token",
                                                          "x-aws-ec2-metadata-token",
                                                          "SecretAccessKey",
                                                          "SessionToken",
                                                          "Token",
                                                          "aws_secret_access_key",
                                                          "aws_session_token",
                                                          "aws_security_token",
                                                          "secret_access_key",
                                                          "session_token",
                                                          "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                                                          "Authorization",
                                                          "WebIdentityToken",
                                                          "AWS_WEB_IDENTITY_TOKEN",
                                                          "ExternalId",
                                                          "external_id",
                                                          "external-id",
                                                          "--external-id"};

constexpr size_t kSecretWindow = 48;  // how far after "secret" a bare 40-char key is looked for

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool IsKeyChar(char c) { return IsWordChar(c) || c == '-'; }
bool IsBase64Char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }
// Characters that end a secret value: secrets (base64, hex, URL-encoded) never contain them.
bool EndsValue(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '&' || c == ';' || c == '"' ||
         c == '\'' || c == '<' || c == '>' || c == ')' || c == ']' || c == '}';
}

bool StartsWithI(std::string_view text, size_t pos, std::string_view word) {
  return pos + word.size() <= text.size() && EqualsIgnoreCase(text.substr(pos, word.size()), word);
}

struct Span {
  size_t begin;
  size_t end;
};

// Finds the value that follows a key ending at key_end, in the forms
//   key=value  key: value  key = "value"  "key": "value"  \"key\": \"value\"  <key>value</key>
// Returns false when no separator follows (the word is just prose).
bool ValueAfterKey(std::string_view text, size_t key_begin, size_t key_end, bool to_end_of_line, Span* out) {
  size_t i = key_end;
  if (i < text.size() && text[i] == '>') {  // maybe an XML start tag: <Token> or <ns:Token>
    size_t lt = key_begin;
    while (lt > 0 && (IsKeyChar(text[lt - 1]) || text[lt - 1] == ':' || text[lt - 1] == '.')) --lt;
    if (lt > 0 && text[lt - 1] == '<') {
      size_t end = text.find('<', i + 1);
      *out = {i + 1, end == std::string_view::npos ? text.size() : end};
      return out->end > out->begin && text.substr(out->begin, kRedacted.size()) != kRedacted;
    }
    return false;
  }
  while (i < text.size() && (text[i] == '"' || text[i] == '\'' || text[i] == '\\'))
    ++i;  // closing quote of a key
  while (i < text.size() && IsBlank(text[i])) ++i;
  if (i >= text.size() || (text[i] != '=' && text[i] != ':')) return false;
  ++i;
  while (i < text.size() && IsBlank(text[i])) ++i;
  while (i < text.size() && (text[i] == '"' || text[i] == '\'' || text[i] == '\\')) ++i;  // opening quote
  size_t begin = i;
  if (to_end_of_line) {
    while (i < text.size() && text[i] != '\r' && text[i] != '\n') ++i;
  } else {
    while (i < text.size() && !EndsValue(text[i])) ++i;
  }
  // JSON null/true/false and numbers are not secrets (and keep e.g. "SessionToken": null readable).
  std::string_view value = text.substr(begin, i - begin);
  if (value.empty() || value == "null" || value == "true" || value == "false") return false;
  if (text.substr(begin, kRedacted.size()) == kRedacted) return false;  // already scrubbed
  *out = {begin, i};
  return true;
}

void CollectKeyValueSpans(std::string_view text, std::vector<Span>* spans) {
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (pos > 0 && IsKeyChar(text[pos - 1])) continue;  // keys start at a word boundary
    for (std::string_view key : kSecretKeys) {
      if (!StartsWithI(text, pos, key)) continue;
      size_t key_end = pos + key.size();
      if (key_end < text.size() && IsKeyChar(text[key_end])) continue;  // "Tokens", "Token-Type"
      const bool authorization = key == "Authorization";
      Span span{};
      if (!ValueAfterKey(text, pos, key_end, authorization, &span)) continue;
      // A SigV4 Authorization value is safe apart from its Signature=, which is its own key.
      if (authorization && StartsWithI(text, span.begin, "AWS4-HMAC-SHA256")) continue;
      spans->push_back(span);
    }
  }
}

// "secret" followed, within a short window, by a 40-character base64 run: an AWS secret key.
void CollectBareSecretSpans(std::string_view text, std::vector<Span>* spans) {
  for (size_t pos = 0; pos + 6 <= text.size(); ++pos) {
    if (!StartsWithI(text, pos, "secret")) continue;
    size_t i = pos + 6;
    while (i < text.size() && IsWordChar(text[i])) ++i;  // rest of the word ("secretkey", "secret_access")
    const size_t limit = std::min(text.size(), i + kSecretWindow);
    while (i < limit && text[i] != '\n') {
      if (!IsBase64Char(text[i])) {
        ++i;
        continue;
      }
      size_t run_begin = i;
      while (i < text.size() && IsBase64Char(text[i])) ++i;
      size_t run_end = i;
      while (i < text.size() && text[i] == '=') ++i;  // tolerate padding-like tails
      if (run_end - run_begin == 40) {
        spans->push_back({run_begin, run_end});
        break;
      }
    }
  }
}

}  // namespace

std::string RedactSecrets(std::string_view text) {
  std::vector<Span> spans;
  CollectKeyValueSpans(text, &spans);
  CollectBareSecretSpans(text, &spans);
  if (spans.empty()) return std::string(text);
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  std::string out;
  out.reserve(text.size());
  size_t cursor = 0;
  for (size_t i = 0; i < spans.size();) {
    Span merged = spans[i++];
    while (i < spans.size() && spans[i].begin <= merged.end)
      merged.end = std::max(merged.end, spans[i++].end);
    out.append(text.substr(cursor, merged.begin - cursor));
    out.append(kRedacted);
    cursor = merged.end;
  }
  out.append(text.substr(cursor));
  return out;
}

std::string RedactedErrorText(const Error& error) { return RedactSecrets(error.ToString()); }

}  // namespace fleetpatch
