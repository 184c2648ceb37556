#pragma once

#include <optional>
#include <span>

#include "base/result.h"
#include "kernel/net/wire.h"

// TCP (RFC 9293): passive and active open (tcp_connect.cpp), in-order data both ways, FIN and
// RST, TIME_WAIT, and retransmission from the oldest unacknowledged byte (go-back-N) on a
// timeout estimated from the round trip (RFC 6298, tcp_control.cpp). Pure code like the rest
// of kernel/net: segments come in through receive(), go out through a TcpOutput, the time is
// passed in. Segments past a gap wait in the receive buffer (tcp_receive.cpp). Congestion
// control is NewReno (RFC 5681, 6582; tcp_control.cpp). Window scaling (RFC 7323) both ways
// when both SYNs carry the option. Keep-alive (tcp_keepalive.cpp) on accepted connections.
// SACK's receive side (RFC 2018): when both SYNs carry SACK-permitted, ACKs list the ranges
// kept past a gap (tcp_receive.cpp); the peer's blocks are not read.
//
// Memory is fixed: kConnections connections with kBufferBytes of receive and
// kSendBufferBytes of send buffer each, both rings (what is in flight is at most the send
// buffer, so it bounds the rate to one buffer per round trip), 6 MiB in all. A SYN for a listener whose backlog (half-open plus not yet accepted) is full is
// dropped and counted, so a SYN flood holds at most the backlog. A SYN that finds every slot
// taken takes over the TIME_WAIT connection closest to its end, so that a server closing
// many short connections (HTTP/1.0) is not held up by the ones it closed first.
namespace wk::kernel::net {

class TcpOutput {
public:
    virtual ~TcpOutput() = default;
    virtual Ipv4Address tcp_local_address() const = 0;
    // Sends a TCP segment (header and data, checksum filled in) to `to`. False when the
    // device could not take it now (its transmit ring is full): the segment is not sent.
    virtual bool send_tcp_segment(Ipv4Address to, std::span<const u8> segment, u64 now_ns) = 0;
};

enum class TcpState : u8 {
    Closed,
    SynSent,
    SynReceived,
    Established,
    CloseWait,
    LastAck,
    FinWait1,
    FinWait2,
    Closing,
    TimeWait,
};

const char* tcp_state_name(TcpState state);

// Why a connection ended without the peer's FIN (TcpLayer::failure).
enum class TcpFailure : u8 {
    None,
    Refused,  // our SYN was answered with RST (nothing listens there)
    TimedOut, // no answer to the SYN, or to data, after the retries
    Reset,    // the peer reset an established connection
};

struct TcpCounters {
    u64 segments_in { 0 };
    u64 segments_out { 0 };
    u64 malformed { 0 };     // too short, data offset wrong, options running off the end
    u64 bad_checksum { 0 };
    u64 resets_sent { 0 };
    u64 resets_received { 0 };
    u64 syn_dropped { 0 };   // backlog or connection table full
    u64 out_of_order { 0 };  // past a gap (acknowledged with the expected sequence)
    u64 out_of_order_queued { 0 };  // of which kept until the gap fills
    u64 out_of_order_dropped { 0 }; // of which dropped: past the buffer, or the ranges full
    u64 retransmissions { 0 };
    u64 timeouts { 0 };      // connections reset after kMaxRetries (kMaxSynRetries opening)
    u64 rtt_samples { 0 };   // round trips measured (RFC 6298)
    u64 fast_retransmits { 0 }; // on the third duplicate ACK, and on partial ACKs in recovery
    u64 keepalive_probes { 0 };
    u64 keepalive_drops { 0 };  // connections reset after kKeepAliveProbes unanswered
    u64 time_wait_reused { 0 }; // TIME_WAIT connections ended early for a new SYN
    u64 connects { 0 };      // active opens started
    u64 refused { 0 };       // active opens answered with RST
};

class TcpLayer {
public:
    static constexpr usize kConnections = 48;
    static constexpr usize kListeners = 4;
    static constexpr usize kBufferBytes = 65536;     // received, per connection
    static constexpr usize kSendBufferBytes = 65536; // to send (and resend), per connection
    // The shift we announce (RFC 7323): the smallest that lets the window field say the
    // whole receive buffer. A peer's shift over 14 counts as 14 (RFC 7323, 2.3).
    static constexpr u8 kOurWindowShift = [] {
        u8 shift = 0;
        while ((kBufferBytes >> shift) > 0xFFFF)
            ++shift;
        return shift;
    }();
    static constexpr u8 kMaxWindowShift = 14;
    // RFC 1122, 4.2.3.6: probes after 2 hours of silence (the RFC's least), then every 75 s,
    // 9 unanswered ones reset the connection (as BSD and Linux).
    static constexpr u64 kKeepAliveIdleNs = 7200'000'000'000ull;
    static constexpr u64 kKeepAliveIntervalNs = 75'000'000'000ull;
    static constexpr u32 kKeepAliveProbes = 9;
    // Disjoint ranges of bytes past a gap kept per connection (their bytes sit in the receive
    // buffer's free space, so the bound on memory is the buffer's).
    static constexpr usize kOutOfOrderRanges = 8;
    static constexpr u16 kDefaultMss = 536; // RFC 9293 when the peer sends none
    static constexpr u16 kOurMss = 1460;
    // RFC 6298: 1 s until a round trip is measured; then SRTT + max(G, 4 RTTVAR) within
    // [kMinRtoNs, kMaxRtoNs], doubled on each timeout. NOTE: the RFC's minimum is 1 s; 200 ms
    // (as Linux) because the peers here are a millisecond away and a lost segment that fast
    // retransmit cannot repair would otherwise stall the connection for a second.
    static constexpr u64 kInitialRtoNs = 1'000'000'000ull;
    static constexpr u64 kMinRtoNs = 200'000'000ull;
    static constexpr u64 kMaxRtoNs = 60'000'000'000ull;
    static constexpr u64 kClockGranularityNs = 1'000'000ull; // G: the net thread's poll
    // Timeouts in a row before an established connection is reset: from a 200 ms RTO,
    // 0.2 + 0.4 + ... + 51.2 s = 102 s (RFC 9293 asks for at least 100 s), then one more.
    static constexpr u32 kMaxRetries = 9;
    // SYN+ACKs sent again before a half-open connection is dropped: 1 + 2 + ... + 32 s.
    static constexpr u32 kMaxSynAckRetries = 6;
    // SYNs sent again before an active open gives up: 1 + 2 + 4 + 8 + 16 s, 31 s in all.
    static constexpr u32 kMaxSynRetries = 4;
    static constexpr u16 kFirstEphemeralPort = 49152;
    // 2 MSL. NOTE: shorter than RFC 9293's 4 minutes (Linux uses 60 s); a table of 48
    // connections cannot keep closed ones that long (and a full one reuses them earlier).
    static constexpr u64 kTimeWaitNs = 30'000'000'000ull;

