#pragma once

#include <optional>
#include <span>

#include "base/result.h"
#include "kernel/net/arp_cache.h"
#include "kernel/net/dhcp.h"
#include "kernel/net/tcp.h"
#include "kernel/net/wire.h"

// One Ethernet interface and the IPv4 stack above it: Ethernet II framing, ARP, IPv4 (no
// options sent, none honoured, fragments dropped), ICMP echo, UDP with bounded per-socket
// queues, the DHCP client and TCP (tcp.h). Pure code: frames come in through receive_frame() and go out
// through a FrameSink, the time is passed in, nothing here touches hardware. The driver glue
// (kernel/drivers/network.cpp) serialises all calls; the class is not thread-safe.
//
// Every parser takes hostile input: a frame that is truncated, carries lengths larger than
// itself, a bad checksum or options running off its end is dropped and counted in
// NetCounters, never trusted. Memory is fixed at construction (ArpCache, the UDP queues).
namespace wk::kernel::net {

inline constexpr usize kEthernetHeader = 14;
inline constexpr usize kMaxFrame = kEthernetHeader + kMaxIpv4Packet; // no VLAN tags, no FCS
inline constexpr usize kIpv4Header = 20;
inline constexpr usize kUdpHeader = 8;
inline constexpr usize kMaxUdpPayload = kMaxIpv4Packet - kIpv4Header - kUdpHeader;

enum IpProtocol : u8 { kProtocolIcmp = 1, kProtocolTcp = 6, kProtocolUdp = 17 };

class FrameSink {
public:
    virtual ~FrameSink() = default;
    // Sends one Ethernet frame (header included, no FCS). May fail (ring full): the stack
    // counts it and goes on, as a lost frame.
    virtual Result<void> send_frame(std::span<const u8> frame) = 0;
};

struct NetCounters {
    u64 frames_in { 0 };
    u64 frames_out { 0 };
    u64 frames_send_failed { 0 };
    u64 ethernet_truncated { 0 };
    u64 ethernet_not_for_us { 0 };
    u64 ethernet_unknown_type { 0 };
    u64 arp_in { 0 };
    u64 arp_malformed { 0 };
    u64 arp_replies_sent { 0 };
    u64 arp_requests_sent { 0 };
    u64 ipv4_in { 0 };
    u64 ipv4_malformed { 0 };       // too short, not version 4, header or total length wrong
    u64 ipv4_bad_checksum { 0 };
    u64 ipv4_fragments_dropped { 0 };
    u64 ipv4_not_for_us { 0 };
    u64 ipv4_unknown_protocol { 0 };
    u64 ipv4_no_route { 0 };        // sends without an address or a gateway
    u64 icmp_in { 0 };
    u64 icmp_malformed { 0 };
    u64 icmp_bad_checksum { 0 };
    u64 icmp_echo_requests_answered { 0 };
    u64 icmp_echo_replies_in { 0 };
    u64 icmp_echo_replies_dropped { 0 }; // the reply queue was full
    u64 udp_in { 0 };
    u64 udp_malformed { 0 };
    u64 udp_bad_checksum { 0 };
    u64 udp_no_socket { 0 };
    u64 udp_queue_full { 0 };
    u64 udp_delivered { 0 };
    u64 udp_sent { 0 };
};

struct EchoReply {
    Ipv4Address from { 0 };
    u16 identifier { 0 };
    u16 sequence { 0 };
    u16 payload_bytes { 0 };
    u8 ttl { 0 };
    u64 received_ns { 0 };
};

struct UdpDatagram {
    Ipv4Address from { 0 };
    u16 from_port { 0 };
    u16 length { 0 };
};

class Interface final : private TcpOutput {
public:
    static constexpr usize kUdpSockets = 8;
    static constexpr usize kUdpQueueDepth = 16;
    static constexpr usize kEchoReplies = 16;

    // `sequence_seed` seeds TCP's initial sequence numbers (from the kernel's entropy).
    Interface(FrameSink& sink, const MacAddress& mac, u32 sequence_seed = 1)
        : m_sink(sink)
        , m_mac(mac)
        , m_tcp(*this, sequence_seed)
    {
    }

