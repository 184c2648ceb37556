#include <bit>

#include "base/leb128.h"
#include "engine/text/literals.h"
#include "engine/text/module_parser.h"

namespace wk::engine::text {

namespace {

constexpr u8 kKindFunc = 0;
constexpr u8 kKindTable = 1;
constexpr u8 kKindMemory = 2;
constexpr u8 kKindGlobal = 3;
constexpr u8 kKindTag = 4;

Space space_of_kind(u8 kind)
{
    switch (kind) {
    case kKindFunc: return Space::Func;
    case kKindTable: return Space::Table;
    case kKindMemory: return Space::Memory;
    case kKindGlobal: return Space::Global;
    default: return Space::Tag;
    }
}

} // namespace

Result<void> ModuleParser::parse_inline_exports(u8 kind, u32 index)
{
    while (TRY(peek_field("export"))) {
        TRY(next());
        TRY(next());
        std::string_view name = TRY(parse_name());
        TRY(expect_rparen());
        TRY(put_name(m_exports, name));
        TRY(put(m_exports, kind));
        TRY(write_leb_u32(m_exports, index));
        ++m_export_count;
    }
    return {};
}

// `(import "m" "n")` inside a definition: writes the import entry's names and kind.
Result<bool> ModuleParser::parse_inline_import(u8 kind)
{
    if (!TRY(peek_field("import")))
        return false;
    TRY(next());
    TRY(next());
    std::string_view module = TRY(parse_name());
    std::string_view name = TRY(parse_name());
    TRY(expect_rparen());
    TRY(put_name(m_imports, module));
    TRY(put_name(m_imports, name));
    TRY(put(m_imports, kind));
    ++m_import_count;
    return true;
}

Result<void> ModuleParser::encode_import_desc(Vector<u8>& out, u8 kind)
{
    switch (kind) {
    case kKindFunc: {
        m_locals.clear();
        // custom-descriptors: `(exact typeuse)` imports a function of exactly that type,
        // external kind 0x20 (the kind byte was just written).
        bool exact = TRY(peek_field("exact"));
        if (exact) {
            TRY(next());
            TRY(next());
            out[out.size() - 1] = 0x20;
        }
        Token at = TRY(peek());
        TypeUse use = TRY(parse_typeuse(true));
        u32 type = TRY(resolve_typeuse(use, at.offset));
        if (exact)
            TRY(expect_rparen());
        return write_leb_u32(out, type);
    }
    case kKindTable:
        return parse_tabletype(out);
    case kKindMemory:
        return parse_memtype(out);
    case kKindGlobal:
        return parse_globaltype(out);
    default: {
        Token at = TRY(peek());
        TypeUse use = TRY(parse_typeuse(false));
        u32 type = TRY(resolve_typeuse(use, at.offset));
        TRY(put(out, 0x00));
        return write_leb_u32(out, type);
    }
    }
}

Result<void> ModuleParser::parse_import()
{
    std::string_view module = TRY(parse_name());
    std::string_view name = TRY(parse_name());
    TRY(expect_lparen());
    Token keyword = TRY(next());
    std::string_view k = m_lexer.text(keyword);
    u8 kind = k == "func" ? kKindFunc : k == "table" ? kKindTable : k == "memory" ? kKindMemory : k == "global" ? kKindGlobal : kKindTag;
    TRY(maybe_id());
    TRY(put_name(m_imports, module));
    TRY(put_name(m_imports, name));
    TRY(put(m_imports, kind));
    ++m_import_count;
    ++m_defined_or_imported[static_cast<usize>(space_of_kind(kind))];
    TRY(encode_import_desc(m_imports, kind));
    TRY(expect_rparen());
    return expect_rparen();
}

Result<void> ModuleParser::parse_export()
{
    std::string_view name = TRY(parse_name());
    TRY(expect_lparen());
    Token keyword = TRY(next());
    std::string_view k = m_lexer.text(keyword);
    u8 kind;
    if (k == "func")
        kind = kKindFunc;
    else if (k == "table")
        kind = kKindTable;
    else if (k == "memory")
        kind = kKindMemory;
    else if (k == "global")
        kind = kKindGlobal;
    else if (k == "tag")
        kind = kKindTag;
    else
        return unexpected(keyword);
    u32 index = TRY(parse_index(space_of_kind(kind)));
    TRY(expect_rparen());
    TRY(expect_rparen());
    TRY(put_name(m_exports, name));
    TRY(put(m_exports, kind));
    TRY(write_leb_u32(m_exports, index));
    ++m_export_count;
    return {};
}

Result<void> ModuleParser::parse_start()
{
    u32 index = TRY(parse_index(Space::Func));
    TRY(expect_rparen());
    if (m_start)
        return Error::malformed("multiple start sections", m_lexer.position());
    m_start = index;
    return {};
}

Result<void> ModuleParser::parse_limits(Vector<u8>& out, bool is64, u8 extra_flags)
{
    // Limits beyond the address type are a validation matter ("memory size"); the
    // encoding keeps them as u64 so that the validator can report it. Before
    // memory64 they were u32 literals.
    bool u32_literals = !is64 && !m_features.u64_text_limits;
    u64 min = u32_literals ? TRY(parse_limit_u32()) : TRY(parse_u64());
    std::optional<u64> max;
    Token token = TRY(peek());
    if (token.kind == TokenKind::Number)
        max = u32_literals ? TRY(parse_limit_u32()) : TRY(parse_u64());
    u8 flags = extra_flags;
    if (max)
        flags |= 0x01;
    if (is64)
        flags |= 0x04;
    // Shared and page size come after the limits in the text; the caller patches the flags.
    TRY(put(out, flags));
    TRY(write_leb_u64(out, min));
    if (max)
        TRY(write_leb_u64(out, *max));
    return {};
}

Result<u32> ModuleParser::parse_limit_u32()
{
    Token token = TRY(peek());
    u64 value = TRY(parse_u64());
    if (value > 0xFFFFFFFFu)
        return Error::malformed("i32 constant out of range", token.offset);
    return static_cast<u32>(value);
}

Result<void> ModuleParser::parse_memtype(Vector<u8>& out)
{
    bool is64 = false;
    if (TRY(peek_keyword("i64")) || TRY(peek_keyword("i32"))) {
        Token t = TRY(next());
        is64 = is_keyword(t, "i64");
    }
    usize flags_at = out.size();
    TRY(parse_limits(out, is64, 0));
    if (TRY(peek_keyword("shared"))) {
        TRY(next());
        out[flags_at] |= 0x02;
    } else if (TRY(peek_keyword("unshared"))) {
        TRY(next());
    }
    if (TRY(peek_field("pagesize"))) {
        TRY(next());
        TRY(next());
        Token t = TRY(peek());
        u64 size = TRY(parse_u64());
        TRY(expect_rparen());
        if (size == 0 || (size & (size - 1)) != 0)
            return Error::malformed("invalid custom page size", t.offset);
        u32 log2 = static_cast<u32>(std::countr_zero(size));
        out[flags_at] |= 0x08;
        TRY(write_leb_u32(out, log2));
    }
    return {};
}

Result<void> ModuleParser::parse_tabletype(Vector<u8>& out)
{
    bool is64 = false;
    if (TRY(peek_keyword("i64")) || TRY(peek_keyword("i32"))) {
        Token t = TRY(next());
        is64 = is_keyword(t, "i64");
    }
    Vector<u8> limits;
    TRY(parse_limits(limits, is64, 0));
    ValType type = TRY(parse_reftype());
    TRY(encode_valtype(out, type));
    TRY(out.try_extend(limits.span()));
    return {};
}

Result<void> ModuleParser::parse_globaltype(Vector<u8>& out)
{
    if (TRY(peek_field("mut"))) {
        TRY(next());
        TRY(next());
        TRY(encode_valtype(out, TRY(parse_valtype())));
        TRY(expect_rparen());
        return put(out, 1);
    }
    TRY(encode_valtype(out, TRY(parse_valtype())));
    return put(out, 0);
}

Result<void> ModuleParser::parse_func()
{
    TRY(maybe_id());
    u32 index = m_defined_or_imported[static_cast<usize>(Space::Func)]++;
    TRY(parse_inline_exports(kKindFunc, index));
    if (TRY(parse_inline_import(kKindFunc))) {
        TRY(encode_import_desc(m_imports, kKindFunc));
        return expect_rparen();
    }
    m_locals.clear();
    Token at = TRY(peek());
    TypeUse use = TRY(parse_typeuse(true));
    u32 type = TRY(resolve_typeuse(use, at.offset));
    TRY(write_leb_u32(m_funcs, type));
    ++m_func_count;
    m_local_count = use.has_inline ? use.param_count
                                   : (type < m_type_infos.size() ? m_type_infos[type].param_count : 0);
    if (use.index && !use.has_inline)
        m_local_count = type < m_type_infos.size() ? m_type_infos[type].param_count : 0;

    Vector<u8> body;
    // Locals: runs of equal types.
    Vector<ValType> locals;
    while (TRY(peek_field("local"))) {
        TRY(next());
        TRY(next());
        Token id_token = TRY(peek());
        auto id = TRY(maybe_id());
        if (id) {
            TRY(m_locals.insert(0, *id, m_local_count, "duplicate local", id_token.offset));
            TRY(locals.try_append(TRY(parse_valtype())));
            ++m_local_count;
        } else {
            while (TRY(peek()).kind != TokenKind::RParen) {
                TRY(locals.try_append(TRY(parse_valtype())));
                ++m_local_count;
            }
        }
        TRY(expect_rparen());
    }
    u32 runs = 0;
    for (usize i = 0; i < locals.size(); ++i) {
        if (i == 0 || !(locals[i] == locals[i - 1]))
            ++runs;
    }
    TRY(write_leb_u32(body, runs));
    for (usize i = 0; i < locals.size();) {
        usize j = i;
        while (j < locals.size() && locals[j] == locals[i])
            ++j;
        TRY(write_leb_u32(body, static_cast<u32>(j - i)));
        TRY(encode_valtype(body, locals[i]));
        i = j;
    }
    clear_labels();
    TRY(push_label(std::nullopt));
    m_in_function = true;
    TRY(parse_instrs(body));
    // A hint must precede an instruction of its own function.
    if (auto hint = TRY(take_branch_hint(TRY(peek()).offset)))
        return Error::malformed("@metadata.code.branch_hint annotation: invalid placement", hint->offset);
    m_in_function = false;
    TRY(finish_function_hints(index));
    TRY(expect_rparen());
    TRY(put(body, 0x0B));
    TRY(write_leb_u32(m_codes, static_cast<u32>(body.size())));
    TRY(m_codes.try_extend(body.span()));
    ++m_code_count;
    return {};
}

Result<void> ModuleParser::parse_global()
{
    TRY(maybe_id());
    u32 index = m_defined_or_imported[static_cast<usize>(Space::Global)]++;
    TRY(parse_inline_exports(kKindGlobal, index));
    if (TRY(parse_inline_import(kKindGlobal))) {
        TRY(parse_globaltype(m_imports));
        return expect_rparen();
    }
    TRY(parse_globaltype(m_globals));
    clear_labels();
    m_locals.clear();
    TRY(parse_expr(m_globals));
    TRY(expect_rparen());
    ++m_global_count;
    return {};
}

Result<void> ModuleParser::parse_tag()
{
    TRY(maybe_id());
    u32 index = m_defined_or_imported[static_cast<usize>(Space::Tag)]++;
    TRY(parse_inline_exports(kKindTag, index));
    if (TRY(parse_inline_import(kKindTag))) {
        TRY(encode_import_desc(m_imports, kKindTag));
        return expect_rparen();
    }
    TRY(encode_import_desc(m_tags, kKindTag));
    ++m_tag_count;
    return expect_rparen();
}

Result<void> ModuleParser::parse_table()
{
    TRY(maybe_id());
    u32 index = m_defined_or_imported[static_cast<usize>(Space::Table)]++;
    TRY(parse_inline_exports(kKindTable, index));
    if (TRY(parse_inline_import(kKindTable))) {
        TRY(parse_tabletype(m_imports));
        return expect_rparen();
    }
    u32 before = m_lexer.position();
    bool is64 = false;
    if (TRY(peek_keyword("i64")) || TRY(peek_keyword("i32"))) {
        Token t = TRY(next());
        is64 = is_keyword(t, "i64");
    }
    Token token = TRY(peek());
    if (token.kind != TokenKind::Number) {
        // `reftype (elem ...)`: a table sized to its inline element segment.
        ValType type = TRY(parse_reftype());
        TRY(expect_lparen());
        TRY(expect_keyword("elem"));
        Vector<u8> items;
        u8 flags = 0;
        ValType item_type = type;
        TRY(parse_elem_list(items, true, flags, item_type));
        TRY(expect_rparen());
        TRY(expect_rparen());
        // items begins with the item count.
        usize cursor = 0;
        u32 count = MUST(read_leb_u32(items.span(), cursor));
        TRY(encode_valtype(m_tables, type));
        TRY(put(m_tables, is64 ? 0x05 : 0x01));
        TRY(write_leb_u64(m_tables, count));
        TRY(write_leb_u64(m_tables, count));
        ++m_table_count;
        bool func_indices = flags == 0;
        ValType funcref { ValType::kRef, true, false, false, 0x70 };
        if (func_indices && !(type == funcref)) {
            // Bare function indices for a typed table become `ref.func` items.
            usize at = 0;
            u32 n = MUST(read_leb_u32(items.span(), at));
            Vector<u8> exprs;
            TRY(write_leb_u32(exprs, n));
            for (u32 i = 0; i < n; ++i) {
                TRY(put(exprs, 0xD2));
                TRY(write_leb_u32(exprs, MUST(read_leb_u32(items.span(), at))));
                TRY(put(exprs, 0x0B));
            }
            items = std::move(exprs);
            func_indices = false;
        }
        TRY(put(m_elems, func_indices ? 0x02 : 0x06));
        TRY(write_leb_u32(m_elems, index));
        TRY(put(m_elems, is64 ? 0x42 : 0x41));
        TRY(put(m_elems, 0x00));
        TRY(put(m_elems, 0x0B));
        if (func_indices)
            TRY(put(m_elems, 0x00));
        else
            TRY(encode_valtype(m_elems, type));
        TRY(m_elems.try_extend(items.span()));
        ++m_elem_count;
        ++m_defined_or_imported[static_cast<usize>(Space::Elem)];
        return {};
    }
    m_lexer.seek(before);
    Vector<u8> tabletype;
    TRY(parse_tabletype(tabletype));
    if (TRY(peek()).kind != TokenKind::RParen) {
        TRY(put(m_tables, 0x40));
        TRY(put(m_tables, 0x00));
        TRY(m_tables.try_extend(tabletype.span()));
        clear_labels();
        m_locals.clear();
        TRY(parse_expr(m_tables));
    } else {
        TRY(m_tables.try_extend(tabletype.span()));
    }
    ++m_table_count;
    return expect_rparen();
}

Result<void> ModuleParser::parse_data_strings(Vector<u8>& bytes)
{
    for (;;) {
        Token token = TRY(peek());
        if (token.kind != TokenKind::String)
            return {};
        TRY(next());
        std::string_view data = TRY(parse_string_bytes(token));
        TRY(bytes.try_extend(Span<u8 const>(reinterpret_cast<u8 const*>(data.data()), data.size())));
    }
}

Result<void> ModuleParser::parse_memory()
{
    TRY(maybe_id());
    u32 index = m_defined_or_imported[static_cast<usize>(Space::Memory)]++;
    TRY(parse_inline_exports(kKindMemory, index));
    if (TRY(parse_inline_import(kKindMemory))) {
        TRY(parse_memtype(m_imports));
        return expect_rparen();
    }
    u32 before = m_lexer.position();
    bool is64 = false;
    if (TRY(peek_keyword("i64")) || TRY(peek_keyword("i32"))) {
        Token t = TRY(next());
        is64 = is_keyword(t, "i64");
    }
    std::optional<u32> page_log2;
    if (TRY(peek_field("pagesize"))) {
        u32 at = m_lexer.position();
        TRY(next());
        TRY(next());
        Token t = TRY(peek());
        u64 size = TRY(parse_u64());
        TRY(expect_rparen());
        if (size == 0 || (size & (size - 1)) != 0)
            return Error::malformed("invalid custom page size", t.offset);
        page_log2 = static_cast<u32>(std::countr_zero(size));
        if (!TRY(peek_field("data"))) {
            m_lexer.seek(at);
            return Error::malformed("unexpected token", at);
        }
    }
    if (TRY(peek_field("data"))) {
        TRY(next());
        TRY(next());
        Vector<u8> bytes;
        TRY(parse_data_strings(bytes));
        TRY(expect_rparen());
        TRY(expect_rparen());
        u32 log2 = page_log2.value_or(16);
        u64 pages = (u64(bytes.size()) + (u64 { 1 } << log2) - 1) >> log2;
        u8 flags = 0x01 | (is64 ? 0x04 : 0) | (page_log2 ? 0x08 : 0);
        TRY(put(m_memories, flags));
        TRY(write_leb_u64(m_memories, pages));
        TRY(write_leb_u64(m_memories, pages));
        if (page_log2)
            TRY(write_leb_u32(m_memories, *page_log2));
        ++m_memory_count;
        if (index == 0) {
            TRY(put(m_datas, 0x00));
        } else {
            TRY(put(m_datas, 0x02));
            TRY(write_leb_u32(m_datas, index));
        }
        TRY(put(m_datas, is64 ? 0x42 : 0x41));
        TRY(put(m_datas, 0x00));
        TRY(put(m_datas, 0x0B));
        TRY(write_leb_u32(m_datas, static_cast<u32>(bytes.size())));
        TRY(m_datas.try_extend(bytes.span()));
        ++m_data_count;
        ++m_defined_or_imported[static_cast<usize>(Space::Data)];
        return {};
    }
    m_lexer.seek(before);
    TRY(parse_memtype(m_memories));
    ++m_memory_count;
    return expect_rparen();
}

// An element list: `func? funcidx*` (flags_out = 0, bare indices) or
// `reftype item*` (flags_out = 4). Writes vec(items) to out; `type` receives the reftype.
Result<void> ModuleParser::parse_elem_list(Vector<u8>& out, bool allow_bare_funcs, u8& flags_out, ValType& type)
{
    Vector<u8> items;
    u32 count = 0;
    Token token = TRY(peek());
    bool func_keyword = is_keyword(token, "func");
    bool indices = func_keyword || token.kind == TokenKind::Id || token.kind == TokenKind::Number
        || token.kind == TokenKind::RParen;
    if (indices && !(token.kind == TokenKind::RParen && !allow_bare_funcs)) {
        if (func_keyword)
            TRY(next());
        while (TRY(peek()).kind != TokenKind::RParen) {
            TRY(write_leb_u32(items, TRY(parse_index(Space::Func))));
            ++count;
        }
        flags_out = 0;
        type = ValType { ValType::kRef, true, false, false, 0x70 };
    } else {
        bool bare_exprs = allow_bare_funcs && token.kind == TokenKind::LParen && !TRY(peek_field("ref"));
        if (!bare_exprs)
            type = TRY(parse_reftype());
        clear_labels();
        m_locals.clear();
        while (TRY(peek()).kind != TokenKind::RParen) {
            if (TRY(peek_field("item"))) {
                TRY(next());
                TRY(next());
                TRY(parse_expr(items));
                TRY(expect_rparen());
            } else {
                TRY(parse_folded(items));
                TRY(put(items, 0x0B));
            }
            ++count;
        }
        flags_out = 4;
    }
    TRY(write_leb_u32(out, count));
    TRY(out.try_extend(items.span()));
    return {};
}

Result<void> ModuleParser::parse_elem()
{
    TRY(maybe_id());
    ++m_defined_or_imported[static_cast<usize>(Space::Elem)];
    enum { Passive, Active, Declarative } mode = Passive;
    std::optional<u32> table;
    Vector<u8> offset;
    clear_labels();
    m_locals.clear();
    if (TRY(peek_keyword("declare"))) {
        TRY(next());
        mode = Declarative;
    } else {
        Token legacy = TRY(peek());
        if (legacy.kind == TokenKind::Number && TRY(m_lexer.peek_second()).kind == TokenKind::LParen) {
            table = TRY(parse_index(Space::Table));
            mode = Active;
        }
        if (TRY(peek_field("table"))) {
            TRY(next());
            TRY(next());
            table = TRY(parse_index(Space::Table));
            TRY(expect_rparen());
            mode = Active;
        }
        if (TRY(peek_field("offset"))) {
            TRY(next());
            TRY(next());
            TRY(parse_expr(offset));
            TRY(expect_rparen());
            mode = Active;
        } else {
            Token token = TRY(peek());
            if (token.kind == TokenKind::LParen) {
                Token second = TRY(m_lexer.peek_second());
                if (!is_keyword(second, "ref") && !is_keyword(second, "item")) {
                    TRY(parse_folded(offset));
                    TRY(put(offset, 0x0B));
                    mode = Active;
                }
            }
        }
    }
    Vector<u8> items;
    u8 flags = 0;
    ValType type { ValType::kRef, true, false, false, 0x70 };
    TRY(parse_elem_list(items, true, flags, type));
    TRY(expect_rparen());
    bool func_indices = flags == 0;
    ValType funcref { ValType::kRef, true, false, false, 0x70 };
    if (mode == Passive) {
        TRY(put(m_elems, func_indices ? 0x01 : 0x05));
    } else if (mode == Declarative) {
        TRY(put(m_elems, func_indices ? 0x03 : 0x07));
    } else if (table.value_or(0) == 0 && (func_indices || type == funcref)) {
        TRY(put(m_elems, func_indices ? 0x00 : 0x04));
        TRY(m_elems.try_extend(offset.span()));
        TRY(m_elems.try_extend(items.span()));
        ++m_elem_count;
        return {};
    } else {
        TRY(put(m_elems, func_indices ? 0x02 : 0x06));
        TRY(write_leb_u32(m_elems, table.value_or(0)));
        TRY(m_elems.try_extend(offset.span()));
    }
    if (func_indices)
        TRY(put(m_elems, 0x00));
    else
        TRY(encode_valtype(m_elems, type));
    TRY(m_elems.try_extend(items.span()));
    ++m_elem_count;
    return {};
}

Result<void> ModuleParser::parse_data()
{
    TRY(maybe_id());
    ++m_defined_or_imported[static_cast<usize>(Space::Data)];
    std::optional<u32> memory;
    Vector<u8> offset;
    bool active = false;
    clear_labels();
    m_locals.clear();
    Token legacy = TRY(peek());
    if (legacy.kind == TokenKind::Number && TRY(m_lexer.peek_second()).kind == TokenKind::LParen) {
        memory = TRY(parse_index(Space::Memory));
        active = true;
    }
    if (TRY(peek_field("memory"))) {
        TRY(next());
        TRY(next());
        memory = TRY(parse_index(Space::Memory));
        TRY(expect_rparen());
        active = true;
    }
    if (TRY(peek_field("offset"))) {
        TRY(next());
        TRY(next());
        TRY(parse_expr(offset));
        TRY(expect_rparen());
        active = true;
    } else if (TRY(peek()).kind == TokenKind::LParen) {
        TRY(parse_folded(offset));
        TRY(put(offset, 0x0B));
        active = true;
    }
    Vector<u8> bytes;
    TRY(parse_data_strings(bytes));
    TRY(expect_rparen());
    if (!active) {
        TRY(put(m_datas, 0x01));
    } else if (memory.value_or(0) == 0) {
        TRY(put(m_datas, 0x00));
        TRY(m_datas.try_extend(offset.span()));
    } else {
        TRY(put(m_datas, 0x02));
        TRY(write_leb_u32(m_datas, *memory));
        TRY(m_datas.try_extend(offset.span()));
    }
    TRY(write_leb_u32(m_datas, static_cast<u32>(bytes.size())));
    TRY(m_datas.try_extend(bytes.span()));
    ++m_data_count;
    return {};
}

} // namespace wk::engine::text
