// TCP's recovery and flow machinery: the retransmission timer (RFC 6298).
#include "tests/unit/net/tcp_test_support.h"

namespace wk::kernel::net::test {
namespace {

constexpr u64 kMillisecond = 1'000'000ull;

TEST_F(TcpTest, TheHandshakeIsTheFirstRoundTripSample)
{
    auto [connection, iss] = establish(kPeerPort, 3 * kSecond);
    auto info = tcp().info(connection);
    EXPECT_EQ(info.srtt_ns, 3 * kSecond);
    EXPECT_EQ(info.rttvar_ns, 3 * kSecond / 2);
    EXPECT_EQ(info.rto_ns, 9 * kSecond); // SRTT + 4 RTTVAR
    EXPECT_EQ(tcp().counters().rtt_samples, 1u);
    ASSERT_EQ(*tcp().send(connection, text("slow"), now), 4u);
    sent();
    u64 sent_at = now;
    EXPECT_TRUE(run_until(sent_at + 9 * kSecond - kMillisecond, 10 * kMillisecond).empty());
    auto again = run_until(sent_at + 9 * kSecond, kMillisecond);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].sequence, iss + 1);
}

TEST_F(TcpTest, RoundTripSamplesAreSmoothedAndTheRtoBounded)
{
    auto [connection, iss] = establish(kPeerPort, 100 * kMillisecond);
    // SRTT 100, RTTVAR 50: RTO 300 ms.
    EXPECT_EQ(tcp().info(connection).rto_ns, 300 * kMillisecond);
    u32 next = iss + 1;
    // Segments answered after 20 ms each: SRTT falls towards 20 ms and RTTVAR with it.
    for (int i = 0; i < 40; ++i) {
        ASSERT_EQ(*tcp().send(connection, Bytes(100, 'r'), now), 100u);
        ASSERT_EQ(sent().size(), 1u);
        next += 100;
        now += 20 * kMillisecond;
        deliver(tcp_segment(kPeerPort, 80, 1001, next, kAck));
    }
    auto info = tcp().info(connection);
    EXPECT_EQ(tcp().counters().rtt_samples, 41u);
    EXPECT_LT(info.srtt_ns, 21 * kMillisecond);
    EXPECT_GE(info.srtt_ns, 20 * kMillisecond);
    EXPECT_LT(info.rttvar_ns, 2 * kMillisecond);
    EXPECT_EQ(info.rto_ns, TcpLayer::kMinRtoNs); // 20 + max(G, 4 RTTVAR) is below the floor
    // A sample of 0 (the answer in the same millisecond) keeps the floor too.
    ASSERT_EQ(*tcp().send(connection, Bytes(10, 'r'), now), 10u);
    next += 10;
    deliver(tcp_segment(kPeerPort, 80, 1001, next, kAck));
    EXPECT_EQ(tcp().info(connection).rto_ns, TcpLayer::kMinRtoNs);
    EXPECT_GT(tcp().info(connection).srtt_ns, 0u);
}

TEST_F(TcpTest, KarnsRuleTakesNoSampleFromARetransmission)
{
    auto [connection, iss] = establish(kPeerPort, 100 * kMillisecond);
    auto before = tcp().info(connection);
    ASSERT_EQ(*tcp().send(connection, text("once"), now), 4u);
    sent();
    auto again = run_until(now + before.rto_ns);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(tcp().info(connection).rto_ns, 2 * before.rto_ns);
    // The answer comes 5 s after the first send: ambiguous, so no sample, and the backed-off
    // RTO stays until a segment sent once is answered.
    now += 5 * kSecond;
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 5, kAck));
    auto after = tcp().info(connection);
    EXPECT_EQ(after.srtt_ns, before.srtt_ns);
    EXPECT_EQ(after.rto_ns, 2 * before.rto_ns);
    EXPECT_EQ(tcp().counters().rtt_samples, 1u);
    ASSERT_EQ(*tcp().send(connection, text("twice"), now), 5u);
    sent();
    now += 100 * kMillisecond;
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 10, kAck));
    EXPECT_EQ(tcp().counters().rtt_samples, 2u);
    EXPECT_EQ(tcp().info(connection).rto_ns, 100 * kMillisecond + 4 * (3 * 50 * kMillisecond / 4));
}

