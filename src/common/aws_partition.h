// The AWS partitions (aws, aws-cn, aws-us-gov, ...) and which one a region belongs to: a compact
// copy of the SDKs' partitions.json. It sits in common because both the endpoint rules (aws/) and
// the config's role ARNs (config/) need it, and config does not depend on the AWS client layer.
// Thread-safety: immutable data and pure functions; safe from any thread.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace fleetpatch {

struct AwsPartition {
  const char* name;                          // "aws", "aws-cn", ...
  const char* region_regex;                  // from partitions.json
  const char* dns_suffix;                    // "amazonaws.com", ...
  std::array<const char*, 4> extra_regions;  // named regions the regex does not cover
};

// The partition of a region; "aws" for regions no entry claims, as the AWS SDKs do. Does not
// validate the region.
const AwsPartition& FindPartition(std::string_view region);

// FindPartition(region).name.
std::string PartitionForRegion(std::string_view region);

}  // namespace fleetpatch
