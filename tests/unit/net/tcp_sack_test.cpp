// SACK (RFC 2018), the receive side: agreed by both SYNs, then every ACK without data sent
// while bytes wait past a gap lists their ranges, the latest segment's first.
#include "tests/unit/net/tcp_test_support.h"

namespace wk::kernel::net::test {
namespace {

using Blocks = std::vector<std::pair<u32, u32>>;

TEST_F(TcpTest, SackIsAgreedOnlyWhenTheSynOffersIt)
{
    listener = *tcp().listen(80, 4);
    deliver(tcp_segment(kPeerPort, 80, 1000, 0, kSyn, {}, 65535, { 2, 4, 0x05, 0xB4, 1, 1, 4, 2 }));
    auto synack = sent();
    ASSERT_EQ(synack.size(), 1u);
    EXPECT_TRUE(synack[0].sack_permitted);
    EXPECT_EQ(synack[0].mss, 1460);
    EXPECT_TRUE(synack[0].checksum_ok);
    // Without the option in the SYN, none in the answer, and no blocks later.
    auto [connection, iss] = establish(kPeerPort + 1);
    (void)connection;
    deliver(tcp_segment(kPeerPort + 1, 80, 1001 + 100, iss + 1, kAck, Bytes(50, 'g')));
    auto duplicate = sent();
    ASSERT_EQ(duplicate.size(), 1u);
    EXPECT_EQ(duplicate[0].acknowledgment, 1001u);
    EXPECT_TRUE(duplicate[0].sack.empty());
}

TEST_F(TcpTest, AcksListTheRangesPastTheGapLatestFirst)
{
    auto [connection, iss] = establish(kPeerPort, 0, { 1, 1, 4, 2 });
    auto segment = [&](u32 offset, usize length) {
        deliver(tcp_segment(kPeerPort, 80, 1001 + offset, iss + 1, kAck, Bytes(length, 's')));
        auto acks = sent();
        EXPECT_EQ(acks.size(), 1u);
        return acks.empty() ? SentSegment {} : acks[0];
    };
    auto ack = segment(1000, 100);
    EXPECT_EQ(ack.acknowledgment, 1001u);
    EXPECT_TRUE(ack.checksum_ok);
    EXPECT_EQ(ack.sack, (Blocks { { 2001, 2101 } }));
    ack = segment(3000, 100);
    EXPECT_EQ(ack.sack, (Blocks { { 4001, 4101 }, { 2001, 2101 } }));
    ack = segment(1100, 50); // touches the first range: merged, and the latest
    EXPECT_EQ(ack.sack, (Blocks { { 2001, 2151 }, { 4001, 4101 } }));
    // Six ranges: at most 4 blocks, the latest first.
    for (u32 offset : { 5000, 6000, 7000 })
        segment(offset, 10);
    ack = segment(500, 10);
    EXPECT_EQ(ack.sack, (Blocks { { 1501, 1511 }, { 2001, 2151 }, { 4001, 4101 }, { 6001, 6011 } }));
    // The gap up to the first range filled: the rest still listed; all filled: none.
    ack = segment(0, 500);
    EXPECT_EQ(ack.acknowledgment, 1511u);
    EXPECT_EQ(ack.sack, (Blocks { { 2001, 2151 }, { 4001, 4101 }, { 6001, 6011 }, { 7001, 7011 } }));
    ack = segment(510, 7000 - 510);
    EXPECT_EQ(ack.acknowledgment, 8011u);
    EXPECT_TRUE(ack.sack.empty());
    Bytes out(8000);
    EXPECT_EQ(tcp().receive_data(connection, out, now), 7010u);
}

TEST_F(TcpTest, ActiveOpenOffersSackAndFollowsTheAnswer)
{
    for (bool peer_agrees : { true, false }) {
        auto connection = tcp().connect(kGateway, 8000, now);
        ASSERT_TRUE(connection);
        auto syn = sent();
        ASSERT_EQ(syn.size(), 1u);
        EXPECT_TRUE(syn[0].sack_permitted);
        EXPECT_EQ(syn[0].mss, 1460);
        EXPECT_TRUE(syn[0].checksum_ok);
        u16 local = syn[0].source_port;
        u32 iss = syn[0].sequence;
        Bytes options { 2, 4, 0x05, 0xB4 };
        if (peer_agrees)
            options.insert(options.end(), { 1, 1, 4, 2 });
        deliver(tcp_segment(8000, local, 7000, iss + 1, kSyn | kAck, {}, 65535, options));
        ASSERT_EQ(tcp().state(*connection), TcpState::Established);
        sent();
        deliver(tcp_segment(8000, local, 7001 + 10, iss + 1, kAck, text("later")));
        auto ack = sent();
        ASSERT_EQ(ack.size(), 1u);
        EXPECT_EQ(ack[0].acknowledgment, 7001u);
        EXPECT_EQ(ack[0].sack, peer_agrees ? (Blocks { { 7011, 7016 } }) : Blocks {});
        tcp().abort(*connection, now);
        sent();
    }
}

} // namespace
} // namespace wk::kernel::net::test
