#include <bit>

#include "base/assert.h"
#include "base/leb128.h"
#include "engine/text/literals.h"
#include "engine/text/module_parser.h"

namespace wk::engine::text {

namespace {

Result<void> put_le(Vector<u8>& out, u64 value, u32 bytes)
{
    for (u32 i = 0; i < bytes; ++i)
        TRY(put(out, static_cast<u8>(value >> (8 * i))));
    return {};
}

} // namespace

Result<void> ModuleParser::emit_opcode(Vector<u8>& out, OpcodeInfo const& info)
{
    if (info.prefix) {
        TRY(put(out, info.prefix));
        return write_leb_u32(out, info.code);
    }
    return put(out, static_cast<u8>(info.code));
}

Result<void> ModuleParser::push_label(std::optional<std::string_view> name)
{
    u32 shadowed = kNoLabel;
    if (name) {
        shadowed = m_label_names.find(0, *name).value_or(kNoLabel);
        TRY(m_label_names.set(0, *name, static_cast<u32>(m_labels.size())));
    }
    return m_labels.try_append(Label { name.value_or(std::string_view {}), name.has_value(), shadowed });
}

Result<void> ModuleParser::pop_label()
{
    Label label = m_labels.pop_back();
    if (label.has_name)
        TRY(m_label_names.set(0, label.name, label.shadowed));
    return {};
}

void ModuleParser::clear_labels()
{
    m_labels.clear();
    m_label_names.clear();
}

Result<u32> ModuleParser::parse_index(Space space)
{
    Token token = TRY(next());
    if (token.kind == TokenKind::Id) {
        std::string_view name = TRY(id_name(token));
        auto index = m_names[static_cast<usize>(space)].find(0, name);
        if (!index) {
            switch (space) {
            case Space::Type: return Error::malformed("unknown type", token.offset);
            case Space::Func: return Error::malformed("unknown function", token.offset);
            case Space::Table: return Error::malformed("unknown table", token.offset);
            case Space::Memory: return Error::malformed("unknown memory", token.offset);
            case Space::Global: return Error::malformed("unknown global", token.offset);
            case Space::Tag: return Error::malformed("unknown tag", token.offset);
            case Space::Elem: return Error::malformed("unknown elem segment", token.offset);
            default: return Error::malformed("unknown data segment", token.offset);
            }
        }
        return *index;
    }
    if (token.kind == TokenKind::Number) {
        auto value = parse_nat(m_lexer.text(token), 0xFFFFFFFFu);
        if (!value)
            return value.error().with_offset(token.offset);
        return static_cast<u32>(*value);
    }
    return unexpected(token);
}

Result<std::optional<u32>> ModuleParser::maybe_index(Space space)
{
    Token token = TRY(peek());
    if (!is_index_token(token))
        return std::optional<u32> {};
    return std::optional<u32>(TRY(parse_index(space)));
}

Result<u32> ModuleParser::parse_label()
{
    Token token = TRY(next());
    if (token.kind == TokenKind::Id) {
        std::string_view name = TRY(id_name(token));
        u32 index = m_label_names.find(0, name).value_or(kNoLabel);
        if (index == kNoLabel || index >= m_labels.size())
            return Error::malformed("unknown label", token.offset);
        return static_cast<u32>(m_labels.size() - 1 - index);
    }
    if (token.kind == TokenKind::Number) {
        auto value = parse_nat(m_lexer.text(token), 0xFFFFFFFFu);
        if (!value)
            return value.error().with_offset(token.offset);
        return static_cast<u32>(*value);
    }
    return unexpected(token);
}

Result<u32> ModuleParser::parse_local()
{
    Token token = TRY(next());
    if (token.kind == TokenKind::Id) {
        std::string_view name = TRY(id_name(token));
        auto index = m_locals.find(0, name);
        if (!index)
            return Error::malformed("unknown local", token.offset);
        return *index;
    }
    if (token.kind == TokenKind::Number) {
        auto value = parse_nat(m_lexer.text(token), 0xFFFFFFFFu);
        if (!value)
            return value.error().with_offset(token.offset);
        return static_cast<u32>(*value);
    }
    return unexpected(token);
}

Result<void> ModuleParser::parse_expr(Vector<u8>& out)
{
    TRY(parse_instrs(out));
    return put(out, 0x0B);
}

Result<void> ModuleParser::parse_blocktype(Vector<u8>& out)
{
    TypeUse use;
    if (TRY(peek_field("type"))) {
        TRY(next());
        TRY(next());
        use.index = TRY(parse_index(Space::Type));
        TRY(expect_rparen());
    }
    Token at = TRY(peek());
    TRY(parse_params_results(use, false, true));
    if (!use.index && use.param_count == 0 && use.result_count <= 1) {
        if (use.result_count == 0)
            return put(out, 0x40);
        return encode_valtype(out, m_valtypes[use.inline_begin]);
    }
    u32 index = TRY(resolve_typeuse(use, at.offset));
    return write_leb_s64(out, static_cast<i64>(index));
}

Result<void> ModuleParser::end_label_check(std::string_view label, bool has_label)
{
    Token token = TRY(peek());
    if (token.kind != TokenKind::Id)
        return {};
    TRY(next());
    std::string_view name = TRY(id_name(token));
    if (!has_label || name != label)
        return Error::malformed("mismatching label", token.offset);
    return {};
}

Result<void> ModuleParser::parse_catch_clauses(Vector<u8>& out)
{
    Vector<u8> clauses;
    u32 count = 0;
    for (;;) {
        u8 kind;
        if (TRY(peek_field("catch")))
            kind = 0;
        else if (TRY(peek_field("catch_ref")))
            kind = 1;
        else if (TRY(peek_field("catch_all")))
            kind = 2;
        else if (TRY(peek_field("catch_all_ref")))
            kind = 3;
        else
            break;
        TRY(next());
        TRY(next());
        TRY(put(clauses, kind));
        if (kind < 2)
            TRY(write_leb_u32(clauses, TRY(parse_index(Space::Tag))));
        // The label counts from outside the try_table: its own label is not pushed yet.
        TRY(write_leb_u32(clauses, TRY(parse_label())));
        TRY(expect_rparen());
        ++count;
    }
    TRY(write_leb_u32(out, count));
    return out.try_extend(clauses.span());
}

Result<void> ModuleParser::parse_memarg(Vector<u8>& out, OpcodeInfo const& info, u32 memory)
{
    u64 offset = 0;
    u32 align_log2 = info.align_log2;
    Token token = TRY(peek());
    if (token.kind == TokenKind::Keyword && m_lexer.text(token).starts_with("offset=")) {
        TRY(next());
        auto value = parse_nat(m_lexer.text(token).substr(7), ~u64 { 0 });
        if (!value)
            return value.error().with_offset(token.offset);
        offset = *value;
        token = TRY(peek());
    }
    if (token.kind == TokenKind::Keyword && m_lexer.text(token).starts_with("align=")) {
        TRY(next());
        auto value = parse_nat(m_lexer.text(token).substr(6), ~u64 { 0 });
        if (!value)
            return value.error().with_offset(token.offset);
        if (*value == 0 || (*value & (*value - 1)) != 0)
            return Error::malformed("alignment", token.offset);
        align_log2 = static_cast<u32>(std::countr_zero(*value));
    }
    TRY(put(out, static_cast<u8>(align_log2 | (memory != 0 ? 0x40 : 0))));
    if (memory != 0)
        TRY(write_leb_u32(out, memory));
    return write_leb_u64(out, offset);
}

Result<void> ModuleParser::parse_const_lanes(Vector<u8>& out)
{
    Token shape = TRY(next());
    std::string_view s = shape.kind == TokenKind::Keyword ? m_lexer.text(shape) : std::string_view {};
    u32 lanes;
    u32 bits;
    bool is_float = false;
    if (s == "i8x16") {
        lanes = 16;
        bits = 8;
    } else if (s == "i16x8") {
        lanes = 8;
        bits = 16;
    } else if (s == "i32x4") {
        lanes = 4;
        bits = 32;
    } else if (s == "i64x2") {
        lanes = 2;
        bits = 64;
    } else if (s == "f32x4") {
        lanes = 4;
        bits = 32;
        is_float = true;
    } else if (s == "f64x2") {
        lanes = 2;
        bits = 64;
        is_float = true;
    } else {
        return Error::malformed("unexpected token", shape.offset);
    }
    {
        // Count first: a wrong count is reported before a bad literal. A keyword that
        // cannot be a float literal (`inf`, `nan`, `nan:0x...`) ends the lanes: in the
        // flat form it is the next instruction.
        auto is_lane = [&](Token const& token) {
            if (token.kind == TokenKind::Number || token.kind == TokenKind::Reserved)
                return true;
            if (token.kind != TokenKind::Keyword)
                return false;
            std::string_view text = m_lexer.text(token);
            return text.starts_with("inf") || text.starts_with("nan");
        };
        u32 saved = m_lexer.position();
        u32 count = 0;
        while (is_lane(TRY(next())))
            ++count;
        m_lexer.seek(saved);
        if (count != lanes)
            return Error::malformed("wrong number of lane literals", shape.offset);
    }
    for (u32 i = 0; i < lanes; ++i) {
        Token token = TRY(next());
        std::string_view text = m_lexer.text(token);
        u64 bits_value;
        if (is_float && bits == 32) {
            auto value = parse_f32(text);
            if (!value)
                return value.error().with_offset(token.offset);
            bits_value = *value;
        } else {
            auto value = is_float ? parse_f64(text) : parse_int(text, bits);
            if (!value)
                return value.error().with_offset(token.offset);
            bits_value = *value;
        }
        TRY(put_le(out, bits_value, bits / 8));
    }
    return {};
}

Result<void> ModuleParser::parse_immediates(Vector<u8>& out, Opcode opcode, Token const& keyword)
{
    OpcodeInfo const* info = &opcode_info(opcode);
    switch (info->imm) {
    case ImmKind::None:
        if (opcode == Opcode::Select && TRY(peek_field("result"))) {
            TRY(put(out, 0x1C));
            Vector<ValType> types;
            while (TRY(peek_field("result"))) {
                TRY(next());
                TRY(next());
                while (TRY(peek()).kind != TokenKind::RParen)
                    TRY(types.try_append(TRY(parse_valtype())));
                TRY(next());
            }
            TRY(write_leb_u32(out, static_cast<u32>(types.size())));
            for (ValType const& t : types)
                TRY(encode_valtype(out, t));
            return {};
        }
        return emit_opcode(out, *info);
    case ImmKind::BlockType:
    case ImmKind::TryTable:
    case ImmKind::SelectTypes:
        return Error::malformed("unexpected token", keyword.offset);
    default:
        break;
    }

    // Immediates that pick the opcode row come first.
    if (info->imm == ImmKind::RefTypeHeap) {
        ValType type = TRY(parse_reftype());
        if (type.nullable) {
            opcode = static_cast<Opcode>(static_cast<u16>(opcode) + 1);
            info = &opcode_info(opcode);
        }
        TRY(emit_opcode(out, *info));
        return encode_heaptype(out, type);
    }
    TRY(emit_opcode(out, *info));
    switch (info->imm) {
    case ImmKind::Label:
    case ImmKind::BrTable:
    case ImmKind::Func:
    case ImmKind::CallIndirect:
    case ImmKind::Tag:
        return parse_control_immediates(out, info->imm);
    case ImmKind::Local:
        return write_leb_u32(out, TRY(parse_local()));
    case ImmKind::Global:
        return write_leb_u32(out, TRY(parse_index(Space::Global)));
    case ImmKind::Table:
    case ImmKind::TableCopy:
    case ImmKind::TableInit:
    case ImmKind::Elem:
    case ImmKind::Data:
    case ImmKind::MemoryInit:
    case ImmKind::Memory:
    case ImmKind::MemoryCopy:
        return parse_table_memory_immediates(out, info->imm);
    case ImmKind::MemArg:
    case ImmKind::MemArgLane:
        return parse_memory_access_immediates(out, *info);
    case ImmKind::Lane:
    case ImmKind::Shuffle:
    case ImmKind::V128:
        return parse_simd_immediates(out, info->imm);
    case ImmKind::I32:
    case ImmKind::I64:
    case ImmKind::F32:
    case ImmKind::F64:
        return parse_number_immediates(out, info->imm);
    case ImmKind::HeapType:
    case ImmKind::Type:
    case ImmKind::TypeField:
    case ImmKind::TypeType:
    case ImmKind::TypeData:
    case ImmKind::TypeElem:
    case ImmKind::TypeSize:
    case ImmKind::BrOnCast:
        return parse_type_immediates(out, info->imm);
    case ImmKind::AtomicFence:
        return put(out, 0x00);
    default:
        return Error::malformed("unknown operator", keyword.offset);
    }
}

// Branch labels, the callee of a call, the tag of a throw.
Result<void> ModuleParser::parse_control_immediates(Vector<u8>& out, ImmKind imm)
{
    switch (imm) {
    case ImmKind::Label:
        return write_leb_u32(out, TRY(parse_label()));
    case ImmKind::BrTable: {
        Vector<u32> labels;
        while (is_index_token(TRY(peek())))
            TRY(labels.try_append(TRY(parse_label())));
        if (labels.is_empty())
            return unexpected(TRY(peek()));
        TRY(write_leb_u32(out, static_cast<u32>(labels.size() - 1)));
        for (u32 l : labels)
            TRY(write_leb_u32(out, l));
        return {};
    }
    case ImmKind::Func:
        return write_leb_u32(out, TRY(parse_index(Space::Func)));
    case ImmKind::CallIndirect: {
        u32 table = TRY(maybe_index(Space::Table)).value_or(0);
        Token at = TRY(peek());
        TypeUse use = TRY(parse_typeuse(false));
        u32 type = TRY(resolve_typeuse(use, at.offset));
        TRY(write_leb_u32(out, type));
        return write_leb_u32(out, table);
    }
    case ImmKind::Tag:
        return write_leb_u32(out, TRY(parse_index(Space::Tag)));
    default:
        break;
    }
    WK_UNREACHABLE(); // parse_immediates passes only the kinds above
}

// Table, memory and segment indices.
Result<void> ModuleParser::parse_table_memory_immediates(Vector<u8>& out, ImmKind imm)
{
    switch (imm) {
    case ImmKind::Table:
        return write_leb_u32(out, TRY(maybe_index(Space::Table)).value_or(0));
    case ImmKind::TableCopy: {
        auto dst = TRY(maybe_index(Space::Table));
        u32 src = dst ? TRY(parse_index(Space::Table)) : 0;
        TRY(write_leb_u32(out, dst.value_or(0)));
        return write_leb_u32(out, src);
    }
    case ImmKind::TableInit: {
        // `table.init table? elem`: with two indices the first names the table.
        u32 saved = m_lexer.position();
        TRY(next());
        Token second = TRY(peek());
        m_lexer.seek(saved);
        u32 table = 0;
        if (is_index_token(second))
            table = TRY(parse_index(Space::Table));
        u32 elem = TRY(parse_index(Space::Elem));
        TRY(write_leb_u32(out, elem));
        return write_leb_u32(out, table);
    }
    case ImmKind::Elem:
        return write_leb_u32(out, TRY(parse_index(Space::Elem)));
    case ImmKind::Data:
        m_uses_data_count = true;
        return write_leb_u32(out, TRY(parse_index(Space::Data)));
    case ImmKind::MemoryInit: {
        m_uses_data_count = true;
        u32 saved = m_lexer.position();
        TRY(next());
        Token second = TRY(peek());
        m_lexer.seek(saved);
        u32 memory = 0;
        if (is_index_token(second))
            memory = TRY(parse_index(Space::Memory));
        u32 data = TRY(parse_index(Space::Data));
        TRY(write_leb_u32(out, data));
        return write_leb_u32(out, memory);
    }
    case ImmKind::Memory:
        return write_leb_u32(out, TRY(maybe_index(Space::Memory)).value_or(0));
    case ImmKind::MemoryCopy: {
        auto dst = TRY(maybe_index(Space::Memory));
        u32 src = dst ? TRY(parse_index(Space::Memory)) : 0;
        TRY(write_leb_u32(out, dst.value_or(0)));
        return write_leb_u32(out, src);
    }
    default:
        break;
    }
    WK_UNREACHABLE(); // parse_immediates passes only the kinds above
}

// A load or store's memory index and memarg, and the lane of a lane load or store.
Result<void> ModuleParser::parse_memory_access_immediates(Vector<u8>& out, OpcodeInfo const& info)
{
    u32 memory = 0;
    Token token = TRY(peek());
    bool has_memory = token.kind == TokenKind::Id;
    if (token.kind == TokenKind::Number) {
        if (info.imm == ImmKind::MemArg) {
            has_memory = true;
        } else {
            Token second = TRY(m_lexer.peek_second());
            std::string_view t = m_lexer.text(second);
            has_memory = second.kind == TokenKind::Number
                || (second.kind == TokenKind::Keyword && (t.starts_with("offset=") || t.starts_with("align=")));
        }
    }
    if (has_memory)
        memory = TRY(parse_index(Space::Memory));
    TRY(parse_memarg(out, info, memory));
    if (info.imm == ImmKind::MemArgLane) {
        Token lane = TRY(next());
        auto value = parse_nat(m_lexer.text(lane), 0xFF);
        if (lane.kind != TokenKind::Number || !value)
            return Error::malformed("malformed lane index", lane.offset);
        TRY(put(out, static_cast<u8>(*value)));
    }
    return {};
}

// A lane index, a shuffle's 16 lanes, a v128 constant.
Result<void> ModuleParser::parse_simd_immediates(Vector<u8>& out, ImmKind imm)
{
    switch (imm) {
    case ImmKind::Lane: {
        Token lane = TRY(next());
        std::string_view text = m_lexer.text(lane);
        if (lane.kind != TokenKind::Number || text[0] == '-' || text[0] == '+')
            return Error::malformed("unexpected token", lane.offset);
        auto value = parse_nat(text, 0xFF);
        if (!value) {
            bool syntax = value.error().message()[0] == 'u';
            return Error::malformed(syntax ? "unexpected token" : "i8 constant out of range", lane.offset);
        }
        return put(out, static_cast<u8>(*value));
    }
    case ImmKind::Shuffle:
        for (u32 i = 0; i < 16; ++i) {
            Token lane = TRY(next());
            if (lane.kind == TokenKind::RParen || lane.kind == TokenKind::LParen)
                return Error::malformed("invalid lane length", lane.offset);
            if (lane.kind != TokenKind::Number && lane.kind != TokenKind::Keyword)
                return unexpected(lane);
            auto value = parse_nat(m_lexer.text(lane), 0xFF);
            if (!value)
                return Error::malformed("i8 constant out of range", lane.offset);
            TRY(put(out, static_cast<u8>(*value)));
        }
        if (TRY(peek()).kind == TokenKind::Number)
            return Error::malformed("invalid lane length", TRY(peek()).offset);
        return {};
    case ImmKind::V128:
        return parse_const_lanes(out);
    default:
        break;
    }
    WK_UNREACHABLE(); // parse_immediates passes only the kinds above
}

// The constant of i32.const, i64.const, f32.const and f64.const.
Result<void> ModuleParser::parse_number_immediates(Vector<u8>& out, ImmKind imm)
{
    switch (imm) {
    case ImmKind::I32:
    case ImmKind::I64: {
        Token token = TRY(next());
        if (token.kind != TokenKind::Number)
            return unexpected(token);
        bool is32 = imm == ImmKind::I32;
        auto value = parse_int(m_lexer.text(token), is32 ? 32 : 64);
        if (!value) {
            if (value.error().message()[0] == 'c')
                return Error::malformed(is32 ? "i32 constant out of range" : "i64 constant out of range", token.offset);
            return value.error().with_offset(token.offset);
        }
        if (is32)
            return write_leb_s32(out, static_cast<i32>(static_cast<u32>(*value)));
        return write_leb_s64(out, static_cast<i64>(*value));
    }
    case ImmKind::F32:
    case ImmKind::F64: {
        Token token = TRY(next());
        if (token.kind != TokenKind::Number && token.kind != TokenKind::Keyword)
            return unexpected(token);
        // Result patterns of scripts, not literals.
        if (m_lexer.text(token) == "nan:canonical" || m_lexer.text(token) == "nan:arithmetic")
            return Error::malformed("unexpected token", token.offset);
        if (imm == ImmKind::F32) {
            auto value = parse_f32(m_lexer.text(token));
            if (!value)
                return value.error().with_offset(token.offset);
            return put_le(out, *value, 4);
        }
        auto value = parse_f64(m_lexer.text(token));
        if (!value)
            return value.error().with_offset(token.offset);
        return put_le(out, *value, 8);
    }
    default:
        break;
    }
    WK_UNREACHABLE(); // parse_immediates passes only the kinds above
}

// Heap types, type and field indices, and the casts of br_on_cast (GC).
Result<void> ModuleParser::parse_type_immediates(Vector<u8>& out, ImmKind imm)
{
    switch (imm) {
    case ImmKind::HeapType: {
        ValType type;
        TRY(parse_heaptype(type));
        return encode_heaptype(out, type);
    }
    case ImmKind::Type:
        return write_leb_u32(out, TRY(parse_index(Space::Type)));
    case ImmKind::TypeField: {
        u32 type = TRY(parse_index(Space::Type));
        TRY(write_leb_u32(out, type));
        Token field = TRY(next());
        if (field.kind == TokenKind::Id) {
            std::string_view name = TRY(id_name(field));
            auto index = m_field_names.find(type, name);
            if (!index)
                return Error::malformed("unknown field", field.offset);
            return write_leb_u32(out, *index);
        }
        if (field.kind != TokenKind::Number)
            return unexpected(field);
        auto value = parse_nat(m_lexer.text(field), 0xFFFFFFFFu);
        if (!value)
            return value.error().with_offset(field.offset);
        return write_leb_u32(out, static_cast<u32>(*value));
    }
    case ImmKind::TypeType: {
        TRY(write_leb_u32(out, TRY(parse_index(Space::Type))));
        return write_leb_u32(out, TRY(parse_index(Space::Type)));
    }
    case ImmKind::TypeData:
        m_uses_data_count = true;
        TRY(write_leb_u32(out, TRY(parse_index(Space::Type))));
        return write_leb_u32(out, TRY(parse_index(Space::Data)));
    case ImmKind::TypeElem:
        TRY(write_leb_u32(out, TRY(parse_index(Space::Type))));
        return write_leb_u32(out, TRY(parse_index(Space::Elem)));
    case ImmKind::TypeSize:
        TRY(write_leb_u32(out, TRY(parse_index(Space::Type))));
        return write_leb_u32(out, TRY(parse_u32()));
    case ImmKind::BrOnCast: {
        u32 label = TRY(parse_label());
        ValType from = TRY(parse_reftype());
        ValType to = TRY(parse_reftype());
        TRY(put(out, static_cast<u8>((from.nullable ? 1 : 0) | (to.nullable ? 2 : 0))));
        TRY(write_leb_u32(out, label));
        TRY(encode_heaptype(out, from));
        return encode_heaptype(out, to);
    }
    default:
        break;
    }
    WK_UNREACHABLE(); // parse_immediates passes only the kinds above
}

} // namespace wk::engine::text