TEST_F(TcpTest, AnAcknowledgmentPastWhatWasResentMovesSendingOn)
{
    auto [connection, iss] = establish();
    ASSERT_EQ(*tcp().send(connection, Bytes(3000, 'g'), now), 3000u);
    ASSERT_EQ(sent().size(), 3u);
    auto again = run_until(now + tcp().info(connection).rto_ns);
    ASSERT_EQ(again.size(), 1u); // go-back-N from the oldest byte, one segment (the loss window)
    EXPECT_EQ(again[0].sequence, iss + 1);
    EXPECT_EQ(tcp().info(connection).cwnd, 1460u);
    // The peer had the first two: it acknowledges past snd_nxt's position, which is accepted
    // (the highest ever sent bounds it); going back goes on from there, not from what was resent.
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 2921, kAck));
    EXPECT_EQ(tcp().buffered_to_send(connection), 80u);
    auto rest = sent();
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].sequence, iss + 2921);
    EXPECT_EQ(rest[0].data.size(), 80u);
    // Past the highest ever sent: answered with an ACK, nothing moves.
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 5000, kAck));
    auto answer = sent();
    ASSERT_EQ(answer.size(), 1u);
    EXPECT_TRUE(answer[0].data.empty());
    EXPECT_EQ(tcp().buffered_to_send(connection), 80u);
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 3001, kAck));
    EXPECT_EQ(tcp().buffered_to_send(connection), 0u);
    EXPECT_TRUE(run_until(now + 100 * kSecond, 100 * kMillisecond).empty()); // no timer left
}

} // namespace
} // namespace wk::kernel::net::test

namespace wk::kernel::net::test {
namespace {

// The bytes readable now.
Bytes read_all(TcpLayer& tcp, usize connection, u64 now)
{
    Bytes out;
    u8 buffer[4096];
    while (usize count = tcp.receive_data(connection, buffer, now))
        out.insert(out.end(), buffer, buffer + count);
    return out;
}

TEST_F(TcpTest, ReorderedSegmentsWaitForTheGapThenAreDelivered)
{
    auto [connection, iss] = establish();
    deliver(tcp_segment(kPeerPort, 80, 1007, iss + 1, kAck, text("ghi")));
    deliver(tcp_segment(kPeerPort, 80, 1004, iss + 1, kAck, text("def")));
    EXPECT_FALSE(tcp().has_data(connection));
    EXPECT_EQ(tcp().info(connection).out_of_order_ranges, 1u); // 1004..1010, merged
    auto duplicates = sent();
    ASSERT_EQ(duplicates.size(), 2u); // each answered at once with the byte still missing
    EXPECT_EQ(duplicates[0].acknowledgment, 1001u);
    EXPECT_EQ(duplicates[1].acknowledgment, 1001u);
    EXPECT_EQ(duplicates[1].window, unscaled_window(TcpLayer::kBufferBytes)); // queued bytes do not shrink it
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, text("abc")));
    auto ack = sent();
    ASSERT_EQ(ack.size(), 1u);
    EXPECT_EQ(ack[0].acknowledgment, 1010u);
    EXPECT_EQ(ack[0].window, TcpLayer::kBufferBytes - 9);
    EXPECT_EQ(read_all(tcp(), connection, now), text("abcdefghi"));
    EXPECT_EQ(tcp().info(connection).out_of_order_ranges, 0u);
    EXPECT_EQ(tcp().counters().out_of_order_queued, 2u);
}

