// The real ZoneApi: the typed EC2 and SSM clients of one landing zone, signing with that zone's
// assumed-role credentials and paced by the run's RateLimiter (per account, region and API family;
// status polls yield to other calls): each client's RateLimiterGate takes a token for every HTTP
// attempt, retries included, and slows the bucket down when AWS throttles. AwsZoneConnector assumes each
// zone's role (once; the provider refreshes the credentials before they expire) and checks it eagerly so that
// a zone whose role cannot be assumed fails at the start with kAuth. Thread-safety: both are safe to use from
// several threads.
#pragma once

#include <memory>
#include <string>

#include "aws/autoscaling_client.h"
#include "aws/aws_context.h"
#include "aws/ec2_client.h"
#include "aws/ssm_client.h"
#include "workflow/rate_limiter.h"
#include "workflow/workflow.h"

namespace fleetpatch::workflow {

// The buckets that pace one zone's calls: the run's limiter, for the zone's account and region.
struct ZonePacing {
  RateLimiter& limiter;
  std::string account;
  std::string region;
};

class AwsZoneApi final : public ZoneApi {
 public:
  AwsZoneApi(std::unique_ptr<aws::ApiCaller> ec2, std::unique_ptr<aws::ApiCaller> ssm,
             std::unique_ptr<aws::ApiCaller> autoscaling, ZonePacing pacing);

  CallRoom RoomFor(const std::string& service, const std::string& operation) override;

  Status ForEachInstancePage(const std::map<std::string, std::vector<std::string>>& filters,
                             const std::function<void(std::vector<Ec2InstanceView>&&)>& on_page) override;
  Result<std::vector<SsmInstanceView>> DescribeInstanceInformation() override;
  Result<std::vector<SsmInstanceView>> DescribeInstanceInformation(
      const std::vector<std::string>& instance_ids) override;
  Result<std::vector<ImageView>> DescribeImagesById(const std::vector<std::string>& image_ids) override;
  Result<std::vector<ImageView>> DescribeImagesByTag(const std::string& key,
                                                     const std::string& value) override;
  Result<std::string> CreateImage(const std::string& instance_id, const std::string& name,
                                  const std::string& description, bool no_reboot, const Tags& tags) override;
  Status DeregisterImage(const std::string& image_id) override;
  Result<std::set<std::string>> DescribeOwnedSnapshotIds(
      const std::vector<std::string>& snapshot_ids) override;
  Status DeleteSnapshot(const std::string& snapshot_id) override;
  Result<std::string> SendCommand(const std::string& document, const std::vector<std::string>& instance_ids,
                                  const std::map<std::string, std::vector<std::string>>& parameters,
                                  int timeout_s, const std::string& comment) override;
  Result<std::vector<InvocationView>> ListInvocations(const std::string& command_id) override;
  Result<std::vector<InstanceStatusView>> DescribeInstanceStatus(
      const std::vector<std::string>& instance_ids) override;
  Result<std::string> GetInvocationOutput(const std::string& command_id,
                                          const std::string& instance_id) override;
  Status CancelCommand(const std::string& command_id, const std::vector<std::string>& instance_ids) override;
  Result<std::vector<PatchStateView>> DescribePatchStates(
      const std::vector<std::string>& instance_ids) override;
  Result<std::vector<AsgInstanceView>> DescribeAutoScalingInstances(
      const std::vector<std::string>& ids) override;
  Status EnterStandby(const std::string& group, const std::vector<std::string>& instance_ids) override;
  Status ExitStandby(const std::string& group, const std::vector<std::string>& instance_ids) override;
  Status SuspendProcesses(const std::string& group) override;
  Status ResumeProcesses(const std::string& group) override;
  Result<ReplaceTaskView> CreateReplaceRootVolumeTask(const std::string& instance_id,
                                                      const std::string& image_id,
                                                      bool delete_replaced_root_volume,
                                                      const std::string& client_token) override;
  Result<std::vector<ReplaceTaskView>> DescribeReplaceRootVolumeTasks(
      const std::vector<std::string>& task_ids) override;

 private:
  std::unique_ptr<aws::ApiCaller> ec2_caller_, ssm_caller_, asg_caller_;
  aws::Ec2Client ec2_;
  aws::SsmClient ssm_;
  aws::AutoScalingClient asg_;
  ZonePacing pacing_;
};

struct ZoneAccess {
  std::string role_arn;  // empty: use the base credentials directly (single-account use)
  std::string external_id;
  std::string session_name;  // Default: fleetpatch-<run>
  int duration_s = 3600;
  std::string endpoint_url;  // the zone's endpoint override (e.g. the emulator)
};

class AwsZoneConnector final : public ZoneConnector {
 public:
  // `access` gives, per zone name, how to reach it.
  AwsZoneConnector(aws::AwsContext& context, std::shared_ptr<aws::CredentialsProvider> base,
                   RateLimiter& limiter, std::map<std::string, ZoneAccess> access);
  Result<std::shared_ptr<ZoneApi>> Connect(const ZoneSpec& zone) override;

 private:
  aws::AwsContext& context_;
  std::shared_ptr<aws::CredentialsProvider> base_;
  RateLimiter& limiter_;
  const std::map<std::string, ZoneAccess> access_;
};

}  // namespace fleetpatch::workflow
