#!/usr/bin/env bash
# Boots the kernel N times (default 10) and prints the kernel's own boot figure: min, median
# and max, plus the accelerator used. Without INITRD: "first instruction to console prompt"
# (the kernel console, empty root). With INITRD: "first instruction to shell prompt (first
# console read)", the boot `make run` does (/bin/sh started from the initrd).
# usage: bench/boot-time.sh [KERNEL.elf] [N] [INITRD.tar]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
kernel=${1:-$here/build/bin/wasmkern.elf}
runs=${2:-10}
initrd=${3:-}
cache=$(mktemp)
trap 'rm -f "$cache"' EXIT
args=(--accel-cache "$cache" --timeout 60)
pattern='console prompt in [0-9.]* ms'
input='poweroff\n'
if [ -n "$initrd" ]; then
  args+=(--initrd "$initrd")
  pattern='shell prompt (first console read) in [0-9.]* ms'
  # The shell-prompt figure is a debug line in the kernel log, kept off the console: dmesg shows it.
  input='dmesg\npoweroff\n'
fi
times=()
for _ in $(seq "$runs"); do
  line=$(printf "$input" | "$here/tools/qemu-run" "${args[@]}" "$kernel" 2>/dev/null \
         | tr -d '\r' | grep -o "$pattern" || true)
  [ -n "$line" ] || { echo "boot-time: a boot did not reach the prompt" >&2; exit 1; }
  times+=("$(echo "$line" | awk '{print $(NF - 1)}')")
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
min=$(echo "$sorted" | head -1)
max=$(echo "$sorted" | tail -1)
median=$(echo "$sorted" | awk -v n="$runs" 'NR == int((n + 1) / 2) {print}')
echo "accelerator: $(cat "$cache")"
echo "boots: $runs  first instruction -> ${pattern%% in*}: min $min ms, median $median ms, max $max ms"
