#!/bin/bash
# fleetpatch-precheck v1
# Measures what fleetpatch needs to decide whether this Linux instance is safe to patch, and prints
# one line: FLEETPATCH_PRECHECK_V1 {json}. It changes nothing on the machine. The verdict is made by
# fleetpatch from its configured thresholds (see docs/precheck-protocol.md).
FP_SERVICES='__FP_SERVICES__'
set -u
export LC_ALL=C
PROC="${FP_PROC_ROOT:-/proc}"
ROOT="${FP_FS_ROOT:-}"

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\t'/\\t}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  printf '"%s"' "$s"
}

is_uint() { case "$1" in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac }

disks=""
while read -r _fs size _used avail _pct mount; do
  is_uint "$size" && is_uint "$avail" || continue
  [ -n "$disks" ] && disks="$disks,"
  disks="$disks{\"mount\":$(json_str "$mount"),\"size_kb\":$size,\"avail_kb\":$avail}"
done < <(df -P -k -l -x tmpfs -x devtmpfs -x squashfs -x overlay -x efivarfs 2>/dev/null | tail -n +2)

cpus=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
is_uint "$cpus" || cpus=1

load1=$(cut -d' ' -f1 "$PROC/loadavg" 2>/dev/null)
case "$load1" in '' | *[!0-9.]*) load1=-1 ;; esac

mem_total=$(awk '/^MemTotal:/ {print $2}' "$PROC/meminfo" 2>/dev/null)
mem_avail=$(awk '/^MemAvailable:/ {print $2}' "$PROC/meminfo" 2>/dev/null)
is_uint "$mem_total" || mem_total=0
is_uint "$mem_avail" || mem_avail=0

service_state() {
  local s=$1 st
  # Names never start with '-' (the config refuses it); "--" ends systemctl's options all the same.
  if command -v systemctl >/dev/null 2>&1; then
    if [ "$(systemctl show -p LoadState --value -- "$s" 2>/dev/null)" = "not-found" ]; then
      echo not-found
      return
    fi
    st=$(systemctl is-active -- "$s" 2>/dev/null)
    case "$st" in
      active | reloading | activating) echo active ;;
      failed) echo failed ;;
      *) echo inactive ;;
    esac
  elif command -v service >/dev/null 2>&1; then
    if service "$s" status >/dev/null 2>&1; then echo active; else echo inactive; fi
  else
    echo not-found
  fi
}

services=""
for s in $FP_SERVICES; do
  [ -n "$services" ] && services="$services,"
  services="$services$(json_str "$s"):\"$(service_state "$s")\""
done

reboot=false
if [ -e "$ROOT/var/run/reboot-required" ]; then
  reboot=true
elif command -v needs-restarting >/dev/null 2>&1; then
  needs-restarting -r >/dev/null 2>&1
  [ $? -eq 1 ] && reboot=true
fi

pkg_lock=false
for lock in "$ROOT/var/lib/dpkg/lock-frontend" "$ROOT/var/lib/dpkg/lock" "$ROOT/var/lib/rpm/.rpm.lock"; do
  if [ -e "$lock" ] && command -v flock >/dev/null 2>&1 && ! flock -n -s "$lock" true 2>/dev/null; then
    pkg_lock=true
  fi
done
for pidfile in "$ROOT/var/run/yum.pid" "$ROOT/var/run/dnf.pid"; do
  if [ -r "$pidfile" ] && kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then pkg_lock=true; fi
done

printf 'FLEETPATCH_PRECHECK_V1 {"disks":[%s],"cpus":%s,"load1":%s,"mem_total_kb":%s,"mem_available_kb":%s,"services":{%s},"reboot_required":%s,"pkg_lock":%s}\n' \
  "$disks" "$cpus" "$load1" "$mem_total" "$mem_avail" "$services" "$reboot" "$pkg_lock"
