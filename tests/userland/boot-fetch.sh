#!/usr/bin/env bash
# Outbound networking in the OS: boots with QEMU user networking and, typed into /bin/sh:
# ifconfig shows the DHCP lease (10.0.2.15/24, gateway 10.0.2.2, DNS 10.0.2.3) and the MAC;
# fetch gets a 2 MiB file from a python3 server on the host (10.0.2.2) byte-identical (cksum in
# the guest against the host's), and a small one on stdout; a 404, a closed port, --nonet and
# an unresolvable name are clear errors; ping 10.0.2.2 gets 3 replies; net_abuse's hostile
# arguments and connect flood (held to the process's 4 connections); udp_probe's datagrams
# echoed by a python3 server on the host and its bind flood (held to the process's 2); one
# socket_hog holding its quota while fetch and a second hog get theirs; then a fetch held open by a host server
# that never answers is killed, and the server sees its connection end (FIN or RST). Prints the
# KB/s fetch reported and ping's round trips (measurements, never checked).
# usage: boot-fetch.sh USERLAND_DIR -- QEMU-RUN-ARGS... (the kernel last)
set -uo pipefail
userland=$1
shift
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
transcript=$work/transcript
pids=()
qemu_pid=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  if [ -n "$qemu_pid" ]; then
    for child in $(pgrep -P "$qemu_pid"); do kill "$child" 2>/dev/null; done
    kill "$qemu_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "boot-fetch: $*"
  echo "----- transcript -----"
  cp "$work/from_qemu" "$transcript" 2>/dev/null
  sed 's/\r$//' "$transcript" | tail -60
  exit 1
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

www=$work/www
mkdir -p "$www"
head -c 2097152 /dev/urandom >"$www/big.bin"
printf 'hello from the host\n' >"$www/small.txt"
"$here/../../tools/make-initrd" --userland "$userland" --stage "$work/stage" "$work/initrd.tar" >/dev/null || exit 1

# QEMU's user networking reaches the host's 127.0.0.1 as 10.0.2.2.
http_port=$(free_port)
python3 -m http.server "$http_port" --bind 127.0.0.1 --directory "$www" >"$work/http.log" 2>&1 &
pids+=($!)
# A server that takes a request and never answers, reporting how the connection ended.
hold_port=$(free_port)
python3 -u - "$hold_port" >"$work/hold.out" 2>&1 <<'PY' &
import socket, sys
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(1)
connection, _ = server.accept()
data = b""
while b"\r\n\r\n" not in data:
    data += connection.recv(4096)
print("holding", flush=True)
try:
    while connection.recv(4096):
        pass
    print("end: FIN")
except ConnectionResetError:
    print("end: RST")
PY
pids+=($!)
udp_port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$udp_port" >"$work/udp.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
PY
pids+=($!)
for _ in $(seq 100); do grep -q ready "$work/udp.log" && break; sleep 0.1; done
closed_port=$(free_port)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$http_port/small.txt" && break; sleep 0.1; done

session_timeout=120
. "$here/qemu-session.sh"
start_session "$@" --net user --initrd "$work/initrd.tar"

# The lease may come after the shell's start: ask until ifconfig shows it.
leased=0
for _ in $(seq 20); do
  type_line "ifconfig"
  wait_for '^  inet ([0-9.]+) netmask ([0-9.]+) gateway ([0-9.]+) dns ([0-9.]+)$'
  if [ "${BASH_REMATCH[1]}" = 10.0.2.15 ]; then
    [ "${BASH_REMATCH[2]} ${BASH_REMATCH[3]} ${BASH_REMATCH[4]}" = "255.255.255.0 10.0.2.2 10.0.2.3" ] \
      || fail "ifconfig: netmask, gateway, dns: ${BASH_REMATCH[*]}"
    leased=1
    break
  fi
  sleep 0.5
done
[ "$leased" = 1 ] || fail "no DHCP lease shown by ifconfig"
grep -q "eth0: link up, MAC 52:54:00:12:34:56" "$work/from_qemu" || fail "ifconfig: no link/MAC line"
wait_for '^  TCP segments in [0-9]+ out [0-9]+, connections [0-9]+$'

url=http://10.0.2.2:$http_port
type_line "fetch -v -o /home/big.bin $url/big.bin; echo fetch-status \$?"
wait_for '^fetch: .*: 200, ([0-9]+) bytes in ([0-9]+) ms \(([0-9]+) KB/s\)$'
speed="${BASH_REMATCH[1]} bytes in ${BASH_REMATCH[2]} ms (${BASH_REMATCH[3]} KB/s)"
wait_for '^fetch-status ([0-9]+)$'
[ "${BASH_REMATCH[1]}" = 0 ] || fail "fetch big.bin: status ${BASH_REMATCH[1]}"
want=$(cksum <"$www/big.bin" | awk '{print $1, $2}')
type_line "cksum /home/big.bin"
wait_for '^([0-9]+) ([0-9]+) /home/big.bin$'
[ "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}" = "$want" ] || fail "big.bin: guest cksum ${BASH_REMATCH[*]}, host $want"
type_line "fetch $url/small.txt"
wait_for '^hello from the host$'

