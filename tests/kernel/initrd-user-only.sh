#!/usr/bin/env bash
# The default initrd's /bin holds exactly the user programs: every name of the list
# (userland/bin, build/userland/user-programs.txt) and no test program (userland/corpus,
# userland/hostile), read from the archive itself.
# usage: initrd-user-only.sh INITRD.tar USER-PROGRAMS.txt USERLAND-SOURCE-DIR
set -uo pipefail
initrd=$1 list=$2 sources=$3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
listing=$(tar -tf "$initrd" | sed -n 's|^\./bin/\(..*\)$|\1|p' | sort)
[ -n "$listing" ] || fail "no programs under /bin in $initrd"
while IFS= read -r name; do
  [ -n "$name" ] || continue
  grep -qxF -- "$name" <<<"$listing" || fail "user program $name is missing from /bin"
done <"$list"
while IFS= read -r name; do
  grep -qxF -- "$name" "$list" || fail "/bin/$name is not a user program"
done <<<"$listing"
for source in "$sources"/corpus/*.c "$sources"/hostile/*.c "$sources"/hostile/*.wat; do
  [ -e "$source" ] || continue
  name=$(basename "$source")
  name=${name%.*}
  grep -qxF -- "$name" <<<"$listing" && fail "test program $name is in the default /bin"
done
[ "$failures" -eq 0 ] && echo "initrd: /bin holds the $(wc -l <<<"$listing") user programs only"
exit "$((failures > 0))"
