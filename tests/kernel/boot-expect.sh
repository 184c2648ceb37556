#!/usr/bin/env bash
# Boots the kernel with INPUT piped to its serial console and checks the run.
# usage: boot-expect.sh --status N [--input TEXT] [--expect REGEX]... [--reject REGEX]... -- QEMU-RUN-ARGS...
# Passes when qemu-run exits with status N, every --expect pattern (grep -E) occurs in the
# output and no --reject pattern does. Prints the whole transcript on failure.
set -uo pipefail
status_wanted="" input="" expects=() rejects=()
while [ $# -gt 0 ]; do
  case "$1" in
    --status) status_wanted=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    --reject) rejects+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "boot-expect: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$status_wanted" ] || { echo "boot-expect: --status is required" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
transcript=$(mktemp)
trap 'rm -f "$transcript"' EXIT
printf '%b' "$input" | "$here/../../tools/qemu-run" "$@" >"$transcript" 2>&1
status=$?
# Serial output has CRLF line ends; the patterns see plain lines.
sed -i 's/\r$//' "$transcript"
ok=1
if [ "$status" != "$status_wanted" ]; then
  echo "boot-expect: qemu-run exited with $status, expected $status_wanted"
  ok=0
fi
for pattern in "${expects[@]}"; do
  if ! grep -Eq -- "$pattern" "$transcript"; then
    echo "boot-expect: missing from the output: $pattern"
    ok=0
  fi
done
for pattern in "${rejects[@]}"; do
  if grep -Eq -- "$pattern" "$transcript"; then
    echo "boot-expect: must not appear in the output: $pattern"
    ok=0
  fi
done
if [ $ok = 1 ]; then
  grep -E "passed, .* failed|boot: first instruction" "$transcript" || true
  echo "boot-expect: ok"
  exit 0
fi
echo "----- transcript -----"
cat "$transcript"
exit 1
