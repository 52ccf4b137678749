#include "emulator/in_process_transport.h"

namespace fleetpatch::emulator {

InProcessTransport::InProcessTransport(Emulator& emulator, Clock* clock)
    : emulator_(emulator), clock_(clock ? *clock : DefaultClock()) {}

Result<aws::HttpResponse> InProcessTransport::Send(const aws::HttpRequest& request,
                                                   const aws::HttpOptions& options) {
  Request req;
  req.method = request.method;
  // scheme://host[:port]/path[?query]
  size_t scheme = request.url.find("://");
  if (scheme == std::string::npos) return Error::Internal("in-process transport: URL without a scheme");
  size_t path_start = request.url.find('/', scheme + 3);
  std::string host = request.url.substr(
      scheme + 3, path_start == std::string::npos ? std::string::npos : path_start - scheme - 3);
  std::string target = path_start == std::string::npos ? "/" : request.url.substr(path_start);
  size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = target.substr(q + 1);
  req.headers = request.headers;
  if (!aws::FindHeader(req.headers, "Host")) req.headers.push_back({"Host", host});
  req.body = request.body;
  Response res = emulator_.Handle(req);
  if (res.delay.count() > 0) {
    if (res.delay > options.total_timeout) {
      clock_.SleepFor(options.total_timeout);
      return Error::Timeout("in-process emulator: no response within the request timeout");
    }
    clock_.SleepFor(res.delay);
  }
  if (res.drop_connection)
    return Error::Connectivity("in-process emulator: connection dropped (injected fault)");
  aws::HttpResponse out;
  out.status = res.status;
  out.headers = res.headers;
  if (!res.content_type.empty()) out.headers.push_back({"Content-Type", res.content_type});
  out.body = std::move(res.body);
  return out;
}

}  // namespace fleetpatch::emulator
