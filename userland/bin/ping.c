// ping [-c COUNT] [-W MS] HOST: ICMP echo requests to HOST (an IPv4 address or a name), one a
// second, each waiting up to MS for its reply (wasmkern.ping, docs/networking.md "Outbound").
#include "wasmkern.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE* out)
{
    fprintf(out, "usage: ping [-c COUNT] [-W MS] HOST\n"
                 "Sends ICMP echo requests (56 data bytes) to HOST, an IPv4 address or a name, one a\n"
                 "second, and prints each reply's round trip. Exit 0 when a reply came, 1 when none did.\n"
                 "  -c COUNT  requests to send, 1..1000 (default 4)\n"
                 "  -W MS     how long to wait for each reply, 1..60000 ms (default 1000)\n"
                 "Needs the network right (the shell grants it unless the command starts with --nonet).\n");
}

static int option_value(const char* text, unsigned long long low, unsigned long long high, unsigned long long* out)
{
    return wk_parse_count(text, out) == 0 && *out >= low && *out <= high;
}

int main(int argc, char** argv)
{
    unsigned long long count = 4, timeout_ms = 1000;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; ++i) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc && option_value(argv[i + 1], 1, 1000, &count)) {
            ++i;
        } else if (strcmp(argv[i], "-W") == 0 && i + 1 < argc && option_value(argv[i + 1], 1, 60000, &timeout_ms)) {
            ++i;
        } else {
            fprintf(stderr, "ping: bad option or value: %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (i + 1 != argc) {
        usage(stderr);
        return 2;
    }
    const char* host = argv[i];
    uint32_t handle;
    if (wk_net_handle(&handle) != 0) {
        fprintf(stderr, "ping: no network right (the shell withholds it with --nonet; wasmkern run grants it with --net)\n");
        return 1;
    }
    uint32_t address;
    int error = wk_parse_ipv4(host, &address);
    if (error)
        error = wk_resolve(host, &address);
    if (error) {
        fprintf(stderr, "ping: cannot resolve %s: %s\n", host, strerror(error));
        return 1;
    }
    char shown[16];
    wk_format_ipv4(address, shown);
    uint8_t bytes[4] = { (uint8_t)(address >> 24), (uint8_t)(address >> 16), (uint8_t)(address >> 8), (uint8_t)address };
    printf("PING %s (%s): 56 data bytes\n", host, shown);
    unsigned long long received = 0, total_us = 0;
    for (unsigned long long sequence = 1; sequence <= count; ++sequence) {
        struct timespec started;
        clock_gettime(CLOCK_MONOTONIC, &started);
        struct WkPingInfo info;
        error = wasmkern_ping(handle, bytes, 4, (uint32_t)(sequence & 0xFFFF), (uint32_t)timeout_ms, &info);
        if (error == 0) {
            printf("%u bytes from %s: icmp_seq=%llu ttl=%u time=%u.%03u ms\n", info.bytes, shown, sequence, info.ttl,
                info.rtt_us / 1000, info.rtt_us % 1000);
            ++received;
            total_us += info.rtt_us;
        } else if (error == ETIMEDOUT) {
            printf("no reply for icmp_seq=%llu within %llu ms\n", sequence, timeout_ms);
        } else {
            fprintf(stderr, "ping: %s: %s\n", shown, strerror(error));
            return 1;
        }
        fflush(stdout);
        if (sequence == count)
            break;
        // One request a second: sleep what is left of it.
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long spent_ns = (now.tv_sec - started.tv_sec) * 1000000000LL + (now.tv_nsec - started.tv_nsec);
        if (spent_ns < 1000000000LL) {
            struct timespec rest = { 0, (long)(1000000000LL - spent_ns) };
            nanosleep(&rest, NULL);
        }
    }
    printf("--- %s ping statistics: %llu sent, %llu received, %llu%% loss", shown, count, received,
        (count - received) * 100 / count);
    if (received)
        printf(", average %llu.%03llu ms", total_us / received / 1000, total_us / received % 1000);
    printf("\n");
    return received ? 0 : 1;
}
