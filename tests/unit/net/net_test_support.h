#pragma once

#include <cstring>
#include <vector>

#include "kernel/net/interface.h"

// Frame builders and a capturing sink for the hosted stack tests: what a peer on the link
// (QEMU's gateway, a DHCP server, an attacker) would send.
namespace wk::kernel::net::test {

inline constexpr MacAddress kOurMac { { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } };
inline constexpr MacAddress kPeerMac { { 0x52, 0x55, 0x0A, 0x00, 0x02, 0x02 } };
inline constexpr Ipv4Address kOurAddress = ipv4(10, 0, 2, 15);
inline constexpr Ipv4Address kGateway = ipv4(10, 0, 2, 2);
inline constexpr Ipv4Address kNetmask = ipv4(255, 255, 255, 0);

using Bytes = std::vector<u8>;

class CapturingSink final : public FrameSink {
public:
    Result<void> send_frame(std::span<const u8> frame) override
    {
        if (fail || room == 0)
            return Error::from("test sink refuses", ErrorKind::Io);
        --room;
        frames.emplace_back(frame.begin(), frame.end());
        return {};
    }
    std::vector<Bytes> frames;
    bool fail { false };
    usize room { ~usize(0) }; // frames taken before it refuses (a device's full ring)
};

inline void put16(Bytes& out, usize at, u16 value) { store_be16(out.data() + at, value); }
inline void put32(Bytes& out, usize at, u32 value) { store_be32(out.data() + at, value); }

inline Bytes ethernet(const MacAddress& to, const MacAddress& from, u16 type, const Bytes& payload)
{
    Bytes frame(14);
    std::memcpy(frame.data(), to.bytes, 6);
    std::memcpy(frame.data() + 6, from.bytes, 6);
    put16(frame, 12, type);
    frame.insert(frame.end(), payload.begin(), payload.end());
    return frame;
}

inline Bytes ipv4_packet(Ipv4Address from, Ipv4Address to, u8 protocol, const Bytes& payload, u16 fragment = 0, u8 ttl = 64)
{
    Bytes packet(20);
    packet[0] = 0x45;
    put16(packet, 2, static_cast<u16>(20 + payload.size()));
    put16(packet, 4, 0x1234);
    put16(packet, 6, fragment);
    packet[8] = ttl;
    packet[9] = protocol;
    put32(packet, 12, from);
    put32(packet, 16, to);
    put16(packet, 10, internet_checksum({ packet.data(), 20 }));
    packet.insert(packet.end(), payload.begin(), payload.end());
    return packet;
}

inline Bytes udp_datagram(Ipv4Address from, Ipv4Address to, u16 source_port, u16 port, const Bytes& payload, bool checksum = true)
{
    Bytes datagram(8);
    put16(datagram, 0, source_port);
    put16(datagram, 2, port);
    put16(datagram, 4, static_cast<u16>(8 + payload.size()));
    datagram.insert(datagram.end(), payload.begin(), payload.end());
    if (checksum) {
        u16 sum = checksum_finish(checksum_add(datagram, pseudo_header_sum(from, to, kProtocolUdp, static_cast<u16>(datagram.size()))));
        put16(datagram, 6, sum == 0 ? 0xFFFF : sum);
    }
    return datagram;
}

inline Bytes icmp_echo(u8 type, u16 identifier, u16 sequence, usize payload_bytes)
{
    Bytes message(8 + payload_bytes);
    message[0] = type;
    put16(message, 4, identifier);
    put16(message, 6, sequence);
    for (usize i = 0; i < payload_bytes; ++i)
        message[8 + i] = static_cast<u8>(i * 3);
    put16(message, 2, internet_checksum(message));
    return message;
}

inline Bytes arp_packet(u16 operation, const MacAddress& sender_mac, Ipv4Address sender, const MacAddress& target_mac, Ipv4Address target)
{
    Bytes packet(28);
    put16(packet, 0, 1);
    put16(packet, 2, 0x0800);
    packet[4] = 6;
    packet[5] = 4;
    put16(packet, 6, operation);
    std::memcpy(packet.data() + 8, sender_mac.bytes, 6);
    put32(packet, 14, sender);
    std::memcpy(packet.data() + 18, target_mac.bytes, 6);
    put32(packet, 24, target);
    return packet;
}

// A TCP segment from the gateway to us.
inline Bytes tcp_segment(u16 source_port, u16 port, u32 sequence, u32 acknowledgment, u8 flags, const Bytes& data = {},
                  u16 window = 65535, const Bytes& options = {})
{
    Bytes segment(20 + options.size());
    put16(segment, 0, source_port);
    put16(segment, 2, port);
    put32(segment, 4, sequence);
    put32(segment, 8, acknowledgment);
    segment[12] = static_cast<u8>(((20 + options.size()) / 4) << 4);
    segment[13] = flags;
    put16(segment, 14, window);
    std::copy(options.begin(), options.end(), segment.begin() + 20);
    segment.insert(segment.end(), data.begin(), data.end());
    u32 sum = pseudo_header_sum(kGateway, kOurAddress, kProtocolTcp, static_cast<u16>(segment.size()));
    put16(segment, 16, checksum_finish(checksum_add(segment, sum)));
    return segment;
}

// A frame from the gateway to us carrying an IPv4 packet.
inline Bytes ip_frame(u8 protocol, const Bytes& payload, Ipv4Address from = kGateway, Ipv4Address to = kOurAddress)
{
    return ethernet(kOurMac, kPeerMac, 0x0800, ipv4_packet(from, to, protocol, payload));
}

// Views of a sent frame.
inline u16 ether_type(const Bytes& frame) { return load_be16(frame.data() + 12); }
inline const u8* ip_header(const Bytes& frame) { return frame.data() + 14; }
inline const u8* ip_payload(const Bytes& frame) { return frame.data() + 14 + (frame[14] & 0xF) * 4; }

} // namespace wk::kernel::net::test
