// Structured control flow, branches, select/drop/unreachable/nop.
//
// Merge convention: every label is reached with the whole operand stack in its home
// slots, so branches spill, move the carried values to the target's slots, and jump.

#include <algorithm>

#include "engine/binary/code_walker.h"
#include "engine/x64/abi/jump_table.h"
#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

void BaselineCompiler::note_condition(Condition condition, u32 setcc_offset, u8 reg)
{
    m_condition.instruction = m_instruction_count;
    m_condition.setcc_offset = setcc_offset;
    m_condition.end_offset = m_asm.offset();
    m_condition.height = m_stack.height();
    m_condition.reg = reg;
    m_condition.condition = condition;
}

// The flags of the compare just before this instruction, if its result is untouched:
// the previous instruction was that compare, nothing was emitted since, and the result
// is still the register on top of the stack. Everything emitted between here and the
// jump (spills, copies: mov, movdqu, xorps) leaves the flags alone.
std::optional<Condition> BaselineCompiler::take_condition()
{
    PendingCondition const& pending = m_condition;
    if (pending.instruction + 1 != m_instruction_count || pending.end_offset != m_asm.offset()
        || m_stack.height() != pending.height)
        return std::nullopt;
    StackEntry const& top = m_stack.peek();
    if (top.location != Location::Register || top.reg != pending.reg || top.kind != ValKind::I32)
        return std::nullopt;
    m_asm.rewind(pending.setcc_offset);
    m_stack.pop();
    release(RegClass::Gpr, pending.reg);
    m_condition.instruction = ~u32 { 0 };
    return pending.condition;
}

void BaselineCompiler::mark_dead()
{
    m_stack.truncate(frame(0).height);
    m_dead = true;
    m_dead_depth = 0;
}

Result<void> BaselineCompiler::visit_dead(const Instruction& instruction)
{
    TRY(m_validator.visit(instruction));
    switch (step_dead_code(instruction.opcode, m_dead_depth)) {
    case DeadCodeExit::Else:
        return emit_else();
    case DeadCodeExit::End:
        return end_block();
    case DeadCodeExit::Catch:
        return begin_catch(instruction);
    case DeadCodeExit::Delegate:
        return end_delegate(instruction.index0);
    case DeadCodeExit::Stay:
        break;
    }
    return {};
}

Result<void> BaselineCompiler::begin_block(FrameKind kind, const BlockType& block)
{
    u32 param_count = static_cast<u32>(block_params(block).size());
    Control control;
    control.kind = kind;
    control.block = block;
    control.param_count = param_count;
    control.result_count = static_cast<u32>(block_results(block).size());
    control.label = TRY(m_labels.allocate());

    u8 condition = 0;
    std::optional<Condition> flags;
    if (kind == FrameKind::If) {
        flags = take_condition();
        if (!flags)
            condition = TRY(pop_reg(RegClass::Gpr));
    }
    control.height = m_stack.height() - param_count;
    control.ref_saves = static_cast<u32>(m_ref_saves.size());
    TRY(spill_all());
    if (kind == FrameKind::Loop) {
        TRY(cache_prepare_loop(m_offset));
        control.entry = state_save(m_cache);
        if (control.entry == kNoState)
            cache_clear(); // no slot for the header's state: it caches nothing
        m_asm.bind(m_labels[control.label]);
        TRY(emit_tier_counter(m_offset)); // a back edge (or the entry) of the loop
    }
    if (kind == FrameKind::If) {
        control.else_label = TRY(m_labels.allocate());
        // The else branch needs the parameters as they were: save them before the
        // then branch can overwrite their slots.
        if (param_count > 0) {
            control.save_area = m_save_used;
            m_save_used += param_count;
            if (m_save_used > m_save_max)
                m_save_max = m_save_used;
            for (u32 i = 0; i < param_count; ++i)
                copy_slot(m_stack.at(control.height + i).kind, save_slot(control.save_area + i), slot(control.height + i));
        }
        if (flags) {
            m_asm.jcc(negate(*flags), m_labels[control.else_label]);
        } else {
            m_asm.test(gpr(condition), gpr(condition), Size::Dword);
            release(RegClass::Gpr, condition);
            m_asm.jcc(Condition::Equal, m_labels[control.else_label]);
        }
        // What the false edge carries (nothing without a slot; forgetting costs no code,
        // and the jcc above was emitted after the cache's last use of the flags).
        control.entry = state_save(m_cache);
        if (control.entry == kNoState)
            cache_clear();
    }
    control.loop_index = kind == FrameKind::Loop ? static_cast<u32>(m_controls.size()) : m_controls.last().loop_index;
    const Control& parent = m_controls.last();
    bool parent_handles = parent.kind == FrameKind::Try || parent.kind == FrameKind::TryTable;
    control.outer_handler = parent_handles ? static_cast<u32>(m_controls.size() - 1) : parent.outer_handler;
    return m_controls.try_append(control);
}

