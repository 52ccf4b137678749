// libFuzzer target: the JSON 1.1 (SSM) response parser for success and error bodies. Input: one
// selector byte (which operation) and the body. Seeds: the JSON protocol test bodies.
#include "aws/protocol/embedded_models.h"
#include "aws/protocol/parser.h"
#include "fuzz/fuzz_input.h"

namespace {
const char* const kOps[] = {
    "SendCommand",   "ListCommandInvocations", "DescribeInstanceInformation", "DescribeInstancePatchStates",
    "CancelCommand", "GetCommandInvocation"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fleetpatch::aws;
  const char* op = kOps[fleetpatch::fuzz::Choice(data, size, sizeof kOps / sizeof kOps[0])];
  HttpResponse response;
  response.status = 200;
  response.headers = {{"Content-Type", "application/x-amz-json-1.1"}};
  response.body = std::string(fleetpatch::fuzz::Rest(data, size));
  (void)protocol::ParseResponse(protocol::SsmModel(), op, response);
  response.status = 400;
  (void)protocol::ParseErrorResponse(protocol::SsmModel(), op, response);
  return 0;
}
