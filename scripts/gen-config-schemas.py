#!/usr/bin/env python3
"""Writes schemas/config.schema.json and schemas/landing_zones.schema.json.

The loader in src/config/loader.cc is the authority; these schemas mirror it for editors (YAML
language servers) and for the test that checks the example files. Run after changing either:
    python3 scripts/gen-config-schemas.py
"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
DRAFT = "https://json-schema.org/draft/2020-12/schema"

ENV_REF = r"\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}"


def obj(props, required=(), desc=None):
    o = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        o["required"] = list(required)
    if desc:
        o["description"] = desc
    return o


def s(desc, default=None, **kw):
    o = {"type": "string", "description": desc}
    if default is not None:
        o["default"] = default
    o.update(kw)
    return o


def b(desc, default):
    return {"type": "boolean", "description": desc, "default": default}


def i(desc, default, lo, hi):
    return {"type": "integer", "description": desc, "default": default, "minimum": lo, "maximum": hi}


def n(desc, default, lo, hi):
    return {"type": "number", "description": desc, "default": default, "minimum": lo, "maximum": hi}


def duration(desc, default, lo, hi):
    return {
        "description": f"{desc} Seconds ({lo}-{hi}) or a duration such as \"30m\" or \"1h30m\".",
        "default": default,
        "oneOf": [
            {"type": "integer", "minimum": lo, "maximum": hi},
            {"type": "string", "pattern": r"^([0-9]+h)?([0-9]+m)?([0-9]+s)?$|^[0-9]+$", "minLength": 1},
        ],
    }


def count_or_percent(desc, default, max_count):
    return {
        "description": f"{desc} A count (0-{max_count}) or a percentage such as \"10%\".",
        "default": default,
        "oneOf": [
            {"type": "integer", "minimum": 0, "maximum": max_count},
            {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?\s*%$|^[0-9]+$"},
        ],
    }


TAG_MATCH = {
    "type": "object",
    "description": "Tag key -> a value or a list of values (any of them matches).",
    "additionalProperties": {
        "oneOf": [
            {"type": ["string", "number", "boolean"]},
            {"type": "array", "minItems": 1, "items": {"type": ["string", "number", "boolean"]}},
        ]
    },
}

FILTERS = obj(
    {
        "tags": dict(TAG_MATCH, description="Instances must match every key (server-side DescribeInstances filters)."),
        "exclude_tags": dict(TAG_MATCH, description="An instance matching any key is excluded (ineligible)."),
    }
)

ROLE_NAME = s("Role name to assume in the zone's account.", pattern=r"^[A-Za-z0-9+=,.@_-]{1,64}$|" + ENV_REF)
SESSION = s("RoleSessionName.", "fleetpatch", pattern=r"^[A-Za-z0-9+=,.@_-]{2,64}$|" + ENV_REF)
EXTERNAL_ID = s("ExternalId for AssumeRole (treated as a secret in output).", "")
ENDPOINT = s("Endpoint URL override for all services of the zone (e.g. an emulator).", "",
             pattern=r"^$|^https?://|" + ENV_REF)

DEFAULTS = obj(
    {
        "role_name": dict(ROLE_NAME, default="FleetPatchRole"),
        "external_id": EXTERNAL_ID,
        "session_name": SESSION,
        "endpoint_url": ENDPOINT,
        "filters": FILTERS,
    },
    desc="Inherited by every zone that does not set the field.",
)

ZONE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "account_id", "region"],
    "properties": {
        "name": s("Unique zone name.", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$|" + ENV_REF),
        "account_id": {
            "description": "12-digit AWS account id; quote it (an unquoted number must read back unchanged).",
            "oneOf": [
                {"type": "string", "pattern": r"^[0-9]{12}$|" + ENV_REF},
                {"type": "integer", "minimum": 100000000000, "maximum": 999999999999},
            ],
        },
        "region": s("AWS region, e.g. us-east-1.", pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$|" + ENV_REF),
        "role_arn": s("Role to assume; its account must be account_id.",
                      pattern=r"^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}$|" + ENV_REF),
        "role_name": ROLE_NAME,
        "external_id": EXTERNAL_ID,
        "session_name": SESSION,
        "endpoint_url": ENDPOINT,
        "enabled": b("Disabled zones are kept but never entered.", True),
        "filters": FILTERS,
    },
    "not": {"required": ["role_arn", "role_name"]},
}

ZONE_LIST = {"type": "array", "items": {"$ref": "#/$defs/landing_zone"}}

INVENTORY = {
    "$schema": DRAFT,
    "$id": "https://fleetpatch.dev/schemas/landing_zones.schema.json",
    "title": "fleetpatch landing-zone inventory",
    "description": "A mapping {version, defaults, landing_zones} or a bare list of zones. See docs/configuration.md.",
    "$defs": {"landing_zone": ZONE},
    "oneOf": [
        obj({"version": {"const": 1}, "defaults": DEFAULTS, "landing_zones": ZONE_LIST}, required=["landing_zones"]),
        ZONE_LIST,
    ],
}

RATE = obj({"per_second": n("Sustained requests per second.", None, 0.01, 10000),
             "burst": n("Bucket size.", None, 1, 10000)})
for k in ("per_second", "burst"):
    RATE["properties"][k].pop("default")

SERVICES = {"type": "array", "items": {"type": "string", "pattern": r"^[A-Za-z0-9@._:+-]{1,128}$"}}

EVENT_NAMES = ["run_finished", "rollout_halted", "rollback_done", "instances_in_standby"]
EVENTS = {"description": "Events to send; default: all.", "oneOf": [
    {"type": "array", "items": {"enum": EVENT_NAMES}}, {"enum": EVENT_NAMES}]}

CONFIG = {
    "$schema": DRAFT,
    "$id": "https://fleetpatch.dev/schemas/config.schema.json",
    "title": "fleetpatch workflow configuration",
    "description": "Every key is optional; defaults are documented in docs/configuration.md.",
    "$defs": {"landing_zone": ZONE},
    **obj({
        "version": {"const": 1},
        "workflow": obj({
            "phases": obj({
                "scan": b("Run the scan phase in a full run.", True),
                "backup": b("Run the backup phase in a full run (false turns backups off).", True),
                "precheck": b("Run the precheck phase in a full run.", True),
                "patch": b("Run the patch phase in a full run.", True),
            }),
            "timeouts": obj({
                "ami_creation": duration("Per AMI, from CreateImage to available.", 1800, 60, 86400),
                "patch_execution": duration("Per patch command invocation.", 3600, 60, 172800),
                "ssm_connection": duration("Waiting for the SSM agent to be Online.", 300, 10, 3600),
                "precheck_command": duration("For the precheck script to finish.", 600, 30, 3600),
            }),
        }),
        "landing_zones": {
            "description": "Path (relative to this file) to an inventory file, or an inline list of zones.",
            "oneOf": [{"type": "string"}, ZONE_LIST],
        },
        "landing_zone_defaults": DEFAULTS,
        "concurrency": obj({
            "zone_workers": i("Landing zones worked on at once.", 4, 1, 64),
            "max_requests_per_zone": i("AWS requests in flight per zone.", 8, 1, 100),
            "max_pending_images_per_zone": i("AMIs being created at once per zone.", 50, 1, 1000),
            "max_commands_per_zone": i("SSM command invocations in flight per zone.", 200, 1, 10000),
        }),
        "error_budget": count_or_percent("Failed instances after which no new patch wave starts.", "10%", 1000000),
        "precheck": obj({
            "min_free_disk_percent": n("Free space required on every checked mount (%).", 10, 0, 100),
            "min_free_disk_gib": n("Free space required on every checked mount (GiB).", 1, 0, 65536),
            "mounts": {"type": "array", "description": "Mounts to check; empty = all.", "default": [],
                       "items": {"type": "string"}},
            "max_load_per_cpu": n("Highest 1-minute load average per CPU.", 2.0, 0.01, 1000),
            "min_free_memory_percent": n("Memory available (% of total).", 5, 0, 100),
            "min_free_memory_mib": n("Memory available (MiB).", 128, 0, 1048576),
            "critical_services": obj({
                "linux": dict(SERVICES, description="Services that must be running on Linux.", default=["sshd"]),
                "windows": dict(SERVICES, description="Services that must be running on Windows.",
                                default=["W32Time", "WinRM"]),
            }),
            "fail_on_pending_reboot": b("Treat an already pending reboot as not ready.", False),
            "fail_on_package_lock": b("Treat a locked package manager as not ready.", True),
            "min_ssm_agent_version": s("Older SSM agents are listed as a risk.", "3.0.0",
                                       pattern=r"^[0-9]+(\.[0-9]+){0,3}$"),
        }),
        "patch": obj({
            "document": s("SSM document.", "AWS-RunPatchBaseline", pattern=r"^[A-Za-z0-9_.:/-]{3,256}$"),
            "operation": {"description": "AWS-RunPatchBaseline Operation (the loader also accepts other cases).",
                          "default": "Install", "enum": ["Install", "Scan"]},
            "reboot_option": {"description": "AWS-RunPatchBaseline RebootOption (the loader also accepts other cases).",
                              "default": "RebootIfNeeded", "enum": ["RebootIfNeeded", "NoReboot"]},
            "baseline_override": s("s3:// or https:// URL of a baseline override JSON.", "",
                                   pattern=r"^$|^s3://|^https://|" + ENV_REF),
            "canary_size": i("Instances in the first wave (0 = no canary).", 1, 0, 1000),
            "max_concurrency": i("Instances per later wave.", 50, 1, 1000),
            "max_errors": count_or_percent("SSM MaxErrors per command.", "0", 10000),
            "require_confirmation": b("Ask on a terminal before patching (--yes skips).", True),
        }),
        "backup": obj({
            "required": b("Patch only instances whose AMI is available.", True),
            "no_reboot": b("CreateImage NoReboot.", True),
            "name_template": s("AMI name; placeholders {run_id} {instance_id} {date} {zone}; must contain "
                               "{run_id} and {instance_id}.", "fleetpatch-{instance_id}-{date}-{run_id}"),
            "tags": {"type": "object", "description": "Extra tags on the AMI and its snapshots.", "default": {},
                     "propertyNames": {"maxLength": 128, "not": {"pattern": "^aws:"}},
                     "additionalProperties": {"type": ["string", "number", "boolean"]}},
            "retention_days": i("Days until the delete-after tag's date.", 30, 1, 3650),
            "keep_failed": b("Keep an AMI that failed or timed out instead of deregistering it.", False),
        }),
        "reporting": obj({
            "output_dir": s("Where reports are written.", "reports", minLength=1),
            "formats": {
                "description": "Report formats.", "default": ["csv", "json", "html", "xml"],
                "oneOf": [
                    {"type": "array", "items": {"enum": ["csv", "json", "html", "xml"]}},
                    {"type": "string", "pattern": r"^\s*(csv|json|html|xml)(\s*,\s*(csv|json|html|xml))*\s*$"},
                ],
            },
        }),
        "state": obj({"path": s("The run state database.", ".fleetpatch/state.db", minLength=1)}),
        "aws": obj({
            "profile": s("AWS profile; \"\" = AWS_PROFILE or the default chain.", ""),
            "region": s("Base region for STS and whoami.", "", pattern=r"^$|^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$|" + ENV_REF),
            "max_attempts": i("Attempts per AWS call (standard retry mode).", 3, 1, 20),
            "role_session_duration": duration("AssumeRole DurationSeconds.", 3600, 900, 43200),
            "rate_limits": obj({k: RATE for k in ("ec2_non_mutating", "ec2_mutating", "ec2_create_tags",
                                                  "ssm_read", "ssm_write", "sts")}),
        }),
        "dry_run": b("Scan for real, then only show what later phases would do.", False),
        "notifications": obj({
            "webhooks": {"type": "array", "description": "HTTPS webhooks (Slack, Teams, Google Chat, ...).",
                         "items": obj({
                             "url": s("https:// URL; may be ${VAR} (chat webhook URLs are secrets).", None,
                                      pattern=r"^https://|^" + ENV_REF),
                             "secret_env": s("Environment variable holding the HMAC-SHA256 secret.", None,
                                             pattern=r"^[A-Za-z_][A-Za-z0-9_]*$"),
                             "events": EVENTS,
                         }, required=["url"])},
            "sns": {"type": "array", "description": "SNS topics to publish to.",
                    "items": obj({
                        "topic_arn": s("arn:aws:sns:<region>:<account>:<topic>", None,
                                       pattern=r"^arn:[a-z-]+:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+$|^" + ENV_REF),
                        "events": EVENTS,
                    }, required=["topic_arn"])},
            "attempts": i("Attempts per notification and channel.", 3, 1, 10),
            "backoff": duration("Delay before the 2nd attempt, doubled after each.", 2, 0, 300),
            "timeout": duration("Per HTTP attempt.", 10, 1, 300),
        }),
    }),
}
CONFIG["type"] = "object"

for name, schema in (("config.schema.json", CONFIG), ("landing_zones.schema.json", INVENTORY)):
    (ROOT / "schemas" / name).write_text(json.dumps(schema, indent=2) + "\n")
    print("wrote schemas/" + name)
