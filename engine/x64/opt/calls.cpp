// The optimising tier's calls: direct, imported, through funcrefs (call_indirect,
// call_ref, with direct dispatch to this instance's own functions), tail calls,
// builtins, and the saves and reloads of values live across them
// (docs/optimizing-compiler.md, "Lowering" and "Register allocation").

#include "engine/runtime/waiter.h"
#include "engine/x64/opt/optimizing_compiler.h"

#include <algorithm>
#include <cstddef>

#include "engine/x64/abi/trampolines.h"

namespace wk::engine::x64::opt {

using engine::opt::kNone;
using engine::opt::Op;
using engine::opt::Type;
using namespace x64::abi;
using x64::baseline::gpr;
using x64::baseline::xmm;

Result<void> compute_abi_hints(const Module& module, const engine::opt::Function& function, Vector<u8>& hints)
{
    TRY(hints.try_resize(function.value_count(), Allocator::kNoHint));
    for (u8& hint : hints)
        hint = Allocator::kNoHint;
    // The first fixed register in layout order wins: usually the nearest to the definition.
    auto prefer = [&](Value v, u8 reg) {
        if (hints[v] == Allocator::kNoHint)
            hints[v] = reg;
    };
    auto result_reg = [&](Value v) {
        return class_of(function.value(v).type) == RegClass::Gpr ? number(Gpr::rax) : number(Xmm::xmm0);
    };
    CallLayout layout;
    for (Block b : function.layout()) {
        for (Inst inst : function.insts(b)) {
            const engine::opt::InstData& data = function.inst(inst);
            Span<const u32> args = function.args(inst);
            if (data.op == Op::Return) {
                if (args.size() == 1)
                    prefer(args[0], result_reg(args[0]));
                continue;
            }
            bool tail = data.op == Op::ReturnCall || data.op == Op::ReturnCallIndirect || data.op == Op::ReturnCallRef;
            if (!tail && data.op != Op::Call && data.op != Op::CallIndirect && data.op != Op::CallRef)
                continue;
            bool direct = data.op == Op::Call || data.op == Op::ReturnCall;
            u32 type_index = direct ? module.functions[data.imm2].type_index : data.imm2;
            TRY(compute_call_layout(module.func_params(type_index), module.func_results(type_index), layout));
            u32 param_count = layout.param_count();
            for (u32 k = 0; k < param_count && k < args.size(); ++k) {
                if (!layout.params[k].on_stack)
                    prefer(args[k], layout.params[k].reg);
            }
            // The table index or the funcref goes to rax (emit_call).
            if (!direct && param_count < args.size())
                prefer(args[param_count], number(Gpr::rax));
            if (!tail && layout.result_count() == 1 && data.result_count == 1)
                prefer(function.result(inst), result_reg(function.result(inst)));
        }
    }
    return {};
}

Result<void> OptimizingCompiler::save_live_across(Inst call)
{
    u32 position = m_alloc.position(call);
    const engine::opt::InstData& call_data = m_function.inst(call);
    auto defined_by_call = [&](Value v) {
        for (u32 r = 0; r < call_data.result_count; ++r) {
            if (m_function.result(call, r) == v)
                return true;
        }
        return false;
    };
    m_saved.clear();
    // A register that holds a piece of a split range in this block holds nothing else here:
    // an interval assigned to it that spans the call belongs to a value evicted from the
    // loop (in its eviction slot here) or not live here (regalloc.h, Eviction).
    u32 pieces = 0;
    for (const Split& split : m_alloc.splits(m_alloc.current_block()))
        pieces |= 1u << (class_of(m_function.value(split.value).type) == RegClass::Gpr ? split.reg : 16 + split.reg);
    for (u32 index = 0; index < 32; ++index) {
        RegClass cls = index < 16 ? RegClass::Gpr : RegClass::Xmm;
        u8 reg = static_cast<u8>(index % 16);
        Span<const Interval> list = m_alloc.assigned(cls, reg);
        u32& cursor = m_cursor[index];
        while (cursor < list.size() && list[cursor].end < position + 2)
            ++cursor;
        if (cursor == list.size())
            continue;
        const Interval& interval = list[cursor];
        // NOTE: the call's own results are not live across it, though their intervals may
        // start before it: intervals have no holes, and a result can be live into a block
        // laid out before the call (in an OSR entry, the outer loop's header follows the
        // inner loop it jumps into). Reloading one after the call would overwrite what the
        // call returned.
        if (interval.start >= position || defined_by_call(interval.value) || (pieces >> index) & 1)
            continue;
        bool v128 = m_function.value(interval.value).type == Type::V128;
        u32& slot = m_save_slot[interval.value];
        // NOTE: a value stored where it is defined (which dominates every point where it
        // is live) needs no store here; where it is not live the reload is harmless,
        // since no other value has its register inside its interval.
        bool stored = m_saved_at_definition[interval.value];
        if (slot == kNone)
            slot = m_alloc.new_slot(v128 ? 2 : 1);
        if (!stored) {
            if (cls == RegClass::Gpr)
                m_asm.mov(slot_mem(slot), gpr(reg), Size::Qword);
            else if (v128)
                m_asm.movdqu(v128_slot_mem(slot), xmm(reg));
            else
                m_asm.movsd(slot_mem(slot), xmm(reg));
        }
        TRY(m_saved.try_append(Saved { cls, reg, slot, v128 }));
    }
    // Pieces of split ranges in this block: reloaded from the value's own slot, which
    // always holds it (regalloc.h, Allocator::splits), so nothing is stored.
    for (const Split& split : m_alloc.splits(m_alloc.current_block())) {
        Type type = m_function.value(split.value).type;
        u32 slot = m_alloc.loc_in(split.value, kNone).slot;
        TRY(m_saved.try_append(Saved { class_of(type), split.reg, slot, type == Type::V128 }));
    }
    return {};
}

Result<void> OptimizingCompiler::save_at_definition(Value v)
{
    if (m_alloc.loc(v).kind != LocKind::Reg || !m_alloc.saves_at_definition(v))
        return {};
    bool v128 = m_function.value(v).type == Type::V128;
    u32& slot = m_save_slot[v];
    if (slot == kNone)
        slot = m_alloc.new_slot(v128 ? 2 : 1);
    m_saved_at_definition[v] = true;
    u8 reg = m_alloc.loc(v).reg;
    if (class_of(m_function.value(v).type) == RegClass::Gpr)
        m_asm.mov(slot_mem(slot), gpr(reg), Size::Qword);
    else if (v128)
        m_asm.movdqu(v128_slot_mem(slot), xmm(reg));
    else
        m_asm.movsd(slot_mem(slot), xmm(reg));
    return {};
}

void OptimizingCompiler::restore_live_across()
{
    for (const Saved& saved : m_saved) {
        if (saved.cls == RegClass::Gpr)
            m_asm.mov(gpr(saved.reg), slot_mem(saved.slot), Size::Qword);
        else if (saved.v128)
            m_asm.movdqu(xmm(saved.reg), v128_slot_mem(saved.slot));
        else
            m_asm.movsd(xmm(saved.reg), slot_mem(saved.slot));
    }
}

Result<void> OptimizingCompiler::emit_table_funcref(u32 table_index, u32 type_index)
{
    m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.table(table_index))), Size::Qword);
    m_asm.xor_(Gpr::r10, Gpr::r10, Size::Dword);
    m_asm.cmp(Gpr::rax, Mem(kScratch, 8), Size::Qword);
    m_asm.jcc(Condition::AboveOrEqual, *TRY(trap_label(TrapKind::UndefinedElement)));
    // Spectre v1: a mispredicted bounds branch loads element 0, not one past the table.
    m_asm.cmov(Condition::AboveOrEqual, Gpr::rax, Gpr::r10, Size::Qword);
    m_asm.mov(kScratch, Mem(kScratch, 0), Size::Qword);
    m_asm.mov(Gpr::rax, Mem(kScratch, Gpr::rax, Scale::Eight), Size::Qword);
    m_asm.test(Gpr::rax, Gpr::rax, Size::Qword);
    m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::UninitializedElement)));
    m_asm.mov(Gpr::r10, Mem(kVmctx, static_cast<i32>(m_offsets.type_id(type_index))), Size::Dword);
    m_asm.cmp(Gpr::r10, Mem(Gpr::rax, static_cast<i32>(offsetof(runtime::VMFuncRef, type_id))), Size::Dword);
    u32 entry = TRY(m_labels.allocate());
    u32 back = TRY(m_labels.allocate());
    TRY(m_subtype_stubs.try_append(SubtypeStub { entry, back }));
    m_asm.jcc(Condition::NotEqual, m_labels[entry]);
    m_asm.bind(m_labels[back]);
    return {};
}

