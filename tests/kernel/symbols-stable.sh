#!/usr/bin/env bash
# Checks that every code and data symbol has the same address in both kernel links
# (the type letter of __ksyms_start may differ: the section is empty in the first link).
set -euo pipefail
nm=$1 stage1=$2 final=$3
a=$("$nm" --defined-only -n "$stage1" | grep -vE " (__ksyms_end|__kernel_end)$" | awk "{print \$1, \$3}")
b=$("$nm" --defined-only -n "$final" | grep -vE " (__ksyms_end|__kernel_end)$" | awk "{print \$1, \$3}")
count=$(printf '%s\n' "$a" | wc -l)
if [ "$count" -lt 100 ]; then
  echo "symbols-stable: only $count symbols in $stage1"; exit 1
fi
if [ "$a" != "$b" ]; then
  echo "symbols-stable: symbols moved between the two links:"
  diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -20
  exit 1
fi
echo "symbols-stable: $count symbols at the same addresses in both links"
