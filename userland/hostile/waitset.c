// waitset: events, timers and ports (docs/process-abi.md, "Events, timers and ports"), used
// and abused: each operation, forged, closed and wrong-type handles, missing rights, absurd
// deadlines (0, UINT64_MAX), a signalling flood, a full port queue and registration set, wake-ups
// across processes (an event ping-pong, a timer armed by another process, a packet queued by
// another process) and killing processes blocked in port_wait and wait_many. Prints one line
// per check (tests/kernel/waitset.sh).
//   waitset                the test
//   waitset pong           its child: answers event pings, arms the parent's timer, queues a packet
//   waitset block-port     a child blocked in port_wait until killed
//   waitset block-event    a child blocked in wait_many until killed
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wasmkern.h"

#define U0 WK_SIGNAL_USER(0)
#define U1 WK_SIGNAL_USER(1)
#define FOREVER 0xFFFFFFFFu
#define kRounds 1000

static const char kPath[] = "/bin/waitset";

static void show(const char* what, int value) { printf("waitset: %s -> %d\n", what, value); }

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void sleep_ms(int ms)
{
    struct timespec t = { 0, ms * 1000000L };
    nanosleep(&t, NULL);
}

// wait_many on one item; *observed gets its signals.
static int wait_one(uint32_t handle, uint32_t wanted, uint32_t timeout_ms, uint32_t* observed)
{
    struct WkWaitItem item = { handle, wanted, 0 };
    int error = wasmkern_wait_many(&item, 1, timeout_ms);
    if (observed)
        *observed = item.observed;
    return error;
}

static int spawn_child(const char* mode, const struct WkHandleGrant* grants, uint32_t count, uint32_t* process)
{
    char argv[32];
    int length = snprintf(argv, sizeof argv, "waitset%c%s", 0, mode);
    return wasmkern_spawn_with_handles(kPath, sizeof kPath - 1, argv, (uint32_t)length + 1, "", 0, 0, 1, 2, grants,
        count, 0, process);
}

static int pong_main(void)
{
    uint32_t ping = 0, pong = 0, timer = 0, port = 0;
    if (wk_find_handle(WK_OBJECT_EVENT, WK_RIGHT_WAIT | WK_RIGHT_SIGNAL, &ping)
        || wk_find_handle(WK_OBJECT_EVENT, WK_RIGHT_SIGNAL | WK_RIGHT_TRANSFER, &pong)
        || wk_find_handle(WK_OBJECT_TIMER, WK_RIGHT_WRITE, &timer) || wk_find_handle(WK_OBJECT_PORT, WK_RIGHT_WRITE, &port)) {
        fprintf(stderr, "waitset pong: handles missing\n");
        return 1;
    }
    int answered = 0;
    for (int i = 0; i < kRounds; ++i) {
        if (wait_one(ping, U0, 10000, NULL) != 0)
            break;
        if (wasmkern_event_signal(ping, 0, U0) != 0 || wasmkern_event_signal(pong, U0, 0) != 0)
            break;
        ++answered;
    }
    // The parent waits on the timer, not armed yet: arming it must wake and re-deadline that wait.
    sleep_ms(30);
    int armed = wasmkern_timer_set(timer, now_ns() + 20000000u);
    sleep_ms(60);
    int queued = wasmkern_port_queue(port, 99, 7);
    return answered == kRounds && armed == 0 && queued == 0 ? 0 : 2;
}

static int blocked_main(int in_port)
{
    uint32_t handle = 0;
    if (in_port) {
        struct WkPortPacket packet;
        uint32_t count = 0;
        if (wk_find_handle(WK_OBJECT_PORT, WK_RIGHT_READ, &handle) == 0)
            wasmkern_port_wait(handle, UINT64_MAX, &packet, 1, &count);
    } else if (wk_find_handle(WK_OBJECT_EVENT, WK_RIGHT_WAIT, &handle) == 0) {
        wait_one(handle, U0, FOREVER, NULL);
    }
    return 3; // only when the wait returned: the parent expects 137 (killed)
}

