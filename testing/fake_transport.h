// FakeTransport: an HttpTransport for tests that answers from a queue of canned responses or
// errors (in order) and records every request it was sent. When the queue is empty it asks the
// handler (if set), else fails with a kInternal error naming the unexpected request.
// Thread-safe: Send and every other method may be called concurrently.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "aws/http.h"

namespace fleetpatch::testing {

class FakeTransport final : public aws::HttpTransport {
 public:
  using Handler = std::function<Result<aws::HttpResponse>(const aws::HttpRequest&)>;

  void QueueResponse(int status, std::string body, aws::Headers headers = {});
  void QueueResponse(aws::HttpResponse response);
  void QueueError(Error error);
  // Answers requests once the queue is empty (e.g. a tiny fake service).
  void SetHandler(Handler handler);

  Result<aws::HttpResponse> Send(const aws::HttpRequest& request, const aws::HttpOptions& options) override;

  std::vector<aws::HttpRequest> requests() const;
  std::vector<aws::HttpOptions> options() const;
  size_t request_count() const;
  size_t queued() const;

 private:
  mutable std::mutex mu_;
  std::deque<Result<aws::HttpResponse>> queue_;  // guarded by mu_
  Handler handler_;                              // guarded by mu_
  std::vector<aws::HttpRequest> requests_;       // guarded by mu_
  std::vector<aws::HttpOptions> options_;        // guarded by mu_
};

}  // namespace fleetpatch::testing