Result<void> BaselineCompiler::emit_else()
{
    Control& control = frame(0);
    if (!m_dead) {
        TRY(spill_all());
        cache_merge(control, m_cache);
        m_asm.jmp(m_labels[control.label]);
        control.label_used = true;
    }
    m_asm.bind(m_labels[control.else_label]);
    control.else_seen = true;
    m_stack.truncate(control.height);
    TRY(cache_set_state(state_of(control.entry)));
    Span<const ValType> params = block_params(control.block);
    for (u32 i = 0; i < params.size(); ++i) {
        copy_slot(params[i].kind, slot(control.height + i), save_slot(control.save_area + i));
        TRY(m_stack.push_stack(params[i].kind));
    }
    m_dead = false;
    m_dead_depth = 0;
    return {};
}

Result<void> BaselineCompiler::end_block()
{
    bool live = !m_dead;
    if (live)
        TRY(spill_all());
    if (live && m_controls.last().kind != FrameKind::Loop)
        cache_merge(m_controls.last(), m_cache);
    Control control = m_controls.last();
    if (control.kind == FrameKind::TryTable) {
        TRY(end_try_table(control, live));
        live = false;
    } else if (control.kind == FrameKind::Try || control.kind == FrameKind::Catch
               || control.kind == FrameKind::CatchAll) {
        TRY(end_legacy_try(control, live));
    }
    bool reachable = live;
    if (control.kind == FrameKind::If && !control.else_seen) {
        // The implicit else passes the parameters through as results.
        u32 param_count = control.param_count;
        if (param_count > 0) {
            if (live)
                m_asm.jmp(m_labels[control.label]);
            m_asm.bind(m_labels[control.else_label]);
            for (u32 i = 0; i < param_count; ++i)
                copy_slot(block_params(control.block)[i].kind, slot(control.height + i), save_slot(control.save_area + i));
        } else {
            m_asm.bind(m_labels[control.else_label]);
        }
        cache_merge(control, state_of(control.entry));
        reachable = true;
    }
    if (control.kind != FrameKind::Loop) {
        m_asm.bind(m_labels[control.label]);
        reachable = reachable || control.label_used;
    }
    if (control.kind == FrameKind::If && control.param_count > 0)
        m_save_used -= control.param_count;
    end_ref_saves(control);

    m_stack.truncate(control.height);
    // A loop's end continues its body's state; other labels get the merge of their edges.
    if (control.kind != FrameKind::Loop) {
        if (reachable && control.merge_reached) {
            TRY(cache_set_state(state_of(control.merge)));
        } else {
            cache_clear();
        }
    }
    state_release(control.entry);
    state_release(control.merge);
    Span<const ValType> results = block_results(control.block);
    if (control.kind == FrameKind::Function)
        results = m_module.func_results(control.block.index);
    for (ValType type : results)
        TRY(m_stack.push_stack(type.kind));
    m_dead = !reachable;
    m_dead_depth = 0;
    if (control.kind == FrameKind::Function) {
        if (reachable)
            TRY(emit_return());
        m_controls.clear();
        return {};
    }
    MUST(m_controls.try_resize(m_controls.size() - 1));
    return {};
}

Result<void> BaselineCompiler::move_branch_values(const Control& target, u32 count)
{
    u32 height = m_stack.height();
    for (u32 k = 0; k < count; ++k) {
        u32 source = height - count + k;
        u32 destination = target.height + k;
        if (source != destination)
            copy_slot(m_stack.at(source).kind, slot(destination), slot(source));
    }
    return {};
}

// Expects the stack spilled.
Result<void> BaselineCompiler::branch_to(u32 depth)
{
    TRY(check_code_budget());
    Control& target = frame(depth);
    if (target.kind == FrameKind::Function)
        return emit_return();
    u32 count = target.kind == FrameKind::Loop ? target.param_count : target.result_count;
    TRY(move_branch_values(target, count));
    TRY(cache_edge(target));
    m_asm.jmp(m_labels[target.label]);
    if (target.kind != FrameKind::Loop)
        target.label_used = true;
    return {};
}