static void events(void)
{
    uint32_t event = 0, observed = 0, channel[2];
    show("event_create", wasmkern_event_create(&event));
    show("event_create out of bounds", wasmkern_event_create((uint32_t*)0xFFFFFFFEu));
    show("a new event, polled", wait_one(event, WK_SIGNAL_USER_ALL, 0, &observed));
    show("event_signal set user 0", wasmkern_event_signal(event, U0, 0));
    int error = wait_one(event, U0, 0, &observed);
    printf("waitset: wait for user 0 -> %d, observed 0x%x\n", error, observed);
    show("event_signal clear user 0", wasmkern_event_signal(event, 0, U0));
    show("wait for user 0 after the clear", wait_one(event, U0, 0, NULL));
    show("event_signal set and clear user 1 at once", wasmkern_event_signal(event, U1, U1));
    wait_one(event, WK_SIGNAL_USER_ALL, 0, &observed);
    printf("waitset: set wins over clear: observed 0x%x\n", observed);
    show("event_signal a channel signal bit", wasmkern_event_signal(event, WK_SIGNAL_READABLE, 0));
    show("event_signal clearing a bit outside the user bits", wasmkern_event_signal(event, 0, 1u << 23));
    wait_one(event, WK_SIGNAL_USER_ALL | 0xFFu, 0, &observed);
    printf("waitset: refused signals changed nothing: observed 0x%x\n", observed);
    uint32_t wait_only = 0, signal_only = 0;
    wasmkern_handle_duplicate(event, WK_RIGHT_WAIT, &wait_only);
    wasmkern_handle_duplicate(event, WK_RIGHT_SIGNAL, &signal_only);
    show("event_signal without the signal right", wasmkern_event_signal(wait_only, U0, 0));
    show("wait_many on an event without the wait right", wait_one(signal_only, U0, 0, NULL));
    wasmkern_channel_create(channel);
    show("event_signal on a channel", wasmkern_event_signal(channel[0], U0, 0));
    show("event_signal on a forged handle", wasmkern_event_signal(0x2345671u, U0, 0));
    wasmkern_handle_close(signal_only);
    show("event_signal on a closed handle", wasmkern_event_signal(signal_only, U0, 0));
    show("wait_many on a closed handle", wait_one(signal_only, U0, 0, NULL));
    show("wait_many on a forged handle", wait_one(0x2345671u, U0, 0, NULL));
    // A flood: signals change bits, nothing queues.
    int flood_errors = 0;
    for (int i = 0; i < 100000; ++i)
        flood_errors += wasmkern_event_signal(event, (i & 1) ? U0 : 0, (i & 1) ? 0 : U0) != 0;
    printf("waitset: 100000 signals, %d refused\n", flood_errors);
    error = wait_one(event, U0, 0, &observed);
    printf("waitset: after the flood -> %d, observed 0x%x\n", error, observed);
    wasmkern_handle_close(wait_only);
    wasmkern_handle_close(channel[0]);
    wasmkern_handle_close(channel[1]);
    wasmkern_handle_close(event);
}

static void timer_abuse(uint32_t timer)
{
    uint32_t event = 0, wait_only = 0;
    wasmkern_event_create(&event);
    wasmkern_handle_duplicate(timer, WK_RIGHT_WAIT, &wait_only);
    show("timer_set without the write right", wasmkern_timer_set(wait_only, 0));
    show("timer_cancel without the write right", wasmkern_timer_cancel(wait_only));
    show("timer_set on an event", wasmkern_timer_set(event, 0));
    show("timer_set on a forged handle", wasmkern_timer_set(0x3456781u, 0));
    show("event_signal on a timer", wasmkern_event_signal(timer, U0, 0));
    wasmkern_handle_close(wait_only);
    show("timer_set on a closed handle", wasmkern_timer_set(wait_only, 0));
    wasmkern_handle_close(event);
}

