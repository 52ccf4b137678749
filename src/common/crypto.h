// Hashing and MACs for SigV4 and checksums, backed by OpenSSL's EVP/HMAC interfaces, plus a
// constant-time comparison for secrets (signatures) so verification does not leak timing.
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace fleetpatch {

// Raw 32-byte SHA-256 digest of data.
std::string Sha256(std::string_view data);
// Lower-case hex SHA-256 (64 chars), the form SigV4 uses for payload hashes.
std::string Sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256 of data under key (key and result are arbitrary bytes).
std::string HmacSha256(std::string_view key, std::string_view data);
// True when a and b are equal; the time taken depends only on their lengths, not their contents.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace fleetpatch
