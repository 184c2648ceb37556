// channel_service: a service reached over a channel (docs/process-abi.md, "Channels"). It
// answers each request on the channel it was handed at spawn (or, when the request carries a
// channel handle, on that one) until its client closes the other end:
//   "add A B"  ->  "sum A+B"
//   "ping"     ->  "pong read->E", E being what reading the received handle gave (it comes
//                  with the write right only, so ENOTCAPABLE)
// Test program for channel_client (tests/kernel/channel-service.sh).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmkern.h"

int main(void)
{
    uint32_t channel = 0;
    if (wk_find_handle(WK_OBJECT_CHANNEL, WK_RIGHT_READ | WK_RIGHT_WRITE | WK_RIGHT_WAIT, &channel) != 0) {
        fprintf(stderr, "channel_service: no channel was handed to it\n");
        return 1;
    }
    unsigned answered = 0;
    for (;;) {
        struct WkWaitItem item = { channel, WK_SIGNAL_READABLE | WK_SIGNAL_PEER_CLOSED, 0 };
        int error = wasmkern_wait_many(&item, 1, 0xFFFFFFFFu);
        if (error) {
            fprintf(stderr, "channel_service: wait_many: %s\n", strerror(error));
            return 1;
        }
        char request[128];
        uint32_t handles[4];
        uint32_t actual[2] = { 0, 0 };
        error = wasmkern_channel_read(channel, request, sizeof request - 1, handles, 4, actual);
        if (error == EAGAIN)
            continue;
        if (error == EPIPE)
            break; // the client is gone and everything it sent is answered
        if (error) {
            fprintf(stderr, "channel_service: read: %s\n", strerror(error));
            return 1;
        }
        request[actual[0]] = '\0';
        uint32_t reply_to = actual[1] > 0 ? handles[0] : channel;
        char reply[128];
        long a = 0, b = 0;
        if (sscanf(request, "add %ld %ld", &a, &b) == 2) {
            snprintf(reply, sizeof reply, "sum %ld", a + b);
        } else if (strcmp(request, "ping") == 0) {
            char probe[4];
            uint32_t probe_actual[2];
            snprintf(reply, sizeof reply, "pong read->%d",
                actual[1] > 0 ? wasmkern_channel_read(reply_to, probe, sizeof probe, NULL, 0, probe_actual) : -1);
        } else {
            snprintf(reply, sizeof reply, "error");
        }
        error = wasmkern_channel_write(reply_to, reply, strlen(reply), NULL, 0);
        if (error)
            fprintf(stderr, "channel_service: write: %s\n", strerror(error));
        for (uint32_t i = 0; i < actual[1]; ++i)
            wasmkern_handle_close(handles[i]);
        ++answered;
    }
    printf("channel_service: answered %u requests, then its client closed the channel\n", answered);
    return 0;
}
