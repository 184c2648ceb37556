#!/usr/bin/env bash
# Runs corpus programs as processes inside the booted kernel (console `run`) and compares what
# each printed and its exit status with the hosted capture in tests/wasi/expected/CASE.json.
# usage: process-corpus.sh EXPECTED_DIR MANIFEST CASE... -- QEMU-RUN-ARGS... (the kernel last)
# Cases must not need stdin (the console gives programs an empty one), a fixture, or
# arguments with spaces. Serial output interleaves stdout and stderr, so a case's output is
# compared with its stdout followed by its stderr; for "trap" cases the stderr must be the
# kernel's `error: wasm trap: ...` line.
set -uo pipefail
expected_dir=$1 manifest=$2
shift 2
cases=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do cases+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$manifest" "${cases[@]}" >"$work/input" <<'PY' || exit 2
import json, sys
manifest = json.load(open(sys.argv[1]))
for case in sys.argv[2:]:
    entry = manifest[case]
    args = entry.get("args", [])
    if entry.get("stdin") or entry.get("fixture") or any(" " in a or a == "" for a in args):
        sys.exit(f"process-corpus: case {case} cannot run from the console")
    print(" ".join(["run", "/bin/" + entry["program"]] + args))
print("poweroff")
PY

"$here/../../tools/qemu-run" "$@" <"$work/input" >"$work/transcript" 2>&1
status=$?
sed -i 's/\r$//' "$work/transcript"
python3 - "$expected_dir" "$work/transcript" "$status" "${cases[@]}" <<'PY'
import json, re, sys
expected_dir, transcript_path, qemu_status = sys.argv[1], sys.argv[2], int(sys.argv[3])
cases = sys.argv[4:]
lines = open(transcript_path, errors="replace").read().split("\n")
failures = []
if qemu_status != 0:
    failures.append(f"qemu-run exited with {qemu_status}")
# Each run: the prompt line with the command, the program's output, then the status line.
runs = []
i = 0
while i < len(lines):
    if lines[i].startswith("wasmkern> run "):
        output = []
        i += 1
        while i < len(lines) and not re.match(r"^\[process \d+ exited with status \d+\]$", lines[i]):
            if lines[i].startswith("wasmkern> "):
                break
            output.append(lines[i])
            i += 1
        status = None
        if i < len(lines):
            m = re.match(r"^\[process \d+ exited with status (\d+)\]$", lines[i])
            status = int(m.group(1)) if m else None
        runs.append(("\n".join(output) + "\n" if output else "", status))
    i += 1
if len(runs) != len(cases):
    failures.append(f"{len(runs)} runs in the transcript for {len(cases)} cases")
for case, (output, status) in zip(cases, runs):
    expected = json.load(open(f"{expected_dir}/{case}.json"))
    if status != expected["status"]:
        failures.append(f"{case}: status {status}, expected {expected['status']}")
    if expected["stderr"] == "<trap message>":
        want = expected["stdout"]
        if not output.startswith(want) or not re.fullmatch(r"error: wasm trap: [a-z ]+\n", output[len(want):]):
            failures.append(f"{case}: output {output!r}, expected {want!r} and a trap message")
        else:
            print(f"process-corpus: {case} ok (status {status}, {output[len(want):].strip()})")
    elif output != expected["stdout"] + expected["stderr"]:
        failures.append(f"{case}: output differs\n--- got\n{output}--- expected\n{expected['stdout']}{expected['stderr']}")
    else:
        print(f"process-corpus: {case} ok (status {status})")
if failures:
    print("\n".join(failures))
    print("----- transcript -----")
    print("\n".join(lines))
    sys.exit(1)
print("process-corpus: ok")
PY
