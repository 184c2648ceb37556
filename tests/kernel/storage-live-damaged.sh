#!/usr/bin/env bash
# A live-mounted image damaged in a way found only while writing: group 0's block bitmap is
# zeroed (it says the superblock, descriptors and inode table are free). The image is clean
# and mounts read-write; the first write that allocates a block must fail with an I/O error,
# the kernel must log that /data is read-only from then on, later changes must be refused
# (Read-only file system), reads must still work, and nothing may be written to the disk
# (the image is byte-identical after the boot).
# usage: storage-live-damaged.sh KERNEL.elf INITRD.tar [QEMU-RUN-ARGS...]
set -uo pipefail
kernel=$1 initrd=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "storage-live-damaged: $*"; exit 1; }
source "$here/ext2-image.sh"
need_e2fsprogs mke2fs debugfs

mkdir "$work/tree"
echo "readable before and after" >"$work/tree/old.txt"
image=$work/disk.img
new_ext2_image "$image" 16M 1024 "$work/tree"
bitmap=$(debugfs -R stats "$image" 2>/dev/null | sed -n 's/^ *Group  0: block bitmap at \([0-9]*\).*/\1/p')
[ -n "$bitmap" ] || fail "debugfs gave no block bitmap"
dd if=/dev/zero of="$image" bs=1024 seek="$bitmap" count=1 conv=notrunc status=none
cp "$image" "$work/before.img"

"$here/boot-expect.sh" --status 3 --input '/bin/cat /data/old.txt
/bin/cp /data/old.txt /data/new.txt
echo some data > /data/echoed.txt
/bin/touch /data/later
/bin/mkdir /data/dir
/bin/cat /data/old.txt
/bin/poweroff 3
' \
  --expect "ext2: vda at /data \(read-write, live" \
  --expect "error: ext2: /data is read-only from now on: .*bitmap" \
  --expect "^cp: .*I/O error" \
  --expect "^touch: /data/later: Read-only file system$" \
  --expect "^mkdir: /data/dir: Read-only file system$" \
  --expect "^readable before and after$" \
  --reject "PANIC|panic|marked clean" \
  -- "$@" --disk "$image" --initrd "$initrd" "$kernel" || fail "the damaged boot"
cmp -s "$image" "$work/before.img" || fail "the damaged image was written to"
echo "storage-live-damaged: ok"
