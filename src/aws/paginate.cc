#include "aws/paginate.h"

#include <fmt/format.h>

namespace fleetpatch::aws {

namespace {

// Puts the next page's token into `params`; false when `token` ends the walk. kAws when the service
// hands back the token it was just given.
Result<bool> Advance(const std::string& operation, std::string token, std::string* previous,
                     nlohmann::json* params) {
  if (token.empty()) return false;
  if (token == *previous) {
    return Error{ErrorCategory::kAws,
                 fmt::format("{} returned the same NextToken twice; stopping to avoid an endless "
                             "pagination loop (is the endpoint a faulty emulator?)",
                             operation)};
  }
  *previous = token;
  (*params)["NextToken"] = std::move(token);
  return true;
}

}  // namespace

Status Paginate(ApiCaller& caller, const std::string& operation, nlohmann::json params,
                const std::function<Status(const nlohmann::json& page)>& on_page) {
  std::string previous;
  for (;;) {
    FP_ASSIGN_OR_RETURN(nlohmann::json page, caller.Call(operation, params));
    FP_RETURN_IF_ERROR(on_page(page));
    auto it = page.find("NextToken");
    std::string token = it != page.end() && it->is_string() ? it->get<std::string>() : "";
    FP_ASSIGN_OR_RETURN(bool more, Advance(operation, std::move(token), &previous, &params));
    if (!more) return OkStatus();
  }
}

Status PaginateReading(ApiCaller& caller, const std::string& operation, nlohmann::json params,
                       const PageBodyReader& read_page) {
  std::string previous;
  for (;;) {
    std::string token;
    FP_RETURN_IF_ERROR(caller.CallReading(operation, params,
                                          [&](std::string_view body) { return read_page(body, &token); }));
    FP_ASSIGN_OR_RETURN(bool more, Advance(operation, std::move(token), &previous, &params));
    if (!more) return OkStatus();
  }
}

}  // namespace fleetpatch::aws