static void timers(void)
{
    uint32_t timer = 0, observed = 0;
    show("timer_create", wasmkern_timer_create(&timer));
    show("a timer not armed, 20 ms", wait_one(timer, WK_SIGNAL_TIMER_FIRED, 20, NULL));
    uint64_t start = now_ns();
    show("timer_set in 30 ms", wasmkern_timer_set(timer, start + 30000000u));
    int error = wait_one(timer, WK_SIGNAL_TIMER_FIRED, FOREVER, &observed);
    uint64_t waited = now_ns() - start;
    printf("waitset: wait for the timer -> %d, observed 0x%x, not before its deadline %d\n", error, observed,
        waited >= 30000000u);
    show("a fired timer stays signalled", wait_one(timer, WK_SIGNAL_TIMER_FIRED, 0, NULL));
    show("timer_cancel", wasmkern_timer_cancel(timer));
    show("a cancelled timer, polled", wait_one(timer, WK_SIGNAL_TIMER_FIRED, 0, NULL));
    show("timer_set deadline 0", wasmkern_timer_set(timer, 0));
    show("deadline 0 fired at once", wait_one(timer, WK_SIGNAL_TIMER_FIRED, 0, NULL));
    show("timer_set deadline UINT64_MAX", wasmkern_timer_set(timer, UINT64_MAX));
    show("deadline UINT64_MAX, 20 ms", wait_one(timer, WK_SIGNAL_TIMER_FIRED, 20, NULL));
    show("timer_set deadline UINT64_MAX - 1", wasmkern_timer_set(timer, UINT64_MAX - 1));
    show("deadline UINT64_MAX - 1, 20 ms", wait_one(timer, WK_SIGNAL_TIMER_FIRED, 20, NULL));
    // A later deadline replaced by an earlier one; a wait's own deadline before the timer's.
    wasmkern_timer_set(timer, now_ns() + 10000000000ull);
    show("timer in 10 s, wait 20 ms", wait_one(timer, WK_SIGNAL_TIMER_FIRED, 20, NULL));
    start = now_ns();
    wasmkern_timer_set(timer, start + 20000000u);
    error = wait_one(timer, WK_SIGNAL_TIMER_FIRED, 5000, NULL);
    printf("waitset: re-set to 20 ms -> %d, before the old deadline %d\n", error, now_ns() - start < 5000000000ull);
    // Many timers in one wait: the earliest ends it.
    uint32_t many[16];
    struct WkWaitItem items[16];
    start = now_ns();
    for (int i = 0; i < 16; ++i) {
        wasmkern_timer_create(&many[i]);
        wasmkern_timer_set(many[i], start + (uint64_t)(60 - 2 * i) * 1000000u);
        items[i] = (struct WkWaitItem) { many[i], WK_SIGNAL_TIMER_FIRED, 0 };
    }
    error = wasmkern_wait_many(items, 16, 5000);
    printf("waitset: 16 timers in one wait -> %d, the earliest fired %d, not early %d\n", error,
        (items[15].observed & WK_SIGNAL_TIMER_FIRED) != 0, now_ns() - start >= 30000000u);
    for (int i = 0; i < 16; ++i)
        wasmkern_handle_close(many[i]);
    timer_abuse(timer);
    wasmkern_handle_close(timer);
}

// wait_many_until: an absolute deadline, with the checks of wait_many's items.
static void absolute_deadlines(void)
{
    uint32_t event = 0;
    wasmkern_event_create(&event);
    struct WkWaitItem item = { event, U0, 0 };
    show("wait_many_until deadline 0, nothing signalled", wasmkern_wait_many_until(&item, 1, 0));
    uint64_t deadline = now_ns() + 30000000u;
    int error = wasmkern_wait_many_until(&item, 1, deadline);
    printf("waitset: wait_many_until in 30 ms -> %d, not before it %d\n", error, now_ns() >= deadline);
    show("wait_many_until the same deadline again", wasmkern_wait_many_until(&item, 1, deadline));
    wasmkern_event_signal(event, U0, 0);
    show("wait_many_until a past deadline, signalled", wasmkern_wait_many_until(&item, 1, deadline));
    error = wasmkern_wait_many_until(&item, 1, UINT64_MAX);
    printf("waitset: wait_many_until UINT64_MAX, signalled -> %d, observed 0x%x\n", error, item.observed);
    show("wait_many_until 0 items", wasmkern_wait_many_until(&item, 0, 0));
    show("wait_many_until 65 items", wasmkern_wait_many_until(&item, 65, 0));
    show("wait_many_until out of bounds", wasmkern_wait_many_until((struct WkWaitItem*)0xFFFFFFF0u, 1, 0));
    struct WkWaitItem forged = { 0x3456781u, U0, 0 };
    show("wait_many_until on a forged handle", wasmkern_wait_many_until(&forged, 1, 0));
    wasmkern_handle_close(event);
}

