#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets at run time from ../shared/testdata/aws and examples/
(nothing is committed): seed_corpus.py SRC_DIR TESTDATA_DIR OUT_DIR. Each target's directory gets
small files; targets whose first input byte selects an operation get one seed per selector."""
import glob
import hashlib
import json
import os
import subprocess
import sys

src, testdata, out = sys.argv[1], sys.argv[2], sys.argv[3]


def put(target, data, selector=None):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if selector is not None:
        data = bytes([selector]) + data
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def bodies(protocol_file):
    try:
        suites = json.load(open(protocol_file))
    except OSError:
        return []
    return [c["response"].get("body", "") for s in suites for c in s.get("cases", []) if "response" in c]


# XML: EC2 and STS responses and errors (8 operations: selector 0-4 EC2, 5-7 STS).
for path in glob.glob(os.path.join(testdata, "response-parsing/xml/*/*.xml")):
    base = os.path.basename(path)
    if base.startswith("ec2-"):
        put("fuzz_xml_response", read(path), sum(base.encode()) % 5)
    elif base.startswith("sts-"):
        put("fuzz_xml_response", read(path), 5 + sum(base.encode()) % 3)
for i, body in enumerate(bodies(os.path.join(testdata, "protocols/ec2-output.json")) +
                         bodies(os.path.join(testdata, "protocols/query-output.json"))):
    put("fuzz_xml_response", body, i % 8)

# JSON 1.1 (6 SSM operations).
for i, body in enumerate(bodies(os.path.join(testdata, "protocols/json-output.json"))):
    put("fuzz_json_response", body, i % 6)
# Pages shaped as the SSM model expects (selector 2 DescribeInstanceInformation, 3
# DescribeInstancePatchStates), so mutations reach the one-pass reader's shape handling (escapes,
# timestamps as numbers and text, an unmodelled nested member, a null member, a token).
put("fuzz_json_response", json.dumps({"InstanceInformationList": [
    {"InstanceId": "i-0a1", "PingStatus": "Online", "LastPingDateTime": 1733300000.5, "IsLatestVersion": True,
     "PlatformType": "Linux", "PlatformName": "Amazon Linux \u00e9 \"2\"", "ComputerName": None,
     "AssociationOverview": {"InstanceAssociationStatusAggregatedCount": {"Success": 3}}}],
    "NextToken": "t1"}), 2)
put("fuzz_json_response", json.dumps({"InstancePatchStates": [
    {"InstanceId": "i-0a1", "PatchGroup": "web<&>", "BaselineId": "pb-1", "Operation": "Install",
     "InstalledCount": 12, "MissingCount": 0, "FailedCount": 1, "InstalledPendingRebootCount": 3,
     "OperationStartTime": "2024-12-04T08:13:20Z", "OperationEndTime": 1733300000,
     "RebootOption": "NoReboot", "Unknown": [1, {"a": None}]},
    {"InstanceId": "i-0a2", "Operation": "Scan", "CriticalNonCompliantCount": None}], "NextToken": None}), 3)

# Config (selector 0) and inventories (selector 1).
for path in glob.glob(os.path.join(src, "examples/config/*.yml")):
    put("fuzz_config", read(path), 0)
for path in glob.glob(os.path.join(src, "examples/inventory/*.yml")) + [os.path.join(src, "examples/demo/landing_zones.yml")]:
    if os.path.exists(path):
        put("fuzz_config", read(path), 1)



def yaml_blocks(doc):
    """The ```yaml blocks of a document in docs/ (configs and fleets as the documentation shows them)."""
    try:
        text = read(os.path.join(src, "docs", doc)).decode("utf-8", "replace")
    except OSError:
        return []
    return [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]


# examples/ has one config and one inventory: the documented snippets add the rest of the keys.
for doc in ["configuration.md", "safety.md", "notifications.md", "credentials.md", "reports.md", "state-store.md"]:
    for block in yaml_blocks(doc):
        put("fuzz_config", block, 0 if "landing_zones:" not in block or "version:" in block else 1)

# Emulator fleets: the demo fleet and the e2e tests' fleets.
for path in glob.glob(os.path.join(src, "examples/demo/fleet.yml")):
    put("fuzz_fleet", read(path))
for path in glob.glob(os.path.join(src, "tests/testdata/*fleet*.yml")):
    put("fuzz_fleet", read(path))

# Precheck output: the real script's output on this machine, and the documented line.
script = os.path.join(src, "src/workflow/scripts/precheck.sh")
try:
    live = subprocess.run(["bash", script], env={"PATH": "/usr/bin:/bin", "FP_SERVICES": "sshd cron"},
                          capture_output=True, timeout=20).stdout
    if live:
        put("fuzz_precheck", live)
except (OSError, subprocess.SubprocessError):
    pass
put("fuzz_precheck", 'FLEETPATCH_PRECHECK_V1 {"disks":[{"mount":"/","size_kb":20971520,"avail_kb":10485760}],'
    '"cpus":2,"load1":0.2,"mem_total_kb":4000000,"mem_available_kb":3000000,'
    '"services":{"sshd":"active","W32Time":"failed"},"reboot_required":false,"pkg_lock":false}\n')

# Endpoints (0 URL, 1 host, 2 region, 3 ARN/names).
for path in glob.glob(os.path.join(testdata, "endpoints/*-endpoint-tests-1.json")):
    for case in json.load(open(path)).get("testCases", [])[:40]:
        params = case.get("params", {})
        if "Endpoint" in params:
            put("fuzz_endpoint_arn", params["Endpoint"], 0)
        if "Region" in params:
            put("fuzz_endpoint_arn", params["Region"], 2)
        url = case.get("expect", {}).get("endpoint", {}).get("url")
        if url:
            put("fuzz_endpoint_arn", url, 0)
for host in ["127.0.0.1:4566", "localhost", "[::1]:8080", "10.0.0.1"]:
    put("fuzz_endpoint_arn", host, 1)
for path in glob.glob(os.path.join(src, "examples/*/*.yml")):
    for line in read(path).decode("utf-8", "replace").splitlines():
        if "arn:aws" in line:
            put("fuzz_endpoint_arn", line.split(":", 1)[1].strip().strip("\"'"), 3)

# SigV4: the aws4 test suite's requests, raw and as signed.
for path in glob.glob(os.path.join(testdata, "sigv4/*/*.req")) + glob.glob(os.path.join(testdata, "sigv4/*/*.sreq")) + \
        glob.glob(os.path.join(testdata, "sigv4-crt/v4/*/request.txt")) + \
        glob.glob(os.path.join(testdata, "sigv4-crt/v4/*/header-signed-request.txt")):
    put("fuzz_sigv4", read(path))
