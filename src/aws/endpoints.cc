#include "aws/endpoints.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>
#include <vector>

#include "common/strings.h"

namespace fleetpatch::aws {
namespace {

// The regions whose STS traffic went to the global endpoint before regional STS became the
// default (sts-endpoint-rule-set-1.json, UseGlobalEndpoint branch).
constexpr std::array<std::string_view, 16> kLegacyGlobalStsRegions = {
    "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "aws-global", "ca-central-1",
    "eu-central-1",   "eu-north-1", "eu-west-1",      "eu-west-2",      "eu-west-3",  "sa-east-1",
    "us-east-1",      "us-east-2",  "us-west-1",      "us-west-2"};

bool IsSupportedService(std::string_view s) {
  return s == "ec2" || s == "ssm" || s == "sts" || s == "autoscaling" || s == "sns";
}

// The service part of AWS_ENDPOINT_URL_<SERVICE>: the model's serviceId, upper-cased, spaces as
// underscores ("Auto Scaling" -> AUTO_SCALING), as the AWS SDKs and CLI read it.
std::string EndpointEnvSuffix(const std::string& service) {
  if (service == "autoscaling") return "AUTO_SCALING";
  std::string out = service;
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

// The URL for an error message, without any user:password@ part.
std::string UrlForMessage(std::string_view url) {
  size_t scheme_end = url.find("://");
  size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  size_t host_end = url.find_first_of("/?#", start);
  size_t at = url.substr(0, host_end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  return std::string(url.substr(0, start)) + "***@" + std::string(url.substr(at + 1));
}

Status ValidateEndpointUrl(std::string_view url, std::string_view origin) {
  auto bad = [&](const std::string& why) {
    return Error::Config("invalid endpoint URL from " + std::string(origin) + " ('" + UrlForMessage(url) +
                         "'): " + why +
                         "; expected e.g. https://ec2.eu-west-1.amazonaws.com or http://127.0.0.1:4566");
  };
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return bad("it has no http:// or https:// scheme");
  std::string scheme = Lower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return bad("the scheme must be http or https");
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.empty()) return bad("it has no host");
  if (host.find_first_of(" \t@") != std::string_view::npos) return bad("the host part is malformed");
  if (rest.find_first_of("?#") != std::string_view::npos)
    return bad("it must not contain a query or fragment");
  return OkStatus();
}

std::string RegionError(std::string_view region) {
  return "invalid region '" + std::string(region) +
         "': a region name is lower-case letters, digits and hyphens, like us-east-1 or eu-west-2; check "
         "--region, "
         "AWS_REGION / AWS_DEFAULT_REGION or the profile's region";
}

// The host[:port] of an already validated URL.
std::string_view HostOf(std::string_view url) {
  std::string_view rest = url.substr(url.find("://") + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

// An http:// endpoint elsewhere than loopback: refused, or allowed and marked insecure.
Status CheckPlainHttp(std::string_view url, const std::string& source, bool allow, ResolvedEndpoint* out) {
  std::string scheme = Lower(url.substr(0, url.find("://")));
  if (scheme != "http" || IsLoopbackHost(HostOf(url))) return OkStatus();
  if (!allow) {
    return Error::Config(
        "endpoint URL from " + source + " ('" + UrlForMessage(url) +
        "') is plain http to a host that is not loopback: requests and credentials would "
        "travel unencrypted; use https://, or pass --allow-insecure-endpoint to accept the risk");
  }
  out->insecure = true;
  return OkStatus();
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host.find('@') != std::string_view::npos) host = host.substr(host.rfind('@') + 1);
  if (!host.empty() && host.front() == '[')
    return host.substr(0, 5) == "[::1]" && (host.size() == 5 || host[5] == ':');
  host = host.substr(0, host.find(':'));
  if (host == "localhost") return true;
  // 127.d.d.d, each part 0-255 digits
  int parts = 0;
  size_t i = 0;
  while (i <= host.size()) {
    size_t dot = host.find('.', i);
    std::string_view part = host.substr(i, dot == std::string_view::npos ? std::string_view::npos : dot - i);
    if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string_view::npos)
      return false;
    if (std::stoi(std::string(part)) > 255 || (parts == 0 && part != "127")) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    i = dot + 1;
  }
  return parts == 4;
}

bool IsValidRegionName(std::string_view region) {
  if (region.empty() || region.size() > 63) return false;
  if (!std::islower(static_cast<unsigned char>(region.front()))) return false;
  if (region.back() == '-') return false;
  char prev = 0;
  for (char c : region) {
    bool ok = std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
              c == '-';
    if (!ok || (c == '-' && prev == '-')) return false;
    prev = c;
  }
  return true;
}

Result<ResolvedEndpoint> ResolveEndpoint(const EndpointParams& params) {
  if (!IsSupportedService(params.service)) {
    return Error::Internal("no endpoint rules for service '" + params.service +
                           "' (supported: ec2, ssm, sts, autoscaling, sns)");
  }
  if (!params.region.empty() && !IsValidRegionName(params.region))
    return Error::Config(RegionError(params.region));
  const bool sts = params.service == "sts";
  ResolvedEndpoint out;
  out.signing_name = params.service;
  out.signing_region = params.region;

  // STS legacy global endpoint: only when asked, and never combined with FIPS or a custom URL.
  if (sts && params.use_global_endpoint && params.endpoint.empty() && !params.region.empty() &&
      !params.use_fips) {
    const AwsPartition& p = FindPartition(params.region);
    out.partition = p.name;
    out.source = std::string("partition ") + p.name;
    if (std::find(kLegacyGlobalStsRegions.begin(), kLegacyGlobalStsRegions.end(), params.region) !=
        kLegacyGlobalStsRegions.end()) {
      out.url = "https://sts.amazonaws.com";
      out.signing_region = "us-east-1";
    } else {
      out.url = "https://sts." + params.region + "." + p.dns_suffix;
    }
    return out;
  }

  if (!params.endpoint.empty()) {
    if (params.use_fips) {
      return Error::Config(
          "Invalid Configuration: FIPS and custom endpoint are not supported; drop the FIPS option "
          "or the endpoint override");
    }
    FP_RETURN_IF_ERROR(ValidateEndpointUrl(params.endpoint, "the endpoint override"));
    out.url = params.endpoint;
    // Callers append the request path ("/"), so "http://host:4566/" must not become "...//".
    while (out.url.size() > 1 && out.url.back() == '/') out.url.pop_back();
    out.source = "endpoint override";
    return out;
  }

  if (params.region.empty()) {
    return Error::Config(
        "Invalid Configuration: Missing Region; set --region, AWS_REGION or the profile's region");
  }
  const AwsPartition& p = FindPartition(params.region);
  out.partition = p.name;
  out.source = std::string("partition ") + p.name;
  const std::string partition_name = p.name;
  if (params.use_fips) {
    // GovCloud's regular endpoints are already FIPS-validated, so its rules drop the "-fips".
    if (partition_name == "aws-us-gov") {
      out.url = "https://" + params.service + "." + params.region + ".amazonaws.com";
    } else {
      out.url = "https://" + params.service + "-fips." + params.region + "." + p.dns_suffix;
    }
    return out;
  }
  if (sts && params.region == "aws-global") {
    out.url = "https://sts.amazonaws.com";
    out.signing_region = "us-east-1";
    return out;
  }
  out.url = "https://" + params.service + "." + params.region + "." + p.dns_suffix;
  return out;
}

Result<ResolvedEndpoint> ResolveServiceEndpoint(const EndpointRequest& request, const EnvLookup& env) {
  if (request.region.empty()) {
    return Error::Config("no AWS region for " + request.service +
                         ": set --region, AWS_REGION / AWS_DEFAULT_REGION, or region in the profile");
  }
  if (!IsValidRegionName(request.region)) return Error::Config(RegionError(request.region));

  std::string url;
  std::string source;
  if (!request.override_url.empty()) {
    url = request.override_url;
    source = "endpoint override (configuration)";
  } else {
    std::optional<std::string> ignore = env ? env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") : std::nullopt;
    std::string ignore_lower = Lower(ignore.value_or(""));
    if (env && ignore_lower != "true") {
      std::string service_var = "AWS_ENDPOINT_URL_" + EndpointEnvSuffix(request.service);
      for (const std::string& var : {service_var, std::string("AWS_ENDPOINT_URL")}) {
        if (std::optional<std::string> v = env(var); v && !v->empty()) {
          url = *v;
          source = var;
          break;
        }
      }
    }
  }

  EndpointParams params;
  params.service = request.service;
  params.region = request.region;
  params.use_fips = request.use_fips;
  params.endpoint = url;
  if (!url.empty()) FP_RETURN_IF_ERROR(ValidateEndpointUrl(url, source));
  FP_ASSIGN_OR_RETURN(ResolvedEndpoint resolved, ResolveEndpoint(params));
  if (!source.empty()) resolved.source = source;
  if (!url.empty()) FP_RETURN_IF_ERROR(CheckPlainHttp(url, source, request.allow_insecure_http, &resolved));
  return resolved;
}

}  // namespace fleetpatch::aws
