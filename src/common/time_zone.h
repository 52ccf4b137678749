// TimeZone: UTC offsets of one IANA time zone ("Europe/Berlin"), read from the system tz database
// (TZif files under $TZDIR or /usr/share/zoneinfo, as installed by Debian's tzdata). Used to place
// maintenance windows in local time. Not the process's TZ: nothing global is read or changed.
// Limit: after the file's last transition the last offset applies (Debian ships "fat" files with
// transitions precomputed to 2037).
// Thread-safety: immutable after Load; safe to share.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace fleetpatch {

class TimeZone {
 public:
  using Seconds = std::chrono::sys_seconds;

  // "UTC" (and "Etc/UTC") need no file. kConfig naming the zone when the name is malformed
  // (anything but letters, digits, '_', '-', '+', '/', no "..") or has no file; kValidation when
  // the file is not TZif. `tzdir` "" means $TZDIR, else /usr/share/zoneinfo.
  static Result<TimeZone> Load(const std::string& name, const std::string& tzdir = "");
  // From TZif bytes (tests, embedded data). kValidation when malformed.
  static Result<TimeZone> FromTzif(const std::string& name, const std::string& bytes);
  static TimeZone Utc();

  const std::string& name() const { return name_; }
  // The offset (local - UTC) in force at `utc`.
  std::chrono::seconds OffsetAt(Seconds utc) const;
  // The UTC instant of a local wall-clock time. In a DST gap the time is taken with the offset in
  // force before the gap; in an overlap, the earlier of the two instants.
  Seconds ToUtc(std::chrono::local_seconds local) const;
  std::chrono::local_seconds ToLocal(Seconds utc) const;

 private:
  std::string name_;
  std::vector<int64_t> transitions_;  // UTC seconds, ascending
  std::vector<int32_t> offsets_;      // offset in force from transitions_[i]
  int32_t initial_offset_ = 0;        // before the first transition
};

}  // namespace fleetpatch
