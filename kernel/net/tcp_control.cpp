// The retransmission timer (RFC 6298): the round trip measured on one segment at a time,
// never on one sent again (Karn's rule), smoothed into SRTT and RTTVAR. Congestion control:
// NewReno (RFC 5681 slow start and congestion avoidance, fast retransmit on the third
// duplicate ACK, and RFC 6582's fast recovery, which sends each hole again on a partial ACK).
#include "kernel/net/tcp.h"
#include "kernel/net/tcp_internal.h"

namespace wk::kernel::net {

namespace {

using namespace tcp_bits;

constexpr u32 kMaxCwnd = 1u << 30;

u64 clamp_rto(u64 rto_ns)
{
    if (rto_ns < TcpLayer::kMinRtoNs)
        return TcpLayer::kMinRtoNs;
    return rto_ns > TcpLayer::kMaxRtoNs ? TcpLayer::kMaxRtoNs : rto_ns;
}

} // namespace

void TcpLayer::start_rtt_timing(Connection& c, u32 sequence, u64 now_ns)
{
    if (c.rtt_start_ns)
        return;
    c.rtt_start_ns = now_ns ? now_ns : 1; // NOTE: 0 means "nothing timed"
    c.rtt_sequence = sequence;
}

void TcpLayer::rtt_acknowledged(Connection& c, u32 ack, u64 now_ns)
{
    if (!c.rtt_start_ns || !seq_lt(c.rtt_sequence, ack))
        return;
    u64 sample = now_ns > c.rtt_start_ns ? now_ns - c.rtt_start_ns : 0;
    c.rtt_start_ns = 0;
    ++m_counters.rtt_samples;
    if (!c.srtt_ns) {
        // The first measurement: SRTT = R, RTTVAR = R / 2 (a sample of 0 counts as 1 ns).
        c.srtt_ns = sample ? sample : 1;
        c.rttvar_ns = sample / 2;
    } else {
        u64 deviation = c.srtt_ns > sample ? c.srtt_ns - sample : sample - c.srtt_ns;
        c.rttvar_ns = (3 * c.rttvar_ns + deviation) / 4;
        c.srtt_ns = (7 * c.srtt_ns + sample) / 8;
        if (!c.srtt_ns)
            c.srtt_ns = 1;
    }
    rto_from_estimate(c);
}

void TcpLayer::rto_from_estimate(Connection& c)
{
    if (!c.srtt_ns) {
        c.rto_ns = kInitialRtoNs;
        return;
    }
    u64 variance = 4 * c.rttvar_ns;
    c.rto_ns = clamp_rto(c.srtt_ns + (variance > kClockGranularityNs ? variance : kClockGranularityNs));
}

void TcpLayer::rtt_backoff(Connection& c)
{
    c.rtt_start_ns = 0; // Karn: what is sent again is not timed
    c.rto_ns = c.rto_ns * 2 > kMaxRtoNs ? kMaxRtoNs : c.rto_ns * 2;
}

void TcpLayer::congestion_start(Connection& c)
{
    // RFC 5681, 3.1: IW = min(4 SMSS, max(2 SMSS, 4380)).
    u32 mss = c.peer_mss;
    u32 floor = 2 * mss > 4380 ? 2 * mss : 4380;
    c.cwnd = 4 * mss < floor ? 4 * mss : floor;
    c.ssthresh = 0xFFFFFFFFu;
    c.recover = c.iss;
    c.duplicate_acks = 0;
    c.in_recovery = false;
}

void TcpLayer::congestion_acked(Connection& c, u32 acked, u64 now_ns)
{
    u32 mss = c.peer_mss;
    c.duplicate_acks = 0;
    // NOTE: recover trails snd_una outside recovery, so that after 2 GiB the sequence
    // comparison with it (modulo 2^32) cannot turn and keep fast retransmit off.
    if (!c.in_recovery && seq_lt(c.recover, c.snd_una))
        c.recover = c.snd_una;
    if (c.in_recovery) {
        if (!seq_lt(c.snd_una, c.recover)) {
            // A full ACK: recovery ends with the window at ssthresh (RFC 6582, 3.2 step 3,
            // the option that avoids a burst: min(ssthresh, FlightSize + SMSS)).
            u32 flight = c.snd_max - c.snd_una;
            u32 deflated = (flight > mss ? flight : mss) + mss;
            c.cwnd = deflated < c.ssthresh ? deflated : c.ssthresh;
            c.in_recovery = false;
            return;
        }
        // A partial ACK: the next hole goes at once, the window shrinks by what was
        // acknowledged and grows by one segment if that was at least one (RFC 6582, 3.2 step 4).
        retransmit_first(c, now_ns);
        c.cwnd = acked < c.cwnd ? c.cwnd - acked : 0;
        if (acked >= mss)
            c.cwnd += mss;
        if (c.cwnd < mss)
            c.cwnd = mss;
        return;
    }
    if (c.cwnd < c.ssthresh)
        c.cwnd += acked < mss ? acked : mss; // slow start (appropriate byte counting, L = 1)
    else
        c.cwnd += mss * mss / c.cwnd > 0 ? mss * mss / c.cwnd : 1; // about a segment per round trip
    if (c.cwnd > kMaxCwnd)
        c.cwnd = kMaxCwnd;
}

void TcpLayer::congestion_duplicate(Connection& c, u64 now_ns)
{
    u32 mss = c.peer_mss;
    if (c.in_recovery) {
        c.cwnd = c.cwnd + mss > kMaxCwnd ? kMaxCwnd : c.cwnd + mss; // a segment left the network
        return;
    }
    if (++c.duplicate_acks != 3)
        return;
    // RFC 6582, 3.2 step 2: only when this ACK covers what was sent before the last
    // recovery or timeout (recover); else the duplicates are that episode's echoes.
    if (seq_lt(c.snd_una, c.recover))
        return;
    u32 flight = c.snd_max - c.snd_una;
    c.ssthresh = flight / 2 > 2 * mss ? flight / 2 : 2 * mss;
    c.recover = c.snd_max;
    c.in_recovery = true;
    retransmit_first(c, now_ns);
    c.cwnd = c.ssthresh + 3 * mss;
}

void TcpLayer::congestion_timeout(Connection& c)
{
    // RFC 5681, 3.1 (4): ssthresh from the first timeout of a series only; the window goes
    // down to one segment, and RFC 6582's recover marks what was sent so far.
    u32 mss = c.peer_mss;
    if (c.retries == 1) {
        u32 flight = c.snd_max - c.snd_una;
        c.ssthresh = flight / 2 > 2 * mss ? flight / 2 : 2 * mss;
    }
    c.cwnd = mss;
    c.recover = c.snd_max;
    c.in_recovery = false;
    c.duplicate_acks = 0;
}

void TcpLayer::retransmit_first(Connection& c, u64 now_ns)
{
    c.rtt_start_ns = 0; // Karn
    ++m_counters.fast_retransmits;
    u32 outstanding = c.snd_max - c.snd_una;
    if (c.fin_numbered && seq_lt(c.fin_sequence, c.snd_max))
        --outstanding;
    usize length = outstanding < c.tx_count ? outstanding : c.tx_count;
    if (length > c.peer_mss)
        length = c.peer_mss;
    if (length) {
        send_data(c, c.snd_una, 0, length, now_ns);
        return;
    }
    if (c.fin_numbered && seq_lt(c.fin_sequence, c.snd_max))
        send_segment(c, c.fin_sequence, kAck | kFin, {}, now_ns);
}

TcpLayer::Info TcpLayer::info(usize connection) const
{
    if (connection >= kConnections)
        return {};
    const auto& c = m_connections[connection];
    return Info { c.srtt_ns, c.rttvar_ns, c.rto_ns, c.ooo_count, c.cwnd, c.ssthresh, c.in_recovery,
                  c.window_scaling, c.send_shift, c.receive_shift, c.snd_wnd };
}

} // namespace wk::kernel::net
