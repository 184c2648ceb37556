// xcall_client: calls xcall_service's functions directly (docs/process-abi.md, "Direct
// calls") and abuses direct calls: results of every value type, state kept across calls, the
// call window, bad counts, forged and wrong handles, a missing right, nested calls, a service
// that traps, recurses too deep, exits or loops in a call (killed by its holder), a client
// killed in a call or while it waits for a threaded service's call lock. Prints one line per
// check (tests/kernel/xcall-service.sh).
//   xcall_client            the checks
//   xcall_client bench      a table of round trips (null call, 4 KiB copied both ways)
//   xcall_client call-spin  (helper) says "ready" on its channel, then calls its call handle
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wasmkern.h"

// The service's functions, in the order it sends their handles.
enum { ADD, MIX, COUNT, UPPER, WINDOW_ABUSE, NESTED, NOTHING, COPY_BACK, TRAP, RECURSE, EXIT_NOW, SPIN, PROBE, kCalls };

static void show(const char* what, long value) { printf("xcall_client: %s -> %ld\n", what, value); }

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
    nanosleep(&t, NULL);
}

// Spawns a service and receives its call handles. 0 or an errno. With `channel_out`, the
// service runs in cycle mode and the channel stays open for the caller.
static int start_service_with(uint32_t* process, uint32_t calls[kCalls], uint32_t* channel_out)
{
    uint32_t pair[2];
    int error = wasmkern_channel_create(pair);
    if (error)
        return error;
    static const char path[] = "/bin/xcall_service";
    static const char argv[] = "xcall_service";
    static const char cycle_argv[] = "xcall_service\0cycle";
    struct WkHandleGrant grant = { pair[1], WK_RIGHT_WRITE | WK_RIGHT_READ | WK_RIGHT_WAIT };
    error = channel_out ? wasmkern_spawn_with_handles(path, sizeof path - 1, cycle_argv, sizeof cycle_argv, "", 0, 0, 1, 2,
                              &grant, 1, 0, process)
                        : wasmkern_spawn_with_handles(path, sizeof path - 1, argv, sizeof argv, "", 0, 0, 1, 2, &grant, 1, 0,
                              process);
    wasmkern_handle_close(pair[1]);
    if (!error) {
        struct WkWaitItem item = { pair[0], WK_SIGNAL_READABLE | WK_SIGNAL_PEER_CLOSED, 0 };
        error = wasmkern_wait_many(&item, 1, 20000);
    }
    if (!error) {
        char text[16];
        uint32_t actual[2];
        error = wasmkern_channel_read(pair[0], text, sizeof text, calls, kCalls, actual);
        if (!error && actual[1] != kCalls)
            error = EPROTO;
    }
    if (channel_out && !error)
        *channel_out = pair[0];
    else
        wasmkern_handle_close(pair[0]);
    return error;
}

static int start_service(uint32_t* process, uint32_t calls[kCalls]) { return start_service_with(process, calls, NULL); }


static void close_all(uint32_t calls[kCalls])
{
    for (int i = 0; i < kCalls; ++i)
        wasmkern_handle_close(calls[i]);
}

static int call0(uint32_t handle, uint64_t* result) { return wasmkern_call(handle, NULL, 0, result, 1, NULL, 0); }

static uint32_t wait_status(uint32_t process)
{
    uint32_t status = 999;
    int error = wasmkern_wait(process, &status);
    return error ? 1000 + (uint32_t)error : status;
}

// A helper process with `call` and one channel end; waits until it says it is about to call.
static int start_helper(uint32_t call, uint32_t* helper)
{
    uint32_t pair[2];
    int error = wasmkern_channel_create(pair);
    if (error)
        return error;
    static const char path[] = "/bin/xcall_client";
    static const char argv[] = "xcall_client\0call-spin";
    struct WkHandleGrant grants[2] = { { call, WK_RIGHT_CALL }, { pair[1], WK_RIGHT_WRITE } };
    error = wasmkern_spawn_with_handles(path, sizeof path - 1, argv, sizeof argv, "", 0, 0, 1, 2, grants, 2, 0, helper);
    wasmkern_handle_close(pair[1]);
    if (!error) {
        struct WkWaitItem item = { pair[0], WK_SIGNAL_READABLE, 0 };
        error = wasmkern_wait_many(&item, 1, 20000);
    }
    wasmkern_handle_close(pair[0]);
    // It calls right after saying so; give it time to be inside the call.
    sleep_ms(200);
    return error;
}

