// Pagination and client-side batching shared by the typed clients.
// Thread-safety: stateless; safe wherever the ApiCaller is.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aws/api_caller.h"
#include "common/error.h"

namespace fleetpatch::aws {

// Calls `operation` with `params`, hands each page's output to `on_page`, and repeats with the
// page's NextToken until the service returns none. An error from the call or from `on_page` stops
// the walk and is returned. A service that hands back the token it was just given would loop
// forever, so that is an error (kAws) too.
Status Paginate(ApiCaller& caller, const std::string& operation, nlohmann::json params,
                const std::function<Status(const nlohmann::json& page)>& on_page);

// Reads one page's body (ApiCaller::CallReading): keeps its records and sets `next_token` ("" when
// the page has none).
using PageBodyReader = std::function<Status(std::string_view body, std::string* next_token)>;

// Paginate for a typed page reader: the same walk and the same check of a repeated NextToken, with
// each page's body read by `read_page` instead of parsed into output JSON.
Status PaginateReading(ApiCaller& caller, const std::string& operation, nlohmann::json params,
                       const PageBodyReader& read_page);

}  // namespace fleetpatch::aws