void OptimizingCompiler::emit_call_results(Inst call, const CallLayout& layout)
{
    if (layout.result_count() == 1) {
        Value result = m_function.result(call);
        MoveLoc src;
        src.cls = class_of(m_function.value(result).type);
        src.reg = src.cls == RegClass::Gpr ? number(Gpr::rax) : number(Xmm::xmm0);
        if (layout.result_kinds[0] == ValKind::I32)
            m_asm.mov(Gpr::rax, Gpr::rax, Size::Dword); // System V leaves bits 32-63 undefined
        emit_move(value_loc(result), src);
    } else if (layout.result_count() > 1) {
        for (u32 k = 0; k < layout.result_count(); ++k) {
            Value result = m_function.result(call, k);
            MoveLoc src;
            src.kind = MoveLoc::Kind::Memory;
            src.cls = class_of(m_function.value(result).type);
            src.memory = Mem(Gpr::rsp, static_cast<i32>(layout.stack_bytes + k * CallLayout::kResultStride));
            src.dword = layout.result_kinds[k] == ValKind::I32;
            emit_move(value_loc(result), src);
        }
    }
}

Result<void> OptimizingCompiler::emit_call(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> args = m_function.args(inst);
    // A tail call (return_call*) replaces this frame (docs/engine-abi.md): stack
    // arguments go over the incoming argument area, the results pointer is this
    // function's own, and the frame is left before the jump.
    bool tail = data.op == Op::ReturnCall || data.op == Op::ReturnCallIndirect || data.op == Op::ReturnCallRef;
    Op op = data.op == Op::ReturnCall ? Op::Call
        : data.op == Op::ReturnCallIndirect ? Op::CallIndirect
        : data.op == Op::ReturnCallRef ? Op::CallRef : data.op;
    u32 type_index = op == Op::Call ? m_module.functions[data.imm2].type_index : data.imm2;
    CallLayout& layout = m_call_layout;
    TRY(compute_call_layout(m_module.func_params(type_index), m_module.func_results(type_index), layout));
    u32 param_count = layout.param_count();
    bool imported = op == Op::Call && data.imm2 < m_module.imported_function_count;
    bool through_funcref = op != Op::Call || imported;
    if (op == Op::CallIndirect) {
        const Table& table = m_module.tables[data.imm3];
        if (table.element_type.heap != HeapKind::Func && table.element_type.heap != HeapKind::Index)
            return unsupported("call_indirect through a non-function table");
    }
    // NOTE: callers pop their own stack arguments, so a callee needing a bigger area
    // than this function received cannot take over its frame. As in the baseline, such
    // a tail call runs as a call and a return: the same results and traps, but this
    // frame stays until the callee returns. The callee writes results that go through
    // memory straight to this function's own results area.
    bool call_and_return = tail && layout.stack_bytes > m_self_layout.stack_bytes;
    if (call_and_return)
        tail = false;

    u32 outgoing = 0;
    if (tail) {
        // The trampoline of a host callee runs from here (the baseline counts the same).
        if (through_funcref)
            note_below_frame(array_trampoline_stack_bytes(layout));
    } else if (call_and_return) {
        outgoing = align16(layout.stack_bytes);
        note_below_frame(outgoing + (through_funcref ? array_trampoline_stack_bytes(layout) : kCalleeEntryBytes));
    } else {
        TRY(save_live_across(inst));
        outgoing = align16(layout.stack_bytes + (layout.results_in_memory ? layout.result_count() * CallLayout::kResultStride : 0));
        note_below_frame(outgoing + (through_funcref ? array_trampoline_stack_bytes(layout) : kCalleeEntryBytes));
    }
    if (outgoing)
        m_asm.sub(Gpr::rsp, static_cast<i32>(outgoing), Size::Qword);

    // NOTE: for a tail call the incoming argument area is overwritten; no value lives
    // there (the prologue moved the parameters to their allocated places).
    m_moves.clear();
    for (u32 i = 0; i < param_count; ++i) {
        const ArgSlot& slot = layout.params[i];
        MoveLoc dst;
        dst.cls = class_of(m_function.value(args[i]).type);
        if (slot.on_stack) {
            dst.kind = MoveLoc::Kind::Memory;
            dst.memory = tail ? Mem(Gpr::rbp, static_cast<i32>(16 + slot.stack_offset))
                              : Mem(Gpr::rsp, static_cast<i32>(slot.stack_offset));
        } else {
            dst.reg = slot.reg;
        }
        TRY(m_moves.try_append(Move { dst, value_loc(args[i]) }));
    }
    if (op != Op::Call) {
        // The table index or the reference goes to rax, which no argument uses.
        MoveLoc dst;
        dst.reg = number(Gpr::rax);
        TRY(m_moves.try_append(Move { dst, value_loc(args[param_count]) }));
    }
    TRY(emit_parallel_moves(m_moves));
    if (layout.results_in_memory) {
        const ArgSlot& slot = layout.results_pointer;
        if (tail || call_and_return)
            m_asm.mov(kScratch, Mem(Gpr::rbp, kResultsPointer), Size::Qword);
        else
            m_asm.lea(kScratch, Mem(Gpr::rsp, static_cast<i32>(layout.stack_bytes)), Size::Qword);
        if (slot.on_stack && tail)
            m_asm.mov(Mem(Gpr::rbp, static_cast<i32>(16 + slot.stack_offset)), kScratch, Size::Qword);
        else if (slot.on_stack)
            m_asm.mov(Mem(Gpr::rsp, static_cast<i32>(slot.stack_offset)), kScratch, Size::Qword);
        else
            m_asm.mov(gpr(slot.reg), kScratch, Size::Qword);
    }

    if (op == Op::CallIndirect) {
        TRY(emit_table_funcref(data.imm3, type_index));
    } else if (op == Op::CallRef) {
        m_asm.test(Gpr::rax, Gpr::rax, Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullFunctionReference)));
    } else if (imported) {
        m_asm.lea(Gpr::rax, Mem(kVmctx, static_cast<i32>(m_offsets.function(data.imm2))), Size::Qword);
    }
    if (through_funcref) {
        if (!m_needs_array_trampoline[type_index]) {
            m_needs_array_trampoline[type_index] = true;
            TRY(m_new_trampolines.try_append(type_index));
        }
        if (!tail && !imported) {
            TRY(emit_funcref_call(type_index, inst));
        } else {
            // A tail transfer restores r14 and r15 from the frame (compile_function saves r15
            // in functions with tail calls).
            emit_funcref_transfer(m_asm, m_symbols.array_trampoline(type_index), m_symbols.retpoline(), tail);
            if (!tail)
                TRY(record_stack_map(inst));
        }
    } else {
        emit_direct_transfer(m_asm, m_symbols.function(data.imm2 - m_module.imported_function_count), tail);
        if (!tail)
            TRY(record_stack_map(inst));
    }
    if (tail)
        return {};
    if (call_and_return) {
        // The results are where this function returns its own (rax, xmm0 or its
        // results area): leave the frame.
        m_asm.mov(kVmctx, Mem(Gpr::rbp, kSavedR14), Size::Qword);
        if (m_uses_memory0)
            m_asm.mov(kMemoryBase, Mem(Gpr::rbp, kSavedR15), Size::Qword);
        m_asm.mov(Gpr::rsp, Gpr::rbp, Size::Qword);
        m_asm.pop(Gpr::rbp);
        m_asm.ret();
        return {};
    }

    // Results to their places, then the saved registers back.
    emit_call_results(inst, layout);
    if (outgoing)
        m_asm.add(Gpr::rsp, static_cast<i32>(outgoing), Size::Qword);
    restore_live_across();
    return {};
}