    explicit TcpLayer(TcpOutput& output, u32 sequence_seed)
        : m_output(output)
        , m_random(sequence_seed | 1)
    {
    }

    void receive(Ipv4Address from, Ipv4Address to, std::span<const u8> segment, u64 now_ns);
    void tick(u64 now_ns);

    // Listens on `port` with at most `backlog` connections not yet accepted. Invalid for a
    // port already listened on or a backlog of 0, OutOfMemory when kListeners are in use.
    [[nodiscard]] Result<usize> listen(u16 port, u16 backlog);
    // Resets the connections nobody accepted yet.
    void close_listener(usize listener, u64 now_ns);
    // Active open: sends SYN to `remote`:`port` from a free ephemeral port (49152..65535) and
    // returns the connection, the caller's already (state SynSent until the peer answers,
    // then Established; or Closed with failure() Refused or TimedOut). Invalid for address 0,
    // a broadcast address or port 0, OutOfMemory when all kConnections are in use or no
    // ephemeral port is free.
    [[nodiscard]] Result<usize> connect(Ipv4Address remote, u16 port, u64 now_ns);
    // The next established connection of the listener, now the caller's, with keep-alive on.
    std::optional<usize> accept(usize listener);
    // Keep-alive on or off for a connection of the caller's (off when it opened it).
    void set_keepalive(usize connection, bool on, u64 now_ns);
    // Whether accept() would return a connection now.
    bool can_accept(usize listener) const;
    // Bytes of `data` taken into the send buffer (0 when it is full). Invalid when the
    // connection cannot send (not established, closed by us, reset).
    [[nodiscard]] Result<usize> send(usize connection, std::span<const u8> data, u64 now_ns);
    // Bytes received in order, copied out. 0 with peer_closed() true: the end of the stream.
    usize receive_data(usize connection, std::span<u8> out, u64 now_ns);
    // Sends FIN once the buffered data is out; the slot is freed when the connection is closed
    // on both sides (or after TIME_WAIT). The caller must not use `connection` afterwards.
    // Unread bytes, and those arriving later, are acknowledged and dropped.
    void close(usize connection, u64 now_ns);
    // Sends RST and frees the connection at once.
    void abort(usize connection, u64 now_ns);

