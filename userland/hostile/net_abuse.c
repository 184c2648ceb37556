// net_abuse HOST PORT [os]: the wasmkern network calls given hostile arguments (pointers
// outside memory, bad lengths, ports and addresses, forged handles), then a connect flood to
// HOST:PORT (a server that accepts) held open: it must stop at the process's quota with EMFILE
// in the OS ("os": SocketQuota::kMaxOutbound, 4) or succeed throughout on Linux, and connect
// again once the flood is closed. Prints each result and "net_abuse: ok" when all were as expected.
#include "wasmkern.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLOOD 40

static int g_ok = 1;

static void expect(const char* what, int got, int want)
{
    printf("%s: %s%s\n", what, got ? strerror(got) : "success", got == want ? "" : " (UNEXPECTED)");
    if (got != want)
        g_ok = 0;
}

int main(int argc, char** argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: net_abuse HOST PORT [os]\n");
        return 2;
    }
    int os = argc > 3 && strcmp(argv[3], "os") == 0;
    uint32_t address;
    uint32_t net;
    if (wk_parse_ipv4(argv[1], &address) || wk_net_handle(&net)) {
        fprintf(stderr, "net_abuse: bad HOST or no network right\n");
        return 2;
    }
    uint32_t port = (uint32_t)atoi(argv[2]);
    uint8_t to[4] = { (uint8_t)(address >> 24), (uint8_t)(address >> 16), (uint8_t)(address >> 8), (uint8_t)address };
    int32_t fd = -1;
    expect("address outside memory", wasmkern_sock_connect(net, (const uint8_t*)0xFFFFFFF0u, 4, port, &fd), EFAULT);
    expect("fd_out outside memory", wasmkern_sock_connect(net, to, 4, port, (int32_t*)0xFFFFFFFEu), EFAULT);
    expect("address length 3", wasmkern_sock_connect(net, to, 3, port, &fd), EINVAL);
    expect("address length 16", wasmkern_sock_connect(net, to, 16, port, &fd), EAFNOSUPPORT);
    expect("port 0", wasmkern_sock_connect(net, to, 4, 0, &fd), EINVAL);
    expect("port 70000", wasmkern_sock_connect(net, to, 4, 70000, &fd), EINVAL);
    expect("forged handle", wasmkern_sock_connect(0x1234567u, to, 4, port, &fd), EBADF);
    static const uint8_t zero[4] = { 0, 0, 0, 0 }, broadcast[4] = { 255, 255, 255, 255 }, multicast[4] = { 224, 0, 0, 1 };
    expect("address 0.0.0.0", wasmkern_sock_connect(net, zero, 4, port, &fd), EINVAL);
    expect("address 255.255.255.255", wasmkern_sock_connect(net, broadcast, 4, port, &fd), EINVAL);
    expect("address 224.0.0.1", wasmkern_sock_connect(net, multicast, 4, port, &fd), EINVAL);
    uint8_t out[4];
    expect("resolve name outside memory", wasmkern_resolve(net, (const char*)0xFFFFFF00u, 200, out), EFAULT);
    expect("resolve out outside memory", wasmkern_resolve(net, "localhost", 9, (uint8_t*)0xFFFFFFFEu), EFAULT);
    expect("resolve empty name", wasmkern_resolve(net, "", 0, out), EINVAL);
    expect("resolve forged handle", wasmkern_resolve(0x1234567u, "localhost", 9, out), EBADF);
    if (os) {
        struct WkPingInfo info;
        expect("ping info outside memory", wasmkern_ping(net, to, 4, 1, 100, (struct WkPingInfo*)0xFFFFFFF8u), EFAULT);
        expect("ping timeout 0", wasmkern_ping(net, to, 4, 1, 0, &info), EINVAL);
        expect("ping sequence 70000", wasmkern_ping(net, to, 4, 70000, 100, &info), EINVAL);
        expect("ping broadcast", wasmkern_ping(net, broadcast, 4, 1, 100, &info), EINVAL);
        expect("net_status short buffer", wasmkern_net_status((struct WkNetStatus*)out, 4), EINVAL);
        expect("net_status outside memory", wasmkern_net_status((struct WkNetStatus*)0xFFFFFFF0u, 96), EFAULT);
    }

    int fds[FLOOD];
    int connected = 0, refusal = 0;
    for (int i = 0; i < FLOOD; ++i) {
        int32_t got = -1;
        int error = wasmkern_sock_connect(net, to, 4, port, &got);
        if (error) {
            refusal = error;
            break;
        }
        fds[connected++] = got;
    }
    printf("flood: %d connected%s%s\n", connected, refusal ? ", then " : "", refusal ? strerror(refusal) : "");
    if (os)
        expect("flood bound", connected == 4 && refusal == EMFILE ? 0 : EIO, 0);
    else
        expect("flood", connected == FLOOD ? 0 : EIO, 0);
    for (int i = 0; i < connected; ++i)
        close(fds[i]);
    int32_t again = -1;
    expect("connect after the flood", wasmkern_sock_connect(net, to, 4, port, &again), 0);
    if (again >= 0)
        close(again);
    printf("net_abuse: %s\n", g_ok ? "ok" : "FAILED");
    return g_ok ? 0 : 1;
}
