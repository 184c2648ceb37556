#!/usr/bin/env bash
# The GC allocation bomb (userland/hostile/gc_bomb.wat), twice: each run ends in the trap
# "out of memory: GC heap exhausted" (never a panic), the console keeps answering, and the
# free frames after the second run are those after the first (the heap goes with the process).
# Then exceptions, which are GC objects, twice too: 3,000,000 kept and replaced run through
# (exn_churn.wat exits 42), and the exception bomb (exn_bomb.wat, every one kept) ends in the
# same trap, its exceptions going with the process like the bomb's objects.
# usage: process-gc.sh -- QEMU-RUN-ARGS... (an initrd with the hostile programs, the kernel last)
set -uo pipefail
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
. "$here/transcript-checks.sh"
trap 'rm -rf "$work"' EXIT
ok=1
fail() { echo "process-gc: $*"; ok=0; }

printf '%s\n' "mem" "run /bin/gc_bomb" "mem" "run /bin/gc_bomb" "mem" \
  "run /bin/exn_churn" "run /bin/exn_bomb" "mem" "run /bin/exn_churn" "run /bin/exn_bomb" "mem" "uptime" poweroff >"$work/input"
run_boot "$@"
[ $status = 0 ] || fail "qemu-run exited with $status"
grep -q "KERNEL PANIC" "$work/transcript" && fail "the kernel panicked"
expect_count "^error: wasm trap: out of memory: GC heap exhausted$" 4
expect_count "^\[process [0-9]+ exited with status 42\]$" 2
expect_count "^up [0-9]+\\.[0-9]{6}" 1
free_frames() { nth "^frames: [0-9]+ total, [0-9]+ used, ([0-9]+) free.*" "$1"; }
f1=$(free_frames 1) f2=$(free_frames 2) f3=$(free_frames 3) f4=$(free_frames 4) f5=$(free_frames 5)
echo "process-gc: free frames ${f1:-?} before, ${f2:-?} after the first bomb, ${f3:-?} after the second," \
  "${f4:-?} and ${f5:-?} after the first and second exception rounds"
if [ -z "$f1" ] || [ -z "$f2" ] || [ -z "$f3" ] || [ -z "$f4" ] || [ -z "$f5" ]; then
  fail "missing mem reports"
else
  # The first run may grow kernel tables a little (1 MiB allowed); after that nothing may stay.
  [ "$f2" -ge $((f1 - 256)) ] || fail "free frames $f1 before the bomb, $f2 after (kept $(((f1 - f2) * 4)) KiB)"
  [ $((f3 - f2)) -le 16 ] && [ $((f2 - f3)) -le 16 ] || fail "free frames $f2 after the first bomb, $f3 after the second (a leak)"
  [ "$f4" -ge $((f3 - 256)) ] || fail "free frames $f3 before the exception programs, $f4 after (kept $(((f3 - f4) * 4)) KiB)"
  [ $((f5 - f4)) -le 16 ] && [ $((f4 - f5)) -le 16 ] || fail "free frames $f4 after the first exception round, $f5 after the second (a leak)"
fi
if [ $ok = 1 ]; then
  echo "process-gc: ok"
  exit 0
fi
echo "--- transcript (last 40 lines) ---"
tail -40 "$work/transcript"
exit 1
