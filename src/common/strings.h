// Small string helpers used across the tree: ASCII case folding, joining, trimming, splitting.
// One home so each is written (and tested) once.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fleetpatch {

// ASCII lower case; bytes outside A-Z are unchanged (UTF-8 passes through).
std::string Lower(std::string_view s);
// True when a and b are equal ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// items joined with sep between each pair; "" for no items.
std::string Join(const std::vector<std::string>& items, std::string_view sep);
// True for the ASCII whitespace characters: space, \t, \n, \r, \f, \v (never locale-dependent).
bool IsAsciiSpace(char c);
// s without leading and trailing ASCII whitespace (IsAsciiSpace). A view into s.
std::string_view Trim(std::string_view s);
// The pieces of s between each sep, empty pieces kept: Split("a,,b", ',') == {"a", "", "b"};
// Split("", ',') == {""}.
std::vector<std::string> Split(std::string_view s, char sep);

}  // namespace fleetpatch
