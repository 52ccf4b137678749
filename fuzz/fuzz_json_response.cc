// libFuzzer target: the JSON 1.1 (SSM) response parser for success and error bodies. Input: one
// selector byte (which operation) and the body. Seeds: the JSON protocol test bodies.
// A differential check too: the one-pass reader of success bodies (ReadJsonOutput) must agree with
// the DOM path (a parsed document through JsonToShape): both fail, or both give the same value.
#include <cstdlib>

#include "aws/protocol/embedded_models.h"
#include "aws/protocol/json_reader.h"
#include "aws/protocol/parser.h"
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
  response.status = 400;
  (void)protocol::ParseErrorResponse(protocol::SsmModel(), op, response);
  return 0;
}
