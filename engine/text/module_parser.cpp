#include "engine/text/module_parser.h"

#include "base/leb128.h"
#include "engine/text/literals.h"

namespace wk::engine::text {

namespace {

bool is_index_token(Token const& token)
{
    return token.kind == TokenKind::Id || token.kind == TokenKind::Number;
}

enum FieldKind : u8 { kType, kRec, kImport, kFunc, kTable, kMemory, kGlobal, kTag, kExport, kStart, kElem, kData };

Result<void> put(Vector<u8>& out, u8 byte) { return out.try_append(byte); }



char const* duplicate_message(Space space)
{
    switch (space) {
    case Space::Type: return "duplicate type";
    case Space::Func: return "duplicate func";
    case Space::Table: return "duplicate table";
    case Space::Memory: return "duplicate memory";
    case Space::Global: return "duplicate global";
    case Space::Tag: return "duplicate tag";
    case Space::Elem: return "duplicate elem";
    case Space::Data: return "duplicate data";
    default: return "duplicate identifier";
    }
}

} // namespace

ModuleParser::ModuleParser(Lexer& lexer, Features features)
    : m_lexer(lexer)
    , m_features(features)
{
    m_lexer.set_sink(this);
}

ModuleParser::~ModuleParser()
{
    m_lexer.set_sink(nullptr);
}

// ---------------------------------------------------------------- tokens

Result<Token> ModuleParser::next() { return m_lexer.next(); }
Result<Token> ModuleParser::peek() { return m_lexer.peek(); }

bool ModuleParser::is_keyword(Token const& token, std::string_view keyword) const
{
    return token.kind == TokenKind::Keyword && m_lexer.text(token) == keyword;
}

Result<bool> ModuleParser::peek_keyword(std::string_view keyword)
{
    Token token = TRY(peek());
    return is_keyword(token, keyword);
}

Result<bool> ModuleParser::peek_field(std::string_view keyword)
{
    Token token = TRY(peek());
    if (token.kind != TokenKind::LParen)
        return false;
    Token second = TRY(m_lexer.peek_second());
    return is_keyword(second, keyword);
}

Error ModuleParser::unexpected(Token const& token) const
{
    if (token.kind == TokenKind::Eof)
        return Error::malformed("unexpected end of input", token.offset);
    if (token.kind == TokenKind::Reserved)
        return Error::malformed("unknown operator", token.offset);
    return Error::malformed("unexpected token", token.offset);
}

Result<void> ModuleParser::expect_lparen()
{
    Token token = TRY(next());
    if (token.kind != TokenKind::LParen)
        return unexpected(token);
    return {};
}

Result<void> ModuleParser::expect_rparen()
{
    Token token = TRY(next());
    if (token.kind != TokenKind::RParen)
        return unexpected(token);
    return {};
}

Result<void> ModuleParser::expect_keyword(std::string_view keyword)
{
    Token token = TRY(next());
    if (!is_keyword(token, keyword))
        return unexpected(token);
    return {};
}

// Skips tokens up to and including the `)` closing the current form.
Result<void> ModuleParser::skip_to_close()
{
    u32 depth = 1;
    for (;;) {
        Token token = TRY(next());
        if (token.kind == TokenKind::Eof)
            return unexpected(token);
        if (token.kind == TokenKind::LParen)
            ++depth;
        else if (token.kind == TokenKind::RParen && --depth == 0)
            return {};
    }
}

Result<std::string_view> ModuleParser::parse_string_bytes(Token const& token)
{
    std::string_view body = m_lexer.text(token).substr(1, token.length - 2);
    bool plain = true;
    for (char c : body) {
        if (c == '\\') {
            plain = false;
            break;
        }
    }
    if (plain)
        return body;
    Vector<u8> decoded;
    TRY(decoded.try_resize(body.size()));
    usize n = Lexer::decode_string(body, decoded.data());
    TRY(decoded.try_resize(n));
    std::string_view view(reinterpret_cast<char const*>(decoded.data()), n);
    TRY(m_decoded_names.try_append(std::move(decoded)));
    return view;
}

Result<std::string_view> ModuleParser::id_name(Token const& token)
{
    std::string_view text = m_lexer.text(token);
    if (text.size() >= 2 && text[1] == '"') {
        Token string { TokenKind::String, token.offset + 1, token.length - 1 };
        std::string_view name = TRY(parse_string_bytes(string));
        if (name.empty())
            return Error::malformed("empty identifier", token.offset);
        if (!is_valid_utf8(name))
            return Error::malformed("malformed UTF-8 encoding", token.offset);
        return name;
    }
    if (text.size() < 2)
        return Error::malformed("empty identifier", token.offset);
    return text.substr(1);
}

Result<std::optional<std::string_view>> ModuleParser::maybe_id()
{
    Token token = TRY(peek());
    if (token.kind != TokenKind::Id)
        return std::optional<std::string_view> {};
    TRY(next());
    return std::optional<std::string_view>(TRY(id_name(token)));
}

Result<std::string_view> ModuleParser::parse_name()
{
    Token token = TRY(next());
    if (token.kind != TokenKind::String)
        return unexpected(token);
    std::string_view name = TRY(parse_string_bytes(token));
    if (!is_valid_utf8(name))
        return Error::malformed("malformed UTF-8 encoding", token.offset);
    return name;
}

Result<u32> ModuleParser::parse_u32()
{
    Token token = TRY(next());
    if (token.kind != TokenKind::Number)
        return unexpected(token);
    auto value = parse_nat(m_lexer.text(token), 0xFFFFFFFFu);
    if (!value)
        return value.error().with_offset(token.offset);
    return static_cast<u32>(*value);
}

Result<u64> ModuleParser::parse_u64()
{
    Token token = TRY(next());
    if (token.kind != TokenKind::Number)
        return unexpected(token);
    auto value = parse_nat(m_lexer.text(token), ~u64 { 0 });
    if (!value)
        return value.error().with_offset(token.offset);
    return *value;
}

// ---------------------------------------------------------------- pass 1

Result<void> ModuleParser::bind(Space space, std::optional<std::string_view> name, u32 offset)
{
    auto s = static_cast<usize>(space);
    u32 index = m_bound[s]++;
    if (name)
        TRY(m_names[s].insert(0, *name, index, duplicate_message(space), offset));
    return {};
}

// Imports precede every function, table, memory, global and tag definition.
Result<void> ModuleParser::note_import(Space, u32 offset)
{
    if (!m_last_definition)
        return {};
    switch (*m_last_definition) {
    case Space::Func: return Error::malformed("import after function", offset);
    case Space::Table: return Error::malformed("import after table", offset);
    case Space::Memory: return Error::malformed("import after memory", offset);
    case Space::Global: return Error::malformed("import after global", offset);
    default: return Error::malformed("import after tag", offset);
    }
}

Result<void> ModuleParser::note_definition(Space space)
{
    m_definition_seen[static_cast<usize>(space)] = true;
    m_last_definition = space;
    return {};
}

static std::optional<Space> space_of_keyword(std::string_view keyword)
{
    if (keyword == "func")
        return Space::Func;
    if (keyword == "table")
        return Space::Table;
    if (keyword == "memory")
        return Space::Memory;
    if (keyword == "global")
        return Space::Global;
    if (keyword == "tag")
        return Space::Tag;
    return std::nullopt;
}

Result<void> ModuleParser::bind_in_field(Token const& keyword, u32 field_offset)
{
    std::string_view k = m_lexer.text(keyword);
    if (k == "type") {
        auto name = TRY(maybe_id());
        TRY(bind(Space::Type, name, keyword.offset));
        TRY(m_fields.try_append(FieldPosition { field_offset, kType }));
        return skip_to_close();
    }
    if (k == "rec") {
        TRY(m_fields.try_append(FieldPosition { field_offset, kRec }));
        for (;;) {
            Token token = TRY(next());
            if (token.kind == TokenKind::RParen)
                return {};
            if (token.kind != TokenKind::LParen)
                return unexpected(token);
            TRY(expect_keyword("type"));
            auto name = TRY(maybe_id());
            TRY(bind(Space::Type, name, token.offset));
            TRY(skip_to_close());
        }
    }
    if (k == "import") {
        TRY(m_fields.try_append(FieldPosition { field_offset, kImport }));
        TRY(parse_name());
        TRY(parse_name());
        TRY(expect_lparen());
        Token kind = TRY(next());
        auto space = space_of_keyword(kind.kind == TokenKind::Keyword ? m_lexer.text(kind) : "");
        if (!space)
            return unexpected(kind);
        auto name = TRY(maybe_id());
        TRY(mark_name_slot(*space, m_bound[static_cast<usize>(*space)]));
        TRY(note_import(*space, kind.offset));
        TRY(bind(*space, name, kind.offset));
        TRY(skip_to_close());
        return expect_rparen();
    }
    if (auto space = space_of_keyword(k)) {
        static constexpr u8 kinds[] = { 0, kFunc, kTable, kMemory, kGlobal, kTag };
        TRY(m_fields.try_append(FieldPosition { field_offset, kinds[static_cast<usize>(*space)] }));
        auto name = TRY(maybe_id());
        TRY(mark_name_slot(*space, m_bound[static_cast<usize>(*space)]));
        bool imported = false;
        bool inline_segment = false;
        u32 depth = 1;
        while (depth > 0) {
            Token token = TRY(next());
            if (token.kind == TokenKind::Eof)
                return unexpected(token);
            if (token.kind == TokenKind::RParen) {
                --depth;
                continue;
            }
            if (token.kind != TokenKind::LParen)
                continue;
            if (depth == 1) {
                Token inner = TRY(peek());
                if (is_keyword(inner, "import"))
                    imported = true;
                if ((*space == Space::Table && is_keyword(inner, "elem"))
                    || (*space == Space::Memory && is_keyword(inner, "data")))
                    inline_segment = true;
            }
            ++depth;
        }
        if (imported)
            TRY(note_import(*space, keyword.offset));
        else
            TRY(note_definition(*space));
        TRY(bind(*space, name, keyword.offset));
        if (inline_segment)
            TRY(bind(*space == Space::Table ? Space::Elem : Space::Data, std::nullopt, keyword.offset));
        return {};
    }
    if (k == "elem" || k == "data") {
        TRY(m_fields.try_append(FieldPosition { field_offset, k == "elem" ? kElem : kData }));
        auto name = TRY(maybe_id());
        TRY(bind(k == "elem" ? Space::Elem : Space::Data, name, keyword.offset));
        return skip_to_close();
    }
    if (k == "export" || k == "start") {
        TRY(m_fields.try_append(FieldPosition { field_offset, k == "export" ? kExport : kStart }));
        return skip_to_close();
    }
    return Error::malformed("unknown operator", keyword.offset);
}

Result<void> ModuleParser::bind_fields(bool closed)
{
    m_recording = true;
    u32 first_field = ~u32 { 0 };
    for (;;) {
        m_top_level = true;
        Token token = TRY(next());
        m_top_level = false;
        if (token.kind == TokenKind::Eof) {
            if (closed)
                return unexpected(token);
            break;
        }
        if (token.kind == TokenKind::RParen && closed)
            break;
        if (token.kind != TokenKind::LParen)
            return unexpected(token);
        if (first_field == ~u32 { 0 })
            first_field = token.offset;
        Token keyword = TRY(next());
        if (keyword.kind != TokenKind::Keyword)
            return keyword.kind == TokenKind::RParen || keyword.kind == TokenKind::Eof ? unexpected(keyword)
                                                                                     : Error::malformed("unknown operator", keyword.offset);
        TRY(bind_in_field(keyword, token.offset));
    }
    m_recording = false;
    return check_annotations(first_field);
}

// ---------------------------------------------------------------- pass 2: types

Result<bool> ModuleParser::try_heaptype(Token const& token, ValType& type)
{
    if (token.kind == TokenKind::Id || token.kind == TokenKind::Number) {
        TRY(next());
        type.heap_is_index = true;
        if (token.kind == TokenKind::Id) {
            std::string_view name = TRY(id_name(token));
            auto index = m_names[static_cast<usize>(Space::Type)].find(0, name);
            if (!index)
                return Error::malformed("unknown type", token.offset);
            type.heap = *index;
        } else {
            auto value = parse_nat(m_lexer.text(token), 0xFFFFFFFFu);
            if (!value)
                return value.error().with_offset(token.offset);
            type.heap = static_cast<u32>(*value);
        }
        return true;
    }
    if (token.kind != TokenKind::Keyword)
        return false;
    std::string_view k = m_lexer.text(token);
    static constexpr struct {
        std::string_view name;
        u8 code;
    } kHeapTypes[] = {
        { "func", 0x70 }, { "extern", 0x6F }, { "any", 0x6E }, { "eq", 0x6D }, { "i31", 0x6C },
        { "struct", 0x6B }, { "array", 0x6A }, { "exn", 0x69 }, { "none", 0x71 }, { "nofunc", 0x73 },
        { "noextern", 0x72 }, { "noexn", 0x74 },
    };
    for (auto const& entry : kHeapTypes) {
        if (entry.name == k) {
            TRY(next());
            type.heap_is_index = false;
            type.heap = entry.code;
            return true;
        }
    }
    return false;
}

Result<void> ModuleParser::parse_heaptype(ValType& type)
{
    Token token = TRY(peek());
    if (token.kind == TokenKind::LParen && TRY(peek_field("exact"))) {
        TRY(next());
        TRY(next());
        type.exact = true;
        token = TRY(peek());
        if (!is_index_token(token))
            return unexpected(token);
        TRY(try_heaptype(token, type));
        return expect_rparen();
    }
    if (!TRY(try_heaptype(token, type)))
        return unexpected(token);
    return {};
}

// `(ref null? exact? ht)` after its `(`, or a shorthand keyword.
Result<ValType> ModuleParser::parse_reftype()
{
    Token token = TRY(next());
    ValType type;
    type.code = ValType::kRef;
    if (token.kind == TokenKind::Keyword) {
        std::string_view k = m_lexer.text(token);
        static constexpr struct {
            std::string_view name;
            u8 code;
        } kShorthands[] = {
            { "funcref", 0x70 }, { "externref", 0x6F }, { "anyref", 0x6E }, { "eqref", 0x6D },
            { "i31ref", 0x6C }, { "structref", 0x6B }, { "arrayref", 0x6A }, { "exnref", 0x69 },
            { "nullref", 0x71 }, { "nullfuncref", 0x73 }, { "nullexternref", 0x72 }, { "nullexnref", 0x74 },
        };
        for (auto const& entry : kShorthands) {
            if (entry.name == k) {
                type.nullable = true;
                type.heap = entry.code;
                return type;
            }
        }
        return Error::malformed("unknown operator", token.offset);
    }
    if (token.kind != TokenKind::LParen)
        return unexpected(token);
    TRY(expect_keyword("ref"));
    if (TRY(peek_keyword("null"))) {
        TRY(next());
        type.nullable = true;
    }
    TRY(parse_heaptype(type));
    TRY(expect_rparen());
    return type;
}

Result<ValType> ModuleParser::parse_valtype()
{
    Token token = TRY(peek());
    if (token.kind == TokenKind::Keyword) {
        std::string_view k = m_lexer.text(token);
        u8 code = 0;
        if (k == "i32")
            code = 0x7F;
        else if (k == "i64")
            code = 0x7E;
        else if (k == "f32")
            code = 0x7D;
        else if (k == "f64")
            code = 0x7C;
        else if (k == "v128")
            code = 0x7B;
        if (code) {
            TRY(next());
            ValType type;
            type.code = code;
            return type;
        }
    }
    if (token.kind == TokenKind::LParen || token.kind == TokenKind::Keyword)
        return parse_reftype();
    TRY(next());
    return unexpected(token);
}

Result<ValType> ModuleParser::parse_storagetype()
{
    Token token = TRY(peek());
    if (is_keyword(token, "i8") || is_keyword(token, "i16")) {
        TRY(next());
        ValType type;
        type.code = is_keyword(token, "i8") ? 0x78 : 0x77;
        return type;
    }
    return parse_valtype();
}

Result<void> ModuleParser::encode_heaptype(Vector<u8>& out, ValType const& type)
{
    if (type.exact)
        TRY(put(out, 0x62));
    if (type.heap_is_index)
        return write_leb_s64(out, static_cast<i64>(type.heap));
    return put(out, static_cast<u8>(type.heap));
}

Result<void> ModuleParser::encode_valtype(Vector<u8>& out, ValType const& type)
{
    if (type.code != ValType::kRef)
        return put(out, type.code);
    if (type.nullable && !type.exact && !type.heap_is_index)
        return put(out, static_cast<u8>(type.heap));
    TRY(put(out, type.nullable ? 0x63 : 0x64));
    return encode_heaptype(out, type);
}

Result<void> ModuleParser::parse_rec()
{
    Vector<u8> group;
    u32 start_types = static_cast<u32>(m_type_infos.size());
    for (;;) {
        Token token = TRY(peek());
        if (token.kind == TokenKind::RParen) {
            TRY(next());
            break;
        }
        TRY(expect_lparen());
        TRY(expect_keyword("type"));
        TRY(parse_type_field(true));
    }
    u32 count = static_cast<u32>(m_type_infos.size()) - start_types;
    // Rec groups are framed after their members are encoded: move the bytes.
    (void)group;
    (void)count;
    return {};
}

// After `(type`: `$id? subtype )`. In a rec group, the caller frames the group.
Result<void> ModuleParser::parse_type_field(bool in_rec)
{
    auto name = TRY(maybe_id());
    std::string_view type_name = name ? *name : std::string_view {};
    u32 type_index = static_cast<u32>(m_type_infos.size());
    usize entry_start = m_types.size();
    TypeInfo info;
    TRY(m_type_infos.try_append(info));
    TRY(expect_lparen());
    Token keyword = TRY(peek());
    bool is_sub = is_keyword(keyword, "sub");
    bool final = !is_sub;
    if (is_sub) {
        TRY(next());
        if (TRY(peek_keyword("final"))) {
            TRY(next());
            final = true;
        }
        Vector<u32> supers;
        for (;;) {
            Token token = TRY(peek());
            if (token.kind != TokenKind::Id && token.kind != TokenKind::Number)
                break;
            ValType super;
            TRY(try_heaptype(token, super));
            TRY(supers.try_append(super.heap));
        }
        TRY(put(m_types, final ? 0x4F : 0x50));
        TRY(write_leb_u32(m_types, static_cast<u32>(supers.size())));
        for (u32 s : supers)
            TRY(write_leb_u32(m_types, s));
        m_type_infos[type_index].plain = false;
        TRY(expect_lparen());
    } else {
        m_type_infos[type_index].plain = !in_rec;
    }
    (void)type_name;
    bool describes_done = false;
    bool descriptor_done = false;
    for (;;) {
        Token k = TRY(next());
        if (is_keyword(k, "describes") || is_keyword(k, "descriptor")) {
            bool describes = is_keyword(k, "describes");
            if (descriptor_done || (describes && describes_done))
                return Error::malformed("unexpected token", k.offset);
            describes_done = true;
            descriptor_done = !describes;
            ValType target;
            Token t = TRY(peek());
            if (!TRY(try_heaptype(t, target)))
                return unexpected(t);
            TRY(expect_rparen());
            TRY(put(m_types, describes ? 0x4C : 0x4D));
            TRY(write_leb_u32(m_types, target.heap));
            m_type_infos[type_index].plain = false;
            TRY(expect_lparen());
            continue;
        }
        if (is_keyword(k, "func")) {
            TRY(put(m_types, 0x60));
            u32 begin = static_cast<u32>(m_valtypes.size());
            u32 params = 0;
            u32 results = 0;
            Vector<ValType> result_types;
            for (;;) {
                Token t = TRY(peek());
                if (t.kind == TokenKind::RParen)
                    break;
                TRY(expect_lparen());
                Token kw = TRY(next());
                if (is_keyword(kw, "param")) {
                    if (results)
                        return Error::malformed("unexpected token", kw.offset);
                    auto id = TRY(maybe_id());
                    if (id) {
                        TRY(m_valtypes.try_append(TRY(parse_valtype())));
                        ++params;
                        TRY(expect_rparen());
                        continue;
                    }
                    while (TRY(peek()).kind != TokenKind::RParen) {
                        TRY(m_valtypes.try_append(TRY(parse_valtype())));
                        ++params;
                    }
                    TRY(next());
                } else if (is_keyword(kw, "result")) {
                    while (TRY(peek()).kind != TokenKind::RParen) {
                        TRY(result_types.try_append(TRY(parse_valtype())));
                        ++results;
                    }
                    TRY(next());
                } else {
                    return unexpected(kw);
                }
            }
            TRY(next());
            for (ValType const& r : result_types)
                TRY(m_valtypes.try_append(r));
            TRY(write_leb_u32(m_types, params));
            for (u32 i = 0; i < params; ++i)
                TRY(encode_valtype(m_types, m_valtypes[begin + i]));
            TRY(write_leb_u32(m_types, results));
            for (u32 i = 0; i < results; ++i)
                TRY(encode_valtype(m_types, m_valtypes[begin + params + i]));
            TypeInfo& t = m_type_infos[type_index];
            t.kind = 0x60;
            t.params_begin = begin;
            t.param_count = params;
            t.result_count = results;
            if (!final)
                t.plain = false;
            break;
        }
        if (is_keyword(k, "struct")) {
            TRY(put(m_types, 0x5F));
            Vector<u8> fields;
            u32 count = 0;
            for (;;) {
                Token t = TRY(next());
                if (t.kind == TokenKind::RParen)
                    break;
                if (t.kind != TokenKind::LParen)
                    return unexpected(t);
                TRY(expect_keyword("field"));
                auto id = TRY(maybe_id());
                if (id)
                    TRY(m_field_names.insert(type_index, *id, count, "duplicate field", t.offset));
                bool single = id.has_value();
                while (TRY(peek()).kind != TokenKind::RParen) {
                    bool mut = TRY(peek_field("mut"));
                    if (mut) {
                        TRY(next());
                        TRY(next());
                    }
                    TRY(encode_valtype(fields, TRY(parse_storagetype())));
                    TRY(put(fields, mut ? 1 : 0));
                    if (mut)
                        TRY(expect_rparen());
                    ++count;
                    if (single)
                        break;
                }
                TRY(expect_rparen());
            }
            TRY(write_leb_u32(m_types, count));
            TRY(m_types.try_extend(fields.span()));
            m_type_infos[type_index].kind = 0x5F;
            m_type_infos[type_index].plain = false;
            break;
        }
        if (is_keyword(k, "array")) {
            TRY(put(m_types, 0x5E));
            bool mut = TRY(peek_field("mut"));
            if (mut) {
                TRY(next());
                TRY(next());
            }
            TRY(encode_valtype(m_types, TRY(parse_storagetype())));
            TRY(put(m_types, mut ? 1 : 0));
            if (mut)
                TRY(expect_rparen());
            TRY(expect_rparen());
            m_type_infos[type_index].kind = 0x5E;
            m_type_infos[type_index].plain = false;
            break;
        }
        return unexpected(k);
    }
    if (is_sub)
        TRY(expect_rparen());
    TRY(expect_rparen());
    if (m_type_infos[type_index].plain && m_type_infos[type_index].kind == 0x60)
        TRY(remember_signature(entry_start, type_index));
    return {};
}

// ---------------------------------------------------------------- type uses

Result<void> ModuleParser::parse_params_results(TypeUse& use, bool bind_param_names, bool allow_params)
{
    use.inline_begin = static_cast<u32>(m_valtypes.size());
    u32 results_begin = 0;
    Vector<ValType> results;
    for (;;) {
        bool param = TRY(peek_field("param"));
        bool result = !param && TRY(peek_field("result"));
        if (!param && !result)
            break;
        Token open = TRY(next());
        TRY(next());
        use.has_inline = true;
        if (param) {
            if (use.result_count != 0 || !allow_params)
                return Error::malformed("unexpected token", open.offset);
            Token id_token = TRY(peek());
            auto id = TRY(maybe_id());
            if (id) {
                if (!bind_param_names)
                    return Error::malformed("unexpected token", id_token.offset);
                TRY(m_locals.insert(0, *id, use.param_count, "duplicate local", id_token.offset));
                TRY(m_valtypes.try_append(TRY(parse_valtype())));
                ++use.param_count;
                TRY(expect_rparen());
                continue;
            }
            while (TRY(peek()).kind != TokenKind::RParen) {
                TRY(m_valtypes.try_append(TRY(parse_valtype())));
                ++use.param_count;
            }
            TRY(next());
        } else {
            while (TRY(peek()).kind != TokenKind::RParen) {
                TRY(results.try_append(TRY(parse_valtype())));
                ++use.result_count;
            }
            TRY(next());
        }
    }
    (void)results_begin;
    for (ValType const& r : results)
        TRY(m_valtypes.try_append(r));
    return {};
}

Result<ModuleParser::TypeUse> ModuleParser::parse_typeuse(bool bind_param_names)
{
    TypeUse use;
    if (TRY(peek_field("type"))) {
        TRY(next());
        TRY(next());
        use.index = TRY(parse_index(Space::Type));
        TRY(expect_rparen());
    }
    TRY(parse_params_results(use, bind_param_names, true));
    return use;
}

// Plain function types are found by their encoding, so that each type use costs
// O(1) whatever the number of types.
Result<u32> ModuleParser::find_or_add_func_type(u32 begin, u32 param_count, u32 result_count)
{
    Vector<u8> signature;
    TRY(put(signature, 0x60));
    TRY(write_leb_u32(signature, param_count));
    for (u32 j = 0; j < param_count; ++j)
        TRY(encode_valtype(signature, m_valtypes[begin + j]));
    TRY(write_leb_u32(signature, result_count));
    for (u32 j = 0; j < result_count; ++j)
        TRY(encode_valtype(signature, m_valtypes[begin + param_count + j]));
    std::string_view key(reinterpret_cast<char const*>(signature.data()), signature.size());
    if (auto found = m_signatures.find(0, key))
        return *found;

    TypeInfo info;
    info.kind = 0x60;
    info.plain = true;
    info.params_begin = begin;
    info.param_count = param_count;
    info.result_count = result_count;
    u32 index = static_cast<u32>(m_type_infos.size());
    TRY(m_type_infos.try_append(info));
    TRY(m_types.try_extend(signature.span()));
    ++m_type_entries;
    TRY(m_signatures.insert(0, key, index, "duplicate signature", 0));
    TRY(m_decoded_names.try_append(std::move(signature)));
    return index;
}

Result<void> ModuleParser::remember_signature(usize entry_start, u32 type_index)
{
    Vector<u8> signature;
    TRY(signature.try_extend(Span<u8 const>(m_types.data() + entry_start, m_types.size() - entry_start)));
    std::string_view key(reinterpret_cast<char const*>(signature.data()), signature.size());
    if (m_signatures.find(0, key))
        return {};
    TRY(m_signatures.insert(0, key, type_index, "duplicate signature", 0));
    return m_decoded_names.try_append(std::move(signature));
}

Result<u32> ModuleParser::resolve_typeuse(TypeUse const& use, u32 offset)
{
    if (use.index) {
        if (use.has_inline && *use.index >= m_type_infos.size())
            return Error::malformed("unknown type", offset);
        if (use.has_inline) {
            TypeInfo const& t = m_type_infos[*use.index];
            bool same = t.kind == 0x60 && t.param_count == use.param_count && t.result_count == use.result_count;
            for (u32 j = 0; same && j < use.param_count + use.result_count; ++j)
                same = m_valtypes[t.params_begin + j] == m_valtypes[use.inline_begin + j];
            if (!same)
                return Error::malformed("inline function type", offset);
        }
        return *use.index;
    }
    return find_or_add_func_type(use.inline_begin, use.param_count, use.result_count);
}

// ---------------------------------------------------------------- driver

Result<Vector<u8>> ModuleParser::parse(bool closed)
{
    u32 start = m_lexer.position();
    TRY(bind_fields(closed));
    u32 end = m_lexer.position();

    // Pass 2: every type definition, so that later passes know params and fields.
    for (FieldPosition const& field : m_fields) {
        if (field.kind != kType && field.kind != kRec)
            continue;
        m_lexer.seek(field.offset);
        TRY(next());
        Token keyword = TRY(next());
        if (field.kind == kType) {
            TRY(parse_type_field(false));
            ++m_type_entries;
        } else {
            // A rec group: 0x4E vec(subtype). Members are encoded in place, then the
            // header is inserted before them.
            usize mark = m_types.size();
            u32 before = static_cast<u32>(m_type_infos.size());
            TRY(parse_rec());
            u32 members = static_cast<u32>(m_type_infos.size()) - before;
            Vector<u8> header;
            TRY(put(header, 0x4E));
            TRY(write_leb_u32(header, members));
            for (usize i = 0; i < header.size(); ++i)
                TRY(m_types.try_insert(mark + i, header[i]));
            ++m_type_entries;
        }
        (void)keyword;
    }
    m_explicit_type_count = static_cast<u32>(m_type_infos.size());

    // Pass 3: everything else, in order.
    for (FieldPosition const& field : m_fields) {
        if (field.kind == kType || field.kind == kRec)
            continue;
        m_lexer.seek(field.offset);
        TRY(next());
        Token keyword = TRY(next());
        TRY(parse_field(keyword));
    }
    m_lexer.seek(end);
    (void)start;
    auto binary = TRY(assemble());
    if (m_misplaced_hint)
        return Error::invalid("@metadata.code.branch_hint annotation: invalid target", *m_misplaced_hint);
    return binary;
}

Result<void> ModuleParser::parse_field(Token const& keyword)
{
    std::string_view k = m_lexer.text(keyword);
    if (k == "import")
        return parse_import();
    if (k == "export")
        return parse_export();
    if (k == "func")
        return parse_func();
    if (k == "table")
        return parse_table();
    if (k == "memory")
        return parse_memory();
    if (k == "global")
        return parse_global();
    if (k == "tag")
        return parse_tag();
    if (k == "elem")
        return parse_elem();
    if (k == "data")
        return parse_data();
    if (k == "start")
        return parse_start();
    return Error::malformed("unknown operator", keyword.offset);
}

Result<void> ModuleParser::emit_section(Vector<u8>& out, u8 id, Vector<u8> const& body, u32 count, bool with_count)
{
    Vector<u8> header;
    if (with_count)
        TRY(write_leb_u32(header, count));
    TRY(put(out, id));
    TRY(write_leb_u32(out, static_cast<u32>(header.size() + body.size())));
    TRY(out.try_extend(header.span()));
    TRY(out.try_extend(body.span()));
    return {};
}

Result<Vector<u8>> ModuleParser::assemble()
{
    Vector<u8> out;
    static constexpr u8 kHeader[] = { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 };
    for (u8 b : kHeader)
        TRY(put(out, b));
    TRY(emit_custom_sections(out, 0, false));
    struct Slot {
        u8 id;
        Vector<u8> const* body;
        u32 count;
        bool present;
    };
    Vector<u8> start_body;
    if (m_start)
        TRY(write_leb_u32(start_body, *m_start));
    Vector<u8> data_count_body;
    TRY(write_leb_u32(data_count_body, m_data_count));
    Slot const slots[] = {
        { 1, &m_types, m_type_entries, m_type_entries > 0 },
        { 2, &m_imports, m_import_count, m_import_count > 0 },
        { 3, &m_funcs, m_func_count, m_func_count > 0 },
        { 4, &m_tables, m_table_count, m_table_count > 0 },
        { 5, &m_memories, m_memory_count, m_memory_count > 0 },
        { 13, &m_tags, m_tag_count, m_tag_count > 0 },
        { 6, &m_globals, m_global_count, m_global_count > 0 },
        { 7, &m_exports, m_export_count, m_export_count > 0 },
        { 8, &start_body, 0, m_start.has_value() },
        { 9, &m_elems, m_elem_count, m_elem_count > 0 },
        { 12, &data_count_body, 0, m_uses_data_count },
        { 10, &m_codes, m_code_count, m_code_count > 0 },
        { 11, &m_datas, m_data_count, m_data_count > 0 },
    };
    for (Slot const& slot : slots) {
        TRY(emit_custom_sections(out, slot.id, false));
        if (slot.id == 10 && m_branch_hint_functions > 0) {
            Vector<u8> body;
            TRY(write_leb_u32(body, 25));
            static constexpr char kName[] = "metadata.code.branch_hint";
            for (usize i = 0; i < 25; ++i)
                TRY(put(body, static_cast<u8>(kName[i])));
            TRY(write_leb_u32(body, m_branch_hint_functions));
            TRY(body.try_extend(m_branch_hints.span()));
            TRY(put(out, 0));
            TRY(write_leb_u32(out, static_cast<u32>(body.size())));
            TRY(out.try_extend(body.span()));
        }
        if (slot.present)
            TRY(emit_section(out, slot.id, *slot.body, slot.count, slot.id != 8 && slot.id != 12));
        TRY(emit_custom_sections(out, slot.id, true));
    }
    TRY(emit_name_section(out));
    TRY(emit_custom_sections(out, 0, true));
    return out;
}

} // namespace wk::engine::text
