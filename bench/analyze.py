#!/usr/bin/env python3
"""Turns one bench/run.sh working directory into the figures of bench/README.md (Markdown on stdout).

Inputs (all written by bench/run.sh): requests.json (the emulator's request log, summarised by
fp_bench_workflow), reports/**/*.json (fleetpatch's JSON report: every instance with its zone,
platform, backup, precheck and patch, including the wave), fleet.yml (the simulated durations),
time-*.txt (GNU time -v of each fleetpatch process: one run, or a scan and its workers), wall.json.

The minimum number of calls is what the page sizes allow for the work fleetpatch actually did
(the instances it found, backed up, prechecked and patched, in the waves the config asks for):
  AssumeRole                  1 per zone
  DescribeInstances           ceil(n/1000) per zone (n: instances the zone's scan returns)
  DescribeInstanceInformation ceil(m/50) per zone each time it is needed: at scan (m: the zone's
                              running instances) and at precheck (m: the instances prechecked)
  CreateImage                 1 per instance backed up
  DescribeImages              1 per zone: a single poll after every AMI of the zone is done
  SendCommand                 ceil(k/50) per zone and platform for the precheck (a shell script
                              and a PowerShell script), and per zone and wave for the patch
                              (AWS-RunPatchBaseline serves both platforms)
  ListCommandInvocations      1 per command: a single poll (one page of 50) after it completed
  DescribeInstancePatchStates ceil(k/50) per zone and wave (k: the runs that ended Success)
  reboot wait                 per zone and wave with r instances whose Install succeeded on an instance
                              that needs a reboot (RebootIfNeeded, the fleet's reboot_required):
                              DescribeInstanceStatus ceil(r/100) and DescribeInstanceInformation
                              ceil(r/50), one check after they are back (the ids as a filter)
  DeregisterImage             1 per AMI that failed (the design's cleanup)
  DeleteSnapshot              1 per snapshot of those AMIs
  DescribeSnapshots           ceil(f/200) per zone with f failed AMIs (their snapshots found by one
                              tag filter with up to 200 backup names)
  postcheck (when it is on)   per zone and wave with c instances checked after their patch, s of them
                              sent the script (s_p per platform): DescribeInstanceInformation
                              ceil(c/50) (their agents) + ceil(s/50) (the verdicts), SendCommand and
                              ListCommandInvocations ceil(s_p/50) per platform, DescribeInstanceStatus
                              ceil(s/100)
  anything else               0
The two polled operations can only reach their minimum if every poll lands just after completion;
the table also shows them per poll round so that the polling cost is visible on its own.
"""
import argparse
import collections
import datetime
import glob
import json
import math
import os
import re
import sys

import yaml


def ceil_div(a, b):
    return (a + b - 1) // b


def load_report(work):
    candidates = [p for p in glob.glob(os.path.join(work, "reports", "**", "*.json"), recursive=True)]
    for path in sorted(candidates, key=os.path.getsize, reverse=True):
        with open(path) as f:
            try:
                data = json.load(f)
            except ValueError:
                continue
        if isinstance(data, dict) and "instances" in data and "zones" in data:
            return path, data
    sys.exit("analyze.py: no JSON report under %s/reports" % work)


def parse_time(path):
    out = {}
    with open(path) as f:
        for line in f:
            if ":" not in line:
                continue
            key, _, value = line.strip().rpartition(": ")
            out[key.strip()] = value.strip()
    rss_kib = int(out.get("Maximum resident set size (kbytes)", "0"))
    return {
        "rss_mib": rss_kib / 1024.0,
        "user_s": float(out.get("User time (seconds)", "0")),
        "sys_s": float(out.get("System time (seconds)", "0")),
        "elapsed": out.get("Elapsed (wall clock) time (h:mm:ss or m:ss)", "?"),
        "cpu_percent": out.get("Percent of CPU this job got", "?"),
    }


def reboot_waits(members, spec):
    """The instances of one zone's wave whose patch waited for a reboot (RebootIfNeeded)."""
    return sum(1 for i in members if i["patch"]["status"] in ("success", "partial_success")
               and spec.get(i["instance_id"], {}).get("patch", {}).get("reboot_required"))


