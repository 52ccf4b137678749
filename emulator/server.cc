#include "emulator/server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

namespace fleetpatch::emulator {
namespace {

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// One argument of --fault, --faults-file or --rate-limit into *o; false (after printing why) on error.
bool AddFaultOrLimit(const std::string& flag, const std::string& value, RunOptions* o) {
  Status st = OkStatus();
  if (flag == "--fault") {
    auto f = ParseFaultFlag(value);
    if (f.ok())
      o->faults.push_back(*f);
    else
      st = f.error();
  } else if (flag == "--faults-file") {
    auto f = LoadFaultsFile(value);
    if (f.ok())
      o->faults.insert(o->faults.end(), f->begin(), f->end());
    else
      st = f.error();
  } else {
    auto r = ParseRateLimitFlag(value);
    if (r.ok())
      o->rate_limits_override.push_back(*r);
    else
      st = r.error();
  }
  if (!st.ok()) std::cerr << "fleetpatch-emulator: " << st.error().message << "\n";
  return st.ok();
}

// Every request of every method goes to `emulator`.
void Route(httplib::Server& http, Emulator& emulator) {
  auto handler = [&emulator](const httplib::Request& hreq, const std::string& body, httplib::Response& hres) {
    // Answer uncompressed: cpp-httplib compresses every text/* answer (EC2's and STS's XML) for a
    // client that accepts br at Brotli's highest quality, which cost the emulator about 5 ms of CPU
    // per image in a DescribeImages page and dominated the benchmarks' emulator CPU. httplib decides
    // after this handler from the request's Accept-Encoding, and the request object it owns is not
    // const, so dropping the header here is what turns compression off.
    const_cast<httplib::Request&>(hreq).headers.erase("Accept-Encoding");
    Request req;
    req.method = hreq.method;
    // The raw (still percent-encoded) target: SigV4 canonicalises what was on the request line.
    size_t q = hreq.target.find('?');
    req.path = hreq.target.substr(0, q);
    if (q != std::string::npos) req.query = hreq.target.substr(q + 1);
    for (const auto& [k, v] : hreq.headers) req.headers.push_back({k, v});
    req.body = body;
    Response res = emulator.Handle(req);
    if (res.delay.count() > 0) std::this_thread::sleep_for(res.delay);
    if (res.drop_connection) {
      // A content provider that fails makes httplib abort the connection mid-response, which the
      // client sees as a dropped connection.
      hres.set_content_provider(
          1024, "text/plain", [](size_t, size_t, httplib::DataSink&) { return false; }, nullptr);
      hres.set_header("Connection", "close");
      return;
    }
    hres.status = res.status;
    for (const auto& [k, v] : res.headers) hres.set_header(k, v);
    hres.set_content(res.body, res.content_type.empty() ? "text/plain" : res.content_type);
  };
  // Bodies are read through a content reader: httplib's own reading answers 413 to a form-encoded
  // body over 8 KiB (a limit compiled into the library), which AWS does not (a DescribeSnapshots
  // with 200 snapshot-id filter values is about 9 KB).
  auto with_body = [handler](const httplib::Request& hreq, httplib::Response& hres,
                             const httplib::ContentReader& read) {
    std::string body;
    read([&](const char* data, size_t n) {
      body.append(data, n);
      return true;
    });
    handler(hreq, body, hres);
  };
  http.Post(".*", with_body);
  http.Put(".*", with_body);
  http.Delete(".*", with_body);
  http.Get(".*", [handler](const httplib::Request& hreq, httplib::Response& hres) {
    handler(hreq, hreq.body, hres);
  });
}

}  // namespace

struct Server::Impl {
  httplib::Server http;
};

Server::Server(Emulator& emulator) : emulator_(emulator), impl_(std::make_unique<Impl>()) {}

Server::~Server() { Stop(); }

std::string Server::endpoint() const {
  std::string host = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  return fmt::format("http://{}:{}", host, port_);
}

Status Server::Start(const ServerOptions& options) {
  if (!IsLoopback(options.host) && !options.allow_non_loopback)
    return Error::Config("refusing to listen on non-loopback address " + options.host +
                         ": the emulator accepts anyone holding its printed credentials; pass "
                         "--allow-non-loopback to override");
  int threads = std::max(1, options.threads);
  impl_->http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  Route(impl_->http, emulator_);
  int port = options.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(options.host);
    if (port < 0) return Error::Config("cannot bind an ephemeral port on " + options.host);
  } else if (!impl_->http.bind_to_port(options.host, port)) {
    return Error::Config(fmt::format("cannot listen on {}:{}: is the port in use?", options.host, port));
  }
  host_ = options.host;
  port_ = port;
  thread_ = std::thread([this] { impl_->http.listen_after_bind(); });
  for (int i = 0; i < 5000 && !impl_->http.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!impl_->http.is_running()) {
    impl_->http.stop();
    thread_.join();
    return Error::Internal(fmt::format("the HTTP server on {}:{} did not start", options.host, port));
  }
  return OkStatus();
}

