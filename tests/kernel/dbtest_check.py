#!/usr/bin/env python3
"""Checks a dbtest store taken off an image with debugfs (userland/corpus/dbtest.c).
usage: dbtest_check.py INDEX LOG AT_LEAST
The index must say count=C bytes=B with C >= AT_LEAST, and the first B bytes of the log must be
exactly the records of transactions 1..C. Prints "C B" on success."""
import sys


def record(n):
    pad = "".join(chr(ord("a") + (n + i) % 26) for i in range(n * 37 % 150))
    return f"key=k{n} value=v{n}-{pad}\n".encode()


def main():
    index_path, log_path, at_least = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fields = dict(part.split("=") for part in open(index_path).read().split())
    count, size = int(fields["count"]), int(fields["bytes"])
    if count < at_least:
        sys.exit(f"index says {count} transactions, at least {at_least} were reported committed")
    log = open(log_path, "rb").read()
    expected = b"".join(record(n) for n in range(1, count + 1))
    if len(expected) != size:
        sys.exit(f"index says {size} bytes, {count} records hold {len(expected)}")
    if log[:size] != expected:
        at = next(i for i in range(min(len(log), size)) if log[i] != expected[i]) if len(log) >= size else len(log)
        sys.exit(f"log differs from the committed records at byte {at} (log {len(log)} bytes)")
    print(count, size)


main()
