#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time and prints the number of
# executions. The first run merges SEED_DIR into CORPUS_DIR (keeping only inputs
# that add coverage), so later runs start from the small corpus; new inputs go to
# CORPUS_DIR, crashes to ARTIFACT_DIR (keep reproducers in tests/fuzz/crashes/).
# With WK_FUZZ_KEEP_GOING=1 the fuzzer is restarted after a crash, so a long run
# covers its whole time; it still fails if anything crashed.
# Usage: run-fuzzer.sh FUZZER SECONDS SEED_DIR CORPUS_DIR ARTIFACT_DIR
set -u
fuzzer=$1 seconds=$2 seeds=$3 corpus=$4 artifacts=$5
name=$(basename "$fuzzer")
mkdir -p "$seeds" "$corpus" "$artifacts"
log=$artifacts/$name.log
options=(-rss_limit_mb=2048 -timeout=10 -max_len=16384)
status=0
if [[ -z "$(ls -A "$corpus")" ]]; then
    "$fuzzer" "${options[@]}" -artifact_prefix="$artifacts/$name-" -merge=1 "$corpus" "$seeds" \
        >"$artifacts/$name.merge.log" 2>&1 || status=$?
    if [[ $status -ne 0 ]]; then
        tail -40 "$artifacts/$name.merge.log"
        echo "$name: FAILED (exit $status) merging the seeds; log $artifacts/$name.merge.log"
        exit 1
    fi
    echo "$name: seeds merged into $(ls "$corpus" | wc -l) corpus inputs"
fi

if [[ ${WK_FUZZ_KEEP_GOING:-0} == 1 ]]; then
    # Restart after each crash with the time left (fork mode costs most of the speed).
    found=$artifacts/$name-found
    rm -rf "$found" && mkdir -p "$found"
    deadline=$((SECONDS + seconds))
    execs=0 runs=0
    : >"$log"
    while ((deadline - SECONDS > 2 && runs < 100)); do
        runs=$((runs + 1))
        "$fuzzer" "${options[@]}" -artifact_prefix="$found/" -max_total_time=$((deadline - SECONDS)) \
            -print_final_stats=1 "$corpus" >"$log.run" 2>&1
        run_status=$?
        cat "$log.run" >>"$log"
        run_execs=$(grep -E '^stat::number_of_executed_units' "$log.run" | awk '{print $2}')
        execs=$((execs + ${run_execs:-0}))
        [[ $run_status -eq 0 ]] && break
        status=$run_status
    done
    rm -f "$log.run"
    crashes=$(ls "$found" | wc -l)
    for input in "$found"/*; do
        [[ -e $input ]] || continue
        why=$("$fuzzer" "$input" 2>&1 | grep -m1 -E 'ASSERTION|SUMMARY|runtime error')
        echo "  $input: $why"
    done
    if [[ $crashes -ne 0 || $status -ne 0 ]]; then
        echo "$name: FAILED: $crashes crashing inputs in $execs executions over ${seconds} s ($runs runs); log $log"
        exit 1
    fi
    echo "$name: $execs executions in ${seconds} s, no crash"
    exit 0
fi

"$fuzzer" "${options[@]}" -artifact_prefix="$artifacts/$name-" -max_total_time="$seconds" -print_final_stats=1 \
    "$corpus" >"$log" 2>&1 || status=$?
execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
grep -E '^#[0-9]+ +(INITED|DONE)' "$log" | tail -2
if [[ $status -ne 0 ]]; then
    grep -E -A40 'ERROR: (libFuzzer|AddressSanitizer|UndefinedBehaviorSanitizer)|runtime error|==ERROR' "$log" | head -80
    echo "$name: FAILED (exit $status) after ${execs:-?} executions; reproducer in $artifacts, log $log"
    exit 1
fi
echo "$name: ${execs:-?} executions in ${seconds} s, no crash"
