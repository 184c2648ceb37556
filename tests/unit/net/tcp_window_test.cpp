// TCP window scaling (RFC 7323) and the buffers behind it.
#include "tests/unit/net/tcp_test_support.h"

namespace wk::kernel::net::test {
namespace {

constexpr u32 kMss = 1460;

TEST_F(TcpTest, PassiveOpenScalesBothWaysWhenTheSynOffers)
{
    listener = *tcp().listen(80, 4);
    deliver(tcp_segment(kPeerPort, 80, 1000, 0, kSyn, {}, 65535, { 2, 4, 0x05, 0xB4, 1, 3, 3, 7 }));
    auto synack = sent();
    ASSERT_EQ(synack.size(), 1u);
    EXPECT_EQ(synack[0].window_shift, TcpLayer::kOurWindowShift);
    EXPECT_EQ(synack[0].mss, kMss);
    EXPECT_TRUE(synack[0].checksum_ok);
    EXPECT_EQ(synack[0].window, unscaled_window(TcpLayer::kBufferBytes)); // a SYN's is never scaled
    u32 iss = synack[0].sequence;
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, {}, 1000)); // 1000 << 7
    usize connection = *tcp().accept(*listener);
    auto info = tcp().info(connection);
    EXPECT_TRUE(info.window_scaling);
    EXPECT_EQ(info.send_shift, 7);
    EXPECT_EQ(info.send_window, 128000u);
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, Bytes(1000, 'p'), 1000));
    auto ack = sent();
    ASSERT_EQ(ack.size(), 1u);
    EXPECT_EQ(ack[0].window, (TcpLayer::kBufferBytes - 1000) >> TcpLayer::kOurWindowShift);
    EXPECT_EQ(ack[0].window_shift, -1); // only on SYNs
}

TEST_F(TcpTest, WithoutTheOptionOnTheSynNothingIsScaled)
{
    auto [connection, iss] = establish();
    EXPECT_FALSE(tcp().info(connection).window_scaling);
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, text("x"), 1000));
    EXPECT_EQ(tcp().info(connection).send_window, 1000u);
    auto ack = sent();
    ASSERT_EQ(ack.size(), 1u);
    EXPECT_EQ(ack[0].window, unscaled_window(TcpLayer::kBufferBytes - 1));
    // The option on a later segment changes nothing (RFC 7323: only a SYN's counts).
    deliver(tcp_segment(kPeerPort, 80, 1002, iss + 1, kAck, text("y"), 1000, { 1, 3, 3, 5 }));
    EXPECT_EQ(tcp().info(connection).send_window, 1000u);
    EXPECT_FALSE(tcp().info(connection).window_scaling);
}

TEST_F(TcpTest, HostileWindowScaleOptionsAreClampedOrIgnored)
{
    // A shift of 200 counts as 14 (RFC 7323, 2.3): a window field of 1 is 16 KiB.
    auto [connection, iss] = establish(kPeerPort, 0, { 3, 3, 200 });
    EXPECT_EQ(tcp().info(connection).send_shift, TcpLayer::kMaxWindowShift);
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, {}, 1));
    EXPECT_EQ(tcp().info(connection).send_window, 1u << 14);
    // The largest window field with the largest shift still fits.
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, {}, 0xFFFF));
    EXPECT_EQ(tcp().info(connection).send_window, 0xFFFFu << 14);
    // An option of the wrong length is no window scale option; one running off the header
    // is malformed.
    auto [second, iss2] = establish(kPeerPort + 1, 0, { 3, 4, 2, 0 });
    EXPECT_FALSE(tcp().info(second).window_scaling);
    u64 malformed = tcp().counters().malformed;
    deliver(tcp_segment(kPeerPort + 2, 80, 5000, 0, kSyn, {}, 65535, { 1, 1, 3, 3, 2, 4, 5, 0 }));
    deliver(tcp_segment(kPeerPort + 3, 80, 5000, 0, kSyn, {}, 65535, { 1, 1, 1, 3 }));
    EXPECT_EQ(tcp().counters().malformed, malformed + 2);
    EXPECT_TRUE(sent().empty());
    (void)iss2;
}

