#include "testing/fake_transport.h"

#include <utility>

namespace fleetpatch::testing {

void FakeTransport::QueueResponse(int status, std::string body, aws::Headers headers) {
  QueueResponse(aws::HttpResponse{status, std::move(headers), std::move(body)});
}

void FakeTransport::QueueResponse(aws::HttpResponse response) {
  std::lock_guard lock(mu_);
  queue_.emplace_back(std::move(response));
}

void FakeTransport::QueueError(Error error) {
  std::lock_guard lock(mu_);
  queue_.emplace_back(std::move(error));
}

void FakeTransport::SetHandler(Handler handler) {
  std::lock_guard lock(mu_);
  handler_ = std::move(handler);
}

Result<aws::HttpResponse> FakeTransport::Send(const aws::HttpRequest& request, const aws::HttpOptions& options) {
  Handler handler;
  {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    options_.push_back(options);
    if (!queue_.empty()) {
      Result<aws::HttpResponse> next = std::move(queue_.front());
      queue_.pop_front();
      return next;
    }
    handler = handler_;
  }
  // Called outside the lock so a handler may block or send again.
  if (handler) return handler(request);
  return Error::Internal("FakeTransport: no response queued for " + request.method + " " + request.url);
}

std::vector<aws::HttpRequest> FakeTransport::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<aws::HttpOptions> FakeTransport::options() const {
  std::lock_guard lock(mu_);
  return options_;
}

size_t FakeTransport::request_count() const {
  std::lock_guard lock(mu_);
  return requests_.size();
}

size_t FakeTransport::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace fleetpatch::testing
