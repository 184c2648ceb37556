#!/usr/bin/env bash
# ext2 at /data (the live mount, read here): the host makes an image with `mke2fs -t ext2 -d TREE` (1 KiB blocks,
# so a 300 KiB file reaches double indirect blocks and a sparse file with data at 70 MiB
# reaches triple indirect ones), the OS boots with it and reads it back from the console
# (`ls`, `cat`) and from wasm programs (`cksum`, `ls`, `stat`, `hexdump`): the sums must equal
# the host's. Then hostile images (no magic, a superblock whose block count passes the disk,
# and damaged entries: a bad rec_len, an indirect block outside the disk, one pointing at
# itself, a directory entry naming an ancestor): each boot must log a clear message; a damaged
# entry reads as an I/O error (the first damage found makes the volume read-only, logged),
# the rest stays readable, the loop is just another path, and the image is not changed.
# usage: storage-ext2.sh KERNEL.elf INITRD.tar [QEMU-RUN-ARGS...]
set -uo pipefail
kernel=$1 initrd=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "storage-ext2: $*"; exit 1; }
source "$here/ext2-image.sh"
need_e2fsprogs mke2fs debugfs
boot() { "$here/boot-expect.sh" --status 0 "$@"; }

# ---- the tree ----
tree=$work/tree
mkdir -p "$tree/dir/sub/deeper"
printf 'hello from ext2\n' >"$tree/hello.txt"
python3 - "$tree" <<'PY' || fail "could not make the tree"
import os, random, sys
tree = sys.argv[1]
rng = random.Random(18)
with open(os.path.join(tree, "big"), "wb") as f:          # 300 KiB: direct, indirect, double
    f.write(bytes(rng.getrandbits(8) for _ in range(300 * 1024 + 123)))
with open(os.path.join(tree, "dir/medium"), "wb") as f:   # 20 KiB: direct and indirect
    f.write(bytes(rng.getrandbits(8) for _ in range(20 * 1024)))
with open(os.path.join(tree, "sparse"), "wb") as f:       # holes; data at 0, 1 MiB and 70 MiB
    f.write(b"start of the sparse file\n")
    f.seek(1 << 20); f.write(b"one mebibyte in\n")
    f.seek(70 << 20); f.write(b"triple indirect data\n")
    f.truncate((70 << 20) + 4096)
with open(os.path.join(tree, "dir/sub/deeper/nested.txt"), "w") as f:
    f.write("nested three deep\n")
PY
ln -s hello.txt "$tree/fastlink"
# Above 60 bytes: kept in a data block (a "slow" symlink), not in the inode.
slow_target="dir/$(printf './%.0s' $(seq 1 30))sub/deeper/nested.txt"
ln -s "$slow_target" "$tree/slowlink"
ln "$tree/hello.txt" "$tree/dir/hardlink"
touch -d @1700000000 "$tree/hello.txt"
image=$work/good.img
new_ext2_image "$image" 16M 1024 "$tree"
debugfs -R "stat /sparse" "$image" 2>/dev/null | grep -q "TIND" || fail "the sparse file has no triple indirect block"

sums=()
for name in big hello.txt dir/medium dir/hardlink dir/sub/deeper/nested.txt; do
  read -r crc size _ < <(cd "$tree" && cksum "$name")
  sums+=(--expect "^$crc $size /data/$name\$")
done
sparse_sum=$(cd "$tree" && cksum sparse | cut -d' ' -f1,2)

boot --input "ls /data\nls /data/dir/sub/deeper\ncat /data/hello.txt\ncat /data/fastlink\ncat /data/slowlink\nrun /bin/cksum /data/big /data/hello.txt /data/dir/medium /data/dir/hardlink /data/dir/sub/deeper/nested.txt\nrun /bin/cksum /data/sparse\nrun /bin/stat -c %n:%s:%h:%F:%Y /data/hello.txt /data/big /data/sparse /data/slowlink /data/fastlink\nrun /bin/hexdump -C -s 73400320 -n 20 /data/sparse\nrun /bin/ls /data/dir\npoweroff\n" \
  --expect "ext2: vda: 16384 blocks of 1024 bytes .* revision 1, compat 0x38 \(ext_attr resize_inode dir_index\) incompat 0x2 \(filetype\) ro_compat 0x3 \(sparse_super large_file\)" \
  --expect "ext2: vda at /data \\(read-write, live" \
  --expect "^  file +307323  big$" \
  --expect "^  dir +[0-9]+  dir/$" \
  --expect "^  file +18  nested.txt$" \
  --expect "^hello from ext2$" \
  --expect "^nested three deep$" \
  "${sums[@]}" \
  --expect "^$sparse_sum /data/sparse$" \
  --expect "^/data/hello.txt:16:2:regular file:1700000000$" \
  --expect "^/data/big:307323:1:regular file:" \
  --expect "^/data/sparse:73404416:1:regular file:" \
  --expect "^/data/slowlink:${#slow_target}:1:symbolic link:" \
  --expect "^/data/fastlink:9:1:symbolic link:" \
  --expect "^04600000  74 72 69 70 6c 65 20 69  6e 64 69 72 65 63 74 20  \|triple indirect \|" \
  --expect "^hardlink$" \
  --reject "ext2: skipped|not mounted|stopped|error:" \
  -- "$@" --disk "$image" --initrd "$initrd" --append console "$kernel" || fail "good image"

