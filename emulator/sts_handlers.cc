// STS (AWS Query): GetCallerIdentity and AssumeRole against the fleet's accounts and roles.
#include <regex>

#include "emulator/service.h"

namespace fleetpatch::emulator {
namespace {

Response GetCallerIdentity(Emulator::Impl&, const OpInput&, CallContext& ctx) {
  const Identity& caller = *ctx.identity;
  XmlWriter x;
  OpenQueryResult(x, StsService(), "GetCallerIdentity");
  x.Leaf("Arn", caller.arn).Leaf("UserId", caller.user_id).Leaf("Account", caller.account_id);
  return QueryReply(x, "GetCallerIdentity", ctx);
}

ApiError ValidationError(const std::string& msg) {
  return {400, "ValidationError", "1 validation error detected: " + msg};
}

int DurationSeconds(const Params& p) {
  std::string d = Get(p, "DurationSeconds");
  if (d.empty()) return 3600;
  int duration_s = 0;
  try {
    duration_s = std::stoi(d);
  } catch (const std::exception&) {
    throw ApiError{400, "ValidationError", "DurationSeconds must be an integer"};
  }
  if (duration_s < 900 || duration_s > 43200)
    throw ValidationError(
        "Value '" + d +
        "' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200");
  return duration_s;
}

void CheckSessionName(const std::string& session) {
  if (session.empty())
    throw ValidationError(
        "Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
  static const std::regex kSession("^[\\w+=,.@-]{2,64}$");
  if (!std::regex_match(session, kSession))
    throw ValidationError("Value '" + session +
                          "' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular "
                          "expression pattern: [\\w+=,.@-]*");
}

// The role the ARN names, if the caller may assume it with this external id; else AccessDenied.
const RoleSpec& FindRole(const Fleet& fleet, const Identity& caller, const std::string& role_arn,
                         const std::string& external_id, std::string* account_id) {
  if (role_arn.empty())
    throw ValidationError("Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
  static const std::regex kArn("^arn:aws:iam::([0-9]{12}):role/(?:[\\w+=,.@/-]*/)?([\\w+=,.@-]+)$");
  std::smatch m;
  if (!std::regex_match(role_arn, m, kArn))
    throw ValidationError("Value '" + role_arn +
                          "' at 'roleArn' failed to satisfy constraint: Member must be a valid IAM role ARN");
  *account_id = m[1];
  std::string role_name = m[2];
  for (const auto& a : fleet.accounts)
    if (a.id == *account_id)
      for (const auto& r : a.roles)
        if (r.name == role_name && r.external_id == external_id) return r;
  throw ApiError{
      403, "AccessDenied",
      "User: " + caller.arn + " is not authorized to perform: sts:AssumeRole on resource: " + role_arn};
}

// New temporary credentials, registered so later requests authenticate with them.
Identity IssueSession(Emulator::Impl& im, const std::string& account_id, const RoleSpec& role,
                      const std::string& session, int duration_s) {
  Identity id;
  id.account_id = account_id;
  id.read_only = role.read_only;
  id.user_id = "AROA" + UpperAlnum(HashHex(RoleArn(account_id, role.name), 17)) + ":" + session;
  id.arn = "arn:aws:sts::" + account_id + ":assumed-role/" + role.name + "/" + session;
  {
    std::lock_guard<std::mutex> lock(im.faults_mu);
    static const char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    id.access_key_id = "ASIA";
    for (int i = 0; i < 16; ++i) id.access_key_id += kAlnum[im.rng() % 32];
    for (int i = 0; i < 40; ++i) id.secret_access_key += kB64[im.rng() % 64];
    id.session_token = "FwoGZXIvYXdzEP";
    for (int i = 0; i < 200; ++i) id.session_token += kB64[im.rng() % 64];
  }
  id.expires = im.clock->Now() + std::chrono::seconds(duration_s);
  std::unique_lock<std::shared_mutex> lock(im.keys_mu);
  im.keys[id.access_key_id] = id;
  return id;
}

Response AssumeRole(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const Params& p = in.params;
  std::string role_arn = Get(p, "RoleArn"), session = Get(p, "RoleSessionName");
  if (role_arn.empty())
    throw ValidationError("Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
  CheckSessionName(session);
  int duration_s = DurationSeconds(p);
  std::string account_id;
  const RoleSpec& role = FindRole(im.fleet, *ctx.identity, role_arn, Get(p, "ExternalId"), &account_id);
  Identity id = IssueSession(im, account_id, role, session, duration_s);
  XmlWriter x;
  OpenQueryResult(x, StsService(), "AssumeRole");
  x.Open("AssumedRoleUser").Leaf("AssumedRoleId", id.user_id).Leaf("Arn", id.arn).Close("AssumedRoleUser");
  x.Open("Credentials").Leaf("AccessKeyId", id.access_key_id).Leaf("SecretAccessKey", id.secret_access_key);
  x.Leaf("SessionToken", id.session_token).Leaf("Expiration", FormatIso8601(id.expires)).Close("Credentials");
  return QueryReply(x, "AssumeRole", ctx);
}

}  // namespace

const Service& StsService() {
  static const Service kSts = [] {
    Service s{"sts",
              Protocol::kQuery,
              "2011-06-15",
              "https://sts.amazonaws.com/doc/2011-06-15/",
              "",
              QueryProtocolErrors("InternalFailure"),
              {}};
    s.operations = {
        {"GetCallerIdentity", GetCallerIdentity, false, "sts"},
        {"AssumeRole", AssumeRole, false, "sts"},
    };
    return s;
  }();
  return kSts;
}

}  // namespace fleetpatch::emulator