// Direct dispatch: a funcref that is the address of this instance's VMFuncRef of a
// defined function i (rax == r14 + functions + 32 * i) has that function's own code
// (or, tiered, its jump slot) as native code and this vmctx as its vmctx, so `call
// function(i)` with rdi = r14 does what the funcref transfer does, without the
// retpoline (whose return always mispredicts) and without the stack-limit copy (the
// callee's vmctx is ours). Only the declared functions of the expected type can pass
// the type check this way, so they are the candidates, found by a compare tree with
// an equality test at each leaf; any other funcref (another instance's, an import's
// copy, a subtype's) takes the funcref transfer. NOTE (speculation): a mispredicted
// compare calls another candidate, a function of this instance with the call's type,
// the same exposure as a mispredicted signature check; no indirect branch is involved.
Result<void> OptimizingCompiler::emit_funcref_call(u32 type_index, Inst call)
{
    u64 type = m_module.canonical[type_index];
    const u64* first = std::lower_bound(m_declared_by_type.begin(), m_declared_by_type.end(), type << 32);
    const u64* last = std::lower_bound(m_declared_by_type.begin(), m_declared_by_type.end(), (type + 1) << 32);
    usize count = static_cast<usize>(last - first);
    if (count == 0 || count > kMaxDirectTargets) {
        emit_funcref_transfer(m_asm, m_symbols.array_trampoline(type_index), m_symbols.retpoline(), false);
        return record_stack_map(call);
    }
    u32 function_offset[kMaxDirectTargets];
    u32 call_label[kMaxDirectTargets];
    for (usize k = 0; k < count; ++k) {
        function_offset[k] = m_offsets.function(static_cast<u32>(first[k]));
        call_label[k] = TRY(m_labels.allocate());
    }
    u32 generic = TRY(m_labels.allocate());
    u32 done = TRY(m_labels.allocate());
    // r11 = the funcref's offset from the vmctx; the offsets ascend with k.
    m_asm.mov(kScratch, Gpr::rax, Size::Qword);
    m_asm.sub(kScratch, kVmctx, Size::Qword);
    struct Range {
        u32 begin;
        u32 end;
        u32 label; // bound first, when not kNone
    };
    Range work[2 * kMaxDirectTargets];
    u32 depth = 0;
    work[depth++] = Range { 0, static_cast<u32>(count), kNone };
    while (depth > 0) {
        Range range = work[--depth];
        if (range.label != kNone)
            m_asm.bind(m_labels[range.label]);
        // Up to four candidates are a chain of equality tests: with uniformly random
        // targets a chain mispredicts 0.75 times per call, two levels of halving 1.0.
        if (range.end - range.begin <= 4) {
            for (u32 k = range.begin; k < range.end; ++k) {
                m_asm.cmp(kScratch, static_cast<i32>(function_offset[k]), Size::Qword);
                m_asm.jcc(Condition::Equal, m_labels[call_label[k]]);
            }
            if (depth > 0) // the last leaf falls through to the transfer
                m_asm.jmp(m_labels[generic]);
            continue;
        }
        u32 middle = (range.begin + range.end) / 2;
        u32 upper = TRY(m_labels.allocate());
        m_asm.cmp(kScratch, static_cast<i32>(function_offset[middle]), Size::Qword);
        m_asm.jcc(Condition::AboveOrEqual, m_labels[upper]);
        work[depth++] = Range { middle, range.end, upper };
        work[depth++] = Range { range.begin, middle, kNone };
    }
    // Every call instruction of the tree has its own return address, so its own map.
    m_asm.bind(m_labels[generic]);
    emit_funcref_transfer(m_asm, m_symbols.array_trampoline(type_index), m_symbols.retpoline(), false);
    TRY(record_stack_map(call));
    for (usize k = 0; k < count; ++k) {
        m_asm.jmp(m_labels[done]);
        m_asm.bind(m_labels[call_label[k]]);
        m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
        m_asm.call_relocated(m_symbols.function(static_cast<u32>(first[k]) - m_module.imported_function_count));
        TRY(record_stack_map(call));
    }
    m_asm.bind(m_labels[done]);
    return {};
}

