// channel_client: talks to channel_service over a channel and abuses channels: requests and
// answers, a handle sent along (it leaves the sender, arrives with fewer rights), a flooded
// queue, a closed peer, messages that do not fit, waiting on many handles with a deadline.
// Prints one line per check (tests/kernel/channel-service.sh) and the measured round trip.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wasmkern.h"

static void show(const char* what, int value) { printf("channel_client: %s -> %d\n", what, value); }

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

// Waits for a message on `channel` and reads it into `text` (NUL-terminated). 0 or an errno.
static int receive(uint32_t channel, char* text, uint32_t capacity)
{
    for (;;) {
        struct WkWaitItem item = { channel, WK_SIGNAL_READABLE | WK_SIGNAL_PEER_CLOSED, 0 };
        int error = wasmkern_wait_many(&item, 1, 10000);
        if (error)
            return error;
        uint32_t actual[2];
        error = wasmkern_channel_read(channel, text, capacity - 1, NULL, 0, actual);
        if (error == EAGAIN)
            continue;
        if (!error)
            text[actual[0]] = '\0';
        return error;
    }
}

static int send_text(uint32_t channel, const char* text) { return wasmkern_channel_write(channel, text, strlen(text), NULL, 0); }

int main(void)
{
    // One write per line: the service writes to the same console.
    setvbuf(stdout, NULL, _IOLBF, 0);
    uint32_t pair[2];
    show("channel_create", wasmkern_channel_create(pair));
    show("channel_create out of bounds", wasmkern_channel_create((uint32_t*)0xFFFFFFFCu));
    static const char path[] = "/bin/channel_service";
    static const char argv[] = "channel_service";
    struct WkHandleGrant grant = { pair[1], WK_RIGHT_READ | WK_RIGHT_WRITE | WK_RIGHT_WAIT };
    uint32_t service = 0;
    show("spawn the service with one end",
        wasmkern_spawn_with_handles(path, sizeof path - 1, argv, sizeof argv, "", 0, 0, 1, 2, &grant, 1, 0, &service));
    show("close our copy of its end", wasmkern_handle_close(pair[1]));
    uint32_t channel = pair[0];

    // Requests and answers.
    int right = 0;
    char reply[128];
    for (int i = 0; i < 100; ++i) {
        char request[64];
        snprintf(request, sizeof request, "add %d %d", i, 2 * i);
        char expected[64];
        snprintf(expected, sizeof expected, "sum %d", 3 * i);
        if (send_text(channel, request) == 0 && receive(channel, reply, sizeof reply) == 0 && strcmp(reply, expected) == 0)
            ++right;
    }
    printf("channel_client: %d of 100 answers right\n", right);

    // A handle sent along: a reply channel whose write end goes to the service (write right only).
    uint32_t reply_pair[2];
    wasmkern_channel_create(reply_pair);
    struct WkHandleGrant sent = { reply_pair[1], WK_RIGHT_WRITE };
    show("send ping with a reply channel", wasmkern_channel_write(channel, "ping", 4, &sent, 1));
    show("the sent handle left the sender", wasmkern_handle_close(reply_pair[1]));
    int error = receive(reply_pair[0], reply, sizeof reply);
    show("answer on the reply channel", error);
    printf("channel_client: answer %s\n", error ? "-" : reply);
    struct WkWaitItem closed = { reply_pair[0], WK_SIGNAL_PEER_CLOSED, 0 };
    show("wait until the service closed its end", wasmkern_wait_many(&closed, 1, 10000));
    uint32_t sizes[2] = { 0, 0 };
    show("reply channel after the service closed its end",
        wasmkern_channel_read(reply_pair[0], reply, sizeof reply, NULL, 0, sizes));
    wasmkern_handle_close(reply_pair[0]);

    // A channel nobody reads: the queue fills (32 messages, 32 KiB).
    uint32_t flood[2];
    wasmkern_channel_create(flood);
    // Refused sends move nothing.
    struct WkHandleGrant own = { flood[0], WK_RIGHTS_ALL };
    show("sending its own endpoint", wasmkern_channel_write(flood[0], "y", 1, &own, 1));
    struct WkHandleGrant twice[2] = { { service, WK_RIGHTS_ALL }, { service, WK_RIGHTS_ALL } };
    show("sending one handle twice", wasmkern_channel_write(flood[1], "y", 1, twice, 2));
    struct WkHandleGrant forged = { 0x1234567u, WK_RIGHTS_ALL };
    show("sending a forged handle", wasmkern_channel_write(flood[1], "y", 1, &forged, 1));
    show("writing on a process handle", wasmkern_channel_write(service, "y", 1, NULL, 0));
    uint32_t read_only = 0;
    wasmkern_handle_duplicate(flood[1], WK_RIGHT_READ, &read_only);
    show("writing without the write right", wasmkern_channel_write(read_only, "y", 1, NULL, 0));
    struct WkHandleGrant not_transferable = { read_only, WK_RIGHT_READ };
    show("sending a handle without transfer", wasmkern_channel_write(flood[1], "y", 1, &not_transferable, 1));
    wasmkern_handle_close(read_only);
    int written = 0;
    while ((error = send_text(flood[0], "x")) == 0)
        ++written;
    printf("channel_client: %d small messages queued, then errno %d\n", written, error);
    uint32_t actual[2] = { 0, 0 };
    char small[4];
    show("read into a buffer too small", wasmkern_channel_read(flood[1], small, 0, NULL, 0, actual));
    printf("channel_client: it needs %u bytes\n", actual[0]);
    show("read out of bounds", wasmkern_channel_read(flood[1], (void*)0xFFFFFFF0u, 64, NULL, 0, actual));
    static char big[16 * 1024 + 1];
    show("a message over 16 KiB", wasmkern_channel_write(flood[1], big, sizeof big, NULL, 0));
    show("a 16 KiB message", wasmkern_channel_write(flood[1], big, sizeof big - 1, NULL, 0));
    show("a second 16 KiB message", wasmkern_channel_write(flood[1], big, sizeof big - 1, NULL, 0));
    show("a third (32 KiB queued)", wasmkern_channel_write(flood[1], big, sizeof big - 1, NULL, 0));
    // wait_many: one ready item among several; a deadline with none ready.
    struct WkWaitItem items[2] = { { flood[1], WK_SIGNAL_READABLE, 0 }, { flood[0], WK_SIGNAL_READABLE, 0 } };
    show("wait_many, one readable", wasmkern_wait_many(items, 2, 10000));
    printf("channel_client: observed 0x%x 0x%x\n", items[0].observed, items[1].observed);
    uint64_t start = now_ns();
    items[0].wanted = WK_SIGNAL_PEER_CLOSED;
    show("wait_many, 50 ms deadline", wasmkern_wait_many(items, 1, 50));
    uint64_t waited_ms = (now_ns() - start) / 1000000u;
    printf("channel_client: deadline kept %d\n", waited_ms >= 49 && waited_ms < 10000);
    show("wait_many with no items", wasmkern_wait_many(items, 0, 0));
    show("wait_many with 65 items", wasmkern_wait_many(items, 65, 0));
    // Closing one end: the other sees peer-closed; writes fail, queued messages still read.
    show("close one end", wasmkern_handle_close(flood[1]));
    show("write to a closed peer", send_text(flood[0], "x"));
    items[0] = (struct WkWaitItem) { flood[0], WK_SIGNAL_PEER_CLOSED, 0 };
    show("wait_many peer closed", wasmkern_wait_many(items, 1, 10000));
    printf("channel_client: observed 0x%x\n", items[0].observed);
    show("read a queued message after the close", wasmkern_channel_read(flood[0], big, sizeof big, NULL, 0, actual));
    wasmkern_handle_close(flood[0]);

    // The round trip, measured (not a test: printed for docs/process-abi.md).
    enum { kTrips = 2000 };
    start = now_ns();
    int trips = 0;
    for (int i = 0; i < kTrips; ++i) {
        if (send_text(channel, "add 1 2") != 0 || receive(channel, reply, sizeof reply) != 0)
            break;
        ++trips;
    }
    uint64_t elapsed = now_ns() - start;
    printf("channel_client: %d round trips, %llu ns each on average\n", trips,
        (unsigned long long)(trips ? elapsed / (uint64_t)trips : 0));

    // Closing our end ends the service; its process handle signals the exit.
    // Printed once the service has exited: it writes to the same console.
    fflush(stdout);
    int closed_error = wasmkern_handle_close(channel);
    items[0] = (struct WkWaitItem) { service, WK_SIGNAL_EXITED, 0 };
    int exit_error = wasmkern_wait_many(items, 1, 10000);
    uint32_t status = 99;
    int wait_error = wasmkern_wait(service, &status);
    show("close the service's channel", closed_error);
    show("wait_many for the service's exit", exit_error);
    show("wait for the service", wait_error);
    printf("channel_client: service status %u\n", status);
    return 0;
}
