#include "kernel/net/interface.h"

namespace wk::kernel::net {

namespace {

constexpr u16 kEtherTypeIpv4 = 0x0800;
constexpr u16 kEtherTypeArp = 0x0806;
constexpr usize kArpPacket = 28;
constexpr u16 kArpRequest = 1;
constexpr u16 kArpReply = 2;
constexpr usize kIcmpHeader = 8;
constexpr u8 kIcmpEchoReply = 0;
constexpr u8 kIcmpEchoRequest = 8;
constexpr u8 kDefaultTtl = 64;
constexpr usize kMinFrame = 60; // Ethernet's minimum without the FCS

MacAddress load_mac(const u8* at)
{
    MacAddress mac;
    __builtin_memcpy(mac.bytes, at, 6);
    return mac;
}

bool is_multicast_ipv4(Ipv4Address address) { return (address >> 28) == 0xE; }

} // namespace

void Interface::configure(Ipv4Address address, Ipv4Address netmask, Ipv4Address gateway)
{
    m_use_dhcp = false;
    m_address = address;
    m_netmask = netmask;
    m_gateway = gateway;
}

void Interface::start_dhcp(u32 transaction_seed, u64 now_ns)
{
    m_use_dhcp = true;
    m_dhcp.start(m_mac, transaction_seed, now_ns);
    apply_lease();
}

void Interface::apply_lease()
{
    const auto& lease = m_dhcp.lease();
    m_address = lease.address;
    m_netmask = lease.address ? lease.netmask : 0;
    m_gateway = lease.address ? lease.router : 0;
    m_dns = lease.address ? lease.dns : 0;
}

void Interface::tick(u64 now_ns)
{
    if (m_use_dhcp) {
        u8 message[DhcpClient::kMaxMessage];
        usize length = m_dhcp.poll(now_ns, message);
        if (m_address != m_dhcp.lease().address)
            apply_lease();
        if (length)
            (void)send_udp_from(kDhcpClientPort, kIpv4Broadcast, kDhcpServerPort, { message, length }, now_ns);
    }
    m_arp.expire(now_ns, [this](Ipv4Address address) { send_arp(kArpRequest, MacAddress {}, address); });
    m_tcp.tick(now_ns);
}

bool Interface::send_tcp_segment(Ipv4Address to, std::span<const u8> segment, u64 now_ns)
{
    if (segment.size() > kMaxIpv4Packet - kIpv4Header)
        return false;
    __builtin_memcpy(m_ip_buffer + kIpv4Header, segment.data(), segment.size());
    // NOTE: only the device refusing the frame (its ring full) is "not sent": a packet held
    // for ARP, or one without a route, is as good as sent (lost if it never goes).
    u64 failed = m_counters.frames_send_failed;
    (void)send_ipv4(to, kProtocolTcp, segment.size(), now_ns);
    return m_counters.frames_send_failed == failed;
}

void Interface::send_ethernet(const MacAddress& to, u16 type, std::span<const u8> payload)
{
    __builtin_memcpy(m_frame_buffer, to.bytes, 6);
    __builtin_memcpy(m_frame_buffer + 6, m_mac.bytes, 6);
    store_be16(m_frame_buffer + 12, type);
    __builtin_memcpy(m_frame_buffer + kEthernetHeader, payload.data(), payload.size());
    usize length = kEthernetHeader + payload.size();
    if (length < kMinFrame) {
        __builtin_memset(m_frame_buffer + length, 0, kMinFrame - length);
        length = kMinFrame;
    }
    if (m_sink.send_frame({ m_frame_buffer, length }))
        ++m_counters.frames_out;
    else
        ++m_counters.frames_send_failed;
}

void Interface::send_arp(u16 operation, const MacAddress& target_mac, Ipv4Address target)
{
    u8 packet[kArpPacket];
    store_be16(packet, 1); // Ethernet
    store_be16(packet + 2, kEtherTypeIpv4);
    packet[4] = 6;
    packet[5] = 4;
    store_be16(packet + 6, operation);
    __builtin_memcpy(packet + 8, m_mac.bytes, 6);
    store_be32(packet + 14, m_address);
    __builtin_memcpy(packet + 18, target_mac.bytes, 6);
    store_be32(packet + 24, target);
    if (operation == kArpRequest)
        ++m_counters.arp_requests_sent;
    else
        ++m_counters.arp_replies_sent;
    send_ethernet(operation == kArpRequest ? MacAddress::broadcast() : target_mac, kEtherTypeArp, { packet, kArpPacket });
}

void Interface::receive_frame(std::span<const u8> frame, u64 now_ns)
{
    ++m_counters.frames_in;
    if (frame.size() < kEthernetHeader) {
        ++m_counters.ethernet_truncated;
        return;
    }
    MacAddress destination = load_mac(frame.data());
    bool broadcast = destination.is_broadcast();
    if (!broadcast && destination != m_mac) {
        ++m_counters.ethernet_not_for_us;
        return;
    }
    u16 type = load_be16(frame.data() + 12);
    auto payload = frame.subspan(kEthernetHeader);
    if (type == kEtherTypeArp)
        receive_arp(payload, now_ns);
    else if (type == kEtherTypeIpv4)
        receive_ipv4(payload, broadcast, now_ns);
    else
        ++m_counters.ethernet_unknown_type;
}

void Interface::receive_arp(std::span<const u8> packet, u64 now_ns)
{
    ++m_counters.arp_in;
    const u8* p = packet.data();
    if (packet.size() < kArpPacket || load_be16(p) != 1 || load_be16(p + 2) != kEtherTypeIpv4 || p[4] != 6 || p[5] != 4) {
        ++m_counters.arp_malformed;
        return;
    }
    u16 operation = load_be16(p + 6);
    MacAddress sender_mac = load_mac(p + 8);
    Ipv4Address sender = load_be32(p + 14);
    Ipv4Address target = load_be32(p + 24);
    if ((operation != kArpRequest && operation != kArpReply) || sender_mac.is_multicast() || sender == 0
        || sender == kIpv4Broadcast || is_multicast_ipv4(sender)) {
        ++m_counters.arp_malformed;
        return;
    }
    // NOTE: RFC 826's merge: an entry is created only when the packet is for us, so traffic
    // between other hosts cannot fill the table.
    bool for_us = m_address != 0 && target == m_address;
    auto waiting = m_arp.update(sender, sender_mac, for_us, now_ns);
    if (!waiting.empty())
        send_ethernet(sender_mac, kEtherTypeIpv4, waiting);
    if (for_us && operation == kArpRequest)
        send_arp(kArpReply, sender_mac, sender);
}

void Interface::receive_ipv4(std::span<const u8> packet, bool link_broadcast, u64 now_ns)
{
    ++m_counters.ipv4_in;
    const u8* p = packet.data();
    if (packet.size() < kIpv4Header || (p[0] >> 4) != 4) {
        ++m_counters.ipv4_malformed;
        return;
    }
    usize header = usize(p[0] & 0xF) * 4;
    usize total = load_be16(p + 2);
    if (header < kIpv4Header || header > packet.size() || total < header || total > packet.size()) {
        ++m_counters.ipv4_malformed;
        return;
    }
    if (internet_checksum(packet.first(header)) != 0) {
        ++m_counters.ipv4_bad_checksum;
        return;
    }
    // NOTE: no reassembly: a fragment (more-fragments set or a non-zero offset) is dropped.
    u16 fragment = load_be16(p + 6);
    if ((fragment & 0x2000) || (fragment & 0x1FFF)) {
        ++m_counters.ipv4_fragments_dropped;
        return;
    }
    u8 ttl = p[8];
    u8 protocol = p[9];
    Ipv4Address from = load_be32(p + 12);
    Ipv4Address to = load_be32(p + 16);
    bool to_us = m_address != 0 && to == m_address;
    bool to_broadcast = to == kIpv4Broadcast || (m_address != 0 && m_netmask != 0 && to == (m_address | ~m_netmask));
    // Without an address yet, UDP to anyone is taken: a DHCP server may unicast the offer.
    bool unconfigured_udp = m_address == 0 && protocol == kProtocolUdp;
    if (!to_us && !to_broadcast && !unconfigured_udp) {
        ++m_counters.ipv4_not_for_us;
        return;
    }
    if (from == kIpv4Broadcast || is_multicast_ipv4(from)) {
        ++m_counters.ipv4_malformed;
        return;
    }
    auto body = packet.subspan(header, total - header);
    (void)link_broadcast;
    if (protocol == kProtocolIcmp)
        receive_icmp(from, to, ttl, body, now_ns);
    else if (protocol == kProtocolUdp)
        receive_udp(from, to, body, now_ns);
    else if (protocol == kProtocolTcp && to_us)
        m_tcp.receive(from, to, body, now_ns);
    else
        ++m_counters.ipv4_unknown_protocol;
}

void Interface::receive_icmp(Ipv4Address from, Ipv4Address to, u8 ttl, std::span<const u8> message, u64 now_ns)
{
    ++m_counters.icmp_in;
    if (message.size() < kIcmpHeader) {
        ++m_counters.icmp_malformed;
        return;
    }
    if (internet_checksum(message) != 0) {
        ++m_counters.icmp_bad_checksum;
        return;
    }
    u8 type = message[0];
    if (type == kIcmpEchoRequest && message[1] == 0) {
        // No answers to broadcast pings (RFC 1122, 3.2.2.6 allows silence; it avoids smurfing).
        if (to != m_address)
            return;
        u8* reply = m_ip_buffer + kIpv4Header;
        __builtin_memcpy(reply, message.data(), message.size());
        reply[0] = kIcmpEchoReply;
        reply[2] = reply[3] = 0;
        store_be16(reply + 2, internet_checksum({ reply, message.size() }));
        if (send_ipv4(from, kProtocolIcmp, message.size(), now_ns))
            ++m_counters.icmp_echo_requests_answered;
        return;
    }
    if (type == kIcmpEchoReply && message[1] == 0) {
        ++m_counters.icmp_echo_replies_in;
        if (m_echo_count == kEchoReplies) {
            ++m_counters.icmp_echo_replies_dropped;
            return;
        }
        m_echo[(m_echo_head + m_echo_count) % kEchoReplies]
            = EchoReply { from, load_be16(message.data() + 4), load_be16(message.data() + 6),
                          static_cast<u16>(message.size() - kIcmpHeader), ttl, now_ns };
        ++m_echo_count;
    }
    // Other ICMP messages (unreachable, time exceeded) have no user yet: taken and ignored.
}

void Interface::receive_udp(Ipv4Address from, Ipv4Address to, std::span<const u8> datagram, u64 now_ns)
{
    ++m_counters.udp_in;
    if (datagram.size() < kUdpHeader) {
        ++m_counters.udp_malformed;
        return;
    }
    const u8* p = datagram.data();
    u16 source_port = load_be16(p);
    u16 port = load_be16(p + 2);
    usize length = load_be16(p + 4);
    if (length < kUdpHeader || length > datagram.size()) {
        ++m_counters.udp_malformed;
        return;
    }
    datagram = datagram.first(length);
    if (load_be16(p + 6) != 0) {
        u32 sum = pseudo_header_sum(from, to, kProtocolUdp, static_cast<u16>(length));
        if (checksum_finish(checksum_add(datagram, sum)) != 0) {
            ++m_counters.udp_bad_checksum;
            return;
        }
    }
    auto payload = datagram.subspan(kUdpHeader);
    if (port == kDhcpClientPort && m_use_dhcp) {
        if (source_port != kDhcpServerPort) {
            ++m_counters.udp_no_socket;
            return;
        }
        if (m_dhcp.receive(payload, now_ns))
            apply_lease();
        return;
    }
    if (m_address == 0 || (to != m_address && to != kIpv4Broadcast && to != (m_address | ~m_netmask))) {
        ++m_counters.udp_no_socket;
        return;
    }
    for (auto& socket : m_udp) {
        if (!socket.open || socket.port != port)
            continue;
        if (socket.count == kUdpQueueDepth) {
            ++m_counters.udp_queue_full;
            return;
        }
        auto& slot = socket.queue[(socket.head + socket.count) % kUdpQueueDepth];
        slot.meta = UdpDatagram { from, source_port, static_cast<u16>(payload.size()) };
        __builtin_memcpy(slot.data, payload.data(), payload.size());
        ++socket.count;
        ++m_counters.udp_delivered;
        return;
    }
    ++m_counters.udp_no_socket;
}

Result<void> Interface::send_ipv4(Ipv4Address to, u8 protocol, usize payload_bytes, u64 now_ns)
{
    if (payload_bytes > kMaxIpv4Packet - kIpv4Header)
        return Error::from("IPv4 payload larger than one packet", ErrorKind::OutOfRange);
    MacAddress link_broadcast = MacAddress::broadcast();
    bool broadcast = to == kIpv4Broadcast || (m_address != 0 && m_netmask != 0 && to == (m_address | ~m_netmask));
    Ipv4Address next_hop = to;
    if (!broadcast) {
        if (m_address == 0 || to == m_address || to == 0) {
            ++m_counters.ipv4_no_route;
            return Error::from("no IPv4 route (no address, or to ourselves)", ErrorKind::Invalid);
        }
        if ((to & m_netmask) != (m_address & m_netmask)) {
            if (m_gateway == 0) {
                ++m_counters.ipv4_no_route;
                return Error::from("no IPv4 route (no gateway)", ErrorKind::Invalid);
            }
            next_hop = m_gateway;
        }
    }
    u8* h = m_ip_buffer;
    usize total = kIpv4Header + payload_bytes;
    h[0] = 0x45;
    h[1] = 0;
    store_be16(h + 2, static_cast<u16>(total));
    store_be16(h + 4, m_ip_identification++);
    store_be16(h + 6, 0);
    h[8] = kDefaultTtl;
    h[9] = protocol;
    store_be16(h + 10, 0);
    store_be32(h + 12, m_address);
    store_be32(h + 16, to);
    store_be16(h + 10, internet_checksum({ h, kIpv4Header }));
    std::span<const u8> packet { h, total };
    if (broadcast) {
        send_ethernet(link_broadcast, kEtherTypeIpv4, packet);
        return {};
    }
    if (auto mac = m_arp.lookup(next_hop, now_ns)) {
        send_ethernet(*mac, kEtherTypeIpv4, packet);
        return {};
    }
    if (m_arp.hold(next_hop, packet, now_ns))
        send_arp(kArpRequest, MacAddress {}, next_hop);
    return {};
}

Result<void> Interface::send_echo_request(Ipv4Address to, u16 identifier, u16 sequence, usize payload_bytes, u64 now_ns)
{
    if (payload_bytes > kMaxIpv4Packet - kIpv4Header - kIcmpHeader)
        return Error::from("ping payload larger than one packet", ErrorKind::OutOfRange);
    u8* message = m_ip_buffer + kIpv4Header;
    message[0] = kIcmpEchoRequest;
    message[1] = 0;
    store_be16(message + 2, 0);
    store_be16(message + 4, identifier);
    store_be16(message + 6, sequence);
    for (usize i = 0; i < payload_bytes; ++i)
        message[kIcmpHeader + i] = static_cast<u8>(i);
    store_be16(message + 2, internet_checksum({ message, kIcmpHeader + payload_bytes }));
    return send_ipv4(to, kProtocolIcmp, kIcmpHeader + payload_bytes, now_ns);
}

std::optional<EchoReply> Interface::take_echo_reply()
{
    if (m_echo_count == 0)
        return std::nullopt;
    EchoReply reply = m_echo[m_echo_head];
    m_echo_head = (m_echo_head + 1) % kEchoReplies;
    --m_echo_count;
    return reply;
}

Result<usize> Interface::udp_open(u16 port)
{
    auto in_use = [this](u16 candidate) {
        for (auto& socket : m_udp) {
            if (socket.open && socket.port == candidate)
                return true;
        }
        return candidate == kDhcpClientPort && m_use_dhcp;
    };
    if (port == 0) {
        for (u32 tries = 0; tries < 16384 && (port == 0 || in_use(port)); ++tries) {
            port = m_next_ephemeral;
            m_next_ephemeral = m_next_ephemeral == 0xFFFF ? 49152 : static_cast<u16>(m_next_ephemeral + 1);
        }
    }
    if (in_use(port))
        return Error::from("UDP port in use", ErrorKind::Invalid);
    for (usize i = 0; i < kUdpSockets; ++i) {
        if (!m_udp[i].open) {
            m_udp[i].open = true;
            m_udp[i].port = port;
            m_udp[i].head = 0;
            m_udp[i].count = 0;
            return i;
        }
    }
    return Error::from("all UDP sockets are open", ErrorKind::OutOfMemory);
}

void Interface::udp_close(usize socket)
{
    if (socket < kUdpSockets)
        m_udp[socket].open = false;
}

Result<void> Interface::send_udp_from(u16 source_port, Ipv4Address to, u16 port, std::span<const u8> payload, u64 now_ns)
{
    if (payload.size() > kMaxUdpPayload)
        return Error::from("UDP payload larger than one packet", ErrorKind::OutOfRange);
    u8* d = m_ip_buffer + kIpv4Header;
    usize length = kUdpHeader + payload.size();
    store_be16(d, source_port);
    store_be16(d + 2, port);
    store_be16(d + 4, static_cast<u16>(length));
    store_be16(d + 6, 0);
    __builtin_memcpy(d + kUdpHeader, payload.data(), payload.size());
    u16 sum = checksum_finish(checksum_add({ d, length }, pseudo_header_sum(m_address, to, kProtocolUdp, static_cast<u16>(length))));
    store_be16(d + 6, sum == 0 ? 0xFFFF : sum); // 0 means "no checksum" (RFC 768)
    TRY(send_ipv4(to, kProtocolUdp, length, now_ns));
    ++m_counters.udp_sent;
    return {};
}

Result<void> Interface::udp_send(usize socket, Ipv4Address to, u16 port, std::span<const u8> payload, u64 now_ns)
{
    if (socket >= kUdpSockets || !m_udp[socket].open)
        return Error::from("no such UDP socket", ErrorKind::Invalid);
    if (port == 0)
        return Error::from("UDP port 0", ErrorKind::Invalid);
    return send_udp_from(m_udp[socket].port, to, port, payload, now_ns);
}

std::optional<UdpDatagram> Interface::udp_receive(usize socket, std::span<u8> out)
{
    if (socket >= kUdpSockets || !m_udp[socket].open || m_udp[socket].count == 0)
        return std::nullopt;
    auto& s = m_udp[socket];
    auto& slot = s.queue[s.head];
    UdpDatagram meta = slot.meta;
    usize copy = meta.length < out.size() ? meta.length : out.size();
    __builtin_memcpy(out.data(), slot.data, copy);
    s.head = static_cast<u16>((s.head + 1) % kUdpQueueDepth);
    --s.count;
    return meta;
}

} // namespace wk::kernel::net
