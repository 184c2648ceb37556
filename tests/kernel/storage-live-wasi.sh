#!/usr/bin/env bash
# The WASI corpus programs `files` (create, write, read, seek, truncate, append, rename,
# unlink, stat, pread/pwrite, errors) and `dirs` (mkdir, readdir, rmdir, chdir, errors) run
# on the live mount: /sandbox is a symlink in the initrd to data/sandbox, which the image
# holds with the `files` fixture. Every check must print ok (none FAIL), and after poweroff
# the host's `e2fsck -fn` must find the image clean.
# usage: storage-live-wasi.sh KERNEL.elf TEST-INITRD.tar [QEMU-RUN-ARGS...]
set -uo pipefail
kernel=$1 initrd=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "storage-live-wasi: $*"; exit 1; }
source "$here/ext2-image.sh"
need_e2fsprogs mke2fs e2fsck

mkdir -p "$work/tree/sandbox"
cp "$here/../../userland/corpus/fixtures/files/"* "$work/tree/sandbox/" || fail "no files fixture"
image=$work/disk.img
new_ext2_image "$image" 16M 1024 "$work/tree"
python3 - "$initrd" "$work/initrd.tar" <<'PY' || fail "cannot make the initrd"
import sys, tarfile
with tarfile.open(sys.argv[1]) as source, tarfile.open(sys.argv[2], "w", format=tarfile.USTAR_FORMAT) as out:
    for member in source.getmembers():
        out.addfile(member, source.extractfile(member) if member.isfile() else None)
    link = tarfile.TarInfo("./sandbox")
    link.type = tarfile.SYMTYPE
    link.linkname = "data/sandbox"  # relative: WASI resolves beneath the preopen
    out.addfile(link)
PY

"$here/boot-expect.sh" --status 3 --input '/bin/files
/bin/dirs
/bin/poweroff 3
' \
  --expect "ext2: vda at /data \(read-write, live" \
  --expect "^ok: new name has the data$" \
  --expect "^ok: fixture present$" \
  --expect "^ok: relative rename$" \
  --expect "^ok: rmdir after emptying$" \
  --expect "^0 failures$" \
  --expect "ext2: /data written back and marked clean" \
  --reject "PANIC|panic|^FAIL|^[1-9][0-9]* failures|I/O error|wasm trap" \
  -- "$@" --disk "$image" --initrd "$work/initrd.tar" "$kernel" || fail "the boot"
check=$(e2fsck -fn "$image" 2>&1) || fail "e2fsck -fn is not clean: $check"
echo "storage-live-wasi: ok"
