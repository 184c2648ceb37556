// Exception handling: throw, throw_ref and try_table (engine/compile/exceptions.h has
// the runtime half). The legacy proposal's try/catch/delegate/rethrow are in
// legacy_exception.cpp, on the same handler table.
//
// A try_table spills the operand stack on entry (begin_block does), so while its body
// runs everything below the block sits in home slots, which the body cannot change.
// Its code range goes into the handler table; the landing pad, placed right after the
// body (inside any enclosing try_table's range, outside its own), receives the
// exception in rax with the frame reset, and tries the catch clauses in order: a
// matching clause puts the tag's values (and for *_ref the exnref) in the home slots
// above the block's height and branches to its label like `br`; when none matches the
// exception is thrown on from the pad.

#include <algorithm>

#include "engine/compile/exceptions.h"
#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

// Calls the Throw builtin (arguments already in rsi, rdx, rcx, r8). It returns only
// when nothing caught the exception; the trap it names is raised here. A throw of a new
// exception allocates it in the GC heap, a safe point (docs/gc.md): its map names the
// references of the frame below `map_height` (its operands are the builtin's to root).
Result<void> BaselineCompiler::call_throw(u32 map_height)
{
    m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
    TRY(call_code_helper(CodeHelper::Throw));
    if (map_height != kNoMap)
        TRY(record_stack_map(map_height));
    m_asm.cmp(Gpr::rax, static_cast<i32>(TrapKind::UncaughtException), Size::Dword);
    m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::UncaughtException)));
    m_asm.jmp(*TRY(trap_label(TrapKind::GcHeapExhausted)));
    return {};
}

// Throws the exception in `exception` (non-null) on from here.
Result<void> BaselineCompiler::rethrow_from(Mem const& exception)
{
    m_asm.mov(Gpr::rsi, exception, Size::Qword);
    m_asm.mov(Gpr::r8, 1, Size::Dword);
    return call_throw();
}

Result<void> BaselineCompiler::rethrow_from(Gpr exception)
{
    m_asm.mov(Gpr::rsi, exception, Size::Qword);
    m_asm.mov(Gpr::r8, 1, Size::Dword);
    return call_throw();
}

// The range [start, here) (function code offsets) lands at `landing` (a module code
// offset, kNoLanding, or kLandingAtEnd: the pad follows the range). NOTE: the table is
// sorted by start, the outer of two ranges with one start first, so ranges must nest
// strictly: a range equal to one closed just before it (an inner block that ended
// exactly here, its code dead after) gets a nop more, which makes it the outer one.
Result<void> BaselineCompiler::append_handler(u32 start, u32 landing)
{
    for (u32 i = static_cast<u32>(m_handlers.size()); i > m_function_handlers; --i) {
        const compile::HandlerEntry& entry = m_handlers[i - 1];
        if (entry.end != m_code_base + m_asm.offset())
            break;
        if (entry.start == m_code_base + start) {
            m_asm.nop();
            break;
        }
    }
    u32 end = m_code_base + m_asm.offset();
    return m_handlers.try_append(compile::HandlerEntry { m_code_base + start, end, landing == kLandingAtEnd ? end : landing,
                                                         0 });
}

// Code offsets [start, here) get a kNoLanding range when a try or try_table encloses
// them, so that exceptions from calls there pass this frame by.
Result<void> BaselineCompiler::exclude_from_handlers(u32 start)
{
    for (const Control& control : m_controls) {
        if (control.kind == FrameKind::TryTable || control.kind == FrameKind::Try)
            return append_handler(start, compile::kNoLanding);
    }
    return {};
}