TEST_F(TcpTest, OverlappingAndDuplicatedSegmentsPastAGapAreTrimmed)
{
    auto [connection, iss] = establish();
    // Past a 2-byte gap: overlapping, duplicated, nested and adjacent pieces of "cdefghijkl".
    deliver(tcp_segment(kPeerPort, 80, 1005, iss + 1, kAck, text("efgh")));
    deliver(tcp_segment(kPeerPort, 80, 1005, iss + 1, kAck, text("efgh")));
    deliver(tcp_segment(kPeerPort, 80, 1003, iss + 1, kAck, text("cdef")));
    deliver(tcp_segment(kPeerPort, 80, 1006, iss + 1, kAck, text("fg")));
    deliver(tcp_segment(kPeerPort, 80, 1011, iss + 1, kAck, text("kl")));
    EXPECT_EQ(tcp().info(connection).out_of_order_ranges, 2u); // 1003..1009 and 1011..1013
    deliver(tcp_segment(kPeerPort, 80, 1008, iss + 1, kAck, text("hij")));
    EXPECT_EQ(tcp().info(connection).out_of_order_ranges, 1u); // touching ranges merge
    sent();
    // The gap filled by a segment that overlaps the queue too.
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, text("abcd")));
    auto ack = sent();
    ASSERT_EQ(ack.size(), 1u);
    EXPECT_EQ(ack[0].acknowledgment, 1013u);
    EXPECT_EQ(read_all(tcp(), connection, now), text("abcdefghijkl"));
}

TEST_F(TcpTest, TheOutOfOrderQueueIsBoundedWhateverThePeerSends)
{
    auto [connection, iss] = establish();
    // 1000 one-byte segments with a gap before each: only kOutOfOrderRanges are kept.
    for (u32 i = 0; i < 1000; ++i)
        deliver(tcp_segment(kPeerPort, 80, 1003 + 2 * i, iss + 1, kAck, text("x")));
    EXPECT_EQ(tcp().info(connection).out_of_order_ranges, TcpLayer::kOutOfOrderRanges);
    EXPECT_EQ(tcp().counters().out_of_order_queued, TcpLayer::kOutOfOrderRanges);
    EXPECT_EQ(tcp().counters().out_of_order_dropped, 1000u - TcpLayer::kOutOfOrderRanges);
    // Past the receive buffer: dropped; across its end: cut to it.
    u64 dropped = tcp().counters().out_of_order_dropped;
    deliver(tcp_segment(kPeerPort, 80, 1001 + TcpLayer::kBufferBytes, iss + 1, kAck, text("far")));
    deliver(tcp_segment(kPeerPort, 80, 1001 + 0x80000000u, iss + 1, kAck, text("behind")));
    EXPECT_EQ(tcp().counters().out_of_order_dropped, dropped + 1); // the second is old: trimmed away
    // A segment over all the queued ones merges them into one range.
    deliver(tcp_segment(kPeerPort, 80, 1002, iss + 1, kAck, Bytes(40, 'y')));
    EXPECT_EQ(tcp().info(connection).out_of_order_ranges, 1u);
    Bytes edge(100, 'e');
    deliver(tcp_segment(kPeerPort, 80, 1001 + TcpLayer::kBufferBytes - 50, iss + 1, kAck | kFin, edge));
    EXPECT_EQ(tcp().info(connection).out_of_order_ranges, 2u);
    sent();
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, text("a")));
    auto ack = sent();
    ASSERT_EQ(ack.size(), 1u);
    EXPECT_EQ(ack[0].acknowledgment, 1042u); // up to the second range's gap
    Bytes got = read_all(tcp(), connection, now);
    ASSERT_EQ(got.size(), 41u);
    EXPECT_EQ(got[0], 'a');
    EXPECT_EQ(got[40], 'y');
    // The rest up to the buffer's end: the edge's first 50 bytes were kept, its FIN was not.
    deliver(tcp_segment(kPeerPort, 80, 1042, iss + 1, kAck, Bytes(TcpLayer::kBufferBytes - 50 - 41, 'm')));
    auto full = sent();
    ASSERT_EQ(full.size(), 1u);
    EXPECT_EQ(full[0].acknowledgment, 1001u + TcpLayer::kBufferBytes);
    EXPECT_EQ(tcp().state(connection), TcpState::Established);
    Bytes rest = read_all(tcp(), connection, now);
    ASSERT_EQ(rest.size(), TcpLayer::kBufferBytes - 41);
    EXPECT_EQ(rest.back(), 'e');
}

