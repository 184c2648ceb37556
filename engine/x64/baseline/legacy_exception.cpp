// The legacy exception proposal: try, catch, catch_all, delegate and rethrow, on the
// handler table try_table uses (exception.cpp; engine/compile/exceptions.h walks it).
//
// A try spills the operand stack on entry like any block, so its protected body runs
// with everything below the block in home slots. At the first catch (or catch_all) the
// body's code range [try_start, here) goes into the handler table with a landing pad
// right there: the pad saves the exception (rax) in a save slot that stays reserved up
// to the try's end, for `rethrow`. Each `catch` clause then tests the tag and, on a
// mismatch, jumps to the next clause's test (the chain is emitted clause by clause as
// the body streams in); a matching clause copies the tag's values to the home slots
// above the block's height and runs its body. When no clause matches (no catch_all),
// the end rethrows the exception from outside the try's range, so the handlers around
// the try see it. Exceptions inside catch bodies are outside the range too.
//
// `try ... delegate l` gives its body's range the landing pad of the handler that
// encloses a point directly inside block l: the innermost try (still before its
// catches) or try_table at or outside l, kNoLanding (the frame is passed by) when there
// is none. Pads of blocks that have not ended yet are resolved when the function is
// done (m_pending_landings). A try without catches, or one that ends in a delegate,
// that some delegate aims at gets a pad of its own which only rethrows: at the end for
// the first (outside its range: the handlers around it take over), inside its range for
// the second (so its own delegate forwards it).

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

Result<void> BaselineCompiler::emit_legacy_exception(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::Try: {
        TRY(begin_block(FrameKind::Try, instruction.block));
        Control& control = m_controls.last();
        control.try_start = m_asm.offset();
        control.pad = TRY(m_labels.allocate());
        return {};
    }
    case Opcode::Catch:
    case Opcode::CatchAll:
        return begin_catch(instruction);
    case Opcode::Delegate:
        return end_delegate(instruction.index0);
    case Opcode::Rethrow: {
        // The validator checked that the label is a catch or catch_all clause.
        Control& clause = frame(instruction.index0);
        cache_clear();
        TRY(spill_all());
        TRY(rethrow_from(save_slot(clause.exception_slot)));
        mark_dead();
        return {};
    }
    default: return unsupported("exception instruction not implemented");
    }
}

Result<void> BaselineCompiler::begin_catch(const Instruction& instruction)
{
    Control& control = m_controls.last();
    if (!m_dead) {
        TRY(spill_all());
        cache_merge(control, m_cache);
        m_asm.jmp(m_labels[control.label]);
        control.label_used = true;
    }
    if (control.kind == FrameKind::Try) {
        // The protected body ends here; the pad follows. Frame reset, rax = exception.
        if (m_asm.offset() > control.try_start) {
            TRY(append_handler(control.try_start, kLandingAtEnd));
        }
        m_asm.bind(m_labels[control.pad]);
        control.exception_slot = m_save_used++;
        if (m_save_used > m_save_max)
            m_save_max = m_save_used;
        m_asm.mov(save_slot(control.exception_slot), Gpr::rax, Size::Qword);
        TRY(add_ref_save(control.exception_slot)); // until the try's end, for rethrow
    } else {
        // The previous clause's tag test failed (a catch_all is always the last clause).
        m_asm.bind(m_labels[control.next_clause]);
        control.next_clause = Control::kNoPad;
    }
    // Every clause starts with nothing cached: the throw clobbered the registers.
    m_stack.truncate(control.height);
    cache_clear();
    if (instruction.opcode == Opcode::Catch) {
        u32 tag = instruction.index0;
        Span<const ValType> params = m_module.func_params(m_module.tags[tag].type_index);
        control.next_clause = TRY(m_labels.allocate());
        m_asm.mov(Gpr::rax, save_slot(control.exception_slot), Size::Qword);
        m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.tag(tag))), Size::Qword);
        m_asm.cmp(kScratch, Mem(Gpr::rax, static_cast<i32>(offsetof(runtime::VMException, tag))), Size::Qword);
        m_asm.jcc(Condition::NotEqual, m_labels[control.next_clause]);
        for (u32 k = 0; k < params.size(); ++k) {
            copy_slot(ValKind::V128, slot(control.height + k),
                      Mem(Gpr::rax, static_cast<i32>(sizeof(runtime::VMException) + 16 * k)));
            TRY(m_stack.push_stack(params[k].kind));
        }
        control.kind = FrameKind::Catch;
    } else {
        control.kind = FrameKind::CatchAll;
    }
    m_dead = false;
    m_dead_depth = 0;
    return {};
}

// `delegate depth` closes the try on top of m_controls (depth counts from outside it).
Result<void> BaselineCompiler::end_delegate(u32 depth)
{
    Control& control = m_controls.last();
    if (control.pad_used) {
        // A delegate inside aims at this try: its pad rethrows inside the range below.
        if (!m_dead) {
            TRY(spill_all());
            cache_merge(control, m_cache);
            m_asm.jmp(m_labels[control.label]);
            control.label_used = true;
        }
        m_asm.bind(m_labels[control.pad]);
        cache_clear();
        TRY(rethrow_from(Gpr::rax));
        control.pad_used = false;
        m_dead = true; // the body's live end (if any) is the jump above
        m_dead_depth = 0;
    }
    if (m_asm.offset() > control.try_start) {
        Control& target = frame(depth + 1);
        bool handles = target.kind == FrameKind::Try || target.kind == FrameKind::TryTable;
        u32 handler = handles ? static_cast<u32>(m_controls.size() - 2 - depth) : target.outer_handler;
        u32 pad = Control::kNoPad;
        if (handler != Control::kNoPad) {
            m_controls[handler].pad_used = true;
            pad = m_controls[handler].pad;
        }
        TRY(append_handler(m_controls.last().try_start, compile::kNoLanding));
        if (pad != Control::kNoPad)
            TRY(m_pending_landings.try_append(PendingLanding { static_cast<u32>(m_handlers.size() - 1), pad }));
    }
    return end_block();
}

// From end_block, for a try that ends with `end`; `live` says whether its last body or
// clause reaches the end, and is cleared when that edge became a jump to the end label.
Result<void> BaselineCompiler::end_legacy_try(Control& control, bool& live)
{
    bool stub = control.kind == FrameKind::Catch || (control.kind == FrameKind::Try && control.pad_used);
    if (stub) {
        if (live) {
            m_asm.jmp(m_labels[control.label]);
            control.label_used = true;
            live = false;
        }
        cache_clear();
        if (control.kind == FrameKind::Catch) {
            // No clause matched: on to the handlers around the try.
            m_asm.bind(m_labels[control.next_clause]);
            TRY(rethrow_from(save_slot(control.exception_slot)));
        } else {
            // A try without catches that a delegate aims at: the same, from its pad.
            m_asm.bind(m_labels[control.pad]);
            TRY(rethrow_from(Gpr::rax));
        }
    }
    if (control.kind != FrameKind::Try)
        --m_save_used; // the exception's slot
    return {};
}

Result<void> BaselineCompiler::resolve_delegates()
{
    for (const PendingLanding& pending : m_pending_landings) {
        Label& pad = m_labels[pending.pad];
        if (!pad.is_bound())
            return Error::from("baseline compiler: a delegate's target has no landing pad", ErrorKind::Generic, m_offset);
        m_handlers[pending.handler].landing = m_code_base + pad.position();
    }
    m_pending_landings.clear();
    return {};
}

} // namespace wk::engine::x64::baseline
