// The optimising tier's switch (br_table): a binary search over runs of equal targets,
// or the jump table both tiers share (engine/x64/abi/jump_table.h) when there are more
// runs than a compare tree takes (docs/optimizing-compiler.md, "Lowering").

#include "engine/x64/abi/jump_table.h"
#include "engine/x64/opt/optimizing_compiler.h"
#include "engine/x64/opt/scratch.h"

namespace wk::engine::x64::opt {

using engine::opt::Op;
using namespace x64::abi;
using x64::baseline::gpr;

// Runs of equal targets among the cases (the default excluded): the compare tree's cases.
bool OptimizingCompiler::uses_jump_table(Inst inst) const
{
    Span<const u32> cases = m_function.lists().span(engine::opt::List { m_function.inst(inst).imm3 });
    u32 runs = 0;
    for (u32 c = 0; c + 1 < cases.size(); ++c) {
        if (c == 0 || cases[c] != cases[c - 1])
            ++runs;
    }
    return runs > kMaxCompareTreeCases;
}

Result<void> OptimizingCompiler::emit_switch(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> cases = m_function.lists().span(engine::opt::List { data.imm3 });
    // Each edge's label: its target's, or a stub with its moves.
    Vector<u32> edge_label;
    TRY(edge_label.try_resize(data.edge_count, 0));
    for (u32 k = 0; k < data.edge_count; ++k) {
        u32 edge = data.first_edge + k;
        if (TRY(edge_moves(edge, m_moves))) {
            u32 stub = TRY(m_labels.allocate());
            TRY(m_edge_stubs.try_append(EdgeStub { stub, edge }));
            edge_label[k] = stub;
        } else {
            edge_label[k] = m_block_labels[jump_target(m_function.edge(edge).to)];
        }
    }
    Gpr index = gpr_in(m_function.args(inst)[0], kScratch);
    // Runs of equal targets as ranges [first, next first); the default covers the rest.
    struct Range {
        u32 first;
        u32 label;
    };
    Vector<Range> ranges;
    u32 table = static_cast<u32>(cases.size()) - 1;
    for (u32 c = 0; c < table; ++c) {
        u32 label = edge_label[cases[c]];
        if (ranges.is_empty() || ranges.last().label != label)
            TRY(ranges.try_append(Range { c, label }));
    }
    u32 default_label = edge_label[cases[table]];
    bool jump_table = uses_jump_table(inst);
    // The default as the last range, [table, 2^32): the search's unsigned compares send
    // every index past the cases there, with no compare of its own.
    if (!jump_table && (ranges.is_empty() || ranges.last().label != default_label))
        TRY(ranges.try_append(Range { table, default_label }));
    if (jump_table) {
        // The index may stay live in a successor: the table clobbers a copy.
        Vector<u32> targets;
        TRY(targets.try_resize(cases.size(), 0));
        for (u32 c = 0; c < cases.size(); ++c)
            targets[c] = edge_label[cases[c]];
        m_asm.mov(kScratch2, index, Size::Dword);
        note_below_frame(kRetpolineJumpBytes);
        emit_jump_table(m_asm, kScratch2, table, m_labels, targets.span(), m_symbols.retpoline());
        return {};
    }
    // Binary search over the ranges, with an explicit stack (hostile tables are long).
    struct Span2 {
        u32 begin;
        u32 end;
        u32 label; // a label to bind first (0 = none)
        bool bind;
    };
    Vector<Span2> work;
    if (!ranges.is_empty())
        TRY(work.try_append(Span2 { 0, static_cast<u32>(ranges.size()), 0, false }));
    else
        m_asm.jmp(m_labels[default_label]);
    while (!work.is_empty()) {
        Span2 item = work.pop_back();
        if (item.bind)
            m_asm.bind(m_labels[item.label]);
        if (item.end - item.begin == 1) {
            m_asm.jmp(m_labels[ranges[item.begin].label]);
            continue;
        }
        u32 middle = (item.begin + item.end) / 2;
        m_asm.cmp(index, static_cast<i32>(ranges[middle].first), Size::Dword);
        if (item.end - middle == 1) {
            // An upper half of one range: branch straight to its target.
            m_asm.jcc(Condition::AboveOrEqual, m_labels[ranges[middle].label]);
        } else {
            u32 upper = TRY(m_labels.allocate());
            m_asm.jcc(Condition::AboveOrEqual, m_labels[upper]);
            TRY(work.try_append(Span2 { middle, item.end, upper, true }));
        }
        TRY(work.try_append(Span2 { item.begin, middle, 0, false }));
    }
    return {};
}

} // namespace wk::engine::x64::opt
