#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time and prints the number of
# executions. The first run merges SEED_DIR into CORPUS_DIR (keeping only inputs
# that add coverage), so later runs start from the small corpus; new inputs go to
# CORPUS_DIR, crashes to ARTIFACT_DIR (keep reproducers in tests/fuzz/crashes/).
# Usage: run-fuzzer.sh FUZZER SECONDS SEED_DIR CORPUS_DIR ARTIFACT_DIR
set -u
fuzzer=$1 seconds=$2 seeds=$3 corpus=$4 artifacts=$5
name=$(basename "$fuzzer")
mkdir -p "$seeds" "$corpus" "$artifacts"
log=$artifacts/$name.log
options=(-rss_limit_mb=2048 -timeout=10 -max_len=16384 -artifact_prefix="$artifacts/$name-")
status=0
if [[ -z "$(ls -A "$corpus")" ]]; then
    "$fuzzer" "${options[@]}" -merge=1 "$corpus" "$seeds" >"$artifacts/$name.merge.log" 2>&1 || status=$?
    if [[ $status -ne 0 ]]; then
        tail -40 "$artifacts/$name.merge.log"
        echo "$name: FAILED (exit $status) merging the seeds; log $artifacts/$name.merge.log"
        exit 1
    fi
    echo "$name: seeds merged into $(ls "$corpus" | wc -l) corpus inputs"
fi
"$fuzzer" "${options[@]}" -max_total_time="$seconds" -print_final_stats=1 "$corpus" >"$log" 2>&1 || status=$?
execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
grep -E '^#[0-9]+ +(INITED|DONE)' "$log" | tail -2
if [[ $status -ne 0 ]]; then
    grep -E -A40 'ERROR: (libFuzzer|AddressSanitizer|UndefinedBehaviorSanitizer)|runtime error|==ERROR' "$log" | head -80
    echo "$name: FAILED (exit $status) after ${execs:-?} executions; reproducer in $artifacts, log $log"
    exit 1
fi
echo "$name: ${execs:-?} executions in ${seconds} s, no crash"
