#!/usr/bin/env bash
# Direct calls (docs/process-abi.md, "Direct calls"): userland/hostile/xcall_client calls
# xcall_service's functions on its own thread: values of each type, state across calls, the
# call window and its bounds, refused counts, forged/closed/wrong-type handles and a missing
# right, nested and self calls (EDEADLK), a loop of 10000 calls, a client killed inside a call
# (the service goes on), services that trap, recurse too deep or exit in a call (ECONNABORTED
# for the client, then EPIPE; the service ends), a service killed while a call spins in it,
# and a cycle (the client waits for the service's gate while the service calls the client):
# EDEADLK for the one that would close it, no hang; last, a helper that waits for the call lock
# of a threaded service (userland/hostile/xcall_threads_service.wat, whose thread sleeps in a
# WASI call holding it) is killed and ends (137), and the service ends once its handle is closed.
# Twice: the second round leaves the kernel heap's bytes and live objects (0) as the first, and
# free frames up to pages the heap holds.
# usage: xcall-service.sh -- QEMU-RUN-ARGS... (an initrd with the test programs, the kernel last)
set -uo pipefail
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
. "$here/transcript-checks.sh"
trap 'rm -rf "$work"' EXIT

boot_two_rounds xcall-service /bin/xcall_client "$@"
# errnos: 8 badf, 13 connaborted, 16 deadlk, 21 fault, 27 intr, 28 inval, 64 pipe, 76 notcapable
for check in "start the service, receive its call handles -> 0" "call handles held -> 13" \
    "add\\(40, 2\\) -> 0" "add result -> 42" "add\\(-5, 2\\^32\\) result -> 4294967291" \
    "mix\\(3, 7, 0.25\\) -> 0" "mix result 3007.25" "count after 3 calls -> 3" \
    "upper through the window -> 0" "window now HELLO, SERVICE, service said 0" \
    "upper past the window -> 21" "window abuse \\(3 errnos\\) -> 212121" \
    "window read outside a call -> 28" "a call from inside a call -> 16" \
    "too few arguments -> 28" "too many arguments -> 28" "9 arguments -> 28" "no room for the result -> 28" \
    "arguments out of bounds -> 21" "window out of bounds -> 21" "a forged handle -> 8" \
    "a channel handle -> 28" "a handle without the call right -> 76" "a closed handle -> 8" \
    "10000 of 10000 calls right" "10000 calls, [0-9]+ ns each on average" \
    "kill the helper inside its call -> 0" "helper status -> 137" \
    "add after a client was killed in a call -> 0" "its result -> 42" \
    "status of the service once its handles are closed -> 0" \
    "a call that traps \\(out of bounds\\) -> 13" "a call after it traps \\(out of bounds\\) -> 64" \
    "status of the service that traps \\(out of bounds\\) -> 134" \
    "a call that recurses too deep -> 13" "a call after it recurses too deep -> 64" \
    "status of the service that recurses too deep -> 134" \
    "a call that exits with 7 -> 13" "a call after it exits with 7 -> 64" "status of the service that exits with 7 -> 7" \
    "start a service to kill -> 0" "kill the service inside the call -> 0" "status of the killed service -> 137" \
    "the spinning call ended -> 13" "helper status -> 0" "a call to the killed service -> 64" \
    "start a service that calls back -> 0" "offer a function of the client -> 0" "send it to the service -> 0" \
    "call the service while it calls back -> 0" "its result -> 11" "status of the service that called back -> 0" \
    "start a threaded service whose thread holds its call lock -> 0" "a helper calls the threaded service -> 0" \
    "kill the helper waiting for the service's call lock -> 0" "status of the helper killed waiting for the lock -> 137" \
    "status of the threaded service once its handle is closed -> 0" "done"; do
  expect_count "^xcall_client: $check$" 2
done
expect_count "^xcall_client: a helper calls the spinning function -> 0$" 4
expect_count "^xcall_service: served [0-9]+ calls, then serve -> 64$" 4
expect_count "^xcall_service: calling back its waiting client -> 16$" 2
expect_count "^error: wasm trap in a direct call: out of bounds memory access$" 2
expect_count "^error: wasm trap in a direct call: call stack exhausted$" 2
expect_count "^xcall_service: checks" 0
expect_count "^xcall_threads_service: the call ran$" 0
expect_count "^\\[process [0-9]+ exited with status 0\\]$" 2
expect_count "^0 processes$" 2
expect_count "KERNEL PANIC" 0
check_memory_after_rounds
grep -E "^xcall_client: 10000 calls" "$work/transcript" | sed 's/^/xcall-service: /'
finish_rounds
