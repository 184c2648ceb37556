#!/usr/bin/env bash
# Boots the kernel and types a session into /bin/sh over the serial console that uses what
# the shell's command language adds: pipes (a three-stage pipeline into a file, a reader that
# exits early so its writer gets EPIPE), redirections (<, >, >>, 2>, 2>&1), variables
# (export, $VAR, ${VAR}, $?), ; && ||, each syntax error, builtins piped and redirected
# (their output into a pipe or file, a reader that leaves early, cd and export in a pipeline
# changing the shell, exit in a pipeline not exiting), Ctrl-C on a spinning program
# (status 130), history with the arrow keys and Tab completion. Compares the shell's side of
# the transcript with what it must be, byte for byte, as boot-shell.sh does; `poweroff 7`
# must end QEMU with status 7.
# usage: boot-pipes.sh USERLAND_DIR -- QEMU-RUN-ARGS... (the kernel last)
set -uo pipefail
userland=$1
shift
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/files/notes" "$work/files/dir"
printf 'a note\n' >"$work/files/notes/a.txt"
printf 'apple\nbanana\ncherry\navocado\n' >"$work/files/data.txt"
: >"$work/files/dir/one"
: >"$work/files/dir/other"
# 320 KiB of numbered lines: far more than a pipe holds (64 KiB), so cat is still writing
# when head has gone.
seq 1 60000 | sed 's/^/line /' >"$work/files/big"
# A loop that only the timer can interrupt (userland/hostile/spin.wat).
cp "$userland/spin.wasm" "$work/files/spin"
"$here/../../tools/make-initrd" --userland "$userland" --files "$work/files" --stage "$work/stage" \
  "$work/initrd.tar" >/dev/null || exit 1

ESC=$'\x1b' CTRL_C=$'\x03' TAB=$'\t' BELL=$'\a'
UP="${ESC}[A" DOWN="${ESC}[B"
input="cd /home
cat data.txt | grep a | wc -l > out; cat out
echo one > f; echo two >> f; cat f
cat missing 2> err; echo status \$?; cat err
cat f missing > both 2>&1; cat both
wc -l < data.txt
export GREETING='hello  world' EMPTY=; echo \"\$GREETING\" \${GREETING}! [\$EMPTY] \$NOT_SET \$?
ls /nope; echo \$?
ls /nope && echo yes || echo no
echo a; echo b && echo c; ls /nope || echo d
echo 'open
echo \$?
echo a |
echo \$?
| echo a
echo a >
cat <
echo a && && echo b
echo a &&
nope | wc -c
echo \$?
cat big | head -n 2
pwd | wc -c
help | grep -c Builtins
help | head -n 1
pwd > p; echo a; pwd >> p 2>&1; cat p
kill x 2>&1 | cat; echo \$?
pwd | pwd
cd dir | wc -c; pwd; cd ..
export PIPED=yes | cat; echo \$PIPED
exit 5 | cat; echo \$?
pwd < nothing; echo \$?
./spin
"
# Typed once spin runs: a Ctrl-C typed ahead would interrupt the command running then.
rest="${CTRL_C}echo \$?
echo first
echo second
${UP}${UP}${DOWN}
${UP}${UP}${UP}
cat no${TAB}a${TAB}
ls dir/o${TAB}n${TAB}
poweroff 7
"
erase=$'\b \b'
expected="wasmkern:/\$ cd /home
wasmkern:/home\$ cat data.txt | grep a | wc -l > out; cat out
3
wasmkern:/home\$ echo one > f; echo two >> f; cat f
one
two
wasmkern:/home\$ cat missing 2> err; echo status \$?; cat err
status 1
cat: missing: No such file or directory
wasmkern:/home\$ cat f missing > both 2>&1; cat both
one
two
cat: missing: No such file or directory
wasmkern:/home\$ wc -l < data.txt
4
wasmkern:/home\$ export GREETING='hello  world' EMPTY=; echo \"\$GREETING\" \${GREETING}! [\$EMPTY] \$NOT_SET \$?
hello  world hello  world! [] 0
wasmkern:/home\$ ls /nope; echo \$?
ls: /nope: No such file or directory
1
wasmkern:/home\$ ls /nope && echo yes || echo no
ls: /nope: No such file or directory
no
wasmkern:/home\$ echo a; echo b && echo c; ls /nope || echo d
a
b
c
ls: /nope: No such file or directory
d
wasmkern:/home\$ echo 'open
sh: unterminated single quote
wasmkern:/home\$ echo \$?
2
wasmkern:/home\$ echo a |
sh: syntax error: | without a command after it
wasmkern:/home\$ echo \$?
2
wasmkern:/home\$ | echo a
sh: syntax error: | without a command before it
wasmkern:/home\$ echo a >
sh: syntax error: > without a file name
wasmkern:/home\$ cat <
sh: syntax error: < without a file name
wasmkern:/home\$ echo a && && echo b
sh: syntax error: && without a command before it
wasmkern:/home\$ echo a &&
sh: syntax error: && without a command after it
wasmkern:/home\$ nope | wc -c
sh: nope: command not found
0
wasmkern:/home\$ echo \$?
0
wasmkern:/home\$ cat big | head -n 2
line 1
line 2
cat: write: Broken pipe
wasmkern:/home\$ pwd | wc -c
6
wasmkern:/home\$ help | grep -c Builtins
1
wasmkern:/home\$ help | head -n 1
Wasmkern shell. A line is words separated by spaces; 'single' and \"double\" quotes
wasmkern:/home\$ pwd > p; echo a; pwd >> p 2>&1; cat p
a
/home
/home
wasmkern:/home\$ kill x 2>&1 | cat; echo \$?
sh: kill: x: not a process id
0
wasmkern:/home\$ pwd | pwd
/home
wasmkern:/home\$ cd dir | wc -c; pwd; cd ..
0
/home/dir
wasmkern:/home\$ export PIPED=yes | cat; echo \$PIPED
yes
wasmkern:/home\$ exit 5 | cat; echo \$?
0
wasmkern:/home\$ pwd < nothing; echo \$?
sh: nothing: No such file or directory
1
wasmkern:/home\$ ./spin
^C
wasmkern:/home\$ echo \$?
130
wasmkern:/home\$ echo first
first
wasmkern:/home\$ echo second
second
wasmkern:/home\$ echo second${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}echo first${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}echo second
second
wasmkern:/home\$ echo second${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}echo first${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}${erase}echo \$?
0
wasmkern:/home\$ cat notes/a.txt 
a note
wasmkern:/home\$ ls dir/o
one  other
wasmkern:/home\$ ls dir/one 
dir/one
wasmkern:/home\$ poweroff 7"