    const MacAddress& mac() const { return m_mac; }
    Ipv4Address address() const { return m_address; }
    Ipv4Address netmask() const { return m_netmask; }
    Ipv4Address gateway() const { return m_gateway; }
    Ipv4Address dns() const { return m_dns; }
    const NetCounters& counters() const { return m_counters; }
    const ArpCache& arp() const { return m_arp; }
    const DhcpClient& dhcp() const { return m_dhcp; }
    TcpLayer& tcp() { return m_tcp; }
    const TcpLayer& tcp() const { return m_tcp; }

    // A fixed configuration (stops DHCP).
    void configure(Ipv4Address address, Ipv4Address netmask, Ipv4Address gateway);
    // Starts DHCP; the address comes with the lease (tick() sends the messages).
    void start_dhcp(u32 transaction_seed, u64 now_ns);

    void receive_frame(std::span<const u8> frame, u64 now_ns);
    // Timers: DHCP (re)transmissions and lease, ARP requests and ageing. Call often (every
    // few milliseconds to every second).
    void tick(u64 now_ns);

    // ICMP echo request with `payload_bytes` of pattern. Errors: NoRoute-like Invalid when
    // there is no address or route, OutOfRange when the payload does not fit one packet.
    [[nodiscard]] Result<void> send_echo_request(Ipv4Address to, u16 identifier, u16 sequence, usize payload_bytes,
                                                 u64 now_ns);
    std::optional<EchoReply> take_echo_reply();

    // UDP sockets: a local port each (0 picks one from 49152 up). Invalid for a port in use,
    // OutOfMemory when all kUdpSockets are open. Returns the socket number.
    [[nodiscard]] Result<usize> udp_open(u16 port);
    void udp_close(usize socket);
    u16 udp_port(usize socket) const { return socket < kUdpSockets ? m_udp[socket].port : 0; }
    [[nodiscard]] Result<void> udp_send(usize socket, Ipv4Address to, u16 port, std::span<const u8> payload, u64 now_ns);
    // The oldest queued datagram, copied into `out` (cut to its size); nothing when none.
    std::optional<UdpDatagram> udp_receive(usize socket, std::span<u8> out);
    // Whether a datagram waits on the socket.
    bool udp_pending(usize socket) const { return socket < kUdpSockets && m_udp[socket].open && m_udp[socket].count > 0; }

private:
    struct QueuedDatagram {
        UdpDatagram meta;
        u8 data[kMaxUdpPayload];
    };
    struct UdpSocket {
        bool open { false };
        u16 port { 0 };
        u16 head { 0 };
        u16 count { 0 };
        QueuedDatagram queue[kUdpQueueDepth];
    };

    void receive_arp(std::span<const u8> packet, u64 now_ns);
    void receive_ipv4(std::span<const u8> packet, bool link_broadcast, u64 now_ns);
    void receive_icmp(Ipv4Address from, Ipv4Address to, u8 ttl, std::span<const u8> message, u64 now_ns);
    void receive_udp(Ipv4Address from, Ipv4Address to, std::span<const u8> datagram, u64 now_ns);
    void send_arp(u16 operation, const MacAddress& target_mac, Ipv4Address target);
    // Wraps `payload` (already in m_ip_buffer after the header room) in IPv4 and sends it.
    Result<void> send_ipv4(Ipv4Address to, u8 protocol, usize payload_bytes, u64 now_ns);
    void send_ethernet(const MacAddress& to, u16 type, std::span<const u8> payload);
    Result<void> send_udp_from(u16 source_port, Ipv4Address to, u16 port, std::span<const u8> payload, u64 now_ns);
    void apply_lease();
    Ipv4Address tcp_local_address() const override { return m_address; }
    bool send_tcp_segment(Ipv4Address to, std::span<const u8> segment, u64 now_ns) override;

    FrameSink& m_sink;
    MacAddress m_mac;
    Ipv4Address m_address { 0 };
    Ipv4Address m_netmask { 0 };
    Ipv4Address m_gateway { 0 };
    Ipv4Address m_dns { 0 };
    bool m_use_dhcp { false };
    u16 m_ip_identification { 0 };
    u16 m_next_ephemeral { 49152 };
    NetCounters m_counters;
    ArpCache m_arp;
    DhcpClient m_dhcp;
    TcpLayer m_tcp;
    EchoReply m_echo[kEchoReplies];
    usize m_echo_head { 0 };
    usize m_echo_count { 0 };
    UdpSocket m_udp[kUdpSockets];
    u8 m_ip_buffer[kMaxIpv4Packet] {};
    u8 m_frame_buffer[kMaxFrame] {};
};

} // namespace wk::kernel::net