TEST_F(TcpTest, AFinPastTheGapClosesWhenTheGapFills)
{
    auto [connection, iss] = establish();
    deliver(tcp_segment(kPeerPort, 80, 1004, iss + 1, kAck | kFin, text("end")));
    EXPECT_EQ(tcp().state(connection), TcpState::Established);
    auto dup = sent();
    ASSERT_EQ(dup.size(), 1u);
    EXPECT_EQ(dup[0].acknowledgment, 1001u);
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, text("the")));
    auto ack = sent();
    ASSERT_EQ(ack.size(), 1u);
    EXPECT_EQ(ack[0].acknowledgment, 1008u); // the FIN counted
    EXPECT_EQ(tcp().state(connection), TcpState::CloseWait);
    EXPECT_EQ(read_all(tcp(), connection, now), text("theend"));
    EXPECT_TRUE(tcp().peer_closed(connection));
}

TEST_F(TcpTest, AShuffledStreamWithDuplicatesAndOverlapsArrivesIntact)
{
    u32 seed = 7;
    auto next = [&] {
        seed = seed * 1103515245u + 12345u;
        return seed >> 8;
    };
    for (int round = 0; round < 20; ++round) {
        auto [connection, iss] = establish(static_cast<u16>(kPeerPort + round));
        Bytes stream(3000);
        for (auto& byte : stream)
            byte = static_cast<u8>(next());
        // Pieces at random places and lengths, shuffled; then the whole stream in order
        // behind them, so that every byte arrives at least once.
        std::vector<std::pair<u32, u32>> pieces;
        for (int i = 0; i < 60; ++i) {
            u32 start = next() % 3000;
            u32 length = 1 + next() % 400;
            pieces.push_back({ start, start + length < 3000 ? length : 3000 - start });
        }
        for (u32 start = 0; start < 3000; start += 1000)
            pieces.push_back({ start, 1000 });
        for (usize i = 0; i + 3 < pieces.size(); ++i)
            std::swap(pieces[i], pieces[i + next() % (pieces.size() - i - 3)]);
        Bytes got;
        for (auto [start, length] : pieces) {
            Bytes piece(stream.begin() + start, stream.begin() + start + length);
            deliver(tcp_segment(static_cast<u16>(kPeerPort + round), 80, 1001 + start, iss + 1, kAck, piece));
            ASSERT_LE(tcp().info(connection).out_of_order_ranges, TcpLayer::kOutOfOrderRanges);
            Bytes now_readable = read_all(tcp(), connection, now);
            got.insert(got.end(), now_readable.begin(), now_readable.end());
        }
        EXPECT_EQ(got, stream) << "round " << round;
        tcp().abort(connection, now);
        sent();
    }
    EXPECT_GT(tcp().counters().out_of_order_queued, 200u);
    EXPECT_GT(tcp().counters().out_of_order_dropped, 0u); // ranges full at times
}

} // namespace
} // namespace wk::kernel::net::test

namespace wk::kernel::net::test {
namespace {

constexpr u32 kMss = 1460;

TEST_F(TcpTest, SlowStartGrowsTheWindowBySegmentsAcknowledged)
{
    auto [connection, iss] = establish();
    EXPECT_EQ(tcp().info(connection).cwnd, 3 * kMss); // min(4 SMSS, max(2 SMSS, 4380))
    ASSERT_EQ(*tcp().send(connection, Bytes(16000, 's'), now), 16000u);
    EXPECT_EQ(sent().size(), 3u);
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1 + kMss, kAck));
    EXPECT_EQ(tcp().info(connection).cwnd, 4 * kMss);
    EXPECT_EQ(sent().size(), 2u); // one segment left the network, the window grew by one
    // One ACK for four segments grows the window by one segment only (byte counting, L = 1).
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1 + 5 * kMss, kAck));
    EXPECT_EQ(tcp().info(connection).cwnd, 5 * kMss);
    EXPECT_EQ(sent().size(), 5u);
}

