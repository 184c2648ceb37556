#!/usr/bin/env bash
# memory.atomic.wait in the OS (docs/engine-abi.md, "Atomics wait and notify"): a process
# blocked in a wait with no timeout (userland/hostile/atomic_wait_forever.wat, 4 MiB of shared
# memory) shows as blocked, and kill ends it within seconds (the wait is interrupted and the
# process leaves at its landing); a process spinning on waits that time out, waits that find
# another value and notifies of 2^32-1 (userland/hostile/atomic_wait_spin.wat) is killed
# likewise. Two rounds; the free frames after round 2 must be at least those after round 1
# (the memory and everything else of the killed waiters is returned).
# usage: atomic-wait-kill.sh -- QEMU-RUN-ARGS... (an initrd with the hostile programs, the kernel last)
set -uo pipefail
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
. "$here/transcript-checks.sh"
trap 'rm -rf "$work"' EXIT

# Pids are deterministic: two processes per round, from 1.
round() {
  local waiter=$1 spinner=$(($1 + 1))
  printf '%s\n' \
    "spawn /bin/atomic_wait_forever" "sleep 500" "ps" "uptime" "kill $waiter" "wait $waiter" "uptime" \
    "spawn /bin/atomic_wait_spin" "sleep 500" "uptime" "kill $spinner" "wait $spinner" "uptime" \
    "cache idle" "cache drop" "mem"
}
{ round 1; round 3; echo poweroff; } >"$work/input"
run_boot "$@"
ok=1
fail() { echo "atomic-wait-kill: $*"; ok=0; }
[ $status = 0 ] || fail "qemu-run exited with $status"
expect_count "^ +(1|3) +0 blocked +[0-9]+ +[0-9]+ atomic_wait_forever$" 2
expect_count "^\\[process (1|3) exited with status 137\\]$" 2
expect_count "^\\[process (2|4) exited with status 137\\]$" 2
expect_count "KERNEL PANIC" 0
expect_count "wasm trap" 0
expect_count "^up [0-9]+\\.[0-9]{6} s" 8
# The uptimes around each kill: at most 10 s apart (milliseconds expected).
mapfile -t uptimes < <(grep -Eo "^up [0-9]+\\.[0-9]{6}" "$work/transcript" | awk '{print $2}')
if [ ${#uptimes[@]} = 8 ]; then
  for pair in "0 1" "2 3" "4 5" "6 7"; do
    set -- $pair
    awk -v a="${uptimes[$1]}" -v b="${uptimes[$2]}" 'BEGIN { exit !(b - a < 10) }' \
      || fail "a kill took from ${uptimes[$1]} s to ${uptimes[$2]} s"
  done
fi
expect_count "^powering off$" 1
mapfile -t free < <(grep -Eo "^frames: [0-9]+ total, [0-9]+ used, [0-9]+ free" "$work/transcript" | awk '{print $6}')
if [ ${#free[@]} != 2 ]; then
  fail "expected two mem reports, found ${#free[@]}"
elif [ "${free[1]}" -lt "${free[0]}" ]; then
  fail "free frames after round 1: ${free[0]}, after round 2: ${free[1]} (a leak)"
else
  echo "atomic-wait-kill: ${free[0]} frames free after round 1, ${free[1]} after round 2"
fi
if [ $ok = 1 ]; then
  echo "atomic-wait-kill: ok"
  exit 0
fi
echo "----- transcript -----"
cat "$work/transcript"
exit 1
