// Pass 2 of ModuleParser: type syntax (value, reference and heap types, type definitions
// and rec groups, type uses) and its binary encoding.
#include "engine/text/literals.h"
#include "engine/text/module_parser.h"

namespace wk::engine::text {

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
    // The caller frames the group once its members are encoded.
    return {};
}

// After `(type`: `$id? subtype )`. In a rec group, the caller frames the group.
Result<void> ModuleParser::parse_type_field(bool in_rec)
{
    TRY(maybe_id()); // bound by bind_fields
    u32 type_index = static_cast<u32>(m_type_infos.size());
    usize entry_start = m_types.size();
    TypeInfo info;
    TRY(m_type_infos.try_append(info));
    TRY(expect_lparen());
    Token keyword = TRY(peek());
    bool is_sub = is_keyword(keyword, "sub");
    bool final = TRY(parse_sub_header(type_index, is_sub, in_rec));
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
            TRY(parse_func_type(type_index, final));
            break;
        }
        if (is_keyword(k, "struct")) {
            TRY(parse_struct_type(type_index));
            break;
        }
        if (is_keyword(k, "array")) {
            TRY(parse_array_type(type_index));
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

// After `(type $id? (`: `sub final? supertypes... (` when `is_sub` (the keyword not yet
// consumed), else nothing. Encodes the sub prefix; returns whether the type is final.
Result<bool> ModuleParser::parse_sub_header(u32 type_index, bool is_sub, bool in_rec)
{
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
    return final;
}

// After `func`: params and results up to `)`.
Result<void> ModuleParser::parse_func_type(u32 type_index, bool final)
{
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
    return {};
}

// After `struct`: fields up to `)`.
Result<void> ModuleParser::parse_struct_type(u32 type_index)
{
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
    return {};
}

// After `array`: one field type and `)`.
Result<void> ModuleParser::parse_array_type(u32 type_index)
{
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
    return {};
}

// ---------------------------------------------------------------- type uses

Result<void> ModuleParser::parse_params_results(TypeUse& use, bool bind_param_names, bool allow_params)
{
    use.inline_begin = static_cast<u32>(m_valtypes.size());
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

} // namespace wk::engine::text
