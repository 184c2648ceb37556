#!/usr/bin/env python3
"""Hostile and measuring clients for httpd (tests/userland/httpd-hosted.sh, kernel httpd test).

usage: httpd_client.py hostile PORT    -- garbage, a 100 KB header line, a client closing
                                          mid-request, a NUL in the request line, a bare
                                          pipelined pair; each must get its answer (or a
                                          clean close) and the server must answer after.
       httpd_client.py rate PORT PATH N -- N keep-alive GETs of PATH on one connection;
                                          prints requests/s (a measurement, never checked).
       httpd_client.py ab PORT PATH N [-k] -- `ab -n N -c 32 [-k]` (apache2-utils) on PATH:
                                          fails unless all N complete with none failed and
                                          every answer 200; prints requests/s.
"""
import re
import socket
import subprocess
import sys
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    leftover.pop(s.fileno(), None)  # of a closed socket that had this number
    return s


# Bytes received past the response read_response returned, per socket (a pipelined answer).
leftover = {}


def read_response(s):
    """One response: (status, headers dict, body); None when the server closed first."""
    data = leftover.pop(s.fileno(), b"")
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    leftover[s.fileno()] = rest[length:]
    return status, headers, rest[:length]


def expect_status(name, request, want):
    s = connect(PORT)
    s.sendall(request)
    got = read_response(s)
    s.close()
    if got is None or got[0] != want:
        sys.exit(f"{name}: wanted {want}, got {got and got[0]}")
    print(f"{name}: {want}")


def still_serves(name):
    expect_status(f"after {name}", b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200)


def hostile():
    expect_status("garbage", b"\x00\xff\xfegarbage garbage\r\n\r\n", 400)
    still_serves("garbage")
    expect_status("no version", b"GET /index.html\r\n\r\n", 400)
    expect_status("long header line", b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 100000 + b"\r\n\r\n", 431)
    still_serves("long header line")
    expect_status("POST", b"POST /index.html HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 405)
    expect_status("traversal", b"GET /../../etc/passwd HTTP/1.1\r\n\r\n", 403)
    expect_status("escaped traversal", b"GET /%2e%2e/%2E%2E/etc/passwd HTTP/1.1\r\n\r\n", 403)
    expect_status("escaped NUL", b"GET /index.html%00.txt HTTP/1.1\r\n\r\n", 400)
    # Closing mid-request, and mid-way through a large response, must leave the server serving.
    s = connect(PORT)
    s.sendall(b"GET /index.ht")
    s.close()
    still_serves("close mid-request")
    s = connect(PORT)
    s.sendall(b"GET /big.bin HTTP/1.1\r\n\r\n")
    s.recv(1000)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()  # with linger 0: a RST
    still_serves("reset mid-response")
    # A silent connection holds only itself: another client is served meanwhile.
    idle = connect(PORT)
    idle.sendall(b"GET / HTTP/1.1\r\n")
    still_serves("an idle connection")
    idle.close()
    # Two requests in one write (pipelined) get two answers in order.
    s = connect(PORT)
    s.sendall(b"GET /index.html HTTP/1.1\r\n\r\nGET /missing HTTP/1.1\r\nConnection: close\r\n\r\n")
    first, second = read_response(s), read_response(s)
    s.close()
    if not first or first[0] != 200 or not second or second[0] != 404:
        sys.exit(f"pipelined: got {first and first[0]}, {second and second[0]}")
    print("pipelined: 200 404")


def rate(path, count):
    s = connect(PORT)
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    start = time.monotonic()
    for _ in range(count):
        s.sendall(request)
        got = read_response(s)
        if not got or got[0] != 200:
            sys.exit(f"rate: request failed: {got and got[0]}")
    elapsed = time.monotonic() - start
    s.close()
    print(f"{count} keep-alive requests in {elapsed:.2f} s: {count / elapsed:.0f} requests/s")


def apache_bench(path, count, keep_alive):
    argv = ["ab", "-q", "-n", str(count), "-c", "32", "-s", "120", *(["-k"] if keep_alive else []),
            f"http://127.0.0.1:{PORT}{path}"]
    result = subprocess.run(argv, capture_output=True, text=True)
    fields = dict(re.findall(r"^(Complete requests|Failed requests|Non-2xx responses|Requests per second):\s+([\d.]+)",
                             result.stdout, re.M))
    name = " ".join(argv[:-1])
    if result.returncode != 0 or "Requests per second" not in fields:
        sys.exit(f"{name}: exit status {result.returncode}: {(result.stderr or result.stdout)[-600:]}")
    if int(fields.get("Complete requests", 0)) != count or int(fields.get("Failed requests", 1)) != 0 \
            or int(fields.get("Non-2xx responses", 0)) != 0:
        sys.exit(f"{name}: {fields}\n{result.stdout[-1500:]}")
    print(f"{name}: {count} requests, 0 failed, {float(fields['Requests per second']):.0f} requests/s")


if __name__ == "__main__":
    PORT = int(sys.argv[2])
    if sys.argv[1] == "hostile":
        hostile()
    elif sys.argv[1] == "rate":
        rate(sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "ab" and len(sys.argv) in (5, 6) and sys.argv[5:] in ([], ["-k"]):
        apache_bench(sys.argv[3], int(sys.argv[4]), len(sys.argv) == 6)
    else:
        sys.exit(__doc__)
