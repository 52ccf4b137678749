// A count ("5") or a percentage ("10%") of some total: the error budget, SSM's MaxErrors and
// MaxConcurrency. Parsed once from text (the config loader, the emulator) and passed as this type.
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace fleetpatch {

struct CountOrPercent {
  bool percent = false;  // true: value is a percentage (0-100); false: a whole count
  double value = 0;

  // How many of `total` this allows: a count as is, a percentage rounded down (10% of 15 -> 1).
  int64_t Of(int64_t total) const;
  // "10%" or "3": the form the config file and SSM's MaxErrors / MaxConcurrency take.
  std::string ToString() const;

  // "10%" / "2.5%" (0 to 100, optional spaces before the %) or a whole count from 0 to max_count.
  // Errors (kConfig): "out of range: <text>; allowed: <Allowed(max_count)>" for a well-formed value
  // outside the range, else "expected <Allowed(max_count)>" (callers add what was found).
  static Result<CountOrPercent> Parse(std::string_view text, int64_t max_count);
  // "a count (0 to N) or a percentage from 0% to 100% such as "10%"", for messages.
  static std::string Allowed(int64_t max_count);

  bool operator==(const CountOrPercent&) const = default;
};

}  // namespace fleetpatch
