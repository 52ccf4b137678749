// libFuzzer target: endpoint URL handling (override validation, the loopback check, region names
// and partitions) and role ARN / name checks. Input: one selector byte and the text.
#include "aws/endpoints.h"
#include "config/names.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fleetpatch;
  const std::string text(fuzz::Rest(data, size));
  switch (fuzz::Choice(data, size, 4)) {
    case 0: {
      aws::EndpointRequest req{"ec2", "us-east-1", false, text};
      (void)aws::ResolveServiceEndpoint(req, MapEnv({}));
      (void)aws::ResolveServiceEndpoint({"sts", "eu-west-1"}, MapEnv({{"AWS_ENDPOINT_URL_STS", text}}));
      (void)config::CheckEndpointUrl(text);
      break;
    }
    case 1:
      (void)aws::IsLoopbackHost(text);
      break;
    case 2:
      if (aws::IsValidRegionName(text)) (void)aws::ResolveEndpoint({"ssm", text});
      (void)aws::PartitionForRegion(text.substr(0, 64));
      (void)config::CheckRegion(text);
      break;
    default:
      (void)config::CheckRoleArn(text, "123456789012", "us-east-1");
      (void)config::CheckRoleArn(text, "", "");
      (void)config::CheckExternalId(text);
      (void)config::CheckServiceName(text);
      break;
  }
  return 0;
}
