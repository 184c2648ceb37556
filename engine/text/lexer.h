#pragma once

#include <string_view>

#include "base/result.h"
#include "base/types.h"

namespace wk::engine::text {

enum class TokenKind : u8 {
    Eof,
    LParen,
    RParen,
    Keyword,  // idchars starting with a lowercase letter: `module`, `i32.add`, `inf`, `offset=4`
    Id,       // `$name` or `$"name"`
    Number,   // idchars starting with a digit or a sign
    String,   // "..." (escapes not yet decoded)
    Reserved, // anything else the grammar has no use for
};

struct Token {
    TokenKind kind { TokenKind::Eof };
    u32 offset { 0 };
    u32 length { 0 };

    bool is(TokenKind k) const { return kind == k; }
};

// Receives the annotations the parser gives meaning to (custom sections, names,
// branch hints); all other annotations are skipped like comments. `begin` is the
// offset of the `(`, `body` the offset just after the annotation id, `end` the
// offset just after the closing `)`.
class AnnotationSink {
public:
    virtual void on_annotation(std::string_view id, u32 begin, u32 body, u32 end) = 0;

protected:
    ~AnnotationSink() = default;
};

// Splits WebAssembly text into tokens on demand. Whitespace, comments and
// annotations are skipped. The lexer never reads past the source and keeps no
// state beyond one offset, so a parser may rewind it with position()/seek().
class Lexer {
public:
    explicit Lexer(std::string_view source, AnnotationSink* sink = nullptr)
        : m_source(source)
        , m_sink(sink)
    {
    }

    Result<Token> next();
    Result<Token> peek();
    // Kind of the token after the next one (for `(` keyword lookahead).
    Result<Token> peek_second();

    u32 position() const { return m_position; }
    void seek(u32 position) { m_position = position; }
    std::string_view source() const { return m_source; }
    std::string_view text(Token const& token) const { return m_source.substr(token.offset, token.length); }
    // Clears the token cache so that the new sink sees every annotation lexed from now on.
    void set_sink(AnnotationSink* sink)
    {
        m_sink = sink;
        for (CacheEntry& entry : m_cache)
            entry.valid = false;
    }

    // Decodes the body of a string token (without quotes) into `out`, which has room
    // for at least token.length bytes; returns the decoded length.
    static usize decode_string(std::string_view quoted_body, u8* out);

private:
    Result<void> skip_trivia(bool annotations = true);
    Result<void> skip_block_comment();
    Result<void> skip_annotation(u32 begin);
    Result<u32> scan_string(u32 at);
    Result<Token> scan_atom();
    Result<void> check_utf8_at(u32 at, u32* length, bool in_comment);

    Result<Token> lex();

    struct CacheEntry {
        u32 start { 0 };
        u32 end { 0 };
        Token token;
        bool valid { false };
    };
    static constexpr u32 kCacheSize = 4;

    std::string_view m_source;
    AnnotationSink* m_sink;
    u32 m_position { 0 };
    CacheEntry m_cache[kCacheSize];
    u32 m_cache_next { 0 };
};

bool is_idchar(u8 c);
bool is_valid_utf8(std::string_view bytes);

} // namespace wk::engine::text
