#pragma once

// What the TCP layer's files (tcp.cpp, tcp_connect.cpp, tcp_control.cpp, tcp_receive.cpp,
// tcp_keepalive.cpp) share: header flags, sequence-number order (RFC 9293, modulo 2^32) and
// copies into and out of the connections' rings.

#include "base/types.h"

#include <span>

namespace wk::kernel::net::tcp_bits {

enum Flags : u8 {
    kFin = 0x01,
    kSyn = 0x02,
    kRst = 0x04,
    kPsh = 0x08,
    kAck = 0x10,
};

inline bool seq_lt(u32 a, u32 b) { return static_cast<i32>(a - b) < 0; }
inline bool seq_le(u32 a, u32 b) { return static_cast<i32>(a - b) <= 0; }

// `data` into a ring of `size` bytes from `at` on (at < size, data.size() <= size): at most
// two pieces, the second from the ring's start.
inline void ring_write(u8* ring, usize size, usize at, std::span<const u8> data)
{
    usize first = data.size() < size - at ? data.size() : size - at;
    __builtin_memcpy(ring + at, data.data(), first);
    __builtin_memcpy(ring, data.data() + first, data.size() - first);
}

// `out.size()` bytes of a ring of `size` bytes from `at` on into `out` (the same bounds).
inline void ring_read(const u8* ring, usize size, usize at, std::span<u8> out)
{
    usize first = out.size() < size - at ? out.size() : size - at;
    __builtin_memcpy(out.data(), ring + at, first);
    __builtin_memcpy(out.data() + first, ring, out.size() - first);
}

} // namespace wk::kernel::net::tcp_bits
