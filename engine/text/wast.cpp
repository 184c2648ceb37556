#include "engine/text/wast.h"

#include "engine/text/lexer.h"
#include "engine/text/literals.h"
#include "engine/text/module_parser.h"

namespace wk::engine::text {

u32 line_of_offset(StringView source, u64 offset)
{
    u32 line = 1;
    for (u64 i = 0; i < offset && i < source.size(); ++i) {
        if (source[i] == '\n')
            ++line;
    }
    return line;
}

Result<Vector<u8>> ScriptModule::to_binary() const
{
    switch (kind) {
    case ModuleKind::Text:
        if (error)
            return *error;
        return binary.try_clone();
    case ModuleKind::Binary:
        return binary.try_clone();
    case ModuleKind::Quote:
        return wat_to_wasm(quote.view(), features);
    }
    return Error::malformed("unknown module kind");
}

namespace {

class ScriptParser {
public:
    ScriptParser(StringView source, Features features)
        : m_lexer(source)
        , m_features(features)
    {
    }

    Result<Script> parse();

private:
    Result<Token> next() { return m_lexer.next(); }
    Result<Token> peek() { return m_lexer.peek(); }
    bool is_keyword(Token const& t, StringView k) const { return t.kind == TokenKind::Keyword && m_lexer.text(t) == k; }
    Error unexpected(Token const& t) const
    {
        if (t.kind == TokenKind::Eof)
            return Error::malformed("unexpected end of script", t.offset);
        return Error::malformed("unexpected token", t.offset);
    }
    Result<void> expect_rparen()
    {
        Token t = TRY(next());
        if (t.kind != TokenKind::RParen)
            return unexpected(t);
        return {};
    }
    Result<void> skip_to_close();
    Result<std::optional<StringView>> maybe_id();
    Result<Vector<u8>> string_bytes(Token const& token);
    Result<Vector<u8>> strings();
    Result<String> string_value();
    u32 line_at(u32 offset);

    Result<void> parse_module(ScriptModule& module, u32 open_offset);
    Result<void> parse_action(Action& action);
    Result<void> parse_value(Value& value);
    Result<void> parse_result(ResultPattern& pattern);
    Result<void> parse_command(Command& command, Token const& open, Token const& keyword);