// Timer slack: the signal is there from the deadline on; a wait that another timer ends inside
// the slack finds the slack timer fired and does not wait for deadline + slack.
static void timer_slack(void)
{
    uint32_t early = 0, late = 0, wait_only = 0, event = 0;
    wasmkern_timer_create(&early);
    wasmkern_timer_create(&late);
    uint64_t start = now_ns();
    show("timer_set_slack in 10 ms, slack 4 s", wasmkern_timer_set_slack(early, start + 10000000u, 4000000000u));
    sleep_ms(20);
    show("past its deadline, inside its slack, polled", wait_one(early, WK_SIGNAL_TIMER_FIRED, 0, NULL));
    start = now_ns();
    wasmkern_timer_set_slack(early, start + 10000000u, 4000000000u);
    wasmkern_timer_set(late, start + 30000000u);
    struct WkWaitItem items[2] = { { early, WK_SIGNAL_TIMER_FIRED, 0 }, { late, WK_SIGNAL_TIMER_FIRED, 0 } };
    int error = wasmkern_wait_many(items, 2, FOREVER);
    uint64_t waited = now_ns() - start;
    printf("waitset: slack timer beside a timer in 30 ms -> %d, the slack timer fired %d, not early %d, "
           "before its slack ran out %d\n",
        error, (items[0].observed & WK_SIGNAL_TIMER_FIRED) != 0, waited >= 10000000u, waited < 4000000000u);
    show("timer_set_slack deadline UINT64_MAX, slack UINT32_MAX", wasmkern_timer_set_slack(early, UINT64_MAX, UINT32_MAX));
    show("deadline UINT64_MAX with slack, 20 ms", wait_one(early, WK_SIGNAL_TIMER_FIRED, 20, NULL));
    wasmkern_event_create(&event);
    wasmkern_handle_duplicate(early, WK_RIGHT_WAIT, &wait_only);
    show("timer_set_slack without the write right", wasmkern_timer_set_slack(wait_only, 0, 1000));
    show("timer_set_slack on an event", wasmkern_timer_set_slack(event, 0, 1000));
    show("timer_set_slack on a forged handle", wasmkern_timer_set_slack(0x3456781u, 0, 1000));
    wasmkern_handle_close(wait_only);
    wasmkern_handle_close(event);
    wasmkern_handle_close(early);
    wasmkern_handle_close(late);
}

static int port_packets(uint32_t port, uint64_t deadline, struct WkPortPacket* packets, uint32_t capacity)
{
    uint32_t count = 0;
    int error = wasmkern_port_wait(port, deadline, packets, capacity, &count);
    return error ? -error : (int)count;
}

static void port_abuse(uint32_t port, uint32_t event)
{
    struct WkPortPacket packets[4];
    uint32_t count = 0, read_only = 0, wait_only = 0, channel[2];
    wasmkern_handle_duplicate(port, WK_RIGHT_READ, &read_only);
    wasmkern_handle_duplicate(event, WK_RIGHT_SIGNAL, &wait_only);
    wasmkern_channel_create(channel);
    show("port_add without the write right", wasmkern_port_add(read_only, event, 1, U0));
    show("port_add an object without the wait right", wasmkern_port_add(port, wait_only, 2, U0));
    show("port_add wanting nothing", wasmkern_port_add(port, event, 3, 0));
    show("port_add the port to itself", wasmkern_port_add(port, port, 4, WK_SIGNAL_READABLE));
    show("port_add a forged handle", wasmkern_port_add(port, 0x4567891u, 5, U0));
    show("port_add on an event", wasmkern_port_add(event, event, 6, U0));
    show("port_wait capacity 0", wasmkern_port_wait(port, 0, packets, 0, &count));
    show("port_wait capacity 65", wasmkern_port_wait(port, 0, packets, 65, &count));
    show("port_wait out of bounds", wasmkern_port_wait(port, 0, (struct WkPortPacket*)0xFFFFFFF8u, 4, &count));
    show("port_wait on a channel", wasmkern_port_wait(channel[0], 0, packets, 4, &count));
    wasmkern_handle_close(read_only);
    wasmkern_handle_duplicate(port, WK_RIGHT_WAIT, &read_only);
    show("port_wait without the read right", wasmkern_port_wait(read_only, 0, packets, 4, &count));
    show("port_queue without the write right", wasmkern_port_queue(read_only, 1, 1));
    struct WkHandleGrant sent = { port, WK_RIGHT_WAIT };
    show("sending a port through a channel", wasmkern_channel_write(channel[0], "p", 1, &sent, 1));
    show("port_remove a key not registered", wasmkern_port_remove(port, 12345));
    wasmkern_handle_close(read_only);
    show("port_wait on a closed handle", wasmkern_port_wait(read_only, 0, packets, 4, &count));
    wasmkern_handle_close(wait_only);
    wasmkern_handle_close(channel[0]);
    wasmkern_handle_close(channel[1]);
}

