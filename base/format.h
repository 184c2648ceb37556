#pragma once

#include <concepts>
#include <cstddef>
#include <type_traits>

#include "base/error.h"
#include "base/format_sink.h"
#include "base/result.h"
#include "base/span.h"
#include "base/string.h"
#include "base/string_view.h"
#include "base/types.h"

namespace wk {

// A parsed replacement field: {:[[fill]align][#][0][width][.precision][type]}
// align is one of < > ^; type one of x X b o d c s p f.
struct FormatSpec {
    char fill { ' ' };
    char align { 0 };
    bool alternate { false };
    bool zero_pad { false };
    u32 width { 0 };
    i32 precision { -1 };
    char type { 0 };
};

// Specialise to make a type formattable:
//   template<> struct Formatter<Foo> { static void format(FormatSink&, const FormatSpec&, const Foo&); };
template<typename T>
struct Formatter;

// One type-erased argument; refers to the caller's object, so it lives only as long as
// the formatting call.
class FormatArg {
public:
    enum class Kind : u8 { Bool, Char, Signed, Unsigned, String, Pointer, Double, Custom };
    using CustomFunction = void (*)(FormatSink&, const FormatSpec&, const void*);

    template<typename T>
    static FormatArg make(const T& value);

    Kind kind() const { return m_kind; }

    bool m_bool { false };
    char m_char { 0 };
    i64 m_signed { 0 };
    u64 m_unsigned { 0 };
    const char* m_string { nullptr };
    usize m_string_length { 0 };
    const void* m_pointer { nullptr };
    f64 m_double { 0 };
    CustomFunction m_custom { nullptr };
    Kind m_kind { Kind::Bool };
};

// Writes fmt to sink with each {} replaced by the next argument. {{ and }} are literal
// braces. A malformed or unknown field, or one without an argument, is written verbatim
// (and consumes its argument if it has one); surplus arguments are ignored.
// Numbers align right, text left. Negative numbers in other bases print as -magnitude.
// char prints as a character, signed/unsigned char (i8/u8) as numbers. Pointers print as
// 0x<hex>. Doubles print in fixed notation with 6 decimals (or .precision, at most 17),
// rounded half-up on the decimal digits; magnitudes of 1e18 and above print as
// d.ddde+NN, scaled by repeated division. Neither is correctly rounded in the last
// digits; nan, inf and -inf print as such.
void vformat(FormatSink& sink, StringView fmt, Span<const FormatArg> args);

// Helpers that Formatter specialisations can reuse.
void format_padded(FormatSink& sink, const FormatSpec& spec, StringView text, char default_align);
void format_integer(FormatSink& sink, const FormatSpec& spec, u64 magnitude, bool negative);

template<typename... Args>
void format_to(FormatSink& sink, StringView fmt, const Args&... args)
{
    if constexpr (sizeof...(Args) == 0) {
        vformat(sink, fmt, {});
    } else {
        FormatArg erased[] = { FormatArg::make(args)... };
        vformat(sink, fmt, Span<const FormatArg>(erased, sizeof...(Args)));
    }
}

struct FormatIntoResult {
    usize length;   // characters written to the buffer
    bool truncated; // the output did not fit and was cut at `length`
};

// A FormatSink over a fixed buffer; never writes past it and records truncation.
class BufferFormatSink final : public FormatSink {
public:
    explicit BufferFormatSink(Span<char> buffer)
        : m_buffer(buffer)
    {
    }
    void write(StringView text) override;
    FormatIntoResult result() const { return { m_length, m_truncated }; }
    StringView view() const { return StringView(m_buffer.data(), m_length); }

private:
    Span<char> m_buffer;
    usize m_length { 0 };
    bool m_truncated { false };
};

// Formats into buffer without NUL-terminating it.
template<typename... Args>
FormatIntoResult format_into(Span<char> buffer, StringView fmt, const Args&... args)
{
    BufferFormatSink sink(buffer);
    format_to(sink, fmt, args...);
    return sink.result();
}

template<typename... Args>
Result<String> try_format(StringView fmt, const Args&... args)
{
    StringBuilder builder;
    format_to(builder, fmt, args...);
    return builder.to_string();
}

template<>
struct Formatter<Error> {
    static void format(FormatSink& sink, const FormatSpec& spec, const Error& error);
};

template<typename T>
FormatArg FormatArg::make(const T& value)
{
    FormatArg arg;
    if constexpr (requires(FormatSink& sink, const FormatSpec& spec) { Formatter<T>::format(sink, spec, value); }) {
        arg.m_kind = Kind::Custom;
        arg.m_pointer = &value;
        arg.m_custom = [](FormatSink& sink, const FormatSpec& spec, const void* object) {
            Formatter<T>::format(sink, spec, *static_cast<const T*>(object));
        };
    } else if constexpr (std::same_as<T, bool>) {
        arg.m_kind = Kind::Bool;
        arg.m_bool = value;
    } else if constexpr (std::same_as<T, char>) {
        arg.m_kind = Kind::Char;
        arg.m_char = value;
    } else if constexpr (std::is_enum_v<T>) {
        return make(static_cast<std::underlying_type_t<T>>(value));
    } else if constexpr (std::signed_integral<T>) {
        arg.m_kind = Kind::Signed;
        arg.m_signed = value;
    } else if constexpr (std::unsigned_integral<T>) {
        arg.m_kind = Kind::Unsigned;
        arg.m_unsigned = value;
    } else if constexpr (std::floating_point<T>) {
        arg.m_kind = Kind::Double;
        arg.m_double = static_cast<f64>(value);
    } else if constexpr (std::is_array_v<T> && std::same_as<std::remove_cv_t<std::remove_extent_t<T>>, char>) {
        // A char array (usually a string literal): up to its first NUL, never past its end.
        usize length = 0;
        while (length < std::extent_v<T> && value[length] != '\0')
            ++length;
        arg.m_kind = Kind::String;
        arg.m_string = value;
        arg.m_string_length = length;
    } else if constexpr (std::same_as<T, const char*> || std::same_as<T, char*>) {
        arg.m_kind = Kind::String;
        arg.m_string = value ? value : "(null)";
        arg.m_string_length = c_string_length(arg.m_string);
    } else if constexpr (std::convertible_to<const T&, StringView>) {
        StringView view = value;
        arg.m_kind = Kind::String;
        arg.m_string = view.data();
        arg.m_string_length = view.size();
    } else if constexpr (std::same_as<T, std::nullptr_t>) {
        arg.m_kind = Kind::Pointer;
        arg.m_pointer = nullptr;
    } else if constexpr (std::is_pointer_v<T>) {
        arg.m_kind = Kind::Pointer;
        arg.m_pointer = reinterpret_cast<const void*>(value);
    } else {
        static_assert(sizeof(T) == 0, "type is not formattable: specialise wk::Formatter");
    }
    return arg;
}

} // namespace wk
