#!/usr/bin/env bash
# TCP against a real peer: QEMU user networking forwards a host TCP port to the guest's
# `tcpecho`, and a python3 client on the host sends "hello", then 256 KiB of random bytes
# (64 times the guest's 4 KiB buffers, so the windows fill and reopen), half-closing after
# each and reading the echo until the guest closes; both must come back byte for byte.
# usage: net-tcp.sh KERNEL.elf [QEMU-RUN-ARGS...]
set -uo pipefail
kernel=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
client_pid=""
cleanup() {
  [ -n "$client_pid" ] && kill "$client_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ok=1
fail() { echo "net-tcp: $*"; ok=0; }
# shellcheck source=transcript-checks.sh
. "$here/transcript-checks.sh"
size=262144

# A free TCP port for the forward (taken between the check and QEMU's bind: a loud failure).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 "$here/net_tcp_peer.py" client "$port" "$size" 200 >"$work/client.out" 2>&1 &
client_pid=$!

printf '%s\n' "net wait 60" "tcpecho 7777 2 180" "net" "poweroff" >"$work/input"
run_boot "$@" --net "user,hostfwd=tcp:127.0.0.1:$port-:7777" --append console "$kernel"
wait "$client_pid"
client_status=$?
client_pid=""
[ "$status" = 0 ] || fail "qemu-run exited with $status"
grep -Eq "^tcpecho: connection 1: echoed 5 bytes$" "$work/transcript" || fail "hello not echoed"
grep -Eq "^tcpecho: connection 2: echoed $size bytes$" "$work/transcript" || fail "the $size bytes not echoed"
grep -Eq "^tcpecho: 2 connections, $((size + 5)) bytes$" "$work/transcript" || fail "tcpecho summary"
[ "$client_status" = 0 ] || fail "the host's TCP client: $(cat "$work/client.out")"
grep -Eq "^  tcp: [0-9]+ in, [0-9]+ out, 0 malformed, 0 bad checksum" "$work/transcript" || fail "TCP counted bad segments from QEMU"
[ $ok = 1 ] || { echo "----- transcript -----"; cat "$work/transcript"; exit 1; }
grep -E "^  tcp: " "$work/transcript"
echo "net-tcp: ok ($(cat "$work/client.out"))"
