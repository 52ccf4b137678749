// Endpoint resolution for the services fleetpatch calls (ec2, ssm, sts, autoscaling): which URL to send a
// request to and which region/name to sign it with.
//
// Two layers:
//  - ResolveEndpoint: AWS's endpoint rules for these services, hand-written from the Smithy rule
//    sets and checked against endpoints/*-endpoint-tests-1.json. Regional endpoints
//    https://{service}[-fips].{region}.{dnsSuffix} over an embedded partition table (aws, aws-cn,
//    aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc). STS is regional unless the
//    caller opts into the legacy global endpoint (use_global_endpoint) or names region aws-global.
//    Dual-stack endpoints are not supported.
//  - ResolveServiceEndpoint: adds the override precedence a user expects: an explicit override
//    (per-landing-zone config) > AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL > the rules, with
//    the environment read through an injectable EnvLookup.
// The binary never reads AWS's JSON files: the partition table is compiled in.
// Thread-safety: stateless functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/aws_partition.h"  // FindPartition, PartitionForRegion
#include "common/env.h"
#include "common/error.h"

namespace fleetpatch::aws {

// The partition table lives in common (config needs it too); aws:: callers keep their name.
using ::fleetpatch::FindPartition;
using ::fleetpatch::PartitionForRegion;

struct EndpointParams {
  std::string service;  // "ec2", "ssm", "sts" or "autoscaling"
  std::string region;   // may be empty only when endpoint is set
  bool use_fips = false;
  // STS only: send the 16 regions that historically used https://sts.amazonaws.com there.
  // Default: false (regional STS, which AWS recommends and fleetpatch uses).
  bool use_global_endpoint = false;
  std::string endpoint;  // a custom endpoint URL; empty: resolve from the rules
};

struct ResolvedEndpoint {
  std::string url;             // "https://ec2.eu-west-1.amazonaws.com": never ends with '/'; append the path
  std::string signing_region;  // region for SigV4 (us-east-1 for the global STS endpoint)
  std::string signing_name;    // service name for SigV4 ("ec2", "ssm", "sts")
  std::string partition;       // "aws", "aws-cn", ...; empty for a custom endpoint
  std::string source;     // where the URL came from, for logs: "partition aws", "AWS_ENDPOINT_URL_EC2", ...
  bool insecure = false;  // plain http to a host that is not loopback (only with allow_insecure_http)
};

// True when region is a well-formed region name: a DNS label of lower-case letters, digits and
// single hyphens, starting with a letter (e.g. "us-east-1", "cn-north-1", "aws-global").
bool IsValidRegionName(std::string_view region);

// Applies the endpoint rules. Errors (kConfig) carry the rule set's wording plus what to fix:
//   "Invalid Configuration: Missing Region", "Invalid Configuration: FIPS and custom endpoint are
//   not supported", an unsupported service, a malformed region or custom endpoint URL.
Result<ResolvedEndpoint> ResolveEndpoint(const EndpointParams& params);

struct EndpointRequest {
  std::string service;  // "ec2", "ssm", "sts" or "autoscaling"
  std::string region;   // required: requests are signed for it
  bool use_fips = false;
  std::string override_url;  // explicit override (landing-zone config); empty: none
  // Plain http:// to a host other than loopback (localhost, 127.0.0.0/8, [::1]) sends credentials
  // in clear text and is refused unless this is set (--allow-insecure-endpoint). Default: false.
  bool allow_insecure_http = false;
};

// True for "localhost", an IPv4 address in 127.0.0.0/8 or the IPv6 loopback "[::1]", with or
// without a ":port".
bool IsLoopbackHost(std::string_view host_and_port);

// Resolves with override precedence: override_url, then AWS_ENDPOINT_URL_<SERVICE> (EC2, SSM, STS,
// AUTO_SCALING), then AWS_ENDPOINT_URL, then the rules. AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true
// disables the two environment variables, as in the AWS CLI. Signing always uses request.region.
// kConfig for an http:// URL to a non-loopback host unless request.allow_insecure_http (then the
// result is marked insecure, for the caller to warn).
Result<ResolvedEndpoint> ResolveServiceEndpoint(const EndpointRequest& request, const EnvLookup& env);

}  // namespace fleetpatch::aws
