// socket_hog HOST PORT HOLD_MS: opens TCP connections to HOST:PORT (a server that accepts)
// until refused, then UDP sockets until refused, prints how many of each and the refusals,
// holds them HOLD_MS milliseconds ("socket_hog: holding") and closes them ("socket_hog:
// released"). In the OS each process is held to its quota (docs/networking.md, "Limits"), so
// that while one hogs, another still opens its own (tests/userland/boot-fetch.sh).
#include "wasmkern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MOST 64

int main(int argc, char** argv)
{
    if (argc != 4 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: socket_hog HOST PORT HOLD_MS\n");
        return 2;
    }
    uint32_t address;
    uint32_t net;
    if (wk_parse_ipv4(argv[1], &address) || wk_net_handle(&net)) {
        fprintf(stderr, "socket_hog: bad HOST or no network right\n");
        return 2;
    }
    uint32_t port = (uint32_t)atoi(argv[2]);
    long hold_ms = atol(argv[3]);
    uint8_t to[4] = { (uint8_t)(address >> 24), (uint8_t)(address >> 16), (uint8_t)(address >> 8), (uint8_t)address };
    int32_t streams[MOST], datagrams[MOST];
    int connected = 0, bound = 0, connect_error = 0, bind_error = 0;
    while (connected < MOST && !(connect_error = wasmkern_sock_connect(net, to, 4, port, &streams[connected])))
        ++connected;
    while (bound < MOST && !(bind_error = wasmkern_udp_bind(net, 0, &datagrams[bound])))
        ++bound;
    printf("socket_hog: %d connected, then %s; %d bound, then %s\n", connected,
           connect_error ? strerror(connect_error) : "none refused", bound, bind_error ? strerror(bind_error) : "none refused");
    if (hold_ms > 0) {
        printf("socket_hog: holding\n");
        fflush(stdout);
        struct timespec wait = { hold_ms / 1000, (hold_ms % 1000) * 1000000L };
        nanosleep(&wait, NULL);
    }
    for (int i = 0; i < connected; ++i)
        close(streams[i]);
    for (int i = 0; i < bound; ++i)
        close(datagrams[i]);
    printf("socket_hog: released\n");
    return 0;
}
