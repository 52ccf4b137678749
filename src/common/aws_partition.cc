#include "common/aws_partition.h"

#include <regex>
#include <vector>

namespace fleetpatch {
namespace {

// All partitions support FIPS. Regions the regexes match need no listing; only the "*-global"
// pseudo-regions do.
constexpr std::array<AwsPartition, 8> kPartitions = {{
    {"aws",
     R"(^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$)",
     "amazonaws.com",
     {"aws-global", nullptr, nullptr, nullptr}},
    {"aws-cn", R"(^cn\-\w+\-\d+$)", "amazonaws.com.cn", {"aws-cn-global", nullptr, nullptr, nullptr}},
    {"aws-eusc", R"(^eusc\-(de)\-\w+\-\d+$)", "amazonaws.eu", {nullptr, nullptr, nullptr, nullptr}},
    {"aws-iso", R"(^us\-iso\-\w+\-\d+$)", "c2s.ic.gov", {"aws-iso-global", nullptr, nullptr, nullptr}},
    {"aws-iso-b",
     R"(^us\-isob\-\w+\-\d+$)",
     "sc2s.sgov.gov",
     {"aws-iso-b-global", nullptr, nullptr, nullptr}},
    {"aws-iso-e",
     R"(^eu\-isoe\-\w+\-\d+$)",
     "cloud.adc-e.uk",
     {"aws-iso-e-global", nullptr, nullptr, nullptr}},
    {"aws-iso-f",
     R"(^us\-isof\-\w+\-\d+$)",
     "csp.hci.ic.gov",
     {"aws-iso-f-global", nullptr, nullptr, nullptr}},
    {"aws-us-gov",
     R"(^us\-gov\-\w+\-\d+$)",
     "amazonaws.com",
     {"aws-us-gov-global", nullptr, nullptr, nullptr}},
}};

}  // namespace

const AwsPartition& FindPartition(std::string_view region) {
  for (const AwsPartition& p : kPartitions) {
    for (const char* r : p.extra_regions) {
      if (r != nullptr && region == r) return p;
    }
  }
  // Compiled once; std::regex objects are safe for concurrent regex_match calls.
  static const std::vector<std::regex> kRegexes = [] {
    std::vector<std::regex> v;
    for (const AwsPartition& p : kPartitions) v.emplace_back(p.region_regex);
    return v;
  }();
  const std::string r(region);
  for (size_t i = 0; i < kPartitions.size(); ++i) {
    if (std::regex_match(r, kRegexes[i])) return kPartitions[i];
  }
  return kPartitions[0];  // the SDKs' default: unknown regions are treated as aws
}

std::string PartitionForRegion(std::string_view region) { return FindPartition(region).name; }

}  // namespace fleetpatch
