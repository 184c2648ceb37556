#include "base/leb128.h"
#include "engine/text/module_parser.h"

namespace wk::engine::text {

namespace {

// Bounds the frame stack (heap memory); the native stack does not grow with nesting.
constexpr usize kMaxNesting = 100000;

bool is_block_keyword(std::string_view k)
{
    return k == "block" || k == "loop" || k == "if" || k == "try" || k == "try_table";
}

bool ends_block(std::string_view k)
{
    return k == "end" || k == "else" || k == "catch" || k == "catch_all" || k == "delegate";
}

// Keywords of the grammar that are not instructions: where an instruction is
// expected they are out of place rather than unknown.
bool is_syntax_keyword(std::string_view k)
{
    static constexpr std::string_view kKeywords[] = { "param", "result", "type", "local", "export", "import",
        "then", "do", "item", "offset", "mut", "ref", "func", "table", "memory", "global", "elem", "data",
        "start", "tag", "module", "rec", "sub", "field", "struct", "array" };
    for (std::string_view keyword : kKeywords) {
        if (k == keyword)
            return true;
    }
    return false;
}

} // namespace

Result<void> ModuleParser::parse_instrs(Vector<u8>& out)
{
    return run_instrs(out, false);
}

Result<void> ModuleParser::parse_folded(Vector<u8>& out)
{
    return run_instrs(out, true);
}

Result<void> ModuleParser::start_flat(Vector<u8>& out, Token const& keyword, std::optional<BranchHint> hint)
{
    if (m_frames.size() >= kMaxNesting)
        return Error::malformed("nesting too deep", keyword.offset);
    std::string_view k = m_lexer.text(keyword);
    auto label = TRY(maybe_id());
    Frame frame { Frame::FlatBlock };
    frame.opcode = k == "block" ? 0x02 : k == "loop" ? 0x03 : k == "if" ? 0x04 : k == "try" ? 0x06 : 0x1F;
    frame.has_label = label.has_value();
    frame.label = label.value_or(std::string_view {});
    if (frame.opcode == 0x04)
        TRY(apply_branch_hint(hint, out.size()));
    else
        reject_hint_target(hint);
    TRY(put(out, frame.opcode));
    TRY(parse_blocktype(out));
    if (frame.opcode == 0x1F)
        TRY(parse_catch_clauses(out));
    TRY(push_label(label));
    return m_frames.try_append(frame);
}

// `else`, `catch`, `catch_all`, `delegate` or `end` inside a flat block.
Result<void> ModuleParser::continue_flat(Vector<u8>& out, Token const& keyword)
{
    Frame& frame = m_frames.last();
    std::string_view k = m_lexer.text(keyword);
    if (k == "else" && frame.opcode == 0x04 && !frame.seen_else) {
        TRY(next());
        TRY(end_label_check(frame.label, frame.has_label));
        frame.seen_else = true;
        return put(out, 0x05);
    }
    if (k == "catch" && frame.opcode == 0x06 && !frame.catch_all) {
        TRY(next());
        frame.any_catch = true;
        TRY(put(out, 0x07));
        return write_leb_u32(out, TRY(parse_index(Space::Tag)));
    }
    if (k == "catch_all" && frame.opcode == 0x06 && !frame.catch_all) {
        TRY(next());
        frame.any_catch = true;
        frame.catch_all = true;
        return put(out, 0x19);
    }
    if (k == "delegate" && frame.opcode == 0x06 && !frame.any_catch) {
        TRY(next());
        // The delegate label counts from outside the try.
        TRY(pop_label());
        m_frames.pop_back();
        TRY(put(out, 0x18));
        return write_leb_u32(out, TRY(parse_label()));
    }
    if (k == "end") {
        TRY(next());
        TRY(end_label_check(frame.label, frame.has_label));
        TRY(pop_label());
        m_frames.pop_back();
        return put(out, 0x0B);
    }
    return unexpected(keyword);
}

// At `(`: opens the frame of one folded instruction.
Result<void> ModuleParser::start_folded(Vector<u8>& out)
{
    Token open = TRY(peek());
    auto hint = TRY(take_branch_hint(open.offset));
    TRY(next());
    if (open.kind != TokenKind::LParen)
        return unexpected(open);
    if (m_frames.size() >= kMaxNesting)
        return Error::malformed("nesting too deep", open.offset);
    Token keyword = TRY(next());
    if (keyword.kind != TokenKind::Keyword) {
        if (keyword.kind == TokenKind::RParen || keyword.kind == TokenKind::Eof)
            return unexpected(keyword);
        return Error::malformed("unknown operator", keyword.offset);
    }
    std::string_view k = m_lexer.text(keyword);
    if (ends_block(k) || is_syntax_keyword(k))
        return Error::malformed("unexpected token", keyword.offset);
    if (k == "block" || k == "loop" || k == "try_table") {
        reject_hint_target(hint);
        auto label = TRY(maybe_id());
        TRY(put(out, k == "block" ? 0x02 : k == "loop" ? 0x03 : 0x1F));
        TRY(parse_blocktype(out));
        if (k == "try_table")
            TRY(parse_catch_clauses(out));
        TRY(push_label(label));
        return m_frames.try_append(Frame { Frame::FoldedBlock });
    }
    if (k == "if") {
        auto label = TRY(maybe_id());
        TRY(m_pending_blocktype_begins.try_append(m_pending_blocktypes.size()));
        TRY(parse_blocktype(m_pending_blocktypes));
        Frame frame { Frame::FoldedIfConditions };
        frame.has_label = label.has_value();
        frame.label = label.value_or(std::string_view {});
        frame.hint = hint;
        return m_frames.try_append(frame);
    }
    if (k == "try") {
        reject_hint_target(hint);
        auto label = TRY(maybe_id());
        TRY(put(out, 0x06));
        TRY(parse_blocktype(out));
        TRY(push_label(label));
        TRY(expect_lparen());
        TRY(expect_keyword("do"));
        return m_frames.try_append(Frame { Frame::FoldedTryDo });
    }
    auto opcode = opcode_from_name(k);
    if (!opcode)
        return Error::malformed("unknown operator", keyword.offset);
    // The operands come first in the binary: the instruction waits in
    // m_pending_ops until its `)`.
    Frame frame { Frame::FoldedPlain };
    frame.mark = m_pending_ops.size();
    TRY(parse_immediates(m_pending_ops, *opcode, keyword));
    frame.is_br_if = *opcode == Opcode::BrIf;
    if (frame.is_br_if)
        frame.hint = hint;
    else
        reject_hint_target(hint);
    return m_frames.try_append(frame);
}

// At the `)` that ends the innermost folded form's current part.
Result<void> ModuleParser::close_frame(Vector<u8>& out)
{
    Frame& frame = m_frames.last();
    switch (frame.kind) {
    case Frame::FoldedBlock:
        TRY(expect_rparen());
        TRY(put(out, 0x0B));
        TRY(pop_label());
        m_frames.pop_back();
        return {};
    case Frame::FoldedIfThen:
        TRY(expect_rparen());
        if (TRY(peek_field("else"))) {
            TRY(next());
            TRY(next());
            TRY(put(out, 0x05));
            frame.kind = Frame::FoldedIfElse;
            return {};
        }
        [[fallthrough]];
    case Frame::FoldedIfElse:
        if (frame.kind == Frame::FoldedIfElse)
            TRY(expect_rparen());
        TRY(expect_rparen());
        TRY(put(out, 0x0B));
        TRY(pop_label());
        m_frames.pop_back();
        return {};
    case Frame::FoldedTryDo:
    case Frame::FoldedTryCatch:
        TRY(expect_rparen());
        frame.kind = Frame::FoldedTryHandlers;
        return {};
    case Frame::FoldedPlain: {
        TRY(expect_rparen());
        if (frame.is_br_if)
            TRY(apply_branch_hint(frame.hint, out.size()));
        TRY(out.try_extend(Span<u8 const>(m_pending_ops.data() + frame.mark, m_pending_ops.size() - frame.mark)));
        TRY(m_pending_ops.try_resize(frame.mark));
        m_frames.pop_back();
        return {};
    }
    default:
        return unexpected(TRY(peek()));
    }
}

Result<void> ModuleParser::run_instrs(Vector<u8>& out, bool single_folded)
{
    usize base = m_frames.size();
    if (single_folded)
        TRY(start_folded(out));
    for (;;) {
        if (single_folded && m_frames.size() == base)
            return {};
        Token token = TRY(peek());
        Frame* top = m_frames.size() > base ? &m_frames.last() : nullptr;

        if (top && top->kind == Frame::FoldedIfConditions) {
            if (token.kind == TokenKind::LParen && !TRY(peek_field("then"))) {
                TRY(start_folded(out));
                continue;
            }
            TRY(apply_branch_hint(top->hint, out.size()));
            TRY(put(out, 0x04));
            usize begin = m_pending_blocktype_begins.last();
            m_pending_blocktype_begins.pop_back();
            TRY(out.try_extend(Span<u8 const>(m_pending_blocktypes.data() + begin, m_pending_blocktypes.size() - begin)));
            TRY(m_pending_blocktypes.try_resize(begin));
            TRY(push_label(top->has_label ? std::optional<std::string_view>(top->label) : std::nullopt));
            TRY(expect_lparen());
            TRY(expect_keyword("then"));
            top->kind = Frame::FoldedIfThen;
            continue;
        }
        if (top && top->kind == Frame::FoldedTryHandlers) {
            if (!top->catch_all && TRY(peek_field("catch"))) {
                TRY(next());
                TRY(next());
                top->any_catch = true;
                TRY(put(out, 0x07));
                TRY(write_leb_u32(out, TRY(parse_index(Space::Tag))));
                top->kind = Frame::FoldedTryCatch;
                continue;
            }
            if (!top->catch_all && TRY(peek_field("catch_all"))) {
                TRY(next());
                TRY(next());
                top->any_catch = true;
                top->catch_all = true;
                TRY(put(out, 0x19));
                top->kind = Frame::FoldedTryCatch;
                continue;
            }
            if (!top->any_catch && TRY(peek_field("delegate"))) {
                TRY(next());
                TRY(next());
                TRY(pop_label());
                TRY(put(out, 0x18));
                TRY(write_leb_u32(out, TRY(parse_label())));
                TRY(expect_rparen());
                TRY(expect_rparen());
                m_frames.pop_back();
                continue;
            }
            TRY(expect_rparen());
            TRY(put(out, 0x0B));
            TRY(pop_label());
            m_frames.pop_back();
            continue;
        }
        if (top && top->kind == Frame::FoldedPlain) {
            if (token.kind == TokenKind::LParen) {
                TRY(start_folded(out));
                continue;
            }
            TRY(close_frame(out));
            continue;
        }

        // An instruction sequence: the body of a block or function, or a constant expression.
        if (token.kind == TokenKind::RParen || token.kind == TokenKind::Eof) {
            if (!top)
                return {};
            if (top->kind == Frame::FlatBlock || token.kind == TokenKind::Eof)
                return unexpected(token);
            TRY(close_frame(out));
            continue;
        }
        if (token.kind == TokenKind::LParen) {
            TRY(start_folded(out));
            continue;
        }
        if (token.kind == TokenKind::Keyword) {
            std::string_view k = m_lexer.text(token);
            if (ends_block(k)) {
                if (top && top->kind == Frame::FlatBlock) {
                    TRY(continue_flat(out, token));
                    continue;
                }
                return unexpected(token);
            }
            auto hint = TRY(take_branch_hint(token.offset));
            TRY(next());
            if (is_block_keyword(k)) {
                TRY(start_flat(out, token, hint));
                continue;
            }
            auto opcode = opcode_from_name(k);
            if (!opcode)
                return Error::malformed("unknown operator", token.offset);
            if (*opcode == Opcode::BrIf)
                TRY(apply_branch_hint(hint, out.size()));
            else
                reject_hint_target(hint);
            TRY(parse_immediates(out, *opcode, token));
            continue;
        }
        TRY(next());
        if (token.kind == TokenKind::Id || token.kind == TokenKind::String)
            return Error::malformed("unexpected token", token.offset);
        return Error::malformed("unknown operator", token.offset);
    }
}

} // namespace wk::engine::text
