#include "config/names.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "common/aws_partition.h"
#include "common/strings.h"
#include "config/config.h"

namespace fleetpatch::config {
namespace {

bool AllOf(const std::string& s, const char* extra) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view(extra).find(c) != std::string_view::npos;
  });
}

}  // namespace

std::string CheckAccountId(const std::string& id) {
  if (id.size() == 12 && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "";
  return "an AWS account id is exactly 12 digits, written as a quoted string (e.g. \"012345678901\")";
}

std::string CheckRegion(const std::string& region) {
  static const std::regex kRegion("^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$");
  if (std::regex_match(region, kRegion)) return "";
  return "a region is lower case like us-east-1, eu-central-1, us-gov-west-1 or cn-north-1";
}

std::string CheckRoleName(const std::string& name) {
  if (!name.empty() && name.size() <= 64 && AllOf(name, "+=,.@_-")) return "";
  return "a role name is 1-64 characters of letters, digits and +=,.@_-";
}

std::string CheckSessionName(const std::string& name) {
  if (name.size() >= 2 && name.size() <= 64 && AllOf(name, "+=,.@_-")) return "";
  return "a role session name is 2-64 characters of letters, digits and +=,.@_-";
}

std::string CheckExternalId(const std::string& id) {
  if (id.size() >= 2 && id.size() <= 1224 && AllOf(id, "+=,.@:/_-")) return "";
  return "an external id is 2-1224 characters of letters, digits and +=,.@:/_-";
}

std::string CheckServiceName(const std::string& name) {
  if (!name.empty() && name.size() <= 128 && name.front() != '-' && AllOf(name, "_.@-")) return "";
  return "a service name is 1-128 characters of letters, digits and @._- not starting with '-' (no spaces, "
         "quotes, ':' or '+')";
}

std::string CheckEndpointUrl(const std::string& url) {
  static const std::regex kUrl(R"(^https?://[A-Za-z0-9.\-\[\]:]+(:[0-9]+)?(/.*)?$)");
  if (std::regex_match(url, kUrl)) return "";
  return "an endpoint URL starts with http:// or https:// followed by a host (e.g. http://127.0.0.1:4566)";
}

std::string CheckRoleArn(const std::string& arn, const std::string& account_id, const std::string& region) {
  static const std::regex kArn(
      R"(^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):role/((?:[A-Za-z0-9+=,.@_-]+/)*)([A-Za-z0-9+=,.@_-]{1,64})$)");
  std::smatch m;
  if (!std::regex_match(arn, m, kArn)) {
    return "a role ARN looks like arn:aws:iam::123456789012:role/NAME or "
           "arn:aws:iam::123456789012:role/PATH/NAME "
           "(partition aws, aws-cn or aws-us-gov)";
  }
  if (!account_id.empty() && m[2].str() != account_id) {
    return "the role ARN is in account " + m[2].str() + " but the landing zone's account_id is " +
           account_id + "; fleetpatch assumes a role in the zone's own account";
  }
  if (!region.empty() && CheckRegion(region).empty() && m[1].str() != PartitionForRegion(region)) {
    return "the role ARN's partition is " + m[1].str() + " but region " + region + " is in partition " +
           PartitionForRegion(region);
  }
  return "";
}

size_t EditDistance(const std::string& a, const std::string& b) {
  // Optimal string alignment: insertions, deletions, substitutions and adjacent transpositions
  // ("scna" -> "scan") each cost 1, the typos people make.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::string::npos;
  const std::string lw = Lower(word);
  for (const auto& c : candidates) {
    if (Lower(c) == lw) return c;
    size_t d = EditDistance(lw, Lower(c));
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  size_t limit = std::max<size_t>(1, std::max(word.size(), best.size()) / 3);
  return best_d <= limit ? best : "";
}

}  // namespace fleetpatch::config
