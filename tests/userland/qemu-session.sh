# Sourced by the boot tests that drive the shell over the serial console line by line
# (boot-jobs.sh, boot-httpd.sh, boot-fetch.sh). The test defines `here` (its directory),
# `work` (a scratch directory), `transcript` (a file) and fail() first.

# start_session QEMU-RUN-ARGS...: boots through tools/qemu-run with its input from a FIFO whose
# write end stays open on fd 5 for the whole session (QEMU never sees end of input), its output
# in $work/from_qemu; sets qemu_pid.
start_session() {
  mkfifo "$work/to_qemu"
  : >"$work/from_qemu"
  "$here/../../tools/qemu-run" "$@" >"$work/from_qemu" 2>&1 <"$work/to_qemu" &
  qemu_pid=$!
  exec 5>"$work/to_qemu"
  : >"$transcript"
}

# wait_for REGEX: waits (session_timeout seconds, default 60) for a line of QEMU's output,
# after the ones already looked at, that matches REGEX; sets `matched` to it (without its CR)
# and BASH_REMATCH to its groups. Fails when QEMU ends first or the time is up.
seen=0
wait_for() {
  local limit=${session_timeout:-60}
  local deadline=$((SECONDS + limit)) lines count i
  while [ $SECONDS -lt $deadline ]; do
    cp "$work/from_qemu" "$transcript"
    mapfile -t lines < <(sed 's/\r$//' "$transcript")
    count=${#lines[@]}
    # A last line without its newline is still being written.
    [ -s "$transcript" ] && [ "$(tail -c 1 "$transcript" | od -An -c | tr -d ' ')" != '\n' ] && count=$((count - 1))
    for ((i = seen; i < count; ++i)); do
      if [[ ${lines[i]} =~ $1 ]]; then
        matched=${lines[i]}
        seen=$((i + 1))
        return 0
      fi
    done
    seen=$count
    kill -0 "$qemu_pid" 2>/dev/null || fail "QEMU ended before a line matching /$1/"
    sleep 0.2
  done
  fail "no line matching /$1/ within $limit s"
}

# type_line TEXT: types TEXT and Enter on the console.
type_line() { printf '%s\n' "$1" >&5; }
