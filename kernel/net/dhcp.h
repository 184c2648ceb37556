#pragma once

#include <span>

#include "base/result.h"
#include "kernel/net/wire.h"

// The DHCP client (RFC 2131, options RFC 2132): DISCOVER, OFFER, REQUEST, ACK; renewal at half
// the lease by a new broadcast REQUEST; a NAK or a lease running out starts over. Messages are
// built into and parsed from UDP payloads; the interface (interface.h) carries them.
namespace wk::kernel::net {

inline constexpr u16 kDhcpServerPort = 67;
inline constexpr u16 kDhcpClientPort = 68;

enum class DhcpMessageType : u8 { Discover = 1, Offer = 2, Request = 3, Decline = 4, Ack = 5, Nak = 6, Release = 7 };

// What a server's reply says. Absent options are 0.
struct DhcpReply {
    DhcpMessageType type { DhcpMessageType::Offer };
    u32 transaction { 0 };
    Ipv4Address your_address { 0 };
    Ipv4Address server { 0 };     // option 54
    Ipv4Address netmask { 0 };    // option 1
    Ipv4Address router { 0 };     // option 3 (the first)
    Ipv4Address dns { 0 };        // option 6 (the first)
    u32 lease_seconds { 0 };      // option 51
};

// Parses a BOOTREPLY for the client with hardware address `mac`. Malformed for a message
// shorter than the fixed part, a wrong op, hardware type or cookie, an option running past the
// end or of a wrong length, or no message type; Invalid when it is for another client.
[[nodiscard]] Result<DhcpReply> parse_dhcp_reply(std::span<const u8> payload, const MacAddress& mac);

enum class DhcpState : u8 { Idle, Selecting, Requesting, Bound };

class DhcpClient {
public:
    static constexpr usize kMaxMessage = 300;
    static constexpr u64 kRetryNs = 2'000'000'000ull;
    static constexpr u32 kMaxRequestTries = 4;
    // Leases are clamped to this range: a server's 0 or 2^32-1 seconds would otherwise renew
    // at once or never.
    static constexpr u32 kMinLeaseSeconds = 60;
    static constexpr u32 kMaxLeaseSeconds = 7 * 24 * 3600;

    struct Lease {
        Ipv4Address address { 0 };
        Ipv4Address netmask { 0 };
        Ipv4Address router { 0 };
        Ipv4Address dns { 0 };
        Ipv4Address server { 0 };
        u32 lease_seconds { 0 };
        u64 bound_at_ns { 0 };
    };

    void start(const MacAddress& mac, u32 transaction_seed, u64 now_ns);
    DhcpState state() const { return m_state; }
    // Valid when state() is Bound (or Requesting a renewal).
    const Lease& lease() const { return m_lease; }
    bool has_address() const { return m_lease.address != 0; }

    // A message to broadcast now, if one is due (written into `out`; its length, or 0). Also
    // ends a lease that ran out (has_address() becomes false).
    usize poll(u64 now_ns, u8 (&out)[kMaxMessage]);
    // A UDP payload that arrived on the client port. Returns true when it changed the lease
    // (bound, renewed or lost). Ignores (and counts) what does not fit the current state.
    bool receive(std::span<const u8> payload, u64 now_ns);

    u64 malformed() const { return m_malformed; }
    u64 ignored() const { return m_ignored; }
    u64 leases() const { return m_leases; }
    u64 sent() const { return m_sent; }

private:
    usize build(DhcpMessageType type, u8 (&out)[kMaxMessage]) const;

    DhcpState m_state { DhcpState::Idle };
    MacAddress m_mac;
    u32 m_transaction { 0 };
    u64 m_next_send_ns { 0 };
    u32 m_tries { 0 };
    bool m_renewing { false };
    Ipv4Address m_offered { 0 };
    Ipv4Address m_offer_server { 0 };
    Lease m_lease;
    u64 m_malformed { 0 };
    u64 m_ignored { 0 };
    u64 m_leases { 0 };
    u64 m_sent { 0 };
};

} // namespace wk::kernel::net
