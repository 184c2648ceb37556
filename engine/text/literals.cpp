#include "engine/text/literals.h"

#include <bit>
#include <optional>

namespace wk::engine::text {

static Error syntax_error() { return Error::malformed("unknown operator"); }
static Error range_error() { return Error::malformed("constant out of range"); }

static int digit_value(char c, bool hex)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (hex) {
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
    }
    return -1;
}

// Digits with `_` allowed only between two digits. Calls `digit(v)` for each.
// Returns the number of characters consumed (0 if no digit at the start).
template<typename F>
static usize scan_digits(std::string_view text, usize at, bool hex, F&& digit)
{
    usize i = at;
    bool last_was_digit = false;
    while (i < text.size()) {
        char c = text[i];
        if (c == '_') {
            if (!last_was_digit || i + 1 >= text.size() || digit_value(text[i + 1], hex) < 0)
                return 0;
            last_was_digit = false;
            ++i;
            continue;
        }
        int v = digit_value(c, hex);
        if (v < 0)
            break;
        digit(v);
        last_was_digit = true;
        ++i;
    }
    return i - at;
}

// Parses an unsigned magnitude (no sign); overflow sets *overflow.
static Result<u64> parse_magnitude(std::string_view text, bool* overflow)
{
    bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x');
    usize at = hex ? 2 : 0;
    u64 base = hex ? 16 : 10;
    u64 value = 0;
    *overflow = false;
    usize n = scan_digits(text, at, hex, [&](int v) {
        if (value > (~u64 { 0 } - u64(v)) / base)
            *overflow = true;
        value = value * base + u64(v);
    });
    if (n == 0 || at + n != text.size())
        return syntax_error();
    return value;
}

Result<u64> parse_nat(std::string_view text, u64 max)
{
    if (text.empty() || text[0] == '+' || text[0] == '-')
        return syntax_error();
    bool overflow = false;
    u64 value = TRY(parse_magnitude(text, &overflow));
    if (overflow || value > max)
        return range_error();
    return value;
}

Result<u64> parse_int(std::string_view text, u32 bits)
{
    bool negative = false;
    if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    if (text.empty())
        return syntax_error();
    bool overflow = false;
    u64 value = TRY(parse_magnitude(text, &overflow));
    if (overflow)
        return range_error();
    u64 mask = bits == 64 ? ~u64 { 0 } : (u64 { 1 } << bits) - 1;
    if (negative) {
        u64 limit = u64 { 1 } << (bits - 1);
        if (value > limit)
            return range_error();
        return (~value + 1) & mask;
    }
    if (value > mask)
        return range_error();
    return value;
}

bool looks_like_number(std::string_view text)
{
    if (!text.empty() && (text[0] == '+' || text[0] == '-'))
        text.remove_prefix(1);
    if (text.empty())
        return false;
    return (text[0] >= '0' && text[0] <= '9') || text.starts_with("inf") || text.starts_with("nan");
}

namespace {

struct FloatFormat {
    int mantissa_bits; // explicit fraction bits
    int exponent_bits;
};

constexpr FloatFormat kF32 { 23, 8 };
constexpr FloatFormat kF64 { 52, 11 };

// Rounds mantissa × 2^exp2 (with `sticky` meaning nonzero bits below the
// mantissa's last bit) to the format, ties to even. mantissa != 0.
Result<u64> round_to_format(u64 mantissa, i64 exp2, bool sticky, FloatFormat format)
{
    int top = 63 - std::countl_zero(mantissa);
    i64 e = top + exp2;
    i64 bias = (i64 { 1 } << (format.exponent_bits - 1)) - 1;
    if (e > bias)
        return range_error();
    i64 keep = format.mantissa_bits + 1;
    bool subnormal = e < 1 - bias;
    if (subnormal)
        keep = format.mantissa_bits + e + bias;
    i64 shift = top + 1 - keep;
    u64 m;
    if (shift <= 0) {
        m = mantissa << -shift;
    } else {
        bool half;
        bool below;
        if (shift > 64) {
            m = 0;
            half = false;
            below = true;
        } else if (shift == 64) {
            m = 0;
            half = (mantissa >> 63) & 1;
            below = (mantissa << 1) != 0 || sticky;
        } else {
            m = mantissa >> shift;
            half = (mantissa >> (shift - 1)) & 1;
            u64 rest_mask = shift == 1 ? 0 : ((u64 { 1 } << (shift - 1)) - 1);
            below = (mantissa & rest_mask) != 0 || sticky;
        }
        if (half && (below || (m & 1)))
            ++m;
    }
    u64 fraction_mask = (u64 { 1 } << format.mantissa_bits) - 1;
    if (subnormal)
        return m; // a carry into bit mantissa_bits yields the smallest normal encoding
    if (m >> (format.mantissa_bits + 1)) {
        m >>= 1;
        ++e;
        if (e > bias)
            return range_error();
    }
    return (u64(e + bias) << format.mantissa_bits) | (m & fraction_mask);
}

// Fixed-capacity unsigned big integer (little-endian 32-bit limbs); big enough
// for every value the decimal conversion below forms.
class BigInt {
public:
    static constexpr usize kLimbs = 176;

