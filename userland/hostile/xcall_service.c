// xcall_service: a service reached by direct calls (docs/process-abi.md, "Direct calls").
// Handed one channel end at spawn, it offers its functions, sends the call handles on the
// channel in one message (in the order of kOffered), closes its own, and serves calls until
// no call handle of it is left. Some functions misbehave on purpose (a trap, deep recursion,
// proc_exit, an endless loop): each ends the service, never its client. Test program for
// xcall_client (tests/kernel/xcall-service.sh).
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasmkern.h"

static unsigned served;
static int64_t counter;
static volatile int64_t sink;
static char buffer[4096];

static int64_t add(int64_t a, int64_t b)
{
    ++served;
    return a + b;
}

static double mix(int32_t a, int64_t b, double c)
{
    ++served;
    return a * 1000.0 + (double)b + c;
}

static int64_t count(void)
{
    ++served;
    return ++counter;
}

// Upper-cases the first `length` bytes of the caller's window in place.
static int32_t upper(int32_t length)
{
    ++served;
    if (length < 0 || length > (int32_t)sizeof buffer)
        return EINVAL;
    int error = wasmkern_call_window_read(0, buffer, length);
    if (error)
        return error;
    for (int32_t i = 0; i < length; ++i) {
        if (buffer[i] >= 'a' && buffer[i] <= 'z')
            buffer[i] = (char)(buffer[i] - 'a' + 'A');
    }
    return wasmkern_call_window_write(0, buffer, length);
}

// The window calls' checks: past the window, past this memory. Returns the three errnos as
// decimal digits pairs (e.g. 212121).
static int32_t window_abuse(void)
{
    ++served;
    int a = wasmkern_call_window_read(0xFFFFFF00u, buffer, 4);
    int b = wasmkern_call_window_read(0, buffer, 0x7FFFFFFF);
    int c = wasmkern_call_window_write(0, (const void*)0xFFFFFFF0u, 64);
    return a * 10000 + b * 100 + c;
}

// Service code calling out from inside a call (refused: calls do not nest).
static int32_t nested(void)
{
    ++served;
    uint64_t result;
    return wasmkern_call(0, NULL, 0, &result, 1, NULL, 0);
}

static void nothing(void) { }

// Reads `length` bytes of the window and writes them back (the 4 KiB copy of the benchmark).
static int32_t copy_back(int32_t length)
{
    if (length < 0 || length > (int32_t)sizeof buffer)
        return EINVAL;
    int error = wasmkern_call_window_read(0, buffer, length);
    return error ? error : wasmkern_call_window_write(0, buffer, length);
}

static int32_t trap_out_of_bounds(void)
{
    *(volatile int32_t*)(uintptr_t)0xFFFFFFF0u = 1;
    return 0;
}

// Recurses until the stack is exhausted (`sink` is never -1; the compiler cannot know).
__attribute__((noinline)) static int32_t recurse(int32_t n)
{
    if (sink == -1)
        return n;
    int32_t deeper = recurse(n + 1);
    sink = deeper;
    return deeper ^ n;
}

static int32_t exit_now(void) { _Exit(7); }

static int32_t spin(void)
{
    for (;;)
        ++sink;
}

static int32_t service_pid_probe(void) { return (int32_t)served; }

// `cycle` mode: after sending its handles, receive the client's call handle and call it back
// from this thread while the client waits at this service's gate (the client is inside
// `call`, waiting for call_serve): EDEADLK, not a hang.
static void call_back_waiting_client(uint32_t channel)
{
    struct WkWaitItem item = { channel, WK_SIGNAL_READABLE, 0 };
    uint32_t client_call = 0, actual[2] = { 0, 0 };
    char text[16];
    if (wasmkern_wait_many(&item, 1, 20000) || wasmkern_channel_read(channel, text, sizeof text, &client_call, 1, actual)
        || actual[1] != 1) {
        fprintf(stderr, "xcall_service: no call handle from the client\n");
        return;
    }
    struct timespec pause = { 0, 200 * 1000 * 1000 }; // the client is at the gate by then
    nanosleep(&pause, NULL);
    uint64_t result = 0;
    printf("xcall_service: calling back its waiting client -> %d\n", wasmkern_call(client_call, NULL, 0, &result, 1, NULL, 0));
    wasmkern_handle_close(client_call);
}

int main(int argc, char** argv)
{
    uint32_t channel = 0;
    if (wk_find_handle(WK_OBJECT_CHANNEL, WK_RIGHT_WRITE, &channel) != 0) {
        fprintf(stderr, "xcall_service: no channel was handed to it\n");
        return 1;
    }
    // The order is the protocol: xcall_client numbers the handles the same way.
    const uint32_t offered[] = {
        (uint32_t)(uintptr_t)&add, (uint32_t)(uintptr_t)&mix, (uint32_t)(uintptr_t)&count,
        (uint32_t)(uintptr_t)&upper, (uint32_t)(uintptr_t)&window_abuse, (uint32_t)(uintptr_t)&nested,
        (uint32_t)(uintptr_t)&nothing, (uint32_t)(uintptr_t)&copy_back, (uint32_t)(uintptr_t)&trap_out_of_bounds,
        (uint32_t)(uintptr_t)&recurse, (uint32_t)(uintptr_t)&exit_now, (uint32_t)(uintptr_t)&spin,
        (uint32_t)(uintptr_t)&service_pid_probe,
    };
    enum { kCount = sizeof offered / sizeof offered[0] };
    struct WkHandleGrant grants[kCount];
    for (unsigned i = 0; i < kCount; ++i) {
        int error = wasmkern_call_offer(offered[i], &grants[i].handle);
        if (error) {
            fprintf(stderr, "xcall_service: offer %u: %s\n", i, strerror(error));
            return 1;
        }
        grants[i].rights = WK_RIGHT_CALL | WK_RIGHT_DUPLICATE | WK_RIGHT_TRANSFER;
    }
    // Checks made once, quietly unless they fail (the client reports what it sees).
    uint32_t bogus;
    int offer_bad = wasmkern_call_offer(0xFFFFFFu, &bogus);
    int offer_null = wasmkern_call_offer(0, &bogus);
    uint64_t args[2] = { 1, 2 }, result = 0;
    int self_call = wasmkern_call(grants[0].handle, args, 2, &result, 1, NULL, 0);
    int window_outside = wasmkern_call_window_read(0, buffer, 1);
    if (offer_bad != EINVAL || offer_null != EINVAL || self_call != EDEADLK || window_outside != EINVAL)
        fprintf(stderr, "xcall_service: checks: offer bad %d, offer null %d, self call %d, window outside %d\n",
            offer_bad, offer_null, self_call, window_outside);
    int error = wasmkern_channel_write(channel, "calls", 5, grants, kCount);
    if (error) {
        fprintf(stderr, "xcall_service: sending the handles: %s\n", strerror(error));
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "cycle") == 0)
        call_back_waiting_client(channel);
    wasmkern_handle_close(channel);
    error = wasmkern_call_serve();
    printf("xcall_service: served %u calls, then serve -> %d\n", served, error);
    return 0;
}
