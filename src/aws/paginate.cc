#include "aws/paginate.h"

#include <fmt/format.h>

namespace fleetpatch::aws {

Status Paginate(ApiCaller& caller, const std::string& operation, nlohmann::json params,
                const std::function<Status(const nlohmann::json& page)>& on_page) {
  std::string previous;
  for (;;) {
    FP_ASSIGN_OR_RETURN(nlohmann::json page, caller.Call(operation, params));
    FP_RETURN_IF_ERROR(on_page(page));
    auto it = page.find("NextToken");
    if (it == page.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) return OkStatus();
    std::string token = it->get<std::string>();
    if (token == previous) {
      Error e{ErrorCategory::kAws,
              fmt::format("{} returned the same NextToken twice; stopping to avoid an endless "
                          "pagination loop (is the endpoint a faulty emulator?)",
                          operation)};
      return e;
    }
    previous = token;
    params["NextToken"] = std::move(token);
  }
}

std::vector<std::vector<std::string>> Batches(const std::vector<std::string>& items, size_t batch_size) {
  std::vector<std::vector<std::string>> out;
  for (size_t i = 0; i < items.size(); i += batch_size) {
    out.emplace_back(items.begin() + static_cast<std::ptrdiff_t>(i),
                     items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), i + batch_size)));
  }
  return out;
}

}  // namespace fleetpatch::aws
