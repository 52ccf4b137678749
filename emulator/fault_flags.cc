#include "emulator/fault_flags.h"

#include <fstream>

#include "emulator/service.h"

namespace fleetpatch::emulator {
namespace {

// "20ms", "1.5s", "20" (milliseconds). Returns false for anything else or a negative value.
bool ParseDuration(const std::string& text, std::chrono::milliseconds* out) {
  std::string number = text;
  double scale = 1;
  if (text.size() > 2 && text.compare(text.size() - 2, 2, "ms") == 0) {
    number = text.substr(0, text.size() - 2);
  } else if (!text.empty() && text.back() == 's') {
    number = text.substr(0, text.size() - 1);
    scale = 1000;
  }
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(number, &used);
  } catch (const std::exception&) {
    return false;
  }
  if (used != number.size() || v < 0) return false;
  *out = std::chrono::milliseconds(static_cast<long long>(v * scale));
  return true;
}

// Sets one key of `spec`; "" on success, else what is wrong.
std::string SetFaultKey(const std::string& key, const std::string& value, FaultSpec* spec) {
  if (key == "latency" || key == "latency_ms" || key == "jitter" || key == "jitter_ms") {
    std::chrono::milliseconds d{0};
    if (!ParseDuration(value, &d)) return "'" + key + "=" + value + "' needs a duration such as 20ms or 1.5s";
    (key.rfind("latency", 0) == 0 ? spec->latency : spec->jitter) = d;
    return "";
  }
  double* rate = key == "throttle"                   ? &spec->throttle_rate
                 : key == "5xx"                      ? &spec->error_5xx_rate
                 : key == "unavailable"              ? &spec->unavailable_rate
                 : (key == "reset" || key == "drop") ? &spec->drop_rate
                                                     : nullptr;
  if (!rate) return "unknown key '" + key + "' (throttle, 5xx, unavailable, reset, latency, jitter)";
  size_t used = 0;
  try {
    *rate = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size()) return "'" + key + "=" + value + "' needs a number";
  if (*rate < 0 || *rate > 1) return key + " is a probability between 0 and 1";
  return "";
}

}  // namespace

Result<std::pair<std::string, FaultSpec>> ParseFaultFlag(const std::string& flag) {
  size_t colon = flag.find(':');
  if (colon == std::string::npos || colon == 0)
    return Error::Config("--fault '" + flag + "': expected OPERATION:key=value,... (OPERATION may be *)");
  std::string op = flag.substr(0, colon);
  if (op != "*" && !FindOperation(op))
    return Error::Config("--fault '" + flag + "': '" + op +
                         "' is not an operation the emulator answers (or use * for all)");
  FaultSpec spec;
  std::string rest = flag.substr(colon + 1);
  if (rest.empty()) return Error::Config("--fault '" + flag + "': no key=value after the operation");
  for (size_t start = 0; start < rest.size();) {
    size_t comma = rest.find(',', start);
    if (comma == std::string::npos) comma = rest.size();
    std::string kv = rest.substr(start, comma - start);
    start = comma + 1;
    size_t eq = kv.find('=');
    if (eq == std::string::npos)
      return Error::Config("--fault '" + flag + "': '" + kv + "' is not key=value");
    std::string problem = SetFaultKey(kv.substr(0, eq), kv.substr(eq + 1), &spec);
    if (!problem.empty()) return Error::Config("--fault '" + flag + "': " + problem);
  }
  return std::make_pair(op, spec);
}

Result<std::vector<std::pair<std::string, FaultSpec>>> LoadFaultsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::Config("cannot read faults file " + path + ": check the path and permissions");
  std::vector<std::pair<std::string, FaultSpec>> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    size_t e = line.find_last_not_of(" \t\r");
    auto f = ParseFaultFlag(line.substr(b, e - b + 1));
    if (!f.ok()) return Error::Config(path + ":" + std::to_string(n) + ": " + f.error().message);
    out.push_back(*f);
  }
  return out;
}

Result<std::pair<std::string, RateLimit>> ParseRateLimitFlag(const std::string& flag) {
  size_t eq = flag.find('='), slash = flag.find('/');
  if (eq == std::string::npos || slash == std::string::npos || slash < eq)
    return Error::Config("--rate-limit '" + flag +
                         "': expected BUCKET=BURST/PER_SECOND, e.g. ec2-describe=100/20");
  RateLimit limit;
  try {
    limit.burst = std::stod(flag.substr(eq + 1, slash - eq - 1));
    limit.per_second = std::stod(flag.substr(slash + 1));
  } catch (const std::exception&) {
    return Error::Config("--rate-limit '" + flag + "': burst and rate must be numbers");
  }
  if (limit.burst < 1 || limit.per_second < 0)
    return Error::Config("--rate-limit '" + flag + "': burst must be >= 1 and rate >= 0");
  return std::make_pair(flag.substr(0, eq), limit);
}

}  // namespace fleetpatch::emulator