    void set_small(u32 v)
    {
        m_size = v ? 1 : 0;
        m_limbs[0] = v;
    }
    bool is_zero() const { return m_size == 0; }
    void mul_add(u32 factor, u32 addend)
    {
        u64 carry = addend;
        for (usize i = 0; i < m_size; ++i) {
            u64 v = u64(m_limbs[i]) * factor + carry;
            m_limbs[i] = u32(v);
            carry = v >> 32;
        }
        if (carry && m_size < kLimbs)
            m_limbs[m_size++] = u32(carry);
    }
    usize bit_length() const
    {
        if (m_size == 0)
            return 0;
        return (m_size - 1) * 32 + (32 - std::countl_zero(m_limbs[m_size - 1]));
    }
    void shift_left(usize bits)
    {
        if (m_size == 0 || bits == 0)
            return;
        usize words = bits / 32;
        unsigned rest = bits % 32;
        usize new_size = m_size + words + 1;
        if (new_size > kLimbs)
            new_size = kLimbs;
        for (usize i = new_size; i-- > 0;) {
            u64 hi = (i >= words && i - words < m_size) ? m_limbs[i - words] : 0;
            u64 lo = (i >= words + 1 && i - words - 1 < m_size) ? m_limbs[i - words - 1] : 0;
            u64 combined = (hi << 32 | lo) << rest;
            m_limbs[i] = u32(combined >> 32);
        }
        m_size = new_size;
        trim();
    }
    void shift_right_one()
    {
        for (usize i = 0; i < m_size; ++i) {
            u32 next = i + 1 < m_size ? m_limbs[i + 1] : 0;
            m_limbs[i] = (m_limbs[i] >> 1) | (next << 31);
        }
        trim();
    }
    int compare(BigInt const& other) const
    {
        if (m_size != other.m_size)
            return m_size < other.m_size ? -1 : 1;
        for (usize i = m_size; i-- > 0;) {
            if (m_limbs[i] != other.m_limbs[i])
                return m_limbs[i] < other.m_limbs[i] ? -1 : 1;
        }
        return 0;
    }
    // *this -= other; requires *this >= other.
    void subtract(BigInt const& other)
    {
        i64 borrow = 0;
        for (usize i = 0; i < m_size; ++i) {
            i64 v = i64(m_limbs[i]) - (i < other.m_size ? i64(other.m_limbs[i]) : 0) - borrow;
            borrow = v < 0;
            m_limbs[i] = u32(v + (borrow << 32));
        }
        trim();
    }

private:
    void trim()
    {
        while (m_size > 0 && m_limbs[m_size - 1] == 0)
            --m_size;
    }

    u32 m_limbs[kLimbs] {};
    usize m_size { 0 };
};

constexpr usize kMaxDigits = 800;

struct Decimal {
    u8 digits[kMaxDigits + 1];
    usize count { 0 };
    i64 point { 0 }; // value = 0.d1 d2 ... × 10^point
};

void multiply_pow10(BigInt& n, i64 power)
{
    while (power >= 9) {
        n.mul_add(1000000000u, 0);
        power -= 9;
    }
    static constexpr u32 kPowers[] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000 };
    if (power > 0)
        n.mul_add(kPowers[power], 0);
}

