#include <algorithm>

#include "base/leb128.h"
#include "engine/text/module_parser.h"

namespace wk::engine::text {

namespace {

// Section ids in binary order, as named by `(before ...)` / `(after ...)`.
struct SectionName {
    std::string_view name;
    u8 id;
};
constexpr SectionName kSectionNames[] = {
    { "type", 1 }, { "import", 2 }, { "func", 3 }, { "table", 4 }, { "memory", 5 }, { "tag", 13 },
    { "global", 6 }, { "export", 7 }, { "start", 8 }, { "elem", 9 }, { "datacount", 12 }, { "code", 10 },
    { "data", 11 },
};

} // namespace

void ModuleParser::on_annotation(std::string_view id, u32 begin, u32 body, u32 end)
{
    // peek() lexes the same annotation again; record each one once.
    if (!m_recording || begin < m_last_annotation_end)
        return;
    AnnotationKind kind;
    if (id == "custom")
        kind = kAnnotationCustom;
    else if (id == "name")
        kind = kAnnotationName;
    else if (id == "metadata.code.branch_hint")
        kind = kAnnotationBranchHint;
    else
        return;
    m_last_annotation_end = end;
    // Allocation failure here only drops an annotation's effect.
    (void)m_annotations.try_append(Annotation { begin, body, end, kind, m_top_level, false, Space::Func, 0 });
}

// Called right after a field's keyword and optional id: a following `(@name ...)` names it.
Result<void> ModuleParser::mark_name_slot(Space space, u32 index)
{
    u32 from = m_lexer.position();
    Token next_token = TRY(peek());
    for (usize i = m_annotations.size(); i-- > 0;) {
        Annotation& a = m_annotations[i];
        if (a.begin < from)
            break;
        if (a.kind == kAnnotationName && a.end <= next_token.offset) {
            a.placed = true;
            a.space = space;
            a.index = index;
        }
    }
    return {};
}

Result<void> ModuleParser::parse_custom_annotation(Annotation const& annotation)
{
    Lexer lexer(m_lexer.source().substr(0, annotation.end - 1));
    lexer.seek(annotation.body);
    Token name_token = TRY(lexer.next());
    if (name_token.kind != TokenKind::String)
        return Error::malformed("@custom annotation: missing section name", name_token.offset);
    CustomSection section;
    {
        std::string_view body = lexer.text(name_token).substr(1, name_token.length - 2);
        Vector<u8> decoded;
        TRY(decoded.try_resize(body.size()));
        usize n = Lexer::decode_string(body, decoded.data());
        TRY(decoded.try_resize(n));
        std::string_view name(reinterpret_cast<char const*>(decoded.data()), n);
        if (!is_valid_utf8(name))
            return Error::malformed("@custom annotation: malformed UTF-8 encoding", name_token.offset);
        section.name = name;
        TRY(m_decoded_names.try_append(std::move(decoded)));
    }
    section.anchor = 0;
    section.after = true;
    Token token = TRY(lexer.next());
    if (token.kind == TokenKind::LParen) {
        Token where = TRY(lexer.next());
        std::string_view w = where.kind == TokenKind::Keyword ? lexer.text(where) : std::string_view {};
        if (w != "before" && w != "after")
            return Error::malformed("@custom annotation: malformed placement", where.offset);
        section.after = w == "after";
        Token kind = TRY(lexer.next());
        std::string_view k = kind.kind == TokenKind::Keyword ? lexer.text(kind) : std::string_view {};
        bool found = false;
        if ((k == "first" && !section.after) || (k == "last" && section.after)) {
            found = true;
        } else {
            for (auto const& entry : kSectionNames) {
                if (entry.name == k) {
                    section.anchor = entry.id;
                    found = true;
                }
            }
        }
        if (!found)
            return Error::malformed("@custom annotation: malformed section kind", kind.offset);
        Token close = TRY(lexer.next());
        if (close.kind != TokenKind::RParen)
            return Error::malformed("@custom annotation: malformed placement", close.offset);
        token = TRY(lexer.next());
    }
    while (token.kind == TokenKind::String) {
        std::string_view body = lexer.text(token).substr(1, token.length - 2);
        usize at = section.bytes.size();
        TRY(section.bytes.try_resize(at + body.size()));
        usize n = Lexer::decode_string(body, section.bytes.data() + at);
        TRY(section.bytes.try_resize(at + n));
        token = TRY(lexer.next());
    }
    if (token.kind != TokenKind::Eof)
        return Error::malformed("@custom annotation: unexpected token", token.offset);
    return m_customs.try_append(std::move(section));
}

Result<void> ModuleParser::check_annotations(u32 first_field_offset)
{
    bool module_named = false;
    for (Annotation& a : m_annotations) {
        switch (a.kind) {
        case kAnnotationCustom:
            if (!a.top_level)
                return Error::malformed("misplaced @custom annotation", a.begin);
            TRY(parse_custom_annotation(a));
            break;
        case kAnnotationName:
            if (a.top_level) {
                if (a.begin > first_field_offset)
                    return Error::malformed("misplaced @name annotation", a.begin);
                if (module_named)
                    return Error::malformed("@name annotation: multiple module", a.begin);
                module_named = true;
                a.placed = true;
                a.space = Space::Count;
            } else if (!a.placed) {
                return Error::malformed("misplaced @name annotation", a.begin);
            }
            break;
        case kAnnotationBranchHint:
            if (a.top_level)
                return Error::malformed("@metadata.code.branch_hint annotation: not in a function", a.begin);
            TRY(m_hint_offsets.try_append(static_cast<u32>(&a - m_annotations.begin())));
            break;
        }
    }
    return {};
}

// Consumes the branch hints written before the instruction at `before_offset`.
Result<std::optional<ModuleParser::BranchHint>> ModuleParser::take_branch_hint(u32 before_offset)
{
    std::optional<BranchHint> hint;
    u32 taken = 0;
    while (m_hint_cursor < m_hint_offsets.size()
        && m_annotations[m_hint_offsets[m_hint_cursor]].begin < before_offset) {
        Annotation const* annotation = &m_annotations[m_hint_offsets[m_hint_cursor++]];
        u32 begin = annotation->begin;
        if (++taken > 1)
            return Error::malformed("@metadata.code.branch_hint annotation: duplicate annotation", begin);
        if (!m_in_function)
            return Error::malformed("@metadata.code.branch_hint annotation: not in a function", begin);
        Lexer lexer(m_lexer.source().substr(0, annotation->end - 1));
        lexer.seek(annotation->body);
        Token value = TRY(lexer.next());
        Token rest = TRY(lexer.next());
        if (value.kind != TokenKind::String || rest.kind != TokenKind::Eof)
            return Error::malformed("@metadata.code.branch_hint annotation: unexpected token", value.offset);
        std::string_view body = lexer.text(value).substr(1, value.length - 2);
        u8 decoded[8];
        if (body.size() > sizeof decoded)
            return Error::malformed("@metadata.code.branch_hint annotation: invalid value", value.offset);
        usize n = Lexer::decode_string(body, decoded);
        if (n != 1 || decoded[0] > 1)
            return Error::malformed("@metadata.code.branch_hint annotation: invalid value", value.offset);
        hint = BranchHint { decoded[0], begin };
    }
    return hint;
}

Result<void> ModuleParser::apply_branch_hint(std::optional<BranchHint> hint, usize opcode_offset)
{
    if (!hint)
        return {};
    TRY(write_leb_u32(m_function_hints, static_cast<u32>(opcode_offset)));
    TRY(write_leb_u32(m_function_hints, 1));
    TRY(put(m_function_hints, hint->value));
    ++m_function_hint_count;
    return {};
}

// The instruction after a hint is not a branch the hint can apply to.
void ModuleParser::reject_hint_target(std::optional<BranchHint> hint)
{
    if (hint && !m_misplaced_hint)
        m_misplaced_hint = hint->offset;
}

Result<void> ModuleParser::finish_function_hints(u32 func_index)
{
    if (m_function_hint_count == 0)
        return {};
    TRY(write_leb_u32(m_branch_hints, func_index));
    TRY(write_leb_u32(m_branch_hints, m_function_hint_count));
    TRY(m_branch_hints.try_extend(m_function_hints.span()));
    ++m_branch_hint_functions;
    m_function_hints.clear();
    m_function_hint_count = 0;
    return {};
}

// Function ids as name-section entries, by index: (index, name) pairs.
Result<void> ModuleParser::put_function_ids(Vector<u8>& entries, u32& count)
{
    struct Named {
        u32 index;
        std::string_view name;
    };
    Vector<Named> named;
    Result<void> status;
    m_names[static_cast<usize>(Space::Func)].for_each([&](u32, std::string_view name, u32 index) {
        if (status)
            status = named.try_append(Named { index, name });
    });
    TRY(status);
    std::sort(named.begin(), named.end(), [](Named const& a, Named const& b) { return a.index < b.index; });
    for (Named const& entry : named) {
        TRY(write_leb_u32(entries, entry.index));
        TRY(put_name(entries, entry.name));
    }
    count = static_cast<u32>(named.size());
    return {};
}

Result<void> ModuleParser::emit_name_section(Vector<u8>& out)
{
    Vector<u8> body;
    TRY(put_name(body, "name"));
    bool any = false;
    static constexpr struct {
        Space space;
        u8 subsection;
    } kSubsections[] = { { Space::Count, 0 }, { Space::Func, 1 }, { Space::Tag, 11 } };
    for (auto const& sub : kSubsections) {
        Vector<u8> entries;
        u32 count = 0;
        // Function and tag names must be sorted by index; annotations come in index order.
        for (Annotation const& a : m_annotations) {
            if (a.kind != kAnnotationName || !a.placed || a.space != sub.space)
                continue;
            Lexer lexer(m_lexer.source().substr(0, a.end - 1));
            lexer.seek(a.body);
            Token value = TRY(lexer.next());
            if (value.kind != TokenKind::String)
                return Error::malformed("@name annotation: missing name", value.offset);
            std::string_view raw = lexer.text(value).substr(1, value.length - 2);
            Vector<u8> decoded;
            TRY(decoded.try_resize(raw.size()));
            usize n = Lexer::decode_string(raw, decoded.data());
            std::string_view name(reinterpret_cast<char const*>(decoded.data()), n);
            if (!is_valid_utf8(name))
                return Error::malformed("@name annotation: malformed UTF-8 encoding", value.offset);
            if (sub.space == Space::Count) {
                TRY(put_name(entries, name));
            } else {
                TRY(write_leb_u32(entries, a.index));
                TRY(put_name(entries, name));
            }
            ++count;
        }
        if (count == 0 && sub.space == Space::Func && m_function_names)
            TRY(put_function_ids(entries, count));
        if (count == 0)
            continue;
        any = true;
        Vector<u8> payload;
        if (sub.space != Space::Count)
            TRY(write_leb_u32(payload, count));
        TRY(payload.try_extend(entries.span()));
        TRY(put(body, sub.subsection));
        TRY(write_leb_u32(body, static_cast<u32>(payload.size())));
        TRY(body.try_extend(payload.span()));
    }
    if (!any)
        return {};
    TRY(put(out, 0));
    TRY(write_leb_u32(out, static_cast<u32>(body.size())));
    return out.try_extend(body.span());
}

Result<void> ModuleParser::emit_custom_sections(Vector<u8>& out, u8 anchor, bool after)
{
    for (CustomSection const& section : m_customs) {
        if (section.anchor != anchor || section.after != after)
            continue;
        Vector<u8> body;
        TRY(put_name(body, section.name));
        TRY(body.try_extend(section.bytes.span()));
        TRY(put(out, 0));
        TRY(write_leb_u32(out, static_cast<u32>(body.size())));
        TRY(out.try_extend(body.span()));
    }
    return {};
}

} // namespace wk::engine::text