# ---- hostile images ----
# No ext2 magic: not mounted, the console works.
cp "$image" "$work/nomagic.img"
printf '\0\0' | dd of="$work/nomagic.img" bs=1 seek=$((1024 + 56)) conv=notrunc status=none
boot --input "ls /data\npoweroff\n" \
  --expect "ext2: vda not mounted: ext2: no ext2 magic" \
  --expect "ls: /data: no such file or directory" \
  -- "$@" --disk "$work/nomagic.img" --initrd "$initrd" --append console "$kernel" || fail "image without magic"

# A superblock claiming more blocks than the disk has.
cp "$image" "$work/bigcount.img"
printf '\xff\xff\xff\x00' | dd of="$work/bigcount.img" bs=1 seek=$((1024 + 4)) conv=notrunc status=none
boot --input "ls /data\npoweroff\n" \
  --expect "ext2: vda not mounted: ext2: block count larger than the disk" \
  -- "$@" --disk "$work/bigcount.img" --initrd "$initrd" --append console "$kernel" || fail "image with a bad block count"

# Entry-level damage: each bad entry is an I/O error, the rest is there.
bad=$work/damaged.img
cp "$image" "$bad"
block_of() { debugfs -R "bmap $1 $2" "$bad" 2>/dev/null; }
# /dir/sub's first block: the first entry's rec_len becomes 6 (below 8).
sub_block=$(block_of /dir/sub 0)
printf '\x06\x00' | dd of="$bad" bs=1 seek=$((sub_block * 1024 + 4)) conv=notrunc status=none
# /big's indirect block (i_block[12]) points outside the disk: read the inode's place.
read -r big_inode_block big_inode_offset < <(debugfs -R "imap /big" "$bad" 2>/dev/null |
  sed -n 's/.*located at block \([0-9]*\), offset \(0x[0-9a-f]*\).*/\1 \2/p')
[ -n "$big_inode_block" ] || fail "debugfs imap gave nothing"
printf '\x00\x00\xf0\x00' | dd of="$bad" bs=1 seek=$((big_inode_block * 1024 + big_inode_offset + 40 + 12 * 4)) conv=notrunc status=none
# /dir/medium's indirect block names itself in its first slot.
medium_ind=$(debugfs -R "stat /dir/medium" "$bad" 2>/dev/null | sed -n 's/.*(IND):\([0-9]*\).*/\1/p')
[ -n "$medium_ind" ] || fail "no indirect block for /dir/medium"
python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<I', $medium_ind))" |
  dd of="$bad" bs=1 seek=$((medium_ind * 1024)) conv=notrunc status=none
# A second name of /dir inside /dir: a loop for anything that walks the tree.
debugfs -w -R "ln /dir /dir/loop" "$bad" >/dev/null 2>&1 || fail "debugfs ln failed"
cp "$bad" "$work/damaged-before.img"
boot --input "run /bin/ls /data/dir/sub\nrun /bin/cksum /data/dir/medium\ncat /data/hello.txt\nrun /bin/cksum /data/hello.txt\nrun /bin/ls /data/dir/loop/loop/loop\nrun /bin/cksum /data/big\nrun /bin/touch /data/new\npoweroff\n" \
  --expect "^ls: /data/dir/sub: I/O error$" \
  --expect "error: ext2: /data is read-only from now on: ext2: indirect block points at itself" \
  --expect "^cksum: /data/dir/medium: I/O error$" \
  --expect "^hello from ext2$" \
  --expect "^[0-9]+ 16 /data/hello.txt$" \
  --expect "^medium$" \
  --expect "^cksum: /data/big: I/O error$" \
  --expect "^touch: /data/new: Read-only file system$" \
  --reject "PANIC|panic" \
  -- "$@" --disk "$bad" --initrd "$initrd" --append console "$kernel" || fail "damaged image"
# Damage is found while reading; nothing is written to a damaged image.
cmp -s "$bad" "$work/damaged-before.img" || fail "the damaged image was changed"
echo "storage-ext2: ok"
