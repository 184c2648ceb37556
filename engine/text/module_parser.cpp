#include "engine/text/module_parser.h"

#include "base/leb128.h"
#include "engine/text/literals.h"

namespace wk::engine::text {

namespace {

enum FieldKind : u8 { kType, kRec, kImport, kFunc, kTable, kMemory, kGlobal, kTag, kExport, kStart, kElem, kData };

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

// ---------------------------------------------------------------- driver

Result<Vector<u8>> ModuleParser::parse(bool closed)
{
    TRY(bind_fields(closed));
    u32 end = m_lexer.position();

    // Pass 2: every type definition, so that later passes know params and fields.
    for (FieldPosition const& field : m_fields) {
        if (field.kind != kType && field.kind != kRec)
            continue;
        m_lexer.seek(field.offset);
        TRY(next());
        TRY(next()); // the field's keyword
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
