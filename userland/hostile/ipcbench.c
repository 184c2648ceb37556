// ipcbench: the kernel-object costs of the IPC table of `make bench` (bench/harness/ipc.py,
// bench/README.md "IPC"); not a test (nothing is asserted but that each operation succeeds).
// Times with the kernel's monotonic clock (WASI clock_gettime); wasm has no cycle counter, so
// it reports nanoseconds only. One line per case:  ipc: KEY COUNT NS_EACH
//   ipcbench CHILD TRIPS SPAWNS CALLS   measures; CHILD is a trivial program to spawn
//   ipcbench echo                       (helper) sends back every channel message, with its handles
//   ipcbench serve                      (helper) offers one empty function for direct calls
// Exit status 0, or 1 after an `ipc: error` line.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasmkern.h"

static const char kSelf[] = "/bin/ipcbench";

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int fail(const char* what, int error)
{
    printf("ipc: error: %s: %s\n", what, strerror(error));
    return 1;
}

static void report(const char* key, long count, uint64_t start)
{
    printf("ipc: %s %ld %llu\n", key, count, (unsigned long long)((now_ns() - start) / (uint64_t)count));
}

static char g_buffer[8192];

// Waits for and reads one message into g_buffer, its handles into `handles`. 0 or an errno.
static int receive(uint32_t channel, uint32_t handles[4], uint32_t actual[2])
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
    uint32_t handles[4], actual[2];
    while (receive(channel, handles, actual) == 0) {
        struct WkHandleGrant back[4];
        for (uint32_t i = 0; i < actual[1]; ++i)
            back[i] = (struct WkHandleGrant) { handles[i], WK_RIGHTS_ALL };
        if (wasmkern_channel_write(channel, g_buffer, actual[0], back, actual[1]) != 0)
            return 1;
    }
    return 0;
}

static void nothing(void) { }

static int serve(void)
{
    uint32_t channel = 0;
    if (wk_find_handle(WK_OBJECT_CHANNEL, WK_RIGHT_WRITE, &channel) != 0)
        return 1;
    struct WkHandleGrant grant = { 0, WK_RIGHT_CALL | WK_RIGHT_DUPLICATE | WK_RIGHT_TRANSFER };
    if (wasmkern_call_offer((uint32_t)(uintptr_t)&nothing, &grant.handle) != 0)
        return 1;
    if (wasmkern_channel_write(channel, "call", 4, &grant, 1) != 0)
        return 1;
    wasmkern_handle_close(channel);
    int error = wasmkern_call_serve();
    return error == EPIPE ? 0 : 1;
}

// Spawns this program with `mode` and one end of a new channel; *channel: the other end.
static int start_helper(const char* mode, uint32_t* process, uint32_t* channel)
{
    uint32_t pair[2];
    int error = wasmkern_channel_create(pair);
    if (error)
        return error;
    char argv[32];
    int argv_len = snprintf(argv, sizeof argv, "ipcbench%c%s", 0, mode) + 1;
    struct WkHandleGrant grant = { pair[1], WK_RIGHT_READ | WK_RIGHT_WRITE | WK_RIGHT_WAIT };
    error = wasmkern_spawn_with_handles(kSelf, sizeof kSelf - 1, argv, (uint32_t)argv_len, "", 0, 0, 1, 2, &grant, 1, 0,
        process);
    wasmkern_handle_close(pair[1]);
    if (error)
        wasmkern_handle_close(pair[0]);
    else
        *channel = pair[0];
    return error;
}

// `trips` round trips of `bytes` bytes (and the handle *carried, when not NULL, which comes
// back with a new value). 0 or an errno.
static int round_trips(uint32_t channel, long trips, uint32_t bytes, uint32_t* carried)
{
    uint32_t handles[4], actual[2];
    for (long i = 0; i < trips; ++i) {
        struct WkHandleGrant grant = { carried ? *carried : 0, WK_RIGHTS_ALL };
        int error = wasmkern_channel_write(channel, g_buffer, bytes, carried ? &grant : NULL, carried ? 1 : 0);
        if (!error)
            error = receive(channel, handles, actual);
        if (error)
            return error;
        if (actual[0] != bytes || actual[1] != (carried ? 1u : 0u))
            return EPROTO;
        if (carried)
            *carried = handles[0];
    }
    return 0;
}

