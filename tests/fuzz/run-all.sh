#!/usr/bin/env bash
# `cmake --build build --target fuzz`: every fuzzer at once (one core each) for
# SECONDS, restarting after a crash so that one does not end the run (run-fuzzer.sh).
# Usage: run-all.sh SECONDS WORK_DIR FUZZER...
set -u
seconds=$1 work=$2
shift 2
here=$(dirname "$0")
pids=()
for fuzzer in "$@"; do
    name=$(basename "$fuzzer")
    WK_FUZZ_KEEP_GOING=1 "$here/run-fuzzer.sh" "$fuzzer" "$seconds" "$work/seeds/$name" "$work/corpus/$name" "$work/artifacts" \
        >"$work/$name.summary" 2>&1 &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
    wait "$pid" || status=1
done
cat "$work"/*.summary
exit $status
