// Checks for the AWS names a config holds (account ids, regions, role ARNs, session names ...) and
// the "did you mean" suggestion used for unknown keys and values. Pure functions, no AWS calls.
// Each Check* returns "" when the value is valid, else a sentence saying what is allowed.
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <string>
#include <vector>

namespace fleetpatch::config {

std::string CheckAccountId(const std::string& id);      // exactly 12 digits
std::string CheckRegion(const std::string& region);     // e.g. us-east-1, us-gov-west-1, cn-north-1
std::string CheckRoleName(const std::string& name);     // 1-64 of [A-Za-z0-9+=,.@_-]
std::string CheckSessionName(const std::string& name);  // 2-64 of [A-Za-z0-9+=,.@_-]
std::string CheckExternalId(const std::string& id);     // 2-1224 of [A-Za-z0-9+=,.@:/_-]
std::string CheckEndpointUrl(const std::string& url);   // http:// or https:// with a host
// A critical service name as the precheck script embeds it and hands it to systemctl/service or
// Get-Service: 1-128 of [A-Za-z0-9_.@-], not starting with '-' (which would read as an option).
// The one rule for both the config loader and the precheck.
std::string CheckServiceName(const std::string& name);
// arn:aws|aws-cn|aws-us-gov:iam::ACCOUNT:role/[path/]name; ACCOUNT must equal account_id and the
// partition must be the region's (both checks skipped when the argument is empty).
std::string CheckRoleArn(const std::string& arn, const std::string& account_id, const std::string& region);

// Edit distance with adjacent transpositions (optimal string alignment), in bytes.
size_t EditDistance(const std::string& a, const std::string& b);
// The closest candidate if it is plausibly a typo of word (distance <= max(1, len/3), or equal
// ignoring case), else "".
std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace fleetpatch::config
