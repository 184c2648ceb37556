#include "engine/text/wat.h"

#include "engine/text/lexer.h"
#include "engine/text/module_parser.h"

namespace wk::engine::text {

namespace {

Result<Vector<u8>> encode(StringView source, Features features, bool function_names)
{
    if (source.size() >= 0xFFFFFFFFu)
        return Error::malformed("source too large", 0);
    Lexer lexer(source);
    Token first = TRY(lexer.peek());
    Token second = TRY(lexer.peek_second());
    bool wrapped = first.kind == TokenKind::LParen && second.kind == TokenKind::Keyword && lexer.text(second) == "module";
    if (wrapped) {
        TRY(lexer.next());
        TRY(lexer.next());
        Token id = TRY(lexer.peek());
        if (id.kind == TokenKind::Id)
            TRY(lexer.next());
    }
    Vector<u8> binary;
    {
        ModuleParser parser(lexer, features);
        parser.set_function_names(function_names);
        binary = TRY(parser.parse(wrapped));
    }
    Token rest = TRY(lexer.next());
    if (rest.kind != TokenKind::Eof)
        return Error::malformed("unexpected token", rest.offset);
    return binary;
}

} // namespace

Result<Vector<u8>> wat_to_wasm(StringView source, Features features) { return encode(source, features, false); }

Result<Vector<u8>> wat_to_wasm_with_names(StringView source, Features features)
{
    return encode(source, features, true);
}

} // namespace wk::engine::text
