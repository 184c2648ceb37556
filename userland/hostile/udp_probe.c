// udp_probe HOST PORT [os]: the wasmkern UDP calls given hostile arguments, then three
// datagrams to an echo server at HOST:PORT whose answers must come back whole from HOST:PORT,
// a non-blocking receive with nothing queued (EAGAIN), and a bind flood that must stop at the
// process's quota of 2 sockets with EMFILE in the OS ("os") or succeed throughout on Linux. Prints each result and
// "udp_probe: ok" when all were as expected.
#include "wasmkern.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLOOD 10

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
        fprintf(stderr, "usage: udp_probe HOST PORT [os]\n");
        return 2;
    }
    int os = argc > 3 && strcmp(argv[3], "os") == 0;
    uint32_t address, net;
    if (wk_parse_ipv4(argv[1], &address) || wk_net_handle(&net)) {
        fprintf(stderr, "udp_probe: bad HOST or no network right\n");
        return 2;
    }
    uint32_t port = (uint32_t)atoi(argv[2]);
    uint8_t to[4] = { (uint8_t)(address >> 24), (uint8_t)(address >> 16), (uint8_t)(address >> 8), (uint8_t)address };
    static const uint8_t broadcast[4] = { 255, 255, 255, 255 };
    int32_t fd = -1;
    expect("bind with a forged handle", wasmkern_udp_bind(0x1234567u, 0, &fd), EBADF);
    expect("bind fd_out outside memory", wasmkern_udp_bind(net, 0, (int32_t*)0xFFFFFFFEu), EFAULT);
    expect("bind port 70000", wasmkern_udp_bind(net, 70000, &fd), EINVAL);
    expect("bind", wasmkern_udp_bind(net, 0, &fd), 0);
    uint32_t sent = 0;
    char big[2000] = { 0 };
    expect("send address length 3", wasmkern_udp_send_to(fd, to, 3, port, "x", 1, &sent), EINVAL);
    expect("send address length 16", wasmkern_udp_send_to(fd, to, 16, port, "x", 1, &sent), EAFNOSUPPORT);
    expect("send buffer outside memory", wasmkern_udp_send_to(fd, to, 4, port, (void*)0xFFFFFF00u, 512, &sent), EFAULT);
    expect("send 2000 bytes", wasmkern_udp_send_to(fd, to, 4, port, big, sizeof big, &sent), EMSGSIZE);
    expect("send to port 0", wasmkern_udp_send_to(fd, to, 4, 0, "x", 1, &sent), EINVAL);
    expect("send to broadcast", wasmkern_udp_send_to(fd, broadcast, 4, port, "x", 1, &sent), EINVAL);
    expect("send on stdout", wasmkern_udp_send_to(1, to, 4, port, "x", 1, &sent), ENOTSOCK);
    expect("send on a closed fd", wasmkern_udp_send_to(999, to, 4, port, "x", 1, &sent), EBADF);
    struct WkDatagramInfo info;
    expect("receive info outside memory", wasmkern_udp_recv_from(fd, big, 16, (struct WkDatagramInfo*)0xFFFFFFF8u),
        EFAULT);
    expect("write without a destination", write(fd, "x", 1) < 0 ? errno : 0, EDESTADDRREQ);

    for (int i = 1; i <= 3; ++i) {
        char message[32], answer[64];
        int length = snprintf(message, sizeof message, "datagram %d", i);
        expect("send", wasmkern_udp_send_to(fd, to, 4, port, message, (uint32_t)length, &sent), 0);
        struct pollfd wait = { fd, POLLIN, 0 };
        int ready = poll(&wait, 1, 5000);
        expect("poll for the echo", ready == 1 && (wait.revents & POLLIN) ? 0 : ETIMEDOUT, 0);
        if (ready != 1)
            continue;
        expect("receive", wasmkern_udp_recv_from(fd, answer, sizeof answer, &info), 0);
        int same = info.copied == (uint32_t)length && info.length == (uint32_t)length && !memcmp(answer, message, length)
            && !memcmp(info.from, to, 4) && info.port == port;
        expect("the echo is the datagram, from HOST:PORT", same ? 0 : EIO, 0);
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    expect("non-blocking receive with nothing queued", wasmkern_udp_recv_from(fd, big, 16, &info), EAGAIN);

    int fds[FLOOD];
    int bound = 0, refusal = 0;
    for (; bound < FLOOD; ++bound) {
        refusal = wasmkern_udp_bind(net, 0, &fds[bound]);
        if (refusal)
            break;
    }
    printf("bind flood: %d more bound%s%s\n", bound, refusal ? ", then " : "", refusal ? strerror(refusal) : "");
    if (os)
        expect("bind flood bound", bound == 1 && refusal == EMFILE ? 0 : EIO, 0);
    else
        expect("bind flood", bound == FLOOD ? 0 : EIO, 0);
    for (int i = 0; i < bound; ++i)
        close(fds[i]);
    close(fd);
    expect("bind after closing them", wasmkern_udp_bind(net, 0, &fd), 0);
    printf("udp_probe: %s\n", g_ok ? "ok" : "FAILED");
    return g_ok ? 0 : 1;
}
