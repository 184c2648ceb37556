#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "engine/text/literals.h"

using namespace wk;
using namespace wk::engine::text;

namespace {

u64 bits_of(double d)
{
    u64 b;
    std::memcpy(&b, &d, 8);
    return b;
}

u32 bits_of(float f)
{
    u32 b;
    std::memcpy(&b, &f, 4);
    return b;
}

// The reference: glibc's correctly rounded strtod/strtof. Returns false on overflow.
bool reference_f64(std::string const& text, u64& bits)
{
    std::string plain;
    for (char c : text) {
        if (c != '_')
            plain += c;
    }
    errno = 0;
    double d = std::strtod(plain.c_str(), nullptr);
    if (std::isinf(d))
        return false;
    bits = bits_of(d);
    return true;
}

bool reference_f32(std::string const& text, u32& bits)
{
    std::string plain;
    for (char c : text) {
        if (c != '_')
            plain += c;
    }
    float f = std::strtof(plain.c_str(), nullptr);
    if (std::isinf(f))
        return false;
    bits = bits_of(f);
    return true;
}

void check_against_reference(std::string const& text)
{
    u64 expected64 = 0;
    bool ok64 = reference_f64(text, expected64);
    auto got64 = parse_f64(text);
    ASSERT_EQ(ok64, got64.has_value()) << text;
    if (ok64)
        ASSERT_EQ(expected64, *got64) << text;
    u32 expected32 = 0;
    bool ok32 = reference_f32(text, expected32);
    auto got32 = parse_f32(text);
    ASSERT_EQ(ok32, got32.has_value()) << text;
    if (ok32)
        ASSERT_EQ(expected32, *got32) << text;
}

} // namespace

TEST(Integers, RangesAndForms)
{
    EXPECT_EQ(*parse_int("0", 32), 0u);
    EXPECT_EQ(*parse_int("-1", 32), 0xFFFFFFFFu);
    EXPECT_EQ(*parse_int("4294967295", 32), 0xFFFFFFFFu);
    EXPECT_EQ(*parse_int("-2147483648", 32), 0x80000000u);
    EXPECT_EQ(*parse_int("-0x8000_0000", 32), 0x80000000u);
    EXPECT_EQ(*parse_int("+0x7fff_ffff", 32), 0x7FFFFFFFu);
    EXPECT_EQ(*parse_int("0xFFFF_FFFF_FFFF_FFFF", 64), ~u64 { 0 });
    EXPECT_EQ(*parse_int("-9223372036854775808", 64), u64 { 1 } << 63);
    EXPECT_EQ(*parse_int("1_000_000", 32), 1000000u);
    EXPECT_EQ(*parse_int("255", 8), 255u);
    EXPECT_EQ(*parse_int("-128", 8), 0x80u);

    EXPECT_STREQ(parse_int("4294967296", 32).error().message(), "constant out of range");
    EXPECT_STREQ(parse_int("-2147483649", 32).error().message(), "constant out of range");
    EXPECT_STREQ(parse_int("18446744073709551616", 64).error().message(), "constant out of range");
    EXPECT_STREQ(parse_int("256", 8).error().message(), "constant out of range");
    EXPECT_STREQ(parse_int("-129", 8).error().message(), "constant out of range");
    for (char const* bad : { "", "-", "+", "_1", "1_", "1__0", "0x", "0x_1", "1a", "0X10", "1.0", "--1", "0x1g" })
        EXPECT_STREQ(parse_int(bad, 32).error().message(), "unknown operator") << bad;
    EXPECT_FALSE(parse_nat("+1", 100).has_value());
    EXPECT_FALSE(parse_nat("101", 100).has_value());
    EXPECT_EQ(*parse_nat("0x64", 100), 100u);
}

TEST(Floats, SpecialValues)
{
    EXPECT_EQ(*parse_f32("inf"), 0x7F800000u);
    EXPECT_EQ(*parse_f32("-inf"), 0xFF800000u);
    EXPECT_EQ(*parse_f32("nan"), 0x7FC00000u);
    EXPECT_EQ(*parse_f32("-nan"), 0xFFC00000u);
    EXPECT_EQ(*parse_f32("nan:0x1"), 0x7F800001u);
    EXPECT_EQ(*parse_f32("nan:0x7f_ffff"), 0x7FFFFFFFu);
    EXPECT_EQ(*parse_f32("+nan:0x200000"), 0x7FA00000u);
    EXPECT_FALSE(parse_f32("nan:0x0").has_value());
    EXPECT_FALSE(parse_f32("nan:0x80_0000").has_value());
    EXPECT_EQ(*parse_f64("nan"), 0x7FF8000000000000ull);
    EXPECT_EQ(*parse_f64("-nan:0xf_ffff_ffff_ffff"), 0xFFFFFFFFFFFFFFFFull);
    EXPECT_FALSE(parse_f64("nan:0x10_0000_0000_0000").has_value());
    EXPECT_EQ(*parse_f64("-0"), 0x8000000000000000ull);
    EXPECT_EQ(*parse_f64("-0x0p+0"), 0x8000000000000000ull);
    EXPECT_EQ(*parse_f32("0x1p-149"), 1u);
    EXPECT_EQ(*parse_f32("0x1p-150"), 0u);                // tie to even: 0
    EXPECT_EQ(*parse_f32("0x1.000002p-150"), 1u);         // above the tie
    EXPECT_EQ(*parse_f32("0x1.fffffefffffffffffp127"), 0x7F7FFFFFu);
    EXPECT_STREQ(parse_f32("0x1.ffffffp127").error().message(), "constant out of range");
    EXPECT_STREQ(parse_f32("0x1p128").error().message(), "constant out of range");
    EXPECT_STREQ(parse_f64("1e309").error().message(), "constant out of range");
    EXPECT_EQ(*parse_f64("1e-400"), 0u);
    EXPECT_EQ(*parse_f64("0x1.fffffffffffff7ffp1023"), 0x7FEFFFFFFFFFFFFFull);
    EXPECT_EQ(*parse_f64("1_000.000_5e0_1"), bits_of(10000.005));
    EXPECT_EQ(*parse_f64("1."), bits_of(1.0));
    EXPECT_EQ(*parse_f64("1.e1"), bits_of(10.0));
    EXPECT_EQ(*parse_f64("0x1.8"), bits_of(1.5));
    for (char const* bad : { "", "-", ".5", "1e", "1e+", "0x", "0xp1", "1__0", "1_.5", "1._5", "in", "infinity",
                             "nan:", "nan:0x", "nan:1", "0x1p", "1.5x", "0x1.8q" })
        EXPECT_FALSE(parse_f64(bad).has_value()) << bad;
}

