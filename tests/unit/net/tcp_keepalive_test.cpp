// TCP keep-alive (RFC 1122, 4.2.3.6).
#include "tests/unit/net/tcp_test_support.h"

namespace wk::kernel::net::test {
namespace {

TEST_F(TcpTest, AnIdleAcceptedConnectionIsProbedAndResetWhenNobodyAnswers)
{
    auto [connection, iss] = establish();
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, text("hi")));
    sent();
    u64 heard = now;
    EXPECT_TRUE(run_until(heard + TcpLayer::kKeepAliveIdleNs - kSecond, kSecond).empty());
    auto probe = run_until(heard + TcpLayer::kKeepAliveIdleNs, kSecond);
    ASSERT_EQ(probe.size(), 1u);
    EXPECT_EQ(probe[0].flags, kAck);
    EXPECT_EQ(probe[0].sequence, iss); // one below the oldest unacknowledged
    EXPECT_EQ(probe[0].acknowledgment, 1003u);
    EXPECT_TRUE(probe[0].data.empty());
    // The peer answers: nothing more for another idle period.
    deliver(tcp_segment(kPeerPort, 80, 1003, iss + 1, kAck));
    heard = now;
    EXPECT_TRUE(run_until(heard + TcpLayer::kKeepAliveIdleNs - kSecond, kSecond).empty());
    EXPECT_EQ(tcp().state(connection), TcpState::Established);
    // Now it is gone: a probe every interval, then RST.
    auto probes = run_until(heard + TcpLayer::kKeepAliveIdleNs + TcpLayer::kKeepAliveProbes * TcpLayer::kKeepAliveIntervalNs,
                            kSecond);
    ASSERT_EQ(probes.size(), TcpLayer::kKeepAliveProbes + 1);
    for (usize i = 0; i < TcpLayer::kKeepAliveProbes; ++i)
        EXPECT_EQ(probes[i].flags, kAck) << i;
    EXPECT_EQ(probes.back().flags, kRst);
    EXPECT_EQ(tcp().state(connection), TcpState::Closed);
    EXPECT_EQ(tcp().failure(connection), TcpFailure::TimedOut);
    EXPECT_EQ(tcp().counters().keepalive_probes, TcpLayer::kKeepAliveProbes + 1);
    EXPECT_EQ(tcp().counters().keepalive_drops, 1u);
}

TEST_F(TcpTest, OutboundConnectionsAreProbedOnlyWhenAsked)
{
    auto connection = *tcp().connect(kGateway, 8000, now);
    auto syn = sent()[0];
    deliver(tcp_segment(8000, syn.source_port, 300, syn.sequence + 1, kSyn | kAck));
    sent();
    u64 start = now;
    EXPECT_TRUE(run_until(start + 3 * TcpLayer::kKeepAliveIdleNs, 10 * kSecond).empty());
    tcp().set_keepalive(connection, true, now);
    auto probe = run_until(now + TcpLayer::kKeepAliveIdleNs, 10 * kSecond);
    ASSERT_EQ(probe.size(), 1u);
    EXPECT_EQ(probe[0].sequence, syn.sequence);
    tcp().set_keepalive(connection, false, now);
    EXPECT_TRUE(run_until(now + 2 * TcpLayer::kKeepAliveIdleNs, 10 * kSecond).empty());
    EXPECT_EQ(tcp().state(connection), TcpState::Established);
}

TEST_F(TcpTest, KeepAliveWaitsWhileDataIsUnacknowledged)
{
    auto [connection, iss] = establish();
    ASSERT_EQ(*tcp().send(connection, text("pending"), now), 7u);
    sent();
    // The retransmission timer owns the connection: its timeouts, not probes, then the reset.
    auto out = run_until(now + TcpLayer::kKeepAliveIdleNs + kSecond, kSecond);
    ASSERT_FALSE(out.empty());
    for (auto& segment : out)
        EXPECT_TRUE(segment.flags == (kAck | kPsh) || segment.flags == kRst);
    EXPECT_EQ(tcp().counters().keepalive_probes, 0u);
    EXPECT_EQ(tcp().failure(connection), TcpFailure::TimedOut);
}

TEST_F(TcpTest, AClosedConnectionWhosePeerVanishedInFinWait2IsFreed)
{
    auto [connection, iss] = establish();
    tcp().close(connection, now);
    ASSERT_EQ(sent().size(), 1u); // FIN
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 2, kAck));
    ASSERT_EQ(tcp().state(connection), TcpState::FinWait2);
    EXPECT_EQ(tcp().connections_in_use(), 1u);
    // The peer never sends its FIN, nor anything else.
    auto out = run_until(now + TcpLayer::kKeepAliveIdleNs + TcpLayer::kKeepAliveProbes * TcpLayer::kKeepAliveIntervalNs,
                         kSecond);
    ASSERT_EQ(out.size(), TcpLayer::kKeepAliveProbes + 1);
    EXPECT_EQ(out.back().flags, kRst);
    EXPECT_EQ(tcp().connections_in_use(), 0u);
}

} // namespace
} // namespace wk::kernel::net::test
