#include "kernel/net/dhcp.h"

namespace wk::kernel::net {

namespace {

// The fixed BOOTP part (RFC 2131, figure 1) up to the options, then the magic cookie.
constexpr usize kOpOffset = 0;
constexpr usize kTransactionOffset = 4;
constexpr usize kFlagsOffset = 10;
constexpr usize kYourAddressOffset = 16;
constexpr usize kClientHardwareOffset = 28;
constexpr usize kCookieOffset = 236;
constexpr usize kOptionsOffset = 240;
constexpr u32 kMagicCookie = 0x63825363;

enum Option : u8 {
    kOptionPad = 0,
    kOptionNetmask = 1,
    kOptionRouter = 3,
    kOptionDns = 6,
    kOptionRequestedAddress = 50,
    kOptionLeaseTime = 51,
    kOptionMessageType = 53,
    kOptionServer = 54,
    kOptionParameterList = 55,
    kOptionEnd = 255,
};

} // namespace

Result<DhcpReply> parse_dhcp_reply(std::span<const u8> payload, const MacAddress& mac)
{
    if (payload.size() < kOptionsOffset)
        return Error::malformed("DHCP message shorter than its fixed part");
    const u8* p = payload.data();
    if (p[kOpOffset] != 2 || p[1] != 1 || p[2] != 6)
        return Error::malformed("DHCP message is not an Ethernet BOOTREPLY");
    if (load_be32(p + kCookieOffset) != kMagicCookie)
        return Error::malformed("DHCP magic cookie missing");
    if (__builtin_memcmp(p + kClientHardwareOffset, mac.bytes, 6) != 0)
        return Error::from("DHCP reply for another client", ErrorKind::Invalid);
    DhcpReply reply;
    reply.transaction = load_be32(p + kTransactionOffset);
    reply.your_address = load_be32(p + kYourAddressOffset);
    bool have_type = false;
    usize at = kOptionsOffset;
    for (;;) {
        if (at >= payload.size())
            return Error::malformed("DHCP options without an end option", at);
        u8 code = p[at];
        if (code == kOptionEnd)
            break;
        if (code == kOptionPad) {
            ++at;
            continue;
        }
        if (at + 1 >= payload.size())
            return Error::malformed("DHCP option without its length", at);
        usize length = p[at + 1];
        usize data = at + 2;
        if (data + length > payload.size())
            return Error::malformed("DHCP option runs past the end", at);
        auto need = [&](usize minimum, bool multiple) -> bool {
            return length >= minimum && (!multiple || length % minimum == 0);
        };
        switch (code) {
        case kOptionMessageType:
            if (length != 1 || p[data] < 1 || p[data] > 8)
                return Error::malformed("DHCP message type option is invalid", at);
            reply.type = static_cast<DhcpMessageType>(p[data]);
            have_type = true;
            break;
        case kOptionNetmask:
        case kOptionServer:
        case kOptionLeaseTime:
            if (length != 4)
                return Error::malformed("DHCP option has the wrong length", at);
            (code == kOptionNetmask ? reply.netmask : code == kOptionServer ? reply.server : reply.lease_seconds)
                = load_be32(p + data);
            break;
        case kOptionRouter:
        case kOptionDns:
            if (!need(4, true))
                return Error::malformed("DHCP address list has the wrong length", at);
            (code == kOptionRouter ? reply.router : reply.dns) = load_be32(p + data);
            break;
        default:
            break; // options we do not use are skipped
        }
        at = data + length;
    }
    if (!have_type)
        return Error::malformed("DHCP reply without a message type");
    return reply;
}

void DhcpClient::start(const MacAddress& mac, u32 transaction_seed, u64 now_ns)
{
    m_mac = mac;
    m_transaction = transaction_seed;
    m_state = DhcpState::Selecting;
    m_next_send_ns = now_ns;
    m_tries = 0;
    m_renewing = false;
    m_lease = {};
}

usize DhcpClient::build(DhcpMessageType type, u8 (&out)[kMaxMessage]) const
{
    __builtin_memset(out, 0, sizeof(out));
    out[kOpOffset] = 1; // BOOTREQUEST
    out[1] = 1;         // Ethernet
    out[2] = 6;
    store_be32(out + kTransactionOffset, m_transaction);
    // NOTE: the broadcast flag asks for broadcast replies: without an address we cannot take
    // unicast ones before ARP knows us (RFC 2131, 4.1).
    if (!m_renewing)
        store_be16(out + kFlagsOffset, 0x8000);
    else
        store_be32(out + 12, m_lease.address); // ciaddr while renewing
    __builtin_memcpy(out + kClientHardwareOffset, m_mac.bytes, 6);
    store_be32(out + kCookieOffset, kMagicCookie);
    usize at = kOptionsOffset;
    out[at++] = kOptionMessageType;
    out[at++] = 1;
    out[at++] = static_cast<u8>(type);
    if (type == DhcpMessageType::Request && !m_renewing) {
        out[at++] = kOptionRequestedAddress;
        out[at++] = 4;
        store_be32(out + at, m_offered);
        at += 4;
        out[at++] = kOptionServer;
        out[at++] = 4;
        store_be32(out + at, m_offer_server);
        at += 4;
    }
    out[at++] = kOptionParameterList;
    out[at++] = 4;
    out[at++] = kOptionNetmask;
    out[at++] = kOptionRouter;
    out[at++] = kOptionDns;
    out[at++] = kOptionLeaseTime;
    out[at++] = kOptionEnd;
    return at;
}

usize DhcpClient::poll(u64 now_ns, u8 (&out)[kMaxMessage])
{
    if (m_state == DhcpState::Idle)
        return 0;
    if (m_state == DhcpState::Bound) {
        u64 lease_ns = u64(m_lease.lease_seconds) * 1'000'000'000ull;
        if (now_ns - m_lease.bound_at_ns < lease_ns / 2)
            return 0;
        m_state = DhcpState::Requesting;
        m_renewing = true;
        m_tries = 0;
        m_next_send_ns = now_ns;
    }
    if (m_state == DhcpState::Requesting && m_renewing) {
        u64 lease_ns = u64(m_lease.lease_seconds) * 1'000'000'000ull;
        if (now_ns - m_lease.bound_at_ns >= lease_ns) {
            // Lost: start over without an address (the caller sees has_address() false).
            start(m_mac, m_transaction + 1, now_ns);
        }
    }
    if (now_ns < m_next_send_ns)
        return 0;
    m_next_send_ns = now_ns + kRetryNs;
    ++m_sent;
    if (m_state == DhcpState::Selecting)
        return build(DhcpMessageType::Discover, out);
    if (!m_renewing && ++m_tries > kMaxRequestTries) {
        m_state = DhcpState::Selecting;
        ++m_transaction;
        return build(DhcpMessageType::Discover, out);
    }
    return build(DhcpMessageType::Request, out);
}

bool DhcpClient::receive(std::span<const u8> payload, u64 now_ns)
{
    auto parsed = parse_dhcp_reply(payload, m_mac);
    if (!parsed) {
        if (parsed.error().kind() == ErrorKind::Malformed)
            ++m_malformed;
        else
            ++m_ignored;
        return false;
    }
    const DhcpReply& reply = *parsed;
    if (reply.transaction != m_transaction) {
        ++m_ignored;
        return false;
    }
    if (m_state == DhcpState::Selecting && reply.type == DhcpMessageType::Offer) {
        if (reply.your_address == 0 || reply.your_address == kIpv4Broadcast || reply.server == 0) {
            ++m_ignored;
            return false;
        }
        m_offered = reply.your_address;
        m_offer_server = reply.server;
        m_state = DhcpState::Requesting;
        m_tries = 0;
        m_next_send_ns = now_ns;
        return false;
    }
    if (m_state == DhcpState::Requesting && reply.type == DhcpMessageType::Ack) {
        Ipv4Address expected = m_renewing ? m_lease.address : m_offered;
        if (reply.your_address != expected) {
            ++m_ignored;
            return false;
        }
        u32 seconds = reply.lease_seconds;
        seconds = seconds < kMinLeaseSeconds ? kMinLeaseSeconds : seconds > kMaxLeaseSeconds ? kMaxLeaseSeconds : seconds;
        m_lease = Lease { reply.your_address,
                          reply.netmask ? reply.netmask : ipv4(255, 255, 255, 0),
                          reply.router,
                          reply.dns,
                          reply.server ? reply.server : m_offer_server,
                          seconds,
                          now_ns };
        m_state = DhcpState::Bound;
        m_renewing = false;
        ++m_leases;
        return true;
    }
    if (m_state == DhcpState::Requesting && reply.type == DhcpMessageType::Nak) {
        bool had = has_address();
        start(m_mac, m_transaction + 1, now_ns);
        return had;
    }
    ++m_ignored;
    return false;
}

} // namespace wk::kernel::net
