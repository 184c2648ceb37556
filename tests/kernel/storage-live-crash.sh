#!/usr/bin/env bash
# The live mount after a cut-off machine: the shell writes /data/keep.txt, then dbtest commits
# transactions in a loop (append, fsync, new index, fsync, rename, fsync of the directory),
# printing each one after its last fsync returned, until QEMU is killed. On the host
# `e2fsck -fp` must repair the image without asking (exit 0 or 1), `e2fsck -fn` must then find
# it clean, and every transaction reported committed must be intact in the store (and
# /data/keep.txt, which an fsync after it flushed, must hold its text); a second boot must
# read the store back in the OS.
# usage: storage-live-crash.sh KERNEL.elf INITRD.tar [QEMU-RUN-ARGS...] (the test initrd: dbtest)
set -uo pipefail
kernel=$1 initrd=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "storage-live-crash: $*"; [ -f "$work/transcript" ] && tail -20 "$work/transcript"; exit 1; }
source "$here/ext2-image.sh"
need_e2fsprogs mke2fs e2fsck debugfs
source "$here/transcript-checks.sh"

image=$work/disk.img
new_ext2_image "$image" 64M 1024

# Killed by qemu-run's timeout (status 124) while dbtest commits (the last --timeout wins).
printf 'echo kept across the crash > /data/keep.txt\n/bin/dbtest loop /data/db\n' >"$work/input"
run_boot "$@" --disk "$image" --initrd "$initrd" --timeout 60 "$kernel"
[ "$status" = 124 ] || fail "the crash boot ended with status $status, expected the timeout's 124"
grep -Eq "PANIC|panic|dbtest: " "$work/transcript" && fail "the crash boot reported an error"
committed=$(grep -Eo "^committed [0-9]+$" "$work/transcript" | tail -1 | cut -d' ' -f2)
[ -n "$committed" ] && [ "$committed" -ge 3 ] || fail "fewer than 3 transactions committed before the kill (${committed:-none})"

if debugfs -R stats "$image" 2>/dev/null | grep -q "Filesystem state: *not clean"; then
  e2fsck -fp "$image" >"$work/repair" 2>&1
  repair=$?
  [ "$repair" -le 1 ] || fail "e2fsck -fp could not repair it (status $repair): $(cat "$work/repair")"
else
  fail "the image cut off mid-commit says clean"
fi
check=$(e2fsck -fn "$image" 2>&1) || fail "not clean after the repair: $check"
[ "$(debugfs -R 'cat /keep.txt' "$image" 2>/dev/null)" = "kept across the crash" ] || fail "/keep.txt lost its text"
debugfs -R "dump /db/index $work/index" "$image" >/dev/null 2>&1
debugfs -R "dump /db/log $work/log" "$image" >/dev/null 2>&1
result=$(python3 "$here/dbtest_check.py" "$work/index" "$work/log" "$committed") ||
  fail "after $committed reported commits: $result"
stored=${result%% *}

printf '/bin/dbtest check /data/db\n/bin/poweroff 3\n' >"$work/input"
run_boot "$@" --disk "$image" --initrd "$initrd" "$kernel"
[ "$status" = 3 ] || fail "the reading boot ended with status $status"
grep -q "^check ok: $stored transactions" "$work/transcript" || fail "the OS does not read back $stored transactions"
sed "s/^/  e2fsck: /" "$work/repair"
echo "storage-live-crash: $committed reported committed, $stored in the repaired store (e2fsck -fp status $repair)"