// Exact when the digits and the power of ten are both exactly representable:
// one correctly rounded IEEE operation then gives the correctly rounded result.
std::optional<u64> fast_decimal(Decimal const& d, FloatFormat format)
{
    if (d.count > 15)
        return std::nullopt;
    u64 digits = 0;
    for (usize i = 0; i < d.count; ++i)
        digits = digits * 10 + d.digits[i];
    i64 e10 = d.point - i64(d.count);
    if (format.mantissa_bits == 52) {
        if (digits >= (u64 { 1 } << 53) || e10 < -22 || e10 > 22)
            return std::nullopt;
        static constexpr double kPowers[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
            1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
        double value = static_cast<double>(digits);
        value = e10 < 0 ? value / kPowers[-e10] : value * kPowers[e10];
        return std::bit_cast<u64>(value);
    }
    if (digits >= (u64 { 1 } << 24) || e10 < -10 || e10 > 10)
        return std::nullopt;
    static constexpr float kPowers[] = { 1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f };
    float value = static_cast<float>(digits);
    value = e10 < 0 ? value / kPowers[-e10] : value * kPowers[e10];
    return std::bit_cast<u32>(value);
}

Result<u64> decimal_to_float(Decimal const& d, FloatFormat format)
{
    if (d.count == 0)
        return 0;
    if (auto fast = fast_decimal(d, format))
        return *fast;
    if (d.point > 310)
        return range_error();
    if (d.point < -330)
        return 0;
    BigInt numerator;
    numerator.set_small(0);
    usize i = 0;
    while (i < d.count) {
        u32 chunk = 0;
        u32 factor = 1;
        for (usize j = 0; j < 9 && i < d.count; ++j, ++i) {
            chunk = chunk * 10 + d.digits[i];
            factor *= 10;
        }
        if (numerator.is_zero())
            numerator.set_small(chunk);
        else
            numerator.mul_add(factor, chunk);
    }
    BigInt denominator;
    denominator.set_small(1);
    i64 e10 = d.point - i64(d.count);
    if (e10 >= 0)
        multiply_pow10(numerator, e10);
    else
        multiply_pow10(denominator, -e10);
    i64 s = 63 - (i64(numerator.bit_length()) - i64(denominator.bit_length()));
    if (s >= 0)
        numerator.shift_left(usize(s));
    else
        denominator.shift_left(usize(-s));
    denominator.shift_left(63);
    u64 quotient = 0;
    for (int bit = 63; bit >= 0; --bit) {
        if (numerator.compare(denominator) >= 0) {
            numerator.subtract(denominator);
            quotient |= u64 { 1 } << bit;
        }
        denominator.shift_right_one();
    }
    return round_to_format(quotient, -s, !numerator.is_zero(), format);
}


// Scans the body of a float literal from `at` to the end of `text`:
// `digits [. digits] [(p|e) [+-] decimal-digits]` (p for hex, e for decimal). Calls `digit` for
// each mantissa digit, with `in_fraction` set once the point is passed, and returns the
// exponent (its magnitude clamped, so that huge exponents still round to inf or zero), or
// nothing on a syntax error.
template<typename Digit>
std::optional<i64> scan_float_body(std::string_view text, usize at, bool hex, bool& in_fraction, Digit& digit)
{
    usize n = scan_digits(text, at, hex, digit);
    if (n == 0)
        return std::nullopt;
    at += n;
    if (at < text.size() && text[at] == '.') {
        ++at;
        in_fraction = true;
        at += scan_digits(text, at, hex, digit);
    }
    i64 exponent = 0;
    char marker = hex ? 'p' : 'e';
    if (at < text.size() && (text[at] == marker || text[at] == marker - 32)) {
        ++at;
        bool negative = false;
        if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
            negative = text[at] == '-';
            ++at;
        }
        usize m = scan_digits(text, at, false, [&](int v) {
            if (exponent < 100000000)
                exponent = exponent * 10 + v;
        });
        if (m == 0)
            return std::nullopt;
        at += m;
        if (negative)
            exponent = -exponent;
    }
    if (at != text.size())
        return std::nullopt;
    return exponent;
}

Result<u64> parse_float(std::string_view text, FloatFormat format)
{
    bool negative = false;
    if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    u64 sign = negative ? u64 { 1 } << (format.mantissa_bits + format.exponent_bits) : 0;
    u64 exponent_all_ones = ((u64 { 1 } << format.exponent_bits) - 1) << format.mantissa_bits;
    if (text == "inf")
        return sign | exponent_all_ones;
    if (text == "nan")
        return sign | exponent_all_ones | (u64 { 1 } << (format.mantissa_bits - 1));
    if (text.starts_with("nan:0x")) {
        bool overflow = false;
        std::string_view payload = text.substr(4);
        u64 value = TRY(parse_magnitude(payload, &overflow));
        if (overflow || value == 0 || value >= (u64 { 1 } << format.mantissa_bits))
            return range_error();
        return sign | exponent_all_ones | value;
    }
    if (text.empty() || digit_value(text[0], false) < 0)
        return syntax_error();

    bool hex = text.size() > 2 && text[0] == '0' && text[1] == 'x';
    usize at = hex ? 2 : 0;
    if (hex) {
        u64 mantissa = 0;
        i64 exp2 = 0;
        bool sticky = false;
        bool in_fraction = false;
        auto digit = [&](int v) {
            if (mantissa >> 59) {
                if (v)
                    sticky = true;
                if (!in_fraction)
                    exp2 += 4;
            } else {
                mantissa = mantissa * 16 + u64(v);
                if (in_fraction)
                    exp2 -= 4;
            }
        };
        auto exponent = scan_float_body(text, at, true, in_fraction, digit);
        if (!exponent)
            return syntax_error();
        exp2 += *exponent;
        if (mantissa == 0)
            return sign;
        return sign | TRY(round_to_format(mantissa, exp2, sticky, format));
    }

    Decimal d;
    bool truncated = false;
    bool seen_nonzero = false;
    bool in_fraction = false;
    auto digit = [&](int v) {
        if (!seen_nonzero && v == 0) {
            if (in_fraction)
                --d.point;
            return;
        }
        seen_nonzero = true;
        if (d.count < kMaxDigits)
            d.digits[d.count++] = u8(v);
        else if (v != 0)
            truncated = true;
        if (!in_fraction)
            ++d.point;
    };
    auto exponent = scan_float_body(text, at, false, in_fraction, digit);
    if (!exponent)
        return syntax_error();
    d.point += *exponent;
    while (d.count > 0 && d.digits[d.count - 1] == 0 && !truncated)
        --d.count;
    if (truncated)
        d.digits[d.count++] = 1;
    return sign | TRY(decimal_to_float(d, format));
}

} // namespace

Result<u32> parse_f32(std::string_view text)
{
    return static_cast<u32>(TRY(parse_float(text, kF32)));
}

Result<u64> parse_f64(std::string_view text)
{
    return parse_float(text, kF64);
}

} // namespace wk::engine::text