TEST_F(TcpTest, FastRetransmitAndNewRenoRecovery)
{
    auto [connection, iss] = establish();
    u32 una = iss + 1;
    // Grow the window: every segment acknowledged one by one for a while.
    for (int round = 0; round < 4; ++round) {
        (void)*tcp().send(connection, Bytes(TcpLayer::kSendBufferBytes, 'w'), now);
        for (auto& segment : sent()) {
            una = segment.sequence + static_cast<u32>(segment.data.size());
            deliver(tcp_segment(kPeerPort, 80, 1001, una, kAck));
        }
    }
    for (auto& segment : sent())
        una = segment.sequence + static_cast<u32>(segment.data.size());
    deliver(tcp_segment(kPeerPort, 80, 1001, una, kAck));
    sent();
    ASSERT_EQ(tcp().buffered_to_send(connection), 0u);
    ASSERT_GE(tcp().info(connection).cwnd, 12 * kMss);
    ASSERT_EQ(*tcp().send(connection, Bytes(11 * kMss, 'd'), now), 11 * kMss);
    auto flight = sent();
    ASSERT_EQ(flight.size(), 11u);
    // Segments 0 and 3 are lost. 1 and 2 draw duplicate ACKs; one with another window does
    // not count.
    deliver(tcp_segment(kPeerPort, 80, 1001, una, kAck));
    deliver(tcp_segment(kPeerPort, 80, 1001, una, kAck, {}, 60000));
    deliver(tcp_segment(kPeerPort, 80, 1001, una, kAck, {}, 60000));
    EXPECT_TRUE(sent().empty());
    EXPECT_FALSE(tcp().info(connection).in_recovery);
    deliver(tcp_segment(kPeerPort, 80, 1001, una, kAck, {}, 60000)); // the third duplicate
    auto retransmitted = sent();
    ASSERT_EQ(retransmitted.size(), 1u);
    EXPECT_EQ(retransmitted[0].sequence, una);
    EXPECT_EQ(retransmitted[0].data.size(), kMss);
    auto info = tcp().info(connection);
    EXPECT_TRUE(info.in_recovery);
    EXPECT_EQ(info.ssthresh, 11 * kMss / 2);
    EXPECT_EQ(info.cwnd, info.ssthresh + 3 * kMss);
    EXPECT_EQ(tcp().counters().fast_retransmits, 1u);
    // Each further duplicate inflates the window by a segment; new data goes when it allows.
    ASSERT_EQ(*tcp().send(connection, Bytes(300, 'n'), now), 300u);
    EXPECT_TRUE(sent().empty()); // 11 segments in flight, the window is 8.5
    for (int i = 0; i < 6; ++i)
        deliver(tcp_segment(kPeerPort, 80, 1001, una, kAck, {}, 60000));
    EXPECT_EQ(tcp().info(connection).cwnd, info.cwnd + 6 * kMss);
    auto fresh = sent();
    ASSERT_EQ(fresh.size(), 1u); // 14.5 segments: the new one
    EXPECT_EQ(fresh[0].data.size(), 300u);
    EXPECT_EQ(fresh[0].sequence, una + 11 * kMss);
    // A partial ACK (segment 0 arrived, 3 is still missing): 3 goes at once.
    deliver(tcp_segment(kPeerPort, 80, 1001, una + 3 * kMss, kAck, {}, 60000));
    auto hole = sent();
    ASSERT_EQ(hole.size(), 1u);
    EXPECT_EQ(hole[0].sequence, una + 3 * kMss);
    EXPECT_TRUE(tcp().info(connection).in_recovery);
    EXPECT_EQ(tcp().counters().fast_retransmits, 2u);
    // The full ACK ends recovery with the window at ssthresh at most.
    deliver(tcp_segment(kPeerPort, 80, 1001, una + 11 * kMss, kAck, {}, 60000));
    info = tcp().info(connection);
    EXPECT_FALSE(info.in_recovery);
    EXPECT_EQ(info.cwnd, 2 * kMss); // max(FlightSize (300), SMSS) + SMSS, below ssthresh
    deliver(tcp_segment(kPeerPort, 80, 1001, una + 11 * kMss + 300, kAck, {}, 60000));
    EXPECT_EQ(tcp().buffered_to_send(connection), 0u);
    EXPECT_EQ(tcp().counters().retransmissions, 0u); // no timeout was needed
}

