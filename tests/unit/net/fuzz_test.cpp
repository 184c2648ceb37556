#include <gtest/gtest.h>

#include <random>

#include "tests/unit/net/net_test_support.h"

// Randomly mutated frames (a small fuzz loop, seeded, so a failure reproduces): the stack must
// neither crash (the ASan/UBSan build of these tests runs the same loop) nor grow past its
// bounds, and every frame is accounted for.
namespace wk::kernel::net::test {
namespace {

constexpr u64 kSecond = 1'000'000'000ull;

std::vector<Bytes> seed_frames()
{
    Bytes dhcp(240);
    dhcp[0] = 2;
    dhcp[1] = 1;
    dhcp[2] = 6;
    std::memcpy(dhcp.data() + 28, kOurMac.bytes, 6);
    put32(dhcp, 236, 0x63825363);
    dhcp.insert(dhcp.end(), { 53, 1, 2, 54, 4, 10, 0, 2, 2, 51, 4, 0, 0, 1, 0, 3, 4, 10, 0, 2, 2, 255 });
    return {
        ethernet(MacAddress::broadcast(), kPeerMac, 0x0806, arp_packet(1, kPeerMac, kGateway, MacAddress {}, kOurAddress)),
        ethernet(kOurMac, kPeerMac, 0x0806, arp_packet(2, kPeerMac, ipv4(10, 0, 2, 3), kOurMac, kOurAddress)),
        ip_frame(kProtocolIcmp, icmp_echo(8, 1, 2, 56)),
        ip_frame(kProtocolIcmp, icmp_echo(0, 1, 2, 56)),
        ip_frame(kProtocolUdp, udp_datagram(kGateway, kOurAddress, 1234, 7000, Bytes(64, 0x42))),
        ip_frame(kProtocolUdp, udp_datagram(kGateway, kIpv4Broadcast, 67, 68, dhcp), kGateway, kIpv4Broadcast),
        ip_frame(kProtocolTcp, Bytes(20, 0)),
        ip_frame(kProtocolTcp, tcp_segment(40000, 80, 1000, 0, 0x02, {}, 65535, { 2, 4, 0x05, 0xB4 })),
        ip_frame(kProtocolTcp, tcp_segment(40000, 80, 1001, 1, 0x10, Bytes(100, 0x33))),
        ip_frame(kProtocolTcp, tcp_segment(40000, 80, 1001, 1, 0x11)),
        ip_frame(kProtocolTcp, tcp_segment(40000, 80, 1001, 0, 0x04)),
    };
}

void run_fuzz(Interface& interface, CapturingSink& sink, u32 seed, usize iterations)
{
    std::mt19937 random(seed);
    auto seeds = seed_frames();
    auto socket = interface.udp_open(7000);
    ASSERT_TRUE(socket);
    auto listener = interface.tcp().listen(80, 8);
    ASSERT_TRUE(listener);
    u64 now = kSecond;
    for (usize i = 0; i < iterations; ++i) {
        Bytes frame = seeds[random() % seeds.size()];
        switch (random() % 4) {
        case 0: // flip bytes
            for (u32 n = 1 + random() % 4; n > 0; --n)
                frame[random() % frame.size()] = static_cast<u8>(random());
            break;
        case 1: // truncate
            frame.resize(random() % (frame.size() + 1));
            break;
        case 2: // grow with garbage
            for (u32 n = random() % 64; n > 0; --n)
                frame.push_back(static_cast<u8>(random()));
            break;
        default: // a length or header field set to something hostile
            if (frame.size() > 20) {
                usize at = 14 + random() % 16;
                if (at + 1 < frame.size())
                    store_be16(frame.data() + at, static_cast<u16>(random()));
            }
            break;
        }
        // Half the TCP frames get their checksum fixed after the mutation, so mutated headers
        // reach the state machine instead of stopping at the checksum.
        if (random() % 2 && frame.size() >= 14 + 20 + 20 && load_be16(frame.data() + 12) == 0x0800 && frame[14] == 0x45
            && frame[14 + 9] == kProtocolTcp) {
            usize total = load_be16(frame.data() + 16);
            if (total >= 40 && 14 + total <= frame.size()) {
                u8* segment = frame.data() + 34;
                usize length = total - 20;
                store_be16(segment + 16, 0);
                u32 sum = pseudo_header_sum(load_be32(frame.data() + 26), load_be32(frame.data() + 30), kProtocolTcp,
                                            static_cast<u16>(length));
                store_be16(segment + 16, checksum_finish(checksum_add({ segment, length }, sum)));
            }
        }
        interface.receive_frame(frame, now);
        now += 1'000'000 + random() % 200'000'000;
        if (i % 16 == 0)
            interface.tick(now);
        if (i % 64 == 0) {
            u8 buffer[kMaxUdpPayload];
            while (interface.udp_receive(*socket, buffer)) { }
            while (interface.take_echo_reply()) { }
            // Accepted connections are read and closed, as a server would.
            while (auto connection = interface.tcp().accept(*listener)) {
                while (interface.tcp().receive_data(*connection, buffer, now)) { }
                if (random() % 2)
                    interface.tcp().close(*connection, now);
                else
                    interface.tcp().abort(*connection, now);
            }
        }
        // Bounded memory: the tables never grow past their fixed sizes, and no frame sent is
        // larger than a maximal Ethernet frame.
        ASSERT_LE(interface.arp().used_entries(), ArpCache::kEntries);
        ASSERT_LE(interface.tcp().connections_in_use(), TcpLayer::kConnections);
        if (!sink.frames.empty()) {
            for (auto& sent : sink.frames)
                ASSERT_LE(sent.size(), kMaxFrame);
            sink.frames.clear();
        }
    }
    EXPECT_EQ(interface.counters().frames_in, iterations);
}

TEST(NetFuzz, MutatedFramesWithAStaticAddress)
{
    CapturingSink sink;
    auto interface = std::make_unique<Interface>(sink, kOurMac);
    interface->configure(kOurAddress, kNetmask, kGateway);
    run_fuzz(*interface, sink, 1, 20000);
    auto& counters = interface->counters();
    // The mutations reach every layer's checks.
    EXPECT_GT(counters.ethernet_truncated, 0u);
    EXPECT_GT(counters.arp_malformed, 0u);
    EXPECT_GT(counters.ipv4_malformed, 0u);
    EXPECT_GT(counters.ipv4_bad_checksum, 0u);
    EXPECT_GT(counters.icmp_echo_requests_answered, 0u);
    EXPECT_GT(counters.udp_delivered, 0u);
    EXPECT_GT(interface->tcp().counters().segments_in, 0u);
    EXPECT_GT(interface->tcp().counters().bad_checksum, 0u);
    EXPECT_GT(interface->tcp().counters().malformed, 0u);
    EXPECT_GT(interface->tcp().counters().resets_sent, 0u);
}

TEST(NetFuzz, MutatedFramesWhileDhcpRuns)
{
    CapturingSink sink;
    auto interface = std::make_unique<Interface>(sink, kOurMac);
    interface->start_dhcp(0, kSecond);
    run_fuzz(*interface, sink, 2, 20000);
    EXPECT_GT(interface->counters().udp_in, 0u);
}

TEST(NetFuzz, RandomBytes)
{
    CapturingSink sink;
    auto interface = std::make_unique<Interface>(sink, kOurMac);
    interface->configure(kOurAddress, kNetmask, kGateway);
    std::mt19937 random(3);
    for (int i = 0; i < 20000; ++i) {
        Bytes frame(random() % 200);
        for (auto& byte : frame)
            byte = static_cast<u8>(random());
        // Half the frames are addressed to us so they reach the upper layers.
        if (frame.size() >= 14 && (i & 1)) {
            std::memcpy(frame.data(), kOurMac.bytes, 6);
            store_be16(frame.data() + 12, i & 2 ? 0x0800 : 0x0806);
        }
        interface->receive_frame(frame, u64(i) * 1000);
    }
    EXPECT_EQ(interface->counters().frames_in, 20000u);
    EXPECT_LE(interface->arp().used_entries(), ArpCache::kEntries);
}

} // namespace
} // namespace wk::kernel::net::test
