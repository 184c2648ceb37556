#!/usr/bin/env bash
# Boots the kernel with the userland programs in /bin and a FILES folder in /home, types a
# session into /bin/sh over the serial console and compares the shell's side of the
# transcript (kernel log lines left out) with what it must be, byte for byte: prompts, the
# echo of line editing, program output and errors. Ends with `poweroff 7` (QEMU status 7).
# usage: boot-shell.sh USERLAND_DIR -- QEMU-RUN-ARGS... (the kernel last)
set -uo pipefail
userland=$1
shift
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/files/notes" "$work/files/tools"
printf 'a note\n' >"$work/files/notes/a.txt"
cp "$userland/echo.wasm" "$work/files/tools/say"
"$here/../../tools/make-initrd" --userland "$userland" --files "$work/files" --stage "$work/stage" \
  "$work/initrd.tar" >/dev/null || exit 1

DEL=$'\x7f' ESC=$'\x1b' CTRL_U=$'\x15' BELL=$'\a'
input="echo hello \"two  words\" 'single'
cd /home
pwd
ls
cat notes/a.txt notes/missing
tools/say run by a relative path
nope
echo abX${DEL}c
rm -r /home${CTRL_U}echo cleared
echo a${ESC}[Db${ESC}[1;5Cc
mkdir made
ls -l
rm -r made
cd ..
ls /nope
time echo timed
poweroff 7
"
erase=$'\b \b'
expected="wasmkern:/\$ echo hello \"two  words\" 'single'
hello two  words single
wasmkern:/\$ cd /home
wasmkern:/home\$ pwd
/home
wasmkern:/home\$ ls
notes/
tools/
wasmkern:/home\$ cat notes/a.txt notes/missing
a note
cat: notes/missing: No such file or directory
wasmkern:/home\$ tools/say run by a relative path
run by a relative path
wasmkern:/home\$ nope
sh: nope: command not found
wasmkern:/home\$ echo abX${erase}c
abc
wasmkern:/home\$ rm -r /home${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}echo cleared
cleared
wasmkern:/home\$ echo abc
abc
wasmkern:/home\$ mkdir made
wasmkern:/home\$ ls -l
dir            -  made/
dir            -  notes/
dir            -  tools/
wasmkern:/home\$ rm -r made
wasmkern:/home\$ cd ..
wasmkern:/\$ ls /nope
ls: /nope: No such file or directory
wasmkern:/\$ time echo timed
timed
real N.NNNs
wasmkern:/\$ poweroff 7"

printf '%s' "$input" | "$here/../../tools/qemu-run" "$@" --initrd "$work/initrd.tar" >"$work/transcript" 2>&1
status=$?
# The shell's side: from its first prompt to the poweroff, CRs (the console's "\r\n") and
# kernel log lines ("[    0.123] info: ...") left out, wall times made constant.
session=$(sed 's/\r$//' "$work/transcript" | grep -v '^\[ *[0-9.]*\] ' |
  sed -n '/^wasmkern:\/\$ /,/^wasmkern:.*\$ poweroff 7$/p' | sed -E 's/^real [0-9]+\.[0-9]{3}s$/real N.NNNs/')
ok=1
if [ "$status" != 7 ]; then
  echo "boot-shell: qemu-run exited with $status, expected 7 (from poweroff 7)"
  ok=0
fi
if [ "$session" != "$expected" ]; then
  echo "boot-shell: the session differs from the expected one:"
  diff <(printf '%s\n' "$expected" | cat -A) <(printf '%s\n' "$session" | cat -A)
  ok=0
fi
case "$session" in *"$BELL"*) echo "boot-shell: the shell rang the bell"; ok=0 ;; esac
if [ $ok = 1 ]; then
  echo "boot-shell: ok"
  exit 0
fi
echo "----- transcript -----"
cat -A "$work/transcript"
exit 1
