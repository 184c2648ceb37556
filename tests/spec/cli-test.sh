#!/usr/bin/env bash
# Command-line behaviour of `wasmkern`: exit statuses, error formats, and that
# wat2wasm output validates and dumps. Usage: cli-test.sh WASMKERN WORKDIR
set -u
wasmkern=$1
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
failures=0

# expect STATUS PATTERN CMD...: CMD exits with STATUS and its stdout+stderr matches PATTERN.
expect() {
    local status=$1 pattern=$2
    shift 2
    local output actual
    output=$("$@" 2>&1)
    actual=$?
    if [[ $actual -ne $status ]] || ! grep -Eq -- "$pattern" <<<"$output"; then
        echo "FAIL: $* -> exit $actual (want $status), output:"
        sed 's/^/    /' <<<"$output"
        echo "    (want /$pattern/)"
        failures=$((failures + 1))
    fi
}

printf '(module (func (export "f") (param i32) (result i32) local.get 0)\n  (memory 1) (global (mut i64) (i64.const 0)))\n' > ok.wat
printf '(module\n  (func (result i32)\n    i32.const 1\n    i32.frob))\n' > syntax.wat
printf '(module (func (result i32) i64.const 1))\n' > invalid.wat
printf '\0asm\1\0\0\0\1\5' > truncated.wasm
printf 'not wasm at all' > junk.wasm
printf '(module (func (export "f") (result i32) i32.const 7))\n(assert_invalid (module (func (result i32) i64.const 1)) "type mismatch")\n(assert_return (invoke "f") (i32.const 7))\n(module (tag $e) (func (block (try_table (catch_all 0) (throw $e)))))\n' > pass.wast
printf '(module (func (export "f") unreachable))\n(assert_return (invoke "f"))\n' > trap.wast
printf '(module)\n(assert_invalid (module) "type mismatch")\n' > fail.wast
printf '(module)\n(assert_bogus)\n' > unparsable.wast

expect 0 '^usage: wasmkern' "$wasmkern" --help
expect 0 '^usage: wasmkern' "$wasmkern" help
expect 2 'missing command' "$wasmkern"
expect 2 "unknown command 'frobnicate'" "$wasmkern" frobnicate
expect 2 "unknown option '--frob'" "$wasmkern" --frob
for command in validate wat2wasm dump wast; do
    expect 0 "^usage: wasmkern $command" "$wasmkern" $command --help
    expect 0 "^usage: wasmkern $command" "$wasmkern" help $command
    expect 2 "unknown option '--bogus'" "$wasmkern" $command --bogus x
    expect 2 'missing' "$wasmkern" $command
done
expect 2 "unknown command 'bogus'" "$wasmkern" help bogus

expect 0 '^ok$' "$wasmkern" validate ok.wat
expect 1 '^syntax.wat:4:5: ' "$wasmkern" validate syntax.wat
expect 1 '^invalid.wat: offset 0x[0-9a-f]+: type mismatch' "$wasmkern" validate invalid.wat
expect 1 '^truncated.wasm: offset 0x[0-9a-f]+: ' "$wasmkern" validate truncated.wasm
expect 1 '^junk.wasm: offset 0x0: ' "$wasmkern" validate junk.wasm
expect 1 '^missing.wasm: cannot read: No such file' "$wasmkern" validate missing.wasm
expect 1 'cannot read: is a directory' "$wasmkern" validate .
expect 1 'ok.wat: ok' "$wasmkern" validate ok.wat invalid.wat

expect 2 'missing -o' "$wasmkern" wat2wasm ok.wat
expect 2 '-o needs a file name' "$wasmkern" wat2wasm ok.wat -o
expect 0 '^$' "$wasmkern" wat2wasm ok.wat -o ok.wasm
expect 0 '^ok$' "$wasmkern" validate ok.wasm
if [[ "$(head -c 4 ok.wasm | od -An -tx1 | tr -d ' ')" != 0061736d ]]; then
    echo "FAIL: ok.wasm does not start with the binary magic"
    failures=$((failures + 1))
fi
expect 1 '^syntax.wat:4:5: ' "$wasmkern" wat2wasm syntax.wat -o out.wasm
expect 1 'type mismatch' "$wasmkern" wat2wasm invalid.wat -o out.wasm
expect 0 '^$' "$wasmkern" wat2wasm invalid.wat -o unchecked.wasm --no-check
expect 1 'type mismatch' "$wasmkern" validate unchecked.wasm
expect 1 'cannot write' "$wasmkern" wat2wasm ok.wat -o no/such/dir/out.wasm

