#!/usr/bin/env bash
# tools/make-initrd with --files (make run FILES=dir): subfolders, hidden files and odd names
# arrive under home/ as they are; fifos are left out with a warning; a missing or non-directory
# FILES is a clear error and writes nothing.
# usage: make-initrd-test.sh USERLAND_DIR
set -uo pipefail
userland=$1
here=$(cd "$(dirname "$0")" && pwd)
make_initrd=$here/../../tools/make-initrd
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

files=$work/files
mkdir -p "$files/sub dir/deeper" "$files/.hidden"
printf 'deep\n' >"$files/sub dir/deeper/with spaces.txt"
printf 'dash\n' >"$files/-rf"
printf 'utf8\n' >"$files/ünï cödé"
printf 'newline\n' >"$files/new
line"
printf 'quotes\n' >"$files/quote'\"s"
: >"$files/.hidden/.x"
ln -s "sub dir" "$files/link"
mkfifo "$files/fifo"

"$make_initrd" --userland "$userland" --files "$files" --stage "$work/stage" "$work/initrd.tar" \
  >"$work/out" 2>"$work/err" || fail "make-initrd failed: $(cat "$work/err")"
grep -q "skipping home/fifo" "$work/err" || fail "no warning about the fifo: $(cat "$work/err")"
listing=$(tar --quoting-style=escape -tvf "$work/initrd.tar")
for entry in './home/sub dir/deeper/with spaces.txt' './home/-rf' './home/ünï cödé' './home/new\nline' \
    "./home/quote'\"s" './home/.hidden/.x' './home/link -> sub dir' './bin/sh' './bin/ls' './bin/hello'; do
  grep -qF -- "$entry" <<<"$listing" || fail "missing from the image: $entry"
done
grep -q fifo <<<"$listing" && fail "the fifo is in the image"
content=$(tar -xOf "$work/initrd.tar" "./home/sub dir/deeper/with spaces.txt")
[ "$content" = deep ] || fail "wrong content: '$content'"
grep -q '^-.* ./bin/sh$' <<<"$listing" || fail "/bin/sh is not a regular file"

rm -f "$work/x.tar"
if "$make_initrd" --files "$work/nope" "$work/x.tar" 2>"$work/err"; then fail "a missing FILES succeeded"; fi
grep -qx "make-initrd: FILES=$work/nope does not exist" "$work/err" || fail "missing FILES: $(cat "$work/err")"
if "$make_initrd" --files "$files/-rf" "$work/x.tar" 2>"$work/err"; then fail "a file as FILES succeeded"; fi
grep -qx "make-initrd: FILES=$files/-rf is not a directory" "$work/err" || fail "file FILES: $(cat "$work/err")"
[ ! -e "$work/x.tar" ] || fail "a failed run wrote an image"

[ "$failures" -eq 0 ] && echo "make-initrd: ok"
exit $((failures > 0))