Result<void> BaselineCompiler::emit_return()
{
    u32 count = m_self_layout.result_count();
    if (count == 1) {
        ValKind kind = m_self_layout.result_kinds[0];
        u8 reg = compile::reg_class(kind) == RegClass::Gpr ? number(Gpr::rax) : number(Xmm::xmm0);
        load_entry(m_stack.peek(), m_stack.height() - 1, reg);
    } else if (count > 1) {
        TRY(spill_all());
        m_asm.mov(kScratch, Mem(Gpr::rbp, kResultsPointer), Size::Qword);
        u32 base = m_stack.height() - count;
        for (u32 k = 0; k < count; ++k) {
            ValKind kind = m_self_layout.result_kinds[k];
            Mem destination(kScratch, static_cast<i32>(k * CallLayout::kResultStride));
            if (compile::reg_class(kind) == RegClass::Gpr) {
                m_asm.mov(Gpr::rax, slot(base + k), Size::Qword);
                if (kind == ValKind::I32)
                    m_asm.mov(Gpr::rax, Gpr::rax, Size::Dword);
                m_asm.mov(destination, Gpr::rax, Size::Qword);
            } else {
                load_kind(kind, number(kScratchXmm), slot(base + k));
                store_kind(kind, destination, number(kScratchXmm));
            }
        }
    }
    m_asm.mov(kVmctx, Mem(Gpr::rbp, kSavedR14), Size::Qword);
    m_asm.mov(kMemoryBase, Mem(Gpr::rbp, kSavedR15), Size::Qword);
    m_asm.mov(Gpr::rsp, Gpr::rbp, Size::Qword);
    m_asm.pop(Gpr::rbp);
    m_asm.ret();
    return {};
}

// br_table entries [first, end) (index known to lie there): jumps to targets[index] by
// binary search, a chain of compares once a few entries are left.
Result<void> BaselineCompiler::emit_compare_tree(Gpr index, Span<const u32> targets, u32 first, u32 end)
{
    if (first == end)
        return {}; // no entries: the bounds check always took the default
    if (end - first <= 4) {
        for (u32 i = first; i + 1 < end; ++i) {
            m_asm.cmp(index, static_cast<i32>(i), Size::Dword);
            m_asm.jcc(Condition::Equal, m_labels[targets[i]]);
        }
        m_asm.jmp(m_labels[targets[end - 1]]);
        return {};
    }
    u32 middle = first + (end - first) / 2;
    u32 upper = TRY(m_labels.allocate());
    m_asm.cmp(index, static_cast<i32>(middle), Size::Dword);
    m_asm.jcc(Condition::AboveOrEqual, m_labels[upper]);
    TRY(emit_compare_tree(index, targets, first, middle));
    m_asm.bind(m_labels[upper]);
    return emit_compare_tree(index, targets, middle, end);
}

Result<void> BaselineCompiler::emit_br_if(const Instruction& instruction)
{
    std::optional<Condition> flags = take_condition();
    u8 condition = flags ? 0 : TRY(pop_reg(RegClass::Gpr));
    TRY(spill_all());
    if (!flags) {
        m_asm.test(gpr(condition), gpr(condition), Size::Dword);
        release(RegClass::Gpr, condition);
    }
    Condition taken = flags ? *flags : Condition::NotEqual;
    Control& target = frame(instruction.index0);
    u32 count = target.kind == FrameKind::Loop ? target.param_count : target.result_count;
    bool needs_moves = target.kind == FrameKind::Function || (count > 0 && m_stack.height() - count != target.height);
    if (needs_moves) {
        // The taken path's moves into a loop's cache state are its own.
        CacheState fallthrough = m_cache;
        Label skip;
        m_asm.jcc(negate(taken), skip);
        TRY(branch_to(instruction.index0));
        m_asm.bind(skip);
        TRY(cache_set_state(fallthrough));
    } else {
        // Moves into a loop's cache state leave the flags alone and hold on both paths.
        TRY(cache_edge(target));
        m_asm.jcc(taken, m_labels[target.label]);
        if (target.kind != FrameKind::Loop)
            target.label_used = true;
    }
    return {};
}

