// call, call_indirect, call_ref and their return_call forms (real tail calls).
//
// A call spills the whole operand stack, so arguments are loaded from home slots and
// constants straight into their ABI places, and nothing but r14/r15 (callee-saved)
// survives it in registers.

#include <cstddef>

#include "engine/x64/baseline/baseline_compiler.h"
#include "engine/x64/abi/trampolines.h"

namespace wk::engine::x64::baseline {

namespace {

constexpr u32 align16(u32 value) { return (value + 15) & ~15u; }

} // namespace

// Loads the arguments (stack entries [base, base + params)) into their places. For a
// normal call, stack arguments go to [rsp + offset] (the caller reserved the area and
// the results area above it); for a tail call, over the incoming argument area.
Result<void> BaselineCompiler::setup_arguments(const CallLayout& layout, u32 base, bool tail)
{
    for (u32 i = 0; i < layout.param_count(); ++i) {
        const ArgSlot& arg = layout.params[i];
        ValKind kind = layout.param_kinds[i];
        Mem source = slot(base + i);
        if (arg.on_stack) {
            Mem destination = tail ? Mem(Gpr::rbp, static_cast<i32>(16 + arg.stack_offset))
                                   : Mem(Gpr::rsp, static_cast<i32>(arg.stack_offset));
            copy_slot(kind, destination, source);
        } else {
            load_kind(kind, arg.reg, source);
        }
    }
    if (layout.results_in_memory) {
        const ArgSlot& arg = layout.results_pointer;
        if (tail)
            m_asm.mov(kScratch, Mem(Gpr::rbp, kResultsPointer), Size::Qword);
        else
            m_asm.lea(kScratch, Mem(Gpr::rsp, static_cast<i32>(layout.stack_bytes)), Size::Qword);
        if (arg.on_stack) {
            Mem destination = tail ? Mem(Gpr::rbp, static_cast<i32>(16 + arg.stack_offset))
                                   : Mem(Gpr::rsp, static_cast<i32>(arg.stack_offset));
            m_asm.mov(destination, kScratch, Size::Qword);
        } else {
            m_asm.mov(gpr(arg.reg), kScratch, Size::Qword);
        }
    }
    return {};
}

// NOTE: callers pop their own stack arguments, so a tail callee that needs a bigger
// stack-argument area than this function received cannot take over its frame. Such a
// return_call runs as a call and a return: the same results and traps, but the frame
// stays, so only chains of them that fit the stack complete (V8 has no such limit), and
// the call (code from call_start on) is kept out of the try_tables around it.
Result<void> BaselineCompiler::return_after_call(u32 call_start)
{
    TRY(exclude_from_handlers(call_start));
    TRY(emit_return());
    mark_dead();
    return {};
}

// After the call instruction: results onto the operand stack, outgoing area released.
Result<void> BaselineCompiler::finish_call(const CallLayout& layout, u32 base, u32 outgoing)
{
    m_stack.truncate(base);
    if (layout.result_count() == 1) {
        ValKind kind = layout.result_kinds[0];
        if (compile::reg_class(kind) == RegClass::Gpr) {
            if (kind == ValKind::I32)
                m_asm.mov(Gpr::rax, Gpr::rax, Size::Dword); // SysV leaves bits 32-63 undefined
            TRY(take_fixed(RegClass::Gpr, number(Gpr::rax)));
            TRY(push_reg(kind, number(Gpr::rax)));
        } else {
            TRY(take_fixed(RegClass::Fpr, number(Xmm::xmm0)));
            TRY(push_reg(kind, number(Xmm::xmm0)));
        }
    } else if (layout.result_count() > 1) {
        for (u32 k = 0; k < layout.result_count(); ++k) {
            ValKind kind = layout.result_kinds[k];
            Mem source(Gpr::rsp, static_cast<i32>(layout.stack_bytes + k * CallLayout::kResultStride));
            if (kind == ValKind::I32) {
                m_asm.mov(kScratch, source, Size::Dword);
                m_asm.mov(slot(base + k), kScratch, Size::Qword);
            } else {
                copy_slot(kind, slot(base + k), source);
            }
            TRY(m_stack.push_stack(kind));
        }
    }
    if (outgoing)
        m_asm.add(Gpr::rsp, static_cast<i32>(outgoing), Size::Qword);
    return {};
}

Result<void> BaselineCompiler::call_function(u32 function_index, bool tail)
{
    u32 type_index = m_module.functions[function_index].type_index;
    CallLayout& layout = m_call_layout;
    TRY(compute_call_layout(m_module.func_params(type_index), m_module.func_results(type_index), layout));
    if (tail && layout.stack_bytes > m_self_layout.stack_bytes) {
        u32 call_start = m_asm.offset();
        TRY(call_function(function_index, false));
        return return_after_call(call_start);
    }
    u32 base = m_stack.height() - layout.param_count();
    TRY(spill_all());
    bool imported = function_index < m_module.imported_function_count;
    u32 outgoing = tail ? 0 : align16(layout.stack_bytes + (layout.results_in_memory ? layout.result_count() * CallLayout::kResultStride : 0));
    // A tail call writes below the frame only through the trampoline (an import); a
    // defined callee reuses this frame's place.
    if (imported)
        note_below_frame(outgoing + abi::array_trampoline_stack_bytes(layout));
    else if (!tail)
        note_below_frame(outgoing + kCalleeEntryBytes);
    if (outgoing)
        m_asm.sub(Gpr::rsp, static_cast<i32>(outgoing), Size::Qword);
    if (imported)
        m_asm.lea(Gpr::rax, Mem(kVmctx, static_cast<i32>(m_offsets.function(function_index))), Size::Qword);
    TRY(setup_arguments(layout, base, tail));
    if (imported) {
        TRY(require_array_trampoline(type_index));
        abi::emit_funcref_transfer(m_asm, m_symbols.array_trampoline(type_index), m_symbols.retpoline(), tail);
    } else {
        abi::emit_direct_transfer(m_asm, m_symbols.function(function_index - m_module.imported_function_count), tail);
    }
    if (tail) {
        mark_dead();
        return {};
    }
    TRY(record_stack_map(base));
    return finish_call(layout, base, outgoing);
}

// Expects the callee's funcref in rax (checked non-null and of a matching type).
Result<void> BaselineCompiler::call_through_funcref(u32 type_index, bool tail)
{
    CallLayout& layout = m_call_layout;
    u32 base = m_stack.height() - layout.param_count();
    u32 outgoing = tail ? 0 : align16(layout.stack_bytes + (layout.results_in_memory ? layout.result_count() * CallLayout::kResultStride : 0));
    // The callee may be a host function reached through the trampoline, whose frame
    // (counted from here, also for a tail call) is bigger than a wasm callee's entry.
    note_below_frame(outgoing + abi::array_trampoline_stack_bytes(layout));
    if (outgoing)
        m_asm.sub(Gpr::rsp, static_cast<i32>(outgoing), Size::Qword);
    TRY(setup_arguments(layout, base, tail));
    TRY(require_array_trampoline(type_index));
    abi::emit_funcref_transfer(m_asm, m_symbols.array_trampoline(type_index), m_symbols.retpoline(), tail);
    if (tail) {
        mark_dead();
        return {};
    }
    TRY(record_stack_map(base));
    return finish_call(layout, base, outgoing);
}

Result<void> BaselineCompiler::call_indirect(u32 type_index, u32 table_index, bool tail)
{
    CallLayout& layout = m_call_layout;
    TRY(compute_call_layout(m_module.func_params(type_index), m_module.func_results(type_index), layout));
    if (tail && layout.stack_bytes > m_self_layout.stack_bytes) {
        u32 call_start = m_asm.offset();
        TRY(call_indirect(type_index, table_index, false));
        return return_after_call(call_start);
    }
    const Table& table = m_module.tables[table_index];
    if (table.element_type.heap != HeapKind::Func && table.element_type.heap != HeapKind::Index)
        return unsupported("call_indirect through a non-function table");

    // The element index must survive spill_all in a register that the check below
    // does not use: rcx.
    TRY(pop_into(RegClass::Gpr, number(Gpr::rcx)));
    TRY(spill_all());
    m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.table(table_index))), Size::Qword);
    m_asm.xor_(Gpr::rdx, Gpr::rdx, Size::Dword);
    m_asm.cmp(Gpr::rcx, Mem(kScratch, 8), Size::Qword);
    m_asm.jcc(Condition::AboveOrEqual, *TRY(trap_label(TrapKind::UndefinedElement)));
    // Spectre v1: a mispredicted bounds branch loads element 0, not one past the table.
    m_asm.cmov(Condition::AboveOrEqual, Gpr::rcx, Gpr::rdx, Size::Qword);
    m_asm.mov(kScratch, Mem(kScratch, 0), Size::Qword);
    m_asm.mov(Gpr::rax, Mem(kScratch, Gpr::rcx, Scale::Eight), Size::Qword);
    release(RegClass::Gpr, number(Gpr::rcx));
    m_asm.test(Gpr::rax, Gpr::rax, Size::Qword);
    m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::UninitializedElement)));
    m_asm.mov(Gpr::rdx, Mem(kVmctx, static_cast<i32>(m_offsets.type_id(type_index))), Size::Dword);
    Label matched;
    m_asm.cmp(Gpr::rdx, Mem(Gpr::rax, 16), Size::Dword);
    m_asm.jcc(Condition::Equal, matched);
    // Different ids: only a declared subtype matches (builtin walks the chain).
    note_below_frame(16);
    m_asm.push(Gpr::rax);
    m_asm.push(Gpr::rax);
    m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
    m_asm.mov(Gpr::rsi, Mem(Gpr::rax, 16), Size::Dword);
    TRY(call_code_helper(CodeHelper::FuncSubtype));
    m_asm.test(Gpr::rax, Gpr::rax, Size::Dword);
    m_asm.pop(Gpr::rax); // pop leaves the flags alone
    m_asm.pop(Gpr::rax);
    m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::IndirectCallTypeMismatch)));
    m_asm.bind(matched);
    return call_through_funcref(type_index, tail);
}

