#!/usr/bin/env bash
# Tier-up in the kernel (docs/optimizing-compiler.md, "Tier-up in the kernel"), one case per boot.
#   hot   userland/hostile/tierup_hot: two hot functions and two loops of a main called once. Its
#         output must equal the hosted tool's in the baseline tier; `cache` must then show
#         at least 3 functions tiered up (main too, through its loops) and, with `tier-osr=on`,
#         OSR entries entered (with OSR off, none); a second run, from the module cache, must
#         print the same, tier up nothing more and enter no OSR entry (main starts optimised).
#   kill  userland/hostile/tierup_kill (a large hot function, then an endless loop), killed at
#         0-200 ms after its spawn (its hot function queued or compiling on a worker at some of
#         those moments) with its module dropped from the cache first, so
#         that the process's exit ends the module and joins the compile worker; two rounds:
#         every kill ends it with 137, no worker is left, heap bytes and free frames match
#         (check_memory_after_rounds: a frame of difference only as a heap page).
# usage: tier-up.sh CASE WASMKERN USERLAND_DIR -- QEMU-RUN-ARGS... (the test initrd, the kernel last)
set -uo pipefail
case_name=${1:?case} wasmkern=${2:?wasmkern} userland=${3:?userland}
shift 3
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
. "$here/transcript-checks.sh"
trap 'rm -rf "$work"' EXIT
ok=1
fail() { echo "tier-up $case_name: $*"; ok=0; }
run_qemu() {
  run_boot "$@"
  [ $status = 0 ] || fail "qemu-run exited with $status"
  expect_count "KERNEL PANIC" 0
  expect_count "^powering off$" 1
}
tier_line='^tier-up: ([0-9]+) functions tiered up, ([0-9]+) refused, ([0-9]+) OSR entries \(([0-9]+) entered\)'

case $case_name in
hot)
  expected=$("$wasmkern" run --tier baseline "$userland/tierup_hot.wasm" 3000000) || fail "the hosted run failed"
  echo "tier-up hot: hosted baseline: $expected"
  printf '%s\n' "run /bin/tierup_hot 3000000" "cache idle" "cache" "run /bin/tierup_hot 3000000" "cache idle" "cache" \
    "run /bin/dmesg" poweroff >"$work/input"
  run_qemu "$@"
  expect_count "^$(printf '%s' "$expected" | sed 's/[.]/\\./g')\$" 2
  expect_count "^\\[process [12] exited with status 0\\]$" 2
  expect_count "^tier-up: idle after [0-9]+ ms$" 2
  expect_count "compiler: processes compile tiered \\(tier-up threshold 1000, OSR (on|off), (lazy|eager)\\)$" 2 # boot log and dmesg
  osr_mode=$(grep -Eo "compiler: processes compile tiered .*OSR (on|off)" "$work/transcript" | head -1 | grep -Eo "(on|off)$")
  tiered1=$(nth "$tier_line" 1) tiered2=$(nth "$tier_line" 2)
  osr1=$(nth '^tier-up: [0-9]+ functions tiered up, [0-9]+ refused, ([0-9]+) OSR entries' 1)
  entered1=$(nth '^tier-up: .* OSR entries \(([0-9]+) entered\)' 1)
  entered2=$(nth '^tier-up: .* OSR entries \(([0-9]+) entered\)' 2)
  echo "tier-up hot: after run 1: ${tiered1:-?} functions, ${osr1:-?} OSR entries, ${entered1:-?} entered;" \
       "after run 2: ${tiered2:-?} functions, ${entered2:-?} entered"
  # mix, weigh and main (hot through its loops) at least.
  [ -n "$tiered1" ] && [ "$tiered1" -ge 3 ] || fail "expected at least 3 functions tiered up, got ${tiered1:-none}"
  if [ "$osr_mode" = on ]; then
    [ -n "$osr1" ] && [ "$osr1" -ge 1 ] || fail "expected an OSR entry, got ${osr1:-none}"
    [ -n "$entered1" ] && [ "$entered1" -ge 1 ] || fail "expected an OSR entry entered, got ${entered1:-none}"
  else
    # Without OSR the loops finish in the baseline; main is optimised for its next call.
    [ "${osr1:-x}" = 0 ] && [ "${entered1:-x}" = 0 ] || fail "OSR is off, yet ${osr1:-?} entries, ${entered1:-?} entered"
  fi
  [ "${tiered2:-x}" = "${tiered1:-y}" ] || fail "the second run tiered up again (${tiered1:-?} then ${tiered2:-?})"
  [ "${entered2:-x}" = "${entered1:-y}" ] || fail "the second run entered OSR code (${entered1:-?} then ${entered2:-?}): main did not start optimised"
  # Compiled once: the second spawn found the module (with its optimised code) in the cache.
  expect_count "debug: spawn: /bin/tierup_hot: [0-9]+ bytes compiled in [0-9]+ us$" 1
  expect_count "debug: tier-up: /bin/tierup_hot \\(pid [12]\\): module has [0-9]+ functions optimised" 2
  ;;
kill)
  round() { # FIRST_PID
    local pid=$1
    for pause in 0 5 20 50 100 200; do
      printf '%s\n' "spawn /bin/tierup_kill" "sleep $pause" "cache drop" "kill $pid" "wait $pid"
      pid=$((pid + 1))
    done
    printf '%s\n' "cache drop" "cache" "mem"
  }
  { round 1; round 7; echo poweroff; } >"$work/input"
  run_qemu "$@"
  # Not anchored at the line's start: a process killed while printing leaves its text
  # (`tierup_kill: hot`) without a newline in front of the console's exit line.
  expect_count "\\[process ([1-9]|1[0-2]) exited with status 137\\]$" 12
  # `cache drop` and `cache` each print a tier-up line: 8 per round, the last two after the
  # round's final drop, when no worker may be left.
  mapfile -t lines < <(grep -E "^tier-up: .* compile workers running" "$work/transcript")
  if [ ${#lines[@]} != 16 ]; then
    fail "expected 16 tier-up lines, found ${#lines[@]}"
  else
    for i in 6 7 14 15; do
      [[ ${lines[$i]} == *"; 0 compile workers running"* ]] || fail "a worker left after a round: ${lines[$i]}"
    done
  fi
  started=$(nth 'running, ([0-9]+) started' 16)
  echo "tier-up kill: compile workers started: ${started:-?}"
  # The kills came while workers ran: a worker was running at some drop before a kill.
  busy=$(grep -Ec "; 1 compile workers running" "$work/transcript")
  [ "$busy" -ge 1 ] || fail "no kill came while a compile worker ran"
  check_memory_after_rounds
  [ -n "$frames1" ] && echo "tier-up kill: ${frames1} / ${frames2:-?} frames free after the rounds, heap ${heap1:-?} bytes in ${pages1:-?} / ${pages2:-?} pages"
  ;;
*)
  echo "tier-up: unknown case $case_name"
  exit 2
  ;;
esac

if [ $ok = 1 ]; then
  echo "tier-up $case_name: ok"
  exit 0
fi
echo "----- transcript (blank lines squeezed) -----"
cat -s "$work/transcript" | head -c 200000
exit 1
