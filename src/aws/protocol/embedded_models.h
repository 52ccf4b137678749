// The service models fleetpatch ships with: trimmed botocore models (src/aws/models/*.json, made by
// scripts/trim_models.py) compiled into the binary, holding only the operations fleetpatch calls.
// Thread-safety: each model is parsed once on first use (thread-safe static init), then immutable.
#pragma once

#include "aws/protocol/service_model.h"

namespace fleetpatch::aws::protocol {

const ServiceModel& Ec2Model();
const ServiceModel& SsmModel();
const ServiceModel& StsModel();
const ServiceModel& AutoScalingModel();
const ServiceModel& SnsModel();  // Publish only (notifications)

}  // namespace fleetpatch::aws::protocol
