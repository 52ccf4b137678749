// libFuzzer target: SigV4 canonicalisation on both sides. The input is read as a raw HTTP request
// (request line, headers, blank line, body; the aws4 test suite's .req files are the seeds): it
// is verified as the emulator verifies, its path and query canonicalised, and signed as a client.
#include <chrono>

#include "aws/credentials.h"
#include "aws/sigv4.h"
#include "fuzz/fuzz_input.h"

namespace {

using namespace fleetpatch::aws;

// Splits "METHOD target HTTP/1.1\r\nName: value\r\n...\r\n\r\nbody" leniently.
ReceivedRequest ParseRaw(std::string_view raw) {
  ReceivedRequest r;
  size_t eol = raw.find('\n');
  std::string_view line = raw.substr(0, eol);
  size_t sp = line.find(' ');
  r.method = std::string(line.substr(0, sp));
  if (sp != std::string_view::npos) {
    std::string_view rest = line.substr(sp + 1);
    r.target = std::string(rest.substr(0, rest.rfind(' ')));
  }
  size_t pos = eol == std::string_view::npos ? raw.size() : eol + 1;
  while (pos < raw.size()) {
    size_t end = raw.find('\n', pos);
    std::string_view h = raw.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? raw.size() : end + 1;
    if (!h.empty() && h.back() == '\r') h.remove_suffix(1);
    if (h.empty()) break;
    size_t colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    r.headers.emplace_back(std::string(h.substr(0, colon)), std::string(h.substr(colon + 1)));
  }
  r.body = std::string(raw.substr(std::min(pos, raw.size())));
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw = fleetpatch::fuzz::All(data, size);
  ReceivedRequest received = ParseRaw(raw);
  (void)VerifyRequest(received, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  const std::string& target = received.target;
  const size_t q = target.find('?');
  (void)CanonicalUri(std::string_view(target).substr(0, q), true);
  (void)CanonicalUri(std::string_view(target).substr(0, q), false);
  if (q != std::string::npos) (void)CanonicalQueryString(std::string_view(target).substr(q + 1));
  for (const auto& [name, value] : received.headers) (void)CanonicalHeaderValue(value);
  if (const std::string* authz = FindHeader(received.headers, "Authorization"))
    (void)ParseAuthorization(*authz);

  HttpRequest request;
  request.method = received.method;
  request.url =
      "https://example.amazonaws.com" + (target.empty() || target[0] != '/' ? "/" + target : target);
  request.headers = received.headers;
  request.body = received.body;
  Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "token", std::nullopt, "fuzz"};
  SigningParams params{"us-east-1", "service",
                       std::chrono::system_clock::time_point(std::chrono::seconds(1440938160))};
  HttpRequest presign = request;
  (void)SignRequest(request, creds, params);
  (void)PresignRequest(presign, creds, params, std::chrono::seconds(300));
  return 0;
}