static void port_limits(uint32_t port, uint32_t event)
{
    static struct WkPortPacket packets[64];
    int queued = 0, error = 0;
    while ((error = wasmkern_port_queue(port, 1000 + queued, (uint32_t)queued)) == 0)
        ++queued;
    printf("waitset: %d packets queued, then errno %d\n", queued, error);
    int count = port_packets(port, 0, packets, 64);
    int in_order = 1;
    for (int i = 0; i < count && i < queued; ++i)
        in_order &= packets[i].key == (uint32_t)(1000 + i) && packets[i].signals == (uint32_t)i;
    printf("waitset: drained %d, in order %d\n", count, in_order);
    show("queued packets come once", port_packets(port, 0, packets, 64));
    int added = 0;
    while ((error = wasmkern_port_add(port, event, 2000 + added, U1)) == 0)
        ++added;
    printf("waitset: %d registrations, then errno %d\n", added, error);
    wasmkern_event_signal(event, U1, 0);
    // A small buffer: successive waits take turns over the ready registrations.
    uint32_t seen[64] = { 0 };
    int distinct = 0;
    for (int round = 0; round < 16; ++round) {
        int got = port_packets(port, 0, packets, 4);
        for (int i = 0; i < got; ++i) {
            uint32_t index = packets[i].key - 2000;
            if (index < 64 && !seen[index]++)
                ++distinct;
        }
    }
    printf("waitset: 16 waits of 4 packets reached %d of %d registrations\n", distinct, added);
    int removed = 0;
    for (int i = 0; i < added; ++i)
        removed += wasmkern_port_remove(port, 2000 + i) == 0;
    printf("waitset: removed %d\n", removed);
    wasmkern_event_signal(event, 0, U1);
}

static void ports(void)
{
    struct WkPortPacket packets[8];
    uint32_t port = 0, event = 0, observed = 0;
    show("port_create", wasmkern_port_create(&port));
    wasmkern_event_create(&event);
    show("port_wait polled, empty", port_packets(port, 0, packets, 8));
    uint64_t start = now_ns();
    show("port_wait, deadline in 30 ms", port_packets(port, start + 30000000u, packets, 8));
    printf("waitset: deadline kept %d\n", now_ns() - start >= 30000000u);
    show("port_add an event", wasmkern_port_add(port, event, 1, U0));
    show("port_add the same key again", wasmkern_port_add(port, event, 1, U1));
    show("port_wait, nothing signalled", port_packets(port, 0, packets, 8));
    wasmkern_event_signal(event, U0 | U1, 0);
    int count = port_packets(port, UINT64_MAX, packets, 8);
    printf("waitset: signalled: %d packet, key %u signals 0x%x\n", count, packets[0].key, packets[0].signals);
    show("still signalled, reported again", port_packets(port, 0, packets, 8));
    show("wait_many on the port", wait_one(port, WK_SIGNAL_READABLE, 0, &observed));
    wasmkern_event_signal(event, 0, U0 | U1);
    show("wait_many on the port, nothing ready", wait_one(port, WK_SIGNAL_READABLE, 0, NULL));
    show("port_queue", wasmkern_port_queue(port, 77, 5));
    wasmkern_event_signal(event, U0, 0);
    count = port_packets(port, 0, packets, 8);
    printf("waitset: queued and registered: %d packets, first key %u signals %u, then key %u\n", count,
        packets[0].key, packets[0].signals, count > 1 ? packets[1].key : 0);
    // The registration holds the event: closing the handle ends neither.
    wasmkern_handle_close(event);
    show("after closing the event's handle, still reported", port_packets(port, 0, packets, 8));
    show("port_remove", wasmkern_port_remove(port, 1));
    show("after port_remove", port_packets(port, 0, packets, 8));
    // A timer through the port: port_wait without a deadline of its own ends at the timer's.
    uint32_t timer = 0;
    wasmkern_timer_create(&timer);
    start = now_ns();
    wasmkern_timer_set(timer, start + 20000000u);
    wasmkern_port_add(port, timer, 5, WK_SIGNAL_TIMER_FIRED);
    count = port_packets(port, UINT64_MAX, packets, 8);
    printf("waitset: a timer through the port: %d packet, key %u, not early %d\n", count, packets[0].key,
        now_ns() - start >= 20000000u);
    wasmkern_port_remove(port, 5);
    wasmkern_handle_close(timer);
    wasmkern_event_create(&event);
    port_abuse(port, event);
    port_limits(port, event);
    wasmkern_handle_close(event);
    wasmkern_handle_close(port);
}

