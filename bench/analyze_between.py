#!/usr/bin/env python3
"""Turns one `bench/run.sh --command compliance|prune` working directory into the figures of
bench/README.md's "Between runs (issue 12)" (Markdown on stdout).

Inputs (written by bench/run.sh): requests.json (fp_bench_workflow's request log summary: calls per
operation and per zone, each operation's rate-limit bucket and limit, the fleet's counts per zone
at start), summary-<command>.json (fleetpatch's --output json: the report), time-<command>.txt
(GNU time -v), wall.json, rss.tsv.

The call floor, per zone (m: its SSM-managed instances; i: its fleetpatch-tagged images; d: the
images the report deleted; s: their snapshots; n: the zone's instances):
  compliance  AssumeRole 1, DescribeInstanceInformation max(1, ceil(m/50)) (its largest page),
              DescribeInstancePatchStates ceil(m/50) (50 ids a call); over the fleet the second is
              also compared with the issue's ceil(N/50)
  prune       AssumeRole 1, DescribeImages max(1, ceil(i/1000)), DescribeSnapshots ceil(s/200)
              (the ownership check of the snapshots to delete, 200 ids a call), DeregisterImage d,
              DeleteSnapshot s
  anything else 0

The time floor (a lower bound on the wall time no client can beat against this emulator):
  - rate: every bucket is a token bucket per (caller account, region) that starts full, so the
    zone's k-th call of bucket b cannot be answered before max(0, k - burst_b) / rate_b seconds.
    A zone's rate floor is max over b of max(0, calls_zb - burst_b) / rate_b (AssumeRole's bucket
    is the base account's in the zone's region, shared by the zones of a region: counted per key).
  - latency: each call takes at least the emulator's added latency L; the calls that must follow
    each other (AssumeRole, then each page of a paginated listing, which needs the previous page's
    token, then at least one more round for what depends on the listing) take
    L * (1 + pages + 1) in a zone.
  - a zone's floor T_z is the larger of the two; the zones run on W = concurrency.zone_workers
    workers, so the run's floor is the largest of: max T_z, sum T_z / W, and the sum of the
    ceil(Z/W) smallest T_z (some worker works at least ceil(Z/W) zones). For Z equal zones that is
    ceil(Z/W) * T.
The "sustained" figure divides the calls by the rate alone (no burst), as if every bucket started
empty: the floor of a zone that has used its burst already.
"""
import argparse
import glob
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from analyze import cpu_model, parse_time  # noqa: E402  (one parser of GNU time's output)


def ceil_div(a, b):
    return (a + b - 1) // b


def floors(command, fleet, report_rows):
    """{zone key: {operation: minimum calls}} for the zones of the fleet."""
    out = {}
    deleted = {}
    if command == "prune":
        for r in report_rows:
            if r["action"] in ("deleted", "already_gone", "failed", "delete"):
                z = deleted.setdefault(r["account_id"], [0, 0])
                z[0] += 1
                z[1] += len(r["snapshots"].split()) if r["snapshots"] else 0
    for key, f in fleet.items():
        account = key.split("|")[0]
        if command == "compliance":
            m = f.get("ssm_managed", 0)
            out[key] = {"AssumeRole": 1, "DescribeInstanceInformation": max(1, ceil_div(m, 50)),
                        "DescribeInstancePatchStates": ceil_div(m, 50)}
        else:
            d, s = deleted.get(account, [0, 0])
            out[key] = {"AssumeRole": 1, "DescribeImages": max(1, ceil_div(f.get("images", 0), 1000)),
                        "DescribeSnapshots": ceil_div(s, 200), "DeregisterImage": d, "DeleteSnapshot": s}
    return out


def time_floor(req, latency_s, command, fleet):
    limits = req.get("rate_limits", {})
    by_key = req["by_zone"]
    # Rate floor per bucket key (account|region|bucket): shared buckets (STS of the base account) too.
    rate_z, sustained_z = {}, {}
    for key, ops in by_key.items():
        per_bucket = {}
        for op, n in ops.items():
            if op in limits:
                bucket, burst, rate = limits[op]
                per_bucket.setdefault(bucket, [0, burst, rate])[0] += n
        rate_z[key] = max([max(0.0, n - burst) / rate for n, burst, rate in per_bucket.values()] or [0.0])
        sustained_z[key] = max([n / rate for n, _, rate in per_bucket.values()] or [0.0])
    page_op = "DescribeInstanceInformation" if command == "compliance" else "DescribeImages"
    zones = []
    for key in fleet:
        pages = max(1, by_key.get(key, {}).get(page_op, 1))
        chain = latency_s * (1 + pages + 1)
        zones.append((max(rate_z.get(key, 0.0), chain), rate_z.get(key, 0.0), sustained_z.get(key, 0.0), chain))
    shared = max([v for k, v in rate_z.items() if k not in fleet] or [0.0])  # e.g. STS of the base account
    return zones, shared


