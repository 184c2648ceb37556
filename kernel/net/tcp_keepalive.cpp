// Keep-alive (RFC 1122, 4.2.3.6): a connection that has heard nothing from its peer for
// kKeepAliveIdleNs asks for an ACK, every kKeepAliveIntervalNs, and is reset after
// kKeepAliveProbes unanswered probes. On for accepted connections, off for outbound ones.
#include "kernel/net/tcp.h"
#include "kernel/net/tcp_internal.h"

namespace wk::kernel::net {

namespace {

using namespace tcp_bits;

} // namespace

void TcpLayer::set_keepalive(usize connection, bool on, u64 now_ns)
{
    if (connection >= kConnections || !m_connections[connection].owned)
        return;
    auto& c = m_connections[connection];
    c.keepalive = on;
    c.last_heard_ns = now_ns;
    c.keepalive_probes = 0;
}

void TcpLayer::heard_from_peer(Connection& c, u64 now_ns)
{
    c.last_heard_ns = now_ns;
    c.keepalive_probes = 0;
}

void TcpLayer::keepalive_tick(Connection& c, u64 now_ns)
{
    // Only an idle connection is probed: with data unacknowledged the retransmission timer
    // finds out whether the peer is there. FIN_WAIT_2 too: a peer that vanished before its
    // FIN would otherwise hold the slot for good (the owner has let it go).
    bool idle_state = c.state == TcpState::Established || c.state == TcpState::CloseWait
        || c.state == TcpState::FinWait2;
    if (!c.keepalive || !idle_state || c.snd_una != c.snd_max || c.tx_count)
        return;
    u64 due = c.last_heard_ns + kKeepAliveIdleNs + u64(c.keepalive_probes) * kKeepAliveIntervalNs;
    if (now_ns < due)
        return;
    if (c.keepalive_probes >= kKeepAliveProbes) {
        ++m_counters.keepalive_drops;
        ++m_counters.timeouts;
        ++m_counters.resets_sent;
        c.failure = TcpFailure::TimedOut;
        send_segment(c, c.snd_nxt, kRst, {}, now_ns);
        c.reset = true;
        release(c);
        return;
    }
    // A sequence number the peer has acknowledged already: it answers with an ACK (RFC 9293,
    // 3.10.7.4), which is all we want to hear.
    ++c.keepalive_probes;
    ++m_counters.keepalive_probes;
    send_segment(c, c.snd_una - 1, kAck, {}, now_ns);
}

} // namespace wk::kernel::net
