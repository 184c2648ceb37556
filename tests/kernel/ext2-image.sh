# Fresh ext2 images for the storage tests, sourced by them after they define fail().

# need_e2fsprogs TOOL...: fails unless every TOOL (mke2fs, e2fsck, debugfs) is installed.
need_e2fsprogs() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || fail "needs $* (e2fsprogs)"
  done
}

# new_ext2_image FILE SIZE BLOCK-SIZE [TREE]: FILE becomes SIZE bytes (truncate -s) holding a
# fresh `mke2fs -t ext2` file system with BLOCK-SIZE-byte blocks, and a copy of TREE if given.
new_ext2_image() {
  truncate -s "$2" "$1" || fail "cannot make $1"
  mke2fs -q -F -t ext2 -b "$3" ${4:+-d "$4"} "$1" >/dev/null || fail "mke2fs of $1 failed"
}
