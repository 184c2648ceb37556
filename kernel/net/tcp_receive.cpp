// What a connection receives: bytes in order into the receive ring, and segments past a gap
// kept in the ring's free space at their place (RFC 9293, 3.10.7.4), their ranges in a small
// table, until the gap fills.
#include "kernel/net/tcp.h"
#include "kernel/net/tcp_internal.h"

namespace wk::kernel::net {

namespace {

using namespace tcp_bits;

} // namespace

void TcpLayer::queue_out_of_order(Connection& c, u32 sequence, std::span<const u8> data, bool fin)
{
    // Only what fits the free space from rcv_nxt on is kept (the window we advertised, or
    // more): memory never grows, whatever the peer sends.
    u32 offset = sequence - c.rcv_nxt;
    usize space = kBufferBytes - c.rx_count;
    if (!seq_lt(c.rcv_nxt, sequence) || offset >= space) {
        ++m_counters.out_of_order_dropped;
        return;
    }
    if (data.size() > space - offset) {
        data = data.first(space - offset);
        fin = false;
    }
    if (fin && !c.queued_fin) {
        c.queued_fin = true;
        c.queued_fin_sequence = sequence + static_cast<u32>(data.size());
    }
    if (data.empty())
        return;
    u32 start = sequence;
    u32 end = sequence + static_cast<u32>(data.size());
    // The new range absorbs every range it overlaps or touches; a range that touches none
    // needs a free entry, else the segment is dropped (the peer sends it again).
    usize touching = 0;
    for (usize i = 0; i < c.ooo_count; ++i)
        touching += seq_le(c.ooo[i].start, end) && seq_le(start, c.ooo[i].end);
    if (!touching && c.ooo_count == kOutOfOrderRanges) {
        ++m_counters.out_of_order_dropped;
        return;
    }
    ring_write(c.rx, kBufferBytes, (c.rx_head + c.rx_count + offset) % kBufferBytes, data);
    usize kept = 0;
    for (usize i = 0; i < c.ooo_count; ++i) {
        auto range = c.ooo[i];
        if (seq_le(range.start, end) && seq_le(start, range.end)) {
            start = seq_lt(range.start, start) ? range.start : start;
            end = seq_lt(end, range.end) ? range.end : end;
        } else {
            c.ooo[kept++] = range;
        }
    }
    // Sorted by start: the first range is the one the gap's filling reaches first.
    usize position = kept;
    while (position > 0 && seq_lt(start, c.ooo[position - 1].start)) {
        c.ooo[position] = c.ooo[position - 1];
        --position;
    }
    c.ooo[position] = OutOfOrderRange { start, end };
    c.ooo_count = static_cast<u8>(kept + 1);
    c.sack_recent = sequence;
    ++m_counters.out_of_order_queued;
}

usize TcpLayer::sack_blocks(const Connection& c, OutOfOrderRange* out)
{
    usize count = 0;
    usize recent = c.ooo_count;
    for (usize i = 0; i < c.ooo_count; ++i) {
        if (seq_le(c.ooo[i].start, c.sack_recent) && seq_lt(c.sack_recent, c.ooo[i].end))
            recent = i;
    }
    if (recent < c.ooo_count)
        out[count++] = c.ooo[recent];
    for (usize i = 0; i < c.ooo_count && count < kMaxSackBlocks; ++i) {
        if (i != recent)
            out[count++] = c.ooo[i];
    }
    return count;
}

bool TcpLayer::take_in_order(Connection& c, std::span<const u8> data, bool fin, u64 now_ns)
{
    bool acknowledge = false;
    bool receiving = can_receive(c);
    usize taken = 0;
    if (!data.empty() && receiving) {
        usize space = kBufferBytes - c.rx_count;
        taken = data.size() < space ? data.size() : space;
        // NOTE: an owner that closed reads no more: its bytes are acknowledged and dropped, so
        // that a peer still sending (a request the owner refused) is not stalled by a window
        // nobody would open before it reads our answer and FIN.
        if (c.owner_closed)
            taken = data.size();
        if (!c.owner_closed) {
            ring_write(c.rx, kBufferBytes, (c.rx_head + c.rx_count) % kBufferBytes, data.first(taken));
            c.rx_count = static_cast<u32>(c.rx_count + taken);
        }
        c.rcv_nxt += static_cast<u32>(taken);
        acknowledge = true;
    } else if (!data.empty()) {
        acknowledge = true; // after their FIN: nothing more is taken
    }
    bool fin_now = fin && taken == data.size();
    // The gap may be filled: queued ranges reaching rcv_nxt become readable.
    while (c.ooo_count && seq_le(c.ooo[0].start, c.rcv_nxt)) {
        if (seq_lt(c.rcv_nxt, c.ooo[0].end)) {
            c.rx_count += c.ooo[0].end - c.rcv_nxt;
            c.rcv_nxt = c.ooo[0].end;
        }
        for (usize i = 1; i < c.ooo_count; ++i)
            c.ooo[i - 1] = c.ooo[i];
        --c.ooo_count;
    }
    if (c.queued_fin && c.queued_fin_sequence == c.rcv_nxt)
        fin_now = true;
    else if (c.queued_fin && seq_lt(c.queued_fin_sequence, c.rcv_nxt))
        c.queued_fin = false; // the peer sent data past its own FIN: that FIN was a lie
    if (fin_now && !c.fin_received && receiving) {
        c.fin_received = true;
        c.rcv_nxt += 1;
        acknowledge = true;
        if (c.state == TcpState::Established)
            c.state = TcpState::CloseWait;
        else if (c.state == TcpState::FinWait1)
            c.state = TcpState::Closing;
        else if (c.state == TcpState::FinWait2)
            enter_time_wait(c, now_ns);
    } else if (fin && c.state == TcpState::TimeWait) {
        acknowledge = true; // our last ACK was lost
        c.timer_ns = now_ns + kTimeWaitNs;
    }
    return acknowledge;
}

void TcpLayer::drop_received(Connection& c)
{
    c.rx_head = static_cast<u32>((c.rx_head + c.rx_count) % kBufferBytes);
    c.rx_count = 0;
    c.ooo_count = 0;
    c.queued_fin = false;
}

} // namespace wk::kernel::net
