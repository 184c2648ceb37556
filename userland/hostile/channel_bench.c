// channel_bench: the cost of a channel round trip (docs/process-abi.md, "Channels"), printed as
// a table; not a test (nothing is asserted). It spawns itself as an echo service over a channel:
//   channel_bench          the client: measures and prints
//   channel_bench echo     the service: sends back every message, with its handles
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wasmkern.h"

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static char g_buffer[8192];

// Waits for and reads one message into g_buffer; its handles to `handles`. 0 or an errno.
static int receive(uint32_t channel, uint32_t* handles, uint32_t actual[2])
{
    for (;;) {
        struct WkWaitItem item = { channel, WK_SIGNAL_READABLE | WK_SIGNAL_PEER_CLOSED, 0 };
        int error = wasmkern_wait_many(&item, 1, 0xFFFFFFFFu);
        if (error)
            return error;
        error = wasmkern_channel_read(channel, g_buffer, sizeof g_buffer, handles, 4, actual);
        if (error != EAGAIN)
            return error;
    }
}

static int echo(void)
{
    uint32_t channel = 0;
    if (wk_find_handle(WK_OBJECT_CHANNEL, WK_RIGHT_READ | WK_RIGHT_WRITE, &channel) != 0)
        return 1;
    uint32_t handles[4];
    uint32_t actual[2];
    while (receive(channel, handles, actual) == 0) {
        struct WkHandleGrant back[4];
        for (uint32_t i = 0; i < actual[1]; ++i)
            back[i] = (struct WkHandleGrant) { handles[i], WK_RIGHTS_ALL };
        if (wasmkern_channel_write(channel, g_buffer, actual[0], back, actual[1]) != 0)
            return 1;
    }
    return 0;
}

// `trips` round trips of `bytes` bytes (and the handle *carried, when not NULL, which comes
// back with a new value). Nanoseconds per trip, or 0 when one failed.
static uint64_t round_trips(uint32_t channel, int trips, uint32_t bytes, uint32_t* carried)
{
    uint32_t handles[4];
    uint32_t actual[2];
    uint64_t start = now_ns();
    for (int i = 0; i < trips; ++i) {
        struct WkHandleGrant grant = { carried ? *carried : 0, WK_RIGHTS_ALL };
        if (wasmkern_channel_write(channel, g_buffer, bytes, carried ? &grant : NULL, carried ? 1 : 0) != 0)
            return 0;
        if (receive(channel, handles, actual) != 0 || actual[0] != bytes)
            return 0;
        if (carried)
            *carried = handles[0];
    }
    return (now_ns() - start) / (uint64_t)trips;
}

int main(int argc, char** argv)
{
    if (argc > 1 && strcmp(argv[1], "echo") == 0)
        return echo();
    setvbuf(stdout, NULL, _IOLBF, 0);
    uint32_t pair[2];
    if (wasmkern_channel_create(pair) != 0)
        return 1;
    static const char path[] = "/bin/channel_bench";
    static const char child_argv[] = "channel_bench\0echo";
    struct WkHandleGrant grant = { pair[1], WK_RIGHT_READ | WK_RIGHT_WRITE | WK_RIGHT_WAIT };
    uint32_t service = 0;
    if (wasmkern_spawn_with_handles(path, sizeof path - 1, child_argv, sizeof child_argv, "", 0, 0, 1, 2, &grant, 1, 0,
            &service)
        != 0)
        return 1;
    wasmkern_handle_close(pair[1]);
    uint32_t carried[2];
    wasmkern_channel_create(carried);

    // A floor: the cheapest wasmkern call (a handles query that copies nothing).
    enum { kCalls = 20000 };
    uint32_t count = 0;
    uint64_t start = now_ns();
    for (int i = 0; i < kCalls; ++i)
        wasmkern_handles(g_buffer, 0, &count);
    uint64_t call_ns = (now_ns() - start) / kCalls;

    round_trips(pair[0], 200, 8, NULL); // warm-up: tier-up, caches
    printf("channel_bench: %-34s %8s %12s\n", "case", "count", "ns each");
    printf("channel_bench: %-34s %8d %12llu\n", "wasmkern call (handles, no copy)", kCalls, (unsigned long long)call_ns);
    printf("channel_bench: %-34s %8d %12llu\n", "round trip, 8 bytes", 2000,
        (unsigned long long)round_trips(pair[0], 2000, 8, NULL));
    printf("channel_bench: %-34s %8d %12llu\n", "round trip, 4 KiB", 1000,
        (unsigned long long)round_trips(pair[0], 1000, 4096, NULL));
    printf("channel_bench: %-34s %8d %12llu\n", "round trip, 8 bytes + 1 handle", 1000,
        (unsigned long long)round_trips(pair[0], 1000, 8, &carried[1]));

    wasmkern_handle_close(pair[0]);
    uint32_t status = 0;
    wasmkern_wait(service, &status);
    printf("channel_bench: echo service status %u\n", status);
    return 0;
}
