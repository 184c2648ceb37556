#!/usr/bin/env python3
"""The host's side of the network boot test (net-virtio.sh).

echo-server PORTFILE SECONDS: binds a UDP socket on 127.0.0.1 (a free port, written to
PORTFILE), answers each datagram with "echo:" + its bytes, and exits after SECONDS.
client PORT COUNT SECONDS: sends "wasmkern-udp-I" (I = 1..COUNT) to 127.0.0.1:PORT, each
again every second until its echo comes back, then the next; exits 0 once all COUNT came
back unchanged, 1 after SECONDS without that.
"""
import socket
import sys
import time


def echo_server(port_file, seconds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    with open(port_file + ".tmp", "w") as out:
        out.write(str(sock.getsockname()[1]))
    import os
    os.rename(port_file + ".tmp", port_file)
    deadline = time.monotonic() + seconds
    answered = 0
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            data, peer = sock.recvfrom(2048)
        except socket.timeout:
            break
        sock.sendto(b"echo:" + data, peer)
        answered += 1
    print("udp-echo-server: answered %d datagrams" % answered)
    return 0


def client(port, count, seconds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    deadline = time.monotonic() + seconds
    for index in range(1, count + 1):
        message = b"wasmkern-udp-%d" % index
        while True:
            if time.monotonic() > deadline:
                print("udp-client: no echo of %s in %d s" % (message.decode(), seconds))
                return 1
            try:
                sock.sendto(message, ("127.0.0.1", port))
            except OSError:
                pass  # QEMU not listening yet
            sock.settimeout(1.0)
            try:
                while True:
                    data, _ = sock.recvfrom(2048)
                    if data == message:
                        break
            except (socket.timeout, OSError):
                continue
            break
    print("udp-client: %d echoes ok" % count)
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "echo-server":
        return echo_server(sys.argv[2], float(sys.argv[3]))
    if len(sys.argv) == 5 and sys.argv[1] == "client":
        return client(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
