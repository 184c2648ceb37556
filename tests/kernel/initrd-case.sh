#!/usr/bin/env bash
# Boot tests around the initrd that need an image made on the spot.
# usage: initrd-case.sh files|corrupt|truncated USERLAND_DIR -- QEMU-RUN-ARGS... (the kernel last)
#   files      `make run FILES=dir`: a temporary dir with known files goes under /home; the
#              console lists and prints them
#   corrupt    a header checksum of the image is broken: the kernel logs the loader's error,
#              keeps an empty root and still reaches the prompt
#   truncated  the image stops in the middle of a file: the same
set -uo pipefail
mode=$1 userland=$2
shift 2
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make_initrd=("$here/../../tools/make-initrd" --userland "$userland" --stage "$work/stage")
expect=("$here/boot-expect.sh")
case "$mode" in
  files)
    mkdir -p "$work/files/notes"
    printf 'hello from a FILES dir\nsecond line\n' >"$work/files/notes/hello.txt"
    printf 'top level\n' >"$work/files/top.txt"
    # Output limits: a directory above 1000 entries, a file above 64 KiB, a name with a
    # control byte (shown as '?').
    mkdir -p "$work/files/many"
    (cd "$work/files/many" && for i in $(seq 1 1005); do : >"f$i"; done)
    head -c 70000 /dev/zero | tr '\0' 'x' >"$work/files/big.txt"
    : >"$work/files/bad$(printf '\001')name"
    "${make_initrd[@]}" --files "$work/files" "$work/initrd.tar" >/dev/null || exit 1
    "${expect[@]}" --status 0 \
      --input "ls /home\\nls /home/notes\\ncat /home/notes/hello.txt\\ncat /home/top.txt\\ncat /home/missing.txt\\ncat /home/notes\\nls /home/many\\ncat /home/big.txt\\nls /home/top.txt/x\\npoweroff\\n" \
      --expect "initrd: [0-9]+ files, [0-9]+ bytes" \
      --expect "dir +[0-9]+  notes/" \
      --expect "file +10  top.txt" \
      --expect "file +35  hello.txt" \
      --expect "^hello from a FILES dir$" \
      --expect "^second line$" \
      --expect "^top level$" \
      --expect "cat: /home/missing.txt: no such file or directory" \
      --expect "cat: /home/notes: is a directory" \
      --expect "file +0  bad\\?name$" \
      --expect "listing stopped after 1000 entries" \
      --expect "cat: stopped after 65536 of 70000 bytes" \
      --expect "ls: /home/top.txt/x: not a directory" \
      --expect "powering off" \
      -- --initrd "$work/initrd.tar" "$@"
    ;;
  corrupt|truncated)
    mkdir -p "$work/files"
    printf 'some data\n' >"$work/files/a.txt"
    "${make_initrd[@]}" --files "$work/files" "$work/initrd.tar" >/dev/null || exit 1
    if [ "$mode" = corrupt ]; then
      # The second header (after ./ , one block) gets a byte of its name changed, so its
      # checksum no longer matches.
      printf 'Z' | dd of="$work/initrd.tar" bs=1 seek=515 conv=notrunc status=none
      error="checksum"
    else
      size=$(stat -c %s "$work/initrd.tar")
      truncate -s $((size / 2 + 100)) "$work/initrd.tar"
      # NOTE: where half the image falls depends on the sizes of the userland programs: in a
      # file's data or in a header. Both are a truncated image, refused.
      error="(past the end of the archive|archive ends inside a header)"
    fi
    "${expect[@]}" --status 0 \
      --input "ls /\\nls /bin\\npoweroff\\n" \
      --expect "initrd: refused \\([0-9]+ bytes at 0x[0-9a-f]+\\): .*$error" \
      --expect "initrd: the root file system is empty" \
      --expect "Wasmkern kernel console" \
      --expect "^0 entries$" \
      --expect "ls: /bin: no such file or directory" \
      --expect "powering off" \
      -- --initrd "$work/initrd.tar" "$@"
    ;;
  *) echo "initrd-case: unknown mode $mode" >&2; exit 2 ;;
esac
