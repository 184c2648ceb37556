#pragma once

#include "base/result.h"
#include "base/span.h"
#include "base/types.h"

// Shared by the ext2 driver's .cpp files only: little-endian fields of the on-disk structures
// (callers check the range first) and TRY_IO.

// Inside a Volume member returning ErrnoResult: a Result's Error goes through Volume::fail
// (recorded for last_error(); damage makes the volume read-only) and becomes an errno.
#define TRY_IO(expression)                                                \
    ({                                                                    \
        auto&& _wk_io_result = (expression);                              \
        if (!_wk_io_result.has_value()) [[unlikely]]                      \
            return fail(_wk_io_result.error());                           \
        ::wk::detail::take_value(std::move(_wk_io_result));               \
    })

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