// Another process wakes this one: event ping-pong, a timer it arms while this one waits on it,
// a packet it queues on this one's port, its exit and a message through a port registration.
static void across_processes(void)
{
    uint32_t ping = 0, pong = 0, timer = 0, port = 0, child = 0;
    wasmkern_event_create(&ping);
    wasmkern_event_create(&pong);
    wasmkern_timer_create(&timer);
    wasmkern_port_create(&port);
    struct WkHandleGrant grants[4] = { { ping, WK_RIGHT_WAIT | WK_RIGHT_SIGNAL },
        { pong, WK_RIGHT_SIGNAL | WK_RIGHT_TRANSFER }, { timer, WK_RIGHT_WRITE }, { port, WK_RIGHT_WRITE } };
    show("spawn the pong child", spawn_child("pong", grants, 4, &child));
    int answered = 0;
    uint64_t start = now_ns();
    for (int i = 0; i < kRounds; ++i) {
        if (wasmkern_event_signal(ping, U0, 0) != 0 || wait_one(pong, U0, 10000, NULL) != 0)
            break;
        wasmkern_event_signal(pong, 0, U0);
        ++answered;
    }
    uint64_t elapsed = now_ns() - start;
    printf("waitset: %d of %d event round trips\n", answered, kRounds);
    printf("waitset: event round trip %llu ns on average\n", (unsigned long long)(answered ? elapsed / answered : 0));
    int error = wait_one(timer, WK_SIGNAL_TIMER_FIRED, 10000, NULL);
    show("a timer the child arms while we wait", error);
    wasmkern_port_add(port, child, 1, WK_SIGNAL_EXITED);
    struct WkPortPacket packets[4];
    int count = port_packets(port, UINT64_MAX, packets, 1);
    printf("waitset: the child's packet: %d, key %u signals %u\n", count, packets[0].key, packets[0].signals);
    count = port_packets(port, UINT64_MAX, packets, 1);
    printf("waitset: the child's exit through the port: %d, key %u signals 0x%x\n", count, packets[0].key,
        packets[0].signals);
    uint32_t status = 99;
    show("wait for the pong child", wasmkern_wait(child, &status));
    printf("waitset: pong child status %u\n", status);
    wasmkern_handle_close(ping);
    wasmkern_handle_close(pong);
    wasmkern_handle_close(timer);
    wasmkern_handle_close(port);
}

// Children blocked in port_wait and in wait_many end when killed.
static void killed_waiters(void)
{
    uint32_t port = 0, event = 0, in_port = 0, in_wait = 0, status = 0;
    wasmkern_port_create(&port);
    wasmkern_event_create(&event);
    struct WkHandleGrant port_grant = { port, WK_RIGHT_READ };
    struct WkHandleGrant event_grant = { event, WK_RIGHT_WAIT };
    spawn_child("block-port", &port_grant, 1, &in_port);
    spawn_child("block-event", &event_grant, 1, &in_wait);
    sleep_ms(100);
    show("kill the child in port_wait", wasmkern_kill(in_port));
    show("kill the child in wait_many", wasmkern_kill(in_wait));
    wasmkern_wait(in_port, &status);
    printf("waitset: port_wait child status %u\n", status);
    wasmkern_wait(in_wait, &status);
    printf("waitset: wait_many child status %u\n", status);
    wasmkern_handle_close(port);
    wasmkern_handle_close(event);
}

int main(int argc, char** argv)
{
    if (argc > 1 && strcmp(argv[1], "pong") == 0)
        return pong_main();
    if (argc > 1)
        return blocked_main(strcmp(argv[1], "block-port") == 0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    events();
    timers();
    absolute_deadlines();
    timer_slack();
    ports();
    across_processes();
    killed_waiters();
    struct WkHandleRecord records[4];
    uint32_t left = 99;
    wasmkern_handles(records, sizeof records, &left);
    printf("waitset: handles left %u\n", left);
    return 0;
}
