#!/usr/bin/env bash
# The network end to end on QEMU user networking: the kernel's virtio-net driver and IPv4
# stack get a DHCP lease (10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3), `net` shows it, `ping`
# gets echo replies from QEMU's gateway, and UDP works both ways with the host: the guest sends
# to a python3 echo server on the host (10.0.2.2 is the host's loopback), and a python3 client
# on the host reaches the guest's `udpecho` through a hostfwd=udp rule. A second boot without
# a network device: the commands say there is none.
# usage: net-virtio.sh KERNEL.elf [QEMU-RUN-ARGS...]
set -uo pipefail
kernel=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in ${pids[@]+"${pids[@]}"}; do kill "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
ok=1
fail() { echo "net-virtio: $*"; ok=0; }
# shellcheck source=transcript-checks.sh
. "$here/transcript-checks.sh"
peer() { python3 "$here/net_udp_peer.py" "$@"; }

# A free UDP port for the forward (bound and released; another process could take it in
# between, which would fail the test loudly, not pass it).
forward_port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
peer echo-server "$work/echo-port" 240 >"$work/echo-server.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/echo-port" ] && break; sleep 0.1; done
echo_port=$(cat "$work/echo-port" 2>/dev/null)
[ -n "$echo_port" ] || { echo "net-virtio: the host echo server did not start"; exit 1; }
peer client "$forward_port" 3 200 >"$work/client.out" 2>&1 &
client_pid=$!
pids+=($client_pid)

printf '%s\n' "net wait 60" "net" "ping 10.0.2.2 3" "udpsend 10.0.2.2 $echo_port hello-from-wasmkern" \
  "udpecho $forward_port 3 120" "net" "poweroff" >"$work/input"
run_boot "$@" --net "user,hostfwd=udp:127.0.0.1:$forward_port-:$forward_port" --append console "$kernel"
wait "$client_pid"
client_status=$?
[ "$status" = 0 ] || fail "qemu-run exited with $status"
grep -Eq "network: eth0: virtio-net at [0-9a-f:.]+, MAC 52:54:00:12:34:56, link up, [0-9]+ receive buffers" "$work/transcript" \
  || fail "the driver did not start"
grep -Eq "^net: address 10\.0\.2\.15 after [0-9]+ ms" "$work/transcript" || fail "no DHCP lease"
grep -Eq "^  inet 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 dns 10\.0\.2\.3 \(DHCP bound, lease [0-9]+ s\)" \
  "$work/transcript" || fail "net does not show the lease"
expect_count "^64 bytes from 10\.0\.2\.2: icmp_seq=[123] ttl=[0-9]+ time=[0-9]+\.[0-9]{3} ms$" 3
grep -Eq "^--- 10\.0\.2\.2 ping statistics: 3 sent, 3 received" "$work/transcript" || fail "ping statistics"
grep -Eq "^udpsend: reply from 10\.0\.2\.2:$echo_port: echo:hello-from-wasmkern$" "$work/transcript" \
  || fail "no UDP reply from the host's echo server"
grep -Eq "^udpecho: echoed 3 datagrams \(42 bytes\) on port $forward_port$" "$work/transcript" \
  || fail "udpecho did not echo the host's 3 datagrams"
[ "$client_status" = 0 ] || fail "the host's UDP client: $(cat "$work/client.out")"
# The counters saw it all and dropped nothing as malformed.
nth "^  udp: [0-9]+ in, ([0-9]+) delivered.*" 2 | grep -Eq "^([4-9]|[1-9][0-9]+)$" || fail "udp delivered counter"
grep -Eq " [1-9][0-9]* (malformed|bad checksum|bad lengths)" "$work/transcript" && fail "frames from QEMU counted as bad"
[ $ok = 1 ] || { echo "----- transcript -----"; cat "$work/transcript"; exit 1; }

printf '%s\n' "net" "ping 10.0.2.2" "poweroff" >"$work/input"
run_boot "$@" --append console "$kernel"
[ "$status" = 0 ] || fail "qemu-run exited with $status (no network)"
expect_count "^net: no network interface" 2
grep -q "network: eth0" "$work/transcript" && fail "a network without a device"
[ $ok = 1 ] || { echo "----- transcript -----"; cat "$work/transcript"; exit 1; }
echo "net-virtio: ok ($(cat "$work/client.out"))"
