#include "common/time_zone.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace fleetpatch {
namespace {

constexpr size_t kHeaderSize = 44;

int64_t BigEndian(const std::string& b, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  if (width == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

bool ValidZoneName(const std::string& name) {
  if (name.empty() || name.size() > 128 || name.front() == '/' || name.find("..") != std::string::npos)
    return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '+' || c == '/';
  });
}

struct Counts {
  int64_t isut, isstd, leap, time, type, chars;
};

Counts ReadCounts(const std::string& b, size_t at) {
  return {BigEndian(b, at + 20, 4), BigEndian(b, at + 24, 4), BigEndian(b, at + 28, 4),
          BigEndian(b, at + 32, 4), BigEndian(b, at + 36, 4), BigEndian(b, at + 40, 4)};
}

}  // namespace

TimeZone TimeZone::Utc() {
  TimeZone tz;
  tz.name_ = "UTC";
  return tz;
}

Result<TimeZone> TimeZone::FromTzif(const std::string& name, const std::string& b) {
  auto bad = [&](const char* why) { return Error::Validation("time zone " + name + ": " + why); };
  if (b.size() < kHeaderSize || b.compare(0, 4, "TZif") != 0) return bad("not a TZif file");
  Counts c = ReadCounts(b, 0);
  size_t at = kHeaderSize;
  size_t width = 4;
  if (b[4] >= '2') {  // skip the 32-bit block; use the 64-bit one that follows
    at += c.time * 5 + c.type * 6 + c.chars + c.leap * 8 + c.isstd + c.isut;
    if (b.size() < at + kHeaderSize || b.compare(at, 4, "TZif") != 0) return bad("truncated TZif v2 header");
    c = ReadCounts(b, at);
    at += kHeaderSize;
    width = 8;
  }
  if (c.type < 1 || c.time < 0 || b.size() < at + c.time * (width + 1) + c.type * 6)
    return bad("truncated TZif data");
  TimeZone tz;
  tz.name_ = name;
  size_t types_at = at + c.time * (width + 1);
  auto offset_of_type = [&](int64_t t) { return static_cast<int32_t>(BigEndian(b, types_at + t * 6, 4)); };
  tz.initial_offset_ = offset_of_type(0);
  for (int64_t i = 0; i < c.time; ++i) {
    int64_t type = static_cast<unsigned char>(b[at + c.time * width + i]);
    if (type >= c.type) return bad("transition to an undefined type");
    tz.transitions_.push_back(BigEndian(b, at + i * width, width));
    tz.offsets_.push_back(offset_of_type(type));
  }
  return tz;
}

Result<TimeZone> TimeZone::Load(const std::string& name, const std::string& tzdir) {
  if (name == "UTC" || name == "Etc/UTC") return Utc();
  if (!ValidZoneName(name)) {
    return Error::Config("invalid time zone '" + name + "': expected an IANA name like Europe/Berlin or UTC");
  }
  std::string dir = tzdir;
  if (dir.empty()) {
    const char* env = std::getenv("TZDIR");
    dir = env != nullptr && *env != '\0' ? env : "/usr/share/zoneinfo";
  }
  std::ifstream in(dir + "/" + name, std::ios::binary);
  if (!in) {
    return Error::Config("unknown time zone '" + name + "': no file " + dir + "/" + name +
                         " (is the tzdata package installed?)");
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return FromTzif(name, bytes.str());
}

std::chrono::seconds TimeZone::OffsetAt(Seconds utc) const {
  int64_t t = utc.time_since_epoch().count();
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  if (it == transitions_.begin()) return std::chrono::seconds(initial_offset_);
  return std::chrono::seconds(offsets_[static_cast<size_t>(it - transitions_.begin() - 1)]);
}

TimeZone::Seconds TimeZone::ToUtc(std::chrono::local_seconds local) const {
  Seconds guess{local.time_since_epoch()};
  // Two candidates: the offset just before and just after the local time; the earlier valid wins.
  auto before = OffsetAt(guess - std::chrono::hours(26));
  auto after = OffsetAt(guess + std::chrono::hours(26));
  Seconds a = guess - before;
  Seconds b = guess - after;
  bool a_ok = OffsetAt(a) == before;
  bool b_ok = OffsetAt(b) == after;
  if (a_ok && b_ok) return std::min(a, b);
  if (a_ok) return a;
  if (b_ok) return b;
  return a;  // in a gap: the offset in force before it
}

std::chrono::local_seconds TimeZone::ToLocal(Seconds utc) const {
  return std::chrono::local_seconds{(utc + OffsetAt(utc)).time_since_epoch()};
}

}  // namespace fleetpatch