TEST_F(TcpTest, ActiveOpenOffersScalingAndFollowsTheAnswer)
{
    auto scaled = *tcp().connect(kGateway, 8000, now);
    auto syn = sent();
    ASSERT_EQ(syn.size(), 1u);
    EXPECT_EQ(syn[0].window_shift, TcpLayer::kOurWindowShift);
    EXPECT_EQ(syn[0].mss, kMss);
    deliver(tcp_segment(8000, syn[0].source_port, 7000, syn[0].sequence + 1, kSyn | kAck, {}, 4000, { 2, 4, 0x05, 0xB4, 1, 3, 3, 2 }));
    EXPECT_EQ(tcp().info(scaled).send_window, 4000u); // the SYN+ACK's own window: not scaled
    auto ack = sent();
    ASSERT_EQ(ack.size(), 1u);
    EXPECT_EQ(ack[0].window, TcpLayer::kBufferBytes >> TcpLayer::kOurWindowShift);
    deliver(tcp_segment(8000, syn[0].source_port, 7001, syn[0].sequence + 1, kAck, {}, 4000));
    EXPECT_EQ(tcp().info(scaled).send_window, 16000u);

    auto plain = *tcp().connect(kGateway, 8001, now);
    auto syn2 = sent();
    ASSERT_EQ(syn2.size(), 1u);
    deliver(tcp_segment(8001, syn2[0].source_port, 9000, syn2[0].sequence + 1, kSyn | kAck, {}, 4000));
    EXPECT_FALSE(tcp().info(plain).window_scaling);
    auto ack2 = sent();
    ASSERT_EQ(ack2.size(), 1u);
    EXPECT_EQ(ack2[0].window, unscaled_window(TcpLayer::kBufferBytes));
    deliver(tcp_segment(8001, syn2[0].source_port, 9001, syn2[0].sequence + 1, kAck, {}, 4000));
    EXPECT_EQ(tcp().info(plain).send_window, 4000u);
}

TEST_F(TcpTest, AScaledWindowLetsTheWholeSendBufferGo)
{
    auto [connection, iss] = establish(kPeerPort, 0, { 3, 3, 4 });
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1, kAck, {}, 0x4000)); // 256 KiB
    // Grow the congestion window past the buffer: segments acknowledged one by one.
    u32 una = iss + 1;
    for (int round = 0; round < 12; ++round) {
        (void)*tcp().send(connection, Bytes(TcpLayer::kSendBufferBytes, 'b'), now);
        for (auto& segment : sent()) {
            una = segment.sequence + static_cast<u32>(segment.data.size());
            deliver(tcp_segment(kPeerPort, 80, 1001, una, kAck, {}, 0x4000));
        }
    }
    for (auto& segment : sent())
        una = segment.sequence + static_cast<u32>(segment.data.size());
    deliver(tcp_segment(kPeerPort, 80, 1001, una, kAck, {}, 0x4000));
    sent();
    ASSERT_EQ(tcp().buffered_to_send(connection), 0u);
    ASSERT_GT(tcp().info(connection).cwnd, TcpLayer::kSendBufferBytes);
    // The send ring wraps: its bytes go out in order and intact.
    Bytes data(TcpLayer::kSendBufferBytes);
    for (usize i = 0; i < data.size(); ++i)
        data[i] = static_cast<u8>(i * 7 + i / 251);
    ASSERT_EQ(*tcp().send(connection, data, now), data.size());
    EXPECT_FALSE(*tcp().send(connection, text("full"), now));
    Bytes out;
    for (auto& segment : sent()) {
        EXPECT_EQ(segment.sequence, una + out.size());
        out.insert(out.end(), segment.data.begin(), segment.data.end());
    }
    EXPECT_EQ(out, data); // all of it in flight at once: more than an unscaled window
}

TEST_F(TcpTest, WhatAFullDeviceRingRefusesWaitsForTheNextTick)
{
    auto [connection, iss] = establish();
    sink.room = 2;
    ASSERT_EQ(*tcp().send(connection, Bytes(3 * kMss, 'r'), now), 3 * kMss);
    auto first = sent();
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(interface->counters().frames_send_failed, 1u);
    EXPECT_EQ(tcp().counters().segments_out, 3u); // SYN+ACK and the two
    interface->tick(now + 1'000'000); // still full: tried again, refused again
    EXPECT_TRUE(sent().empty());
    sink.room = ~usize(0);
    interface->tick(now + 2'000'000);
    auto rest = sent();
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].sequence, iss + 1 + 2 * kMss);
    EXPECT_EQ(rest[0].data.size(), kMss);
    deliver(tcp_segment(kPeerPort, 80, 1001, iss + 1 + 3 * kMss, kAck));
    EXPECT_EQ(tcp().buffered_to_send(connection), 0u);
    EXPECT_EQ(tcp().counters().retransmissions, 0u); // nothing was lost
}

