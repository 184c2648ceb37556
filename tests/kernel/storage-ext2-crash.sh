#!/usr/bin/env bash
# ext2 after a cut-off machine: the console writes /keep.txt (flushed and marked clean when the
# command returns), then runs 900 MiB `ext2 bench`es one after another (each writes, flushes,
# reads and removes /bench) until QEMU is killed after 40 s, in the middle of one of them.
# On the host, `e2fsck -fp` must repair the image without asking (exit 0 or 1), a second
# `e2fsck -fn` must then find it clean, and /keep.txt must hold its text.
# usage: storage-ext2-crash.sh KERNEL.elf INITRD.tar [QEMU-RUN-ARGS...] (the last --timeout wins)
set -uo pipefail
kernel=$1 initrd=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "storage-ext2-crash: $*"; exit 1; }
source "$here/ext2-image.sh"
need_e2fsprogs mke2fs e2fsck debugfs

image=$work/disk.img
new_ext2_image "$image" 1G 4096
# vdb behind a blank vda: the console's `ext2` command refuses the disk live at /data.
blank=$work/blank.img
truncate -s 1M "$blank"

# Killed by qemu-run's timeout (status 124): 12 benches take far longer than 40 s.
benches=$(printf 'ext2 bench vdb 900\\n%.0s' $(seq 12))
"$here/boot-expect.sh" --status 124 --input "ext2 write vdb /keep.txt kept across the crash\n$benches" \
  --expect "^ext2: write done$" \
  --expect "^ext2: unmount done$" \
  --reject "PANIC|panic|input/output error" \
  -- "$@" --disk "$blank" --disk "$image" --initrd "$initrd" --append console --timeout 40 "$kernel" || fail "the crash boot"

# NOTE: a kill in the few milliseconds between one bench's unmount and the next one's first
# write-back leaves a clean image; then it must simply be clean.
if ! debugfs -R stats "$image" 2>/dev/null | grep -q "Filesystem state: *not clean"; then
  check=$(e2fsck -fn "$image" 2>&1) || fail "marked clean but not clean: $check"
  echo "storage-ext2-crash: killed between two benches; the image is clean"
  exit 0
fi
e2fsck -fp "$image" >"$work/repair" 2>&1
status=$?
[ "$status" -le 1 ] || fail "e2fsck -fp could not repair it (status $status): $(cat "$work/repair")"
check=$(e2fsck -fn "$image" 2>&1) || fail "not clean after the repair: $check"
[ "$(debugfs -R 'cat /keep.txt' "$image" 2>/dev/null)" = "kept across the crash" ] || fail "/keep.txt lost its text"
sed "s/^/  e2fsck: /" "$work/repair"
echo "storage-ext2-crash: repaired (e2fsck -fp status $status), /keep.txt intact"
