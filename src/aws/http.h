// HTTP transport: the seam between fleetpatch and the network. Abstract so tests can queue canned
// responses (testing/fake_transport.h) or inject faults; CurlTransport is the real one.
// Thread-safety: implementations must allow concurrent Send() calls from many worker threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace fleetpatch::aws {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup; returns nullptr when absent.
const std::string* FindHeader(const Headers& headers, std::string_view name);

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // absolute: scheme://host[:port]/path[?query], already percent-encoded
  Headers headers;
  std::string body;
  // Never through a proxy, whatever HTTP_PROXY / NO_PROXY say: set for the instance metadata and
  // container credential endpoints, which are link-local or loopback and answer with credentials.
  bool direct = false;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};
};

// The largest response body a transport accepts, after decompression. Default: 64 MiB (a
// DescribeInstances page of 1,000 instances is about 10 MiB); a larger answer is an error, so a
// broken or hostile endpoint cannot exhaust memory.
inline constexpr size_t kDefaultMaxResponseBytes = size_t{64} << 20;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends one request. A response with any HTTP status is a success here; an Error (category
  // kConnectivity or kTimeout, retryable when a retry could help) means no response was received.
  // Error messages never contain header values (they may hold credentials). A body larger than the
  // transport's limit (kDefaultMaxResponseBytes unless configured) is a non-retryable kConnectivity
  // error that names the limit.
  virtual Result<HttpResponse> Send(const HttpRequest& request, const HttpOptions& options) = 0;
};

}  // namespace fleetpatch::aws