def run_floor(ts, workers):
    if not ts:
        return 0.0
    ts = sorted(ts)
    per_worker = math.ceil(len(ts) / workers)
    return max(ts[-1], sum(ts) / workers, sum(ts[:per_worker]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--command", required=True, choices=["compliance", "prune"])
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--zone-workers", type=int, required=True)
    ap.add_argument("--load", default="?")
    a = ap.parse_args()
    w = a.work
    req = json.load(open(os.path.join(w, "requests.json")))
    wall = json.load(open(os.path.join(w, "wall.json")))
    summary = json.load(open(os.path.join(w, "summary-%s.json" % a.command)))
    t = parse_time(os.path.join(w, "time-%s.txt" % a.command))
    fleet = req["fleet"]
    rows = summary["rows"]
    mins = floors(a.command, fleet, rows)
    total_min = {}
    for z in mins.values():
        for op, n in z.items():
            total_min[op] = total_min.get(op, 0) + n
    calls = req["calls"]
    wall_s = wall["wall_ms"] / 1000.0
    zones, shared = time_floor(req, a.latency_ms / 1000.0, a.command, fleet)
    floor_rate = max(run_floor([z[1] for z in zones], a.zone_workers), shared)
    floor_sustained = run_floor([z[2] for z in zones], a.zone_workers)
    floor_latency = run_floor([z[3] for z in zones], a.zone_workers)
    floor = max(run_floor([z[0] for z in zones], a.zone_workers), shared)
    n_inst = sum(f.get("instances", 0) for f in fleet.values())
    n_img = sum(f.get("images", 0) for f in fleet.values())

    out = []
    p = out.append
    p("## `fleetpatch %s`: %d instances, %d images, %d zones, zone_workers %d, latency %g ms"
      % (a.command, n_inst, n_img, len(fleet), a.zone_workers, a.latency_ms))
    p("")
    p("- machine: %s; %d CPUs; load average at the end (1/5/15 min): %s" % (cpu_model(), os.cpu_count(), a.load))
    facts = summary.get("facts", {})
    p("- fleetpatch exit code %s; report facts: %s" % (wall["exit_code"], ", ".join(
        "%s %s" % (k, v) for k, v in facts.items() if not str(k).startswith("zone_error"))))
    p("- wall time of fleetpatch: **%.1f s** (GNU time: %s); CPU %.1f s user + %.1f s system (%s of one CPU)"
      % (wall_s, t["elapsed"], t["user_s"], t["sys_s"], t["cpu_percent"]))
    p("- fleetpatch peak RSS: **%.1f MiB**" % t["rss_mib"])
    p("- API calls: **%d**, throttled **%d**" % (req["total_calls"], req["total_throttled"]))
    p("- time floor: **%.2f s** (rate %.2f s, latency chain %.2f s; the rate alone without bursts: %.2f s);"
      " wall time / floor: **%.2fx**" % (floor, floor_rate, floor_latency, floor_sustained, wall_s / floor if floor else 0))
    p("")
    p("| operation | calls | throttled | floor | over the floor | bucket (burst / per s) |")
    p("|---|---:|---:|---:|---:|---|")
    limits = req.get("rate_limits", {})
    for op in sorted(set(calls) | set(total_min)):
        n, mn = calls.get(op, 0), total_min.get(op, 0)
        over = ("%+.1f%%" % (100.0 * (n - mn) / mn)) if mn else ("+%d calls" % n if n else "0")
        lim = limits.get(op)
        p("| %s | %d | %d | %d | %s | %s |" % (op, n, req["throttled"].get(op, 0), mn, over,
                                              "%s %g / %g" % tuple(lim) if lim else ""))
    tc, tm = sum(calls.values()), sum(total_min.values())
    p("| **all** | **%d** | **%d** | **%d** | **%+.1f%%** | |" % (tc, req["total_throttled"], tm, 100.0 * (tc - tm) / max(tm, 1)))
    p("")
    if a.command == "compliance":
        m = sum(f.get("ssm_managed", 0) for f in fleet.values())
        p("DescribeInstancePatchStates against the issue's ceil(N/50) with N = %d managed instances: %d calls, ceil(N/50) = %d."
          % (m, calls.get("DescribeInstancePatchStates", 0), ceil_div(m, 50)))
        p("")
    busiest = max(((k, v) for k, v in req["by_zone"].items() if k in fleet), key=lambda kv: sum(kv[1].values()))
    p("Busiest zone (account|region): %s with %s." % (busiest[0], ", ".join("%s %d" % kv for kv in sorted(busiest[1].items()))))
    p("")
    rss_path = os.path.join(w, "rss.tsv")
    if os.path.exists(rss_path):
        samples = [tuple(map(int, l.split())) for l in open(rss_path) if len(l.split()) == 2]
        if samples:
            peak = max(samples, key=lambda x: x[1])
            p("Resident memory sampled every 0.5 s: peak %.1f MiB at %.1f s of %.1f s." %
              (peak[1] / 1024.0, peak[0] / 1000.0, samples[-1][0] / 1000.0))
            p("")
    tl = sorted(req.get("timeline", []), key=lambda e: e[0])
    if tl:
        spans = {}
        for t_s, op, _ in tl:
            spans.setdefault(op, [t_s, t_s])[1] = t_s
        p("Request timeline (s since the emulator started): " + "; ".join(
            "%s %.1f-%.1f" % (op, v[0], v[1]) for op, v in sorted(spans.items(), key=lambda kv: kv[1][0])))
    print("\n".join(out))


if __name__ == "__main__":
    main()
