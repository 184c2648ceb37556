# Checks on a boot's console transcript ($work/transcript), sourced by the kernel test
# scripts. The script defines fail() (which prints and sets ok=0) before calling these.

transcript_qemu_run=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tools" && pwd)/qemu-run

# QEMU-RUN-ARGS...: boots with $work/input typed into the serial console; the console output,
# without carriage returns, goes to $work/transcript and qemu-run's exit status to $status.
run_boot() {
  "$transcript_qemu_run" "$@" <"$work/input" >"$work/transcript" 2>&1
  status=$?
  sed -i 's/\r$//' "$work/transcript"
}

# PATTERN COUNT: the transcript has exactly COUNT lines matching the extended regex PATTERN.
expect_count() {
  local found
  found=$(grep -Ec -- "$1" "$work/transcript")
  [ "$found" = "$2" ] || fail "'$1' found $found times, expected $2"
}

# PATTERN N: what the first group of PATTERN captured on its Nth (1-based) match.
nth() { grep -Eo -- "$1" "$work/transcript" | sed -E "s/$1/\\1/" | sed -n "$2p"; }

# After two rounds, each ending in `mem`: the kernel heap's bytes in use are the same, no kernel
# object is alive, and every free frame of difference is a page the heap holds. With the same
# bytes in use the heap may hold a page more or less (where other long-lived allocations'
# blocks landed: one partly used slab more). Sets frames1/2, heap1/2, pages1/2 and objects1/2.
check_memory_after_rounds() {
  frames1=$(nth "^frames: [0-9]+ total, [0-9]+ used, ([0-9]+) free.*" 1)
  frames2=$(nth "^frames: [0-9]+ total, [0-9]+ used, ([0-9]+) free.*" 2)
  heap1=$(nth "^heap: ([0-9]+) bytes in use.*" 1) heap2=$(nth "^heap: ([0-9]+) bytes in use.*" 2)
  objects1=$(nth "^objects: ([0-9]+) live$" 1) objects2=$(nth "^objects: ([0-9]+) live$" 2)
  pages1=$(nth "^heap: [0-9]+ bytes in use, ([0-9]+) pages held.*" 1)
  pages2=$(nth "^heap: [0-9]+ bytes in use, ([0-9]+) pages held.*" 2)
  [ -n "$heap1" ] && [ "$heap1" = "$heap2" ] || fail "heap ${heap1:-?} bytes after round 1, ${heap2:-?} after round 2"
  [ -n "$frames1" ] && [ -n "$pages1" ] && [ $((frames1 - frames2)) = $((pages2 - pages1)) ] \
    || fail "free frames ${frames1:-?} after round 1, ${frames2:-?} after round 2, not explained by heap pages ${pages1:-?} / ${pages2:-?}"
  [ "${objects1:-x}" = 0 ] && [ "${objects2:-x}" = 0 ] || fail "live kernel objects ${objects1:-?} and ${objects2:-?} after the rounds (expected 0)"
}

# NAME PROGRAM QEMU-RUN-ARGS...: the two-round object test: boots with PROGRAM run twice, each
# round followed by `ps`, `cache drop` and `mem`, then `poweroff`. Defines fail() (reporting
# under NAME), sets ok and checks qemu-run's status; finish_rounds ends the script.
boot_two_rounds() {
  test_name=$1 round_program=$2
  shift 2
  fail() { echo "$test_name: $*"; ok=0; }
  round() { printf '%s\n' "run $round_program" "ps" "cache drop" "mem"; }
  { round; round; echo poweroff; } >"$work/input"
  run_boot "$@"
  ok=1
  [ "$status" = 0 ] || fail "qemu-run exited with $status"
}

# Prints the memory figures of check_memory_after_rounds, then "NAME: ok" and exit 0, or the
# transcript and exit 1.
finish_rounds() {
  echo "$test_name: free frames $frames1 / $frames2, heap $heap1 / $heap2 bytes in $pages1 / $pages2 pages, objects $objects1 / $objects2"
  if [ "$ok" = 1 ]; then
    echo "$test_name: ok"
    exit 0
  fi
  echo "----- transcript -----"
  cat "$work/transcript"
  exit 1
}