void Server::Stop() {
  if (thread_.joinable()) {
    impl_->http.stop();
    thread_.join();
  }
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ExportLines(const std::string& endpoint, const aws::Credentials& creds,
                        const std::string& region) {
  return "export AWS_ENDPOINT_URL=" + ShellQuote(endpoint) + "\n" +
         "export AWS_ACCESS_KEY_ID=" + ShellQuote(creds.access_key_id) + "\n" +
         "export AWS_SECRET_ACCESS_KEY=" + ShellQuote(creds.secret_access_key) + "\n" +
         "export AWS_DEFAULT_REGION=" + ShellQuote(region) + "\n";
}

int Run(const RunOptions& o) {
  int sources = (o.demo ? 1 : 0) + (o.fleet_file.empty() ? 0 : 1) + (o.generate > 0 ? 1 : 0);
  if (sources != 1) {
    std::cerr << "fleetpatch-emulator: choose exactly one of --demo, --fleet FILE or --generate N\n";
    return 2;
  }
  Fleet fleet;
  if (o.demo) {
    fleet = DemoFleet();
  } else if (o.generate > 0) {
    GeneratorOptions g = o.generator;
    g.instances = o.generate;
    fleet = GenerateFleet(g);
  } else {
    auto loaded = LoadFleetFile(o.fleet_file);
    if (!loaded.ok()) {
      std::cerr << "fleetpatch-emulator: " << loaded.error().message << "\n";
      return 2;
    }
    fleet = std::move(loaded).value();
  }
  if (!o.write_fleet.empty()) {
    std::ofstream out(o.write_fleet, std::ios::binary);
    out << FleetToYaml(fleet);
    if (!out) {
      std::cerr << "fleetpatch-emulator: cannot write " << o.write_fleet << "\n";
      return 2;
    }
    return 0;
  }
  if (o.time_scale <= 0) {
    std::cerr << "fleetpatch-emulator: --time-scale must be positive\n";
    return 2;
  }
  // Block the stop signals before any thread starts so that only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  EmulatorOptions eo;
  eo.time_scale = o.time_scale;
  eo.strict_sigv4 = o.strict_sigv4;
  eo.rate_limits = o.rate_limits;
  std::string default_region = fleet.accounts.empty() || fleet.accounts[0].regions.empty()
                                   ? "us-east-1"
                                   : fleet.accounts[0].regions[0];
  size_t instances = fleet.instances.size(), accounts = fleet.accounts.size();
  Emulator emulator(std::move(fleet), eo);
  for (const auto& [op, spec] : o.faults) emulator.SetFault(op, spec);
  for (const auto& [bucket, limit] : o.rate_limits_override) {
    if (!emulator.SetRateLimit(bucket, limit)) {
      std::cerr << "fleetpatch-emulator: unknown rate-limit bucket " << bucket
                << " (ec2-describe, ec2-mutate, ec2-tags, ssm-read, ssm-write, sts)\n";
      return 2;
    }
  }
  Server server(emulator);
  Status st = server.Start(o.server);
  if (!st.ok()) {
    std::cerr << "fleetpatch-emulator: " << st.error().message << "\n";
    return 2;
  }
  std::cout << ExportLines(server.endpoint(), emulator.BaseCredentials(), default_region) << std::flush;
  std::cerr << fmt::format(
      "fleetpatch-emulator: serving {} instances in {} accounts on {} (time scale {}); "
      "Ctrl-C to stop\n",
      instances, accounts, server.endpoint(), o.time_scale);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cerr << "fleetpatch-emulator: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping\n";
  server.Stop();
  return 0;
}

int RunMain(int argc, char** argv) {
  RunOptions o;
  auto need = [&](int& i, const char* flag) -> const char* {
    if (i + 1 >= argc) {
      std::cerr << "fleetpatch-emulator: " << flag << " needs a value\n";
      std::exit(2);
    }
    return argv[++i];
  };
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--demo")
        o.demo = true;
      else if (a == "--fleet")
        o.fleet_file = need(i, "--fleet");
      else if (a == "--generate")
        o.generate = std::stoi(need(i, "--generate"));
      else if (a == "--zones")
        o.generator.zones = std::stoi(need(i, "--zones"));
      else if (a == "--seed")
        o.generator.seed = std::stoull(need(i, "--seed"));
      else if (a == "--patch-states" || a == "--old-backups") {
        auto applied = ApplyGeneratorFlag(a, need(i, a.c_str()), &o.generator);
        if (!applied.ok()) {
          std::cerr << "fleetpatch-emulator: " << applied.error().message << "\n";
          return 2;
        }
      } else if (a == "--port")
        o.server.port = std::stoi(need(i, "--port"));
      else if (a == "--host")
        o.server.host = need(i, "--host");
      else if (a == "--allow-non-loopback")
        o.server.allow_non_loopback = true;
      else if (a == "--threads")
        o.server.threads = std::stoi(need(i, "--threads"));
      else if (a == "--time-scale")
        o.time_scale = std::stod(need(i, "--time-scale"));
      else if (a == "--no-strict-sigv4")
        o.strict_sigv4 = false;
      else if (a == "--no-rate-limits")
        o.rate_limits = false;
      else if (a == "--write-fleet")
        o.write_fleet = need(i, "--write-fleet");
      else if (a == "--fault" || a == "--faults-file" || a == "--rate-limit") {
        if (!AddFaultOrLimit(a, need(i, a.c_str()), &o)) return 2;
      } else if (a == "--help" || a == "-h") {
        std::cout
            << "usage: fleetpatch-emulator (--demo | --fleet FILE | --generate N [--zones Z] [--seed S]\n"
               "         [--patch-states never=F,stale=F,reboot=F] [--old-backups K])\n"
               "       [--port P (0: ephemeral)] [--host 127.0.0.1] [--allow-non-loopback] [--threads N]\n"
               "       [--time-scale X] [--no-strict-sigv4] [--no-rate-limits] [--write-fleet FILE]\n"
               "       [--fault OP:throttle=P,5xx=P,unavailable=P,reset=P,latency=20ms,jitter=5ms]...\n"
               "       [--faults-file FILE (one --fault SPEC per line)]\n"
               "       [--rate-limit BUCKET=BURST/PER_SECOND]...\n"
               "Prints export lines (shell-quoted, for eval) for AWS_ENDPOINT_URL and the base credentials,\n"
               "then serves EC2, SSM, STS, Auto Scaling and SNS until SIGINT/SIGTERM.\n";
        return 0;
      } else {
        std::cerr << "fleetpatch-emulator: unknown argument " << a << " (see --help)\n";
        return 2;
      }
    }
  } catch (const std::exception&) {
    std::cerr << "fleetpatch-emulator: a numeric option has a non-numeric value\n";
    return 2;
  }
  return Run(o);
}

}  // namespace fleetpatch::emulator
