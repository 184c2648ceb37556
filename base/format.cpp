#include "base/format.h"

namespace wk {

namespace {

constexpr u32 kMaxWidth = 1024;
constexpr i32 kMaxDoublePrecision = 17;
constexpr i32 kMaxPrecision = 1024;

// substr without the exception path (libstdc++ would call __throw_out_of_range_fmt);
// callers pass in-bounds ranges.
StringView slice(StringView text, usize start, usize length = StringView::npos)
{
    if (start > text.size())
        start = text.size();
    usize available = text.size() - start;
    return StringView(text.data() + start, length < available ? length : available);
}

bool is_align(char c) { return c == '<' || c == '>' || c == '^'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses the text after ':' in a replacement field; false when it is not a valid spec.
bool parse_spec(StringView text, FormatSpec& spec)
{
    usize i = 0;
    if (text.size() >= 2 && is_align(text[1])) {
        spec.fill = text[0];
        spec.align = text[1];
        i = 2;
    } else if (!text.empty() && is_align(text[0])) {
        spec.align = text[0];
        i = 1;
    }
    if (i < text.size() && text[i] == '#') {
        spec.alternate = true;
        ++i;
    }
    if (i < text.size() && text[i] == '0') {
        spec.zero_pad = true;
        ++i;
    }
    while (i < text.size() && is_digit(text[i])) {
        spec.width = spec.width * 10 + static_cast<u32>(text[i] - '0');
        if (spec.width > kMaxWidth)
            return false;
        ++i;
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        if (i >= text.size() || !is_digit(text[i]))
            return false;
        spec.precision = 0;
        while (i < text.size() && is_digit(text[i])) {
            spec.precision = spec.precision * 10 + (text[i] - '0');
            if (spec.precision > kMaxPrecision)
                return false;
            ++i;
        }
    }
    if (i < text.size()) {
        switch (text[i]) {
        case 'x':
        case 'X':
        case 'b':
        case 'o':
        case 'd':
        case 'c':
        case 's':
        case 'p':
        case 'f':
            spec.type = text[i];
            ++i;
            break;
        default:
            return false;
        }
    }
    return i == text.size();
}

void write_repeated(FormatSink& sink, char c, usize count)
{
    char chunk[32];
    for (auto& slot : chunk)
        slot = c;
    while (count > 0) {
        usize n = count < sizeof(chunk) ? count : sizeof(chunk);
        sink.write(StringView(chunk, n));
        count -= n;
    }
}

// Digits of value in base, most significant first, at the end of buffer; returns the start.
char* write_digits(char* end, u64 value, u32 base, bool upper)
{
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char* p = end;
    do {
        *--p = digits[value % base];
        value /= base;
    } while (value != 0);
    return p;
}

void format_char(FormatSink& sink, const FormatSpec& spec, char c)
{
    format_padded(sink, spec, StringView(&c, 1), '<');
}

void format_string(FormatSink& sink, const FormatSpec& spec, StringView text)
{
    if (spec.precision >= 0 && static_cast<usize>(spec.precision) < text.size())
        text = slice(text, 0, static_cast<usize>(spec.precision));
    format_padded(sink, spec, text, '<');
}

void format_double(FormatSink& sink, const FormatSpec& spec, f64 value)
{
    char buffer[64];
    char* end = buffer + sizeof(buffer);
    char* p = end;
    auto emit = [&](StringView body) { format_padded(sink, spec, body, '>'); };

    bool negative = __builtin_signbit(value);
    if (__builtin_isnan(value)) {
        emit("nan");
        return;
    }
    if (__builtin_isinf(value)) {
        emit(negative ? "-inf" : "inf");
        return;
    }
    f64 magnitude = negative ? -value : value;
    i32 precision = spec.precision < 0 ? 6 : (spec.precision > kMaxDoublePrecision ? kMaxDoublePrecision : spec.precision);

    // Values too large for the integer path print as d.ddddde+NN, scaled by repeated
    // division: approximate in the last digits.
    i32 exponent = 0;
    bool scientific = magnitude >= 1e18;
    while (magnitude >= 10.0 && scientific) {
        magnitude /= 10.0;
        ++exponent;
    }

    u64 scale = 1;
    for (i32 i = 0; i < precision; ++i)
        scale *= 10;
    u64 integer = static_cast<u64>(magnitude);
    f64 fraction = magnitude - static_cast<f64>(integer);
    u64 fraction_digits = static_cast<u64>(fraction * static_cast<f64>(scale) + 0.5);
    if (fraction_digits >= scale) {
        fraction_digits -= scale;
        ++integer;
        if (scientific && integer >= 10) {
            integer /= 10;
            ++exponent;
        }
    }

    if (scientific) {
        p = write_digits(p, static_cast<u64>(exponent), 10, false);
        if (exponent < 10)
            *--p = '0';
        *--p = '+';
        *--p = 'e';
    }
    if (precision > 0) {
        char* fraction_end = p;
        p = write_digits(p, fraction_digits, 10, false);
        while (fraction_end - p < precision)
            *--p = '0';
        *--p = '.';
    }
    p = write_digits(p, integer, 10, false);
    if (negative)
        *--p = '-';

    StringView body(p, static_cast<usize>(end - p));
    if (spec.zero_pad && spec.align == 0 && spec.width > body.size()) {
        usize sign = negative ? 1 : 0;
        if (negative)
            sink.write("-");
        write_repeated(sink, '0', spec.width - body.size());
        sink.write(slice(body, sign));
        return;
    }
    emit(body);
}

void format_pointer(FormatSink& sink, const FormatSpec& spec, const void* pointer)
{
    FormatSpec pointer_spec = spec;
    pointer_spec.alternate = true;
    pointer_spec.type = 'x';
    format_integer(sink, pointer_spec, reinterpret_cast<uptr>(pointer), false);
}

void format_arg(FormatSink& sink, const FormatSpec& spec, const FormatArg& arg)
{
    switch (arg.kind()) {
    case FormatArg::Kind::Bool:
        if (spec.type != 0 && spec.type != 's')
            format_integer(sink, spec, arg.m_bool ? 1 : 0, false);
        else
            format_string(sink, spec, arg.m_bool ? "true" : "false");
        return;
    case FormatArg::Kind::Char:
        if (spec.type != 0 && spec.type != 'c' && spec.type != 's') {
            auto value = static_cast<i64>(arg.m_char);
            format_integer(sink, spec, value < 0 ? static_cast<u64>(-value) : static_cast<u64>(value), value < 0);
        } else {
            format_char(sink, spec, arg.m_char);
        }
        return;
    case FormatArg::Kind::Signed: {
        i64 value = arg.m_signed;
        u64 magnitude = value < 0 ? ~static_cast<u64>(value) + 1 : static_cast<u64>(value);
        format_integer(sink, spec, magnitude, value < 0);
        return;
    }
    case FormatArg::Kind::Unsigned:
        format_integer(sink, spec, arg.m_unsigned, false);
        return;
    case FormatArg::Kind::String:
        format_string(sink, spec, StringView(arg.m_string, arg.m_string_length));
        return;
    case FormatArg::Kind::Pointer:
        format_pointer(sink, spec, arg.m_pointer);
        return;
    case FormatArg::Kind::Double:
        format_double(sink, spec, arg.m_double);
        return;
    case FormatArg::Kind::Custom:
        arg.m_custom(sink, spec, arg.m_pointer);
        return;
    }
}

} // namespace

void format_padded(FormatSink& sink, const FormatSpec& spec, StringView text, char default_align)
{
    if (spec.width <= text.size()) {
        sink.write(text);
        return;
    }
    usize padding = spec.width - text.size();
    char align = spec.align != 0 ? spec.align : default_align;
    usize before = align == '>' ? padding : align == '^' ? padding / 2 : 0;
    write_repeated(sink, spec.fill, before);
    sink.write(text);
    write_repeated(sink, spec.fill, padding - before);
}

void format_integer(FormatSink& sink, const FormatSpec& spec, u64 magnitude, bool negative)
{
    if (spec.type == 'c') {
        char c = !negative && magnitude < 0x80 ? static_cast<char>(magnitude) : '?';
        format_char(sink, spec, c);
        return;
    }
    u32 base = 10;
    const char* prefix = "";
    switch (spec.type) {
    case 'x':
        base = 16;
        prefix = "0x";
        break;
    case 'X':
        base = 16;
        prefix = "0X";
        break;
    case 'b':
        base = 2;
        prefix = "0b";
        break;
    case 'o':
        base = 8;
        prefix = "0o";
        break;
    default:
        break;
    }
    char buffer[2 + 1 + 64];
    char* end = buffer + sizeof(buffer);
    char* digits = write_digits(end, magnitude, base, spec.type == 'X');
    usize digit_count = static_cast<usize>(end - digits);

    char head[3];
    usize head_length = 0;
    if (negative)
        head[head_length++] = '-';
    if (spec.alternate) {
        for (const char* c = prefix; *c; ++c)
            head[head_length++] = *c;
    }

    if (spec.zero_pad && spec.align == 0) {
        sink.write(StringView(head, head_length));
        usize used = head_length + digit_count;
        if (spec.width > used)
            write_repeated(sink, '0', spec.width - used);
        sink.write(StringView(digits, digit_count));
        return;
    }
    char* start = digits - head_length;
    for (usize i = 0; i < head_length; ++i)
        start[i] = head[i];
    format_padded(sink, spec, StringView(start, static_cast<usize>(end - start)), '>');
}

void vformat(FormatSink& sink, StringView fmt, Span<const FormatArg> args)
{
    usize next_arg = 0;
    usize i = 0;
    while (i < fmt.size()) {
        char c = fmt[i];
        if (c == '{' || c == '}') {
            if (i + 1 < fmt.size() && fmt[i + 1] == c) {
                sink.write(StringView(&fmt[i], 1));
                i += 2;
                continue;
            }
            if (c == '}') {
                sink.write("}");
                ++i;
                continue;
            }
            usize close = fmt.find('}', i + 1);
            if (close == StringView::npos) {
                sink.write(slice(fmt, i));
                return;
            }
            StringView field = slice(fmt, i + 1, close - i - 1);
            StringView verbatim = slice(fmt, i, close - i + 1);
            i = close + 1;
            FormatSpec spec;
            bool valid = field.empty() || (field[0] == ':' && parse_spec(slice(field, 1), spec));
            if (field.find('{') != StringView::npos)
                valid = false;
            if (!valid || next_arg >= args.size()) {
                if (next_arg < args.size())
                    ++next_arg;
                sink.write(verbatim);
                continue;
            }
            format_arg(sink, spec, args[next_arg++]);
            continue;
        }
        usize run_end = i;
        while (run_end < fmt.size() && fmt[run_end] != '{' && fmt[run_end] != '}')
            ++run_end;
        sink.write(slice(fmt, i, run_end - i));
        i = run_end;
    }
}

void BufferFormatSink::write(StringView text)
{
    usize room = m_buffer.size() - m_length;
    usize n = text.size();
    if (n > room) {
        n = room;
        m_truncated = true;
    }
    for (usize i = 0; i < n; ++i)
        m_buffer[m_length + i] = text[i];
    m_length += n;
}

void Formatter<Error>::format(FormatSink& sink, const FormatSpec&, const Error& error)
{
    sink.write(StringView(error.message(), c_string_length(error.message())));
    if (error.has_offset())
        format_to(sink, " (at offset {})", error.offset());
}

} // namespace wk
