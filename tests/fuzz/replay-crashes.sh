#!/usr/bin/env bash
# Replays every reproducer in CRASH_DIR (named `<fuzzer>-...`) through its
# fuzzer once. Fails when one crashes, unless its name is listed in
# CRASH_DIR/open.txt (a crash reported but not fixed yet); notes listed ones
# that no longer crash, so the list can shrink.
# Usage: replay-crashes.sh FUZZER_DIR CRASH_DIR
set -u
fuzzers=$1 crashes=$2
open_list=$crashes/open.txt
failed=0 replayed=0
for input in "$crashes"/*; do
    name=$(basename "$input")
    [[ $name == README.md || $name == open.txt ]] && continue
    fuzzer=$fuzzers/${name%%-*}
    if [[ ! -x $fuzzer ]]; then
        echo "FAIL: $name: no fuzzer ${name%%-*}"
        failed=$((failed + 1))
        continue
    fi
    replayed=$((replayed + 1))
    is_open=0
    [[ -f $open_list ]] && grep -qxF "$name" "$open_list" && is_open=1
    if output=$("$fuzzer" -rss_limit_mb=2048 -timeout=10 "$input" 2>&1); then
        [[ $is_open -eq 1 ]] && echo "note: $name no longer crashes: remove it from open.txt"
    elif [[ $is_open -eq 1 ]]; then
        echo "known open crash: $name"
    else
        echo "FAIL: $name crashes:"
        grep -E 'ASSERTION|ERROR|runtime error|#[0-9]+ 0x' <<<"$output" | head -20 | sed 's/^/    /'
        failed=$((failed + 1))
    fi
done
echo "$replayed reproducers replayed, $failed failed"
[[ $failed -eq 0 ]]
