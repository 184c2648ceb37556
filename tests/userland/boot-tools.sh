#!/usr/bin/env bash
# Boots the kernel with the userland programs in /bin and a FILES folder in /home, runs the
# text and file programs (wc head tail grep sort uniq cp mv touch stat hexdump date env free
# uptime; and hostile/meminfo_abuse, the meminfo import's bad arguments) from /bin/sh over the
# serial console and compares the shell's side of the transcript byte for byte; the values
# that change from run to run (the clock, free memory) are checked for their form and then
# made constant. Ends with `poweroff 5`.
# usage: boot-tools.sh USERLAND_DIR -- QEMU-RUN-ARGS... (the kernel last)
set -uo pipefail
userland=$1
shift
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/files/notes"
printf 'a note\n' >"$work/files/notes/a.txt"
printf 'pear\napple\nbanana\nbat\n' >"$work/files/words"
printf 'x\nx\ny\nx\n' >"$work/files/dup"
"$here/../../tools/make-initrd" --userland "$userland" --files "$work/files" --stage "$work/stage" \
  "$work/initrd.tar" >/dev/null || exit 1

input="cd /home
wc -l notes/a.txt words
head -n 2 words
tail -n 1 words
grep -n 'b.*t\$' nope words
sort -r words
uniq -c dup
cp words copy
mv copy moved
ls
touch -d @86400 stamp
stat -c '%n %s %F %Y %y' stamp moved
hexdump -C notes/a.txt
date -d @0
date
env -i X=1 env
free
uptime
meminfo_abuse
poweroff 5
"
expected="wasmkern:/\$ cd /home
wasmkern:/home\$ wc -l notes/a.txt words
 1 notes/a.txt
 4 words
 5 total
wasmkern:/home\$ head -n 2 words
pear
apple
wasmkern:/home\$ tail -n 1 words
bat
wasmkern:/home\$ grep -n 'b.*t\$' nope words
grep: nope: No such file or directory
words:4:bat
wasmkern:/home\$ sort -r words
pear
bat
banana
apple
wasmkern:/home\$ uniq -c dup
      2 x
      1 y
      1 x
wasmkern:/home\$ cp words copy
wasmkern:/home\$ mv copy moved
wasmkern:/home\$ ls
dup
moved
notes/
words
wasmkern:/home\$ touch -d @86400 stamp
wasmkern:/home\$ stat -c '%n %s %F %Y %y' stamp moved
stamp 0 regular empty file 86400 1970-01-02 00:00:00.000000000 +0000
moved 22 regular file MTIME
wasmkern:/home\$ hexdump -C notes/a.txt
00000000  61 20 6e 6f 74 65 0a                              |a note.|
00000007
wasmkern:/home\$ date -d @0
Thu Jan  1 00:00:00 UTC 1970
wasmkern:/home\$ date
DATE
wasmkern:/home\$ env -i X=1 env
X=1
wasmkern:/home\$ free
             total         used         free
Mem:  N N N
Heap: N N N
wasmkern:/home\$ uptime
up UPTIME
wasmkern:/home\$ meminfo_abuse
meminfo_abuse: out of bounds -> 21
meminfo_abuse: past the end by one -> 21
meminfo_abuse: 31 bytes -> 28, untouched 1
meminfo_abuse: good -> 0, free <= total 1, heap used <= held 1
wasmkern:/home\$ poweroff 5"

printf '%s' "$input" | "$here/../../tools/qemu-run" "$@" --initrd "$work/initrd.tar" >"$work/transcript" 2>&1
status=$?
# The shell's side: from its first prompt to the poweroff, CRs and kernel log lines left out.
session=$(sed 's/\r$//' "$work/transcript" | grep -v '^\[ *[0-9.]*\] ' |
  sed -n '/^wasmkern:\/\$ /,/^wasmkern:.*\$ poweroff 5$/p')
ok=1
# The changing values, checked for their form before they are made constant: `date` is after
# 2020, free's Mem total is used + free and not 0.
check() { # description, extended regex that one line of the session must match
  if ! grep -Eq "$2" <<<"$session"; then
    echo "boot-tools: no line for $1 (pattern $2)"
    ok=0
  fi
}
# NOTE: only the form of the copy's time: the kernel's file system stamps files with the time
# since boot (kernel/sys/root_fs.cpp), so a new file's date is in January 1970.
check "the copy's mtime" '^moved 22 regular file [0-9]+ [0-9]{4}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{9} \+0000$'
check "date" '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] UTC 20[2-9][0-9]$'
check "uptime" '^up [0-9]{2}:[0-5][0-9]:[0-5][0-9] \([0-9]+\.[0-9]{3} s\)$'
if ! awk '$1 == "Mem:" { found = 1; if ($2 == 0 || $2 != $3 + $4) exit 1 } END { exit !found }' <<<"$session"; then
  echo "boot-tools: free's Mem: line is missing, or its total is 0 or not used + free"
  ok=0
fi
session=$(sed -E -e 's/^(moved 22 regular file) [0-9]+ .*$/\1 MTIME/' \
  -e 's/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) .* UTC 20[0-9]{2}$/DATE/' -e 's/^up .*/up UPTIME/' \
  -e 's/^(Mem: |Heap:) +[0-9]+ +[0-9]+ +[0-9]+$/\1 N N N/' <<<"$session")
if [ "$status" != 5 ]; then
  echo "boot-tools: qemu-run exited with $status, expected 5 (from poweroff 5)"
  ok=0
fi
if [ "$session" != "$expected" ]; then
  echo "boot-tools: the session differs from the expected one:"
  diff <(printf '%s\n' "$expected" | cat -A) <(printf '%s\n' "$session" | cat -A)
  ok=0
fi
if [ $ok = 1 ]; then
  echo "boot-tools: ok"
  exit 0
fi
echo "----- transcript -----"
cat -A "$work/transcript"
exit 1
