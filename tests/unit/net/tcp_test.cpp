#include "tests/unit/net/tcp_test_support.h"

namespace wk::kernel::net::test {
namespace {

TEST_F(TcpTest, PassiveOpenDataBothWaysAndPassiveClose)
{
    listener = *tcp().listen(80, 4);
    EXPECT_FALSE(tcp().listen(80, 4));
    deliver(tcp_segment(kPeerPort, 80, 1000, 0, kSyn, {}, 65535, { 2, 4, 0x05, 0xB4 }));
    auto synack = sent();
    ASSERT_EQ(synack.size(), 1u);
    EXPECT_EQ(synack[0].flags, kSyn | kAck);
    EXPECT_EQ(synack[0].acknowledgment, 1001u);
    EXPECT_EQ(synack[0].mss, 1460);
    EXPECT_TRUE(synack[0].checksum_ok);
    EXPECT_EQ(synack[0].port, kPeerPort);
    EXPECT_FALSE(tcp().accept(*listener)); // not yet established
    u32 iss = synack[0].sequence;

    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck));
    auto connection = tcp().accept(*listener);
    ASSERT_TRUE(connection);
    EXPECT_EQ(tcp().state(*connection), TcpState::Established);

    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck | kPsh, text("GET /")));
    auto ack = sent();
    ASSERT_EQ(ack.size(), 1u);
    EXPECT_EQ(ack[0].acknowledgment, 1006u);
    EXPECT_EQ(ack[0].window, TcpLayer::kBufferBytes - 5);
    u8 buffer[64];
    ASSERT_EQ(tcp().receive_data(*connection, buffer, now), 5u);
    EXPECT_EQ(std::memcmp(buffer, "GET /", 5), 0);

    ASSERT_EQ(*tcp().send(*connection, text("HELLO"), now), 5u);
    auto data = sent();
    ASSERT_EQ(data.size(), 1u);
    EXPECT_EQ(data[0].sequence, iss + 1);
    EXPECT_EQ(data[0].data, text("HELLO"));
    EXPECT_TRUE(data[0].checksum_ok);
    deliver(tcp_segment(kPeerPort, 80, 1006, iss + 6, kAck));
    EXPECT_EQ(tcp().buffered_to_send(*connection), 0u);

    deliver(tcp_segment(kPeerPort, 80, 1006, iss + 6, kAck | kFin));
    auto fin_ack = sent();
    ASSERT_EQ(fin_ack.size(), 1u);
    EXPECT_EQ(fin_ack[0].acknowledgment, 1007u);
    EXPECT_EQ(tcp().state(*connection), TcpState::CloseWait);
    EXPECT_TRUE(tcp().peer_closed(*connection));
    EXPECT_EQ(tcp().receive_data(*connection, buffer, now), 0u);

    tcp().close(*connection, now);
    auto fin = sent();
    ASSERT_EQ(fin.size(), 1u);
    EXPECT_EQ(fin[0].flags, kFin | kAck);
    EXPECT_EQ(fin[0].sequence, iss + 6);
    deliver(tcp_segment(kPeerPort, 80, 1007, iss + 7, kAck));
    EXPECT_EQ(tcp().connections_in_use(), 0u);
}

TEST_F(TcpTest, ActiveCloseGoesThroughTimeWait)
{
    auto [connection, iss] = establish();
    ASSERT_EQ(*tcp().send(connection, text("bye"), now), 3u);
    tcp().close(connection, now);
    auto out = sent();
    ASSERT_EQ(out.size(), 2u); // the data, then FIN after it
    EXPECT_EQ(out[1].flags, kFin | kAck);
    EXPECT_EQ(out[1].sequence, iss + 4);
    EXPECT_EQ(tcp().state(connection), TcpState::FinWait1);
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 5, kAck));
    EXPECT_EQ(tcp().state(connection), TcpState::FinWait2);
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 5, kAck | kFin));
    EXPECT_EQ(tcp().state(connection), TcpState::TimeWait);
    auto last = sent();
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].acknowledgment, 1002u);
    interface->tick(now + TcpLayer::kTimeWaitNs - kSecond);
    EXPECT_EQ(tcp().connections_in_use(), 1u);
    interface->tick(now + TcpLayer::kTimeWaitNs + kSecond);
    EXPECT_EQ(tcp().connections_in_use(), 0u);
}

