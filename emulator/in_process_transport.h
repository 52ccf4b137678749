// InProcessTransport: an aws::HttpTransport that hands requests straight to an Emulator, without
// sockets. Tests and benchmarks use it to run fleetpatch's real client stack (signing, protocols,
// retries) against the emulator in one process. Injected latency is slept on the given Clock
// (a FakeClock just advances); a dropped connection is a retryable kConnectivity error.
// Thread-safety: safe from many threads (Emulator::Handle is).
#pragma once

#include "aws/http.h"
#include "common/clock.h"
#include "emulator/emulator.h"

namespace fleetpatch::emulator {

class InProcessTransport final : public aws::HttpTransport {
 public:
  // `emulator` and `clock` must outlive the transport. clock nullptr: DefaultClock().
  explicit InProcessTransport(Emulator& emulator, Clock* clock = nullptr);
  Result<aws::HttpResponse> Send(const aws::HttpRequest& request, const aws::HttpOptions& options) override;

  // The endpoint URL clients should be configured with (the host is not resolved). A loopback
  // host: fleetpatch accepts plain http only for loopback endpoints.
  static constexpr const char* kEndpoint = "http://127.0.0.1:1";

 private:
  Emulator& emulator_;
  Clock& clock_;
};

}  // namespace fleetpatch::emulator
