#include "kernel/console/net_commands.h"

#include "kernel/console/arguments.h"
#include "kernel/debug/log.h"
#include "kernel/drivers/network.h"
#include "kernel/sched/thread.h"

namespace wk::kernel::console {

using debug::print;
using drivers::network_now_ns;
using drivers::NetworkLock;

namespace {

constexpr u64 kMillisecond = 1'000'000;
constexpr u64 kSecond = 1'000'000'000;

struct AddressText {
    char text[16];
};

AddressText text_of(net::Ipv4Address address)
{
    AddressText out;
    net::format_ipv4(address, out.text);
    return out;
}

net::Interface* interface_or_say()
{
    auto* interface = drivers::network_interface();
    if (!interface)
        print("net: no network interface (boot with a virtio-net device, e.g. make run's default)\n");
    return interface;
}

const char* dhcp_state_name(net::DhcpState state)
{
    switch (state) {
    case net::DhcpState::Idle:
        return "off";
    case net::DhcpState::Selecting:
        return "selecting";
    case net::DhcpState::Requesting:
        return "requesting";
    case net::DhcpState::Bound:
        return "bound";
    }
    return "?";
}

void print_status(net::Interface& interface)
{
    // Copied under the lock, printed after it (printing may take long on the serial line).
    net::NetCounters c;
    net::MacAddress mac;
    net::Ipv4Address address, netmask, gateway, dns;
    net::DhcpState state;
    u32 lease_seconds;
    usize arp_entries;
    bool link;
    u64 device_in, device_out, device_errors, ring_full;
    net::TcpCounters t;
    usize tcp_connections;
    {
        NetworkLock lock;
        c = interface.counters();
        t = interface.tcp().counters();
        tcp_connections = interface.tcp().connections_in_use();
        mac = interface.mac();
        address = interface.address();
        netmask = interface.netmask();
        gateway = interface.gateway();
        dns = interface.dns();
        state = interface.dhcp().state();
        lease_seconds = interface.dhcp().lease().lease_seconds;
        arp_entries = interface.arp().used_entries();
        auto* device = drivers::network_device();
        link = device->link_up();
        device_in = device->frames_received();
        device_out = device->frames_sent();
        device_errors = device->receive_errors();
        ring_full = device->transmit_ring_full();
    }
    print("eth0 MAC {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} link {}\n", mac.bytes[0], mac.bytes[1], mac.bytes[2], mac.bytes[3],
          mac.bytes[4], mac.bytes[5], link ? "up" : "down");
    print("  inet {} netmask {} gateway {} dns {} (DHCP {}, lease {} s)\n", text_of(address).text, text_of(netmask).text,
          text_of(gateway).text, text_of(dns).text, dhcp_state_name(state), lease_seconds);
    print("  device: {} frames in, {} out, {} bad lengths, {} times transmit ring full\n", device_in, device_out, device_errors,
          ring_full);
    print("  ethernet: {} in, {} out, {} send failed, {} truncated, {} not for us, {} unknown type\n", c.frames_in, c.frames_out,
          c.frames_send_failed, c.ethernet_truncated, c.ethernet_not_for_us, c.ethernet_unknown_type);
    print("  arp: {} in, {} malformed, {} requests and {} replies sent, {} entries\n", c.arp_in, c.arp_malformed,
          c.arp_requests_sent, c.arp_replies_sent, arp_entries);
    print("  ipv4: {} in, {} malformed, {} bad checksum, {} fragments dropped, {} not for us, {} unknown protocol, {} no route\n",
          c.ipv4_in, c.ipv4_malformed, c.ipv4_bad_checksum, c.ipv4_fragments_dropped, c.ipv4_not_for_us,
          c.ipv4_unknown_protocol, c.ipv4_no_route);
    print("  icmp: {} in, {} malformed, {} bad checksum, {} echo requests answered, {} echo replies in\n", c.icmp_in,
          c.icmp_malformed, c.icmp_bad_checksum, c.icmp_echo_requests_answered, c.icmp_echo_replies_in);
    print("  udp: {} in, {} delivered, {} sent, {} malformed, {} bad checksum, {} no socket, {} queue full\n", c.udp_in,
          c.udp_delivered, c.udp_sent, c.udp_malformed, c.udp_bad_checksum, c.udp_no_socket, c.udp_queue_full);
    print("  tcp: {} in, {} out, {} malformed, {} bad checksum, {} out of order ({} queued, {} dropped), {} retransmitted, "
          "{} fast retransmits, {} RTT samples, {} resets sent, {} received, {} SYNs dropped, {} timed out, "
          "{} keep-alive probes, {} drops, {} TIME_WAIT reused, {} connections\n",
          t.segments_in, t.segments_out, t.malformed, t.bad_checksum, t.out_of_order, t.out_of_order_queued,
          t.out_of_order_dropped, t.retransmissions, t.fast_retransmits, t.rtt_samples, t.resets_sent, t.resets_received,
          t.syn_dropped, t.timeouts, t.keepalive_probes, t.keepalive_drops, t.time_wait_reused, tcp_connections);
}

} // namespace

void command_net(std::string_view arguments)
{
    auto* interface = interface_or_say();
    if (!interface)
        return;
    std::string_view verb = next_word(arguments);
    if (verb.empty()) {
        print_status(*interface);
        return;
    }
    u64 seconds = 0;
    if (verb != "wait" || !parse_number(next_word(arguments), 3600, seconds)) {
        print("usage: net [wait SECONDS]\n");
        return;
    }
    u64 start = network_now_ns();
    for (;;) {
        net::Ipv4Address address;
        {
            NetworkLock lock;
            address = interface->address();
        }
        u64 waited = network_now_ns() - start;
        if (address != 0) {
            print("net: address {} after {} ms\n", text_of(address).text, waited / kMillisecond);
            return;
        }
        if (waited > seconds * kSecond) {
            print("net: no address after {} s\n", seconds);
            return;
        }
        sched::sleep_for(10 * kMillisecond);
    }
}

void command_ping(std::string_view arguments)
{
    auto* interface = interface_or_say();
    if (!interface)
        return;
    std::string_view host = next_word(arguments);
    std::string_view count_word = next_word(arguments);
    net::Ipv4Address to;
    u64 count = 4;
    if (!net::parse_ipv4(host.data(), host.size(), to) || (!count_word.empty() && !parse_number(count_word, 1000, count))
        || count == 0) {
        print("usage: ping ADDRESS [COUNT] (an IPv4 address; COUNT 1..1000)\n");
        return;
    }
    constexpr usize kPayload = 56;
    u16 identifier = static_cast<u16>(network_now_ns() >> 10);
    u64 received = 0;
    u64 total_us = 0;
    {
        NetworkLock lock;
        while (interface->take_echo_reply()) { } // stale replies of an earlier ping
    }
    print("PING {}: {} data bytes\n", text_of(to).text, kPayload);
    for (u64 sequence = 1; sequence <= count; ++sequence) {
        u64 sent_at = network_now_ns();
        {
            NetworkLock lock;
            if (auto sent = interface->send_echo_request(to, identifier, static_cast<u16>(sequence), kPayload, sent_at); !sent) {
                print("ping: {}\n", sent.error().message());
                return;
            }
        }
        // Waits up to a second for this sequence's reply, then sends the next.
        bool answered = false;
        while (network_now_ns() - sent_at < kSecond) {
            std::optional<net::EchoReply> reply;
            {
                NetworkLock lock;
                reply = interface->take_echo_reply();
            }
            if (!reply) {
                sched::sleep_for(kMillisecond);
                continue;
            }
            if (reply->identifier != identifier || reply->sequence != sequence || reply->from != to)
                continue;
            u64 us = (reply->received_ns - sent_at) / 1000;
            print("{} bytes from {}: icmp_seq={} ttl={} time={}.{:03} ms\n", reply->payload_bytes + 8, text_of(reply->from).text,
                  sequence, reply->ttl, us / 1000, us % 1000);
            ++received;
            total_us += us;
            answered = true;
            break;
        }
        if (!answered)
            print("ping: no reply for icmp_seq={}\n", sequence);
        else if (sequence < count)
            sched::sleep_for(kSecond - (network_now_ns() - sent_at < kSecond ? network_now_ns() - sent_at : kSecond));
    }
    print("--- {} ping statistics: {} sent, {} received", text_of(to).text, count, received);
    if (received)
        print(", average {}.{:03} ms", total_us / received / 1000, total_us / received % 1000);
    print("\n");
}

void command_udpecho(std::string_view arguments)
{
    auto* interface = interface_or_say();
    if (!interface)
        return;
    u64 port, count, seconds = 60;
    std::string_view seconds_word;
    if (!parse_number(next_word(arguments), 65535, port) || port == 0 || !parse_number(next_word(arguments), 100000, count)
        || (!(seconds_word = next_word(arguments)).empty() && !parse_number(seconds_word, 3600, seconds))) {
        print("usage: udpecho PORT COUNT [SECONDS] (default 60 s)\n");
        return;
    }
    usize socket;
    {
        NetworkLock lock;
        auto opened = interface->udp_open(static_cast<u16>(port));
        if (!opened) {
            print("udpecho: {}\n", opened.error().message());
            return;
        }
        socket = *opened;
    }
    print("udpecho: listening on port {}\n", port);
    static u8 buffer[net::kMaxUdpPayload];
    u64 echoed = 0, bytes = 0, start = network_now_ns();
    while (echoed < count && network_now_ns() - start < seconds * kSecond) {
        bool any = false;
        {
            NetworkLock lock;
            if (auto datagram = interface->udp_receive(socket, buffer)) {
                any = true;
                if (interface->udp_send(socket, datagram->from, datagram->from_port, { buffer, datagram->length }, network_now_ns())) {
                    ++echoed;
                    bytes += datagram->length;
                }
            }
        }
        if (!any)
            sched::sleep_for(kMillisecond);
    }
    {
        NetworkLock lock;
        interface->udp_close(socket);
    }
    print("udpecho: echoed {} datagrams ({} bytes) on port {}{}\n", echoed, bytes, port, echoed < count ? " (timed out)" : "");
}

void command_udpsend(std::string_view arguments)
{
    auto* interface = interface_or_say();
    if (!interface)
        return;
    std::string_view host = next_word(arguments);
    net::Ipv4Address to;
    u64 port;
    if (!net::parse_ipv4(host.data(), host.size(), to) || !parse_number(next_word(arguments), 65535, port) || port == 0
        || arguments.empty() || arguments.size() > net::kMaxUdpPayload) {
        print("usage: udpsend ADDRESS PORT TEXT\n");
        return;
    }
    usize socket;
    {
        NetworkLock lock;
        auto opened = interface->udp_open(0);
        if (!opened) {
            print("udpsend: {}\n", opened.error().message());
            return;
        }
        socket = *opened;
        if (auto sent = interface->udp_send(socket, to, static_cast<u16>(port),
                                            { reinterpret_cast<const u8*>(arguments.data()), arguments.size() }, network_now_ns());
            !sent) {
            interface->udp_close(socket);
            print("udpsend: {}\n", sent.error().message());
            return;
        }
    }
    static char reply[net::kMaxUdpPayload + 1];
    u64 start = network_now_ns();
    std::optional<net::UdpDatagram> datagram;
    while (!datagram && network_now_ns() - start < 5 * kSecond) {
        {
            NetworkLock lock;
            datagram = interface->udp_receive(socket, { reinterpret_cast<u8*>(reply), net::kMaxUdpPayload });
        }
        if (!datagram)
            sched::sleep_for(kMillisecond);
    }
    {
        NetworkLock lock;
        interface->udp_close(socket);
    }
    if (!datagram) {
        print("udpsend: no reply in 5 s\n");
        return;
    }
    for (usize i = 0; i < datagram->length; ++i) {
        if (reply[i] < 0x20 || reply[i] > 0x7E)
            reply[i] = '.';
    }
    print("udpsend: reply from {}:{}: {}\n", text_of(datagram->from).text, datagram->from_port,
          std::string_view(reply, datagram->length));
}

void command_tcpecho(std::string_view arguments)
{
    auto* interface = interface_or_say();
    if (!interface)
        return;
    u64 port, count, seconds = 60;
    std::string_view seconds_word;
    if (!parse_number(next_word(arguments), 65535, port) || port == 0 || !parse_number(next_word(arguments), 1000, count)
        || count == 0 || (!(seconds_word = next_word(arguments)).empty() && !parse_number(seconds_word, 3600, seconds))) {
        print("usage: tcpecho PORT COUNT [SECONDS] (default 60 s)\n");
        return;
    }
    auto& tcp = interface->tcp();
    usize listener;
    {
        NetworkLock lock;
        auto listening = tcp.listen(static_cast<u16>(port), 4);
        if (!listening) {
            print("tcpecho: {}\n", listening.error().message());
            return;
        }
        listener = *listening;
    }
    print("tcpecho: listening on port {}\n", port);
    static u8 buffer[2048];
    u64 served = 0, total = 0, start = network_now_ns();
    auto timed_out = [&] { return network_now_ns() - start > seconds * kSecond; };
    while (served < count && !timed_out()) {
        std::optional<usize> connection;
        {
            NetworkLock lock;
            connection = tcp.accept(listener);
        }
        if (!connection) {
            sched::sleep_for(kMillisecond);
            continue;
        }
        // Echoes until the peer closes: reads only when what it read before is all queued, so
        // a peer that does not read its echo is slowed by its own window.
        usize pending = 0, offset = 0;
        u64 bytes = 0;
        bool reset = false, done = false;
        while (!done && !timed_out()) {
            bool progress = false;
            {
                NetworkLock lock;
                u64 now = network_now_ns();
                if (pending == offset) {
                    pending = tcp.receive_data(*connection, buffer, now);
                    offset = 0;
                    bytes += pending;
                    progress = pending > 0;
                }
                if (offset < pending) {
                    auto sent = tcp.send(*connection, { buffer + offset, pending - offset }, now);
                    if (sent) {
                        offset += *sent;
                        progress = progress || *sent > 0;
                    } else {
                        reset = true;
                    }
                }
                reset = reset || tcp.was_reset(*connection);
                done = reset || (offset == pending && tcp.peer_closed(*connection));
                if (done) {
                    if (reset)
                        tcp.abort(*connection, now);
                    else
                        tcp.close(*connection, now);
                }
            }
            if (!progress && !done)
                sched::sleep_for(kMillisecond);
        }
        if (!done) {
            NetworkLock lock;
            tcp.abort(*connection, network_now_ns());
        }
        ++served;
        total += bytes;
        print("tcpecho: connection {}: echoed {} bytes{}\n", served, bytes, reset ? " (reset)" : done ? "" : " (timed out)");
    }
    {
        NetworkLock lock;
        tcp.close_listener(listener, network_now_ns());
    }
    print("tcpecho: {} connections, {} bytes{}\n", served, total, served < count ? " (timed out)" : "");
}

} // namespace wk::kernel::console
