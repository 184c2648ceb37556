#pragma once

#include "base/error.h"
#include "base/result.h"
#include "base/span.h"
#include "base/types.h"
#include "base/vector.h"

namespace wk {

namespace detail {

// Decodes an unsigned LEB128 number of at most `bits` bits (bits <= 64) at `cursor`,
// following the WebAssembly binary format: at most ceil(bits / 7) bytes, and the unused
// bits of the last permitted byte must be zero. On success the cursor moves past the
// number; on failure it is unchanged and the error's offset is where the number starts.
inline Result<u64> read_leb_unsigned(ReadonlyBytes bytes, usize& cursor, u32 bits)
{
    usize start = cursor;
    u64 value = 0;
    u32 shift = 0;
    for (u32 remaining = bits;; remaining -= 7) {
        usize position = start + shift / 7;
        if (position >= bytes.size())
            return Error::malformed("unexpected end", start);
        u8 byte = bytes[position];
        u8 payload = byte & 0x7f;
        if (remaining < 7 && payload >= (1u << remaining))
            return Error::malformed("integer too large", start);
        value |= static_cast<u64>(payload) << shift;
        if ((byte & 0x80) == 0) {
            cursor = position + 1;
            return value;
        }
        if (remaining <= 7)
            return Error::malformed("integer representation too long", start);
        shift += 7;
    }
}

// As read_leb_unsigned, for a two's-complement number of `bits` bits: the unused bits
// of the last permitted byte must all equal the sign bit.
inline Result<i64> read_leb_signed(ReadonlyBytes bytes, usize& cursor, u32 bits)
{
    usize start = cursor;
    u64 value = 0;
    u32 shift = 0;
    for (u32 remaining = bits;; remaining -= 7) {
        usize position = start + shift / 7;
        if (position >= bytes.size())
            return Error::malformed("unexpected end", start);
        u8 byte = bytes[position];
        u8 payload = byte & 0x7f;
        if (remaining < 7) {
            u8 mask = static_cast<u8>((0xffu << (remaining - 1)) & 0x7f);
            u8 high = payload & mask;
            if (high != 0 && high != mask)
                return Error::malformed("integer too large", start);
        }
        value |= static_cast<u64>(payload) << shift;
        shift += 7;
        if ((byte & 0x80) == 0) {
            if (shift < 64 && (payload & 0x40) != 0)
                value |= ~u64 { 0 } << shift;
            cursor = position + 1;
            return static_cast<i64>(value);
        }
        if (remaining <= 7)
            return Error::malformed("integer representation too long", start);
    }
}

} // namespace detail

// LEB128 readers for the WebAssembly binary format. Errors are ErrorKind::Malformed with
// the offset of the number's first byte: "unexpected end", "integer representation too
// long" or "integer too large". On error the cursor does not move.
inline Result<u32> read_leb_u32(ReadonlyBytes bytes, usize& cursor)
{
    return static_cast<u32>(TRY(detail::read_leb_unsigned(bytes, cursor, 32)));
}

inline Result<u64> read_leb_u64(ReadonlyBytes bytes, usize& cursor)
{
    return detail::read_leb_unsigned(bytes, cursor, 64);
}

inline Result<i32> read_leb_s32(ReadonlyBytes bytes, usize& cursor)
{
    return static_cast<i32>(TRY(detail::read_leb_signed(bytes, cursor, 32)));
}

// Block types are encoded as s33: negative values are value types, others type indices.
inline Result<i64> read_leb_s33(ReadonlyBytes bytes, usize& cursor)
{
    return detail::read_leb_signed(bytes, cursor, 33);
}

inline Result<i64> read_leb_s64(ReadonlyBytes bytes, usize& cursor)
{
    return detail::read_leb_signed(bytes, cursor, 64);
}

// Writers append the shortest encoding.
inline Result<void> write_leb_u64(Vector<u8>& out, u64 value)
{
    u8 buffer[10];
    usize length = 0;
    do {
        u8 byte = value & 0x7f;
        value >>= 7;
        if (value != 0)
            byte |= 0x80;
        buffer[length++] = byte;
    } while (value != 0);
    return out.try_extend(Span<const u8>(buffer, length));
}

inline Result<void> write_leb_u32(Vector<u8>& out, u32 value)
{
    return write_leb_u64(out, value);
}

inline Result<void> write_leb_s64(Vector<u8>& out, i64 value)
{
    u8 buffer[10];
    usize length = 0;
    for (;;) {
        u8 byte = static_cast<u8>(value) & 0x7f;
        value >>= 7; // arithmetic shift: C++20 defines it for negative values
        bool done = (value == 0 && (byte & 0x40) == 0) || (value == -1 && (byte & 0x40) != 0);
        if (!done)
            byte |= 0x80;
        buffer[length++] = byte;
        if (done)
            break;
    }
    return out.try_extend(Span<const u8>(buffer, length));
}

inline Result<void> write_leb_s32(Vector<u8>& out, i32 value)
{
    return write_leb_s64(out, value);
}

} // namespace wk
