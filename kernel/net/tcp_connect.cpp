// TCP active open (RFC 9293, 3.5 and 3.10.7.3): the SYN, the SYN_SENT state and the answers
// to it. The rest of the connection's life is tcp.cpp's, shared with passive opens.
#include "kernel/net/tcp.h"
#include "kernel/net/tcp_internal.h"

namespace wk::kernel::net {

namespace {

using namespace tcp_bits;

} // namespace

bool TcpLayer::port_in_use(u16 port) const
{
    for (const auto& listener : m_listeners) {
        if (listener.open && listener.port == port)
            return true;
    }
    for (const auto& c : m_connections) {
        if (c.in_use && c.local_port == port)
            return true;
    }
    return false;
}

Result<usize> TcpLayer::connect(Ipv4Address remote, u16 port, u64 now_ns)
{
    if (remote == 0 || remote == 0xFFFFFFFFu || (remote >> 28) == 0xE || port == 0)
        return Error::from("TCP connect needs a unicast address and a port", ErrorKind::Invalid);
    // As for a SYN received (free_slot): a full table gives up its oldest TIME_WAIT, so that
    // programs that connect and close cannot fill the table with TIME_WAITs for 30 s.
    Connection* slot = free_slot();
    if (!slot)
        return Error::from("all TCP connections are in use", ErrorKind::OutOfMemory);
    // NOTE: a port is not reused while any connection holds it (TIME_WAIT included), so a new
    // connection never meets the old one's segments; 16384 ports for 16 connections.
    u16 local_port = 0;
    constexpr u32 kEphemeralPorts = 65536 - kFirstEphemeralPort;
    for (u32 tries = 0; tries < kEphemeralPorts && !local_port; ++tries) {
        u16 candidate = m_next_ephemeral;
        m_next_ephemeral = candidate == 0xFFFF ? kFirstEphemeralPort : static_cast<u16>(candidate + 1);
        if (!port_in_use(candidate))
            local_port = candidate;
    }
    if (!local_port)
        return Error::from("no ephemeral TCP port is free", ErrorKind::OutOfMemory);
    if (slot->in_use)
        ++m_counters.time_wait_reused;
    Connection& c = *slot;
    reset_slot(c);
    c.in_use = true;
    c.window_scaling = true; // offered; the SYN+ACK says whether the peer agrees
    c.sack = true;           // the same
    c.receive_shift = kOurWindowShift;
    c.owned = true;
    c.state = TcpState::SynSent;
    c.remote = remote;
    c.remote_port = port;
    c.local_port = local_port;
    c.iss = next_random();
    c.snd_una = c.iss;
    c.snd_nxt = c.iss + 1;
    c.snd_max = c.snd_nxt;
    c.timer_ns = now_ns + c.rto_ns;
    start_rtt_timing(c, c.iss, now_ns);
    ++m_counters.connects;
    send_segment(c, c.iss, kSyn, {}, now_ns);
    return static_cast<usize>(&c - m_connections);
}

void TcpLayer::handle_syn_sent(Connection& c, const Segment& segment, u64 now_ns)
{
    bool has_ack = (segment.flags & kAck) != 0;
    if (has_ack && (seq_le(segment.acknowledgment, c.iss) || seq_lt(c.snd_nxt, segment.acknowledgment))) {
        if (!(segment.flags & kRst))
            send_reset_for(c.remote, segment, now_ns); // an old connection's segment
        return;
    }
    if (segment.flags & kRst) {
        // Only a RST that acknowledges our SYN refuses the connection (RFC 5961, 3.2 leaves
        // a RST without ACK in SYN_SENT to be dropped).
        if (has_ack) {
            ++m_counters.resets_received;
            ++m_counters.refused;
            c.reset = true;
            c.failure = TcpFailure::Refused;
            release(c);
        }
        return;
    }
    // NOTE: a SYN without ACK (a simultaneous open) is dropped: our SYN's retransmission
    // gets the peer's SYN+ACK, or the open times out.
    if (!(segment.flags & kSyn) || !has_ack)
        return;
    c.rcv_nxt = segment.sequence + 1;
    c.snd_una = segment.acknowledgment;
    if (segment.window_shift >= 0) {
        c.send_shift = static_cast<u8>(segment.window_shift);
    } else {
        c.window_scaling = false; // RFC 7323: neither side scales
        c.receive_shift = 0;
    }
    c.sack = segment.sack_permitted;
    c.snd_wnd = segment.window; // a SYN's: never scaled
    c.peer_mss = segment.mss ? (segment.mss < kOurMss ? segment.mss : kOurMss) : kDefaultMss;
    if (c.peer_mss < 64)
        c.peer_mss = 64; // NOTE: a tiny MSS would turn every byte into a segment
    c.state = TcpState::Established;
    congestion_start(c);
    c.retries = 0;
    rtt_acknowledged(c, segment.acknowledgment, now_ns); // the handshake's round trip
    c.timer_ns = 0;
    // Data on the SYN+ACK is not taken: the ACK asks for it again.
    send_ack(c, now_ns);
}

} // namespace wk::kernel::net