Result<void> BaselineCompiler::emit_exception(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::TryTable: {
        TRY(begin_block(FrameKind::TryTable, instruction.block));
        Control& control = m_controls.last();
        control.try_start = m_asm.offset();
        control.catch_offset = instruction.list_offset;
        control.catch_count = instruction.list_count;
        control.pad = TRY(m_labels.allocate());
        return {};
    }
    case Opcode::Throw: {
        cache_clear(); // the arguments go straight into registers
        u32 tag = instruction.index0;
        u32 count = static_cast<u32>(m_module.func_params(m_module.tags[tag].type_index).size());
        TRY(spill_all());
        u32 first = m_stack.height() - count;
        m_asm.mov(Gpr::rsi, Mem(kVmctx, static_cast<i32>(m_offsets.tag(tag))), Size::Qword);
        if (count > 0)
            m_asm.lea(Gpr::rdx, slot(first), Size::Qword);
        else
            m_asm.xor_(Gpr::rdx, Gpr::rdx, Size::Dword);
        m_asm.mov(Gpr::rcx, static_cast<i64>(count), Size::Dword);
        m_asm.xor_(Gpr::r8, Gpr::r8, Size::Dword);
        // The validator has made the rest of the block unreachable and dropped its values:
        // they are dead (a handler in this frame resets the stack below the block), and
        // the map covers the values below the block, whose types it still has.
        u32 typed = static_cast<u32>(m_validator.value_stack().size());
        TRY(call_throw(std::min(first, typed)));
        m_stack.truncate(first);
        mark_dead();
        return {};
    }
    case Opcode::ThrowRef: {
        cache_clear();
        u8 exception = TRY(pop_reg(RegClass::Gpr));
        TRY(spill_all());
        m_asm.mov(Gpr::rsi, gpr(exception), Size::Qword);
        release(RegClass::Gpr, exception);
        m_asm.test(Gpr::rsi, Gpr::rsi, Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullExceptionReference)));
        m_asm.mov(Gpr::r8, 1, Size::Dword);
        TRY(call_throw());
        mark_dead();
        return {};
    }
    case Opcode::Try:
    case Opcode::Catch:
    case Opcode::CatchAll:
    case Opcode::Delegate:
    case Opcode::Rethrow:
        return emit_legacy_exception(instruction);
    default: return unsupported("exception instruction not implemented");
    }
}

Result<void> BaselineCompiler::end_try_table(Control& control, bool live)
{
    if (live) {
        m_asm.jmp(m_labels[control.label]);
        control.label_used = true;
    }
    if (m_asm.offset() > control.try_start) {
        TRY(append_handler(control.try_start, kLandingAtEnd));
    } else {
        return {}; // an empty body cannot throw (and no delegate is inside to aim at it)
    }
    m_asm.bind(m_labels[control.pad]);

    // The pad: rax holds the exception; everything below the block is in home slots,
    // and every local in its slot (nothing is cached: the throw clobbered the registers).
    m_stack.truncate(control.height);
    cache_clear();
    u32 saved = m_save_used++;
    if (m_save_used > m_save_max)
        m_save_max = m_save_used;
    m_asm.mov(save_slot(saved), Gpr::rax, Size::Qword);
    Reader clauses(m_module.bytes, control.catch_offset, m_module.bytes.size());
    bool caught_all = false;
    for (u32 i = 0; i < control.catch_count && !caught_all; ++i) {
        CatchClause clause = TRY(read_catch_clause(clauses));
        Label next;
        u32 count = 0;
        if (clause.kind == CatchKind::Catch || clause.kind == CatchKind::CatchRef) {
            Span<const ValType> params = m_module.func_params(m_module.tags[clause.tag].type_index);
            count = static_cast<u32>(params.size());
            m_asm.mov(Gpr::rax, save_slot(saved), Size::Qword);
            m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.tag(clause.tag))), Size::Qword);
            m_asm.cmp(kScratch, Mem(Gpr::rax, static_cast<i32>(offsetof(runtime::VMException, tag))), Size::Qword);
            m_asm.jcc(Condition::NotEqual, next);
            for (u32 k = 0; k < count; ++k) {
                u32 index = control.height + k;
                copy_slot(ValKind::V128, slot(index),
                          Mem(Gpr::rax, static_cast<i32>(sizeof(runtime::VMException) + 16 * k)));
                TRY(m_stack.push_stack(params[k].kind));
            }
        } else {
            caught_all = true;
        }
        if (clause.kind == CatchKind::CatchRef || clause.kind == CatchKind::CatchAllRef) {
            m_asm.mov(kScratch, save_slot(saved), Size::Qword);
            m_asm.mov(slot(control.height + count), kScratch, Size::Qword);
            TRY(m_stack.push_stack(ValKind::Ref));
        }
        // The clause's label counts from outside the try_table, still on m_controls.
        TRY(branch_to(clause.label + 1));
        m_stack.truncate(control.height);
        cache_clear(); // the branch may have moved into a loop's state; the next clause starts afresh
        m_asm.bind(next);
    }
    if (!caught_all) {
        m_asm.mov(Gpr::rsi, save_slot(saved), Size::Qword);
        m_asm.mov(Gpr::r8, 1, Size::Dword);
        TRY(call_throw());
    }
    --m_save_used;
    return {};
}

} // namespace wk::engine::x64::baseline
