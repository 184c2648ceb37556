#!/usr/bin/env bash
# Boots the kernel with the userland programs in /bin and a FILES folder in /home, and checks
# over the serial console that programs start in the shell's directory: after `cd /etc`,
# `cat motd` and `ls` (no operand) work on /etc, and cwd_probe (plain libc calls) sees PWD,
# HOME and getcwd() and opens, stats and reads relative paths there; absolute paths still
# start at /. Compares the shell's side of the transcript byte for byte, as boot-shell.sh.
# usage: boot-cwd.sh USERLAND_DIR -- QEMU-RUN-ARGS... (the kernel last)
set -uo pipefail
userland=$1
shift
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/files/notes"
printf 'a note\n' >"$work/files/notes/a.txt"
"$here/../../tools/make-initrd" --userland "$userland" --files "$work/files" --stage "$work/stage" \
  "$work/initrd.tar" >/dev/null || exit 1

input="cwd_probe
cd /etc
cat motd
ls
cwd_probe motd . /home/notes/a.txt nope
cd /home/notes
cwd_probe a.txt ../notes/a.txt .. /etc/motd
poweroff 7
"
expected="wasmkern:/\$ cwd_probe
PWD=/ HOME=/home getcwd=/
wasmkern:/\$ cd /etc
wasmkern:/etc\$ cat motd
Welcome to Wasmkern.
wasmkern:/etc\$ ls
hostname
motd
wasmkern:/etc\$ cwd_probe motd . /home/notes/a.txt nope
PWD=/etc HOME=/home getcwd=/etc
motd: 21 bytes: Welcome to Wasmkern.
.: directory, 2 names
/home/notes/a.txt: 7 bytes: a note
nope: stat: No such file or directory
wasmkern:/etc\$ cd /home/notes
wasmkern:/home/notes\$ cwd_probe a.txt ../notes/a.txt .. /etc/motd
PWD=/home/notes HOME=/home getcwd=/home/notes
a.txt: 7 bytes: a note
../notes/a.txt: 7 bytes: a note
..: directory, 1 names
/etc/motd: 21 bytes: Welcome to Wasmkern.
wasmkern:/home/notes\$ poweroff 7"

printf '%s' "$input" | "$here/../../tools/qemu-run" "$@" --initrd "$work/initrd.tar" >"$work/transcript" 2>&1
status=$?
# The shell's side: from its first prompt to the poweroff, CRs and kernel log lines left out.
session=$(sed 's/\r$//' "$work/transcript" | grep -v '^\[ *[0-9.]*\] ' |
  sed -n '/^wasmkern:\/\$ /,/^wasmkern:.*\$ poweroff 7$/p')
ok=1
if [ "$status" != 7 ]; then
  echo "boot-cwd: qemu-run exited with $status, expected 7 (from poweroff 7)"
  ok=0
fi
if [ "$session" != "$expected" ]; then
  echo "boot-cwd: the session differs from the expected one:"
  diff <(printf '%s\n' "$expected" | cat -A) <(printf '%s\n' "$session" | cat -A)
  ok=0
fi
if [ $ok = 1 ]; then
  echo "boot-cwd: ok"
  exit 0
fi
echo "----- transcript -----"
cat -A "$work/transcript"
exit 1
