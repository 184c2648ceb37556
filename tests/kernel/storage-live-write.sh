#!/usr/bin/env bash
# The live ext2 mount at /data: wasm programs (mkdir, shell redirection, cp, touch, mv, rm and
# dbtest, a transactional key-value store that appends, fsyncs and renames its index over the
# old one) change a fresh `mke2fs -t ext2` image; after `poweroff` the host's `e2fsck -fn`
# must find it clean and marked clean, and `debugfs` must show exactly what was written; a
# second boot reads it back in the OS (cat, ls -l, dbtest check) and commits more.
# With --intx the disk has no MSI-X (QEMU's vectors=0): its interrupts must come through the
# I/O APIC (INTx), and every boot checks that they do.
# usage: storage-live-write.sh [--intx] KERNEL.elf INITRD.tar [QEMU-RUN-ARGS...] (the test initrd: dbtest)
set -uo pipefail
intx_expect=()
intx_args=()
if [ "${1:-}" = --intx ]; then
  intx_expect=(--expect "storage: vda: no MSI-X capability; interrupts through INTx \(GSI 2[0-3], vector 0x50\)"
               --expect "storage: vda: virtio-blk at .*, INTx interrupts$")
  intx_args=(--disk-options ",vectors=0")
  shift
fi
kernel=$1 initrd=$2
shift 2
set -- "$@" "${intx_args[@]}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "storage-live-write: $*"; exit 1; }
source "$here/ext2-image.sh"
need_e2fsprogs mke2fs e2fsck debugfs
# Without `console` the kernel starts /bin/sh on the serial console; `poweroff 3` is the
# userland program (wasmkern.poweroff), which unmounts /data first.
boot() { "$here/boot-expect.sh" --status 3 "${intx_expect[@]}" "$@"; }

image=$work/disk.img
new_ext2_image "$image" 32M 1024

boot --input '/bin/mkdir /data/notes
echo hello from the shell > /data/notes/a.txt
/bin/cp /data/notes/a.txt /data/notes/copy.txt
/bin/touch /data/empty
/bin/mv /data/notes/a.txt /data/notes/moved.txt
echo soon gone > /data/gone.txt
/bin/rm /data/gone.txt
/bin/mkdir /data/tmpdir
/bin/rm -r /data/tmpdir
/bin/dbtest commit /data/db 40
/bin/dbtest check /data/db
/bin/ls -l /data/notes
/bin/poweroff 3
' \
  --expect "ext2: vda at /data \(read-write, live" \
  --expect "^committed 40$" \
  --expect "^check ok: 40 transactions" \
  --expect "moved.txt" \
  --expect "ext2: /data written back and marked clean" \
  --reject "PANIC|panic|input/output error|read-only|check FAILED|dbtest: " \
  -- "$@" --disk "$image" --initrd "$initrd" "$kernel" || fail "writing boot"

check=$(e2fsck -fn "$image" 2>&1) || fail "e2fsck -fn is not clean: $check"
debugfs -R stats "$image" 2>/dev/null | grep -q "Filesystem state: *clean" || fail "the superblock is not marked clean"
[ "$(debugfs -R 'cat /notes/moved.txt' "$image" 2>/dev/null)" = "hello from the shell" ] || fail "/notes/moved.txt does not hold the text"
[ "$(debugfs -R 'cat /notes/copy.txt' "$image" 2>/dev/null)" = "hello from the shell" ] || fail "/notes/copy.txt does not hold the text"
debugfs -R 'stat /empty' "$image" 2>/dev/null | grep -q "Size: 0" || fail "/empty is not an empty file"
for gone in /notes/a.txt /gone.txt /tmpdir /db/index.new; do
  debugfs -R "stat $gone" "$image" 2>&1 | grep -q "File not found" || fail "$gone is still there"
done
debugfs -R "dump /db/index $work/index" "$image" >/dev/null 2>&1
debugfs -R "dump /db/log $work/log" "$image" >/dev/null 2>&1
result=$(python3 "$here/dbtest_check.py" "$work/index" "$work/log" 40) || fail "the store on the disk: $result"
[ "${result%% *}" = 40 ] || fail "the index says ${result%% *} transactions, 40 were committed"

boot --input '/bin/cat /data/notes/moved.txt
/bin/ls -l /data/notes
/bin/dbtest check /data/db
/bin/dbtest commit /data/db 55
/bin/poweroff 3
' \
  --expect "^hello from the shell$" \
  --expect "^file +21  copy.txt$" \
  --expect "^check ok: 40 transactions" \
  --expect "^committed 55$" \
  --reject "PANIC|panic|input/output error|check FAILED|dbtest: " \
  -- "$@" --disk "$image" --initrd "$initrd" "$kernel" || fail "reading boot"
check=$(e2fsck -fn "$image" 2>&1) || fail "e2fsck -fn is not clean after the second boot: $check"
debugfs -R "dump /db/index $work/index" "$image" >/dev/null 2>&1
debugfs -R "dump /db/log $work/log" "$image" >/dev/null 2>&1
result=$(python3 "$here/dbtest_check.py" "$work/index" "$work/log" 55) || fail "the store after the second boot: $result"
echo "storage-live-write: ok ($result)"
