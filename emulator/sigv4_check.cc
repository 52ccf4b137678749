#include "emulator/sigv4_check.h"

#include <ctime>

namespace fleetpatch::emulator {
namespace {

// "20150830T123600Z" -> time point; false when malformed.
bool ParseAmzDate(const std::string& s, std::chrono::system_clock::time_point* out) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return false;
  std::tm tm{};
  for (int i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14})
    if (s[i] < '0' || s[i] > '9') return false;
  tm.tm_year = std::stoi(s.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(s.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(s.substr(6, 2));
  tm.tm_hour = std::stoi(s.substr(9, 2));
  tm.tm_min = std::stoi(s.substr(11, 2));
  tm.tm_sec = std::stoi(s.substr(13, 2));
  *out = std::chrono::system_clock::from_time_t(timegm(&tm));
  return true;
}

}  // namespace

SigV4Check CheckSigV4(const Request& request, const std::string& secret_access_key,
                      std::chrono::system_clock::time_point now, std::chrono::seconds max_skew) {
  (void)secret_access_key;
  std::chrono::system_clock::time_point t;
  if (!ParseAmzDate(request.Header("X-Amz-Date"), &t)) return SigV4Check::kMalformed;
  auto skew = t > now ? t - now : now - t;
  if (skew > max_skew) return SigV4Check::kClockSkew;
  // Signature verification lands with the shared SigV4 signer (src/aws/sigv4.h).
  return SigV4Check::kValid;
}

}  // namespace fleetpatch::emulator
