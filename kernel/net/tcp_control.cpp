// The retransmission timer (RFC 6298): the round trip measured on one segment at a time,
// never on one sent again (Karn's rule), smoothed into SRTT and RTTVAR.
#include "kernel/net/tcp.h"

namespace wk::kernel::net {

namespace {

bool seq_lt(u32 a, u32 b) { return static_cast<i32>(a - b) < 0; }

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
    u64 variance = 4 * c.rttvar_ns;
    c.rto_ns = clamp_rto(c.srtt_ns + (variance > kClockGranularityNs ? variance : kClockGranularityNs));
}

void TcpLayer::rtt_backoff(Connection& c)
{
    c.rtt_start_ns = 0; // Karn: what is sent again is not timed
    c.rto_ns = c.rto_ns * 2 > kMaxRtoNs ? kMaxRtoNs : c.rto_ns * 2;
}

TcpLayer::Info TcpLayer::info(usize connection) const
{
    if (connection >= kConnections)
        return {};
    const auto& c = m_connections[connection];
    return Info { c.srtt_ns, c.rttvar_ns, c.rto_ns, c.ooo_count };
}

} // namespace wk::kernel::net
