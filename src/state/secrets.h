// Keeps credentials out of the state store: the effective config saved with a run passes through
// RedactSecrets first, so a key that looks like it holds a secret (a password, a token, an AWS
// secret access key or session token) is replaced by a marker before it reaches the disk.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/redact.h"

namespace fleetpatch::state {

// A redacted value is replaced with fleetpatch::kRedacted (common/redact.h), the one marker of every
// output; keeping the key shows that a value was set. Stores written before that marker was shared
// hold "<redacted>", which still counts as redacted.
inline constexpr std::string_view kLegacyRedacted = "<redacted>";

// True for object keys whose values are credentials. Case, '-' and '_' are ignored; a key is secret
// when it ends with one of: password, passwd, passphrase, token (aws_session_token, access_token,
// token), secret (client_secret), secretkey, secretaccesskey, privatekey, apikey, credentials,
// externalid (a role's external id).
// "token_bucket" or "max_tokens" are not secret: the match is on the end of the key.
bool LooksSecretKey(std::string_view key);

// Returns a copy of `config` in which every value under a secret-looking key (at any depth, inside
// objects and arrays) is replaced by kRedacted, and the password of every postgresql:// URL value
// (--state or state.url) by "***" (RedactPostgresUrl). `redacted_paths`, when given, receives the JSON
// pointers of the replaced values ("/aws/secret_access_key") so callers can warn about them.
nlohmann::json RedactSecrets(const nlohmann::json& config,
                             std::vector<std::string>* redacted_paths = nullptr);

// The JSON pointers of secret-looking keys whose values are not already kRedacted (or null/empty),
// and of URL values that still hold a password.
// Empty when `config` is safe to store as is.
std::vector<std::string> FindSecrets(const nlohmann::json& config);

}  // namespace fleetpatch::state
