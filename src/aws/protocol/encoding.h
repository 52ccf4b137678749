// Value encodings of the AWS wire protocols: the three timestamp formats (ISO 8601, epoch seconds,
// RFC 822 / HTTP date). Base64 and percent-encoding are the common ones (common/encoding.h).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/encoding.h"

namespace fleetpatch::aws::protocol {

using ::fleetpatch::Base64Decode;
using ::fleetpatch::Base64Encode;

// Percent-encodes every byte except the RFC 3986 unreserved set (A-Z a-z 0-9 - _ . ~), upper-case
// hex, as AWS form bodies and SigV4 expect (so a space is %20, never '+').
inline std::string PercentEncode(std::string_view s) { return UriEncode(s, /*keep_slash=*/false); }

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
