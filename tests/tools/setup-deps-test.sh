#!/usr/bin/env bash
# tools/setup-deps as root, as a user with sudo and as a user without it, against fake
# dpkg-query/apt-get/sudo/id on a PATH of their own (nothing is installed for real).
# usage: setup-deps-test.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
setup=$here/../../tools/setup-deps
bash_path=$(command -v bash)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# fake/: the tools the script may call. $work/installed lists the "installed" packages;
# apt-get and sudo append their command lines to $work/calls.
fake=$work/fake
mkdir -p "$fake"
for tool in grep env cat; do ln -s "$(command -v "$tool")" "$fake/$tool"; done
cat >"$fake/dpkg-query" <<FAKE
#!$bash_path
package=\${!#}
grep -qxF -- "\$package" "$work/installed" && printf 'install ok installed'
exit 0
FAKE
cat >"$fake/apt-get" <<FAKE
#!$bash_path
echo "apt-get \$* (uid \$(id -u))" >>"$work/calls"
FAKE
cat >"$fake/sudo" <<FAKE
#!$bash_path
echo "sudo \$*" >>"$work/calls"
FAKE_UID=0 "\$@"
FAKE
cat >"$fake/id" <<FAKE
#!$bash_path
echo "\${FAKE_UID:-0}"
FAKE
chmod +x "$fake"/*
all=(clang-19 lld-19 llvm-19 libclang-rt-19-dev cmake ninja-build make libgtest-dev qemu-system-x86
     grub-pc-bin grub-common xorriso mtools wasi-libc libclang-rt-19-dev-wasm32 binaryen python3 curl apache2-utils e2fsprogs
     linux-image-cloud-amd64 busybox-static nodejs)

run() { # run UID [no-sudo]: setup-deps with fake/ (less sudo) as the whole PATH
  local bin=$work/bin
  rm -rf "$bin" "$work/calls"
  cp -a "$fake" "$bin"
  [ "${2:-}" = no-sudo ] && rm -f "$bin/sudo"
  : >"$work/calls"
  FAKE_UID=$1 PATH=$bin "$bash_path" "$setup" >"$work/out" 2>"$work/err"
}

# Everything present: one line, nothing run, as any user.
printf '%s\n' "${all[@]}" >"$work/installed"
run 1000 no-sudo || fail "all present: status $?"
grep -qx "setup-deps: all dependencies present" "$work/out" || fail "all present: $(cat "$work/out")"
[ -s "$work/calls" ] && fail "all present ran: $(cat "$work/calls")"

# Two missing, as root: apt-get installs exactly those.
printf '%s\n' "${all[@]}" | grep -vx -e cmake -e xorriso >"$work/installed"
run 0 || fail "root: status $?"
grep -q "^apt-get install .* cmake xorriso (uid 0)$" "$work/calls" || fail "root: $(cat "$work/calls")"
grep -q "^sudo" "$work/calls" && fail "root used sudo"

# As a user with sudo: through sudo, the same two packages.
run 1000 || fail "sudo: status $?"
grep -q "^sudo env DEBIAN_FRONTEND=noninteractive apt-get install .* cmake xorriso$" "$work/calls" ||
  fail "sudo: $(cat "$work/calls")"
grep -q "^apt-get install .* cmake xorriso (uid 0)$" "$work/calls" || fail "sudo did not run apt-get"

# As a user without sudo: fails, names the packages, installs nothing.
run 1000 no-sudo && fail "no sudo: succeeded"
grep -q "missing Debian packages: cmake xorriso" "$work/err" || fail "no sudo: $(cat "$work/err")"
grep -q "not root and no sudo" "$work/err" || fail "no sudo: no reason given: $(cat "$work/err")"
[ -s "$work/calls" ] && fail "no sudo ran: $(cat "$work/calls")"

[ "$failures" -eq 0 ] && echo "setup-deps: ok"
exit "$((failures > 0))"
