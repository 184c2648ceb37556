#include <gtest/gtest.h>

#include "tests/unit/net/net_test_support.h"

namespace wk::kernel::net::test {
namespace {

constexpr u64 kSecond = 1'000'000'000ull;

class InterfaceTest : public ::testing::Test {
protected:
    InterfaceTest() { interface->configure(kOurAddress, kNetmask, kGateway); }

    // Teaches the interface the gateway's MAC (an ARP request from it for our address).
    void learn_gateway()
    {
        interface->receive_frame(ethernet(MacAddress::broadcast(), kPeerMac, 0x0806,
                                          arp_packet(1, kPeerMac, kGateway, MacAddress {}, kOurAddress)),
                                 now);
        sink.frames.clear();
    }

    CapturingSink sink;
    std::unique_ptr<Interface> interface { std::make_unique<Interface>(sink, kOurMac) };
    u64 now { 5 * kSecond };
};

TEST(NetWire, ChecksumMatchesRfc1071Example)
{
    // RFC 1071, section 3: the sum of these words is 0xddf2.
    const u8 bytes[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    EXPECT_EQ(checksum_finish(checksum_add(bytes)), u16(~0xddf2));
    const u8 odd[] = { 0x01 };
    EXPECT_EQ(internet_checksum(odd), u16(~0x0100));
}

TEST(NetWire, ParsesAndFormatsAddresses)
{
    Ipv4Address address = 0;
    ASSERT_TRUE(parse_ipv4("10.0.2.15", 9, address));
    EXPECT_EQ(address, ipv4(10, 0, 2, 15));
    char text[16];
    EXPECT_EQ(format_ipv4(ipv4(255, 0, 10, 7), text), 10u);
    EXPECT_STREQ(text, "255.0.10.7");
    for (const char* bad : { "10.0.2", "10.0.2.256", "10.0.2.1.", "a.b.c.d", "", "1..2.3", "1.2.3.4x", "1000.1.1.1" })
        EXPECT_FALSE(parse_ipv4(bad, std::strlen(bad), address)) << bad;
}

TEST_F(InterfaceTest, AnswersArpRequestsForItsAddressOnly)
{
    interface->receive_frame(ethernet(MacAddress::broadcast(), kPeerMac, 0x0806,
                                      arp_packet(1, kPeerMac, kGateway, MacAddress {}, ipv4(10, 0, 2, 99))),
                             now);
    EXPECT_TRUE(sink.frames.empty());
    EXPECT_EQ(interface->arp().used_entries(), 0u);

    interface->receive_frame(ethernet(MacAddress::broadcast(), kPeerMac, 0x0806,
                                      arp_packet(1, kPeerMac, kGateway, MacAddress {}, kOurAddress)),
                             now);
    ASSERT_EQ(sink.frames.size(), 1u);
    const Bytes& reply = sink.frames[0];
    EXPECT_EQ(ether_type(reply), 0x0806);
    EXPECT_EQ(std::memcmp(reply.data(), kPeerMac.bytes, 6), 0);
    EXPECT_EQ(load_be16(reply.data() + 14 + 6), 2);
    EXPECT_EQ(std::memcmp(reply.data() + 14 + 8, kOurMac.bytes, 6), 0);
    EXPECT_EQ(load_be32(reply.data() + 14 + 14), kOurAddress);
    EXPECT_EQ(load_be32(reply.data() + 14 + 24), kGateway);
    EXPECT_EQ(interface->arp().lookup(kGateway, now), std::optional<MacAddress>(kPeerMac));
}

TEST_F(InterfaceTest, EchoRequestWaitsForArpThenIsAnswered)
{
    interface->receive_frame(ip_frame(kProtocolIcmp, icmp_echo(8, 0x77, 3, 56)), now);
    // The gateway's MAC is unknown: an ARP request goes out and the reply waits.
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(ether_type(sink.frames[0]), 0x0806);
    EXPECT_EQ(load_be32(sink.frames[0].data() + 14 + 24), kGateway);
    sink.frames.clear();

    interface->receive_frame(ethernet(kOurMac, kPeerMac, 0x0806, arp_packet(2, kPeerMac, kGateway, kOurMac, kOurAddress)), now);
    ASSERT_EQ(sink.frames.size(), 1u);
    const Bytes& reply = sink.frames[0];
    ASSERT_EQ(ether_type(reply), 0x0800);
    EXPECT_EQ(std::memcmp(reply.data(), kPeerMac.bytes, 6), 0);
    EXPECT_EQ(internet_checksum({ ip_header(reply), 20 }), 0);
    EXPECT_EQ(load_be32(ip_header(reply) + 12), kOurAddress);
    EXPECT_EQ(load_be32(ip_header(reply) + 16), kGateway);
    const u8* icmp = ip_payload(reply);
    EXPECT_EQ(icmp[0], 0);
    EXPECT_EQ(load_be16(icmp + 4), 0x77);
    EXPECT_EQ(load_be16(icmp + 6), 3);
    EXPECT_EQ(internet_checksum({ icmp, 64 }), 0);
    EXPECT_EQ(icmp[8 + 10], u8(30));
    EXPECT_EQ(interface->counters().icmp_echo_requests_answered, 1u);
}

TEST_F(InterfaceTest, EchoRepliesReachTheQueueBounded)
{
    learn_gateway();
    ASSERT_TRUE(interface->send_echo_request(kGateway, 9, 1, 32, now));
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(internet_checksum({ ip_payload(sink.frames[0]), 40 }), 0);
    for (u16 i = 0; i < 40; ++i)
        interface->receive_frame(ip_frame(kProtocolIcmp, icmp_echo(0, 9, i, 32)), now);
    EXPECT_EQ(interface->counters().icmp_echo_replies_in, 40u);
    EXPECT_EQ(interface->counters().icmp_echo_replies_dropped, 40u - Interface::kEchoReplies);
    auto reply = interface->take_echo_reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->from, kGateway);
    EXPECT_EQ(reply->identifier, 9);
    EXPECT_EQ(reply->sequence, 0);
    EXPECT_EQ(reply->payload_bytes, 32);
}

TEST_F(InterfaceTest, DropsMalformedIpv4WithCounters)
{
    Bytes good = ipv4_packet(kGateway, kOurAddress, kProtocolIcmp, icmp_echo(8, 1, 1, 8));
    auto send = [&](Bytes packet) { interface->receive_frame(ethernet(kOurMac, kPeerMac, 0x0800, packet), now); };

    send(Bytes(good.begin(), good.begin() + 19)); // shorter than a header
    Bytes long_header = good;
    long_header[0] = 0x4F; // 60-byte header in a 36-byte packet
    send(long_header);
    Bytes long_total = good;
    put16(long_total, 2, 1400);
    send(long_total);
    Bytes short_total = good;
    put16(short_total, 2, 10);
    send(short_total);
    Bytes version6 = good;
    version6[0] = 0x65;
    send(version6);
    EXPECT_EQ(interface->counters().ipv4_malformed, 5u);

    Bytes bad_sum = good;
    bad_sum[8] ^= 1;
    send(bad_sum);
    EXPECT_EQ(interface->counters().ipv4_bad_checksum, 1u);

    send(ipv4_packet(kGateway, kOurAddress, kProtocolIcmp, icmp_echo(8, 1, 1, 8), 0x2000)); // more fragments
    send(ipv4_packet(kGateway, kOurAddress, kProtocolIcmp, icmp_echo(8, 1, 1, 8), 0x0010)); // an offset
    EXPECT_EQ(interface->counters().ipv4_fragments_dropped, 2u);

    send(ipv4_packet(kGateway, ipv4(10, 0, 2, 16), kProtocolIcmp, icmp_echo(8, 1, 1, 8)));
    EXPECT_EQ(interface->counters().ipv4_not_for_us, 1u);
    send(ipv4_packet(kGateway, kOurAddress, 99, Bytes(8)));
    EXPECT_EQ(interface->counters().ipv4_unknown_protocol, 1u);

    Bytes bad_icmp = icmp_echo(8, 1, 1, 8);
    bad_icmp[9] ^= 0xFF;
    send(ipv4_packet(kGateway, kOurAddress, kProtocolIcmp, bad_icmp));
    EXPECT_EQ(interface->counters().icmp_bad_checksum, 1u);
    send(ipv4_packet(kGateway, kOurAddress, kProtocolIcmp, Bytes(4)));
    EXPECT_EQ(interface->counters().icmp_malformed, 1u);

    interface->receive_frame(Bytes(13), now);
    EXPECT_EQ(interface->counters().ethernet_truncated, 1u);
    interface->receive_frame(ethernet(kPeerMac, kOurMac, 0x0800, good), now);
    EXPECT_EQ(interface->counters().ethernet_not_for_us, 1u);
    interface->receive_frame(ethernet(kOurMac, kPeerMac, 0x86DD, good), now);
    EXPECT_EQ(interface->counters().ethernet_unknown_type, 1u);
    // Nothing was answered (the ARP request for the gateway would be the first frame out).
    EXPECT_TRUE(sink.frames.empty());
}

TEST_F(InterfaceTest, IgnoresBroadcastPingAndTrailingPadding)
{
    learn_gateway();
    interface->receive_frame(ethernet(MacAddress::broadcast(), kPeerMac, 0x0800,
                                      ipv4_packet(kGateway, ipv4(10, 0, 2, 255), kProtocolIcmp, icmp_echo(8, 1, 1, 8))),
                             now);
    EXPECT_TRUE(sink.frames.empty());
    // Ethernet pads short frames: bytes past the IPv4 total length are not part of the packet.
    Bytes frame = ip_frame(kProtocolIcmp, icmp_echo(8, 2, 2, 0));
    frame.resize(frame.size() + 18, 0xEE);
    interface->receive_frame(frame, now);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(load_be16(ip_header(sink.frames[0]) + 2), 28);
}

TEST_F(InterfaceTest, UdpDeliversToBoundSocketsWithBoundedQueues)
{
    auto socket = interface->udp_open(7000);
    ASSERT_TRUE(socket);
    EXPECT_FALSE(interface->udp_open(7000));
    Bytes payload { 'h', 'e', 'l', 'l', 'o' };
    for (int i = 0; i < 20; ++i)
        interface->receive_frame(ip_frame(kProtocolUdp, udp_datagram(kGateway, kOurAddress, 5555, 7000, payload)), now);
    EXPECT_EQ(interface->counters().udp_delivered, Interface::kUdpQueueDepth);
    EXPECT_EQ(interface->counters().udp_queue_full, 20u - Interface::kUdpQueueDepth);
    u8 buffer[64];
    auto datagram = interface->udp_receive(*socket, buffer);
    ASSERT_TRUE(datagram);
    EXPECT_EQ(datagram->from, kGateway);
    EXPECT_EQ(datagram->from_port, 5555);
    ASSERT_EQ(datagram->length, 5);
    EXPECT_EQ(std::memcmp(buffer, "hello", 5), 0);

    interface->receive_frame(ip_frame(kProtocolUdp, udp_datagram(kGateway, kOurAddress, 5555, 7001, payload)), now);
    EXPECT_EQ(interface->counters().udp_no_socket, 1u);
    Bytes corrupt = udp_datagram(kGateway, kOurAddress, 5555, 7000, payload);
    corrupt[9] ^= 0x40;
    interface->receive_frame(ip_frame(kProtocolUdp, corrupt), now);
    EXPECT_EQ(interface->counters().udp_bad_checksum, 1u);
    Bytes too_long = udp_datagram(kGateway, kOurAddress, 5555, 7000, payload, false);
    put16(too_long, 4, 200);
    interface->receive_frame(ip_frame(kProtocolUdp, too_long), now);
    Bytes too_short = udp_datagram(kGateway, kOurAddress, 5555, 7000, payload, false);
    put16(too_short, 4, 7);
    interface->receive_frame(ip_frame(kProtocolUdp, too_short), now);
    interface->receive_frame(ip_frame(kProtocolUdp, Bytes(5)), now);
    EXPECT_EQ(interface->counters().udp_malformed, 3u);
    // No checksum (0) is allowed in IPv4.
    interface->udp_close(*socket);
    auto again = interface->udp_open(7000);
    ASSERT_TRUE(again);
    interface->receive_frame(ip_frame(kProtocolUdp, udp_datagram(kGateway, kOurAddress, 5555, 7000, payload, false)), now);
    EXPECT_TRUE(interface->udp_receive(*again, buffer));
    EXPECT_FALSE(interface->udp_receive(*again, buffer));
}

TEST_F(InterfaceTest, UdpSendBuildsCheckedDatagramsAndRoutesThroughTheGateway)
{
    learn_gateway();
    auto socket = interface->udp_open(0);
    ASSERT_TRUE(socket);
    EXPECT_GE(interface->udp_port(*socket), 49152);
    Bytes payload(100, 0x5A);
    Ipv4Address far = ipv4(192, 0, 2, 1);
    ASSERT_TRUE(interface->udp_send(*socket, far, 9999, payload, now));
    ASSERT_EQ(sink.frames.size(), 1u);
    const Bytes& frame = sink.frames[0];
    EXPECT_EQ(std::memcmp(frame.data(), kPeerMac.bytes, 6), 0); // the gateway's MAC
    EXPECT_EQ(load_be32(ip_header(frame) + 16), far);
    const u8* udp = ip_payload(frame);
    EXPECT_EQ(load_be16(udp + 2), 9999);
    EXPECT_EQ(load_be16(udp + 4), 108);
    u32 sum = pseudo_header_sum(kOurAddress, far, kProtocolUdp, 108);
    EXPECT_EQ(checksum_finish(checksum_add({ udp, 108 }, sum)), 0);
    EXPECT_FALSE(interface->udp_send(*socket, far, 9999, Bytes(kMaxUdpPayload + 1), now));
    EXPECT_FALSE(interface->udp_send(*socket, far, 0, payload, now));
}

TEST_F(InterfaceTest, UnansweredArpGivesUpAndDropsThePacket)
{
    ASSERT_TRUE(interface->send_echo_request(ipv4(10, 0, 2, 50), 1, 1, 8, now));
    EXPECT_EQ(interface->counters().arp_requests_sent, 1u);
    for (int second = 1; second <= 5; ++second)
        interface->tick(now + second * kSecond);
    EXPECT_EQ(interface->counters().arp_requests_sent, ArpCache::kMaxRequests);
    EXPECT_EQ(interface->arp().used_entries(), 0u);
    EXPECT_EQ(interface->arp().unresolved(), 1u);
    EXPECT_EQ(interface->arp().packets_dropped(), 1u);
}

TEST_F(InterfaceTest, ArpTableStaysBoundedAndAges)
{
    for (u32 i = 0; i < 200; ++i)
        (void)interface->send_echo_request(ipv4(10, 0, 2, static_cast<u8>(20 + i % 200)), 1, 1, 8, now + i);
    EXPECT_EQ(interface->arp().used_entries(), ArpCache::kEntries);
    EXPECT_EQ(interface->arp().evictions(), 200u - ArpCache::kEntries);
    learn_gateway();
    EXPECT_TRUE(interface->arp().lookup(kGateway, now + 1));
    EXPECT_FALSE(interface->arp().lookup(kGateway, now + ArpCache::kResolvedLifetimeNs + 1));
    // Resolutions end after kMaxRequests unanswered requests, a second apart.
    for (u64 second = 1; second <= ArpCache::kMaxRequests + 1; ++second)
        interface->tick(now + ArpCache::kResolvedLifetimeNs + second * kSecond);
    EXPECT_EQ(interface->arp().used_entries(), 0u);
}

TEST_F(InterfaceTest, RefusesSendsWithoutARoute)
{
    auto bare = std::make_unique<Interface>(sink, kOurMac); // megabytes: not on the stack
    EXPECT_FALSE(bare->send_echo_request(kGateway, 1, 1, 8, now));
    interface->configure(kOurAddress, kNetmask, 0);
    EXPECT_FALSE(interface->send_echo_request(ipv4(8, 8, 8, 8), 1, 1, 8, now));
    EXPECT_FALSE(interface->send_echo_request(kOurAddress, 1, 1, 8, now));
    EXPECT_EQ(interface->counters().ipv4_no_route, 2u);
    EXPECT_TRUE(sink.frames.empty());
}

} // namespace
} // namespace wk::kernel::net::test
