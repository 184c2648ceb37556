#pragma once

// What the TCP layer's files (tcp.cpp, tcp_connect.cpp, tcp_control.cpp, tcp_receive.cpp,
// tcp_keepalive.cpp) share: header flags and sequence-number order (RFC 9293, modulo 2^32).

#include "base/types.h"

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

} // namespace wk::kernel::net::tcp_bits
