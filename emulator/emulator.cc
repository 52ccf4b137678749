// The dispatcher: a request goes through routing, authentication, faults and rate limiting (each a
// step in its own file) to its operation's handler, found in the service tables (service.h); every
// answer is recorded in the request log. Also the emulator's clock, ids and zone lookup.
#include "emulator/emulator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "common/strings.h"
#include "emulator/auth.h"
#include "emulator/faults.h"
#include "emulator/rate_limit.h"
#include "emulator/request_log.h"
#include "emulator/routing.h"

namespace fleetpatch::emulator {
namespace {

// The state an instance starts from: its tags, agent and the last scan before the emulator started.
InstanceState InitialState(const InstanceSpec* in) {
  InstanceState st;
  st.spec = in;
  st.tags = in->tags;
  st.state = in->state;
  st.root_volume_id = "vol-" + in->id.substr(2, 16) + "0";
  if (in->ssm_lost_after_s >= 0) st.agent_lost_at = in->ssm_lost_after_s;
  st.baseline.installed = in->patch.installed;
  st.baseline.missing = in->patch.missing;
  st.baseline.installed_pending_reboot = in->patch.installed_pending_reboot;
  st.baseline.operation = in->patch.last_operation;  // "never": no patch state is reported
  st.baseline.reboot_option = in->patch.last_reboot_option;
  st.baseline.start = -86400 * in->patch.last_operation_days_ago;
  st.baseline.end = st.baseline.start + 60;
  return st;
}

}  // namespace

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

std::string Request::Header(const std::string& name) const {
  std::string want = Lower(name);
  for (const auto& [k, v] : headers)
    if (Lower(k) == want) return v;
  return "";
}

Emulator::Impl::Impl(Fleet f, EmulatorOptions o)
    : fleet(std::move(f)), options(o), clock(o.clock ? o.clock : &DefaultClock()), rng(o.seed) {
  wall_epoch = clock->Now();
  steady_epoch = clock->SteadyNow();
  rate_limits_enabled = o.rate_limits;
  limits = DefaultRateLimits();
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
    z.by_id[in->id] = z.instances.size();
    z.instances.push_back(InitialState(in));
  }
  SeedZones(*this);
}

double Emulator::Impl::SimNow() const {
  std::chrono::duration<double> real = clock->SteadyNow() - steady_epoch;
  return real.count() * options.time_scale;
}

std::chrono::system_clock::time_point Emulator::Impl::SimToWall(double sim) const {
  return wall_epoch +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(sim));
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
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-4" + h.substr(13, 3) + "-a" + h.substr(17, 3) + "-" +
         h.substr(20, 12);
}

Zone& Emulator::Impl::ZoneFor(const std::string& account_id, const std::string& region) {
  auto it = zones.find(account_id + "/" + region);
  return it == zones.end() ? empty_zone : *it->second;
}

Emulator::Emulator(Fleet fleet, EmulatorOptions options)
    : impl_(std::make_unique<Impl>(std::move(fleet), options)) {}
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
double Emulator::SimulatedSeconds() const { return impl_->SimNow(); }

// The steps after routing: authentication, faults, the rate limit, then the handler. Throws the
// ApiError to answer; sets *drop for a dropped connection and *delay for an injected latency.
Response Emulator::Impl::Dispatch(const Request& req, const Route& route, RequestLogEntry& entry,
                                  CallContext& ctx, std::chrono::nanoseconds* delay, bool* drop) {
  Identity identity = Authenticate(*this, req, route, &entry);
  ctx.identity = &identity;
  const Service& service = *route.service;
  FaultDecision fault = DecideFault(*this, service, route.operation_name);
  *delay = fault.delay;
  if (fault.drop) {
    *drop = true;
    entry.error_code = "(connection dropped)";
    return Response{};
  }
  if (fault.error) throw *fault.error;
  if (!route.operation) throw service.UnknownOperation(route.operation_name);
  if (!TakeToken(*this, route.operation->bucket, identity.account_id, ctx.region))
    throw service.errors.throttle;
  ctx.now = SimNow();
  if (service.protocol == Protocol::kEc2Query) {
    auto dry = route.params.find("DryRun");
    ctx.dry_run = dry != route.params.end() && dry->second == "true";
    entry.dry_run = ctx.dry_run;
  }
  return route.operation->handler(*this, OpInput{route.params, route.body}, ctx);
}

Response Emulator::Handle(const Request& req) {
  Impl& im = *impl_;
  RequestLogEntry entry;
  entry.time = im.clock->Now();
  CallContext ctx;
  ctx.request_id = im.NewRequestId();
  Route route;
  std::chrono::nanoseconds delay{0};
  bool drop = false;
  Response r;
  try {
    RouteRequest(req, &route);
    entry.service = route.service->name;
    entry.region = ctx.region = route.region;
    entry.operation = route.operation_name;
    entry.mutating = route.operation && route.operation->mutating;
    r = im.Dispatch(req, route, entry, ctx, &delay, &drop);
  } catch (const ApiError& e) {
    const Service& service = route.service ? *route.service : Ec2Service();
    entry.service = service.name;
    entry.region = route.region;
    entry.operation = route.operation_name;
    entry.error_code = e.code;
    r = RenderError(service, e, ctx.request_id);
  }
  r.delay = delay;
  r.drop_connection = drop;
  entry.http_status = r.status;
  RecordRequest(im, entry);
  return r;
}

}  // namespace fleetpatch::emulator
