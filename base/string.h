#pragma once

#include <utility>

#include "base/allocator.h"
#include "base/assert.h"
#include "base/checked.h"
#include "base/format_sink.h"
#include "base/result.h"
#include "base/string_view.h"
#include "base/traits.h"
#include "base/types.h"
#include "base/vector.h"

namespace wk {

// An owned, NUL-terminated byte string with an explicit allocator (nullptr means
// default_allocator()). The empty String owns no memory. Copying is explicit: try_clone().
class String {
public:
    constexpr String() = default;

    static Result<String> try_create(StringView text, Allocator* allocator = nullptr)
    {
        String string(allocator);
        TRY(string.try_append(text));
        return string;
    }

    String(const String&) = delete;
    String& operator=(const String&) = delete;

    String(String&& other)
        : m_data(std::exchange(other.m_data, nullptr))
        , m_length(std::exchange(other.m_length, 0))
        , m_capacity(std::exchange(other.m_capacity, 0))
        , m_allocator(other.m_allocator)
    {
    }

    String& operator=(String&& other)
    {
        if (this != &other) {
            release();
            m_data = std::exchange(other.m_data, nullptr);
            m_length = std::exchange(other.m_length, 0);
            m_capacity = std::exchange(other.m_capacity, 0);
            m_allocator = other.m_allocator;
        }
        return *this;
    }

    ~String() { release(); }

    Result<String> try_clone() const { return try_create(view(), m_allocator); }

    // text may point into this string.
    Result<void> try_append(StringView text)
    {
        if (text.empty())
            return {};
        auto length = checked_add(m_length, text.size());
        if (!length || *length == ~usize { 0 })
            return Error::out_of_memory();
        if (*length > m_capacity) {
            usize capacity = m_capacity > *length / 2 ? m_capacity * 2 : *length;
            if (capacity < *length || capacity == ~usize { 0 })
                capacity = *length;
            if (capacity < 15)
                capacity = 15;
            char* data = static_cast<char*>(allocator().allocate(capacity + 1, 1));
            if (!data)
                return Error::out_of_memory();
            // Copy the appended text first: it may live in the old buffer.
            __builtin_memcpy(data + m_length, text.data(), text.size());
            if (m_data) {
                __builtin_memcpy(data, m_data, m_length);
                allocator().deallocate(m_data, m_capacity + 1, 1);
            }
            m_data = data;
            m_capacity = capacity;
        } else {
            __builtin_memmove(m_data + m_length, text.data(), text.size());
        }
        m_length = *length;
        m_data[m_length] = '\0';
        return {};
    }

    Result<void> try_append(char c) { return try_append(StringView(&c, 1)); }

    StringView view() const { return m_data ? StringView(m_data, m_length) : StringView(); }
    operator StringView() const { return view(); }
    const char* c_str() const { return m_data ? m_data : ""; }
    usize length() const { return m_length; }
    bool is_empty() const { return m_length == 0; }
    Allocator& allocator() const { return m_allocator ? *m_allocator : default_allocator(); }

    char operator[](usize index) const
    {
        WK_ASSERT(index < m_length);
        return m_data[index];
    }

    bool operator==(const String& other) const { return view() == other.view(); }
    bool operator==(StringView other) const { return view() == other; }
    bool operator==(const char* other) const { return view() == StringView(other, c_string_length(other)); }

    void clear()
    {
        m_length = 0;
        if (m_data)
            m_data[0] = '\0';
    }

private:
    explicit constexpr String(Allocator* allocator)
        : m_allocator(allocator)
    {
    }

    void release()
    {
        if (m_data)
            allocator().deallocate(m_data, m_capacity + 1, 1);
        m_data = nullptr;
        m_length = 0;
        m_capacity = 0;
    }

    char* m_data { nullptr };
    usize m_length { 0 };
    usize m_capacity { 0 };
    Allocator* m_allocator { nullptr };
};

// Accumulates text. The try_ functions report exhaustion directly; append(), append_char()
// and write() (as a FormatSink) record it instead, and to_string() then fails, so a
// sequence of appends can be checked once at the end.
class StringBuilder final : public FormatSink {
public:
    StringBuilder() = default;
    explicit StringBuilder(Allocator* allocator)
        : m_buffer(allocator)
    {
    }

    StringBuilder(StringBuilder&&) = default;
    StringBuilder& operator=(StringBuilder&&) = default;
    StringBuilder(const StringBuilder&) = delete;
    StringBuilder& operator=(const StringBuilder&) = delete;
    ~StringBuilder() = default;

    Result<void> try_append(StringView text)
    {
        auto result = m_buffer.try_extend(Span<const char>(text.data(), text.size()));
        if (!result)
            m_failed = true;
        return result;
    }

    Result<void> try_append_char(char c)
    {
        auto result = m_buffer.try_append(c);
        if (!result)
            m_failed = true;
        return result;
    }

    void append(StringView text) { (void)try_append(text); }
    void append_char(char c) { (void)try_append_char(c); }
    void write(StringView text) override { append(text); }

    StringView view() const { return StringView(m_buffer.data(), m_buffer.size()); }
    usize length() const { return m_buffer.size(); }
    bool is_empty() const { return m_buffer.is_empty(); }
    // True when some append ran out of memory; the text is then incomplete.
    bool has_failed() const { return m_failed; }

    Result<String> to_string() const
    {
        if (m_failed)
            return Error::out_of_memory();
        return String::try_create(view(), &m_buffer.allocator());
    }

    void clear()
    {
        m_buffer.clear();
        m_failed = false;
    }

private:
    Vector<char> m_buffer;
    bool m_failed { false };
};

template<>
struct Traits<String> {
    static u32 hash(const String& value, u64 seed) { return hash_bytes(value.view(), seed); }
    static u32 hash(StringView value, u64 seed) { return hash_bytes(value, seed); }
    static bool equals(const String& a, const String& b) { return a.view() == b.view(); }
    static bool equals(const String& a, StringView b) { return a.view() == b; }
};

} // namespace wk
