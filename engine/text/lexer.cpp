#include "engine/text/lexer.h"

namespace wk::engine::text {

namespace {

constexpr auto kIdchars = [] {
    struct Table {
        bool bits[256] {};
    } table;
    for (int c = '0'; c <= '9'; ++c)
        table.bits[c] = true;
    for (int c = 'a'; c <= 'z'; ++c)
        table.bits[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c)
        table.bits[c] = true;
    for (char c : std::string_view("!#$%&'*+-./:<=>?@\\^_`|~"))
        table.bits[static_cast<u8>(c)] = true;
    return table;
}();

} // namespace

bool is_idchar(u8 c)
{
    return kIdchars.bits[c];
}

// Length of the UTF-8 sequence at `p` (1..4), or 0 when it is malformed.
static u32 utf8_sequence_length(u8 const* p, usize available)
{
    u8 c = p[0];
    if (c < 0x80)
        return 1;
    u32 length;
    u32 min;
    u32 code;
    if (c >= 0xC2 && c <= 0xDF) {
        length = 2;
        min = 0x80;
        code = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        length = 3;
        min = 0x800;
        code = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        length = 4;
        min = 0x10000;
        code = c & 0x07;
    } else {
        return 0;
    }
    if (available < length)
        return 0;
    for (u32 i = 1; i < length; ++i) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        code = (code << 6) | (p[i] & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
        return 0;
    return length;
}

bool is_valid_utf8(std::string_view bytes)
{
    auto const* p = reinterpret_cast<u8 const*>(bytes.data());
    usize i = 0;
    while (i < bytes.size()) {
        u32 length = utf8_sequence_length(p + i, bytes.size() - i);
        if (length == 0)
            return false;
        i += length;
    }
    return true;
}

Result<void> Lexer::check_utf8_at(u32 at, u32* length, bool in_comment)
{
    auto const* p = reinterpret_cast<u8 const*>(m_source.data());
    u32 n = utf8_sequence_length(p + at, m_source.size() - at);
    if (n == 0)
        return Error::malformed("malformed UTF-8 encoding", at);
    if (!in_comment)
        return Error::malformed("illegal character", at);
    *length = n;
    return {};
}

Result<void> Lexer::skip_block_comment()
{
    u32 start = m_position;
    m_position += 2;
    u32 depth = 1;
    while (depth > 0) {
        if (m_position >= m_source.size())
            return Error::malformed("unclosed comment", start);
        u8 c = static_cast<u8>(m_source[m_position]);
        if (c == '(' && m_position + 1 < m_source.size() && m_source[m_position + 1] == ';') {
            ++depth;
            m_position += 2;
        } else if (c == ';' && m_position + 1 < m_source.size() && m_source[m_position + 1] == ')') {
            --depth;
            m_position += 2;
        } else if (c >= 0x80) {
            u32 n = 0;
            TRY(check_utf8_at(m_position, &n, true));
            m_position += n;
        } else {
            ++m_position;
        }
    }
    return {};
}

Result<void> Lexer::skip_trivia(bool annotations)
{
    while (m_position < m_source.size()) {
        u8 c = static_cast<u8>(m_source[m_position]);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            ++m_position;
            continue;
        }
        if (c == ';' && m_position + 1 < m_source.size() && m_source[m_position + 1] == ';') {
            m_position += 2;
            // A line comment ends at a newline: LF, CR or CR LF.
            while (m_position < m_source.size() && m_source[m_position] != '\n' && m_source[m_position] != '\r') {
                u8 d = static_cast<u8>(m_source[m_position]);
                if (d >= 0x80) {
                    u32 n = 0;
                    TRY(check_utf8_at(m_position, &n, true));
                    m_position += n;
                } else {
                    ++m_position;
                }
            }
            continue;
        }
        if (c == '(' && m_position + 1 < m_source.size()) {
            char d = m_source[m_position + 1];
            if (d == ';') {
                TRY(skip_block_comment());
                continue;
            }
            if (d == '@' && annotations) {
                TRY(skip_annotation(m_position));
                continue;
            }
        }
        break;
    }
    return {};
}

// Returns the offset just past the closing quote of the string starting at `at`.
Result<u32> Lexer::scan_string(u32 at)
{
    u32 i = at + 1;
    auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
    auto const* p = reinterpret_cast<u8 const*>(m_source.data());
    for (;;) {
        if (i >= m_source.size())
            return Error::malformed("unclosed string", at);
        u8 c = p[i];
        if (c == '"')
            return i + 1;
        if (c < 0x20 || c == 0x7F) {
            if (c == '\n' || c == '\r')
                return Error::malformed("unclosed string", at);
            return Error::malformed("illegal character", i);
        }
        if (c >= 0x80) {
            u32 n = utf8_sequence_length(p + i, m_source.size() - i);
            if (n == 0)
                return Error::malformed("malformed UTF-8 encoding", i);
            i += n;
            continue;
        }
        if (c != '\\') {
            ++i;
            continue;
        }
        if (i + 1 >= m_source.size())
            return Error::malformed("unclosed string", at);
        char e = m_source[i + 1];
        switch (e) {
        case 'n': case 't': case 'r': case '\\': case '\'': case '"':
            i += 2;
            continue;
        case 'u': {
            u32 j = i + 2;
            if (j >= m_source.size() || m_source[j] != '{')
                return Error::malformed("illegal escape", i);
            ++j;
            u32 code = 0;
            u32 digits = 0;
            bool underscore_ok = false;
            while (j < m_source.size() && (hex(m_source[j]) || m_source[j] == '_')) {
                char h = m_source[j];
                if (h == '_') {
                    if (!underscore_ok)
                        return Error::malformed("illegal escape", i);
                    underscore_ok = false;
                    ++j;
                    continue;
                }
                u32 v = (h <= '9') ? u32(h - '0') : u32((h | 0x20) - 'a' + 10);
                if (code > 0x10FFFF)
                    return Error::malformed("illegal escape", i);
                code = code * 16 + v;
                ++digits;
                underscore_ok = true;
                ++j;
            }
            if (digits == 0 || !underscore_ok || j >= m_source.size() || m_source[j] != '}')
                return Error::malformed("illegal escape", i);
            if (code > 0x10FFFF || (code >= 0xD800 && code < 0xE000))
                return Error::malformed("illegal escape", i);
            i = j + 1;
            continue;
        }
        default:
            if (hex(e) && i + 2 < m_source.size() && hex(m_source[i + 2])) {
                i += 3;
                continue;
            }
            return Error::malformed("illegal escape", i);
        }
    }
    return Error::malformed("unclosed string", at);
}

usize Lexer::decode_string(std::string_view body, u8* out)
{
    auto hexval = [](char c) -> u32 { return (c <= '9') ? u32(c - '0') : u32((c | 0x20) - 'a' + 10); };
    usize n = 0;
    usize i = 0;
    while (i < body.size()) {
        char c = body[i];
        if (c != '\\') {
            out[n++] = static_cast<u8>(c);
            ++i;
            continue;
        }
        char e = body[i + 1];
        switch (e) {
        case 'n': out[n++] = '\n'; i += 2; continue;
        case 't': out[n++] = '\t'; i += 2; continue;
        case 'r': out[n++] = '\r'; i += 2; continue;
        case '\\': out[n++] = '\\'; i += 2; continue;
        case '\'': out[n++] = '\''; i += 2; continue;
        case '"': out[n++] = '"'; i += 2; continue;
        case 'u': {
            usize j = i + 3;
            u32 code = 0;
            while (body[j] != '}') {
                if (body[j] != '_')
                    code = code * 16 + hexval(body[j]);
                ++j;
            }
            i = j + 1;
            if (code < 0x80) {
                out[n++] = u8(code);
            } else if (code < 0x800) {
                out[n++] = u8(0xC0 | (code >> 6));
                out[n++] = u8(0x80 | (code & 0x3F));
            } else if (code < 0x10000) {
                out[n++] = u8(0xE0 | (code >> 12));
                out[n++] = u8(0x80 | ((code >> 6) & 0x3F));
                out[n++] = u8(0x80 | (code & 0x3F));
            } else {
                out[n++] = u8(0xF0 | (code >> 18));
                out[n++] = u8(0x80 | ((code >> 12) & 0x3F));
                out[n++] = u8(0x80 | ((code >> 6) & 0x3F));
                out[n++] = u8(0x80 | (code & 0x3F));
            }
            continue;
        }
        default:
            out[n++] = u8(hexval(e) * 16 + hexval(body[i + 2]));
            i += 3;
            continue;
        }
    }
    return n;
}

Result<void> Lexer::skip_annotation(u32 begin)
{
    // `(@` then the id: idchars or a string, immediately adjacent.
    u32 i = begin + 2;
    u32 id_begin = i;
    std::string_view id;
    if (i < m_source.size() && m_source[i] == '"') {
        auto scanned = scan_string(i);
        // An id string that is not a proper string names nothing.
        if (!scanned && scanned.error().message()[0] != 'm')
            return Error::malformed("empty annotation id", begin);
        u32 end = TRY(std::move(scanned));
        std::string_view body = m_source.substr(i + 1, end - i - 2);
        bool plain = true;
        for (char c : body) {
            if (c == '\\')
                plain = false;
        }
        if (body.empty())
            return Error::malformed("empty annotation id", begin);
        if (plain)
            id = body;
        else {
            u8 buffer[64];
            if (body.size() <= sizeof buffer) {
                usize n = decode_string(body, buffer);
                std::string_view decoded(reinterpret_cast<char const*>(buffer), n);
                if (n == 0)
                    return Error::malformed("empty annotation id", begin);
                if (!is_valid_utf8(decoded))
                    return Error::malformed("malformed UTF-8 encoding", begin);
            }
        }
        i = end;
    } else {
        while (i < m_source.size() && is_idchar(static_cast<u8>(m_source[i])))
            ++i;
        if (i == id_begin)
            return Error::malformed("empty annotation id", begin);
        id = m_source.substr(id_begin, i - id_begin);
    }
    u32 body = i;
    m_position = i;
    u32 depth = 1;
    while (depth > 0) {
        auto skipped = skip_trivia(false);
        if (!skipped)
            return skipped.error();
        if (m_position >= m_source.size())
            return Error::malformed("unclosed annotation", begin);
        char c = m_source[m_position];
        if (c == '(') {
            ++depth;
            ++m_position;
        } else if (c == ')') {
            --depth;
            ++m_position;
        } else {
            auto token = scan_atom();
            if (!token)
                return token.error();
        }
    }
    if (m_sink && !id.empty())
        m_sink->on_annotation(id, begin, body, m_position);
    return {};
}

Result<Token> Lexer::scan_atom()
{
    u32 start = m_position;
    auto const* p = reinterpret_cast<u8 const*>(m_source.data());
    u8 c = p[start];
    Token token;
    token.offset = start;
    if (c == '(' || c == ')') {
        token.kind = c == '(' ? TokenKind::LParen : TokenKind::RParen;
        token.length = 1;
        ++m_position;
        return token;
    }
    // A token is a maximal run of idchars, strings and reserved punctuation.
    u32 i = start;
    u32 strings = 0;
    u32 first_string_begin = 0;
    u32 last_string_end = 0;
    bool other = false;
    bool idchars = false;
    for (;;) {
        if (i >= m_source.size())
            break;
        u8 d = p[i];
        if (is_idchar(d)) {
            idchars = true;
            ++i;
        } else if (d == '"') {
            if (strings == 0)
                first_string_begin = i;
            auto scanned = scan_string(i);
            if (!scanned && c == '$' && i == start + 1 && scanned.error().message()[0] != 'm')
                return Error::malformed("empty identifier", start);
            i = TRY(std::move(scanned));
            last_string_end = i;
            ++strings;
        } else if (d == ',' || d == ';' || d == '[' || d == ']' || d == '{' || d == '}') {
            if (d == ';' && i + 1 < m_source.size() && p[i + 1] == ';')
                break;
            other = true;
            ++i;
        } else {
            break;
        }
    }
    if (i == start) {
        if (c >= 0x80) {
            u32 n = 0;
            TRY(check_utf8_at(start, &n, false));
        }
        return Error::malformed("illegal character", start);
    }
    token.length = i - start;
    m_position = i;
    if (strings == 1 && !idchars && !other) {
        token.kind = TokenKind::String;
    } else if (c == '$' && !other && (strings == 0 || (strings == 1 && first_string_begin == start + 1 && last_string_end == i))) {
        token.kind = TokenKind::Id;
    } else if (strings > 0 || other) {
        token.kind = TokenKind::Reserved;
    } else if (c >= 'a' && c <= 'z') {
        token.kind = TokenKind::Keyword;
    } else if ((c >= '0' && c <= '9') || c == '+' || c == '-') {
        token.kind = TokenKind::Number;
    } else if (c == '$') {
        token.kind = TokenKind::Id;
    } else {
        token.kind = TokenKind::Reserved;
    }
    return token;
}

Result<Token> Lexer::lex()
{
    TRY(skip_trivia());
    if (m_position >= m_source.size())
        return Token { TokenKind::Eof, static_cast<u32>(m_source.size()), 0 };
    return scan_atom();
}

// Tokens are a pure function of the start offset, so a small cache keyed by it
// makes the parser's peeks cheap.
Result<Token> Lexer::next()
{
    for (CacheEntry& entry : m_cache) {
        if (entry.valid && entry.start == m_position) {
            m_position = entry.end;
            return entry.token;
        }
    }
    u32 start = m_position;
    Token token = TRY(lex());
    CacheEntry& slot = m_cache[m_cache_next];
    m_cache_next = (m_cache_next + 1) % kCacheSize;
    slot = CacheEntry { start, m_position, token, true };
    return token;
}

Result<Token> Lexer::peek()
{
    u32 saved = m_position;
    auto token = next();
    m_position = saved;
    return token;
}

Result<Token> Lexer::peek_second()
{
    u32 saved = m_position;
    auto first = next();
    if (!first) {
        m_position = saved;
        return first;
    }
    auto token = next();
    m_position = saved;
    return token;
}

} // namespace wk::engine::text
