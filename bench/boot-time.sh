#!/usr/bin/env bash
# Boots the kernel N times (default 10) and prints the kernel's own "first instruction to
# console prompt" figure: min, median and max, plus the accelerator used.
# usage: bench/boot-time.sh [KERNEL.elf] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
kernel=${1:-$here/build/bin/wasmkern.elf}
runs=${2:-10}
cache=$(mktemp)
trap 'rm -f "$cache"' EXIT
times=()
for _ in $(seq "$runs"); do
  line=$(printf 'poweroff\n' | "$here/tools/qemu-run" --accel-cache "$cache" --timeout 60 "$kernel" 2>/dev/null \
         | tr -d '\r' | grep -o 'console prompt in [0-9.]* ms' || true)
  [ -n "$line" ] || { echo "boot-time: a boot did not reach the prompt" >&2; exit 1; }
  times+=("$(echo "$line" | awk '{print $4}')")
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
min=$(echo "$sorted" | head -1)
max=$(echo "$sorted" | tail -1)
median=$(echo "$sorted" | awk -v n="$runs" 'NR == int((n + 1) / 2) {print}')
echo "accelerator: $(cat "$cache")"
echo "boots: $runs  first instruction -> prompt: min $min ms, median $median ms, max $max ms"
