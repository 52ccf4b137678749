// Secret redaction for anything that may reach a log line or an error message. fleetpatch's
// logging sink (log.h) passes every message through RedactSecrets, so a secret that slips into a
// log call by mistake is still scrubbed.
//
// What is scrubbed (values replaced by "[REDACTED]", keys kept so the line stays readable):
//  - "Signature=<hex>" and "X-Amz-Signature=" (Authorization headers, presigned URLs);
//  - X-Amz-Security-Token, x-aws-ec2-metadata-token and non-SigV4 Authorization header values;
//  - WebIdentityToken (AssumeRoleWithWebIdentity) and external ids (ExternalId=, external_id:,
//    --external-id=);
//  - SecretAccessKey / SessionToken / Token in XML (<Token>v</Token>) and JSON ("Token": "v");
//  - aws_secret_access_key / aws_session_token / aws_security_token in ini files or env form
//    (AWS_SECRET_ACCESS_KEY=...), with ':' or '=' separators, any case;
//  - any 40-character base64-looking run shortly after the word "secret".
// Keys are matched case-insensitively and as whole words ("NextToken=" is left alone).
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace fleetpatch {

// The one marker every redaction in fleetpatch writes (logs, errors, the state store, reports).
inline constexpr std::string_view kRedacted = "[REDACTED]";

std::string RedactSecrets(std::string_view text);

// Error::ToString() passed through RedactSecrets: the form in which every error reaches a terminal
// (the CLI's stderr lines go through this, not through the redacting log sink).
std::string RedactedErrorText(const Error& error);

}  // namespace fleetpatch
