#!/usr/bin/env bash
# The production kernel links no in-kernel test, no WAT parser and no spec runner; the test
# kernel does (so the patterns below really name what they look for).
# usage: production-symbols.sh NM PRODUCTION.elf TEST.elf
set -euo pipefail
nm=$1 production=$2 test_kernel=$3
patterns='kernel_test_|wk::engine::text::|wk::engine::spec::|wk::kernel::spec::run_suite'
count() { "$nm" --defined-only -C "$1" | grep -cE "$patterns" || true; }
in_production=$(count "$production")
in_test=$(count "$test_kernel")
total=$("$nm" --defined-only "$production" | wc -l)
echo "production-symbols: $in_production test-only symbols of $total in $production; $in_test in $test_kernel"
if [ "$total" -lt 100 ]; then
  echo "production-symbols: too few symbols in $production"; exit 1
fi
if [ "$in_test" -lt 100 ]; then
  echo "production-symbols: the test kernel should hold the tests, parser and runner"; exit 1
fi
# run_suite is also the stand-in that refuses `spec`; nothing else may match.
if [ "$in_production" -gt 1 ]; then
  "$nm" --defined-only -C "$production" | grep -E "$patterns" | head -20
  exit 1
fi
size_production=$(stat -c %s "$production")
size_test=$(stat -c %s "$test_kernel")
echo "production-symbols: $size_production bytes (production) vs $size_test (test kernel)"