static int channels(long trips)
{
    uint32_t service = 0, channel = 0, carried[2];
    int error = start_helper("echo", &service, &channel);
    if (error)
        return fail("spawn the echo service", error);
    if ((error = wasmkern_channel_create(carried)) != 0)
        return fail("channel_create", error);
    if ((error = round_trips(channel, trips / 10 + 1, 8, NULL)) != 0) // warm-up: tier-up, caches
        return fail("channel round trip", error);
    const struct {
        const char* key;
        uint32_t bytes;
        uint32_t* carried;
    } cases[] = { { "channel_8", 8, NULL }, { "channel_4k", 4096, NULL }, { "channel_8_handle", 8, &carried[1] } };
    for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
        uint64_t start = now_ns();
        if ((error = round_trips(channel, trips, cases[c].bytes, cases[c].carried)) != 0)
            return fail(cases[c].key, error);
        report(cases[c].key, trips, start);
    }
    wasmkern_handle_close(channel);
    uint32_t status = 0;
    if ((error = wasmkern_wait(service, &status)) != 0 || status != 0)
        return fail("the echo service's exit", error ? error : ECHILD);
    return 0;
}

static int direct_calls(long calls)
{
    uint32_t service = 0, channel = 0, handles[4], actual[2];
    int error = start_helper("serve", &service, &channel);
    if (!error)
        error = receive(channel, handles, actual);
    if (error)
        return fail("start the call service", error);
    wasmkern_handle_close(channel);
    if (actual[1] != 1)
        return fail("the call service's handle", EPROTO);
    uint64_t unused = 0;
    for (long i = 0; i < calls / 10 + 1; ++i) // warm-up
        if ((error = wasmkern_call(handles[0], NULL, 0, &unused, 0, NULL, 0)) != 0)
            return fail("direct call", error);
    uint64_t start = now_ns();
    for (long i = 0; i < calls; ++i)
        if ((error = wasmkern_call(handles[0], NULL, 0, &unused, 0, NULL, 0)) != 0)
            return fail("direct call", error);
    report("direct_call", calls, start);
    wasmkern_handle_close(handles[0]); // the service's serve ends with EPIPE
    uint32_t status = 0;
    if ((error = wasmkern_wait(service, &status)) != 0 || status != 0)
        return fail("the call service's exit", error ? error : ECHILD);
    return 0;
}

static int spawns(const char* child, long count)
{
    char argv[64];
    int argv_len = snprintf(argv, sizeof argv, "%s", child) + 1;
    if (argv_len > (int)sizeof argv)
        return fail("the child's path", ENAMETOOLONG);
    uint64_t start = 0;
    for (long i = -1; i < count; ++i) { // i == -1: a warm-up (the first load compiles)
        if (i == 0)
            start = now_ns();
        uint32_t process = 0, status = 0;
        int error = wasmkern_spawn(child, (uint32_t)strlen(child), argv, (uint32_t)argv_len, "", 0, 0, 1, 2, &process);
        if (!error)
            error = wasmkern_wait(process, &status);
        if (error || status != 0)
            return fail("spawn and wait", error ? error : ECHILD);
    }
    report("spawn", count, start);
    return 0;
}

static long count_arg(const char* text)
{
    char* end = NULL;
    long value = strtol(text, &end, 10);
    return *end == 0 && value > 0 && value <= 100000000 ? value : 0;
}

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "echo") == 0)
        return echo();
    if (argc == 2 && strcmp(argv[1], "serve") == 0)
        return serve();
    static const char usage[] = "usage: ipcbench CHILD TRIPS SPAWNS CALLS  (counts 1..100000000)\n"
                                "  prints 'ipc: KEY COUNT NS_EACH' for kernel_call, channel_8, channel_4k,\n"
                                "  channel_8_handle, direct_call and spawn (of CHILD), then 'ipc: done'\n";
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    long trips = argc == 5 ? count_arg(argv[2]) : 0, spawn_count = argc == 5 ? count_arg(argv[3]) : 0,
         calls = argc == 5 ? count_arg(argv[4]) : 0;
    if (!trips || !spawn_count || !calls) {
        fputs(usage, stderr);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    // The cheapest kernel entry: a handles query that copies nothing.
    uint32_t count = 0;
    uint64_t start = now_ns();
    for (long i = 0; i < calls; ++i)
        wasmkern_handles(g_buffer, 0, &count);
    report("kernel_call", calls, start);
    if (channels(trips) || direct_calls(trips) || spawns(argv[1], spawn_count))
        return 1;
    printf("ipc: done\n");
    return 0;
}
