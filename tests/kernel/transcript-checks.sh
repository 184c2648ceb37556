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
