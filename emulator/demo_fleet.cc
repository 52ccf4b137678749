// The built-in demo fleet and its landing-zones inventory. The same text ships as
// examples/demo/fleet.yml and examples/demo/landing_zones.yml (demo_fleet_test.cc keeps them equal).
#include <cstdlib>

#include "emulator/fleet.h"

namespace fleetpatch::emulator {

const char* DemoFleetYaml() {
  return R"FPYAML(# fleetpatch demo fleet: three landing zones (prod, staging, dev), 30 instances, every outcome the
# emulator can play at least once. Used by `fleetpatch emulator --demo` (compiled in) and
# examples/demo/landing_zones.yml. Schema: emulator/fleet.h.
caller:
  account_id: "000000000000"
  user_name: fleetpatch-operator
  access_key_id: AKIDFPEMULATOR000001
  secret_access_key: fpEmulatorSecretKey/DoNotUseInProduction0
accounts:
  - id: "111111111111"
    name: prod
    regions: [us-east-1]
    roles:
      - {name: FleetPatchRole, external_id: fp-demo-prod}
      - {name: FleetPatchReadOnly, external_id: fp-demo-prod, read_only: true}
  - id: "222222222222"
    name: staging
    regions: [eu-west-1]
    roles:
      - {name: FleetPatchRole, external_id: fp-demo-staging}
      - {name: FleetPatchReadOnly, external_id: fp-demo-staging, read_only: true}
  - id: "333333333333"
    name: dev
    regions: [us-west-2]
    roles:
      - {name: FleetPatchRole, external_id: fp-demo-dev}
      - {name: FleetPatchReadOnly, external_id: fp-demo-dev, read_only: true}
instances:
  # healthy Linux web server
  - id: i-000100000feed0001
    account: "111111111111"
    region: us-east-1
    availability_zone: us-east-1a
    name: prod-web-1
    tags: {Environment: prod, PatchGroup: prod-web, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # healthy, patches need a reboot
  - id: i-000100000feed0002
    account: "111111111111"
    region: us-east-1
    availability_zone: us-east-1b
    name: prod-web-2
    tags: {Environment: prod, PatchGroup: prod-web, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 9, failed: 0, reboot_required: true, duration_s: 420}
  # healthy, nothing missing
  - id: i-000100000feed0003
    account: "111111111111"
    region: us-east-1
    availability_zone: us-east-1c
    name: prod-web-3
    tags: {Environment: prod, PatchGroup: prod-web, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 0, failed: 0, reboot_required: false, duration_s: 420}
  # some patches fail to install
  - id: i-000100000feed0004
    account: "111111111111"
    region: us-east-1
    availability_zone: us-east-1a
    name: prod-api-1
    tags: {Environment: prod, PatchGroup: prod-api, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: failed, installed: 140, missing: 7, failed: 2, reboot_required: false, duration_s: 420}
  # patching hangs past its timeout
  - id: i-000100000feed0005
    account: "111111111111"
    region: us-east-1
    availability_zone: us-east-1b
    name: prod-api-2
    tags: {Environment: prod, PatchGroup: prod-api, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: hang, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 900}
  # AMI backup fails
  - id: i-000100000feed0006
    account: "111111111111"
    region: us-east-1
    availability_zone: us-east-1a
    name: prod-db-1
    tags: {Environment: prod, PatchGroup: prod-db, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: r6i.large
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: failed, duration_s: 900}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # root disk nearly full (precheck fails)
  - id: i-000100000feed0007
    account: "111111111111"
    region: us-east-1
    availability_zone: us-east-1b
    name: prod-db-2
    tags: {Environment: prod, PatchGroup: prod-db, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: r6i.large
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 209408}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # healthy Windows server
  - id: i-000100000feed0008
    account: "111111111111"
    region: us-east-1
    availability_zone: us-east-1a
    name: prod-win-1
    tags: {Environment: prod, PatchGroup: prod-win, Owner: platform-team}
    platform: windows
    platform_name: Microsoft Windows Server 2022 Datacenter
    platform_version: 10.0.20348
    instance_type: m5.large
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: 'C:', size_kb: 52428800, avail_kb: 31457280}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {W32Time: active, WinRM: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # Windows, a required service has failed
  - id: i-000100000feed0009
    account: "111111111111"
    region: us-east-1
    availability_zone: us-east-1b
    name: prod-win-2
    tags: {Environment: prod, PatchGroup: prod-win, Owner: platform-team}
    platform: windows
    platform_name: Microsoft Windows Server 2022 Datacenter
    platform_version: 10.0.20348
    instance_type: m5.large
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: 'C:', size_kb: 52428800, avail_kb: 31457280}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {W32Time: active, WinRM: failed}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # stopped instance (not eligible)
  - id: i-000100000feed000a
    account: "111111111111"
    region: us-east-1
    availability_zone: us-east-1a
    name: prod-batch-1
    tags: {Environment: prod, PatchGroup: prod-batch, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    state: stopped
    ssm: {ping_status: ConnectionLost, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # SSM agent lost connection
  - id: i-000100000feed000b
    account: "111111111111"
    region: us-east-1
    availability_zone: us-east-1a
    name: prod-batch-2
    tags: {Environment: prod, PatchGroup: prod-batch, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: ConnectionLost, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # agent drops off when patching starts
  - id: i-000100000feed000c
    account: "111111111111"
    region: us-east-1
    availability_zone: us-east-1a
    name: prod-cache-1
    tags: {Environment: prod, PatchGroup: prod-cache, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: agent_lost, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # healthy
  - id: i-000200000feed000d
    account: "222222222222"
    region: eu-west-1
    availability_zone: eu-west-1a
    name: staging-web-1
    tags: {Environment: staging, PatchGroup: staging-web, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # healthy, reboot needed after patching
  - id: i-000200000feed000e
    account: "222222222222"
    region: eu-west-1
    availability_zone: eu-west-1b
    name: staging-web-2
    tags: {Environment: staging, PatchGroup: staging-web, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 12, failed: 0, reboot_required: true, duration_s: 420}
  # high load (precheck warns)
  - id: i-000200000feed000f
    account: "222222222222"
    region: eu-west-1
    availability_zone: eu-west-1a
    name: staging-api-1
    tags: {Environment: staging, PatchGroup: staging-api, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 7.8
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # a reboot is already pending
  - id: i-000200000feed0010
    account: "222222222222"
    region: eu-west-1
    availability_zone: eu-west-1b
    name: staging-api-2
    tags: {Environment: staging, PatchGroup: staging-api, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
      reboot_pending: true
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # package manager locked
  - id: i-000200000feed0011
    account: "222222222222"
    region: eu-west-1
    availability_zone: eu-west-1a
    name: staging-db-1
    tags: {Environment: staging, PatchGroup: staging-db, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
      pkg_lock: true
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # low memory
  - id: i-000200000feed0012
    account: "222222222222"
    region: eu-west-1
    availability_zone: eu-west-1b
    name: staging-db-2
    tags: {Environment: staging, PatchGroup: staging-db, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 120000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # healthy Windows
  - id: i-000200000feed0013
    account: "222222222222"
    region: eu-west-1
    availability_zone: eu-west-1a
    name: staging-win-1
    tags: {Environment: staging, PatchGroup: staging-win, Owner: platform-team}
    platform: windows
    platform_name: Microsoft Windows Server 2022 Datacenter
    platform_version: 10.0.20348
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: 'C:', size_kb: 52428800, avail_kb: 31457280}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {W32Time: active, WinRM: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # Windows, patches fail
  - id: i-000200000feed0014
    account: "222222222222"
    region: eu-west-1
    availability_zone: eu-west-1b
    name: staging-win-2
    tags: {Environment: staging, PatchGroup: staging-win, Owner: platform-team}
    platform: windows
    platform_name: Microsoft Windows Server 2022 Datacenter
    platform_version: 10.0.20348
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: 'C:', size_kb: 52428800, avail_kb: 31457280}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {W32Time: active, WinRM: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: failed, installed: 140, missing: 4, failed: 1, reboot_required: false, duration_s: 420}
  # SSM agent inactive (instance not reporting for long)
  - id: i-000200000feed0015
    account: "222222222222"
    region: eu-west-1
    availability_zone: eu-west-1a
    name: staging-old-1
    tags: {Environment: staging, PatchGroup: staging-old, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Inactive, agent_version: 2.3.1319.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # not managed by SSM at all
  - id: i-000200000feed0016
    account: "222222222222"
    region: eu-west-1
    availability_zone: eu-west-1a
    name: staging-nossm-1
    tags: {Environment: staging, PatchGroup: staging-old, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: None, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # healthy
  - id: i-000300000feed0017
    account: "333333333333"
    region: us-west-2
    availability_zone: us-west-2a
    name: dev-web-1
    tags: {Environment: dev, PatchGroup: dev-web, Owner: platform-team, Team: alpha}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # healthy, many missing patches
  - id: i-000300000feed0018
    account: "333333333333"
    region: us-west-2
    availability_zone: us-west-2b
    name: dev-web-2
    tags: {Environment: dev, PatchGroup: dev-web, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 25, failed: 0, reboot_required: false, duration_s: 420}
  # sshd failed
  - id: i-000300000feed0019
    account: "333333333333"
    region: us-west-2
    availability_zone: us-west-2a
    name: dev-api-1
    tags: {Environment: dev, PatchGroup: dev-api, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: failed, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # chronyd inactive
  - id: i-000300000feed001a
    account: "333333333333"
    region: us-west-2
    availability_zone: us-west-2b
    name: dev-api-2
    tags: {Environment: dev, PatchGroup: dev-api, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: inactive, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # slow AMI (45 minutes)
  - id: i-000300000feed001b
    account: "333333333333"
    region: us-west-2
    availability_zone: us-west-2a
    name: dev-db-1
    tags: {Environment: dev, PatchGroup: dev-db, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 2700}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # stopped
  - id: i-000300000feed001c
    account: "333333333333"
    region: us-west-2
    availability_zone: us-west-2a
    name: dev-db-2
    tags: {Environment: dev, PatchGroup: dev-db, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    state: stopped
    ssm: {ping_status: ConnectionLost, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
  # Windows, reboot required after patches
  - id: i-000300000feed001d
    account: "333333333333"
    region: us-west-2
    availability_zone: us-west-2a
    name: dev-win-1
    tags: {Environment: dev, PatchGroup: dev-win, Owner: platform-team}
    platform: windows
    platform_name: Microsoft Windows Server 2022 Datacenter
    platform_version: 10.0.20348
    instance_type: t3.medium
    ssm: {ping_status: Online, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: 'C:', size_kb: 52428800, avail_kb: 31457280}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {W32Time: active, WinRM: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: true, duration_s: 420}
  # terminated instance
  - id: i-000300000feed001e
    account: "333333333333"
    region: us-west-2
    availability_zone: us-west-2a
    name: dev-tmp-1
    tags: {Environment: dev, PatchGroup: dev-tmp, Owner: platform-team}
    platform: linux
    platform_name: Amazon Linux
    platform_version: '2023'
    instance_type: t3.medium
    state: terminated
    ssm: {ping_status: Inactive, agent_version: 3.3.987.0}
    host:
      disks:
        - {mount: '/', size_kb: 8376300, avail_kb: 5242880}
        - {mount: '/var', size_kb: 20961280, avail_kb: 15728640}
      cpus: 2
      load1: 0.3
      mem_total_kb: 4030000
      mem_available_kb: 2900000
      services: {sshd: active, chronyd: active, amazon-ssm-agent: active}
    ami: {outcome: available, duration_s: 600}
    patch: {outcome: success, installed: 140, missing: 6, failed: 0, reboot_required: false, duration_s: 420}
)FPYAML";
}

const char* DemoLandingZonesYaml() {
  return R"FPYAML(# Landing zones of the emulator's demo fleet (fleetpatch emulator --demo).
# Credentials: eval the export lines the emulator prints, then
#   fleetpatch --landing-zones examples/demo/landing_zones.yml --workflow scan
landing_zones:
  - name: prod
    account_id: "111111111111"
    region: us-east-1
    role_arn: arn:aws:iam::111111111111:role/FleetPatchRole
    external_id: fp-demo-prod
    session_name: fleetpatch-prod
    filters:
      tags:
        Environment: [prod]
  - name: staging
    account_id: "222222222222"
    region: eu-west-1
    role_arn: arn:aws:iam::222222222222:role/FleetPatchRole
    external_id: fp-demo-staging
    session_name: fleetpatch-staging
    filters:
      tags:
        Environment: [staging]
  - name: dev
    account_id: "333333333333"
    region: us-west-2
    role_arn: arn:aws:iam::333333333333:role/FleetPatchRole
    external_id: fp-demo-dev
    session_name: fleetpatch-dev
    filters:
      tags:
        Environment: [dev]
)FPYAML";
}

Fleet DemoFleet() {
  auto fleet = ParseFleetYaml(DemoFleetYaml(), "built-in demo fleet");
  // The demo text is compiled in and covered by demo_fleet_test.cc; failing here is a build defect.
  if (!fleet.ok()) std::abort();
  return std::move(fleet).value();
}

}  // namespace fleetpatch::emulator