TEST_F(TcpTest, AFullTableReusesTheOldestTimeWait)
{
    std::vector<std::pair<usize, u32>> open;
    for (u16 i = 0; i < TcpLayer::kConnections; ++i)
        open.push_back(establish(static_cast<u16>(kPeerPort + i)));
    EXPECT_EQ(tcp().connections_in_use(), TcpLayer::kConnections);
    // Every slot established: a new SYN is dropped.
    deliver(tcp_segment(50000, 80, 7000, 0, kSyn));
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(tcp().counters().syn_dropped, 1u);
    // Two go to TIME_WAIT, the second of them later: the first is the one taken over.
    for (usize k = 0; k < 2; ++k) {
        auto [connection, iss] = open[k];
        u16 port = static_cast<u16>(kPeerPort + k);
        tcp().close(connection, now);
        deliver(tcp_segment(port, 80, 1001, iss + 2, kAck | kFin));
        ASSERT_EQ(tcp().state(connection), TcpState::TimeWait);
        now += kSecond;
    }
    sent();
    deliver(tcp_segment(50000, 80, 7000, 0, kSyn));
    auto synack = sent();
    ASSERT_EQ(synack.size(), 1u);
    EXPECT_EQ(synack[0].flags, kSyn | kAck);
    EXPECT_EQ(tcp().counters().time_wait_reused, 1u);
    EXPECT_EQ(tcp().state(open[0].first), TcpState::SynReceived);
    EXPECT_EQ(tcp().state(open[1].first), TcpState::TimeWait);
    EXPECT_EQ(tcp().connections_in_use(), TcpLayer::kConnections);
    // The old connection's late FIN no longer finds it: RST, not an ACK.
    deliver(tcp_segment(kPeerPort, 80, 1001, open[0].second + 2, kAck | kFin));
    auto reset = sent();
    ASSERT_EQ(reset.size(), 1u);
    EXPECT_EQ(reset[0].flags, kRst);
}

TEST_F(TcpTest, ANewSynEndsTimeWaitOnlyPastTheOldSequences)
{
    auto [connection, iss] = establish();
    tcp().close(connection, now);
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 2, kAck | kFin));
    ASSERT_EQ(tcp().state(connection), TcpState::TimeWait);
    sent();
    // An old duplicate SYN (not past 1002) gets the challenge ACK and TIME_WAIT stays.
    deliver(tcp_segment(kPeerPort, 80, 1000, 0, kSyn));
    auto challenge = sent();
    ASSERT_EQ(challenge.size(), 1u);
    EXPECT_EQ(challenge[0].flags, kAck);
    EXPECT_EQ(tcp().state(connection), TcpState::TimeWait);
    EXPECT_EQ(tcp().counters().time_wait_reused, 0u);
    // A new incarnation past it is accepted at once.
    deliver(tcp_segment(kPeerPort, 80, 90000, 0, kSyn));
    auto synack = sent();
    ASSERT_EQ(synack.size(), 1u);
    EXPECT_EQ(synack[0].flags, kSyn | kAck);
    EXPECT_EQ(synack[0].acknowledgment, 90001u);
    EXPECT_EQ(tcp().counters().time_wait_reused, 1u);
    deliver(tcp_segment(kPeerPort, 80, 90001, synack[0].sequence + 1, kAck));
    EXPECT_TRUE(tcp().accept(*listener));
    EXPECT_EQ(tcp().connections_in_use(), 1u);
}

TEST_F(TcpTest, ResetsForPortsWithoutAListener)
{
    deliver(tcp_segment(kPeerPort, 81, 5000, 0, kSyn));
    auto reset = sent();
    ASSERT_EQ(reset.size(), 1u);
    EXPECT_EQ(reset[0].flags, kRst | kAck);
    EXPECT_EQ(reset[0].acknowledgment, 5001u);
    deliver(tcp_segment(kPeerPort, 81, 5000, 777, kAck, text("x")));
    reset = sent();
    ASSERT_EQ(reset.size(), 1u);
    EXPECT_EQ(reset[0].flags, kRst);
    EXPECT_EQ(reset[0].sequence, 777u);
    deliver(tcp_segment(kPeerPort, 81, 5000, 0, kRst)); // never answered
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(tcp().counters().resets_sent, 2u);
}