TEST(Floats, HardDecimalCases)
{
    // Halfway and near-halfway cases that need more than 64 bits of precision.
    for (char const* text : {
             "2.2250738585072011e-308", "2.2250738585072012e-308", "4.9406564584124654e-324",
             "2.4703282292062327e-324", "2.4703282292062328e-324", "1.7976931348623157e308",
             "1.7976931348623158e308", "9007199254740993", "9007199254740992.5", "3.4028235677973366e38",
             "1.401298464324817e-45", "7.006492321624085e-46", "7.006492321624086e-46",
             "0.1", "0.3", "123456789012345678901234567890", "1e23", "8.589973e9", "1.00000005960464477550",
             "2.47032822920623272088284396434110686182529901307162382212792841250337753635104375932649918180817996189"
             "8982823477228588654633283551779698981993873980053909390631503565951557022639229085839244910518443593180"
             "2849621238269222e-324",
         })
        check_against_reference(text);
}

TEST(Floats, RandomDecimalAgainstStrtod)
{
    std::mt19937_64 rng(12345);
    for (int i = 0; i < 200000; ++i) {
        std::string text;
        if (rng() % 4 == 0)
            text += '-';
        int int_digits = 1 + static_cast<int>(rng() % 25);
        for (int d = 0; d < int_digits; ++d)
            text += static_cast<char>('0' + rng() % 10);
        if (rng() % 2) {
            text += '.';
            int frac = static_cast<int>(rng() % 30);
            for (int d = 0; d < frac; ++d)
                text += static_cast<char>('0' + rng() % 10);
        }
        if (rng() % 3) {
            text += 'e';
            int range = (rng() % 2) ? 40 : 340;
            text += std::to_string(static_cast<int>(rng() % (2 * range)) - range);
        }
        check_against_reference(text);
    }
}

TEST(Floats, RandomBitPatternsRoundTrip)
{
    std::mt19937_64 rng(777);
    char buffer[64];
    for (int i = 0; i < 100000; ++i) {
        u64 bits = rng();
        double d;
        std::memcpy(&d, &bits, 8);
        if (std::isnan(d) || std::isinf(d))
            continue;
        std::snprintf(buffer, sizeof buffer, "%.17g", d);
        ASSERT_EQ(*parse_f64(buffer), bits) << buffer;
        std::snprintf(buffer, sizeof buffer, "%a", d);
        ASSERT_EQ(*parse_f64(buffer), bits) << buffer;
        check_against_reference(buffer);
        u32 bits32 = static_cast<u32>(bits);
        float f;
        std::memcpy(&f, &bits32, 4);
        if (std::isnan(f) || std::isinf(f))
            continue;
        std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(f));
        ASSERT_EQ(*parse_f32(buffer), bits32) << buffer;
    }
}

TEST(Floats, RandomHexAgainstStrtod)
{
    std::mt19937_64 rng(99);
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 100000; ++i) {
        std::string text = (rng() % 2) ? "-0x" : "0x";
        int int_digits = 1 + static_cast<int>(rng() % 20);
        for (int d = 0; d < int_digits; ++d)
            text += kHex[rng() % 16];
        if (rng() % 2) {
            text += '.';
            int frac = static_cast<int>(rng() % 20);
            for (int d = 0; d < frac; ++d)
                text += kHex[rng() % 16];
        }
        text += 'p';
        text += std::to_string(static_cast<int>(rng() % 2300) - 1150);
        check_against_reference(text);
    }
}

TEST(Floats, LongInputsStayBounded)
{
    std::string many_digits(100000, '9');
    EXPECT_FALSE(parse_f64(many_digits).has_value()); // 1e100000: out of range
    std::string tiny = "0." + std::string(5000, '0') + "1";
    EXPECT_EQ(*parse_f64(tiny), 0u);
    std::string long_mantissa = "1." + std::string(3000, '0') + "1";
    EXPECT_EQ(*parse_f64(long_mantissa), bits_of(1.0));
    check_against_reference("0x" + std::string(500, 'f') + "p-2000");
}
