#include "aws/protocol/event_stream.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>

namespace fleetpatch::aws::protocol {
namespace {

uint32_t Crc32(std::string_view data) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (char ch : data) crc = kTable[(crc ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint64_t ReadBE(std::string_view s, size_t pos, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(s[pos + i]);
  return v;
}

Error Bad(const std::string& what) {
  return Error{ErrorCategory::kAws, "malformed AWS event stream: " + what};
}

}  // namespace

Result<std::vector<EventMessage>> DecodeEventStream(std::string_view bytes) {
  std::vector<EventMessage> out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 16) return Bad("truncated prelude");
    uint64_t total = ReadBE(bytes, pos, 4);
    uint64_t headers_len = ReadBE(bytes, pos + 4, 4);
    if (total < 16 || total > bytes.size() - pos || headers_len > total - 16)
      return Bad("bad message lengths");
    std::string_view msg = bytes.substr(pos, total);
    if (Crc32(msg.substr(0, 8)) != ReadBE(msg, 8, 4)) return Bad("prelude CRC mismatch");
    if (Crc32(msg.substr(0, total - 4)) != ReadBE(msg, total - 4, 4)) return Bad("message CRC mismatch");

    EventMessage m;
    std::string_view h = msg.substr(12, headers_len);
    size_t hp = 0;
    auto need = [&](size_t n) { return hp + n <= h.size(); };
    while (hp < h.size()) {
      size_t name_len = static_cast<unsigned char>(h[hp++]);
      if (!need(name_len + 1)) return Bad("truncated header");
      std::string name(h.substr(hp, name_len));
      hp += name_len;
      int type = static_cast<unsigned char>(h[hp++]);
      std::string value;
      switch (type) {
        case 0:
          value = "true";
          break;
        case 1:
          value = "false";
          break;
        case 2:
        case 3:
        case 4:
        case 5:
        case 8: {
          size_t n = type == 2 ? 1 : type == 3 ? 2 : type == 4 ? 4 : 8;
          if (!need(n)) return Bad("truncated header value");
          uint64_t raw = ReadBE(h, hp, n);
          int64_t v = n == 8 ? static_cast<int64_t>(raw)
                             : static_cast<int64_t>(raw << (64 - 8 * n)) >> (64 - 8 * n);  // sign-extend
          value = std::to_string(v);
          hp += n;
          break;
        }
        case 6:
        case 7: {
          if (!need(2)) return Bad("truncated header value");
          size_t n = ReadBE(h, hp, 2);
          hp += 2;
          if (!need(n)) return Bad("truncated header value");
          value = std::string(h.substr(hp, n));
          hp += n;
          break;
        }
        case 9:
          if (!need(16)) return Bad("truncated header value");
          value = std::string(h.substr(hp, 16));
          hp += 16;
          break;
        default:
          return Bad(fmt::format("unknown header type {}", type));
      }
      m.headers[name] = std::move(value);
    }
    m.payload = std::string(msg.substr(12 + headers_len, total - 16 - headers_len));
    out.push_back(std::move(m));
    pos += total;
  }
  return out;
}

}  // namespace fleetpatch::aws::protocol
