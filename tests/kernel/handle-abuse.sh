#!/usr/bin/env bash
# Handles abused (userland/hostile/handle_abuse.c, docs/process-abi.md "Handles"): forged,
# guessed, stale and closed values, the wrong type, missing rights, handing over what is not
# held, a full handle table, power-off and the process list without the root resource, a child
# guessing for a handle to its parent. Each gets its errno; the machine stays up (the power-off
# attempts fail), and the second round leaves the kernel heap's bytes in use and the live kernel
# objects (0) as the first did, and free frames as well up to pages the heap holds.
# usage: handle-abuse.sh -- QEMU-RUN-ARGS... (an initrd with the hostile programs, the kernel last)
set -uo pipefail
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
. "$here/transcript-checks.sh"
trap 'rm -rf "$work"' EXIT

boot_two_rounds handle-abuse /bin/handle_abuse "$@"
# errnos: 8 badf, 21 fault, 28 inval, 33 mfile, 76 notcapable
expect_count "^handle_abuse: holds 0 handles at start$" 2
expect_count "^handle_abuse: handles out of bounds -> 21$" 2
expect_count "^handle_abuse: poweroff with a forged resource -> 8$" 2
expect_count "^handle_abuse: ps with a forged resource -> 8$" 2
expect_count "^handle_abuse: process_by_pid with a forged resource -> 8$" 2
expect_count "^handle_abuse: spawn the sleeper -> 0$" 2
expect_count "^handle_abuse: poweroff with a process handle -> 28$" 2
expect_count "^handle_abuse: ps with a process handle -> 28$" 2
expect_count "^handle_abuse: handle_duplicate out of bounds -> 21$" 2
expect_count "^handle_abuse: duplicate with inspect only -> 0$" 2
expect_count "^handle_abuse: inspect through it -> 0$" 2
expect_count "^handle_abuse: kill through it -> 76$" 2
expect_count "^handle_abuse: interrupt through it -> 76$" 2
expect_count "^handle_abuse: wait through it -> 76$" 2
expect_count "^handle_abuse: duplicate it \\(no duplicate right\\) -> 76$" 2
expect_count "^handle_abuse: process_info short buffer -> 28$" 2
expect_count "^handle_abuse: spawn handing a forged handle -> 8$" 2
expect_count "^handle_abuse: spawn handing a handle without duplicate -> 76$" 2
expect_count "^handle_abuse: spawn handing 65 handles -> 28$" 2
expect_count "^handle_abuse: spawn handles out of bounds -> 21$" 2
expect_count "^handle_abuse: spawn the child with the sleeper \\(inspect\\) -> 0$" 2
expect_count "^handle_abuse: child holds 1 handles$" 2
expect_count "^handle_abuse: child's handle: type 1 rights 0x80$" 2
expect_count "^handle_abuse: child: inspect the granted process -> 0$" 2
expect_count "^handle_abuse: child: kill the granted process -> 76$" 2
expect_count "^handle_abuse: child: wait for the granted process -> 76$" 2
expect_count "^handle_abuse: child: guessed kills that did not fail with EBADF: 0$" 2
expect_count "^handle_abuse: child: process_by_pid with a forged resource -> 8$" 2
expect_count "^handle_abuse: child: process_by_pid with a process handle -> 28$" 2
expect_count "^handle_abuse: child: poweroff without the resource -> 28$" 2
expect_count "^handle_abuse: wait for the child -> 0$" 2
expect_count "^handle_abuse: child status 0$" 2
expect_count "^handle_abuse: wait again \\(stale handle\\) -> 8$" 2
expect_count "^handle_abuse: kill the stale handle -> 8$" 2
expect_count "^handle_abuse: close the stale handle -> 8$" 2
expect_count "^handle_abuse: close the inspect-only handle -> 0$" 2
expect_count "^handle_abuse: close it twice -> 8$" 2
expect_count "^handle_abuse: inspect through the closed handle -> 8$" 2
expect_count "^handle_abuse: 1023 duplicates, then errno 33$" 2
expect_count "^handle_abuse: spawn with the table full -> 33$" 2
expect_count "^handle_abuse: closed 1023$" 2
expect_count "^handle_abuse: holds 1 handles at the end$" 2
expect_count "^handle_abuse: kill the sleeper -> 0$" 2
expect_count "^handle_abuse: wait for the sleeper -> 0$" 2
expect_count "^handle_abuse: sleeper status 137$" 2
expect_count "^\\[process [0-9]+ exited with status 0\\]$" 2
expect_count "^0 processes$" 2
expect_count "powering off \\(status 9" 0
expect_count "KERNEL PANIC" 0
check_memory_after_rounds
finish_rounds