def postchecked(members):
    """The instances of one zone's wave that were checked again after their patch (postcheck on)."""
    return [i for i in members if i.get("postcheck") and i["postcheck"].get("status") not in (None, "", "skipped")]


def postcheck_minimums(members, m):
    checked = postchecked(members)
    sent = [i for i in checked if i["postcheck"].get("command_id")]
    m["DescribeInstanceInformation"] += ceil_div(len(checked), 50) + ceil_div(len(sent), 50)
    for plat in ("linux", "windows"):
        m["SendCommand:postcheck"] += ceil_div(sum(1 for i in sent if i["platform"] == plat), 50)
    m["DescribeInstanceStatus"] += ceil_div(len(sent), 100)


def minimums(report, fleet):
    spec = {i["id"]: i for i in fleet["instances"]}
    inst = report["instances"]
    by_zone = collections.defaultdict(list)
    for i in inst:
        by_zone[i["zone"]].append(i)
    zones = [z["name"] for z in report["zones"]]
    m = collections.Counter()
    detail = collections.defaultdict(dict)
    polls = collections.Counter()  # calls for one poll round of everything that was waited on
    for z in zones:
        xs = by_zone.get(z, [])
        m["AssumeRole"] += 1
        m["DescribeInstances"] += max(1, ceil_div(len(xs), 1000))
        running = [i for i in xs if i["state"] == "running"]
        m["DescribeInstanceInformation"] += max(1, ceil_div(len(running), 50))
        backed = [i for i in xs if i["backup"] and i["backup"]["ami_id"]]
        m["CreateImage"] += len(backed)
        if backed:
            m["DescribeImages"] += 1
            polls["DescribeImages"] += ceil_div(len(backed), 200)
        failed_amis = [i for i in backed if i["backup"]["status"] in ("failed", "timed_out")]
        m["DeregisterImage"] += len(failed_amis)
        m["DeleteSnapshot"] += sum(len(i["backup"]["snapshot_ids"]) for i in failed_amis)
        # One call for the zone's failed AMIs at the end of its backup (200 backup names per filter).
        m["DescribeSnapshots"] += ceil_div(len(failed_amis), 200)
        pre = [i for i in xs if i["precheck"] and i["precheck"]["status"] not in ("skipped",)]
        if pre:
            m["DescribeInstanceInformation"] += ceil_div(len(pre), 50)
        sent = [i for i in pre if i["precheck"]["command_id"]]
        for plat in ("linux", "windows"):
            k = sum(1 for i in sent if i["platform"] == plat)
            m["SendCommand:precheck"] += ceil_div(k, 50)
        waves = collections.defaultdict(list)
        for i in xs:
            p = i["patch"]
            if p and p["command_id"]:
                waves[p["wave"]].append(i)
        for w, members in waves.items():
            # AWS-RunPatchBaseline is one document for Linux and Windows: no split by platform.
            m["SendCommand:patch"] += ceil_div(len(members), 50)
            # Only runs that ended Success are verified with DescribeInstancePatchStates.
            verified = sum(1 for i in members if i["patch"]["command_status"] == "Success")
            m["DescribeInstancePatchStates"] += ceil_div(verified, 50)
            rebooted = reboot_waits(members, spec)
            m["DescribeInstanceStatus"] += ceil_div(rebooted, 100)
            m["DescribeInstanceInformation"] += ceil_div(rebooted, 50)
            postcheck_minimums(members, m)
        detail[z] = {"instances": len(xs), "backed_up": len(backed), "prechecked": len(sent),
                     "patched": sum(len(v) for v in waves.values()), "waves": len(waves)}
    m["SendCommand"] = m.pop("SendCommand:precheck") + m.pop("SendCommand:patch") + m.pop("SendCommand:postcheck")
    m["ListCommandInvocations"] = m["SendCommand"]
    polls["ListCommandInvocations"] = m["SendCommand"]
    return m, polls, detail


