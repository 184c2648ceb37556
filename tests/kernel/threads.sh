#!/usr/bin/env bash
# wasi-threads in the OS (docs/process-abi.md, "Threads"). The threaded programs of the hosted
# tests (tests/cli/threads/, in the test image as /bin/threads_NAME) run under the kernel and must
# give what `wasmkern run` gives for the same module: the exit status and the key=value and
# "thread K" lines of stdout (compared sorted: threads write in any order). They cover a parallel
# sum, a lock on wait/notify, a producer/consumer queue, concurrent writes, a spawn flood and a
# spawn tree refused at the limit (their blocked threads then end with the program), a trapping
# thread, proc_exit in a thread, a module without wasi_thread_start, and deep recursion in
# spawned threads (userland/hostile/threads_deep.wat: their stacks grow, and one that recurses
# without end traps with "call stack exhausted"). Threads call wasmkern too: 4 threads create and
# close events in the one handle table (userland/hostile/threads_handles.wat). Then a process whose
# threads spin, wait and sleep in a WASI call (userland/hostile/threads_forever.wat) is killed
# from the shell and ends with 137, and five processes hoarding blocked threads
# (userland/hostile/threads_hoard.wat) meet the system's bound (256 spawned threads: 64 each for
# four, none for the fifth; in any order, 256 in all) and are killed. Then a process whose
# thread traps while its stderr is a full pipe nobody reads (userland/hostile/threads_stderr_full.wat:
# the report blocks for good) is still there after 1.5 s and ends when the shell kills it (134,
# the trap's status: a kill from outside ends the thread writing the report too, also while
# the main thread joins it). Last, threads blocked in wait_many, port_wait, wait and a direct
# call (userland/hostile/threads_waits.wat) do not stop the calls of another thread that end
# their waits. Two rounds: the kernel heap's bytes in use and the live objects are the same after
# each, and free frames as well up to pages the heap holds.
# usage: threads.sh WASMKERN USERLAND-DIR -- QEMU-RUN-ARGS... (the test image, the kernel last)
set -uo pipefail
if [ "${1:-}" = "--help" ] || [ $# -lt 3 ]; then
  echo "usage: threads.sh WASMKERN USERLAND-DIR -- QEMU-RUN-ARGS..."
  exit 2
fi
tool=$1 programs=$2
shift 2
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
. "$here/transcript-checks.sh"
trap 'rm -rf "$work"' EXIT
ok=1
fail() { echo "threads: $*"; ok=0; }

# tests/cli/threads/NAME.wat, and deep: userland/hostile/threads_deep.wat
names=(parallel_sum lock_counter producer_consumer concurrent_writes spawn_flood spawn_tree thread_trap thread_exit no_thread_start deep)
hoards=5
# threads_handles, the killed process, the hoards, stderr_full, threads_waits and its 2 children
per_round=$((${#names[@]} + 6 + hoards))
# What a program printed that the comparison covers.
results() { grep -E '^(([a-z_]+: )?[a-z_]+=-?[0-9]+|thread [0-9]+)$' | sort; }

for name in "${names[@]}"; do
  "$tool" run "$programs/threads_$name.wasm" </dev/null >"$work/$name.hosted" 2>/dev/null
  echo $? >"$work/$name.hosted-status"
  results <"$work/$name.hosted" >"$work/$name.expected"
done

round() {
  local name
  for name in "${names[@]}"; do echo "run /bin/threads_$name"; done
  local forever=$(($1 + ${#names[@]} + 2)) pid
  # NOTE: each background program prints 500 ms after its threads started, while the console
  # sleeps (not while it echoes the next command, which would cut into the line).
  printf '%s\n' "run /bin/threads_handles" "spawn /bin/threads_forever" "sleep 2000" "ps" "kill $forever" "wait $forever"
  for _ in $(seq $hoards); do printf '%s\n' "spawn /bin/threads_hoard" "sleep 1500"; done
  printf '%s\n' "ps"
  for pid in $(seq $((forever + 1)) $((forever + hoards))); do echo "kill $pid"; done
  for pid in $(seq $((forever + 1)) $((forever + hoards))); do echo "wait $pid"; done
  local stuck=$((forever + hoards + 1))
  printf '%s\n' "spawn /bin/threads_stderr_full" "sleep 1500" "ps" "kill $stuck" "wait $stuck"
  # NOTE: killed in case it hangs (its line is then missing); it ends well before.
  printf '%s\n' "spawn /bin/threads_waits" "sleep 5000" "kill $((stuck + 1))" "wait $((stuck + 1))"
  printf '%s\n' "ps" "cache idle" "cache drop" "mem"
}
{ round 0; round $per_round; echo poweroff; } >"$work/input"
run_boot "$@"
[ "$status" = 0 ] || fail "qemu-run exited with $status"

# The lines between the start of process PID's run (the previous process's end, or the command
# that started it) and its end.
output_of() {
  awk -v end="^\\\\[process $1 exited with status [0-9]+\\\\]$" '
    $0 ~ end { found = 1; exit }
    /^\[process [0-9]+ (exited|started)/ || /run \/bin\/threads_/ { n = 0; next }
    { lines[n++] = $0 }
    END { if (found) for (i = 0; i < n; i++) print lines[i] }' "$work/transcript"
}

for r in 0 1; do
  for i in "${!names[@]}"; do
    name=${names[$i]} pid=$((r * per_round + i + 1))
    expected_status=$(cat "$work/$name.hosted-status")
    got_status=$(nth "^\\[process $pid exited with status ([0-9]+)\\]$" 1)
    [ "$got_status" = "$expected_status" ] || fail "$name (pid $pid): status ${got_status:-none}, hosted $expected_status"
    output_of $pid | results >"$work/$name.$r.got"
    if ! cmp -s "$work/$name.expected" "$work/$name.$r.got"; then
      fail "$name (pid $pid): output differs from the hosted run:"
      diff "$work/$name.expected" "$work/$name.$r.got" | head -20
    fi
    [ -s "$work/$name.expected" ] || [ "$name" = thread_trap ] || [ "$name" = thread_exit ] \
      || [ "$name" = no_thread_start ] || fail "$name: the hosted run printed nothing to compare"
  done
done
# The hosted figures the comparison relied on.
grep -q '^threads=8$' "$work/parallel_sum.hosted" || fail "hosted parallel_sum did not run 8 threads"
grep -q '^spawned=64$' "$work/spawn_flood.hosted" || fail "hosted spawn_flood did not stop at 64"
expect_count "^error: in thread 1:$" 2
expect_count "^error: wasm trap: unreachable$" 2
expect_count "^error: in thread 2:$" 2
expect_count "^error: wasm trap: call stack exhausted$" 2
grep -q '^threads_deep: depth=20000$' "$work/deep.hosted" || fail "hosted threads_deep did not reach 20000"
expect_count "^/bin/threads_spawn_(flood|tree): thread-spawn refused: 64 threads are running" 4
expect_count "exports no wasi_thread_start" 2
forever1=$((${#names[@]} + 2)) forever2=$((per_round + ${#names[@]} + 2))
expect_count "^threads_handles: handles=4 failures=0$" 2
expect_count "^threads_forever: 4 threads started$" 2
expect_count "^\\[process ($forever1|$forever2) exited with status 137\\]$" 2
# ps while it runs: blocked (its main thread waits); after the wait it is gone.
expect_count "^ +($forever1|$forever2) +0 +(blocked|running) .*threads_forever$" 2
expect_count "^\\[process [0-9]+ exited with status 137\\]$" $((2 * (1 + hoards)))
expect_count "^threads_hoard: spawned=[0-9]+ refused=6$" $((2 * hoards))
expect_count "threads_hoard: 256 threads run in the system, the most it allows$" 2
expect_count "threads_hoard: thread-spawn refused: 64 threads are running" $((2 * (hoards - 1)))
for r in 1 2; do
  hoarded=$(grep -Eo "threads_hoard: spawned=[0-9]+ " "$work/transcript" | grep -Eo "[0-9]+" \
    | sed -n "$(((r - 1) * hoards + 1)),$((r * hoards))p" | awk '{ sum += $1 } END { print sum }')
  [ "${hoarded:-0}" = 256 ] || fail "round $r: the hoards spawned ${hoarded:-no} threads in all, expected 256"
done
stuck1=$((forever1 + hoards + 1)) stuck2=$((forever2 + hoards + 1))
expect_count "^threads_stderr_full: stderr is a full pipe$" 2
# ps 1.5 s after its thread trapped: still there (the report blocks); the kill ends it.
expect_count "^ +($stuck1|$stuck2) +0 +(blocked|running) .*threads_stderr_full$" 2
expect_count "^\\[process ($stuck1|$stuck2) exited with status 134\\]$" 2
expect_count "^threads_waits: wait_many=0 signalled=1 port_wait=0 key=7 wait=0 status=137 call=13$" 2
expect_count "^\\[process ($((stuck1 + 1))|$((stuck2 + 1))) exited with status 0\\]$" 2
expect_count "KERNEL PANIC" 0
expect_count "^powering off$" 1
check_memory_after_rounds
echo "threads: free frames $frames1 / $frames2, heap $heap1 / $heap2 bytes in $pages1 / $pages2 pages, objects $objects1 / $objects2"
if [ "$ok" = 1 ]; then
  echo "threads: ok"
  exit 0
fi
echo "----- transcript -----"
cat "$work/transcript"
exit 1
