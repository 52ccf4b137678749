// The dispatcher: routing, authentication, faults, rate limits, the request log and STS.
#include "emulator/emulator.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "emulator/emulator_impl.h"
#include "emulator/sigv4_check.h"

namespace fleetpatch::emulator {
namespace {

constexpr char kStsNs[] = "https://sts.amazonaws.com/doc/2011-06-15/";

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Parsed "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ec2/aws4_request, SignedHeaders=..., Signature=...".
struct AuthHeader {
  bool present = false;
  bool well_formed = false;
  std::string access_key_id;
  std::string date;
  std::string region;
  std::string service;
};

AuthHeader ParseAuthorization(const std::string& value) {
  AuthHeader a;
  if (value.empty()) return a;
  a.present = true;
  static const std::string kAlg = "AWS4-HMAC-SHA256 ";
  if (value.rfind(kAlg, 0) != 0) return a;
  size_t c = value.find("Credential=");
  if (c == std::string::npos) return a;
  size_t end = value.find_first_of(", ", c);
  std::string cred = value.substr(c + 11, end == std::string::npos ? std::string::npos : end - c - 11);
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = cred.find('/', start);
    parts.push_back(cred.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.size() != 5 || parts[4] != "aws4_request") return a;
  a.access_key_id = parts[0];
  a.date = parts[1];
  a.region = parts[2];
  a.service = parts[3];
  a.well_formed = value.find("SignedHeaders=") != std::string::npos && value.find("Signature=") != std::string::npos;
  return a;
}

bool IsStsAction(const std::string& action) {
  return action == "AssumeRole" || action == "GetCallerIdentity" || action == "GetSessionToken" ||
         action == "AssumeRoleWithWebIdentity" || action == "GetAccessKeyInfo" || action == "DecodeAuthorizationMessage";
}

std::string BucketFor(const std::string& service, const std::string& op) {
  if (service == "sts") return "sts";
  if (service == "ssm") return (op == "SendCommand" || op == "CancelCommand") ? "ssm-write" : "ssm-read";
  if (op == "CreateTags") return "ec2-tags";
  return IsMutating(op) ? "ec2-mutate" : "ec2-describe";
}

ApiError ThrottleError(const std::string& service) {
  if (service == "ec2") return {503, "RequestLimitExceeded", "Request limit exceeded."};
  if (service == "ssm") return {400, "ThrottlingException", "Rate exceeded"};
  return {400, "Throttling", "Rate exceeded"};
}

ApiError InternalErrorFor(const std::string& service) {
  if (service == "ec2") return {500, "InternalError", "An internal error has occurred"};
  if (service == "ssm") return {500, "InternalServerError", "An internal error occurred."};
  return {500, "InternalFailure", "An internal error occurred."};
}

ApiError UnavailableFor(const std::string& service) {
  if (service == "ec2") return {503, "Unavailable", "The server is overloaded and can't handle the request."};
  return {503, "ServiceUnavailable", "Service is unavailable. Please try again later."};
}

Response RenderError(const std::string& service, const ApiError& e, const std::string& request_id) {
  Response r;
  r.status = e.status;
  if (service == "ssm") {
    r = SsmJson({{"__type", e.code}, {"message", e.message}}, request_id);
    r.status = e.status;
    r.headers.push_back({"X-Amzn-ErrorType", e.code});
    return r;
  }
  if (service == "sts") {
    XmlWriter x;
    x.OpenNs("ErrorResponse", kStsNs).Open("Error");
    x.Leaf("Type", e.status >= 500 ? "Receiver" : "Sender").Leaf("Code", e.code).Leaf("Message", e.message);
    x.Close("Error").Leaf("RequestId", request_id).Close("ErrorResponse");
    r.content_type = "text/xml";
    r.body = x.str();
    r.headers.push_back({"x-amzn-RequestId", request_id});
    return r;
  }
  XmlWriter x;
  x.Open("Response").Open("Errors").Open("Error").Leaf("Code", e.code).Leaf("Message", e.message);
  x.Close("Error").Close("Errors").Leaf("RequestID", request_id).Close("Response");
  r.content_type = "text/xml;charset=UTF-8";
  r.body = x.str();
  return r;
}

std::string HashHex(const std::string& s, int digits) {
  // FNV-1a, stretched: stable pseudo-ids derived from names (role ids, reservation ids).
  std::string out;
  uint64_t h = 1469598103934665603ULL;
  for (int round = 0; static_cast<int>(out.size()) < digits; ++round) {
    for (unsigned char c : s + std::to_string(round)) h = (h ^ c) * 1099511628211ULL;
    out += fmt::format("{:016x}", h);
  }
  return out.substr(0, digits);
}

std::string UpperAlnum(const std::string& hex) {
  std::string out = hex;
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string Request::Header(const std::string& name) const {
  std::string want = Lower(name);
  for (const auto& [k, v] : headers)
    if (Lower(k) == want) return v;
  return "";
}

bool IsMutating(const std::string& op) {
  return op == "CreateImage" || op == "CreateTags" || op == "DeregisterImage" || op == "DeleteSnapshot" ||
         op == "SendCommand" || op == "CancelCommand";
}

Response Ec2Xml(const std::string& body) {
  Response r;
  r.content_type = "text/xml;charset=UTF-8";
  r.body = body;
  return r;
}

Response StsXml(const std::string& body) {
  Response r;
  r.content_type = "text/xml";
  r.body = body;
  return r;
}

Response SsmJson(const nlohmann::json& body, const std::string& request_id) {
  Response r;
  r.content_type = "application/x-amz-json-1.1";
  r.body = body.dump();
  r.headers.push_back({"x-amzn-RequestId", request_id});
  return r;
}

Emulator::Impl::Impl(Fleet f, EmulatorOptions o)
    : fleet(std::move(f)), options(o), clock(o.clock ? o.clock : &DefaultClock()), rng(o.seed) {
  wall_epoch = clock->Now();
  steady_epoch = clock->SteadyNow();
  rate_limits_enabled = o.rate_limits;
  limits = {{"ec2-describe", {100, 20}}, {"ec2-mutate", {50, 5}}, {"ec2-tags", {100, 10}},
            {"ssm-read", {40, 10}},      {"ssm-write", {20, 5}}, {"sts", {100, 20}}};
  Identity base;
  base.access_key_id = fleet.caller.access_key_id;
  base.secret_access_key = fleet.caller.secret_access_key;
  base.account_id = fleet.caller.account_id;
  base.arn = "arn:aws:iam::" + fleet.caller.account_id + ":user/" + fleet.caller.user_name;
  base.user_id = "AIDA" + UpperAlnum(HashHex(base.arn, 17));
  keys[base.access_key_id] = base;

  for (const auto& a : fleet.accounts)
    for (const auto& r : a.regions) {
      auto z = std::make_unique<Zone>();
      z->account_id = a.id;
      z->region = r;
      zones[a.id + "/" + r] = std::move(z);
    }
  std::vector<const InstanceSpec*> sorted;
  sorted.reserve(fleet.instances.size());
  for (const auto& in : fleet.instances) sorted.push_back(&in);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (const InstanceSpec* in : sorted) {
    Zone& z = *zones.at(in->account_id + "/" + in->region);
    InstanceState st;
    st.spec = in;
    st.tags = in->tags;
    if (in->ssm_lost_after_s >= 0) st.agent_lost_at = in->ssm_lost_after_s;
    // The last scan before the emulator started: a day ago, reporting the missing patches.
    st.baseline.installed = in->patch.installed;
    st.baseline.missing = in->patch.missing;
    st.baseline.operation = "Scan";
    st.baseline.start = -86400;
    st.baseline.end = -86400 + 60;
    z.by_id[in->id] = z.instances.size();
    z.instances.push_back(std::move(st));
  }
}

double Emulator::Impl::SimNow() const {
  std::chrono::duration<double> real = clock->SteadyNow() - steady_epoch;
  return real.count() * options.time_scale;
}

std::chrono::system_clock::time_point Emulator::Impl::SimToWall(double sim) const {
  return wall_epoch + std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(sim));
}

double Emulator::Impl::Random() {
  std::lock_guard<std::mutex> lock(faults_mu);
  return std::uniform_real_distribution<double>(0, 1)(rng);
}

std::string Emulator::Impl::NewId(const std::string& prefix, int hex_digits) {
  uint64_t n = ++id_counter;
  std::string r;
  {
    std::lock_guard<std::mutex> lock(faults_mu);
    r = fmt::format("{:016x}", rng());
  }
  // Random digits first (ids look like AWS's), the counter last (ids never repeat).
  std::string counter = fmt::format("{:06x}", n & 0xffffff);
  if (hex_digits <= 6) return prefix + counter.substr(6 - hex_digits);
  return prefix + (r + r).substr(0, hex_digits - 6) + counter;
}

std::string Emulator::Impl::NewRequestId() {
  std::string h;
  {
    std::lock_guard<std::mutex> lock(faults_mu);
    h = fmt::format("{:016x}{:016x}", rng(), rng());
  }
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-4" + h.substr(13, 3) + "-a" + h.substr(17, 3) + "-" + h.substr(20, 12);
}

Zone& Emulator::Impl::ZoneFor(const std::string& account_id, const std::string& region) {
  auto it = zones.find(account_id + "/" + region);
  return it == zones.end() ? empty_zone : *it->second;
}

Emulator::Emulator(Fleet fleet, EmulatorOptions options) : impl_(std::make_unique<Impl>(std::move(fleet), options)) {}
Emulator::~Emulator() = default;

aws::Credentials Emulator::BaseCredentials() const {
  aws::Credentials c;
  c.access_key_id = impl_->fleet.caller.access_key_id;
  c.secret_access_key = impl_->fleet.caller.secret_access_key;
  c.source = "emulator base credentials";
  return c;
}

const Fleet& Emulator::fleet() const { return impl_->fleet; }
const EmulatorOptions& Emulator::options() const { return impl_->options; }

void Emulator::SetFault(const std::string& operation, const FaultSpec& spec) {
  std::lock_guard<std::mutex> lock(impl_->faults_mu);
  impl_->faults[operation] = spec;
}

void Emulator::ClearFaults() {
  std::lock_guard<std::mutex> lock(impl_->faults_mu);
  impl_->faults.clear();
}

bool Emulator::SetRateLimit(const std::string& bucket, RateLimit limit) {
  std::lock_guard<std::mutex> lock(impl_->buckets_mu);
  auto it = impl_->limits.find(bucket);
  if (it == impl_->limits.end()) return false;
  it->second = limit;
  for (auto b = impl_->buckets.begin(); b != impl_->buckets.end();) {
    if (b->first.rfind(bucket + "|", 0) == 0) b = impl_->buckets.erase(b);
    else ++b;
  }
  return true;
}

void Emulator::SetRateLimitsEnabled(bool enabled) { impl_->rate_limits_enabled = enabled; }

std::vector<RequestLogEntry> Emulator::RequestLog() const {
  std::lock_guard<std::mutex> lock(impl_->log_mu);
  return impl_->log;
}

std::map<std::string, int> Emulator::RequestCounts() const {
  std::lock_guard<std::mutex> lock(impl_->log_mu);
  return impl_->log_counts;
}

int Emulator::CountMutatingRequests() const {
  std::lock_guard<std::mutex> lock(impl_->log_mu);
  return impl_->log_mutating;
}

void Emulator::ClearRequestLog() {
  std::lock_guard<std::mutex> lock(impl_->log_mu);
  impl_->log.clear();
  impl_->log_counts.clear();
  impl_->log_mutating = 0;
}

double Emulator::SimulatedSeconds() const { return impl_->SimNow(); }

Response Emulator::Handle(const Request& req) {
  Impl& im = *impl_;
  RequestLogEntry entry;
  entry.time = im.clock->Now();
  CallContext ctx;
  ctx.request_id = im.NewRequestId();

  // Routing: the credential scope names the service; the target header or Action decide otherwise.
  AuthHeader auth = ParseAuthorization(req.Header("Authorization"));
  std::string target = req.Header("X-Amz-Target");
  Params params;
  nlohmann::json json_body;
  std::string service = auth.service;
  if (service.empty()) {
    if (target.rfind("AmazonSSM.", 0) == 0) service = "ssm";
    else if (IsStsAction(ParseForm(req.body + "&" + req.query)["Action"])) service = "sts";
    else service = "ec2";
  }
  entry.service = service;
  entry.region = auth.region.empty() ? "us-east-1" : auth.region;
  ctx.region = entry.region;

  auto finish = [&](Response r) {
    entry.http_status = r.status;
    std::lock_guard<std::mutex> lock(im.log_mu);
    ++im.log_counts[entry.operation];
    if (entry.mutating && !entry.dry_run) ++im.log_mutating;
    if (im.log.size() >= std::max<size_t>(2, im.options.max_log_entries))
      im.log.erase(im.log.begin(), im.log.begin() + static_cast<std::ptrdiff_t>(im.log.size() / 2));
    im.log.push_back(entry);
    return r;
  };
  auto fail = [&](const ApiError& e) {
    entry.error_code = e.code;
    return finish(RenderError(service, e, ctx.request_id));
  };

  std::string op;
  if (service == "ssm") {
    if (target.rfind("AmazonSSM.", 0) != 0)
      return fail({400, "UnknownOperationException", "Missing or unknown X-Amz-Target header"});
    op = target.substr(10);
    try {
      json_body = req.body.empty() ? nlohmann::json::object() : nlohmann::json::parse(req.body);
    } catch (const nlohmann::json::exception&) {
      entry.operation = op;
      return fail({400, "SerializationException", "The request body is not valid JSON"});
    }
    if (!json_body.is_object()) return fail({400, "SerializationException", "The request body must be a JSON object"});
  } else if (service == "ec2" || service == "sts") {
    params = ParseForm(req.query);
    for (auto& [k, v] : ParseForm(req.body)) params[k] = v;
    op = params["Action"];
    if (op.empty()) {
      return fail(service == "ec2" ? ApiError{400, "MissingAction", "The request must contain the parameter Action"}
                                   : ApiError{400, "MissingAction", "Missing Action"});
    }
  } else {
    service = "ec2";
    return fail({400, "InvalidAction", "The credential scope names service '" + auth.service +
                                           "', which this emulator does not provide (ec2, ssm, sts)"});
  }
  entry.operation = op;
  entry.mutating = IsMutating(op);

  // Authentication.
  Identity identity;
  {
    auto auth_error = [&](const char* kind) -> ApiError {
      std::string k = kind;
      if (service == "ec2") {
        if (k == "missing") return {401, "AuthFailure", "AWS was not able to validate the provided access credentials"};
        if (k == "expired") return {400, "ExpiredToken", "The security token included in the request is expired"};
        if (k == "skew") return {400, "RequestExpired", "Request has expired."};
        return {401, "AuthFailure", "AWS was not able to validate the provided access credentials"};
      }
      if (service == "sts") {
        if (k == "missing") return {403, "MissingAuthenticationToken", "Request is missing Authentication Token"};
        if (k == "expired") return {403, "ExpiredToken", "The security token included in the request is expired"};
        if (k == "unknown") return {403, "InvalidClientTokenId", "The security token included in the request is invalid."};
        if (k == "skew") return {403, "SignatureDoesNotMatch", "Signature expired: the request time is too far from the server time."};
        return {403, "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your AWS "
                "Secret Access Key and signing method. Consult the service documentation for details."};
      }
      if (k == "missing") return {400, "MissingAuthenticationTokenException", "Request is missing Authentication Token"};
      if (k == "expired") return {400, "ExpiredTokenException", "The security token included in the request is expired"};
      if (k == "unknown") return {400, "UnrecognizedClientException", "The security token included in the request is invalid."};
      if (k == "skew") return {400, "InvalidSignatureException", "Signature expired: the request time is too far from the server time."};
      return {400, "InvalidSignatureException",
              "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
              "Access Key and signing method. Consult the service documentation for details."};
    };
    if (!auth.present) return fail(auth_error("missing"));
    if (!auth.well_formed) {
      return fail(service == "ssm" ? ApiError{400, "IncompleteSignatureException", "Authorization header is malformed"}
                                   : ApiError{service == "ec2" ? 401 : 400, service == "ec2" ? "AuthFailure" : "IncompleteSignature",
                                              "Authorization header requires Credential, SignedHeaders and Signature"});
    }
    {
      std::shared_lock<std::shared_mutex> lock(im.keys_mu);
      auto it = im.keys.find(auth.access_key_id);
      if (it == im.keys.end()) return fail(auth_error("unknown"));
      identity = it->second;
    }
    std::string token = req.Header("X-Amz-Security-Token");
    if (token != identity.session_token) return fail(auth_error("unknown"));
    entry.account_id = identity.account_id;
    entry.caller_arn = identity.arn;
    if (im.clock->Now() >= identity.expires) return fail(auth_error("expired"));
    if (im.options.strict_sigv4) {
      SigV4Check check = CheckSigV4(req, identity.secret_access_key, im.clock->Now(), im.options.max_clock_skew);
      if (check == SigV4Check::kClockSkew) return fail(auth_error("skew"));
      if (check != SigV4Check::kValid) return fail(auth_error("signature"));
    }
  }
  ctx.identity = &identity;

  // Faults.
  FaultSpec fault;
  bool has_fault = false;
  {
    std::lock_guard<std::mutex> lock(im.faults_mu);
    auto it = im.faults.find(op);
    if (it == im.faults.end()) it = im.faults.find("*");
    if (it != im.faults.end()) {
      fault = it->second;
      has_fault = true;
    }
  }
  std::chrono::nanoseconds delay{0};
  if (has_fault) {
    delay = fault.latency;
    if (fault.jitter.count() > 0)
      delay += std::chrono::duration_cast<std::chrono::nanoseconds>(fault.jitter * im.Random());
    auto with_delay = [&](Response r) {
      r.delay = delay;
      return r;
    };
    if (fault.drop_rate > 0 && im.Random() < fault.drop_rate) {
      Response r;
      r.drop_connection = true;
      r.delay = delay;
      entry.error_code = "(connection dropped)";
      return finish(r);
    }
    if (fault.throttle_rate > 0 && im.Random() < fault.throttle_rate) return with_delay(fail(ThrottleError(service)));
    if (fault.error_5xx_rate > 0 && im.Random() < fault.error_5xx_rate) return with_delay(fail(InternalErrorFor(service)));
    if (fault.unavailable_rate > 0 && im.Random() < fault.unavailable_rate) return with_delay(fail(UnavailableFor(service)));
  }

  // Rate limits: per account and region, per bucket, on the real clock.
  if (im.rate_limits_enabled) {
    std::string bucket = BucketFor(service, op);
    std::lock_guard<std::mutex> lock(im.buckets_mu);
    RateLimit limit = im.limits[bucket];
    TokenBucket& b = im.buckets[bucket + "|" + identity.account_id + "|" + ctx.region];
    auto now = im.clock->SteadyNow();
    if (!b.primed) {
      b.tokens = limit.burst;
      b.primed = true;
    } else {
      std::chrono::duration<double> dt = now - b.last;
      b.tokens = std::min(limit.burst, b.tokens + dt.count() * limit.per_second);
    }
    b.last = now;
    if (b.tokens < 1.0) {
      Response r = fail(ThrottleError(service));
      r.delay = delay;
      return r;
    }
    b.tokens -= 1.0;
  }

  ctx.now = im.SimNow();
  Response r;
  try {
    if (service == "sts") {
      r = im.HandleSts(op, params, ctx);
    } else if (service == "ec2") {
      std::string dry = params.count("DryRun") ? params["DryRun"] : "false";
      ctx.dry_run = dry == "true";
      entry.dry_run = ctx.dry_run;
      r = im.HandleEc2(op, params, ctx);
    } else {
      r = im.HandleSsm(op, json_body, ctx);
    }
  } catch (const ApiError& e) {
    Response er = fail(e);
    er.delay = delay;
    return er;
  }
  if (service == "sts") r.headers.push_back({"x-amzn-RequestId", ctx.request_id});
  r.delay = delay;
  return finish(r);
}

// ---- STS ----

Response Emulator::Impl::HandleSts(const std::string& op, const Params& p, CallContext& ctx) {
  const Identity& caller = *ctx.identity;
  auto get = [&](const char* k) {
    auto it = p.find(k);
    return it == p.end() ? std::string() : it->second;
  };
  if (op == "GetCallerIdentity") {
    XmlWriter x;
    x.OpenNs("GetCallerIdentityResponse", kStsNs).Open("GetCallerIdentityResult");
    x.Leaf("Arn", caller.arn).Leaf("UserId", caller.user_id).Leaf("Account", caller.account_id);
    x.Close("GetCallerIdentityResult").Open("ResponseMetadata").Leaf("RequestId", ctx.request_id);
    x.Close("ResponseMetadata").Close("GetCallerIdentityResponse");
    return StsXml(x.str());
  }
  if (op != "AssumeRole") throw ApiError{400, "InvalidAction", "Could not find operation " + op + " for version 2011-06-15"};

  std::string role_arn = get("RoleArn");
  std::string session = get("RoleSessionName");
  if (role_arn.empty()) throw ApiError{400, "ValidationError", "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"};
  if (session.empty()) throw ApiError{400, "ValidationError", "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"};
  static const std::regex kSession("^[\\w+=,.@-]{2,64}$");
  if (!std::regex_match(session, kSession))
    throw ApiError{400, "ValidationError", "1 validation error detected: Value '" + session +
                                               "' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"};
  int duration_s = 3600;
  if (std::string d = get("DurationSeconds"); !d.empty()) {
    try {
      duration_s = std::stoi(d);
    } catch (const std::exception&) {
      throw ApiError{400, "ValidationError", "DurationSeconds must be an integer"};
    }
    if (duration_s < 900 || duration_s > 43200)
      throw ApiError{400, "ValidationError", "1 validation error detected: Value '" + d +
                                                 "' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200"};
  }
  static const std::regex kArn("^arn:aws:iam::([0-9]{12}):role/(?:[\\w+=,.@/-]*/)?([\\w+=,.@-]+)$");
  std::smatch m;
  auto denied = [&]() {
    return ApiError{403, "AccessDenied", "User: " + caller.arn + " is not authorized to perform: sts:AssumeRole on resource: " + role_arn};
  };
  if (!std::regex_match(role_arn, m, kArn)) {
    throw ApiError{400, "ValidationError", "1 validation error detected: Value '" + role_arn +
                                               "' at 'roleArn' failed to satisfy constraint: Member must be a valid IAM role ARN"};
  }
  std::string account_id = m[1], role_name = m[2];
  const RoleSpec* role = nullptr;
  for (const auto& a : fleet.accounts)
    if (a.id == account_id)
      for (const auto& r : a.roles)
        if (r.name == role_name) role = &r;
  if (!role) throw denied();
  if (role->external_id != get("ExternalId")) throw denied();

  Identity id;
  id.account_id = account_id;
  id.read_only = role->read_only;
  std::string role_id = "AROA" + UpperAlnum(HashHex(RoleArn(account_id, role_name), 17));
  id.user_id = role_id + ":" + session;
  id.arn = "arn:aws:sts::" + account_id + ":assumed-role/" + role_name + "/" + session;
  {
    std::lock_guard<std::mutex> lock(faults_mu);
    static const char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    id.access_key_id = "ASIA";
    for (int i = 0; i < 16; ++i) id.access_key_id += kAlnum[rng() % 32];
    for (int i = 0; i < 40; ++i) id.secret_access_key += kB64[rng() % 64];
    id.session_token = "FwoGZXIvYXdzEP";
    for (int i = 0; i < 200; ++i) id.session_token += kB64[rng() % 64];
  }
  id.expires = clock->Now() + std::chrono::seconds(duration_s);
  {
    std::unique_lock<std::shared_mutex> lock(keys_mu);
    keys[id.access_key_id] = id;
  }
  XmlWriter x;
  x.OpenNs("AssumeRoleResponse", kStsNs).Open("AssumeRoleResult");
  x.Open("AssumedRoleUser").Leaf("AssumedRoleId", id.user_id).Leaf("Arn", id.arn).Close("AssumedRoleUser");
  x.Open("Credentials").Leaf("AccessKeyId", id.access_key_id).Leaf("SecretAccessKey", id.secret_access_key);
  x.Leaf("SessionToken", id.session_token).Leaf("Expiration", FormatIso8601(id.expires)).Close("Credentials");
  x.Close("AssumeRoleResult").Open("ResponseMetadata").Leaf("RequestId", ctx.request_id).Close("ResponseMetadata");
  x.Close("AssumeRoleResponse");
  return StsXml(x.str());
}

}  // namespace fleetpatch::emulator
