#!/usr/bin/env bash
# Events, timers and ports (docs/process-abi.md, "Events, timers and ports"):
# userland/hostile/waitset uses and abuses them: each operation, forged, closed and wrong-type
# handles, missing rights, deadlines 0 and UINT64_MAX, wait_many_until's absolute deadlines,
# timer slack (the signal at the deadline, a wait ended by another timer inside the slack), a
# flood of signals, a full packet queue and registration set, wake-ups from another process
# (1000 event round trips, a timer armed while waited on, a queued packet, an exit seen through
# a port), and children killed while blocked in port_wait and wait_many. Twice: the second
# round leaves the kernel heap's bytes and live objects (0) as the first, and free frames up to
# pages the heap holds.
# usage: waitset.sh -- QEMU-RUN-ARGS... (an initrd with the test programs, the kernel last)
set -uo pipefail
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
. "$here/transcript-checks.sh"
trap 'rm -rf "$work"' EXIT

boot_two_rounds waitset /bin/waitset "$@"
# errnos: 6 again, 8 badf, 20 exist, 21 fault, 28 inval, 44 noent, 51 nospc, 73 timedout,
# 76 notcapable
for check in \
    "event_create -> 0" "event_create out of bounds -> 21" "a new event, polled -> 73" \
    "event_signal set user 0 -> 0" "wait for user 0 -> 0, observed 0x1000000" "event_signal clear user 0 -> 0" \
    "wait for user 0 after the clear -> 73" "event_signal set and clear user 1 at once -> 0" \
    "set wins over clear: observed 0x2000000" "event_signal a channel signal bit -> 28" \
    "event_signal clearing a bit outside the user bits -> 28" "refused signals changed nothing: observed 0x2000000" \
    "event_signal without the signal right -> 76" "wait_many on an event without the wait right -> 76" \
    "event_signal on a channel -> 28" "event_signal on a forged handle -> 8" "event_signal on a closed handle -> 8" \
    "wait_many on a closed handle -> 8" "wait_many on a forged handle -> 8" "100000 signals, 0 refused" \
    "after the flood -> 0, observed 0x3000000" \
    "timer_create -> 0" "a timer not armed, 20 ms -> 73" "timer_set in 30 ms -> 0" \
    "wait for the timer -> 0, observed 0x10, not before its deadline 1" "a fired timer stays signalled -> 0" \
    "timer_cancel -> 0" "a cancelled timer, polled -> 73" "timer_set deadline 0 -> 0" "deadline 0 fired at once -> 0" \
    "timer_set deadline UINT64_MAX -> 0" "deadline UINT64_MAX, 20 ms -> 73" "timer_set deadline UINT64_MAX - 1 -> 0" \
    "deadline UINT64_MAX - 1, 20 ms -> 73" "timer in 10 s, wait 20 ms -> 73" "re-set to 20 ms -> 0, before the old deadline 1" \
    "16 timers in one wait -> 0, the earliest fired 1, not early 1" \
    "wait_many_until deadline 0, nothing signalled -> 73" "wait_many_until in 30 ms -> 73, not before it 1" \
    "wait_many_until the same deadline again -> 73" "wait_many_until a past deadline, signalled -> 0" \
    "wait_many_until UINT64_MAX, signalled -> 0, observed 0x1000000" "wait_many_until 0 items -> 28" \
    "wait_many_until 65 items -> 28" "wait_many_until out of bounds -> 21" "wait_many_until on a forged handle -> 8" \
    "timer_set_slack in 10 ms, slack 4 s -> 0" "past its deadline, inside its slack, polled -> 0" \
    "slack timer beside a timer in 30 ms -> 0, the slack timer fired 1, not early 1, before its slack ran out 1" \
    "timer_set_slack deadline UINT64_MAX, slack UINT32_MAX -> 0" "deadline UINT64_MAX with slack, 20 ms -> 73" \
    "timer_set_slack without the write right -> 76" "timer_set_slack on an event -> 28" \
    "timer_set_slack on a forged handle -> 8" \
    "timer_set without the write right -> 76" "timer_cancel without the write right -> 76" "timer_set on an event -> 28" \
    "timer_set on a forged handle -> 8" "event_signal on a timer -> 28" "timer_set on a closed handle -> 8" \
    "port_create -> 0" "port_wait polled, empty -> -73" "port_wait, deadline in 30 ms -> -73" "deadline kept 1" \
    "port_add an event -> 0" "port_add the same key again -> 20" "port_wait, nothing signalled -> -73" \
    "signalled: 1 packet, key 1 signals 0x1000000" "still signalled, reported again -> 1" "wait_many on the port -> 0" \
    "wait_many on the port, nothing ready -> 73" "port_queue -> 0" \
    "queued and registered: 2 packets, first key 77 signals 5, then key 1" \
    "after closing the event's handle, still reported -> 1" "port_remove -> 0" "after port_remove -> -73" \
    "a timer through the port: 1 packet, key 5, not early 1" \
    "port_add without the write right -> 76" "port_add an object without the wait right -> 76" \
    "port_add wanting nothing -> 28" "port_add the port to itself -> 28" "port_add a forged handle -> 8" \
    "port_add on an event -> 28" "port_wait capacity 0 -> 28" "port_wait capacity 65 -> 28" \
    "port_wait out of bounds -> 21" "port_wait on a channel -> 28" "port_wait without the read right -> 76" \
    "port_queue without the write right -> 76" "sending a port through a channel -> 76" \
    "port_remove a key not registered -> 44" "port_wait on a closed handle -> 8" \
    "32 packets queued, then errno 6" "drained 32, in order 1" "queued packets come once -> -73" \
    "64 registrations, then errno 51" "16 waits of 4 packets reached 64 of 64 registrations" "removed 64" \
    "spawn the pong child -> 0" "1000 of 1000 event round trips" "a timer the child arms while we wait -> 0" \
    "the child's packet: 1, key 99 signals 7" "the child's exit through the port: 1, key 1 signals 0x8" \
    "wait for the pong child -> 0" "pong child status 0" \
    "kill the child in port_wait -> 0" "kill the child in wait_many -> 0" "port_wait child status 137" \
    "wait_many child status 137" "handles left 0"; do
  expect_count "^waitset: $check$" 2
done
expect_count "^waitset: event round trip [0-9]+ ns on average$" 2
expect_count "^0 processes$" 2
expect_count "KERNEL PANIC" 0
check_memory_after_rounds
grep -E "^waitset: event round trip" "$work/transcript" | sed 's/^/waitset: /'
finish_rounds
