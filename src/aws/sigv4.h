// AWS Signature Version 4 (header signing), both sides of it:
//  - SignRequest: the client signer. A pure function of the request, credentials, region, service
//    and a time passed in (never read from a clock), so AWS's published vectors are golden tests.
//  - ParseAuthorization / VerifyRequest: the server side, used by the emulator to check requests
//    signed by fleetpatch, botocore or the AWS CLI.
// Both sides build the canonical request with the same functions, so what one signs the other
// verifies. The rules follow AWS (and botocore/awscli, checked against its canonical requests):
//  - the path is URI-encoded as given: the raw text of the test vectors ("/example space/") is
//    encoded once, and a wire path that is already percent-encoded ("/a%20b") is encoded again
//    ("/a%2520b"), which is what AWS expects for every service but S3;
//  - the query is percent-decoded and re-encoded with the RFC 3986 unreserved set, so raw text
//    and a canonically encoded wire query give the same result (no double encoding).
// Thread-safety: stateless functions; safe from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "aws/http.h"
#include "common/error.h"

namespace fleetpatch::aws {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";

struct SigningParams {
  std::string region;                          // e.g. "us-east-1"
  std::string service;                         // signing name, e.g. "ec2", "ssm", "sts"
  std::chrono::system_clock::time_point time;  // the request time (X-Amz-Date)
  // Remove dot segments and collapse "//" in the path. Default: true (every service but S3).
  bool normalize_path = true;
  // Add and sign x-amz-content-sha256 with the payload hash. Default: false (S3 needs it).
  bool sign_body = false;
  // Send X-Amz-Security-Token but leave it out of the signature. Default: false (sign it).
  bool omit_session_token = false;
};

// The intermediate and final values of one signature. signature/authorization authenticate the
// request: treat them like secrets (never log them).
struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // 64 lower-case hex chars
  std::string authorization;   // the Authorization header value
};

// Signs request in place: sets Host (from the URL, when absent), X-Amz-Security-Token (when the
// credentials carry a session token; an old one is removed when they do not), X-Amz-Date,
// x-amz-content-sha256 (when sign_body) and Authorization (replacing any previous one). Every other header
// present is signed, except user-agent, expect, x-amzn-trace-id, connection and transfer-encoding, which
// proxies and transports may rewrite. Fails (kAuth) on empty credentials, (kInternal) on a malformed URL or
// missing region/service; the request is left unchanged on failure.
Result<SigningResult> SignRequest(HttpRequest& request, const Credentials& credentials,
                                  const SigningParams& params);

// Presigns request (query-string authentication): appends X-Amz-Algorithm, X-Amz-Credential,
// X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Expires, X-Amz-Security-Token (signed unless
// omit_session_token) and X-Amz-Signature to the URL; headers are signed but not changed (Host is
// added when absent). sign_body is ignored: the payload hash is that of the body. Same errors as
// SignRequest; expires must be 1 s .. 7 days.
Result<SigningResult> PresignRequest(HttpRequest& request, const Credentials& credentials,
                                     const SigningParams& params, std::chrono::seconds expires);

// ---- Canonicalisation building blocks (shared by both sides; exposed for tests) ----

// "/a/./b//c/../" -> "/a/b/" when normalize; each segment UriEncode'd as given (not decoded).
std::string CanonicalUri(std::string_view path, bool normalize);
// "b=2&a=1&c" -> "a=1&b=2&c=": pairs decoded, re-encoded, sorted by encoded key then value.
std::string CanonicalQueryString(std::string_view query);
// Trims a header value and collapses inner runs of whitespace into one space.
std::string CanonicalHeaderValue(std::string_view value);
// The signing key: HMAC chain over "AWS4"+secret, date (YYYYMMDD), region, service, "aws4_request".
std::string DeriveSigningKey(std::string_view secret_access_key, std::string_view date,
                             std::string_view region, std::string_view service);

// ---- Server side ----

// The parts of "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=<hex>".
struct ParsedAuthorization {
  std::string access_key_id;
  std::string date;  // YYYYMMDD
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // lower-case, in the order given
  std::string signature;                    // hex; do not log

  std::string CredentialScope() const;  // "20150830/us-east-1/service/aws4_request"
};

// Parses an Authorization header value. Error (kAuth, aws_code "IncompleteSignature", HTTP 400)
// names the part that is missing or malformed; it never echoes the signature.
Result<ParsedAuthorization> ParseAuthorization(std::string_view header_value);

// A request as a server received it.
struct ReceivedRequest {
  std::string method;
  std::string target;  // path[?query] exactly as on the request line (percent-encoded)
  Headers headers;     // as received; repeated headers as separate entries, in arrival order
  std::string body;
};

struct VerifyOptions {
  // When set, reject requests whose X-Amz-Date is more than max_skew away from now.
  std::optional<std::chrono::system_clock::time_point> now;
  std::chrono::seconds max_skew{std::chrono::minutes(15)};
  bool normalize_path = true;  // must match what the signer did (false only for S3)
};

// Returns the secret access key for an access key id, or nullopt when the key is unknown.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

// Verifies a SigV4 header-signed request: parses Authorization, looks up the secret, recomputes
// the signature and compares in constant time. On success returns the parsed header (who signed,
// for which region/service). Errors are kAuth with an AWS-style aws_code and HTTP status:
//   MissingAuthenticationToken (no Authorization), IncompleteSignature (malformed header, host or
//   a signed header missing, date mismatch), InvalidClientTokenId (unknown key id),
//   RequestExpired (outside max_skew), SignatureDoesNotMatch (anything else, incl. a body that
//   does not match x-amz-content-sha256).
Result<ParsedAuthorization> VerifyRequest(const ReceivedRequest& request, const SecretLookup& lookup,
                                          const VerifyOptions& options = {});
// Same, with the secret of the (single) expected key.
Result<ParsedAuthorization> VerifyRequest(const ReceivedRequest& request, std::string_view secret_access_key,
                                          const VerifyOptions& options = {});

}  // namespace fleetpatch::aws
