#include "kernel/net/tcp.h"
#include "kernel/net/tcp_internal.h"

namespace wk::kernel::net {

namespace {

constexpr usize kHeader = 20;
constexpr u8 kProtocolTcp = 6;

using namespace tcp_bits;

} // namespace

const char* tcp_state_name(TcpState state)
{
    switch (state) {
    case TcpState::Closed:
        return "CLOSED";
    case TcpState::SynSent:
        return "SYN_SENT";
    case TcpState::SynReceived:
        return "SYN_RECEIVED";
    case TcpState::Established:
        return "ESTABLISHED";
    case TcpState::CloseWait:
        return "CLOSE_WAIT";
    case TcpState::LastAck:
        return "LAST_ACK";
    case TcpState::FinWait1:
        return "FIN_WAIT_1";
    case TcpState::FinWait2:
        return "FIN_WAIT_2";
    case TcpState::Closing:
        return "CLOSING";
    case TcpState::TimeWait:
        return "TIME_WAIT";
    }
    return "?";
}

u32 TcpLayer::next_random()
{
    // xorshift32: initial sequence numbers the peer cannot guess from the last one.
    // NOTE: RFC 6528 asks for a keyed hash of the connection's addresses plus a clock; the
    // seed comes from the kernel's entropy at start.
    m_random ^= m_random << 13;
    m_random ^= m_random >> 17;
    m_random ^= m_random << 5;
    return m_random;
}

TcpLayer::Connection* TcpLayer::find(Ipv4Address remote, u16 remote_port, u16 local_port)
{
    for (auto& c : m_connections) {
        if (c.in_use && c.state != TcpState::Closed && c.remote == remote && c.remote_port == remote_port
            && c.local_port == local_port)
            return &c;
    }
    return nullptr;
}

TcpLayer::Connection* TcpLayer::free_slot()
{
    Connection* oldest = nullptr;
    for (auto& c : m_connections) {
        if (!c.in_use)
            return &c;
        // NOTE: RFC 9293 keeps TIME_WAIT for 2 MSL so that old duplicates of this connection
        // die before its addresses are used again; a new connection here has other addresses
        // (or, for the same ones, a SYN past the old sequence space, see receive), so ending
        // it early risks only a late ACK for it being answered with RST.
        if (c.state == TcpState::TimeWait && (!c.owned || c.owner_closed)
            && (!oldest || c.timer_ns < oldest->timer_ns))
            oldest = &c;
    }
    return oldest;
}

usize TcpLayer::connections_in_use() const
{
    usize count = 0;
    for (auto& c : m_connections)
        count += c.in_use;
    return count;
}

void TcpLayer::receive(Ipv4Address from, Ipv4Address to, std::span<const u8> bytes, u64 now_ns)
{
    ++m_counters.segments_in;
    if (bytes.size() < kHeader) {
        ++m_counters.malformed;
        return;
    }
    const u8* p = bytes.data();
    usize header = usize(p[12] >> 4) * 4;
    if (header < kHeader || header > bytes.size()) {
        ++m_counters.malformed;
        return;
    }
    u32 sum = pseudo_header_sum(from, to, kProtocolTcp, static_cast<u16>(bytes.size()));
    if (checksum_finish(checksum_add(bytes, sum)) != 0) {
        ++m_counters.bad_checksum;
        return;
    }
    Segment segment { load_be16(p), load_be16(p + 2), load_be32(p + 4), load_be32(p + 8), p[13], load_be16(p + 14), 0, -1,
                      bytes.subspan(header), false };
    // Options: MSS, window scale and SACK-permitted are used (on a SYN only); every length is
    // checked against the header. The peer's SACK blocks are not read (we send no SACK-based
    // retransmissions: RFC 2018's receive side only).
    for (usize at = kHeader; at < header;) {
        u8 kind = p[at];
        if (kind == 0)
            break;
        if (kind == 1) {
            ++at;
            continue;
        }
        if (at + 1 >= header || p[at + 1] < 2 || at + p[at + 1] > header) {
            ++m_counters.malformed;
            return;
        }
        if (kind == 2 && p[at + 1] == 4)
            segment.mss = load_be16(p + at + 2);
        if (kind == 3 && p[at + 1] == 3)
            segment.window_shift = static_cast<i8>(p[at + 2] < kMaxWindowShift ? p[at + 2] : kMaxWindowShift);
        if (kind == 4 && p[at + 1] == 2)
            segment.sack_permitted = true;
        at += p[at + 1];
    }
    if (segment.source_port == 0 || segment.destination_port == 0) {
        ++m_counters.malformed;
        return;
    }
    Connection* c = find(from, segment.source_port, segment.destination_port);
    if (c && c->state == TcpState::TimeWait && (segment.flags & (kSyn | kAck | kFin | kRst)) == kSyn
        && seq_lt(c->rcv_nxt, segment.sequence)) {
        // A new connection with the same addresses, its SYN past the old one's sequence space
        // (RFC 9293, 3.10.7.4): TIME_WAIT ends, the SYN goes to the listener.
        ++m_counters.time_wait_reused;
        c->timer_ns = 0;
        release(*c);
        c = nullptr;
    }
    if (c) {
        handle(*c, segment, now_ns);
        return;
    }
    if (segment.flags & kRst)
        return;
    if ((segment.flags & (kSyn | kAck | kFin)) == kSyn) {
        for (usize i = 0; i < kListeners; ++i) {
            if (m_listeners[i].open && m_listeners[i].port == segment.destination_port) {
                accept_syn(from, segment, now_ns);
                return;
            }
        }
    }
    send_reset_for(from, segment, now_ns);
}

void TcpLayer::accept_syn(Ipv4Address from, const Segment& segment, u64 now_ns)
{
    i8 listener = -1;
    for (usize i = 0; i < kListeners; ++i) {
        if (m_listeners[i].open && m_listeners[i].port == segment.destination_port)
            listener = static_cast<i8>(i);
    }
    usize waiting = 0;
    for (auto& c : m_connections) {
        if (c.in_use && c.listener == listener && !c.owned)
            ++waiting;
    }
    Connection* slot = waiting < m_listeners[listener].backlog ? free_slot() : nullptr;
    if (!slot) {
        ++m_counters.syn_dropped;
        return;
    }
    if (slot->in_use)
        ++m_counters.time_wait_reused;
    Connection& c = *slot;
    reset_slot(c);
    c.in_use = true;
    c.state = TcpState::SynReceived;
    if (segment.window_shift >= 0) {
        c.window_scaling = true;
        c.send_shift = static_cast<u8>(segment.window_shift);
        c.receive_shift = kOurWindowShift;
    }
    c.sack = segment.sack_permitted;
    c.listener = listener;
    c.remote = from;
    c.remote_port = segment.source_port;
    c.local_port = segment.destination_port;
    c.peer_mss = segment.mss ? (segment.mss < kOurMss ? segment.mss : kOurMss) : kDefaultMss;
    if (c.peer_mss < 64)
        c.peer_mss = 64; // NOTE: a tiny MSS would turn every byte into a segment
    c.iss = next_random();
    c.snd_una = c.iss;
    c.snd_nxt = c.iss + 1;
    c.snd_max = c.snd_nxt;
    c.snd_wnd = segment.window;
    c.rcv_nxt = segment.sequence + 1;
    c.timer_ns = now_ns + c.rto_ns;
    congestion_start(c);
    start_rtt_timing(c, c.iss, now_ns);
    send_segment(c, c.iss, kSyn | kAck, {}, now_ns);
}

bool TcpLayer::send_raw(const Endpoint& to, u32 sequence, u32 acknowledgment, u8 flags, u16 window, std::span<const u8> data,
                        u64 now_ns, const Options& options)
{
    bool syn = (flags & kSyn) != 0;
    usize blocks = syn ? 0 : options.sack_blocks.size();
    usize header = syn ? kHeader + 4 + (options.window_shift >= 0 ? 4 : 0) + (options.sack_permitted ? 4 : 0)
                       : kHeader + (blocks ? 4 + 8 * blocks : 0);
    u8* s = m_segment;
    store_be16(s, to.local_port);
    store_be16(s + 2, to.remote_port);
    store_be32(s + 4, sequence);
    store_be32(s + 8, (flags & kAck) ? acknowledgment : 0);
    s[12] = static_cast<u8>((header / 4) << 4);
    s[13] = flags;
    store_be16(s + 14, window);
    store_be16(s + 16, 0);
    store_be16(s + 18, 0);
    usize at = kHeader;
    if (syn) {
        s[at] = 2;
        s[at + 1] = 4;
        store_be16(s + at + 2, kOurMss);
        at += 4;
        if (options.window_shift >= 0) {
            s[at] = 1; // NOP, so that the header stays a multiple of 4
            s[at + 1] = 3;
            s[at + 2] = 3;
            s[at + 3] = static_cast<u8>(options.window_shift);
            at += 4;
        }
        if (options.sack_permitted) {
            s[at] = 1;
            s[at + 1] = 1;
            s[at + 2] = 4;
            s[at + 3] = 2;
        }
    } else if (blocks) {
        s[at] = 1;
        s[at + 1] = 1;
        s[at + 2] = 5;
        s[at + 3] = static_cast<u8>(2 + 8 * blocks);
        at += 4;
        for (auto& block : options.sack_blocks) {
            store_be32(s + at, block.start);
            store_be32(s + at + 4, block.end);
            at += 8;
        }
    }
    __builtin_memcpy(s + header, data.data(), data.size());
    if (!options.data_tail.empty())
        __builtin_memcpy(s + header + data.size(), options.data_tail.data(), options.data_tail.size());
    usize length = header + data.size() + options.data_tail.size();
    u32 sum = pseudo_header_sum(m_output.tcp_local_address(), to.remote, kProtocolTcp, static_cast<u16>(length));
    store_be16(s + 16, checksum_finish(checksum_add({ s, length }, sum)));
    if (!m_output.send_tcp_segment(to.remote, { s, length }, now_ns))
        return false;
    ++m_counters.segments_out;
    return true;
}

bool TcpLayer::send_segment(Connection& c, u32 sequence, u8 flags, std::span<const u8> data, u64 now_ns,
                            std::span<const u8> tail)
{
    // RFC 7323: a SYN's window is never scaled, every later one is.
    bool syn = (flags & kSyn) != 0;
    u32 window = receive_window(c) >> (syn ? 0 : c.receive_shift);
    Options options;
    options.window_shift = syn && c.window_scaling ? static_cast<i8>(c.receive_shift) : -1;
    options.sack_permitted = syn && c.sack;
    options.data_tail = tail;
    // RFC 2018: an ACK while bytes wait past a gap lists their ranges, the latest segment's
    // first (only on segments without data, which have room for them).
    OutOfOrderRange blocks[kMaxSackBlocks];
    if (!syn && c.sack && data.empty() && tail.empty() && c.ooo_count)
        options.sack_blocks = std::span<const OutOfOrderRange>(blocks, sack_blocks(c, blocks));
    bool sent = send_raw(Endpoint { c.remote, c.remote_port, c.local_port }, sequence, c.rcv_nxt, flags,
                         static_cast<u16>(window > 0xFFFF ? 0xFFFF : window), data, now_ns, options);
    if (sent && (flags & kAck))
        c.ack_pending = false; // it carried rcv_nxt and the window: what an owed ACK would say
    return sent;
}

void TcpLayer::send_ack(Connection& c, u64 now_ns)
{
    if (!send_segment(c, c.snd_nxt, kAck, {}, now_ns))
        c.ack_pending = true; // tick() sends it when the device has room again
}

bool TcpLayer::send_data(Connection& c, u32 sequence, usize offset, usize length, u64 now_ns)
{
    // The ring's one or two pieces go straight into the segment (no gathering copy first).
    usize at = (c.tx_head + offset) % kSendBufferBytes;
    usize first = length < kSendBufferBytes - at ? length : kSendBufferBytes - at;
    return send_segment(c, sequence, kAck | kPsh, { c.tx + at, first }, now_ns, { c.tx, length - first });
}

u32 TcpLayer::peer_window(const Connection& c, const Segment& segment)
{
    return (segment.flags & kSyn) ? segment.window : u32(segment.window) << c.send_shift;
}

void TcpLayer::send_reset_for(Ipv4Address to, const Segment& segment, u64 now_ns)
{
    // RFC 9293, 3.10.7.1: no connection. An ACK gets RST with its acknowledgment as sequence;
    // anything else gets RST+ACK acknowledging all it occupied.
    Endpoint endpoint { to, segment.source_port, segment.destination_port };
    ++m_counters.resets_sent;
    if (segment.flags & kAck) {
        send_bare(endpoint, segment.acknowledgment, 0, kRst, now_ns);
        return;
    }
    u32 length = static_cast<u32>(segment.data.size()) + ((segment.flags & kSyn) ? 1 : 0) + ((segment.flags & kFin) ? 1 : 0);
    send_bare(endpoint, 0, segment.sequence + length, kRst | kAck, now_ns);
}

void TcpLayer::release(Connection& c)
{
    c.state = TcpState::Closed;
    if (!c.owned || c.owner_closed)
        c.in_use = false;
}

void TcpLayer::enter_time_wait(Connection& c, u64 now_ns)
{
    c.state = TcpState::TimeWait;
    c.timer_ns = now_ns + kTimeWaitNs;
}

void TcpLayer::sync_sent(Connection& c)
{
    if (seq_lt(c.snd_nxt, c.snd_una))
        c.snd_nxt = c.snd_una;
    c.fin_sent = c.fin_numbered && seq_lt(c.fin_sequence, c.snd_nxt);
    u32 data = c.snd_nxt - c.snd_una - (c.fin_sent ? 1 : 0);
    c.tx_sent = data < c.tx_count ? data : c.tx_count;
}

void TcpLayer::process_ack(Connection& c, const Segment& segment, u64 now_ns)
{
    u32 ack = segment.acknowledgment;
    if (seq_lt(c.snd_max, ack)) {
        send_ack(c, now_ns); // acknowledges what we never sent
        return;
    }
    u32 window = peer_window(c, segment);
    if (ack == c.snd_una && segment.data.empty() && !(segment.flags & (kSyn | kFin)) && c.snd_una != c.snd_max
        && window == c.snd_wnd && window != 0 && c.state != TcpState::SynReceived) {
        congestion_duplicate(c, now_ns); // RFC 5681's duplicate ACK
        return;
    }
    if (seq_lt(c.snd_una, ack)) {
        u32 newly = ack - c.snd_una;
        u32 acked = newly;
        if (c.state == TcpState::SynReceived || c.snd_una == c.iss)
            --acked; // our SYN
        bool fin_acked = c.fin_numbered && seq_lt(c.fin_sequence, ack);
        if (fin_acked && acked > 0)
            --acked;
        if (acked > c.tx_count)
            acked = c.tx_count;
        c.tx_head = static_cast<u32>((c.tx_head + acked) % kSendBufferBytes);
        c.tx_count -= acked;
        c.snd_una = ack;
        // After a timeout snd_nxt went back; the peer may have had more than it resent.
        if (seq_lt(c.snd_nxt, ack))
            c.snd_nxt = ack;
        sync_sent(c);
        c.retries = 0;
        rtt_acknowledged(c, ack, now_ns);
        if (c.state != TcpState::SynReceived)
            congestion_acked(c, newly, now_ns);
        // RFC 6298, 5.3: the timer restarts for what is still unacknowledged.
        c.timer_ns = c.snd_una == c.snd_max ? 0 : now_ns + c.rto_ns;
        if (c.state == TcpState::SynReceived)
            c.state = TcpState::Established;
        if (fin_acked) {
            if (c.state == TcpState::FinWait1)
                c.state = TcpState::FinWait2;
            else if (c.state == TcpState::Closing)
                enter_time_wait(c, now_ns);
            else if (c.state == TcpState::LastAck) {
                release(c);
                return;
            }
        }
    }
    if (seq_le(c.snd_una, ack)) {
        bool was_closed = c.snd_wnd == 0;
        c.snd_wnd = window;
        // NOTE: a peer that answers our probes of its zero window is there: the probes go on
        // (their interval backed off to 60 s) for as long as it answers.
        if (window == 0)
            c.retries = 0;
        if (window && was_closed) {
            // The window opened: the probes' backoff was no loss, and a probe's byte that the
            // peer did not take goes again at once with the rest.
            rto_from_estimate(c);
            if (ack == c.snd_una && c.snd_nxt != c.snd_una) {
                c.snd_nxt = c.snd_una;
                sync_sent(c);
                c.timer_ns = now_ns + c.rto_ns;
            }
        }
    }
}

void TcpLayer::handle(Connection& c, const Segment& segment, u64 now_ns)
{
    heard_from_peer(c, now_ns);
    if (c.state == TcpState::SynSent) {
        handle_syn_sent(c, segment, now_ns);
        return;
    }
    u32 length = static_cast<u32>(segment.data.size());
    if (segment.flags & kRst) {
        // RFC 5961: only an exact match resets; a RST elsewhere in the window gets a
        // challenge ACK, one outside is ignored (blind reset attacks must guess exactly).
        if (segment.sequence == c.rcv_nxt) {
            ++m_counters.resets_received;
            c.reset = true;
            c.failure = TcpFailure::Reset;
            release(c);
        } else if (seq_le(c.rcv_nxt, segment.sequence) && seq_lt(segment.sequence, c.rcv_nxt + receive_window(c))) {
            send_ack(c, now_ns);
        }
        return;
    }
    if (c.state == TcpState::SynReceived && (segment.flags & kSyn) && !(segment.flags & kAck)
        && segment.sequence + 1 == c.rcv_nxt) {
        send_segment(c, c.iss, kSyn | kAck, {}, now_ns); // our SYN+ACK was lost
        return;
    }
    if (segment.flags & kSyn) {
        send_ack(c, now_ns); // RFC 5961 challenge ACK
        return;
    }
    if (!(segment.flags & kAck))
        return;
    if (c.state == TcpState::SynReceived && (seq_le(segment.acknowledgment, c.iss) || seq_lt(c.snd_max, segment.acknowledgment))) {
        send_reset_for(c.remote, segment, now_ns);
        return;
    }
    // Data or FIN delivered in order from rcv_nxt (a retransmission overlapping what we have
    // is trimmed to its new part); data beyond rcv_nxt goes to the out-of-order queue.
    u32 sequence = segment.sequence;
    auto data = segment.data;
    if ((length || (segment.flags & kFin)) && seq_lt(sequence, c.rcv_nxt)) {
        u32 old = c.rcv_nxt - sequence;
        if (old > length || (old == length && !(segment.flags & kFin))) {
            process_ack(c, segment, now_ns);
            if (c.in_use)
                send_ack(c, now_ns); // a duplicate: tell the peer where we are
            return;
        }
        data = data.subspan(old);
        sequence = c.rcv_nxt;
    }
    process_ack(c, segment, now_ns);
    if (!c.in_use || c.state == TcpState::Closed)
        return;
    bool fin = (segment.flags & kFin) != 0;
    if ((data.size() || fin) && sequence != c.rcv_nxt) {
        ++m_counters.out_of_order;
        if (can_receive(c) && !c.owner_closed)
            queue_out_of_order(c, sequence, data, fin);
        send_ack(c, now_ns); // a duplicate ACK: the peer's fast retransmit counts them
        push(c, now_ns);
        return;
    }
    if (take_in_order(c, data, fin, now_ns))
        send_ack(c, now_ns);
    push(c, now_ns);
}

void TcpLayer::push(Connection& c, u64 now_ns)
{
    bool can_send = c.state == TcpState::Established || c.state == TcpState::CloseWait || c.state == TcpState::FinWait1
        || c.state == TcpState::LastAck;
    if (!can_send)
        return;
    for (;;) {
        u32 in_flight = c.snd_nxt - c.snd_una;
        u32 limit = c.snd_wnd < c.cwnd ? c.snd_wnd : c.cwnd;
        u32 window = limit > in_flight ? limit - in_flight : 0;
        usize unsent = c.tx_count - c.tx_sent;
        if (unsent == 0 || window == 0)
            break;
        usize chunk = unsent < c.peer_mss ? unsent : c.peer_mss;
        if (chunk > window)
            chunk = window;
        if (!send_data(c, c.snd_nxt, c.tx_sent, chunk, now_ns))
            break; // the device's ring is full: the rest goes on the next ACK or tick
        if (!seq_lt(c.snd_nxt, c.snd_max))
            start_rtt_timing(c, c.snd_nxt, now_ns); // new data, not sent before
        c.tx_sent += static_cast<u32>(chunk);
        c.snd_nxt += static_cast<u32>(chunk);
        if (seq_lt(c.snd_max, c.snd_nxt))
            c.snd_max = c.snd_nxt;
        if (!c.timer_ns)
            c.timer_ns = now_ns + c.rto_ns;
    }
    // Data waiting on a closed window: the timer probes it (tick), in case the window
    // update is lost.
    if (c.tx_sent < c.tx_count && !c.timer_ns)
        c.timer_ns = now_ns + c.rto_ns;
    if (c.fin_queued && !c.fin_sent && c.tx_sent == c.tx_count) {
        if (!c.fin_numbered) {
            c.fin_numbered = true;
            c.fin_sequence = c.snd_nxt;
        }
        if (!send_segment(c, c.snd_nxt, kAck | kFin, {}, now_ns))
            return;
        c.fin_sent = true;
        c.snd_nxt += 1;
        if (seq_lt(c.snd_max, c.snd_nxt))
            c.snd_max = c.snd_nxt;
        if (!c.timer_ns)
            c.timer_ns = now_ns + c.rto_ns;
    }
}

void TcpLayer::tick(u64 now_ns)
{
    for (auto& c : m_connections) {
        if (c.in_use && !c.timer_ns)
            keepalive_tick(c, now_ns);
        // What the device could not take before (push stopped at a full ring), and an ACK it
        // refused (unless data just carried one).
        if (c.in_use && ((c.tx_sent < c.tx_count && c.snd_wnd) || (c.fin_queued && !c.fin_sent)))
            push(c, now_ns);
        if (c.in_use && c.ack_pending && c.state != TcpState::Closed)
            send_ack(c, now_ns);
        if (!c.in_use || c.state == TcpState::Closed || !c.timer_ns || now_ns < c.timer_ns)
            continue;
        if (c.state == TcpState::TimeWait) {
            c.timer_ns = 0;
            release(c);
            continue;
        }
        if (c.state == TcpState::SynSent && ++c.retries > kMaxSynRetries) {
            ++m_counters.timeouts; // nothing was established: no RST to send
            c.reset = true;
            c.failure = TcpFailure::TimedOut;
            release(c);
            continue;
        }
        u32 limit = c.state == TcpState::SynReceived ? kMaxSynAckRetries : kMaxRetries;
        if (c.state != TcpState::SynSent && ++c.retries > limit) {
            ++m_counters.timeouts;
            c.failure = TcpFailure::TimedOut;
            send_segment(c, c.snd_nxt, kRst, {}, now_ns);
            ++m_counters.resets_sent;
            c.reset = true;
            release(c);
            continue;
        }
        ++m_counters.retransmissions;
        rtt_backoff(c);
        c.timer_ns = now_ns + c.rto_ns;
        if (c.state == TcpState::SynReceived) {
            send_segment(c, c.iss, kSyn | kAck, {}, now_ns);
            continue;
        }
        if (c.state == TcpState::SynSent) {
            send_segment(c, c.iss, kSyn, {}, now_ns);
            continue;
        }
        // Go back to the oldest unacknowledged byte and send again from there, one segment
        // first (the congestion window's loss window), more as ACKs open it.
        if (c.snd_wnd)
            congestion_timeout(c); // a probe of a zero window says nothing of congestion
        c.snd_nxt = c.snd_una;
        c.tx_sent = 0;
        c.fin_sent = false;
        u32 window = c.snd_wnd;
        if (window == 0)
            c.snd_wnd = 1; // a zero-window probe
        push(c, now_ns);
        c.snd_wnd = window;
        c.timer_ns = now_ns + c.rto_ns;
    }
}

Result<usize> TcpLayer::listen(u16 port, u16 backlog)
{
    if (port == 0 || backlog == 0)
        return Error::from("TCP listen needs a port and a backlog", ErrorKind::Invalid);
    for (auto& listener : m_listeners) {
        if (listener.open && listener.port == port)
            return Error::from("TCP port already listened on", ErrorKind::Invalid);
    }
    for (usize i = 0; i < kListeners; ++i) {
        if (!m_listeners[i].open) {
            m_listeners[i] = Listener { true, port, backlog };
            return i;
        }
    }
    return Error::from("all TCP listeners are in use", ErrorKind::OutOfMemory);
}

void TcpLayer::close_listener(usize listener, u64 now_ns)
{
    if (listener >= kListeners)
        return;
    m_listeners[listener].open = false;
    // Connections nobody accepted are reset.
    for (auto& c : m_connections) {
        if (c.in_use && !c.owned && c.listener == static_cast<i8>(listener)) {
            if (c.state != TcpState::Closed)
                send_segment(c, c.snd_nxt, kRst, {}, now_ns);
            c.in_use = false;
            c.state = TcpState::Closed;
        }
    }
}

std::optional<usize> TcpLayer::accept(usize listener)
{
    for (usize i = 0; i < kConnections; ++i) {
        auto& c = m_connections[i];
        if (c.in_use && !c.owned && c.listener == static_cast<i8>(listener) && c.state != TcpState::SynReceived) {
            c.owned = true;
            c.keepalive = true; // NOTE: last_heard_ns is the last segment's time already
            return i;
        }
    }
    return std::nullopt;
}

bool TcpLayer::can_accept(usize listener) const
{
    for (const auto& c : m_connections) {
        if (c.in_use && !c.owned && c.listener == static_cast<i8>(listener) && c.state != TcpState::SynReceived)
            return true;
    }
    return false;
}

Result<usize> TcpLayer::send(usize connection, std::span<const u8> data, u64 now_ns)
{
    if (connection >= kConnections || !m_connections[connection].owned)
        return Error::from("no such TCP connection", ErrorKind::Invalid);
    auto& c = m_connections[connection];
    if ((c.state != TcpState::Established && c.state != TcpState::CloseWait) || c.fin_queued)
        return Error::from("TCP connection cannot send", ErrorKind::Invalid);
    usize space = kSendBufferBytes - c.tx_count;
    usize taken = data.size() < space ? data.size() : space;
    ring_write(c.tx, kSendBufferBytes, (c.tx_head + c.tx_count) % kSendBufferBytes, data.first(taken));
    c.tx_count += static_cast<u32>(taken);
    push(c, now_ns);
    return taken;
}

usize TcpLayer::receive_data(usize connection, std::span<u8> out, u64 now_ns)
{
    if (connection >= kConnections || !m_connections[connection].owned)
        return 0;
    auto& c = m_connections[connection];
    usize count = out.size() < c.rx_count ? out.size() : c.rx_count;
    bool window_was_small = receive_window(c) < c.peer_mss;
    ring_read(c.rx, kBufferBytes, c.rx_head, out.first(count));
    c.rx_head = static_cast<u32>((c.rx_head + count) % kBufferBytes);
    c.rx_count = static_cast<u32>(c.rx_count - count);
    // A window that opens again is announced (the peer may be waiting on a zero window).
    if (count && window_was_small && c.state != TcpState::Closed)
        send_ack(c, now_ns);
    return count;
}

void TcpLayer::close(usize connection, u64 now_ns)
{
    if (connection >= kConnections || !m_connections[connection].owned)
        return;
    auto& c = m_connections[connection];
    c.owner_closed = true;
    drop_received(c); // unread bytes are dropped (the window opens again)
    switch (c.state) {
    case TcpState::Established:
        c.state = TcpState::FinWait1;
        c.fin_queued = true;
        push(c, now_ns);
        break;
    case TcpState::CloseWait:
        c.state = TcpState::LastAck;
        c.fin_queued = true;
        push(c, now_ns);
        break;
    case TcpState::Closed:
    case TcpState::SynSent: // RFC 9293: CLOSE in SYN-SENT deletes the connection
        c.state = TcpState::Closed;
        c.in_use = false;
        break;
    default:
        break; // already closing: the slot goes when the protocol is done
    }
}

void TcpLayer::abort(usize connection, u64 now_ns)
{
    if (connection >= kConnections || !m_connections[connection].owned)
        return;
    auto& c = m_connections[connection];
    if (c.state != TcpState::Closed && c.state != TcpState::TimeWait && c.state != TcpState::SynSent) {
        send_segment(c, c.snd_nxt, kRst, {}, now_ns);
        ++m_counters.resets_sent;
    }
    c.state = TcpState::Closed;
    c.in_use = false;
}

TcpState TcpLayer::state(usize connection) const
{
    return connection < kConnections && m_connections[connection].in_use ? m_connections[connection].state : TcpState::Closed;
}

bool TcpLayer::peer_closed(usize connection) const
{
    return connection < kConnections && m_connections[connection].fin_received && m_connections[connection].rx_count == 0;
}

bool TcpLayer::has_data(usize connection) const
{
    return connection < kConnections && m_connections[connection].rx_count > 0;
}

bool TcpLayer::was_reset(usize connection) const { return connection < kConnections && m_connections[connection].reset; }

TcpFailure TcpLayer::failure(usize connection) const
{
    return connection < kConnections ? m_connections[connection].failure : TcpFailure::None;
}

usize TcpLayer::buffered_to_send(usize connection) const
{
    return connection < kConnections ? m_connections[connection].tx_count : 0;
}

} // namespace wk::kernel::net