    TcpState state(usize connection) const;
    bool peer_closed(usize connection) const;
    // Received bytes wait to be read.
    bool has_data(usize connection) const;
    bool was_reset(usize connection) const;
    TcpFailure failure(usize connection) const;
    usize buffered_to_send(usize connection) const;
    const TcpCounters& counters() const { return m_counters; }
    usize connections_in_use() const;

    // A connection's timer, queue, congestion and window state, for tests and diagnostics.
    struct Info {
        u64 srtt_ns;   // 0: no round trip measured yet
        u64 rttvar_ns;
        u64 rto_ns;
        usize out_of_order_ranges;
        u32 cwnd;      // bytes
        u32 ssthresh;
        bool in_recovery;
        bool window_scaling; // both SYNs carried the option
        u8 send_shift;       // the peer's: its window fields are shifted by it
        u8 receive_shift;    // ours
        u32 send_window;     // the peer's, in bytes
    };
    Info info(usize connection) const;

private:
    struct OutOfOrderRange {
        u32 start, end; // sequence numbers, end past the last byte
    };
    // A connection's state without its buffers, so that starting one afresh resets only this.
    struct ConnectionState {
        TcpState state { TcpState::Closed };
        bool in_use { false };   // a slot: taken until both we and the owner are done
        bool owned { false };    // accepted: the owner must close or abort it
        bool owner_closed { false };
        bool reset { false };
        TcpFailure failure { TcpFailure::None };
        bool fin_received { false };
        bool fin_queued { false };
        bool fin_sent { false };  // the FIN is below snd_nxt
        bool fin_numbered { false }; // the FIN was sent once: fin_sequence is its number
        i8 listener { -1 };
        Ipv4Address remote { 0 };
        u16 remote_port { 0 };
        u16 local_port { 0 };
        u16 peer_mss { kDefaultMss };
        u32 iss { 0 };
        u32 snd_una { 0 };
        u32 snd_nxt { 0 };       // the next to send (back at snd_una after a timeout)
        u32 snd_max { 0 };       // past the highest ever sent
        u32 fin_sequence { 0 };
        u32 snd_wnd { 0 };
        u32 rcv_nxt { 0 };
        u64 timer_ns { 0 };      // retransmission or TIME_WAIT deadline (0: none)
        u64 rto_ns { kInitialRtoNs };
        u64 srtt_ns { 0 };       // 0: no sample yet
        u64 rttvar_ns { 0 };
        u64 rtt_start_ns { 0 };  // when the timed segment was sent (0: none timed)
        u32 rtt_sequence { 0 };  // its first sequence number: an ACK past it ends the timing
        u32 retries { 0 };
        u32 cwnd { 0 };          // congestion window (RFC 5681), bytes
        u32 ssthresh { 0xFFFFFFFFu };
        u32 recover { 0 };       // RFC 6582: past the highest sent when recovery began
        u8 duplicate_acks { 0 };
        bool in_recovery { false };
        u32 rx_head { 0 };
        u32 rx_count { 0 };      // in order, readable
        OutOfOrderRange ooo[kOutOfOrderRanges] {}; // sorted, disjoint, not touching
        u8 ooo_count { 0 };
        bool queued_fin { false }; // a FIN past the gap, at queued_fin_sequence
        u32 queued_fin_sequence { 0 };
        u32 tx_head { 0 };       // where snd_una's first data byte is in tx
        u32 tx_count { 0 };      // bytes in tx from snd_una's first data byte on
        u32 tx_sent { 0 };       // of which sent (snd_nxt's position)
        bool window_scaling { false }; // offered (SYN_SENT), then agreed by both SYNs
        bool sack { false };           // the same for SACK (RFC 2018): our ACKs carry blocks
        u32 sack_recent { 0 };         // the start of the latest segment kept past a gap
        u8 send_shift { 0 };
        u8 receive_shift { 0 };
        // An ACK the device refused (its transmit ring full): sent again by tick(). NOTE: a
        // lost ACK is usually made good by the next, but the last ones of a window draw no
        // next: the peer, its window used up, waits for its RTO (1 s and more) with nothing
        // we would answer. Receiving at 1 MB/s from QEMU's user networking was these stalls.
        bool ack_pending { false };
        bool keepalive { false };
        u8 keepalive_probes { 0 }; // sent since the peer was last heard
        u64 last_heard_ns { 0 };
    };
    struct Connection : ConnectionState {
        u8 rx[kBufferBytes];
        u8 tx[kSendBufferBytes];
    };
    struct Listener {
        bool open { false };
        u16 port { 0 };
        u16 backlog { 0 };
    };
    struct Segment {
        u16 source_port, destination_port;
        u32 sequence, acknowledgment;
        u8 flags;
        u16 window;
        u16 mss; // 0: no option
        i8 window_shift; // -1: no option; else at most kMaxWindowShift
        std::span<const u8> data;
        bool sack_permitted; // RFC 2018's option (on a SYN)
    };

