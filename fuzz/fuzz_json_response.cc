// libFuzzer target: the JSON 1.1 (SSM) response parser for success and error bodies. Input: one
// selector byte (which operation) and the body. Seeds: the JSON protocol test bodies.
// A differential check too: the one-pass reader of success bodies (ReadJsonOutput) must agree with
// the DOM path (a parsed document through JsonToShape): both fail, or both give the same value.
// And the typed page readers of the two pages compliance reads (ssm_pages.h) must agree with the
// generic path (ParseResponse, then the *FromJson records and the NextToken): whenever it reads a
// body they read the same records and token, and they never read a body that is not JSON.
#include <cstdlib>

#include "aws/output_fields.h"
#include "aws/protocol/embedded_models.h"
#include "aws/protocol/json_reader.h"
#include "aws/protocol/parser.h"
#include "aws/ssm_pages.h"
#include "fuzz/fuzz_input.h"

namespace {
const char* const kOps[] = {
    "SendCommand",   "ListCommandInvocations", "DescribeInstanceInformation", "DescribeInstancePatchStates",
    "CancelCommand", "GetCommandInvocation"};

void CheckReaderAgreesWithDom(const char* op, const std::string& body) {
  using namespace fleetpatch::aws::protocol;
  const ServiceModel& model = SsmModel();
  const ShapeRef& output = *model.FindOperation(op)->output;
  auto read = ReadJsonOutput(model, output, body);
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    if (read.ok()) std::abort();
    return;
  }
  auto dom = JsonToShape(model, output, doc);
  if (read.ok() != dom.ok() || (read.ok() && *read != *dom)) std::abort();
}
template <typename Record, typename Reader>
void CheckTypedPageAgrees(const fleetpatch::aws::HttpResponse& response, const char* op, const char* list,
                          Record (*from_json)(const nlohmann::json&), Reader read) {
  using namespace fleetpatch::aws;
  std::vector<Record> typed;
  std::string typed_token;
  const bool typed_ok = read(response.body, &typed, &typed_token).ok();
  const bool blank = response.body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (typed_ok && !blank && !nlohmann::json::accept(response.body)) std::abort();
  auto page = protocol::ParseResponse(protocol::SsmModel(), op, response);
  if (!page.ok()) return;
  if (!typed_ok) std::abort();
  std::vector<Record> generic;
  for (const auto& item : fields::Array(*page, list)) generic.push_back(from_json(item));
  auto it = page->find("NextToken");
  const std::string token = it != page->end() && it->is_string() ? it->get<std::string>() : "";
  if (generic != typed || token != typed_token) std::abort();
}

void CheckTypedPages(const char* op, const fleetpatch::aws::HttpResponse& response) {
  using namespace fleetpatch::aws;
  if (std::string_view(op) == "DescribeInstancePatchStates") {
    CheckTypedPageAgrees(response, op, "InstancePatchStates", &PatchStateFromJson, &ReadPatchStatesPage);
  } else if (std::string_view(op) == "DescribeInstanceInformation") {
    CheckTypedPageAgrees(response, op, "InstanceInformationList", &InstanceInformationFromJson,
                         &ReadInstanceInformationPage);
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fleetpatch::aws;
  const char* op = kOps[fleetpatch::fuzz::Choice(data, size, sizeof kOps / sizeof kOps[0])];
  HttpResponse response;
  response.status = 200;
  response.headers = {{"Content-Type", "application/x-amz-json-1.1"}};
  response.body = std::string(fleetpatch::fuzz::Rest(data, size));
  (void)protocol::ParseResponse(protocol::SsmModel(), op, response);
  CheckReaderAgreesWithDom(op, response.body);
  CheckTypedPages(op, response);
  response.status = 400;
  (void)protocol::ParseErrorResponse(protocol::SsmModel(), op, response);
  return 0;
}