TEST_F(TcpTest, OnlyAnExactResetCloses)
{
    auto [connection, iss] = establish();
    deliver(tcp_segment(kPeerPort, 80, 1100, 0, kRst)); // in the window, not exact
    auto challenge = sent();
    ASSERT_EQ(challenge.size(), 1u);
    EXPECT_EQ(challenge[0].flags, kAck);
    EXPECT_EQ(tcp().state(connection), TcpState::Established);
    deliver(tcp_segment(kPeerPort, 80, 1001 + 100000, 0, kRst)); // outside: ignored
    EXPECT_TRUE(sent().empty());
    deliver(tcp_segment(kPeerPort, 80, 1001, 0, kRst));
    EXPECT_EQ(tcp().state(connection), TcpState::Closed);
    EXPECT_TRUE(tcp().was_reset(connection));
    EXPECT_FALSE(tcp().send(connection, text("x"), now));
    tcp().close(connection, now);
    EXPECT_EQ(tcp().connections_in_use(), 0u);
    (void)iss;
}

TEST_F(TcpTest, OutOfOrderIsAcknowledgedAndOverlapsAreTrimmed)
{
    auto [connection, iss] = establish();
    deliver(tcp_segment(kPeerPort, 80, 1011, iss + 1, kAck, text("later")));
    auto dup = sent();
    ASSERT_EQ(dup.size(), 1u);
    EXPECT_EQ(dup[0].acknowledgment, 1001u);
    EXPECT_EQ(tcp().counters().out_of_order, 1u);
    EXPECT_EQ(tcp().counters().out_of_order_queued, 1u); // kept past the gap (1007..1011)
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, text("abc")));
    deliver(tcp_segment(kPeerPort, 80, 1002, iss + 1, kAck, text("bcdef"))); // overlaps 2 bytes
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, text("ab")));    // all old
    u8 buffer[16];
    ASSERT_EQ(tcp().receive_data(connection, buffer, now), 6u);
    EXPECT_EQ(std::memcmp(buffer, "abcdef", 6), 0);
    auto acks = sent();
    ASSERT_EQ(acks.size(), 3u);
    EXPECT_EQ(acks.back().acknowledgment, 1007u);
}

TEST_F(TcpTest, SynFloodStaysWithinTheBacklog)
{
    listener = *tcp().listen(80, 4);
    for (u16 i = 0; i < 1000; ++i)
        deliver(tcp_segment(static_cast<u16>(1024 + i), 80, i * 7919u, 0, kSyn));
    EXPECT_EQ(tcp().connections_in_use(), 4u);
    EXPECT_EQ(tcp().counters().syn_dropped, 996u);
    // Unanswered SYN+ACKs are sent again, then the half-open connections are dropped.
    for (int second = 1; second < 200; ++second)
        interface->tick(now + second * kSecond);
    EXPECT_EQ(tcp().connections_in_use(), 0u);
    EXPECT_EQ(tcp().counters().timeouts, 4u);
}

TEST_F(TcpTest, RetransmitsFromTheOldestUnacknowledgedByteThenGivesUp)
{
    auto [connection, iss] = establish(kPeerPort, 300'000'000); // RTO 300 + 4 * 150 = 900 ms
    u64 rto = tcp().info(connection).rto_ns;
    EXPECT_EQ(rto, 900'000'000u);
    ASSERT_EQ(*tcp().send(connection, Bytes(1000, 'a'), now), 1000u);
    auto first = sent();
    ASSERT_EQ(first.size(), 1u); // MSS 1460
    u64 sent_at = now;
    EXPECT_TRUE(run_until(sent_at + rto - 1'000'000).empty());
    auto again = run_until(sent_at + rto);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].sequence, iss + 1);
    EXPECT_EQ(again[0].data.size(), 1000u);
    EXPECT_EQ(tcp().info(connection).rto_ns, 2 * rto); // backed off
    // Part acknowledged: the rest is what goes again, after the backed-off timeout (Karn: the
    // ACK of a segment sent twice is no sample).
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 401, kAck));
    EXPECT_EQ(tcp().buffered_to_send(connection), 600u);
    EXPECT_EQ(tcp().info(connection).rto_ns, 2 * rto);
    u64 acked_at = now;
    EXPECT_TRUE(run_until(acked_at + 2 * rto - 1'000'000).empty());
    auto rest = run_until(acked_at + 2 * rto);
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].sequence, iss + 401);
    EXPECT_EQ(rest[0].data.size(), 600u);
    // Then every timeout doubles the RTO up to 60 s, and the connection gives up after
    // kMaxRetries in a row.
    auto last = run_until(now + 400 * kSecond, 10'000'000);
    EXPECT_EQ(last.size(), TcpLayer::kMaxRetries); // the first was above; the last is RST
    EXPECT_EQ(tcp().info(connection).rto_ns, TcpLayer::kMaxRtoNs);
    EXPECT_TRUE(tcp().was_reset(connection));
    EXPECT_EQ(tcp().counters().timeouts, 1u);
    ASSERT_FALSE(last.empty());
    EXPECT_EQ(last.back().flags, kRst);
}