def postcheck_s(inst, spec, ssm_wait_s, delivery_s):
    """Simulated seconds of one instance's postcheck: the script after its delivery, or, when its agent
    is not back (lost while patching, or never back from the reboot), fleetpatch's wait for it
    (workflow.timeouts.ssm_connection, real seconds in the config, here simulated)."""
    s = spec[inst["instance_id"]]
    if s["patch"].get("outcome") == "agent_lost" or s.get("reboot", {}).get("never_returns"):
        return ssm_wait_s
    return delivery_s + s.get("command_duration_s", 3.0)


def ready_times(xs, spec, time_scale, precheck_s):
    """Real seconds from the start until each backed-up instance can qualify at the earliest: its
    zone's CreateImage calls in the report's order (burst 50, then 5 per second), its AMI's
    simulated duration, and the precheck."""
    out, position = {}, collections.Counter()
    for i in xs:
        if not (i["backup"] and i["backup"]["ami_id"]):
            continue
        k = position[i["zone"]]
        position[i["zone"]] += 1
        ami = max(0, k + 1 - 50) / 5.0 + spec[i["instance_id"]]["ami"]["duration_s"] / time_scale
        out[i["instance_id"]] = max(ami, precheck_s)
    return out


def critical_path(report, fleet, time_scale, delivery_s=2.0, patch_timeout_s=7200.0, ssm_wait_s=14400.0):
    """The simulated time the run cannot go faster than, in real seconds at this time scale.

    Phases run one after the other and each ends with its slowest zone; patch waves are run-wide and
    each ends with its slowest instance (a hanging run at its timeout; a run that reboots when its
    instance's status checks are ok again; with the postcheck on, when its postcheck ended)."""
    spec = {i["id"]: i for i in fleet["instances"]}
    xs = report["instances"]
    backed = [i for i in xs if i["backup"] and i["backup"]["ami_id"]]
    backup = max((spec[i["instance_id"]]["ami"]["duration_s"] for i in backed), default=0.0)
    # CreateImage is in EC2's mutating bucket (burst 50, 5 per second per account and region, in
    # real time): a zone's last CreateImage cannot go out before (k - 50) / 5 s.
    per_zone = collections.Counter(i["zone"] for i in backed)
    create_floor = max((max(0, k - 50) / 5.0 for k in per_zone.values()), default=0.0)
    pre = [i for i in xs if i["precheck"] and i["precheck"]["command_id"]]
    precheck = (delivery_s + max(spec[i["instance_id"]].get("command_duration_s", 3.0) for i in pre)) if pre else 0.0
    waves = collections.defaultdict(float)
    ready = ready_times(xs, spec, time_scale, precheck / time_scale)
    wave_ready = collections.defaultdict(float)  # real s: when the last of a wave's instances can qualify
    for i in xs:
        p = i["patch"]
        if not (p and p["command_id"]):
            continue
        s = spec[i["instance_id"]]["patch"]
        d = {"hang": patch_timeout_s, "agent_lost": 0.0}.get(s.get("outcome"), s.get("duration_s", 300.0))
        if reboot_waits([i], spec):  # RebootIfNeeded: the instance is waited for until its checks are ok
            r = spec[i["instance_id"]].get("reboot", {})
            d += max(r.get("duration_s", 60.0), r.get("status_initializing_s", 120.0))
        if postchecked([i]):
            d += postcheck_s(i, spec, ssm_wait_s, delivery_s)
        waves[p["wave"]] = max(waves[p["wave"]], delivery_s + d)
        wave_ready[p["wave"]] = max(wave_ready[p["wave"]], ready.get(i["instance_id"], 0.0))
    patch = sum(waves.values())
    # Waves overlapping the backup: wave w cannot start before its last instance could qualify, and
    # the waves run one after the other: max over w of (its ready time + it and every later wave).
    overlap, later = 0.0, 0.0
    for w in sorted(waves, reverse=True):
        later += waves[w] / time_scale
        overlap = max(overlap, wave_ready[w] + later)
    # Pipelined (a full run): per zone, the backup and the precheck overlap; the slowest zone's
    # max(backup with its CreateImage floor, precheck), then the run-wide waves.
    zone_ready = 0.0
    for z in per_zone:
        amis = max(spec[i["instance_id"]]["ami"]["duration_s"] for i in backed if i["zone"] == z) / time_scale
        amis = max(amis, max(0, per_zone[z] - 50) / 5.0)
        zone_ready = max(zone_ready, max(amis, precheck / time_scale))
    return ((backup + precheck + patch) / time_scale,
            {"backup": backup / time_scale, "precheck": precheck / time_scale, "patch": patch / time_scale,
             "pipelined": zone_ready + patch / time_scale, "overlapped": max(zone_ready, overlap),
             "create_floor": create_floor, "waves": len(waves), "wave_s": [round(v / time_scale, 1) for _, v in sorted(waves.items())]})