static int call_spin_helper(void)
{
    uint32_t call = 0, channel = 0;
    if (wk_find_handle(WK_OBJECT_CALL, WK_RIGHT_CALL, &call) || wk_find_handle(WK_OBJECT_CHANNEL, WK_RIGHT_WRITE, &channel))
        return 2;
    wasmkern_channel_write(channel, "ready", 5, NULL, 0);
    uint64_t result = 0;
    int error = call0(call, &result);
    show("the spinning call ended", error);
    return 0;
}

static int bench(void)
{
    uint32_t service, calls[kCalls];
    int error = start_service(&service, calls);
    if (error) {
        show("start the service", error);
        return 1;
    }
    static char window[4096];
    printf("xcall_bench: case | count | ns each, run 1 | ns each, run 2\n");
    const struct {
        const char* name;
        int call;
        int count;
        uint32_t bytes;
    } cases[] = {
        { "direct call, no arguments, no results", NOTHING, 20000, 0 },
        { "direct call, 2 i64 arguments, 1 result", ADD, 20000, 0 },
        { "direct call, 4 KiB copied in and out", COPY_BACK, 2000, 4096 },
    };
    for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
        uint64_t each[2];
        for (int run = 0; run < 2; ++run) {
            uint64_t args[2] = { cases[c].bytes, 1 }, results[1];
            uint32_t params = cases[c].call == ADD ? 2 : cases[c].call == COPY_BACK ? 1 : 0;
            uint32_t result_count = cases[c].call == NOTHING ? 0 : 1;
            int failures = 0;
            uint64_t start = now_ns();
            for (int i = 0; i < cases[c].count; ++i)
                failures += wasmkern_call(calls[cases[c].call], args, params, results, result_count, window, cases[c].bytes) != 0;
            each[run] = (now_ns() - start) / (uint64_t)cases[c].count;
            if (failures)
                printf("xcall_bench: %d failed calls\n", failures);
        }
        printf("xcall_bench: %s | %d | %llu | %llu\n", cases[c].name, cases[c].count, (unsigned long long)each[0],
            (unsigned long long)each[1]);
    }
    close_all(calls);
    show("service status", wait_status(service));
    return 0;
}

static int32_t client_function(void) { return 1; }

// Two threads each waiting for the other's gate: the client waits for the service (which does
// not serve yet) while the service's thread calls the client (which never serves).
static void cycle(void)
{
    uint32_t service, calls[kCalls], channel = 0, own = 0;
    show("start a service that calls back", start_service_with(&service, calls, &channel));
    show("offer a function of the client", wasmkern_call_offer((uint32_t)(uintptr_t)&client_function, &own));
    struct WkHandleGrant grant = { own, WK_RIGHT_CALL };
    show("send it to the service", wasmkern_channel_write(channel, "mine", 4, &grant, 1));
    uint64_t args[2] = { 5, 6 }, result = 0;
    show("call the service while it calls back", wasmkern_call(calls[ADD], args, 2, &result, 1, NULL, 0));
    show("its result", (long)result);
    wasmkern_handle_close(channel);
    close_all(calls);
    show("status of the service that called back", wait_status(service));
}