TEST_F(TcpTest, ReceiveBufferBoundsWhatIsTaken)
{
    auto [connection, iss] = establish();
    u32 sequence = 1001;
    for (usize i = 0; i < TcpLayer::kBufferBytes / 1460 + 2; ++i) {
        deliver(tcp_segment(kPeerPort, 80, sequence, iss + 1, kAck, Bytes(1460, 'z')));
        sequence += 1460;
    }
    auto acks = sent();
    ASSERT_FALSE(acks.empty());
    EXPECT_EQ(acks.back().acknowledgment, 1001u + TcpLayer::kBufferBytes);
    EXPECT_EQ(acks.back().window, 0);
    Bytes buffer(TcpLayer::kBufferBytes + 100);
    EXPECT_EQ(tcp().receive_data(connection, buffer, now), TcpLayer::kBufferBytes);
    auto update = sent();
    ASSERT_EQ(update.size(), 1u); // the window opened
    EXPECT_EQ(update[0].window, unscaled_window(TcpLayer::kBufferBytes));
}

TEST_F(TcpTest, AfterTheOwnerClosedBytesAreAcknowledgedAndDropped)
{
    auto [connection, iss] = establish();
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, Bytes(1000, 'a')));
    sent();
    tcp().close(connection, now); // 1000 bytes unread
    auto fin = sent();
    ASSERT_EQ(fin.size(), 1u);
    EXPECT_EQ(fin[0].flags, kFin | kAck);
    EXPECT_EQ(fin[0].window, unscaled_window(TcpLayer::kBufferBytes)); // the unread bytes were dropped
    // The peer keeps sending more than a window's worth: each segment is acknowledged in full.
    u32 sequence = 2001;
    for (int i = 0; i < 6; ++i) {
        deliver(tcp_segment(kPeerPort, 80, sequence, iss + 2, kAck, Bytes(1460, 'b')));
        sequence += 1460;
    }
    auto acks = sent();
    ASSERT_FALSE(acks.empty());
    EXPECT_EQ(acks.back().acknowledgment, sequence);
    EXPECT_EQ(acks.back().window, unscaled_window(TcpLayer::kBufferBytes));
    EXPECT_EQ(tcp().state(connection), TcpState::FinWait2);
}

TEST_F(TcpTest, SendHonoursThePeersWindowAndMss)
{
    listener = *tcp().listen(80, 4);
    deliver(tcp_segment(kPeerPort, 80, 1000, 0, kSyn, {}, 1000, { 2, 4, 0x01, 0x00 })); // MSS 256
    u32 iss = sent()[0].sequence;
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, {}, 1000));
    usize connection = *tcp().accept(*listener);
    EXPECT_EQ(*tcp().send(connection, Bytes(3000, 'q'), now), 3000u);
    auto out = sent();
    ASSERT_EQ(out.size(), 4u); // 256 * 3 + 232 = the 1000-byte window
    EXPECT_EQ(out[0].data.size(), 256u);
    EXPECT_EQ(out[3].data.size(), 232u);
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1001, kAck, {}, 1000));
    EXPECT_EQ(sent().size(), 4u);
}

TEST_F(TcpTest, ClosingAListenerResetsWhatWasNotAccepted)
{
    listener = *tcp().listen(80, 4);
    deliver(tcp_segment(kPeerPort, 80, 1000, 0, kSyn));
    u32 iss = sent()[0].sequence;
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck));
    deliver(tcp_segment(kPeerPort + 1, 80, 2000, 0, kSyn)); // still half-open
    sent();
    EXPECT_EQ(tcp().connections_in_use(), 2u);
    tcp().close_listener(*listener, now);
    auto resets = sent();
    ASSERT_EQ(resets.size(), 2u);
    EXPECT_EQ(resets[0].flags, kRst);
    EXPECT_EQ(resets[0].sequence, iss + 1);
    EXPECT_EQ(tcp().connections_in_use(), 0u);
    deliver(tcp_segment(kPeerPort + 2, 80, 3000, 0, kSyn)); // no listener any more: refused
    auto refused = sent();
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_EQ(refused[0].flags, kRst | kAck);
}