// The last ACKs of a window refused by a full device ring: the peer has nothing more to send
// and would wait for its RTO; the ACK owed goes at the next tick the device takes it, once.
TEST_F(TcpTest, AnAckTheDeviceRefusesIsSentAtTheNextTick)
{
    auto [connection, iss] = establish();
    u32 sequence = 1001;
    for (int i = 0; i < 4; ++i) {
        if (i == 2)
            sink.room = 0; // the last two ACKs are refused
        deliver(tcp_segment(kPeerPort, 80, sequence, iss + 1, kAck, Bytes(kMss, 'w')));
        sequence += kMss;
    }
    auto acks = sent();
    ASSERT_EQ(acks.size(), 2u);
    EXPECT_EQ(acks[1].acknowledgment, 1001 + 2 * kMss);
    EXPECT_EQ(interface->counters().frames_send_failed, 2u);
    interface->tick(now + 1'000'000); // still full
    EXPECT_TRUE(sent().empty());
    sink.room = ~usize(0);
    interface->tick(now + 2'000'000);
    auto owed = sent();
    ASSERT_EQ(owed.size(), 1u);
    EXPECT_EQ(owed[0].flags, kAck);
    EXPECT_EQ(owed[0].acknowledgment, sequence);
    EXPECT_EQ(owed[0].window, unscaled_window(TcpLayer::kBufferBytes - 4 * kMss));
    interface->tick(now + 3'000'000); // paid: nothing more
    EXPECT_TRUE(sent().empty());
    // Data that goes out carries the owed ACK: no ACK of its own follows.
    sink.room = 0;
    deliver(tcp_segment(kPeerPort, 80, sequence, iss + 1, kAck, text("more")));
    sink.room = ~usize(0);
    ASSERT_EQ(*tcp().send(connection, text("answer"), now), 6u);
    auto answer = sent();
    ASSERT_EQ(answer.size(), 1u);
    EXPECT_EQ(answer[0].acknowledgment, sequence + 4);
    interface->tick(now + 4'000'000);
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(tcp().counters().retransmissions, 0u);
}

// The receive ring wraps: bytes taken in order, a segment kept past a gap and the reads that
// span the ring's end all come back intact and in order.
TEST_F(TcpTest, BytesAcrossTheReceiveRingsEndArriveIntact)
{
    auto [connection, iss] = establish();
    Bytes stream(2 * TcpLayer::kBufferBytes + 4096);
    for (usize i = 0; i < stream.size(); ++i)
        stream[i] = static_cast<u8>(i * 13 + i / 509);
    auto piece = [&](usize from, usize to) { return Bytes(stream.begin() + from, stream.begin() + to); };
    auto send_piece = [&](usize from, usize to) {
        deliver(tcp_segment(kPeerPort, 80, 1001 + static_cast<u32>(from), iss + 1, kAck | kPsh, piece(from, to)));
    };
    Bytes got;
    auto read_all = [&] {
        u8 buffer[3000];
        while (usize count = tcp().receive_data(connection, buffer, now))
            got.insert(got.end(), buffer, buffer + count);
    };
    // To 300 bytes before the ring's end, in order, read as it comes.
    usize at = 0;
    for (usize end = TcpLayer::kBufferBytes - 300; at < end;) {
        usize next = end - at < 1000 ? end : at + 1000;
        send_piece(at, next);
        read_all();
        at = next;
    }
    // A segment past a gap, across the ring's end; then the gap; then more in order, read
    // in one go across the end.
    send_piece(at + 200, at + 1200);
    EXPECT_FALSE(tcp().has_data(connection)); // kept, not readable yet
    send_piece(at, at + 200);
    send_piece(at + 1200, at + 2000);
    read_all();
    at += 2000;
    ASSERT_EQ(got.size(), at);
    // In order to 100 bytes before the end again, then one segment across it.
    for (usize end = 2 * TcpLayer::kBufferBytes - 100; at + 1000 <= end;) {
        send_piece(at, at + 1000);
        read_all();
        at += 1000;
    }
    send_piece(at, at + 1000);
    at += 1000;
    read_all();
    sent();
    ASSERT_EQ(got.size(), at);
    EXPECT_TRUE(got == piece(0, at));
}

} // namespace
} // namespace wk::kernel::net::test