Result<void> BaselineCompiler::call_ref(u32 type_index, bool tail)
{
    CallLayout& layout = m_call_layout;
    TRY(compute_call_layout(m_module.func_params(type_index), m_module.func_results(type_index), layout));
    if (tail && layout.stack_bytes > m_self_layout.stack_bytes) {
        u32 call_start = m_asm.offset();
        TRY(call_ref(type_index, false));
        return return_after_call(call_start);
    }
    TRY(pop_into(RegClass::Gpr, number(Gpr::rax)));
    TRY(spill_all());
    m_asm.test(Gpr::rax, Gpr::rax, Size::Qword);
    m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullFunctionReference)));
    release(RegClass::Gpr, number(Gpr::rax));
    return call_through_funcref(type_index, tail);
}

Result<void> BaselineCompiler::emit_call(const Instruction& instruction)
{
    // The callee (and the argument setup before it) clobbers every register but rbp,
    // rsp, r14 and r15; the locals' slots are current.
    cache_clear();
    switch (instruction.opcode) {
    case Opcode::Call:
        return call_function(instruction.index0, false);
    case Opcode::ReturnCall:
        return call_function(instruction.index0, true);
    case Opcode::CallIndirect:
        return call_indirect(instruction.index0, instruction.index1, false);
    case Opcode::ReturnCallIndirect:
        return call_indirect(instruction.index0, instruction.index1, true);
    case Opcode::CallRef:
        return call_ref(instruction.index0, false);
    case Opcode::ReturnCallRef:
        return call_ref(instruction.index0, true);
    default:
        return unsupported("call instruction not implemented");
    }
}

} // namespace wk::engine::x64::baseline