expect_error() { # COMMAND PATTERN
  type_line "$1; echo error-status \$?"
  wait_for "$2"
  wait_for '^error-status ([0-9]+)$'
  [ "${BASH_REMATCH[1]}" = 1 ] || fail "$1: status ${BASH_REMATCH[1]}, not 1"
}
expect_error "fetch $url/missing" '^fetch: .*/missing: HTTP/1\.[01] 404'
expect_error "fetch http://10.0.2.2:$closed_port/" '^fetch: .*: connect to 10\.0\.2\.2:[0-9]+: Connection refused$'
expect_error "--nonet fetch $url/small.txt" '^fetch: .*: no network right'
expect_error "--nonet ping -c 1 10.0.2.2" '^ping: no network right'
expect_error "fetch http://no-such-host.invalid/" '^fetch: .*: cannot resolve no-such-host\.invalid: '

type_line "ping -c 3 10.0.2.2"
rtts=()
for i in 1 2 3; do
  wait_for "^[0-9]+ bytes from 10\.0\.2\.2: icmp_seq=$i ttl=[0-9]+ time=([0-9.]+) ms$"
  rtts+=("${BASH_REMATCH[1]}")
done
wait_for '^--- 10\.0\.2\.2 ping statistics: 3 sent, 3 received, 0% loss'

type_line "net_abuse 10.0.2.2 $http_port os"
wait_for '^net_abuse: (ok|FAILED)$'
[ "${BASH_REMATCH[1]}" = ok ] || fail "net_abuse failed"
grep -q "^flood: 4 connected, then No file descriptors available$" <(sed 's/\r$//' "$work/from_qemu") \
  || fail "the connect flood was not held to the process's 4"

type_line "udp_probe 10.0.2.2 $udp_port os"
wait_for '^udp_probe: (ok|FAILED)$'
[ "${BASH_REMATCH[1]}" = ok ] || fail "udp_probe failed"

# Per-process socket quotas: a process opening sockets until refused gets 4 connections and 2
# UDP sockets (EMFILE past them); while it holds them, another process fetches a file, and a
# second hog gets its own 4 and 2 (then the system's 8 and 4 are all in use).
# (A background program's line may follow the prompt: no ^ before it.)
hog_line='socket_hog: ([0-9]+) connected, then ([^;]*); ([0-9]+) bound, then (.*)$'
check_hog() { # WHICH
  [ "${BASH_REMATCH[1]}/${BASH_REMATCH[2]}/${BASH_REMATCH[3]}/${BASH_REMATCH[4]}" \
    = "4/No file descriptors available/2/No file descriptors available" ] || fail "$1 socket_hog: $matched"
}
type_line "socket_hog 10.0.2.2 $http_port 20000 &"
wait_for "$hog_line"
check_hog first
wait_for 'socket_hog: holding$'
type_line "fetch $url/small.txt; echo hogged-fetch \$?"
wait_for '^hello from the host$'
wait_for '^hogged-fetch ([0-9]+)$'
[ "${BASH_REMATCH[1]}" = 0 ] || fail "fetch while another process hogs sockets: status ${BASH_REMATCH[1]}"
type_line "socket_hog 10.0.2.2 $http_port 0"
wait_for "$hog_line"
check_hog second
wait_for 'socket_hog: released$'
wait_for 'socket_hog: released$' # the first, after its 20 s

# A process killed with an outbound connection open: the peer sees the connection end.
type_line "fetch http://10.0.2.2:$hold_port/ &"
wait_for '^\[([0-9]+)\]$'
pid=${BASH_REMATCH[1]}
for _ in $(seq 300); do grep -q holding "$work/hold.out" && break; sleep 0.1; done
grep -q holding "$work/hold.out" || fail "the holding server got no request: $(cat "$work/hold.out")"
type_line "kill $pid"
type_line "wait $pid"
wait_for "^\[$pid\] .*status 137"
for _ in $(seq 100); do grep -q "^end:" "$work/hold.out" && break; sleep 0.1; done
grep -Eq "^end: (FIN|RST)$" "$work/hold.out" || fail "the killed fetch's connection did not end: $(cat "$work/hold.out")"

type_line "poweroff 0"
wait "$qemu_pid"
status=$?
qemu_pid=""
[ "$status" = 0 ] || fail "qemu-run exited with $status"
echo "boot-fetch: 2 MiB: $speed; ping 10.0.2.2: ${rtts[*]} ms; killed fetch's peer saw $(grep end: "$work/hold.out")"
echo "boot-fetch: ok"