// A threaded service (userland/hostile/xcall_threads_service.wat) whose spawned thread sleeps
// in a WASI call, holding the service's call lock: a helper calling the service's function
// waits for that lock, and a kill ends it there (its wait gives up; before, it spun on). The
// helper's end is awaited for 10 s at most, so that a helper that does not end fails the check
// instead of hanging the test; then the service is killed too, which frees the lock.
static void busy_call_lock(void)
{
    uint32_t pair[2], service = 0, call = 0, helper = 0;
    int error = wasmkern_channel_create(pair);
    if (!error) {
        static const char path[] = "/bin/xcall_threads_service";
        static const char argv[] = "xcall_threads_service";
        struct WkHandleGrant grant = { pair[1], WK_RIGHT_WRITE };
        error = wasmkern_spawn_with_handles(path, sizeof path - 1, argv, sizeof argv, "", 0, 0, 1, 2, &grant, 1, 0,
            &service);
        wasmkern_handle_close(pair[1]);
        struct WkWaitItem item = { pair[0], WK_SIGNAL_READABLE | WK_SIGNAL_PEER_CLOSED, 0 };
        if (!error)
            error = wasmkern_wait_many(&item, 1, 20000);
        char text[8];
        uint32_t actual[2] = { 0, 0 };
        if (!error)
            error = wasmkern_channel_read(pair[0], text, sizeof text, &call, 1, actual);
        if (!error && actual[1] != 1)
            error = EPROTO;
        wasmkern_handle_close(pair[0]);
    }
    show("start a threaded service whose thread holds its call lock", error);
    if (error)
        return;
    sleep_ms(300); // its thread is asleep, holding the lock, by then
    show("a helper calls the threaded service", start_helper(call, &helper));
    show("kill the helper waiting for the service's call lock", wasmkern_kill(helper));
    struct WkWaitItem exited = { helper, WK_SIGNAL_EXITED, 0 };
    error = wasmkern_wait_many(&exited, 1, 10000);
    show("status of the helper killed waiting for the lock", error ? 1000 + (uint32_t)error : wait_status(helper));
    if (error)
        wasmkern_kill(service);
    wasmkern_handle_close(call);
    show("status of the threaded service once its handle is closed", wait_status(service));
}

// A service that misbehaves in a call ends; the client gets ECONNABORTED, then EPIPE.
static void misbehaving(const char* what, int function, uint32_t param)
{
    uint32_t service, calls[kCalls];
    int error = start_service(&service, calls);
    if (error) {
        show("start a service", error);
        return;
    }
    uint64_t args[1] = { param }, result = 0;
    char line[96];
    snprintf(line, sizeof line, "a call that %s", what);
    show(line, wasmkern_call(calls[function], args, function == RECURSE ? 1 : 0, &result, 1, NULL, 0));
    uint64_t add_args[2] = { 1, 2 };
    snprintf(line, sizeof line, "a call after it %s", what);
    show(line, wasmkern_call(calls[ADD], add_args, 2, &result, 1, NULL, 0));
    close_all(calls);
    snprintf(line, sizeof line, "status of the service that %s", what);
    show(line, wait_status(service));
}

