#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/text/lexer.h"

using namespace wk;
using namespace wk::engine::text;

namespace {

std::vector<TokenKind> kinds(char const* text)
{
    Lexer lexer(text);
    std::vector<TokenKind> out;
    for (;;) {
        auto token = lexer.next();
        EXPECT_TRUE(token.has_value()) << text;
        if (!token || token->kind == TokenKind::Eof)
            return out;
        out.push_back(token->kind);
    }
}

Error lex_error(char const* text)
{
    Lexer lexer(text);
    for (;;) {
        auto token = lexer.next();
        if (!token)
            return token.error();
        if (token->kind == TokenKind::Eof)
            return Error::from("no error");
    }
}

} // namespace

TEST(Lexer, TokenKinds)
{
    using K = TokenKind;
    EXPECT_EQ(kinds("(module $m)"), (std::vector<K> { K::LParen, K::Keyword, K::Id, K::RParen }));
    EXPECT_EQ(kinds("i32.const -0x1_0 +inf 1.5e3"), (std::vector<K> { K::Keyword, K::Number, K::Number, K::Number }));
    EXPECT_EQ(kinds("\"a\\n\\u{1F600}\" $\"x y\" offset=4"), (std::vector<K> { K::String, K::Id, K::Keyword }));
    EXPECT_EQ(kinds("a\"b\" \"a\"\"b\" x,y {}"), (std::vector<K> { K::Reserved, K::Reserved, K::Reserved, K::Reserved }));
    EXPECT_EQ(kinds(";; line\n(; block (; nested ;) ;) nop"), (std::vector<K> { K::Keyword }));
    EXPECT_EQ(kinds("(@a x (y \")\") (@b)) nop"), (std::vector<K> { K::Keyword }));
    EXPECT_EQ(kinds(";; line\rnop"), (std::vector<K> { K::Keyword }));     // CR ends a line comment
    EXPECT_EQ(kinds(";; line\r\nnop"), (std::vector<K> { K::Keyword }));
    EXPECT_EQ(kinds("ABC"), (std::vector<K> { K::Reserved }));
}

TEST(Lexer, Errors)
{
    EXPECT_STREQ(lex_error("\"abc").message(), "unclosed string");
    EXPECT_STREQ(lex_error("\"a\nb\"").message(), "unclosed string");
    EXPECT_STREQ(lex_error("\"\\q\"").message(), "illegal escape");
    EXPECT_STREQ(lex_error("\"\\u{d800}\"").message(), "illegal escape");
    EXPECT_STREQ(lex_error("\"\\u{110000}\"").message(), "illegal escape");
    EXPECT_STREQ(lex_error("(; x").message(), "unclosed comment");
    EXPECT_STREQ(lex_error("(@x (y)").message(), "unclosed annotation");
    EXPECT_STREQ(lex_error("(@ x)").message(), "empty annotation id");
    EXPECT_STREQ(lex_error("a\x01").message(), "illegal character");
    EXPECT_STREQ(lex_error("\xc3\xa9").message(), "illegal character");
    EXPECT_STREQ(lex_error("\x80").message(), "malformed UTF-8 encoding");
    EXPECT_STREQ(lex_error(";; \xff\n").message(), "malformed UTF-8 encoding");
    EXPECT_EQ(lex_error("nop \"\\q\"").offset(), 5u);
}

TEST(Lexer, DecodeString)
{
    std::string body = "a\\t\\41\\u{e9}\\u{1_F600}\\\"";
    std::vector<u8> out(body.size());
    usize n = Lexer::decode_string(body, out.data());
    out.resize(n);
    EXPECT_EQ(out, (std::vector<u8> { 'a', '\t', 'A', 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, '"' }));
}

TEST(Lexer, Utf8Validation)
{
    EXPECT_TRUE(is_valid_utf8("plain"));
    EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));
    EXPECT_FALSE(is_valid_utf8("\xc0\x80"));         // overlong
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate
    EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // beyond U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xe2\x82"));         // truncated
}
