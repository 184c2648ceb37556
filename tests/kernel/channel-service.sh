#!/usr/bin/env bash
# Channels (docs/process-abi.md, "Channels"): userland/hostile/channel_client talks to
# channel_service (a process it spawns with one end of a channel): 100 requests answered, a
# handle sent along (it leaves the sender, arrives with the write right only), a flooded queue
# (EAGAIN at 32 messages or 32 KiB), refused sends that move nothing, peer-closed, wait_many
# with a deadline, and the service's exit seen through its process handle. Twice: the second
# round leaves the kernel heap's bytes and live objects (0) as the first, and free frames up to
# pages the heap holds.
# usage: channel-service.sh -- QEMU-RUN-ARGS... (an initrd with the test programs, the kernel last)
set -uo pipefail
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
. "$here/transcript-checks.sh"
trap 'rm -rf "$work"' EXIT

boot_two_rounds channel-service /bin/channel_client "$@"
# errnos: 6 again, 8 badf, 21 fault, 28 inval, 35 msgsize, 64 pipe, 73 timedout, 76 notcapable
for check in "channel_create -> 0" "channel_create out of bounds -> 21" "spawn the service with one end -> 0" \
    "close our copy of its end -> 0" "100 of 100 answers right" "send ping with a reply channel -> 0" \
    "the sent handle left the sender -> 8" "answer on the reply channel -> 0" "answer pong read->76" \
    "wait until the service closed its end -> 0" "reply channel after the service closed its end -> 64" \
    "sending its own endpoint -> 28" "sending one handle twice -> 28" "sending a forged handle -> 8" \
    "writing on a process handle -> 28" "writing without the write right -> 76" \
    "sending a handle without transfer -> 76" "32 small messages queued, then errno 6" \
    "read into a buffer too small -> 35" "it needs 1 bytes" "read out of bounds -> 21" \
    "a message over 16 KiB -> 28" "a 16 KiB message -> 0" "a second 16 KiB message -> 0" \
    "a third \\(32 KiB queued\\) -> 6" "wait_many, one readable -> 0" "observed 0x1 0x1" \
    "wait_many, 50 ms deadline -> 73" "deadline kept 1" "wait_many with no items -> 28" \
    "wait_many with 65 items -> 28" "close one end -> 0" "write to a closed peer -> 64" \
    "wait_many peer closed -> 0" "observed 0x5" "read a queued message after the close -> 0" \
    "2000 round trips, [0-9]+ ns each on average" "close the service's channel -> 0" \
    "wait_many for the service's exit -> 0" "wait for the service -> 0" "service status 0"; do
  expect_count "^channel_client: $check$" 2
done
expect_count "^channel_service: answered 2101 requests, then its client closed the channel$" 2
expect_count "^\\[process [0-9]+ exited with status 0\\]$" 2
expect_count "^0 processes$" 2
expect_count "KERNEL PANIC" 0
check_memory_after_rounds
grep -E "^channel_client: [0-9]+ round trips" "$work/transcript" | sed 's/^/channel-service: /'
finish_rounds