def iso_s(t):
    return datetime.datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()


def wave_lengths(report):
    """Each run-wide wave's real length from the report (1 s resolution): its first patch sent to its
    last instance ended (patch, or postcheck when it is on), by wave number."""
    spans = {}
    for i in report["instances"]:
        p = i["patch"]
        if not (p and p["command_id"] and p.get("started_at") and p.get("finished_at")):
            continue
        end = max(iso_s(p["finished_at"]), iso_s(i["postcheck"]["finished_at"]) if postchecked([i]) else 0)
        a, b = spans.get(p["wave"], (float("inf"), 0.0))
        spans[p["wave"]] = (min(a, iso_s(p["started_at"])), max(b, end))
    return {w: b - a for w, (a, b) in sorted(spans.items())}, (min((a for a, _ in spans.values()), default=0),
                                                               max((b for _, b in spans.values()), default=0))


def quartiles(xs):
    xs = sorted(xs)
    if not xs:
        return "none"
    q = lambda f: xs[min(len(xs) - 1, int(f * len(xs)))]
    return "median %.1f s (min %.1f, 25%% %.1f, 75%% %.1f, max %.1f)" % (q(0.5), xs[0], q(0.25), q(0.75), xs[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--instances", type=int)
    ap.add_argument("--zones", type=int)
    ap.add_argument("--seed")
    ap.add_argument("--time-scale", type=float, required=True)
    ap.add_argument("--latency-ms", type=int)
    ap.add_argument("--load", default="?")
    ap.add_argument("--patch-timeout", type=float, default=3600, help="fleetpatch's patch_execution, real s")
    ap.add_argument("--ssm-timeout", type=float, default=300, help="fleetpatch's ssm_connection, real s")
    a = ap.parse_args()
    w = a.work

    with open(os.path.join(w, "requests.json")) as f:
        req = json.load(f)
    with open(os.path.join(w, "wall.json")) as f:
        wall = json.load(f)
    report_path, report = load_report(w)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(os.path.join(w, "fleet.yml")) as f:
        fleet = yaml.load(f, Loader=loader)
    times = {os.path.basename(p)[5:-4]: parse_time(p) for p in sorted(glob.glob(os.path.join(w, "time-*.txt")))}
    t = {"rss_mib": max(x["rss_mib"] for x in times.values()),
         "user_s": sum(x["user_s"] for x in times.values()), "sys_s": sum(x["sys_s"] for x in times.values()),
         "elapsed": ", ".join("%s %s" % (k, x["elapsed"]) for k, x in times.items()),
         "cpu_percent": ", ".join("%s %s" % (k, x["cpu_percent"]) for k, x in times.items())}
    mins, polls, detail = minimums(report, fleet)

    calls = req["calls"]
    ops = sorted(set(calls) | set(k for k, v in mins.items() if v))
    # Phase timing from the report's events (first and last event of each phase).
    phase_times = {}
    for e in report.get("events", []):
        ph = e.get("phase") or ""
        if not ph:
            continue
        phase_times.setdefault(ph, [e["time"], e["time"]])
        phase_times[ph][0] = min(phase_times[ph][0], e["time"])
        phase_times[ph][1] = max(phase_times[ph][1], e["time"])

    out = []
    p = out.append
    p("## Run: %s instances, %s zones, seed %s, time scale %g, latency %s ms" %
      (a.instances, a.zones, a.seed, a.time_scale, a.latency_ms))
    p("")
    p("- machine: %s; %d CPUs; load average at the end (1/5/15 min): %s" %
      (cpu_model(), os.cpu_count(), a.load))
    p("- fleetpatch exit code %s, run status `%s`" % (wall["exit_code"], report["run"]["status"]))
    p("- wall time of fleetpatch: **%.1f s** (GNU time: %s)" % (wall["wall_ms"] / 1000.0, t["elapsed"]))
    p("- fleetpatch peak RSS: **%.1f MiB**%s; CPU time: **%.1f s user + %.1f s system** (%s of one CPU)" %
      (t["rss_mib"], "" if len(times) == 1 else " (the largest process; each: %s)" % ", ".join(
          "%s %.1f MiB" % (k, x["rss_mib"]) for k, x in times.items()), t["user_s"], t["sys_s"], t["cpu_percent"]))
    p("- API calls: **%d** in all, **%d** throttled (%s)" %
      (req["total_calls"], req["total_throttled"],
       ", ".join("%s %d" % kv for kv in sorted(req["throttled"].items())) or "none"))
    hang_s = min(7200.0, a.patch_timeout * a.time_scale)  # the emulator's execution timeout or fleetpatch's cancel
    cp, parts = critical_path(report, fleet, a.time_scale, patch_timeout_s=hang_s,
                              ssm_wait_s=a.ssm_timeout * a.time_scale)
    p("- simulated critical path (the longest AMI, the precheck command, and each of the %d run-wide"
      " patch waves' longest run, hangs counted at %.0f simulated s, when they end), at this time scale: "
      "**%.1f s** (backup %.1f s, precheck %.1f s, patch %.1f s; waves %s)" %
      (parts.get("waves", 0), hang_s, cp, parts.get("backup", 0), parts.get("precheck", 0), parts.get("patch", 0), parts.get("wave_s")))
    p("- the EC2 rate limit alone keeps the CreateImage calls of the largest zone going for %.1f s of real time"
      " (burst 50, then 5 per second), which at this time scale is longer than the AMIs themselves take;"
      " critical path with that floor for the backup phase: **%.1f s**" %
      (parts["create_floor"], cp - parts["backup"] + max(parts["backup"], parts["create_floor"])))
    floor = cp - parts["backup"] + max(parts["backup"], parts["create_floor"])
    p("- wall time over that critical path (fleetpatch's own share): %.1f s (%.0f%% of the wall time)" %
      (wall["wall_ms"] / 1000.0 - floor, 100.0 * (wall["wall_ms"] / 1000.0 - floor) / (wall["wall_ms"] / 1000.0)))
    wall_s = wall["wall_ms"] / 1000.0
    p("- pipelined critical path (the slowest zone's max(its slowest AMI or its CreateImage floor, the"
      " precheck), then the run-wide waves): **%.1f s**; wall time / that: **%.2fx**" %
      (parts["pipelined"], wall_s / parts["pipelined"] if parts["pipelined"] else 0.0))
    p("- with the waves overlapping the backup (each wave from the moment its last instance could qualify:"
      " its zone's CreateImage floor at its place, its AMI, the precheck; the run not before every zone's"
      " backup ended): **%.1f s**; wall time / that: **%.2fx**" %
      (parts["overlapped"], wall_s / parts["overlapped"] if parts["overlapped"] else 0.0))
    lengths, (first, last) = wave_lengths(report)
    if lengths:
        p("- patch phase (first patch sent to the last wave's end, report times): **%.0f s** for %d waves;"
          " wave lengths %s; each wave's slowest run (simulated, at this time scale) %s" %
          (last - first, len(lengths), quartiles(lengths.values()), quartiles(parts.get("wave_s", []))))
    s = report["summary"]
    p("- instances %s, eligible %s" % (s["instances"], s["eligible"]))
    db_path = os.path.join(w, "db-statements.txt")
    if os.path.exists(db_path):
        n = int(open(db_path).read().strip() or 0)
        p("- database round trips (statements the PostgreSQL server ran, all processes): **%d**, **%.1f per"
          " instance**" % (n, n / max(int(s["instances"]), 1)))
    totals = collections.Counter()
    for d in detail.values():
        totals.update(d)
    p("- backed up %d, prechecked %d, patched %d in %d waves (over all zones)" %
      (totals["backed_up"], totals["prechecked"], totals["patched"], totals["waves"]))
    p("")
    p("| operation | calls | throttled | other errors | minimum | over the minimum | calls per poll round |")
    p("|---|---:|---:|---:|---:|---:|---:|")
    tot_calls = tot_min = 0
    for op in ops:
        n = calls.get(op, 0)
        thr = req["throttled"].get(op, 0)
        other = sum(v for k, v in req["errors"].get(op, {}).items()) - thr
        mn = mins.get(op, 0)
        tot_calls += n
        tot_min += mn
        over = ("%+.0f%%" % (100.0 * (n - mn) / mn)) if mn else ("+%d calls" % n if n else "0")
        p("| %s | %d | %d | %d | %d | %s | %s |" % (op, n, thr, other, mn, over, polls.get(op, "")))
    p("| **all** | **%d** | **%d** | | **%d** | **%+.0f%%** | |" %
      (tot_calls, req["total_throttled"], tot_min, 100.0 * (tot_calls - tot_min) / max(tot_min, 1)))
    polled = {"DescribeImages", "ListCommandInvocations"}
    np_calls = sum(calls.get(op, 0) for op in ops if op not in polled)
    np_min = sum(mins.get(op, 0) for op in ops if op not in polled)
    p("| all but the two polled operations | %d | | | %d | %+.0f%% | |" %
      (np_calls, np_min, 100.0 * (np_calls - np_min) / max(np_min, 1)))
    p("")
    rss_path = os.path.join(w, "rss.tsv")
    if os.path.exists(rss_path):
        samples = [tuple(map(int, l.split())) for l in open(rss_path) if len(l.split()) == 2]
        if samples:
            peak = max(samples, key=lambda x: x[1])
            p("fleetpatch's resident memory, sampled every 0.5 s: peak %.1f MiB at %.1f s of %.1f s; "
              "%.1f MiB at 25%%, %.1f MiB at 50%%, %.1f MiB at 75%% of the run." % (
                  peak[1] / 1024.0, peak[0] / 1000.0, samples[-1][0] / 1000.0,
                  *[samples[int(len(samples) * f)][1] / 1024.0 for f in (0.25, 0.5, 0.75)]))
            p("")
    emu_path = os.path.join(w, "emulator-rss.tsv")
    if os.path.exists(emu_path):
        samples = [tuple(map(int, l.split())) for l in open(emu_path) if len(l.split()) == 2]
        if samples:
            peak = max(samples, key=lambda x: x[1])
            p("The emulator host's resident memory (not fleetpatch's): %.1f MiB at the start, peak %.1f MiB at %.1f s." %
              (samples[0][1] / 1024.0, peak[1] / 1024.0, peak[0] / 1000.0))
            p("")
    tl = sorted(req.get("timeline", []), key=lambda e: e[0])
    if tl:
        spans = collections.OrderedDict()
        for t_s, op, _ in tl:
            spans.setdefault(op, [t_s, t_s])
            spans[op][1] = t_s
        p("Request timeline (seconds since the emulator started; fleetpatch started at about %.1f s):" % tl[0][0])
        p("")
        p("| operation | first call | last call |")
        p("|---|---:|---:|")
        for op, (f0, f1) in spans.items():
            p("| %s | %.1f | %.1f |" % (op, f0, f1))
        p("")
        idle = [(tl[i][0], tl[i + 1][0]) for i in range(len(tl) - 1) if tl[i + 1][0] - tl[i][0] >= 2.0]
        busy_idle = sum(b - a for a, b in idle)
        p("Idle periods of 2 s or more with no call in flight (waiting for simulated work or a poll): %d,"
          " %.1f s in all, of %.1f s from first to last call." % (len(idle), busy_idle, tl[-1][0] - tl[0][0]))
        p("")
    if phase_times:
        p("Phase spans from the report's events (first to last event): " + "; ".join(
            "%s %s .. %s" % (ph, v[0][11:19], v[1][11:19]) for ph, v in phase_times.items()))
        p("")
    p("(report: %s)" % os.path.relpath(report_path, w))
    print("\n".join(out))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return re.sub(r"\s+", " ", line.split(":", 1)[1].strip())
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
