#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "base/format.h"

using namespace wk;

namespace {

template<typename... Args>
std::string fmt(StringView format, const Args&... args)
{
    auto result = try_format(format, args...);
    EXPECT_TRUE(result.has_value());
    return std::string(result->view());
}

struct Point {
    int x;
    int y;
};

} // namespace

template<>
struct wk::Formatter<Point> {
    static void format(FormatSink& sink, const FormatSpec&, const Point& point) { format_to(sink, "({}, {})", point.x, point.y); }
};

TEST(Format, PlainAndEscapes)
{
    EXPECT_EQ(fmt("plain"), "plain");
    EXPECT_EQ(fmt(""), "");
    EXPECT_EQ(fmt("{{}}"), "{}");
    EXPECT_EQ(fmt("{{{}}}", 5), "{5}");
    EXPECT_EQ(fmt("a{}b{}c", 1, 2), "a1b2c");
}

TEST(Format, IntegersOfEveryWidth)
{
    EXPECT_EQ(fmt("{} {}", i8 { -128 }, u8 { 255 }), "-128 255");
    EXPECT_EQ(fmt("{} {}", i16 { -32768 }, u16 { 65535 }), "-32768 65535");
    EXPECT_EQ(fmt("{} {}", INT32_MIN, UINT32_MAX), "-2147483648 4294967295");
    EXPECT_EQ(fmt("{} {}", INT64_MIN, UINT64_MAX), "-9223372036854775808 18446744073709551615");
    EXPECT_EQ(fmt("{}", 0), "0");
    EXPECT_EQ(fmt("{:d}", 42u), "42");
}

TEST(Format, Radixes)
{
    EXPECT_EQ(fmt("{:x}", 255), "ff");
    EXPECT_EQ(fmt("{:X}", 255), "FF");
    EXPECT_EQ(fmt("{:#x}", 255), "0xff");
    EXPECT_EQ(fmt("{:#X}", 255), "0XFF");
    EXPECT_EQ(fmt("{:b}", 5), "101");
    EXPECT_EQ(fmt("{:#b}", 5), "0b101");
    EXPECT_EQ(fmt("{:o}", 8), "10");
    EXPECT_EQ(fmt("{:x}", -255), "-ff");
    EXPECT_EQ(fmt("{:x}", UINT64_MAX), "ffffffffffffffff");
    EXPECT_EQ(fmt("{:b}", UINT64_MAX), std::string(64, '1'));
}

TEST(Format, WidthFillAndAlignment)
{
    EXPECT_EQ(fmt("{:08x}", 0xbeefu), "0000beef");
    EXPECT_EQ(fmt("{:#010x}", 0xbeefu), "0x0000beef");
    EXPECT_EQ(fmt("{:05}", -42), "-0042");
    EXPECT_EQ(fmt("[{:>8}]", "ab"), "[      ab]");
    EXPECT_EQ(fmt("[{:<8}]", 12), "[12      ]");
    EXPECT_EQ(fmt("[{:8}]", 12), "[      12]");
    EXPECT_EQ(fmt("[{:8}]", "ab"), "[ab      ]");
    EXPECT_EQ(fmt("[{:^7}]", "mid"), "[  mid  ]");
    EXPECT_EQ(fmt("[{:*>6}]", 7), "[*****7]");
    EXPECT_EQ(fmt("[{:-<4}]", 'x'), "[x---]");
    EXPECT_EQ(fmt("[{:2}]", "toolong"), "[toolong]");
    EXPECT_EQ(fmt("[{:.3}]", "abcdef"), "[abc]");
}

TEST(Format, CharsBoolsStringsPointers)
{
    EXPECT_EQ(fmt("{}", 'z'), "z");
    EXPECT_EQ(fmt("{:c}", 65), "A");
    EXPECT_EQ(fmt("{:d}", 'A'), "65");
    EXPECT_EQ(fmt("{} {}", true, false), "true false");
    EXPECT_EQ(fmt("{:d}", true), "1");
    const char* c_string = "c-string";
    EXPECT_EQ(fmt("{}", c_string), "c-string");
    const char* null_string = nullptr;
    EXPECT_EQ(fmt("{}", null_string), "(null)");
    EXPECT_EQ(fmt("{}", StringView("view")), "view");
    auto owned = MUST(String::try_create("owned"));
    EXPECT_EQ(fmt("{}", owned), "owned");
    EXPECT_EQ(fmt("{}", reinterpret_cast<void*>(0x1000)), "0x1000");
    EXPECT_EQ(fmt("{}", nullptr), "0x0");
    int local = 0;
    EXPECT_EQ(fmt("{}", &local).substr(0, 2), "0x");
    EXPECT_EQ(fmt("{:>10}", reinterpret_cast<void*>(0xab)), "      0xab");
}

