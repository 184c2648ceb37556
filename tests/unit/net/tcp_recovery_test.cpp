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
    ASSERT_EQ(again.size(), 3u); // go-back-N from the oldest byte
    EXPECT_EQ(again[0].sequence, iss + 1);
    // The peer had the first two: it acknowledges past snd_nxt's position, which is accepted
    // (the highest ever sent bounds it) and what it has is not sent a third time.
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 2921, kAck));
    EXPECT_EQ(tcp().buffered_to_send(connection), 80u);
    EXPECT_TRUE(sent().empty());
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
