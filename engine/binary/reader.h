#pragma once

#include "base/leb128.h"
#include "base/result.h"
#include "base/span.h"
#include "base/string_view.h"
#include "engine/types.h"

namespace wk::engine {

// Whether bytes are well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF).
bool is_valid_utf8(ReadonlyBytes bytes);

// A bounds-checked cursor over [begin, end) of a module's bytes. Offsets are
// absolute (from the start of the module), so errors point into the input.
// Reading past `end` fails with the reader's end message: "unexpected end" at
// the end of the module, "unexpected end of section or function" inside it.
class Reader {
public:
    Reader() = default;
    Reader(ReadonlyBytes bytes, usize begin, usize end, const char* end_message = "unexpected end")
        : m_bytes(bytes.first(end))
        , m_position(begin)
        , m_end_message(end_message)
    {
    }

    usize offset() const { return m_position; }
    usize end() const { return m_bytes.size(); }
    usize remaining() const { return m_bytes.size() - m_position; }
    bool at_end() const { return m_position >= m_bytes.size(); }
    ReadonlyBytes bytes() const { return m_bytes; }
    void seek(usize position) { m_position = position; }
    const char* end_message() const { return m_end_message; }

    Error end_error() const { return Error::malformed(m_end_message, m_position); }

    Result<u8> read_u8()
    {
        if (m_position >= m_bytes.size()) [[unlikely]]
            return end_error();
        return m_bytes[m_position++];
    }

    Result<u8> peek_u8() const
    {
        if (m_position >= m_bytes.size()) [[unlikely]]
            return end_error();
        return m_bytes[m_position];
    }

    Result<u32> read_u32()
    {
        if (m_position < m_bytes.size() && m_bytes[m_position] < 0x80) [[likely]]
            return m_bytes[m_position++];
        // Two and three byte forms inline; the rest (and every error) in base/.
        if (m_position + 2 < m_bytes.size()) {
            u8 b0 = m_bytes[m_position], b1 = m_bytes[m_position + 1];
            if (b1 < 0x80) {
                m_position += 2;
                return (b0 & 0x7Fu) | (u32 { b1 } << 7);
            }
            u8 b2 = m_bytes[m_position + 2];
            if (b2 < 0x80) {
                m_position += 3;
                return (b0 & 0x7Fu) | ((b1 & 0x7Fu) << 7) | (u32 { b2 } << 14);
            }
        }
        return fix_end(read_leb_u32(m_bytes, m_position));
    }
    Result<u64> read_u64() { return fix_end(read_leb_u64(m_bytes, m_position)); }
    Result<i32> read_s32()
    {
        if (m_position < m_bytes.size() && m_bytes[m_position] < 0x80) [[likely]] {
            u8 byte = m_bytes[m_position++];
            return static_cast<i32>(static_cast<i8>(static_cast<u8>(byte << 1)) >> 1);
        }
        if (m_position + 2 < m_bytes.size()) {
            u8 b0 = m_bytes[m_position], b1 = m_bytes[m_position + 1];
            if (b1 < 0x80) {
                m_position += 2;
                u32 value = (b0 & 0x7Fu) | (u32 { b1 } << 7);
                return static_cast<i32>(value << 18) >> 18;
            }
            u8 b2 = m_bytes[m_position + 2];
            if (b2 < 0x80) {
                m_position += 3;
                u32 value = (b0 & 0x7Fu) | ((b1 & 0x7Fu) << 7) | (u32 { b2 } << 14);
                return static_cast<i32>(value << 11) >> 11;
            }
        }
        return fix_end(read_leb_s32(m_bytes, m_position));
    }
    Result<i64> read_s33() { return fix_end(read_leb_s33(m_bytes, m_position)); }
    Result<i64> read_s64() { return fix_end(read_leb_s64(m_bytes, m_position)); }

    template<typename T>
    Result<T> read_fixed()
    {
        if (remaining() < sizeof(T)) [[unlikely]]
            return end_error();
        T value;
        __builtin_memcpy(&value, m_bytes.data() + m_position, sizeof(T));
        m_position += sizeof(T);
        return value;
    }

    Result<ReadonlyBytes> read_bytes(usize count)
    {
        if (remaining() < count) [[unlikely]]
            return end_error();
        auto result = m_bytes.subspan(m_position, count);
        m_position += count;
        return result;
    }

    // A vector length whose elements take at least min_element_size bytes each:
    // a length the remaining bytes cannot hold fails before anything is allocated.
    Result<u32> read_count(usize min_element_size = 1)
    {
        usize start = m_position;
        u32 count = TRY(read_u32());
        if (static_cast<u64>(count) * min_element_size > remaining()) [[unlikely]]
            return Error::malformed(m_end_message, start);
        return count;
    }

    // name ::= vec(byte), valid UTF-8.
    Result<StringView> read_name()
    {
        u32 length = TRY(read_u32());
        if (length > remaining()) [[unlikely]]
            return Error::malformed("length out of bounds", m_position);
        usize start = m_position;
        auto text = m_bytes.subspan(start, length);
        if (!is_valid_utf8(text))
            return Error::malformed("malformed UTF-8 encoding", start);
        m_position += length;
        return StringView(reinterpret_cast<const char*>(text.data()), length);
    }

private:
    // base/leb128 reports running off the span as "unexpected end"; inside a
    // section or function that is this reader's end message.
    template<typename T>
    Result<T> fix_end(Result<T> result) const
    {
        if (!result && StringView(result.error().message()) == kUnexpectedEnd
            && StringView(m_end_message) != kUnexpectedEnd)
            return Error::malformed(m_end_message, result.error().offset());
        return result;
    }

    static constexpr const char* kUnexpectedEnd = "unexpected end";

    ReadonlyBytes m_bytes;
    usize m_position { 0 };
    const char* m_end_message { kUnexpectedEnd };
};

} // namespace wk::engine
