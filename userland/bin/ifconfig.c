// ifconfig: the network interface's status (wasmkern.net_status, docs/networking.md
// "Outbound"): MAC and link, IPv4 address, netmask, gateway and DNS server, and counters.
#include "wasmkern.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: ifconfig\n"
               "Prints the network interface: MAC address and link, the IPv4 address, netmask,\n"
               "gateway and DNS server DHCP gave (0.0.0.0 before), and its frame, packet and TCP\n"
               "segment counters.\n");
        return 0;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: ifconfig (takes no arguments; --help)\n");
        return 2;
    }
    struct WkNetStatus status;
    int error = wasmkern_net_status(&status, sizeof status);
    if (error == ENETDOWN) {
        fprintf(stderr, "ifconfig: no network interface\n");
        return 1;
    }
    if (error) {
        fprintf(stderr, "ifconfig: %s\n", error == ENOTSUP ? "the interface is the kernel's (not under wasmkern run)"
                                                            : strerror(error));
        return 1;
    }
    char address[16], netmask[16], gateway[16], dns[16];
    wk_format_ipv4(status.address, address);
    wk_format_ipv4(status.netmask, netmask);
    wk_format_ipv4(status.gateway, gateway);
    wk_format_ipv4(status.dns, dns);
    const uint8_t* m = status.mac;
    printf("eth0: link %s, MAC %02x:%02x:%02x:%02x:%02x:%02x\n", status.link_up ? "up" : "down", m[0], m[1], m[2], m[3],
        m[4], m[5]);
    printf("  inet %s netmask %s gateway %s dns %s\n", address, netmask, gateway, dns);
    printf("  frames in %llu out %llu (send failed %llu)\n", (unsigned long long)status.frames_in,
        (unsigned long long)status.frames_out, (unsigned long long)status.frames_send_failed);
    printf("  packets in: IPv4 %llu, UDP %llu, ICMP %llu\n", (unsigned long long)status.ipv4_in,
        (unsigned long long)status.udp_in, (unsigned long long)status.icmp_in);
    printf("  TCP segments in %llu out %llu, connections %u\n", (unsigned long long)status.tcp_segments_in,
        (unsigned long long)status.tcp_segments_out, status.tcp_connections);
    return 0;
}