TEST_F(TcpTest, MalformedSegmentsAreCounted)
{
    listener = *tcp().listen(80, 4);
    Bytes good = tcp_segment(kPeerPort, 80, 1, 0, kSyn);
    deliver(Bytes(good.begin(), good.begin() + 19));
    Bytes small_offset = good;
    small_offset[12] = 0x40;
    deliver(small_offset);
    Bytes large_offset = good;
    large_offset[12] = 0xF0;
    deliver(large_offset);
    deliver(tcp_segment(kPeerPort, 80, 1, 0, kSyn, {}, 100, { 2, 9, 0, 0 }));    // option past the header
    deliver(tcp_segment(kPeerPort, 80, 1, 0, kSyn, {}, 100, { 1, 1, 1, 3 }));    // length byte missing
    deliver(tcp_segment(kPeerPort, 80, 1, 0, kSyn, {}, 100, { 8, 0, 1, 1 }));    // length 0
    EXPECT_EQ(tcp().counters().malformed, 6u);
    Bytes bad_sum = good;
    bad_sum[5] ^= 1;
    deliver(bad_sum);
    EXPECT_EQ(tcp().counters().bad_checksum, 1u);
    EXPECT_EQ(tcp().connections_in_use(), 0u);
    EXPECT_TRUE(sent().empty());
}


// Active open: SYN with MSS from an ephemeral port, SYN+ACK, ACK, then data both ways.
TEST_F(TcpTest, ActiveOpenThenDataBothWays)
{
    auto connection = tcp().connect(kGateway, 8000, now);
    ASSERT_TRUE(connection);
    EXPECT_EQ(tcp().state(*connection), TcpState::SynSent);
    auto syn = sent();
    ASSERT_EQ(syn.size(), 1u);
    EXPECT_EQ(syn[0].flags, kSyn);
    EXPECT_EQ(syn[0].port, 8000);
    EXPECT_GE(syn[0].source_port, TcpLayer::kFirstEphemeralPort);
    EXPECT_EQ(syn[0].mss, 1460);
    EXPECT_TRUE(syn[0].checksum_ok);
    EXPECT_FALSE(tcp().send(*connection, text("early"), now)); // not established yet
    u16 local = syn[0].source_port;
    u32 iss = syn[0].sequence;

    deliver(tcp_segment(8000, local, 7000, iss + 1, kSyn | kAck, {}, 65535, { 2, 4, 0x02, 0x00 }));
    EXPECT_EQ(tcp().state(*connection), TcpState::Established);
    auto ack = sent();
    ASSERT_EQ(ack.size(), 1u);
    EXPECT_EQ(ack[0].flags, kAck);
    EXPECT_EQ(ack[0].acknowledgment, 7001u);
    EXPECT_EQ(ack[0].sequence, iss + 1);

    ASSERT_EQ(*tcp().send(*connection, Bytes(1000, 'x'), now), 1000u);
    auto data = sent();
    ASSERT_EQ(data.size(), 2u); // the peer's MSS of 512
    EXPECT_EQ(data[0].data.size(), 512u);
    EXPECT_EQ(data[1].sequence, iss + 1 + 512);
    deliver(tcp_segment(8000, local, 7001, iss + 1001, kAck | kPsh, text("reply")));
    u8 buffer[16];
    ASSERT_EQ(tcp().receive_data(*connection, buffer, now), 5u);
    EXPECT_EQ(std::memcmp(buffer, "reply", 5), 0);
    EXPECT_EQ(tcp().buffered_to_send(*connection), 0u);
    auto ack_reply = sent();
    ASSERT_EQ(ack_reply.size(), 1u);
    EXPECT_EQ(ack_reply[0].acknowledgment, 7006u);

    // A second connection takes another port.
    auto second = tcp().connect(kGateway, 8000, now);
    ASSERT_TRUE(second);
    auto syn2 = sent();
    ASSERT_EQ(syn2.size(), 1u);
    EXPECT_NE(syn2[0].source_port, local);
    tcp().close(*second, now); // in SYN_SENT: gone at once, nothing sent
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(tcp().connections_in_use(), 1u);
}