TEST(Format, Doubles)
{
    EXPECT_EQ(fmt("{}", 3.14159), "3.141590");
    EXPECT_EQ(fmt("{:.2}", 3.14159), "3.14");
    EXPECT_EQ(fmt("{:.0}", 2.5), "3");
    EXPECT_EQ(fmt("{:.3}", -0.0005), "-0.001");
    EXPECT_EQ(fmt("{:.1}", 9.96), "10.0");
    EXPECT_EQ(fmt("{}", 0.0), "0.000000");
    EXPECT_EQ(fmt("{}", 1.5f), "1.500000");
    EXPECT_EQ(fmt("{:.2}", 1e300), "1.00e+300");
    EXPECT_EQ(fmt("{}", __builtin_nan("")), "nan");
    EXPECT_EQ(fmt("{}", -__builtin_inf()), "-inf");
    EXPECT_EQ(fmt("{:08.2}", -1.5), "-0001.50");
    EXPECT_EQ(fmt("[{:<6.1}]", 2.25), "[2.3   ]");
}

TEST(Format, BadFormatStringsAreWrittenVerbatim)
{
    EXPECT_EQ(fmt("{", 1), "{");
    EXPECT_EQ(fmt("x{:", 1), "x{:");
    EXPECT_EQ(fmt("}", 1), "}");
    EXPECT_EQ(fmt("{} {}", 1), "1 {}");
    EXPECT_EQ(fmt("{:q} {}", 1, 2), "{:q} 2");
    EXPECT_EQ(fmt("{0}", 1), "{0}");
    EXPECT_EQ(fmt("{:99999}", 1), "{:99999}");
    EXPECT_EQ(fmt("{:.}", 1.0), "{:.}");
    EXPECT_EQ(fmt("{:x", 1), "{:x");
    EXPECT_EQ(fmt("{{:}", 1), "{:}");
    EXPECT_EQ(fmt("{}", 1, 2, 3), "1");
}

TEST(Format, CustomFormatterAndError)
{
    EXPECT_EQ(fmt("at {}", Point { 1, -2 }), "at (1, -2)");
    EXPECT_EQ(fmt("{}", Error::malformed("unexpected end", 17)), "unexpected end (at offset 17)");
    EXPECT_EQ(fmt("{}", Error::out_of_memory()), "out of memory");
}

TEST(Format, IntoBufferNeverOverflows)
{
    char buffer[8];
    for (char& c : buffer)
        c = '#';
    auto result = format_into(Span<char>(buffer, 5), "value={}", 12345);
    EXPECT_EQ(result.length, 5u);
    EXPECT_TRUE(result.truncated);
    EXPECT_EQ(std::string(buffer, 5), "value");
    EXPECT_EQ(buffer[5], '#');

    result = format_into(Span<char>(buffer, 8), "{:x}", 0xabcu);
    EXPECT_EQ(result.length, 3u);
    EXPECT_FALSE(result.truncated);
    EXPECT_EQ(std::string(buffer, 3), "abc");

    result = format_into(Span<char>(buffer, 0), "x");
    EXPECT_EQ(result.length, 0u);
    EXPECT_TRUE(result.truncated);

    result = format_into(Span<char>(buffer, 4), "{:>6}", 1);
    EXPECT_EQ(result.length, 4u);
    EXPECT_TRUE(result.truncated);
    EXPECT_EQ(std::string(buffer, 4), "    ");
}

// Random format strings built from the spec alphabet: formatting must stay in bounds and
// report truncation exactly when the output did not fit.
TEST(Format, RandomFormatStringsStayInBounds)
{
    const char alphabet[] = "{}:#0<>^xXbodcspf.123456789 a*-";
    unsigned state = 1;
    auto next = [&] {
        state = state * 1103515245u + 12345u;
        return state >> 16;
    };
    auto owned = MUST(String::try_create("owned"));
    for (int i = 0; i < 50000; ++i) {
        std::string format;
        usize length = next() % 24;
        for (usize j = 0; j < length; ++j)
            format += alphabet[next() % (sizeof(alphabet) - 1)];
        char buffer[64];
        usize size = next() % sizeof(buffer);
        auto limited = format_into(Span<char>(buffer, size), format, -7, "str", 2.5, 'c', owned, u64 { 1 } << 63, nullptr, true);
        ASSERT_LE(limited.length, size);
        auto full = try_format(format, -7, "str", 2.5, 'c', owned, u64 { 1 } << 63, nullptr, true);
        ASSERT_TRUE(full.has_value());
        ASSERT_EQ(limited.truncated, full->length() > size) << format;
        ASSERT_EQ(StringView(buffer, limited.length), full->view().substr(0, limited.length)) << format;
    }
}
