#!/usr/bin/env bash
# The virtio-blk driver end to end: boots with a scratch image, writes the test pattern through
# the driver, powers off, checks the image's bytes on the host, and boots again (q35 with ECAM,
# then i440fx with port I/O configuration access) to read it back. Also a request past the end
# of the disk (refused, nothing written) and a wrong seed (the verify must see the mismatch).
# The q35 boots take completions by MSI-X interrupt, the i440fx boot polls (`storage=poll`),
# and two last boots give the device no MSI-X (QEMU's vectors=0), so its interrupts come through
# the I/O APIC (INTx): on q35 with a queue of 4 entries, so every 32 KiB request takes a
# notification of its own, and on i440fx (the Interrupt Line and the MADT's overrides). At the first
# `disk` the count is 2: GET_ID at start and the boot's look for an ext2 superblock.
# usage: storage-virtio-blk.sh KERNEL.elf [QEMU-RUN-ARGS...]
set -uo pipefail
kernel=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
image=$work/scratch.img
truncate -s 8M "$image" # 16384 sectors
pattern() { python3 "$here/storage_pattern.py" "$@"; }
fail() { echo "storage-virtio-blk: $*"; exit 1; }

# Sectors the host writes for the OS to read.
pattern write "$image" 2000 10 11 || fail "could not prepare the image"

"$here/boot-expect.sh" --status 0 \
  --input "lspci\ndisk\ndisk write vda 100 1000 7\ndisk flush vda\ndisk verify vda 2000 10 11\ndisk write vda 16383 2 9\ndisk write vda 16382 2 5\ndisk flush vda\ndisk\npoweroff\n" \
  --expect "1af4:1042 mass storage \(010000\) virtio-blk" \
  --expect "configuration through ECAM" \
  --expect "storage: vda: virtio-blk at [0-9a-f:.]+, 16384 sectors \(8 MiB\), .*, MSI-X interrupts" \
  --expect "^vda 16384 sectors \(8 MiB\) features 0x1[0-9a-f]{8} queue 128 id \"wasmkern-disk0\" MSI-X vector 0x40, 2 interrupts" \
  --expect "^vda .* MSI-X vector 0x40, ([2-9]|[1-9][0-9]+) interrupts" \
  --expect "disk: wrote 1000 sectors at 100 \(16 requests, 2 notifications\)" \
  --expect "disk: flush done" \
  --expect "disk: verified 10 sectors at 2000" \
  --expect "disk: write at sector 16383 failed: block transfer past the end of the disk" \
  --expect "disk: wrote 2 sectors at 16382" \
  --reject "MISMATCH|not started|BAR [0-9]:" \
  -- "$@" --disk "$image" --append console "$kernel" || fail "first boot"

# The host sees exactly what the driver wrote, and nothing around it.
pattern check "$image" 100 1000 7 || fail "pattern not on the image"
pattern zero "$image" 99 1 || fail "sector before the write changed"
pattern zero "$image" 1100 900 || fail "sectors after the write changed"
pattern check "$image" 2000 10 11 || fail "host sectors changed"
pattern check "$image" 16382 2 5 || fail "last sectors not written"

"$here/boot-expect.sh" --status 0 \
  --input "disk verify vda 100 1000 7\ndisk verify vda 16382 2 5\ndisk verify vda 100 1 8\npoweroff\n" \
  --expect "disk: verified 1000 sectors at 100" \
  --expect "disk: verified 2 sectors at 16382" \
  --expect "disk: MISMATCH in 1 of 1 sectors, first at 100" \
  -- "$@" --disk "$image" --append console "$kernel" || fail "second boot (q35)"

"$here/boot-expect.sh" --status 0 \
  --input "lspci\ndisk\ndisk verify vda 100 1000 7\npoweroff\n" \
  --expect "configuration through ports 0xCF8/0xCFC" \
  --expect "^vda 16384 sectors .* polled$" \
  --expect "1af4:1042 mass storage \(010000\) virtio-blk" \
  --expect "disk: verified 1000 sectors at 100" \
  -- "$@" --machine pc --disk "$image" --append "console storage=poll" "$kernel" || fail "third boot (i440fx, polled)"
"$here/boot-expect.sh" --status 0 \
  --input "disk\ndisk verify vda 100 1000 7\ndisk\npoweroff\n" \
  --expect "ioapic: I/O APIC 0 version 0x[0-9a-f]+: GSIs 0\.\.23, all masked" \
  --expect "storage: vda: no MSI-X capability; interrupts through INTx \(GSI 2[0-3], vector 0x50\)" \
  --expect "^vda 16384 sectors .* queue 4 .* INTx GSI 2[0-3] vector 0x50, [12] interrupts$" \
  --expect "disk: verified 1000 sectors at 100 \(16 requests, 16 notifications\)" \
  --expect "^vda .* INTx GSI 2[0-3] vector 0x50, [1-9][0-9]+ interrupts$" \
  --reject "completions are polled|line masked" \
  -- "$@" --disk-options ",vectors=0,queue-size=4" --disk "$image" --append console "$kernel" || fail "fourth boot (no MSI-X: INTx, 4-entry queue)"
"$here/boot-expect.sh" --status 0 \
  --input "disk\ndisk verify vda 100 1000 7\ndisk\npoweroff\n" \
  --expect "storage: vda: no MSI-X capability; interrupts through INTx \(GSI (5|9|10|11), vector 0x50\)" \
  --expect "disk: verified 1000 sectors at 100" \
  --expect "^vda .* INTx GSI (5|9|10|11) vector 0x50, [1-9][0-9]* interrupts$" \
  --reject "completions are polled|line masked" \
  -- "$@" --machine pc --disk-options ",vectors=0" --disk "$image" --append console "$kernel" || fail "fifth boot (i440fx, no MSI-X: INTx)"
echo "storage-virtio-blk: ok"
