#include <gtest/gtest.h>

#include "tests/unit/net/net_test_support.h"

namespace wk::kernel::net::test {
namespace {

constexpr u64 kSecond = 1'000'000'000ull;
constexpr Ipv4Address kServer = ipv4(10, 0, 2, 2);

// A server's reply to the client's message `request` (a BOOTP payload), as QEMU's would be.
Bytes dhcp_reply(const Bytes& request, u8 type, Ipv4Address yours, u32 lease_seconds = 86400)
{
    Bytes reply(240);
    reply[0] = 2;
    reply[1] = 1;
    reply[2] = 6;
    std::memcpy(reply.data() + 4, request.data() + 4, 4); // xid
    put32(reply, 16, yours);
    std::memcpy(reply.data() + 28, request.data() + 28, 16); // chaddr
    put32(reply, 236, 0x63825363);
    auto option = [&](u8 code, std::initializer_list<u8> data) {
        reply.push_back(code);
        reply.push_back(static_cast<u8>(data.size()));
        reply.insert(reply.end(), data);
    };
    option(53, { type });
    option(54, { 10, 0, 2, 2 });
    option(1, { 255, 255, 255, 0 });
    option(3, { 10, 0, 2, 2 });
    option(6, { 10, 0, 2, 3, 10, 0, 2, 4 });
    option(51, { u8(lease_seconds >> 24), u8(lease_seconds >> 16), u8(lease_seconds >> 8), u8(lease_seconds) });
    reply.push_back(255);
    return reply;
}

Bytes dhcp_frame(const Bytes& payload)
{
    return ethernet(MacAddress::broadcast(), kPeerMac, 0x0800,
                    ipv4_packet(kServer, kIpv4Broadcast, kProtocolUdp, udp_datagram(kServer, kIpv4Broadcast, 67, 68, payload)));
}

// The BOOTP payload of a frame the client sent (checked to be UDP 68 -> 67, broadcast).
Bytes sent_dhcp(const Bytes& frame)
{
    EXPECT_EQ(ether_type(frame), 0x0800);
    EXPECT_TRUE(std::equal(frame.begin(), frame.begin() + 6, MacAddress::broadcast().bytes));
    const u8* udp = ip_payload(frame);
    EXPECT_EQ(load_be16(udp), 68);
    EXPECT_EQ(load_be16(udp + 2), 67);
    usize length = load_be16(udp + 4);
    return Bytes(udp + 8, udp + length);
}

u8 message_type(const Bytes& payload)
{
    for (usize at = 240; at + 2 < payload.size() && payload[at] != 255; at += 2 + payload[at + 1]) {
        if (payload[at] == 53)
            return payload[at + 2];
    }
    return 0;
}

class DhcpTest : public ::testing::Test {
protected:
    CapturingSink sink;
    std::unique_ptr<Interface> interface { std::make_unique<Interface>(sink, kOurMac) };
    u64 now { kSecond };
};

TEST_F(DhcpTest, GetsALeaseAndRenewsIt)
{
    interface->start_dhcp(0x1234, now);
    interface->tick(now);
    ASSERT_EQ(sink.frames.size(), 1u);
    Bytes discover = sent_dhcp(sink.frames[0]);
    EXPECT_EQ(message_type(discover), 1);
    EXPECT_EQ(load_be32(ip_header(sink.frames[0]) + 12), 0u); // from 0.0.0.0

    interface->receive_frame(dhcp_frame(dhcp_reply(discover, 2, kOurAddress)), now);
    interface->tick(now);
    ASSERT_EQ(sink.frames.size(), 2u);
    Bytes request = sent_dhcp(sink.frames[1]);
    EXPECT_EQ(message_type(request), 3);
    EXPECT_EQ(interface->address(), 0u);

    interface->receive_frame(dhcp_frame(dhcp_reply(request, 5, kOurAddress)), now);
    EXPECT_EQ(interface->dhcp().state(), DhcpState::Bound);
    EXPECT_EQ(interface->address(), kOurAddress);
    EXPECT_EQ(interface->gateway(), kGateway);
    EXPECT_EQ(interface->netmask(), kNetmask);
    EXPECT_EQ(interface->dns(), ipv4(10, 0, 2, 3));
    EXPECT_EQ(interface->dhcp().lease().lease_seconds, 86400u);

    // Half the lease later a renewal goes out; unanswered, the address goes at the lease's end.
    interface->tick(now + 43200 * kSecond);
    ASSERT_EQ(sink.frames.size(), 3u);
    Bytes renew = sent_dhcp(sink.frames[2]);
    EXPECT_EQ(message_type(renew), 3);
    EXPECT_EQ(load_be32(renew.data() + 12), kOurAddress); // ciaddr
    interface->receive_frame(dhcp_frame(dhcp_reply(renew, 5, kOurAddress)), now + 43201 * kSecond);
    EXPECT_EQ(interface->dhcp().state(), DhcpState::Bound);
    EXPECT_EQ(interface->dhcp().leases(), 2u);
    interface->tick(now + (43201 + 43200) * kSecond);
    interface->tick(now + (43201 + 86400) * kSecond);
    EXPECT_EQ(interface->address(), 0u);
    EXPECT_EQ(interface->dhcp().state(), DhcpState::Selecting);
}

TEST_F(DhcpTest, RetriesAndIgnoresRepliesForOthers)
{
    interface->start_dhcp(77, now);
    interface->tick(now);
    interface->tick(now + kSecond); // not yet due
    EXPECT_EQ(sink.frames.size(), 1u);
    interface->tick(now + DhcpClient::kRetryNs);
    ASSERT_EQ(sink.frames.size(), 2u);
    Bytes discover = sent_dhcp(sink.frames[1]);

    Bytes other_xid = dhcp_reply(discover, 2, kOurAddress);
    other_xid[4] ^= 1;
    interface->receive_frame(dhcp_frame(other_xid), now);
    Bytes other_client = dhcp_reply(discover, 2, kOurAddress);
    other_client[28] ^= 1;
    interface->receive_frame(dhcp_frame(other_client), now);
    interface->receive_frame(dhcp_frame(dhcp_reply(discover, 5, kOurAddress)), now); // an ACK while selecting
    EXPECT_EQ(interface->dhcp().ignored(), 3u);
    EXPECT_EQ(interface->dhcp().state(), DhcpState::Selecting);
}

TEST_F(DhcpTest, RejectsMalformedOptions)
{
    interface->start_dhcp(5, now);
    interface->tick(now);
    Bytes discover = sent_dhcp(sink.frames[0]);
    Bytes good = dhcp_reply(discover, 2, kOurAddress);

    Bytes no_end = good;
    no_end.pop_back();
    Bytes runs_off = Bytes(good.begin(), good.begin() + 240);
    runs_off.insert(runs_off.end(), { 53, 1, 2, 51, 200, 1, 2 });
    Bytes lone_code = Bytes(good.begin(), good.begin() + 240);
    lone_code.insert(lone_code.end(), { 53, 1, 2, 51 });
    Bytes bad_length = Bytes(good.begin(), good.begin() + 240);
    bad_length.insert(bad_length.end(), { 53, 1, 2, 54, 3, 1, 2, 3, 255 });
    Bytes no_type = Bytes(good.begin(), good.begin() + 240);
    no_type.push_back(255);
    Bytes short_fixed = Bytes(good.begin(), good.begin() + 200);
    Bytes bad_cookie = good;
    bad_cookie[236] = 0;
    for (const Bytes* payload : { &no_end, &runs_off, &lone_code, &bad_length, &no_type, &short_fixed, &bad_cookie })
        interface->receive_frame(dhcp_frame(*payload), now);
    EXPECT_EQ(interface->dhcp().malformed(), 7u);
    EXPECT_EQ(interface->dhcp().state(), DhcpState::Selecting);

    auto parsed = parse_dhcp_reply(good, kOurMac);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->router, kGateway);
}

TEST_F(DhcpTest, NakStartsOverAndAbsurdLeasesAreClamped)
{
    interface->start_dhcp(9, now);
    interface->tick(now);
    Bytes discover = sent_dhcp(sink.frames[0]);
    interface->receive_frame(dhcp_frame(dhcp_reply(discover, 2, kOurAddress)), now);
    interface->tick(now);
    Bytes request = sent_dhcp(sink.frames[1]);
    interface->receive_frame(dhcp_frame(dhcp_reply(request, 6, 0)), now);
    EXPECT_EQ(interface->dhcp().state(), DhcpState::Selecting);

    interface->tick(now + DhcpClient::kRetryNs);
    discover = sent_dhcp(sink.frames.back());
    interface->receive_frame(dhcp_frame(dhcp_reply(discover, 2, kOurAddress, 0)), now);
    interface->tick(now + DhcpClient::kRetryNs);
    request = sent_dhcp(sink.frames.back());
    interface->receive_frame(dhcp_frame(dhcp_reply(request, 5, kOurAddress, 0)), now);
    EXPECT_EQ(interface->dhcp().state(), DhcpState::Bound);
    EXPECT_EQ(interface->dhcp().lease().lease_seconds, DhcpClient::kMinLeaseSeconds);
}

} // namespace
} // namespace wk::kernel::net::test