    Lexer m_lexer;
    Features m_features;
    u32 m_line_offset { 0 };
    u32 m_line { 1 };
    bool m_in_either { false };
    bool m_in_thread { false };
};

u32 ScriptParser::line_at(u32 offset)
{
    StringView source = m_lexer.source();
    if (offset < m_line_offset) {
        m_line_offset = 0;
        m_line = 1;
    }
    for (u32 i = m_line_offset; i < offset && i < source.size(); ++i) {
        if (source[i] == '\n')
            ++m_line;
    }
    m_line_offset = offset;
    return m_line;
}

Result<void> ScriptParser::skip_to_close()
{
    u32 depth = 1;
    for (;;) {
        Token t = TRY(next());
        if (t.kind == TokenKind::Eof)
            return unexpected(t);
        if (t.kind == TokenKind::LParen)
            ++depth;
        else if (t.kind == TokenKind::RParen && --depth == 0)
            return {};
    }
}

Result<std::optional<StringView>> ScriptParser::maybe_id()
{
    Token t = TRY(peek());
    if (t.kind != TokenKind::Id)
        return std::optional<StringView> {};
    TRY(next());
    return std::optional<StringView>(m_lexer.text(t).substr(1));
}

Result<Vector<u8>> ScriptParser::string_bytes(Token const& token)
{
    StringView body = m_lexer.text(token).substr(1, token.length - 2);
    Vector<u8> bytes;
    TRY(bytes.try_resize(body.size()));
    usize n = Lexer::decode_string(body, bytes.data());
    TRY(bytes.try_resize(n));
    return bytes;
}

Result<Vector<u8>> ScriptParser::strings()
{
    Vector<u8> all;
    for (;;) {
        Token t = TRY(peek());
        if (t.kind != TokenKind::String)
            return all;
        TRY(next());
        Vector<u8> bytes = TRY(string_bytes(t));
        TRY(all.try_extend(bytes.span()));
    }
}

Result<String> ScriptParser::string_value()
{
    Token t = TRY(next());
    if (t.kind != TokenKind::String)
        return unexpected(t);
    Vector<u8> bytes = TRY(string_bytes(t));
    return String::try_create(StringView(reinterpret_cast<char const*>(bytes.data()), bytes.size()));
}

// After `(module`.
Result<void> ScriptParser::parse_module(ScriptModule& module, u32 open_offset)
{
    module.offset = open_offset;
    module.features = m_features;
    if (TRY(peek()).kind == TokenKind::Keyword && m_lexer.text(TRY(peek())) == "definition") {
        TRY(next());
        module.is_definition = true;
    }
    module.id = TRY(maybe_id());
    Token t = TRY(peek());
    if (is_keyword(t, "binary")) {
        TRY(next());
        module.kind = ModuleKind::Binary;
        module.binary = TRY(strings());
        return expect_rparen();
    }
    if (is_keyword(t, "quote")) {
        TRY(next());
        module.kind = ModuleKind::Quote;
        Vector<u8> text = TRY(strings());
        module.quote = TRY(String::try_create(StringView(reinterpret_cast<char const*>(text.data()), text.size())));
        return expect_rparen();
    }
    module.kind = ModuleKind::Text;
    u32 fields = m_lexer.position();
    Result<Vector<u8>> binary = Error::malformed("unreachable");
    {
        ModuleParser parser(m_lexer, m_features);
        binary = parser.parse(true);
    }
    if (binary) {
        module.binary = binary.release_value();
        return {};
    }
    module.error = binary.error();
    // Skip the rest of the module form so that the script goes on.
    m_lexer.seek(fields);
    return skip_to_close();
}

Result<void> ScriptParser::parse_value(Value& value)
{
    Token open = TRY(next());
    if (open.kind != TokenKind::LParen)
        return unexpected(open);
    Token k = TRY(next());
    StringView name = k.kind == TokenKind::Keyword ? m_lexer.text(k) : StringView {};
    if (name == "i32.const" || name == "i64.const") {
        Token n = TRY(next());
        auto bits = parse_int(m_lexer.text(n), name == "i32.const" ? 32 : 64);
        if (!bits)
            return bits.error().with_offset(n.offset);
        value.kind = name == "i32.const" ? ValueKind::I32 : ValueKind::I64;
        value.bits = *bits;
    } else if (name == "f32.const") {
        Token n = TRY(next());
        auto bits = parse_f32(m_lexer.text(n));
        if (!bits)
            return bits.error().with_offset(n.offset);
        value.kind = ValueKind::F32;
        value.bits = *bits;
    } else if (name == "f64.const") {
        Token n = TRY(next());
        auto bits = parse_f64(m_lexer.text(n));
        if (!bits)
            return bits.error().with_offset(n.offset);
        value.kind = ValueKind::F64;
        value.bits = *bits;
    } else if (name == "v128.const") {
        Token shape = TRY(next());
        StringView s = m_lexer.text(shape);
        u32 lanes = s == "i8x16" ? 16 : s == "i16x8" ? 8 : (s == "i32x4" || s == "f32x4") ? 4 : (s == "i64x2" || s == "f64x2") ? 2 : 0;
        if (lanes == 0)
            return unexpected(shape);
        u32 width = 16 / lanes;
        for (u32 i = 0; i < lanes; ++i) {
            Token n = TRY(next());
            StringView text = m_lexer.text(n);
            Result<u64> bits = s == "f32x4" ? Result<u64>(u64(TRY(parse_f32(text)))) : s == "f64x2" ? parse_f64(text) : parse_int(text, width * 8);
            if (!bits)
                return bits.error().with_offset(n.offset);
            for (u32 b = 0; b < width; ++b)
                value.v128[i * width + b] = static_cast<u8>(*bits >> (8 * b));
        }
        value.kind = ValueKind::V128;
    } else if (name == "ref.null") {
        value.kind = ValueKind::RefNull;
        Token h = TRY(next());
        if (h.kind == TokenKind::Number) {
            value.heap_is_index = true;
            value.heap = static_cast<u32>(TRY(parse_nat(m_lexer.text(h), 0xFFFFFFFFu)));
        } else if (h.kind == TokenKind::Keyword || h.kind == TokenKind::Id) {
            StringView ht = m_lexer.text(h);
            static constexpr struct {
                StringView name;
                u8 code;
            } kHeaps[] = { { "func", 0x70 }, { "extern", 0x6F }, { "any", 0x6E }, { "eq", 0x6D }, { "i31", 0x6C },
                { "struct", 0x6B }, { "array", 0x6A }, { "exn", 0x69 }, { "none", 0x71 }, { "nofunc", 0x73 },
                { "noextern", 0x72 }, { "noexn", 0x74 } };
            for (auto const& e : kHeaps) {
                if (e.name == ht)
                    value.heap = e.code;
            }
        } else {
            return unexpected(h);
        }
    } else if (name == "ref.extern" || name == "ref.host" || name == "ref.func") {
        value.kind = name == "ref.extern" ? ValueKind::RefExtern : name == "ref.host" ? ValueKind::RefHost : ValueKind::RefFunc;
        Token n = TRY(next());
        auto bits = parse_nat(m_lexer.text(n), ~u64 { 0 });
        if (!bits)
            return bits.error().with_offset(n.offset);
        value.bits = *bits;
    } else {
        return Error::malformed("unknown value", k.offset);
    }
    return expect_rparen();
}

Result<void> ScriptParser::parse_result(ResultPattern& pattern)
{
    using Kind = ResultPattern::Kind;
    Token open = TRY(peek());
    if (open.kind != TokenKind::LParen)
        return unexpected(open);
    Token k = TRY(m_lexer.peek_second());
    StringView name = k.kind == TokenKind::Keyword ? m_lexer.text(k) : StringView {};
    auto nan_of = [](StringView text) {
        if (text == "nan:canonical")
            return NanPattern::Canonical;
        if (text == "nan:arithmetic")
            return NanPattern::Arithmetic;
        return NanPattern::None;
    };
    if (name == "f32.const" || name == "f64.const") {
        u32 saved = m_lexer.position();
        TRY(next());
        TRY(next());
        Token n = TRY(next());
        NanPattern nan = nan_of(m_lexer.text(n));
        if (nan != NanPattern::None) {
            pattern.kind = name == "f32.const" ? Kind::F32 : Kind::F64;
            pattern.nan = nan;
            return expect_rparen();
        }
        m_lexer.seek(saved);
    }
    if (name == "v128.const") {
        TRY(next());
        TRY(next());
        Token shape = TRY(next());
        StringView s = m_lexer.text(shape);
        struct {
            StringView name;
            V128Shape shape;
            u32 lanes;
        } static constexpr kShapes[] = { { "i8x16", V128Shape::I8x16, 16 }, { "i16x8", V128Shape::I16x8, 8 },
            { "i32x4", V128Shape::I32x4, 4 }, { "i64x2", V128Shape::I64x2, 2 }, { "f32x4", V128Shape::F32x4, 4 },
            { "f64x2", V128Shape::F64x2, 2 } };
        u32 lanes = 0;
        for (auto const& e : kShapes) {
            if (e.name == s) {
                pattern.shape = e.shape;
                lanes = e.lanes;
            }
        }
        if (lanes == 0)
            return unexpected(shape);
        pattern.kind = Kind::V128;
        for (u32 i = 0; i < lanes; ++i) {
            Token n = TRY(next());
            StringView text = m_lexer.text(n);
            NanPattern nan = nan_of(text);
            if (nan != NanPattern::None) {
                pattern.lanes[i].nan = nan;
                continue;
            }
            Result<u64> bits = pattern.shape == V128Shape::F32x4 ? Result<u64>(u64(TRY(parse_f32(text))))
                : pattern.shape == V128Shape::F64x2              ? parse_f64(text)
                                                                 : parse_int(text, 128 / lanes);
            if (!bits)
                return bits.error().with_offset(n.offset);
            pattern.lanes[i].bits = *bits;
        }
        return expect_rparen();
    }
    if (name == "either") {
        // Alternatives are plain results: no recursion on hostile input.
        if (m_in_either)
            return Error::malformed("unexpected token", open.offset);
        TRY(next());
        TRY(next());
        m_in_either = true;
        pattern.kind = Kind::Either;
        while (TRY(peek()).kind == TokenKind::LParen) {
            ResultPattern alternative;
            TRY(parse_result(alternative));
            TRY(pattern.alternatives.try_append(std::move(alternative)));
        }
        m_in_either = false;
        return expect_rparen();
    }
    struct {
        StringView name;
        Kind kind;
    } static constexpr kRefs[] = { { "ref.struct", Kind::RefStruct }, { "ref.array", Kind::RefArray },
        { "ref.i31", Kind::RefI31 }, { "ref.eq", Kind::RefEq }, { "ref.any", Kind::RefAny },
        { "ref.exn", Kind::RefExn }, { "ref.func", Kind::RefFunc }, { "ref.extern", Kind::RefExtern },
        { "ref.host", Kind::RefHost }, { "ref.null", Kind::RefNull } };
    for (auto const& e : kRefs) {
        if (e.name != name)
            continue;
        TRY(next());
        TRY(next());
        pattern.kind = e.kind;
        Token t = TRY(peek());
        if (t.kind == TokenKind::RParen)
            return expect_rparen();
        if (e.kind == Kind::RefNull) {
            Value value;
            m_lexer.seek(open.offset);
            TRY(parse_value(value));
            pattern.heap_given = true;
            pattern.heap_is_index = value.heap_is_index;
            pattern.heap = value.heap;
            return {};
        }
        TRY(next());
        if (t.kind == TokenKind::Number) {
            auto bits = parse_nat(m_lexer.text(t), ~u64 { 0 });
            if (!bits)
                return bits.error().with_offset(t.offset);
            pattern.bits = *bits;
            pattern.has_payload = true;
        }
        return expect_rparen();
    }
    Value value;
    TRY(parse_value(value));
    switch (value.kind) {
    case ValueKind::I32: pattern.kind = Kind::I32; break;
    case ValueKind::I64: pattern.kind = Kind::I64; break;
    case ValueKind::F32: pattern.kind = Kind::F32; break;
    case ValueKind::F64: pattern.kind = Kind::F64; break;
    default: return Error::malformed("unexpected result", open.offset);
    }
    pattern.bits = value.bits;
    return {};
}

// At `(invoke` or `(get`.
Result<void> ScriptParser::parse_action(Action& action)
{
    Token open = TRY(next());
    if (open.kind != TokenKind::LParen)
        return unexpected(open);
    Token k = TRY(next());
    if (is_keyword(k, "invoke"))
        action.kind = Action::Kind::Invoke;
    else if (is_keyword(k, "get"))
        action.kind = Action::Kind::Get;
    else
        return unexpected(k);
    action.module_id = TRY(maybe_id());
    action.name = TRY(string_value());
    while (action.kind == Action::Kind::Invoke && TRY(peek()).kind == TokenKind::LParen) {
        Value value;
        TRY(parse_value(value));
        TRY(action.args.try_append(value));
    }
    return expect_rparen();
}

Result<void> ScriptParser::parse_command(Command& command, Token const& open, Token const& keyword)
{
    StringView k = m_lexer.text(keyword);
    auto module_then_message = [&](CommandKind kind) -> Result<void> {
        command.kind = kind;
        Token o = TRY(next());
        Token m = TRY(next());
        if (o.kind != TokenKind::LParen || !is_keyword(m, "module"))
            return unexpected(m);
        command.has_module = true;
        TRY(parse_module(command.module, o.offset));
        command.message = TRY(string_value());
        return expect_rparen();
    };
    if (k == "module") {
        command.kind = CommandKind::Module;
        Token t = TRY(peek());
        if (is_keyword(t, "instance")) {
            TRY(next());
            command.kind = CommandKind::ModuleInstance;
            command.instance_id = TRY(maybe_id());
            command.definition_id = TRY(maybe_id());
            if (!command.definition_id) {
                command.definition_id = command.instance_id;
            }
            return expect_rparen();
        }
        command.has_module = true;
        return parse_module(command.module, open.offset);
    }
    if (k == "register") {
        command.kind = CommandKind::Register;
        command.register_name = TRY(string_value());
        command.register_module = TRY(maybe_id());
        return expect_rparen();
    }
    if (k == "invoke" || k == "get") {
        command.kind = CommandKind::Action;
        command.has_action = true;
        m_lexer.seek(open.offset);
        return parse_action(command.action);
    }
    if (k == "assert_return") {
        command.kind = CommandKind::AssertReturn;
        command.has_action = true;
        TRY(parse_action(command.action));
        while (TRY(peek()).kind == TokenKind::LParen) {
            ResultPattern pattern;
            TRY(parse_result(pattern));
            TRY(command.results.try_append(std::move(pattern)));
        }
        return expect_rparen();
    }
    if (k == "assert_trap" || k == "assert_exhaustion" || k == "assert_exception") {
        command.kind = k == "assert_trap" ? CommandKind::AssertTrap
            : k == "assert_exhaustion"    ? CommandKind::AssertExhaustion
                                          : CommandKind::AssertException;
        Token second = TRY(m_lexer.peek_second());
        if (is_keyword(second, "module")) {
            Token o = TRY(next());
            TRY(next());
            command.has_module = true;
            TRY(parse_module(command.module, o.offset));
        } else {
            command.has_action = true;
            TRY(parse_action(command.action));
        }
        if (TRY(peek()).kind == TokenKind::String)
            command.message = TRY(string_value());
        return expect_rparen();
    }
    if (k == "assert_malformed")
        return module_then_message(CommandKind::AssertMalformed);
    if (k == "assert_invalid")
        return module_then_message(CommandKind::AssertInvalid);
    if (k == "assert_unlinkable")
        return module_then_message(CommandKind::AssertUnlinkable);
    if (k == "assert_uninstantiable")
        return module_then_message(CommandKind::AssertUninstantiable);
    if (k == "assert_malformed_custom")
        return module_then_message(CommandKind::AssertMalformedCustom);
    if (k == "assert_invalid_custom")
        return module_then_message(CommandKind::AssertInvalidCustom);
    if (k == "thread" && !m_in_thread) {
        command.kind = CommandKind::Thread;
        command.thread_id = TRY(maybe_id());
        for (;;) {
            Token o = TRY(peek());
            Token second = TRY(m_lexer.peek_second());
            if (o.kind != TokenKind::LParen || !is_keyword(second, "shared"))
                break;
            TRY(next());
            TRY(next());
            Token mo = TRY(next());
            Token mk = TRY(next());
            if (mo.kind != TokenKind::LParen || !is_keyword(mk, "module"))
                return unexpected(mk);
            auto id = TRY(maybe_id());
            if (!id)
                return unexpected(TRY(peek()));
            TRY(command.shared_modules.try_append(*id));
            TRY(expect_rparen());
            TRY(expect_rparen());
        }
        m_in_thread = true;
        for (;;) {
            Token o = TRY(next());
            if (o.kind == TokenKind::RParen)
                break;
            if (o.kind != TokenKind::LParen)
                return unexpected(o);
            Token kw = TRY(next());
            if (kw.kind != TokenKind::Keyword)
                return unexpected(kw);
            Command inner;
            inner.offset = o.offset;
            inner.line = line_at(o.offset);
            TRY(parse_command(inner, o, kw));
            TRY(command.thread_commands.try_append(std::move(inner)));
        }
        m_in_thread = false;
        return {};
    }
    if (k == "wait") {
        command.kind = CommandKind::Wait;
        command.thread_id = TRY(maybe_id());
        return expect_rparen();
    }
    return Error::malformed("unknown script command", keyword.offset);
}

Result<Script> ScriptParser::parse()
{
    if (m_lexer.source().size() >= 0xFFFFFFFFu)
        return Error::malformed("script too large", 0);
    Script script;
    Token first = TRY(peek());
    Token first_keyword = TRY(m_lexer.peek_second());
    if (first.kind == TokenKind::LParen && first_keyword.kind == TokenKind::Keyword) {
        StringView k = m_lexer.text(first_keyword);
        static constexpr StringView kFields[] = { "type", "rec", "import", "func", "table", "memory", "global",
            "tag", "export", "start", "elem", "data" };
        for (StringView field : kFields) {
            if (k != field)
                continue;
            // A script that is one module written as bare fields.
            Command command;
            command.offset = first.offset;
            command.line = line_at(first.offset);
            command.has_module = true;
            command.module.offset = first.offset;
            command.module.features = m_features;
            ModuleParser parser(m_lexer, m_features);
            auto binary = parser.parse(false);
            if (binary)
                command.module.binary = binary.release_value();
            else
                command.module.error = binary.error();
            TRY(script.commands.try_append(std::move(command)));
            return script;
        }
    }
    for (;;) {
        Token open = TRY(next());
        if (open.kind == TokenKind::Eof)
            return script;
        if (open.kind != TokenKind::LParen)
            return unexpected(open);
        Token keyword = TRY(next());
        if (keyword.kind != TokenKind::Keyword)
            return unexpected(keyword);
        Command command;
        command.offset = open.offset;
        command.line = line_at(open.offset);
        TRY(parse_command(command, open, keyword));
        TRY(script.commands.try_append(std::move(command)));
    }
}

} // namespace

Result<Script> parse_wast(StringView source, Features features)
{
    ScriptParser parser(source, features);
    return parser.parse();
}

} // namespace wk::engine::text
