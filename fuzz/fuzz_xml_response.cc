// libFuzzer target: the Query/EC2 XML response parser (EC2 and STS success bodies, and error
// bodies), then the typed EC2 parsers over what it produced. Input: one selector byte (which
// operation) and the body. Seeds: response-parsing/xml and the protocol test bodies.
#include "aws/ec2_client.h"
#include "aws/protocol/embedded_models.h"
#include "aws/protocol/parser.h"
#include "fuzz/fuzz_input.h"

namespace {

using namespace fleetpatch::aws;

struct Op {
  const protocol::ServiceModel& (*model)();
  const char* name;
};
const Op kOps[] = {
    {protocol::Ec2Model, "DescribeInstances"},      {protocol::Ec2Model, "DescribeImages"},
    {protocol::Ec2Model, "DescribeSnapshots"},      {protocol::Ec2Model, "CreateImage"},
    {protocol::Ec2Model, "DescribeInstanceStatus"}, {protocol::StsModel, "AssumeRole"},
    {protocol::StsModel, "GetCallerIdentity"},      {protocol::StsModel, "AssumeRoleWithWebIdentity"},
};

void Typed(const nlohmann::json& out) {
  for (const auto& r : out.value("Reservations", nlohmann::json::array()))
    for (const auto& i : r.value("Instances", nlohmann::json::array())) (void)InstanceFromJson(i, r);
  for (const auto& img : out.value("Images", nlohmann::json::array())) (void)ImageFromJson(img);
  for (const auto& s : out.value("Snapshots", nlohmann::json::array())) (void)SnapshotFromJson(s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const size_t n = sizeof kOps / sizeof kOps[0];
  const Op& op = kOps[fleetpatch::fuzz::Choice(data, size, n)];
  HttpResponse response;
  response.status = 200;
  response.body = std::string(fleetpatch::fuzz::Rest(data, size));
  auto parsed = protocol::ParseResponse(op.model(), op.name, response);
  if (parsed.ok() && parsed->is_object()) Typed(*parsed);
  response.status = 400;
  (void)protocol::ParseErrorResponse(op.model(), op.name, response);
  return 0;
}