TEST_F(TcpTest, DuplicateAcksWithoutDataInFlightOrWithDataAreNotCounted)
{
    auto [connection, iss] = establish();
    for (int i = 0; i < 5; ++i)
        deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck)); // nothing outstanding
    ASSERT_EQ(*tcp().send(connection, Bytes(3 * kMss, 'q'), now), 3 * kMss);
    sent();
    u32 sequence = 1001;
    for (int i = 0; i < 5; ++i) { // the peer's data, acknowledging nothing new
        deliver(tcp_segment(kPeerPort, 80, sequence, iss + 1, kAck, text("data")));
        sequence += 4;
    }
    for (auto& segment : sent())
        EXPECT_TRUE(segment.data.empty()); // only ACKs: no fast retransmit
    EXPECT_EQ(tcp().counters().fast_retransmits, 0u);
    EXPECT_FALSE(tcp().info(connection).in_recovery);
}

TEST_F(TcpTest, ATimeoutCollapsesTheWindowAndHalvesSsthresh)
{
    auto [connection, iss] = establish();
    ASSERT_EQ(*tcp().send(connection, Bytes(3 * kMss, 't'), now), 3 * kMss);
    sent();
    auto again = run_until(now + tcp().info(connection).rto_ns);
    ASSERT_EQ(again.size(), 1u);
    auto info = tcp().info(connection);
    EXPECT_EQ(info.cwnd, kMss);
    EXPECT_EQ(info.ssthresh, 2 * kMss); // max(FlightSize / 2, 2 SMSS)
    // A second timeout keeps ssthresh (FlightSize is no measure of the path any more).
    again = run_until(now + info.rto_ns);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(tcp().info(connection).ssthresh, 2 * kMss);
    // Slow start again from one segment: an ACK of the first lets two go.
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1 + kMss, kAck));
    EXPECT_EQ(tcp().info(connection).cwnd, 2 * kMss);
    EXPECT_EQ(sent().size(), 2u);
    // Three duplicates now do not start a fast retransmit: they acknowledge nothing sent
    // after the timeout (recover).
    for (int i = 0; i < 3; ++i)
        deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1 + kMss, kAck));
    EXPECT_FALSE(tcp().info(connection).in_recovery);
    EXPECT_TRUE(sent().empty());
}

} // namespace
} // namespace wk::kernel::net::test

namespace wk::kernel::net::test {
namespace {

TEST_F(TcpTest, AZeroWindowIsProbedForAsLongAsThePeerAnswers)
{
    auto [connection, iss] = establish();
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, {}, 0));
    ASSERT_EQ(*tcp().send(connection, Bytes(3000, 'z'), now), 3000u);
    EXPECT_TRUE(sent().empty()); // the window is closed
    u32 cwnd = tcp().info(connection).cwnd;
    // Twice as many probes as timeouts would reset a connection: each answered, none resets.
    for (u32 probe = 0; probe < 2 * TcpLayer::kMaxRetries; ++probe) {
        std::vector<SentSegment> out;
        for (int step = 0; step < 700 && out.empty(); ++step)
            out = run_until(now + 100'000'000, 100'000'000);
        ASSERT_EQ(out.size(), 1u) << "probe " << probe;
        EXPECT_EQ(out[0].sequence, iss + 1);
        EXPECT_EQ(out[0].data.size(), 1u);
        deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, {}, 0)); // not taken
    }
    EXPECT_EQ(tcp().state(connection), TcpState::Established);
    EXPECT_EQ(tcp().info(connection).rto_ns, TcpLayer::kMaxRtoNs); // the probes backed off
    EXPECT_EQ(tcp().info(connection).cwnd, cwnd); // probes are no sign of congestion
    // The window opens: the data goes, as much as the congestion window allows.
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, {}, 65535));
    auto data = sent();
    ASSERT_EQ(data.size(), 3u);
    EXPECT_EQ(data[0].sequence, iss + 1);
    EXPECT_EQ(data[2].data.size(), 3000u - 2 * 1460u);
    EXPECT_EQ(tcp().info(connection).rto_ns, TcpLayer::kMinRtoNs); // from the estimate again
}

} // namespace
} // namespace wk::kernel::net::test
