// Typed readers of the two SSM pages that `compliance` reads by the thousand
// (DescribeInstanceInformation, DescribeInstancePatchStates): one pass over nlohmann's SAX events
// straight into InstanceInformation / InstancePatchState, with no JSON tree of the page at all
// (ApiCaller::CallReading hands them the wire body).
//
// They read each value as the generic path does (ApiCaller::Call's output JSON, then the
// *FromJson functions below, which use output_fields.h): a page the generic path reads gives the
// same records and NextToken, and a body that is not JSON fails both (fuzz_json_response and
// ssm_pages_test check this). The typed readers only check the members they read: a modelled
// member they do not use (AssociationOverview, RegistrationDate ...) with a value of the wrong
// type fails the generic path but not them.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aws/ssm_client.h"
#include "common/error.h"

namespace fleetpatch::aws {

// Appends the page's records to `out` and sets `next_token` ("" when there is none). A blank or
// null body is an empty page. Errors (kAws, "could not parse the AWS response: ..."; `out` is left
// unchanged): the body is not JSON (this wins), or a value cannot be what the page needs (the page
// or a record not an object, the list not an array, a timestamp neither a number nor a string).
Status ReadInstanceInformationPage(std::string_view body, std::vector<InstanceInformation>* out,
                                   std::string* next_token);
Status ReadPatchStatesPage(std::string_view body, std::vector<InstancePatchState>* out,
                           std::string* next_token);

// The generic path's reading of one record of a parsed page (model member names): the reference
// the typed readers must agree with.
InstanceInformation InstanceInformationFromJson(const nlohmann::json& item);
InstancePatchState PatchStateFromJson(const nlohmann::json& item);

}  // namespace fleetpatch::aws
