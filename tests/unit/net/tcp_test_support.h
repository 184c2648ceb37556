#pragma once

// The fixture of the TCP tests (tcp_test.cpp, tcp_recovery_test.cpp): an interface whose
// gateway is the peer, crafted segments in, the segments sent parsed back.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "tests/unit/net/net_test_support.h"

namespace wk::kernel::net::test {

constexpr u64 kSecond = 1'000'000'000ull;
constexpr u8 kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
constexpr u16 kPeerPort = 40000;

// The window field for `free` bytes without window scaling.
inline u16 unscaled_window(usize free) { return static_cast<u16>(free > 0xFFFF ? 0xFFFF : free); }

inline Bytes text(const char* s) { return Bytes(s, s + std::strlen(s)); }

struct SentSegment {
    u16 source_port, port;
    u32 sequence, acknowledgment;
    u8 flags;
    u16 window;
    Bytes data;
    bool checksum_ok;
    u16 mss;
    i16 window_shift; // -1: no option
    bool sack_permitted { false };
    std::vector<std::pair<u32, u32>> sack; // RFC 2018 blocks: start, end
};

inline SentSegment parse_sent(const Bytes& frame)
{
    const u8* ip = ip_header(frame);
    usize total = load_be16(ip + 2);
    const u8* s = ip_payload(frame);
    usize length = total - (ip[0] & 0xF) * 4;
    usize header = usize(s[12] >> 4) * 4;
    u32 sum = pseudo_header_sum(load_be32(ip + 12), load_be32(ip + 16), kProtocolTcp, static_cast<u16>(length));
    SentSegment out { load_be16(s), load_be16(s + 2), load_be32(s + 4), load_be32(s + 8), s[13], load_be16(s + 14),
                      Bytes(s + header, s + length), checksum_finish(checksum_add({ s, length }, sum)) == 0, 0, -1 };
    for (usize at = 20; at < header;) {
        if (s[at] == 0)
            break;
        if (s[at] == 1) {
            ++at;
            continue;
        }
        if (s[at] == 2 && at + 4 <= header)
            out.mss = load_be16(s + at + 2);
        if (s[at] == 3 && at + 3 <= header)
            out.window_shift = s[at + 2];
        if (s[at] == 4 && at + 2 <= header)
            out.sack_permitted = true;
        for (usize b = at + 2; s[at] == 5 && b + 8 <= at + s[at + 1] && b + 8 <= header; b += 8)
            out.sack.emplace_back(load_be32(s + b), load_be32(s + b + 4));
        at += s[at + 1] ? s[at + 1] : header;
    }
    return out;
}

class TcpTest : public ::testing::Test {
protected:
    TcpTest()
    {
        interface->configure(kOurAddress, kNetmask, kGateway);
        interface->receive_frame(ethernet(MacAddress::broadcast(), kPeerMac, 0x0806,
                                          arp_packet(1, kPeerMac, kGateway, MacAddress {}, kOurAddress)),
                                 now);
        sink.frames.clear();
    }

    void deliver(const Bytes& segment) { interface->receive_frame(ip_frame(kProtocolTcp, segment), now); }

    // The segments sent since the last call.
    std::vector<SentSegment> sent()
    {
        std::vector<SentSegment> out;
        for (auto& frame : sink.frames) {
            if (ether_type(frame) == 0x0800 && ip_header(frame)[9] == kProtocolTcp)
                out.push_back(parse_sent(frame));
        }
        sink.frames.clear();
        return out;
    }

    // Listens on 80, completes a handshake from kPeerPort (peer sequence 1000) whose ACK comes
    // `rtt_ns` after the SYN (the clock moves on); returns the accepted connection and our
    // initial sequence number. `syn_options` go on the SYN after the MSS.
    std::pair<usize, u32> establish(u16 peer_port = kPeerPort, u64 rtt_ns = 0, const Bytes& syn_options = {})
    {
        if (!listener)
            listener = *tcp().listen(80, 4);
        Bytes options { 2, 4, 0x05, 0xB4 };
        options.insert(options.end(), syn_options.begin(), syn_options.end());
        while (options.size() % 4)
            options.push_back(1);
        deliver(tcp_segment(peer_port, 80, 1000, 0, kSyn, {}, 65535, options));
        auto synack = sent();
        EXPECT_EQ(synack.size(), 1u);
        u32 iss = synack.empty() ? 0 : synack[0].sequence;
        now += rtt_ns;
        deliver(tcp_segment(peer_port, 80, 1001, iss + 1, kAck));
        auto connection = tcp().accept(*listener);
        EXPECT_TRUE(connection);
        EXPECT_TRUE(sent().empty());
        return { connection.value_or(0), iss };
    }

    // Ticks every `step_ns` until `until_ns` (the clock moves on), keeping the gateway's ARP
    // entry alive; returns the segments sent.
    std::vector<SentSegment> run_until(u64 until_ns, u64 step_ns = 1'000'000)
    {
        std::vector<SentSegment> out;
        while (now + step_ns <= until_ns) {
            now += step_ns;
            if (now / (30 * kSecond) != (now - step_ns) / (30 * kSecond))
                interface->receive_frame(
                    ethernet(kOurMac, kPeerMac, 0x0806, arp_packet(2, kPeerMac, kGateway, kOurMac, kOurAddress)), now);
            interface->tick(now);
            for (auto& s : sent())
                out.push_back(s);
        }
        return out;
    }

    TcpLayer& tcp() { return interface->tcp(); }

    CapturingSink sink;
    std::unique_ptr<Interface> interface { std::make_unique<Interface>(sink, kOurMac, 12345) };
    u64 now { 5 * kSecond };
    std::optional<usize> listener;
};

} // namespace wk::kernel::net::test