Result<void> BaselineCompiler::emit_br_table(const Instruction& instruction)
{
    u8 index = TRY(pop_reg(RegClass::Gpr));
    TRY(spill_all());
    u32 entry_count = instruction.list_count + 1;
    Vector<u32> entries; // label depth per entry, default last
    TRY(entries.try_reserve(entry_count));
    Reader labels(m_module.bytes, instruction.list_offset, m_module.bytes.size());
    for (u32 i = 0; i < instruction.list_count; ++i)
        TRY(entries.try_append(TRY(labels.read_u32())));
    TRY(entries.try_append(instruction.index0));

    // Entries that can jump straight to their label, and one stub per distinct
    // target that needs values moved (sorted depths, so the work stays
    // O(entries log entries) however deep the control stack is).
    auto is_direct = [&](u32 depth) {
        Control& target = frame(depth);
        u32 count = target.kind == FrameKind::Loop ? target.param_count : target.result_count;
        return target.kind != FrameKind::Function && (count == 0 || m_stack.height() - count == target.height)
            && (target.kind != FrameKind::Loop || cache_satisfies(state_of(target.entry)));
    };
    Vector<u32> stub_depths;
    for (u32 depth : entries) {
        if (!is_direct(depth))
            TRY(stub_depths.try_append(depth));
    }
    std::sort(stub_depths.begin(), stub_depths.end());
    u32 unique = static_cast<u32>(std::unique(stub_depths.begin(), stub_depths.end()) - stub_depths.begin());
    MUST(stub_depths.try_resize(unique));
    Vector<u32> stub_labels;
    TRY(stub_labels.try_reserve(unique));
    for (u32 i = 0; i < unique; ++i)
        TRY(stub_labels.try_append(TRY(m_labels.allocate())));
    CacheState dispatch = m_cache; // each stub starts from it
    Vector<u32> targets; // label id per entry
    TRY(targets.try_reserve(entry_count));
    for (u32 depth : entries) {
        Control& target = frame(depth);
        if (is_direct(depth)) {
            TRY(targets.try_append(target.label));
            if (target.kind != FrameKind::Loop)
                target.label_used = true;
            if (target.kind != FrameKind::Loop)
                cache_merge(target, m_cache);
        } else {
            u32 k = static_cast<u32>(std::lower_bound(stub_depths.begin(), stub_depths.end(), depth) - stub_depths.begin());
            TRY(targets.try_append(stub_labels[k]));
        }
    }
    if (instruction.list_count <= abi::kMaxCompareTreeCases) {
        // Up to a few dozen entries: a binary search of compares and conditional
        // branches, which need no retpoline (abi/jump_table.h).
        m_asm.cmp(gpr(index), static_cast<i32>(instruction.list_count), Size::Dword);
        m_asm.jcc(Condition::AboveOrEqual, m_labels[targets[entry_count - 1]]);
        TRY(emit_compare_tree(gpr(index), targets.span(), 0, instruction.list_count));
    } else {
        note_below_frame(kRetpolineJumpBytes);
        abi::emit_jump_table(m_asm, gpr(index), instruction.list_count, m_labels, targets.span(),
                             m_symbols.retpoline());
    }
    release(RegClass::Gpr, index);
    for (u32 i = 0; i < unique; ++i) {
        TRY(cache_set_state(dispatch));
        m_asm.bind(m_labels[stub_labels[i]]);
        TRY(branch_to(stub_depths[i]));
    }
    mark_dead();
    return {};
}

Result<void> BaselineCompiler::emit_control(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::Nop:
        return {};
    case Opcode::Unreachable:
        TRY(record_trap_here(TrapKind::Unreachable));
        m_asm.ud2();
        mark_dead();
        return {};
    case Opcode::Block:
        return begin_block(FrameKind::Block, instruction.block);
    case Opcode::Loop:
        return begin_block(FrameKind::Loop, instruction.block);
    case Opcode::If:
        return begin_block(FrameKind::If, instruction.block);
    case Opcode::Else:
        return emit_else();
    case Opcode::End:
        return end_block();
    case Opcode::Br:
        TRY(spill_all());
        TRY(branch_to(instruction.index0));
        mark_dead();
        return {};
    case Opcode::Return:
        TRY(emit_return());
        mark_dead();
        return {};
    case Opcode::BrIf:
        return emit_br_if(instruction);
    case Opcode::BrTable:
        return emit_br_table(instruction);
    case Opcode::Drop: {
        StackEntry entry = m_stack.pop();
        if (entry.location == Location::Register)
            release(compile::reg_class(entry.kind), entry.reg);
        return {};
    }
    case Opcode::Select:
    case Opcode::SelectT: {
        u8 condition = TRY(pop_reg(RegClass::Gpr));
        ValKind kind = m_stack.peek().kind;
        RegClass cls = compile::reg_class(kind);
        u8 if_false = TRY(pop_reg(cls));
        u8 if_true = TRY(pop_reg(cls));
        m_asm.test(gpr(condition), gpr(condition), Size::Dword);
        if (cls == RegClass::Gpr) {
            m_asm.cmov(Condition::Equal, gpr(if_true), gpr(if_false), Size::Qword);
        } else {
            Label keep;
            m_asm.jcc(Condition::NotEqual, keep);
            m_asm.movaps(xmm(if_true), xmm(if_false));
            m_asm.bind(keep);
        }
        release(RegClass::Gpr, condition);
        release(cls, if_false);
        return push_reg(kind, if_true);
    }
    default:
        return unsupported("control instruction not implemented");
    }
}

} // namespace wk::engine::x64::baseline
