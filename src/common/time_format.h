// Time as text: the UTC formats fleetpatch writes (ISO 8601, SigV4's amz-date, HTTP dates) and the
// parsers for what AWS and our own files send back. The one place that calls gmtime_r, strftime and
// timegm; everything else formats and parses through here.
// Thread-safety: pure functions (gmtime_r/timegm are reentrant).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace fleetpatch {

using TimePoint = std::chrono::system_clock::time_point;

// t in UTC through a strftime format, at whole-second precision (the fraction is dropped, so
// 12:36:00.9 is 12:36:00). Example: FormatUtc(t, "%Y-%m-%d") == "2015-08-30".
std::string FormatUtc(TimePoint t, const char* strftime_format);
// "20150830T123600Z" (SigV4).
std::string FormatAmzDate(TimePoint t);
// "2015-08-30T12:36:00Z": ISO 8601 UTC, whole seconds.
std::string FormatIso8601(TimePoint t);
// "2015-08-30T12:36:00.123Z": ISO 8601 UTC with milliseconds (always three digits).
std::string FormatIso8601Millis(TimePoint t);
// "Sun, 30 Aug 2015 12:36:00 GMT": the RFC 9110 IMF-fixdate (the RFC 822 form AWS uses).
std::string FormatHttpDate(TimePoint t);

// Parses ISO 8601: "2015-08-30T12:36:00" with 'T', 't' or ' ' between date and time, an optional
// fraction (1 to 9 digits kept, more digits accepted and dropped), then "Z", "z", "+hh:mm", "+hhmm",
// "-hh:mm", "-hhmm" or nothing (read as UTC). Returns false on anything else, including out-of-range
// fields, and leaves *out unchanged.
bool ParseIso8601(std::string_view s, TimePoint* out);
// Parses an HTTP date, "Tue, 29 Apr 2014 18:30:38 GMT" (zone GMT, UTC, Z, +0000 or none). Returns false
// on anything else and leaves *out unchanged.
bool ParseHttpDate(std::string_view s, TimePoint* out);

// Seconds from ISO 8601 time `start` to `end`; 0 when either does not parse or end is before start
// (a duration is never negative, even if the wall clock was stepped back in between).
double SecondsBetweenIso8601(const std::string& start, const std::string& end);

}  // namespace fleetpatch