int main(int argc, char** argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "call-spin") == 0)
        return call_spin_helper();
    if (argc > 1 && strcmp(argv[1], "bench") == 0)
        return bench();

    uint32_t service, calls[kCalls];
    show("start the service, receive its call handles", start_service(&service, calls));
    struct WkHandleRecord records[64];
    uint32_t total = 0;
    wasmkern_handles(records, sizeof records, &total);
    int call_handles = 0;
    for (uint32_t i = 0; i < total && i < 64; ++i)
        call_handles += records[i].type == WK_OBJECT_CALL && records[i].rights == (WK_RIGHT_CALL | WK_RIGHT_DUPLICATE | WK_RIGHT_TRANSFER);
    show("call handles held", call_handles);

    // Values of every type, and state kept across calls.
    uint64_t args[8] = { 40, 2 }, results[8] = { 0 };
    show("add(40, 2)", wasmkern_call(calls[ADD], args, 2, results, 1, NULL, 0));
    show("add result", (long)results[0]);
    args[0] = (uint64_t)-5;
    args[1] = 0x100000000ull;
    wasmkern_call(calls[ADD], args, 2, results, 1, NULL, 0);
    printf("xcall_client: add(-5, 2^32) result -> %lld\n", (long long)results[0]);
    double c = 0.25, mixed = 0;
    args[0] = 0xFFFFFFFF00000003ull; // an i32 takes the low 4 bytes: 3
    args[1] = 7;
    memcpy(&args[2], &c, 8);
    show("mix(3, 7, 0.25)", wasmkern_call(calls[MIX], args, 3, results, 1, NULL, 0));
    memcpy(&mixed, &results[0], 8);
    printf("xcall_client: mix result %.2f\n", mixed);
    for (int i = 0; i < 3; ++i)
        call0(calls[COUNT], &results[0]);
    show("count after 3 calls", (long)results[0]);

    // The window: the service copies from and to it.
    char text[] = "hello, service";
    args[0] = strlen(text);
    show("upper through the window", wasmkern_call(calls[UPPER], args, 1, results, 1, text, sizeof text));
    printf("xcall_client: window now %s, service said %ld\n", text, (long)results[0]);
    args[0] = 64;
    wasmkern_call(calls[UPPER], args, 1, results, 1, text, sizeof text);
    show("upper past the window", (long)results[0]);
    call0(calls[WINDOW_ABUSE], &results[0]);
    show("window abuse (3 errnos)", (long)results[0]);
    char outside[4];
    show("window read outside a call", wasmkern_call_window_read(0, outside, 4));
    call0(calls[NESTED], &results[0]);
    show("a call from inside a call", (long)results[0]);

    // Refused before anything runs.
    show("too few arguments", wasmkern_call(calls[ADD], args, 1, results, 1, NULL, 0));
    show("too many arguments", wasmkern_call(calls[ADD], args, 3, results, 1, NULL, 0));
    show("9 arguments", wasmkern_call(calls[ADD], args, 9, results, 1, NULL, 0));
    show("no room for the result", wasmkern_call(calls[ADD], args, 2, results, 0, NULL, 0));
    show("arguments out of bounds", wasmkern_call(calls[ADD], (const uint64_t*)0xFFFFFFF8u, 2, results, 1, NULL, 0));
    show("window out of bounds", wasmkern_call(calls[NOTHING], NULL, 0, NULL, 0, (void*)0xFFFF0000u, 0x10000));
    show("a forged handle", wasmkern_call(0x12345, args, 2, results, 1, NULL, 0));
    uint32_t pair[2];
    wasmkern_channel_create(pair);
    show("a channel handle", wasmkern_call(pair[0], args, 2, results, 1, NULL, 0));
    wasmkern_handle_close(pair[0]);
    wasmkern_handle_close(pair[1]);
    uint32_t weak = 0;
    wasmkern_handle_duplicate(calls[ADD], WK_RIGHT_TRANSFER, &weak);
    show("a handle without the call right", wasmkern_call(weak, args, 2, results, 1, NULL, 0));
    wasmkern_handle_close(weak);
    uint32_t closed = 0;
    wasmkern_handle_duplicate(calls[ADD], WK_RIGHT_CALL, &closed);
    wasmkern_handle_close(closed);
    show("a closed handle", wasmkern_call(closed, args, 2, results, 1, NULL, 0));

    // A loop of calls, and the round trip.
    int right = 0;
    uint64_t start = now_ns();
    for (int i = 0; i < 10000; ++i) {
        uint64_t pair_args[2] = { (uint64_t)i, (uint64_t)(2 * i) };
        uint64_t sum = 0;
        if (wasmkern_call(calls[ADD], pair_args, 2, &sum, 1, NULL, 0) == 0 && sum == (uint64_t)(3 * i))
            ++right;
    }
    uint64_t elapsed = now_ns() - start;
    printf("xcall_client: %d of 10000 calls right\n", right);
    printf("xcall_client: 10000 calls, %llu ns each on average\n", (unsigned long long)(elapsed / 10000));

    // A client killed while it is inside a call: the service goes on serving.
    uint32_t helper = 0;
    show("a helper calls the spinning function", start_helper(calls[SPIN], &helper));
    show("kill the helper inside its call", wasmkern_kill(helper));
    show("helper status", wait_status(helper));
    args[0] = 20;
    args[1] = 22;
    show("add after a client was killed in a call", wasmkern_call(calls[ADD], args, 2, results, 1, NULL, 0));
    show("its result", (long)results[0]);
    close_all(calls);
    show("status of the service once its handles are closed", wait_status(service));

    // Services that misbehave in a call end; the client goes on.
    misbehaving("traps (out of bounds)", TRAP, 0);
    misbehaving("recurses too deep", RECURSE, 0);
    misbehaving("exits with 7", EXIT_NOW, 0);

    // A service killed while a call spins in it: the call ends with ECONNABORTED.
    show("start a service to kill", start_service(&service, calls));
    show("a helper calls the spinning function", start_helper(calls[SPIN], &helper));
    show("kill the service inside the call", wasmkern_kill(service));
    show("status of the killed service", wait_status(service));
    show("helper status", wait_status(helper));
    args[0] = 1;
    args[1] = 2;
    show("a call to the killed service", wasmkern_call(calls[ADD], args, 2, results, 1, NULL, 0));
    close_all(calls);
    cycle();
    busy_call_lock();
    printf("xcall_client: done\n");
    return 0;
}