Result<void> OptimizingCompiler::emit_builtin_call(runtime::Builtin builtin, Span<const MoveLoc> args, Inst inst,
                                                   TrapKind trap, bool atomic_codes)
{
    TRY(call_builtin(builtin, args, inst));
    if (trap != TrapKind::None) {
        m_asm.test(Gpr::rax, Gpr::rax, Size::Dword);
        m_asm.jcc(Condition::NotEqual, *TRY(trap_label(trap)));
    }
    if (atomic_codes) {
        static constexpr struct {
            u64 code;
            TrapKind kind;
        } kCodes[] = { { runtime::kAtomicUnaligned, TrapKind::UnalignedAtomic },
                       { runtime::kAtomicOutOfBounds, TrapKind::MemoryOutOfBounds },
                       { runtime::kAtomicUnshared, TrapKind::ExpectedSharedMemory } };
        for (const auto& code : kCodes) {
            m_asm.cmp(Gpr::rax, static_cast<i32>(code.code), Size::Qword);
            m_asm.jcc(Condition::Equal, *TRY(trap_label(code.kind)));
        }
    }
    finish_builtin_call(inst);
    return {};
}

Result<void> OptimizingCompiler::call_builtin(runtime::Builtin builtin, Span<const MoveLoc> args, Inst inst,
                                              BuiltinAddress address)
{
    static constexpr Gpr kArgs[] = { Gpr::rsi, Gpr::rdx, Gpr::rcx, Gpr::r8, Gpr::r9 };
    if (args.size() > 5 || (address.arg != engine::opt::kNone && address.arg >= args.size()))
        return unsupported("optimising tier: builtin with stack arguments");
    TRY(save_live_across(inst));
    m_moves.clear();
    for (u32 i = 0; i < args.size(); ++i) {
        if (i == address.arg)
            continue;
        MoveLoc dst;
        dst.reg = number(kArgs[i]);
        TRY(m_moves.try_append(Move { dst, args[i] }));
    }
    TRY(emit_parallel_moves(m_moves));
    // After the moves: the address argument's register is no move's source.
    if (address.arg != engine::opt::kNone)
        m_asm.lea(kArgs[address.arg], address.memory, Size::Qword);
    m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
    m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(runtime::VMOffsets::kBuiltins)), Size::Qword);
    m_asm.mov(kScratch, Mem(kScratch, static_cast<i32>(8 * static_cast<u32>(builtin))), Size::Qword);
    note_below_frame(kRetpolineCallBytes);
    m_asm.call_relocated(m_symbols.retpoline());
    // The allocating builtins may collect (docs/gc.md): this frame's map.
    return record_stack_map(inst);
}

void OptimizingCompiler::finish_builtin_call(Inst inst)
{
    if (m_function.inst(inst).result_count == 1) {
        Value result = m_function.result(inst);
        if (m_function.value(result).type == Type::I32)
            m_asm.mov(Gpr::rax, Gpr::rax, Size::Dword);
        MoveLoc src;
        src.reg = number(Gpr::rax);
        emit_move(value_loc(result), src);
    }
    restore_live_across();
}

} // namespace wk::engine::x64::opt
