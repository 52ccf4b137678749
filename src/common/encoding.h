// Byte-level encodings shared by the AWS client, the emulator and the reports: hex, base64 and
// RFC 3986 percent-encoding. Pure functions on byte strings (std::string holds arbitrary bytes).
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fleetpatch {

// Lower-case hex of every byte ("\x01\xab" -> "01ab").
std::string HexEncode(std::string_view bytes);
// Inverse of HexEncode (either case). nullopt on odd length or a non-hex digit.
std::optional<std::string> HexDecode(std::string_view hex);

// Standard base64 (RFC 4648 section 4) with '=' padding.
std::string Base64Encode(std::string_view bytes);
// Decodes standard base64; padding is optional, ASCII whitespace is ignored. nullopt on any other
// character outside the alphabet or on impossible lengths/padding.
std::optional<std::string> Base64Decode(std::string_view text);

// RFC 3986 percent-encoding: every byte except the unreserved set A-Z a-z 0-9 - . _ ~ becomes
// %XY (upper-case hex), as SigV4 requires. When keep_slash is true '/' is left as is (paths).
std::string UriEncode(std::string_view bytes, bool keep_slash = false);
// Decodes %XY escapes (either case). A '%' not followed by two hex digits is kept literally, so
// raw text that was never encoded passes through unchanged. '+' is NOT treated as a space (RFC
// 3986 semantics; use FormDecode for application/x-www-form-urlencoded).
std::string UriDecode(std::string_view text);
// application/x-www-form-urlencoded decoding: like UriDecode, and '+' means a space.
std::string FormDecode(std::string_view text);

}  // namespace fleetpatch