mkfifo "$work/to_qemu"
: >"$work/transcript"
"$here/../../tools/qemu-run" "$@" --initrd "$work/initrd.tar" <"$work/to_qemu" >"$work/transcript" 2>&1 &
qemu_pid=$!
{
  printf '%s' "$input"
  # At most 100 s for the session to reach spin; then the rest (QEMU's timeout ends a hang).
  for ((i = 0; i < 500; ++i)); do
    grep -q '^wasmkern:/home\$ \./spin'$'\r''$' "$work/transcript" && break
    sleep 0.2
  done
  printf '%s' "$rest"
} >"$work/to_qemu"
wait "$qemu_pid"
status=$?
# The shell's side: from its first prompt to the poweroff, CRs (the console's "\r\n") and
# kernel log lines ("[    0.123] info: ...") left out.
session=$(sed 's/\r$//' "$work/transcript" | grep -v '^\[ *[0-9.]*\] ' |
  sed -n '/^wasmkern:\/\$ /,/^wasmkern:.*\$ poweroff 7$/p')
ok=1
if [ "$status" != 7 ]; then
  echo "boot-pipes: qemu-run exited with $status, expected 7 (from poweroff 7)"
  ok=0
fi
if [ "$session" != "$expected" ]; then
  echo "boot-pipes: the session differs from the expected one:"
  diff <(printf '%s\n' "$expected" | cat -A) <(printf '%s\n' "$session" | cat -A)
  ok=0
fi
case "$session" in *"$BELL"*) echo "boot-pipes: the shell rang the bell"; ok=0 ;; esac
if [ $ok = 1 ]; then
  echo "boot-pipes: ok"
  exit 0
fi
echo "----- transcript -----"
cat -A "$work/transcript"
exit 1
