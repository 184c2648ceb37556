#!/usr/bin/env bash
# ext2 writes in the OS: the console's `ext2` command changes a fresh `mke2fs -t ext2` image
# through fs::ext2::Volume over virtio-blk (directories, files, a rename, a symlink, removals,
# an 8 MiB write+read benchmark), the OS powers off, and on the host `e2fsck -fn` must find
# the image clean and `debugfs` must show what was written; a second boot must read it back
# at /data (live; the writing boot has it as vdb behind a blank vda, as the console's `ext2`
# command refuses the disk mounted at /data). A third boot refuses writes to an image whose superblock says it has errors.
# usage: storage-ext2-write.sh KERNEL.elf INITRD.tar [QEMU-RUN-ARGS...]
set -uo pipefail
kernel=$1 initrd=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "storage-ext2-write: $*"; exit 1; }
source "$here/ext2-image.sh"
need_e2fsprogs mke2fs e2fsck debugfs
boot() { "$here/boot-expect.sh" --status 0 "$@"; }

image=$work/disk.img
new_ext2_image "$image" 32M 1024
# The console's `ext2` command refuses the disk that is live at /data (vda): the image goes in
# as vdb behind a blank first disk.
blank=$work/blank.img
truncate -s 1M "$blank"
free_before=$(debugfs -R stats "$image" 2>/dev/null | sed -n 's/^Free blocks: *//p')

boot --input "ext2 mkdir vdb /notes\next2 write vdb /notes/a.txt hello from the console\next2 write vdb /gone.txt soon removed\next2 mkdir vdb /tmpdir\next2 mv vdb /notes/a.txt /notes/b.txt\next2 ln vdb notes/b.txt /link\next2 rm vdb /gone.txt\next2 rm vdb /tmpdir\next2 bench vdb 8\next2 rm vdb /notes\npoweroff\n" \
  --expect "^ext2: mkdir done$" \
  --expect "^ext2: write done$" \
  --expect "^ext2: mv done$" \
  --expect "^ext2: ln done$" \
  --expect "^ext2: rm done$" \
  --expect "^ext2: bench 8 MiB: write\+flush [0-9]+ ms \([0-9]+ MB/s\), read [0-9]+ ms \([0-9]+ MB/s\), 0 bytes differ" \
  --expect "^ext2: bench remove done$" \
  --expect "^ext2: rm: directory not empty$" \
  --expect "^ext2: unmount done$" \
  --reject "PANIC|panic|ext2: .*: input/output error|ext2: vdb is read-only" \
  -- "$@" --disk "$blank" --disk "$image" --initrd "$initrd" --append console "$kernel" || fail "writing boot"

check=$(e2fsck -fn "$image" 2>&1) || fail "e2fsck -fn is not clean: $check"
[ "$(debugfs -R 'cat /notes/b.txt' "$image" 2>/dev/null)" = "hello from the console" ] || fail "/notes/b.txt does not hold the text"
debugfs -R 'stat /link' "$image" 2>/dev/null | grep -q 'Fast link dest: "notes/b.txt"' || fail "/link is not the symlink"
for gone in /notes/a.txt /gone.txt /tmpdir /bench; do
  debugfs -R "stat $gone" "$image" 2>&1 | grep -q "File not found" || fail "$gone is still there"
done
free_after=$(debugfs -R stats "$image" 2>/dev/null | sed -n 's/^Free blocks: *//p')
# /notes holds one directory block and b.txt one data block: everything else came back.
[ "$free_after" -eq "$((free_before - 2))" ] || fail "free blocks $free_before before, $free_after after (expected 2 fewer)"
debugfs -R stats "$image" 2>/dev/null | grep -q "Filesystem state: *clean" || fail "the superblock is not marked clean"

boot --input "cat /data/notes/b.txt\ncat /data/link\nls /data\next2 write vda /refused live\npoweroff\n" \
  --expect "^ext2: vda is mounted at /data: change it through the files there$" \
  --expect "ext2: vda at /data \\(read-write, live" \
  --expect "^hello from the console$" \
  --reject "ext2: skipped|PANIC|panic" \
  -- "$@" --disk "$image" --initrd "$initrd" --append console "$kernel" || fail "reading boot"

# An image whose superblock says it has errors: read, never written.
printf '\x02\x00' | dd of="$image" bs=1 seek=$((1024 + 58)) conv=notrunc status=none
boot --input "ext2 write vdb /x refused\npoweroff\n" \
  --expect "^ext2: vdb is read-only: ext2: the superblock says the file system has errors" \
  --reject "PANIC|panic" \
  -- "$@" --disk "$blank" --disk "$image" --initrd "$initrd" --append console "$kernel" || fail "image with errors"
debugfs -R 'stat /x' "$image" 2>&1 | grep -q "File not found" || fail "/x was written to an image with errors"
echo "storage-ext2-write: ok"
