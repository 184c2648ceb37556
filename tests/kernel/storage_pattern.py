#!/usr/bin/env python3
"""The sector test pattern of the kernel's `disk write|verify` (kernel/console/storage_commands.cpp),
computed on the host: write it into an image, or check an image for it (or for zeros).

usage: storage_pattern.py write|check|zero IMAGE FIRST_SECTOR COUNT [SEED]
"""
import sys

SECTOR = 512


def pattern(sector, seed):
    head = b"WKSECTOR" + sector.to_bytes(8, "little") + seed.to_bytes(8, "little")
    return head + bytes((sector * 31 + i * 7 + seed) & 0xFF for i in range(24, SECTOR))


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    verb, image, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    with open(image, "r+b" if verb == "write" else "rb") as f:
        f.seek(first * SECTOR)
        if verb == "write":
            for sector in range(first, first + count):
                f.write(pattern(sector, seed))
            return 0
        data = f.read(count * SECTOR)
    if len(data) != count * SECTOR:
        print(f"storage_pattern: image ends before sector {first + count}", file=sys.stderr)
        return 1
    bad = []
    for i in range(count):
        want = bytes(SECTOR) if verb == "zero" else pattern(first + i, seed)
        if data[i * SECTOR:(i + 1) * SECTOR] != want:
            bad.append(first + i)
    if bad:
        print(f"storage_pattern: {len(bad)} of {count} sectors differ ({verb}), first {bad[0]}", file=sys.stderr)
        return 1
    print(f"storage_pattern: {count} sectors from {first} ok ({verb})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
