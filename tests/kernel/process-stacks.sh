#!/usr/bin/env bash
# Growable process stacks (docs/isolation.md, "The stack"; userland/hostile/stack_deep.wat and
# stack_limit_spawn.c). Two rounds of: a 5000-frame recursion (about 5 MiB) with the default
# stack, the same with 1 MiB (traps), with 0 (the default), stack sizes outside the bounds
# (inval), endless recursion (traps), recursion over the memory budget (traps); the second round must leave as many free frames as the
# first, so that stacks, their pages and page tables come back.
# usage: process-stacks.sh -- QEMU-RUN-ARGS... (an initrd with the hostile programs, the kernel last)
set -uo pipefail
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
. "$here/transcript-checks.sh"
trap 'rm -rf "$work"' EXIT

round() {
  printf '%s\n' \
    "run /bin/stack_deep 5000" \
    "run /bin/stack_limit_spawn 1024 /bin/stack_deep 5000" \
    "run /bin/stack_limit_spawn 1024 /bin/stack_deep 500" \
    "run /bin/stack_limit_spawn 0 /bin/stack_deep 7000" \
    "run /bin/stack_limit_spawn 63 /bin/stack_deep 1" \
    "run /bin/stack_limit_spawn 262145 /bin/stack_deep 1" \
    "run /bin/stack_limit_spawn 64 /bin/stack_deep 20" \
    "run /bin/stack_bomb" \
    "run /bin/stack_deep 50 hog" \
    "run /bin/stack_deep 5000 hog" \
    "cache drop" "mem"
}
{ round; round; echo poweroff; } >"$work/input"
run_boot "$@"
ok=1
fail() { echo "process-stacks: $*"; ok=0; }
[ $status = 0 ] || fail "qemu-run exited with $status"
expect_count "^stack_deep: 5000 frames returned$" 2
expect_count "^stack_deep: 500 frames returned$" 2
expect_count "^stack_deep: 7000 frames returned$" 2
expect_count "^stack_deep: 20 frames returned$" 2
expect_count "^stack_deep: 50 frames returned$" 2
# 1 MiB stack and 5000 frames, stack_bomb, 5000 frames over the memory budget: three traps a round.
expect_count "^error: wasm trap: call stack exhausted$" 6
expect_count "^stack_limit_spawn: status 134$" 2
expect_count "^stack_limit_spawn: status 0$" 6
expect_count "^stack_limit_spawn: errno 28$" 4
expect_count "^\[process [0-9]+ exited with status 134\]$" 4
for pattern in "KERNEL PANIC" "wasm stack reserve: host code used" "wasm trap: [^c]"; do
  grep -Eq -- "$pattern" "$work/transcript" && fail "found '$pattern'"
done
mapfile -t free < <(grep -Eo "^frames: [0-9]+ total, [0-9]+ used, [0-9]+ free" "$work/transcript" | awk '{print $6}')
if [ ${#free[@]} != 2 ]; then
  fail "expected two mem reports, found ${#free[@]}"
elif [ "${free[0]}" != "${free[1]}" ]; then
  fail "free frames after round 1: ${free[0]}, after round 2: ${free[1]} (a leak)"
else
  echo "process-stacks: ${free[0]} frames free after both rounds"
fi
if [ $ok = 0 ]; then
  echo "--- transcript"
  cat "$work/transcript"
  exit 1
fi
echo "process-stacks: ok"