TEST_F(TcpTest, ActiveOpenRefusedByReset)
{
    auto connection = *tcp().connect(kGateway, 9, now);
    auto syn = sent();
    ASSERT_EQ(syn.size(), 1u);
    // A RST without ACK, or one acknowledging something else, is not an answer to our SYN.
    deliver(tcp_segment(9, syn[0].source_port, 0, 0, kRst));
    deliver(tcp_segment(9, syn[0].source_port, 0, syn[0].sequence + 5, kRst | kAck));
    EXPECT_EQ(tcp().state(connection), TcpState::SynSent);
    deliver(tcp_segment(9, syn[0].source_port, 0, syn[0].sequence + 1, kRst | kAck));
    EXPECT_EQ(tcp().state(connection), TcpState::Closed);
    EXPECT_EQ(tcp().failure(connection), TcpFailure::Refused);
    EXPECT_TRUE(tcp().was_reset(connection));
    EXPECT_EQ(tcp().counters().refused, 1u);
    EXPECT_EQ(tcp().connections_in_use(), 1u); // the owner's until it lets go
    tcp().abort(connection, now);
    EXPECT_EQ(tcp().connections_in_use(), 0u);
}

TEST_F(TcpTest, ActiveOpenRetransmitsTheSynThenTimesOut)
{
    auto connection = *tcp().connect(kGateway, 8000, now);
    u32 iss = sent()[0].sequence;
    u64 at = now;
    u64 rto = TcpLayer::kInitialRtoNs;
    for (u32 i = 0; i < TcpLayer::kMaxSynRetries; ++i) {
        at += rto;
        interface->tick(at);
        auto again = sent();
        ASSERT_EQ(again.size(), 1u) << "retry " << i;
        EXPECT_EQ(again[0].flags, kSyn);
        EXPECT_EQ(again[0].sequence, iss);
        rto *= 2;
    }
    at += rto;
    interface->tick(at);
    EXPECT_TRUE(sent().empty()); // no RST: nothing was established
    EXPECT_EQ(tcp().state(connection), TcpState::Closed);
    EXPECT_EQ(tcp().failure(connection), TcpFailure::TimedOut);
    tcp().close(connection, at);
    EXPECT_EQ(tcp().connections_in_use(), 0u);
}

TEST_F(TcpTest, ActiveOpenRefusesBadAddressesAndIsBounded)
{
    EXPECT_FALSE(tcp().connect(0, 80, now));
    EXPECT_FALSE(tcp().connect(ipv4(255, 255, 255, 255), 80, now));
    EXPECT_FALSE(tcp().connect(ipv4(224, 0, 0, 1), 80, now));
    EXPECT_FALSE(tcp().connect(kGateway, 0, now));
    std::vector<usize> open;
    for (usize i = 0; i < 100; ++i) {
        auto connection = tcp().connect(kGateway, 8000, now);
        if (connection)
            open.push_back(*connection);
    }
    EXPECT_EQ(open.size(), TcpLayer::kConnections);
    // An unrelated SYN+ACK (wrong acknowledgment) for one of them is answered with RST.
    auto syns = sent();
    ASSERT_EQ(syns.size(), TcpLayer::kConnections);
    deliver(tcp_segment(8000, syns[0].source_port, 1, syns[0].sequence + 100, kSyn | kAck));
    auto reset = sent();
    ASSERT_EQ(reset.size(), 1u);
    EXPECT_EQ(reset[0].flags, kRst);
    EXPECT_EQ(tcp().state(open[0]), TcpState::SynSent);
    for (usize connection : open)
        tcp().abort(connection, now);
    EXPECT_TRUE(sent().empty()); // aborting SYN_SENT sends nothing
    EXPECT_EQ(tcp().connections_in_use(), 0u);
}

TEST_F(TcpTest, ActiveOpenThenPeerResetIsReported)
{
    auto connection = *tcp().connect(kGateway, 8000, now);
    auto syn = sent()[0];
    deliver(tcp_segment(8000, syn.source_port, 300, syn.sequence + 1, kSyn | kAck));
    sent();
    deliver(tcp_segment(8000, syn.source_port, 301, 0, kRst));
    EXPECT_EQ(tcp().failure(connection), TcpFailure::Reset);
    tcp().abort(connection, now);
    EXPECT_EQ(tcp().connections_in_use(), 0u);
}

} // namespace
} // namespace wk::kernel::net::test
