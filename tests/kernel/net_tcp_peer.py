#!/usr/bin/env python3
"""The host's side of the TCP boot test (net-tcp.sh).

client PORT SIZE SECONDS: connects to 127.0.0.1:PORT (QEMU's hostfwd to the guest's
`tcpecho`), first with "hello" and then with SIZE bytes of seeded random data, each time
half-closing after sending and reading until the guest closes; exits 0 when both echoes came
back byte for byte, 1 otherwise. A connection the guest refuses (nothing listening yet: QEMU
then closes it without data) is tried again every half second until SECONDS pass.
"""
import random
import socket
import sys
import threading
import time


def exchange(port, payload, timeout):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    received = bytearray()
    errors = []

    def sender():
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except OSError as error:
            errors.append(error)

    thread = threading.Thread(target=sender)
    thread.start()
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    finally:
        thread.join()
        sock.close()
    if errors:
        raise errors[0]
    return bytes(received)


def main():
    if len(sys.argv) != 5 or sys.argv[1] != "client":
        sys.stderr.write(__doc__)
        return 2
    port, size, seconds = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    deadline = time.monotonic() + seconds
    # The first exchange waits for the guest to listen.
    while True:
        try:
            echo = exchange(port, b"hello", 30)
            if echo == b"hello":
                break
            if echo:
                print("tcp-client: hello came back as %r" % echo[:64])
                return 1
        except OSError:
            pass
        if time.monotonic() > deadline:
            print("tcp-client: no echo of hello in %d s" % seconds)
            return 1
        time.sleep(0.5)
    payload = random.Random(19).randbytes(size)
    started = time.monotonic()
    try:
        echo = exchange(port, payload, max(1.0, deadline - time.monotonic()))
    except OSError as error:
        print("tcp-client: the %d-byte exchange failed: %s" % (size, error))
        return 1
    elapsed = time.monotonic() - started
    if echo != payload:
        first = next((i for i in range(min(len(echo), len(payload))) if echo[i] != payload[i]), min(len(echo), len(payload)))
        print("tcp-client: echo of %d bytes differs: %d bytes back, first difference at %d" % (size, len(echo), first))
        return 1
    print("tcp-client: hello and %d bytes echoed byte for byte (%.2f s for the %d bytes)" % (size, elapsed, size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
