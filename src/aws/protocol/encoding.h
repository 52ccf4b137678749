// Value encodings shared by the AWS wire protocols: base64, form/URI percent-encoding, and the
// three timestamp formats (ISO 8601, epoch seconds, RFC 822 / HTTP date).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fleetpatch::aws::protocol {

std::string Base64Encode(std::string_view bytes);
// Returns nullopt on characters outside the base64 alphabet (whitespace is skipped).
std::optional<std::string> Base64Decode(std::string_view text);

// Percent-encodes every byte except the RFC 3986 unreserved set (A-Z a-z 0-9 - _ . ~), upper-case
// hex, as AWS form bodies and SigV4 expect (so a space is %20, never '+').
std::string PercentEncode(std::string_view s);

// Timestamps travel as epoch seconds (fractional part = sub-second precision).
// "2015-01-25T08:00:00Z", with ".123" when the value has milliseconds.
std::string FormatTimestampIso8601(double epoch_seconds);
// "Sun, 25 Jan 2015 08:00:00 GMT".
std::string FormatTimestampRfc822(double epoch_seconds);
// Epoch seconds as a decimal string: "1422172800" or "1422172800.123".
std::string FormatTimestampEpoch(double epoch_seconds);

// Parses any of the three formats (ISO 8601 with optional fraction and Z / +hh:mm offset, RFC 822
// with a GMT/UTC/+0000 zone, or a decimal number of epoch seconds). nullopt when malformed.
std::optional<double> ParseTimestamp(std::string_view text);

}  // namespace fleetpatch::aws::protocol