    struct Endpoint {
        Ipv4Address remote;
        u16 remote_port;
        u16 local_port;
    };

    Connection* find(Ipv4Address remote, u16 remote_port, u16 local_port);
    // A free slot, else the TIME_WAIT connection whose timer ends first, else null.
    Connection* free_slot();
    void accept_syn(Ipv4Address from, const Segment& segment, u64 now_ns);
    void handle(Connection& c, const Segment& segment, u64 now_ns);
    // The answer to our SYN (tcp_connect.cpp).
    void handle_syn_sent(Connection& c, const Segment& segment, u64 now_ns);
    bool port_in_use(u16 port) const;
    void process_ack(Connection& c, const Segment& segment, u64 now_ns);
    // After snd_una moved: snd_nxt at least snd_una, and tx_sent and fin_sent where it is.
    void sync_sent(Connection& c);
    static bool can_receive(const Connection& c)
    {
        return c.state == TcpState::Established || c.state == TcpState::FinWait1 || c.state == TcpState::FinWait2;
    }
    // tcp_receive.cpp: a segment starting past rcv_nxt, kept at its place in the ring.
    void queue_out_of_order(Connection& c, u32 sequence, std::span<const u8> data, bool fin);
    // Data (trimmed to start at rcv_nxt) and FIN taken; whether they are to be acknowledged.
    bool take_in_order(Connection& c, std::span<const u8> data, bool fin, u64 now_ns);
    // Unread and queued bytes go (the owner closed).
    void drop_received(Connection& c);
    // The SACK blocks an ACK carries (RFC 2018, 4): the range holding the latest segment
    // kept past a gap first, then the others in sequence order, at most kMaxSackBlocks.
    static usize sack_blocks(const Connection& c, OutOfOrderRange* out);
    void send_reset_for(Ipv4Address to, const Segment& segment, u64 now_ns);
    // What a segment carries beyond the header: on a SYN, MSS always, window scale when
    // `window_shift` is not -1, SACK-permitted when asked; on others, SACK blocks.
    struct Options {
        i8 window_shift { -1 };
        bool sack_permitted { false };
        std::span<const OutOfOrderRange> sack_blocks {};
        std::span<const u8> data_tail {}; // the data's second piece, after `data` (a ring's wrap)
    };
    static constexpr usize kMaxSackBlocks = 4; // 36 bytes of the 40 options may take
    // Whether the segment went to the device (TcpOutput::send_tcp_segment).
    bool send_raw(const Endpoint& to, u32 sequence, u32 acknowledgment, u8 flags, u16 window, std::span<const u8> data,
                  u64 now_ns, const Options& options);
    // A segment without options (a RST for no connection).
    bool send_bare(const Endpoint& to, u32 sequence, u32 acknowledgment, u8 flags, u64 now_ns)
    {
        return send_raw(to, sequence, acknowledgment, flags, 0, {}, now_ns, Options {});
    }
    // `tail`, when given, follows `data` in the segment (send_data: the send ring's two pieces).
    bool send_segment(Connection& c, u32 sequence, u8 flags, std::span<const u8> data, u64 now_ns,
                      std::span<const u8> tail = {});
    void send_ack(Connection& c, u64 now_ns);
    // `length` bytes of the send buffer from `offset` on, at `sequence`.
    bool send_data(Connection& c, u32 sequence, usize offset, usize length, u64 now_ns);
    // Sends what the peer's and the congestion window allow of the unsent data, then FIN
    // when it is due. What the device cannot take now waits for the next ACK or tick().
    void push(Connection& c, u64 now_ns);
    // RFC 6298 (tcp_control.cpp): times `sequence` unless a segment is timed already;
    // an acknowledgment past it takes a sample; a retransmission cancels it (Karn).
    void start_rtt_timing(Connection& c, u32 sequence, u64 now_ns);
    void rtt_acknowledged(Connection& c, u32 ack, u64 now_ns);
    void rtt_backoff(Connection& c);
    // The RTO from SRTT and RTTVAR again (the initial one without a sample).
    void rto_from_estimate(Connection& c);
    // NewReno (tcp_control.cpp): the initial window once the peer's MSS is known; an ACK of
    // new data (`acked` bytes, snd_una already moved); a duplicate ACK; a timeout.
    void congestion_start(Connection& c);
    void congestion_acked(Connection& c, u32 acked, u64 now_ns);
    void congestion_duplicate(Connection& c, u64 now_ns);
    void congestion_timeout(Connection& c);
    // tcp_keepalive.cpp: any segment from the peer; the timer's turn in tick().
    void heard_from_peer(Connection& c, u64 now_ns);
    void keepalive_tick(Connection& c, u64 now_ns);
    // Sends the oldest unacknowledged segment again (or the FIN, when only it is).
    void retransmit_first(Connection& c, u64 now_ns);
    void release(Connection& c);
    void enter_time_wait(Connection& c, u64 now_ns);
    u32 receive_window(const Connection& c) const { return static_cast<u32>(kBufferBytes - c.rx_count); }
    // A window field of the peer's in bytes (a SYN's is never scaled).
    static u32 peer_window(const Connection& c, const Segment& segment);
    // Starts a connection afresh in `slot` (its buffers are not cleared).
    static void reset_slot(Connection& slot) { static_cast<ConnectionState&>(slot) = ConnectionState {}; }
    u32 next_random();

    TcpOutput& m_output;
    u32 m_random;
    TcpCounters m_counters;
    Listener m_listeners[kListeners];
    Connection m_connections[kConnections];
    u16 m_next_ephemeral { kFirstEphemeralPort };
    u8 m_segment[20 + 40 + 1460] {};
};

} // namespace wk::kernel::net
