#!/usr/bin/env bash
# Boots the kernel and drives /bin/sh interactively (reading its answers before typing on):
# `sleep 60 &` must print [PID]; `ps` must list that PID as a child of the shell running
# sleep; `kill PID` then `wait PID` must report it killed (status 137); `poweroff 7` ends
# QEMU with status 7. Every step has a deadline; the transcript is printed on failure.
# usage: boot-jobs.sh USERLAND_DIR -- QEMU-RUN-ARGS... (the kernel last)
set -uo pipefail
userland=$1
shift
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
transcript=$work/transcript
qemu_pid=""
cleanup() {
  # On a failure QEMU is still running: qemu-run's children (QEMU, or the `timeout` that
  # runs it in a process group of its own and passes the signal on), then qemu-run.
  if [ -n "$qemu_pid" ]; then
    for child in $(pgrep -P "$qemu_pid"); do kill "$child" 2>/dev/null; done
    kill "$qemu_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
"$here/../../tools/make-initrd" --userland "$userland" --stage "$work/stage" "$work/initrd.tar" >/dev/null || exit 1

fail() {
  echo "boot-jobs: $*"
  echo "----- transcript -----"
  cat -A "$transcript"
  exit 1
}

session_timeout=60
. "$here/qemu-session.sh"
start_session "$@" --initrd "$work/initrd.tar"

# The console keeps what is typed before the shell reads it, so typing starts at once.
type_line "sleep 60 &"
wait_for '^\[([0-9]+)\]$'
pid=${BASH_REMATCH[1]}
type_line "ps"
wait_for "^ +$pid +([0-9]+) +(running|blocked) .* sleep$"
parent=${BASH_REMATCH[1]}
grep -Eq "^ +$parent +[0-9]+ +[a-z]+ .* sh"$'\r'"?$" "$transcript" || fail "ps: the parent of sleep ($parent) is not sh"
type_line "kill $pid"
type_line "wait $pid"
# Reported by `wait`, or before the prompt if the shell saw it exit first: either way once.
wait_for "^\[$pid\] done, status 137 \(killed\)$"
type_line "poweroff 7"
wait "$qemu_pid"
status=$?
qemu_pid=""
cp "$work/from_qemu" "$transcript"
[ "$status" = 7 ] || fail "qemu-run exited with $status, expected 7 (from poweroff 7)"
[ "$(grep -c "done, status" "$transcript")" = 1 ] || fail "the background program was reported more than once"
echo "boot-jobs: ok (sleep was process $pid, child of $parent)"