expect 0 'type 0: func \(i32\) -> \(i32\)' "$wasmkern" dump ok.wasm
expect 0 '"f" -> func 0' "$wasmkern" dump ok.wat
expect 0 'global 0: mut i64' "$wasmkern" dump ok.wasm
expect 0 'func 0: type 0, 0 locals, 4 bytes' "$wasmkern" dump ok.wasm
expect 0 '0x00000028 code +id 10 size 6' "$wasmkern" dump ok.wasm
expect 0 '^valid$' "$wasmkern" dump ok.wasm
expect 1 'type mismatch' "$wasmkern" dump unchecked.wasm
expect 1 'offset 0x' "$wasmkern" dump truncated.wasm

expect 0 '^4 passed, 0 failed, 0 skipped$' "$wasmkern" wast pass.wast
expect 1 '^trap.wast:2: assert_return: expected results, got trap "unreachable"$' "$wasmkern" wast trap.wast
expect 1 '^fail.wast:2: assert_invalid: expected invalid \("type mismatch"\), got a valid module$' "$wasmkern" wast fail.wast
expect 1 '^5 passed, 1 failed, 0 skipped$' "$wasmkern" wast pass.wast fail.wast
expect 1 '^unparsable.wast:2: script: ' "$wasmkern" wast unparsable.wast
expect 1 'missing.wast: cannot read' "$wasmkern" wast pass.wast missing.wast
expect 0 '^\{"passed":4,"failed":0,"skipped":0,"by_kind":\{"module":\{"passed":2,"failed":0,"skipped":0\},.*"skip_reasons":\{\}' "$wasmkern" wast --json pass.wast
# The compiler tier: both run the same scripts; a bad tier is a usage error.
expect 0 '^4 passed, 0 failed, 0 skipped$' "$wasmkern" wast --tier optimized pass.wast
expect 1 '^trap.wast:2: assert_return: expected results, got trap "unreachable"$' "$wasmkern" wast --tier=optimized trap.wast
expect 0 'function 0 falls back to the baseline: optimising tier: exceptions not supported yet' "$wasmkern" wast --tier optimized --log-fallbacks pass.wast
expect 2 "unknown tier 'fast'" "$wasmkern" wast --tier fast pass.wast
expect 2 'needs a value' "$wasmkern" wast pass.wast --tier
expect 0 '^7$' "$wasmkern" run --tier optimized --invoke f ok.wat 7
expect 2 "unknown tier 'fast'" "$wasmkern" run --tier fast --invoke f ok.wat 7
expect 0 '--tier TIER' "$wasmkern" run --help
# Tier-up: tiered is the default; a function run twice with a budget of 2 is optimised
# (synchronously), and --tier-stats says so; a bad budget is a usage error.
printf '(module (func $sum (export "sum") (param i32) (result i32) (local i32)\n  (loop $l (local.set 1 (i32.add (local.get 1) (local.get 0)))\n    (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))\n  (local.get 1)))\n' > sum.wat
expect 0 'tier-up: 1 hot, 1 optimized, 0 stayed baseline' "$wasmkern" run --tier-threshold 2 --tier-sync --tier-stats --invoke sum sum.wat 100
expect 0 '^5050$' "$wasmkern" run --tier-threshold 2 --tier-sync --invoke sum sum.wat 100
# The loop's counter fires in the first call: it moves to the OSR entry (on-stack replacement).
expect 0 'OSR: 1 compiled, 0 refused, 1 entered, 0 dropped' "$wasmkern" run --tier-threshold 2 --tier-sync --tier-stats --invoke sum sum.wat 100
expect 0 'tier-up: 0 hot, 0 optimized, 0 stayed baseline' "$wasmkern" run --tier baseline --tier-stats --invoke sum sum.wat 100
expect 0 'tier-up: 0 hot' "$wasmkern" run --tier-threshold 1000 --tier-sync --tier-stats --invoke sum sum.wat 100
expect 2 'tier-threshold needs a number' "$wasmkern" run --tier-threshold 0 --invoke sum sum.wat 1
expect 2 'tier-threshold needs a number' "$wasmkern" wast --tier-threshold x pass.wast
expect 0 '^4 passed, 0 failed, 0 skipped$' "$wasmkern" wast --tier tiered --tier-threshold 1 --tier-sync pass.wast
json=$("$wasmkern" wast --json pass.wast fail.wast 2>/dev/null)
if [[ $(wc -l <<<"$json") -ne 1 ]] || ! python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["failed"]==1 and d["by_kind"]["assert_invalid"]=={"passed":1,"failed":1,"skipped":0}' "$json"; then
    echo "FAIL: wast --json is not one object with the counts: $json"
    failures=$((failures + 1))
fi

if [[ $failures -ne 0 ]]; then
    echo "$failures checks failed"
    exit 1
fi
echo "all checks passed"
