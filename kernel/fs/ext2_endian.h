#pragma once

#include "base/span.h"
#include "base/types.h"

// Little-endian fields of ext2's on-disk structures. Callers check the range first.
namespace wk::kernel::fs::ext2 {

inline u32 get16(ReadonlyBytes bytes, usize at) { return u32 { bytes[at] } | u32 { bytes[at + 1] } << 8; }
inline u32 get32(ReadonlyBytes bytes, usize at) { return get16(bytes, at) | get16(bytes, at + 2) << 16; }
inline void put16(Bytes bytes, usize at, u32 value)
{
    bytes[at] = static_cast<u8>(value);
    bytes[at + 1] = static_cast<u8>(value >> 8);
}
inline void put32(Bytes bytes, usize at, u32 value)
{
    put16(bytes, at, value & 0xFFFF);
    put16(bytes, at + 2, value >> 16);
}

} // namespace wk::kernel::fs::ext2
