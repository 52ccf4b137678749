#!/usr/bin/env python3
"""Trims botocore service models to what fleetpatch calls, for embedding into the binary.

Reads ../shared/testdata/aws/models/<svc>-service-2.json (or --models-dir) and writes
src/aws/models/<svc>.json holding only the operations listed below and every shape they reach
(input, output and error shapes, transitively), without documentation. Member order is kept: the
Query protocols serialise members in model order. Re-run when the list changes; the output is
committed so the build never needs the shared test data.
"""
import argparse
import json
import os
import sys

OPERATIONS = {
    "sts": ["AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity"],
    "ec2": ["DescribeInstances", "DescribeInstanceStatus", "CreateImage", "DescribeImages", "CreateTags",
            "DeregisterImage", "DescribeSnapshots", "DeleteSnapshot", "CreateReplaceRootVolumeTask",
            "DescribeReplaceRootVolumeTasks"],
    "ssm": ["DescribeInstanceInformation", "SendCommand", "ListCommandInvocations", "GetCommandInvocation",
            "CancelCommand", "DescribeInstancePatchStates"],
    "autoscaling": ["DescribeAutoScalingInstances", "EnterStandby", "ExitStandby", "SuspendProcesses",
                    "ResumeProcesses"],
    "sns": ["Publish"],
}

METADATA_KEYS = ["apiVersion", "endpointPrefix", "globalEndpoint", "jsonVersion", "protocol", "protocols",
                 "serviceAbbreviation", "serviceFullName", "serviceId", "signatureVersion", "signingName",
                 "targetPrefix", "uid", "xmlNamespace"]
OPERATION_KEYS = ["name", "http", "input", "output", "errors", "endpoint", "idempotent", "authtype"]
DROP_KEYS = {"documentation", "deprecatedMessage", "deprecatedSince", "documentationUrl"}


def strip_docs(value):
    if isinstance(value, dict):
        return {k: strip_docs(v) for k, v in value.items() if k not in DROP_KEYS}
    if isinstance(value, list):
        return [strip_docs(v) for v in value]
    return value


def referenced_shapes(shape):
    refs = [m["shape"] for m in shape.get("members", {}).values()]
    for key in ("member", "key", "value"):
        if key in shape:
            refs.append(shape[key]["shape"])
    return refs


def trim(model, operations):
    missing = [op for op in operations if op not in model["operations"]]
    if missing:
        raise SystemExit("operations not in the model: " + ", ".join(missing))
    out_ops = {}
    todo = []
    for name in operations:
        op = model["operations"][name]
        out_ops[name] = strip_docs({k: op[k] for k in OPERATION_KEYS if k in op})
        for key in ("input", "output"):
            if key in op:
                todo.append(op[key]["shape"])
        todo.extend(e["shape"] for e in op.get("errors", []))
    seen = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(referenced_shapes(model["shapes"][name]))
    # Keep the model's shape order so diffs stay readable.
    shapes = {name: strip_docs(shape) for name, shape in model["shapes"].items() if name in seen}
    metadata = {k: model["metadata"][k] for k in METADATA_KEYS if k in model["metadata"]}
    return {"version": model.get("version", "2.0"), "metadata": metadata, "operations": out_ops, "shapes": shapes}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", default=os.path.join(root, "..", "shared", "testdata", "aws", "models"))
    parser.add_argument("--out-dir", default=os.path.join(root, "src", "aws", "models"))
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for service, operations in OPERATIONS.items():
        with open(os.path.join(args.models_dir, service + "-service-2.json"), encoding="utf-8") as f:
            model = json.load(f)
        trimmed = trim(model, operations)
        path = os.path.join(args.out_dir, service + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(trimmed, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("%s: %d operations, %d shapes -> %s (%d bytes)" % (
            service, len(trimmed["operations"]), len(trimmed["shapes"]), os.path.relpath(path, root),
            os.path.getsize(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
