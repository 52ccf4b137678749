// The EC2 service table (EC2 Query protocol).
#include "emulator/ec2_common.h"

namespace fleetpatch::emulator {

const Service& Ec2Service() {
  static const Service kEc2 = [] {
    Service s;
    s.name = "ec2";
    s.protocol = Protocol::kEc2Query;
    s.api_version = "2016-11-15";
    s.xml_namespace = "http://ec2.amazonaws.com/doc/2016-11-15/";
    const ApiError auth_failure{401, "AuthFailure",
                                "AWS was not able to validate the provided access credentials"};
    s.errors = {auth_failure,
                {401, "AuthFailure", "Authorization header requires Credential, SignedHeaders and Signature"},
                auth_failure,
                {400, "ExpiredToken", "The security token included in the request is expired"},
                {400, "RequestExpired", "Request has expired."},
                auth_failure,
                {503, "RequestLimitExceeded", "Request limit exceeded."},
                {500, "InternalError", "An internal error has occurred"},
                {503, "Unavailable", "The server is overloaded and can't handle the request."}};
    s.operations = {
        {"DescribeInstances", DescribeInstances, false, "ec2-describe"},
        {"DescribeInstanceStatus", DescribeInstanceStatus, false, "ec2-describe"},
        {"CreateImage", CreateImage, true, "ec2-mutate"},
        {"DescribeImages", DescribeImages, false, "ec2-describe"},
        {"DeregisterImage", DeregisterImage, true, "ec2-mutate"},
        {"CreateTags", CreateTags, true, "ec2-tags"},
        {"DescribeSnapshots", DescribeSnapshots, false, "ec2-describe"},
        {"DeleteSnapshot", DeleteSnapshot, true, "ec2-mutate"},
        {"CreateReplaceRootVolumeTask", CreateReplaceRootVolumeTask, true, "ec2-mutate"},
        {"DescribeReplaceRootVolumeTasks", DescribeReplaceRootVolumeTasks, false, "ec2-describe"},
    };
    return s;
  }();
  return kEc2;
}

}  // namespace fleetpatch::emulator
