// Helpers for the libFuzzer targets in fuzz/: split the fuzzer's bytes into a selector and text.
// Thread-safety: not needed (libFuzzer calls a target from one thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fleetpatch::fuzz {

// The first byte picks one of `n` choices (0 when the input is empty); the rest is the text.
inline size_t Choice(const uint8_t* data, size_t size, size_t n) { return size == 0 ? 0 : data[0] % n; }
inline std::string_view Rest(const uint8_t* data, size_t size) {
  return size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
}
inline std::string_view All(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace fleetpatch::fuzz
