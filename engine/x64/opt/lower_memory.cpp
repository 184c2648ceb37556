// Memory accesses of the optimising tier: loads, stores, globals, memory.size/grow,
// the bulk memory and table builtins, and the explicit bounds checks (bounds_check,
// ops.def) of memories without a guard region (memory64, pages smaller than 64 KiB).
// The bounds checks use the same test and
// Spectre v1 clamps as the baseline's memory_operand (engine/x64/baseline/memory.cpp):
// trap unless address + end <= bound_bytes without a carry; past a mispredicted carry
// the end becomes 2^64-1 so the compare still fails, and past a mispredicted compare
// the result is 0, so the accesses that use it stay within their small displacement
// of the memory's base (bounds.cpp's speculation window).

#include "engine/compile/code_helpers.h"
#include "engine/x64/opt/optimizing_compiler.h"
#include "engine/x64/opt/scratch.h"

namespace wk::engine::x64::opt {

using engine::opt::Op;
using engine::opt::Type;
using namespace x64::abi;
using x64::baseline::gpr;
using x64::baseline::xmm;

Result<void> OptimizingCompiler::emit_bounds_check(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Value address = m_function.args(inst)[0];
    Value result = m_function.result(inst);
    u64 base_offset = data.imm;
    u64 end = base_offset + data.imm3;
    i32 memory = static_cast<i32>(m_offsets.memory(data.imm2));
    Label* out_of_bounds = TRY(trap_label(TrapKind::MemoryOutOfBounds));
    if (end < base_offset) {
        // offset + size beyond 2^64: never in bounds.
        m_asm.jmp(*out_of_bounds);
        return {};
    }
    Loc loc = m_alloc.loc(result);
    if (loc.kind != LocKind::Reg && loc.kind != LocKind::Slot) {
        // An unused result (no access left to clamp): the test alone.
        load_gpr(kScratch, address);
        if (m_function.value(address).type == Type::I32)
            m_asm.mov(kScratch, kScratch, Size::Dword);
        m_asm.mov(kScratch2, static_cast<i64>(end), Size::Qword);
        m_asm.add(kScratch2, kScratch, Size::Qword);
        m_asm.jcc(Condition::Below, *out_of_bounds);
        m_asm.mov(kScratch, Mem(kVmctx, memory), Size::Qword);
        m_asm.cmp(kScratch2, Mem(kScratch, 8), Size::Qword);
        m_asm.jcc(Condition::Above, *out_of_bounds);
        return {};
    }
    // The address, zero-extended, in the result's register; a result without one
    // keeps the address in its slot while r10 and r11 do the test.
    bool in_register = loc.kind == LocKind::Reg;
    Gpr w = in_register ? gpr(loc.reg) : kScratch;
    if (!in_reg(address, number(w), RegClass::Gpr))
        load_gpr(w, address);
    if (m_function.value(address).type == Type::I32)
        m_asm.mov(w, w, Size::Dword);
    Gpr end_reg = in_register ? kScratch : kScratch2;
    Gpr spare = in_register ? kScratch2 : kScratch;
    if (!in_register)
        m_asm.mov(slot_mem(loc.slot), w, Size::Qword);

    m_asm.mov(end_reg, static_cast<i64>(end), Size::Qword);
    m_asm.add(end_reg, w, Size::Qword);
    m_asm.jcc(Condition::Below, *out_of_bounds); // carry: wrapped
    m_asm.mov(spare, -1, Size::Qword);
    m_asm.cmov(Condition::Below, end_reg, spare, Size::Qword);
    m_asm.mov(spare, Mem(kVmctx, memory), Size::Qword);
    m_asm.cmp(end_reg, Mem(spare, 8), Size::Qword);
    m_asm.jcc(Condition::Above, *out_of_bounds);
    // From here on only mov and lea, which keep the compare's flags for the clamp.
    Gpr value = w;
    if (!in_register) {
        value = kScratch2;
        m_asm.mov(value, slot_mem(loc.slot), Size::Qword);
    }
    if (base_offset != 0) {
        if (base_offset <= 0x7FFF'FFFFu) {
            m_asm.lea(value, Mem(value, static_cast<i32>(base_offset)), Size::Qword);
        } else {
            m_asm.mov(spare, static_cast<i64>(base_offset), Size::Qword);
            m_asm.lea(value, Mem(value, spare, Scale::One, 0), Size::Qword);
        }
    }
    m_asm.mov(spare, 0, Size::Dword);
    m_asm.cmov(Condition::Above, value, spare, Size::Qword);
    if (!in_register)
        m_asm.mov(slot_mem(loc.slot), value, Size::Qword);
    return {};
}

// table.get/table.set: the index checked against the table's size (trap: out of
// bounds table access) and clamped to 0 past a mispredicted check, as the baseline
// does (engine/x64/baseline/table_ref.cpp); table.size reads the size.
Result<void> OptimizingCompiler::emit_table(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> args = m_function.args(inst);
    i32 table = static_cast<i32>(m_offsets.table(data.imm2));
    if (data.op == Op::TableSize) {
        Value result = m_function.result(inst);
        Gpr w = result_gpr(result, kScratch);
        m_asm.mov(kScratch, Mem(kVmctx, table), Size::Qword);
        m_asm.mov(w, Mem(kScratch, 8), Size::Qword);
        finish_gpr(result, w);
        return {};
    }
    if (m_zero_slot == engine::opt::kNone)
        m_zero_slot = m_alloc.new_slot();
    Value index = args[0];
    load_gpr(kScratch, index);
    if (m_function.value(index).type == Type::I32)
        m_asm.mov(kScratch, kScratch, Size::Dword);
    m_asm.mov(kScratch2, Mem(kVmctx, table), Size::Qword);
    m_asm.mov(slot_mem(m_zero_slot), 0, Size::Qword);
    m_asm.cmp(kScratch, Mem(kScratch2, 8), Size::Qword);
    m_asm.jcc(Condition::AboveOrEqual, *TRY(trap_label(TrapKind::TableOutOfBounds)));
    m_asm.cmov(Condition::AboveOrEqual, kScratch, slot_mem(m_zero_slot), Size::Qword);
    m_asm.mov(kScratch2, Mem(kScratch2, 0), Size::Qword);
    if (data.op == Op::TableGet) {
        Value result = m_function.result(inst);
        Gpr w = result_gpr(result, kScratch2);
        m_asm.mov(w, Mem(kScratch2, kScratch, Scale::Eight), Size::Qword);
        finish_gpr(result, w);
        return {};
    }
    m_asm.lea(kScratch, Mem(kScratch2, kScratch, Scale::Eight), Size::Qword);
    Gpr value = gpr_in(args[1], kScratch2);
    m_asm.mov(Mem(kScratch), value, Size::Qword);
    return {};
}

// throw and throw_ref call the Throw builtin (engine/compile/exceptions.h), which
// returns only when nothing in the activation catches the exception; the trap it names
// is raised here. The values of a throw are the builtin's to root while it collects.
// throw's values go to fresh slots, 16 bytes apart downwards as the builtin reads them
// (value k at first - 16k; the upper half is zeroed first, so a v128 overwrites it).
Result<void> OptimizingCompiler::emit_throw(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> args = m_function.args(inst);
    if (data.op == Op::ThrowRef) {
        load_gpr(Gpr::rsi, args[0]);
        m_asm.test(Gpr::rsi, Gpr::rsi, Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullExceptionReference)));
        m_asm.mov(Gpr::r8, 1, Size::Dword);
    } else {
        u32 count = static_cast<u32>(args.size());
        u32 base = 0;
        for (u32 k = 0; k < 2 * count; ++k) {
            u32 slot = m_alloc.new_slot();
            if (k == 0)
                base = slot;
        }
        // Slot s + 1 lies 8 bytes below slot s: value k's low half is slot base + 1 + 2k.
        for (u32 k = 0; k < count; ++k) {
            MoveLoc dst;
            dst.kind = MoveLoc::Kind::Slot;
            dst.cls = class_of(m_function.value(args[k]).type);
            dst.slot = base + 1 + 2 * k;
            m_asm.mov(slot_mem(base + 2 * k), 0, Size::Qword);
            emit_move(dst, value_loc(args[k]));
        }
        m_asm.mov(Gpr::rsi, Mem(kVmctx, static_cast<i32>(m_offsets.tag(data.imm2))), Size::Qword);
        if (count > 0)
            m_asm.lea(Gpr::rdx, slot_mem(base + 1), Size::Qword);
        else
            m_asm.xor_(Gpr::rdx, Gpr::rdx, Size::Dword);
        m_asm.mov(Gpr::rcx, static_cast<i64>(count), Size::Dword);
        m_asm.xor_(Gpr::r8, Gpr::r8, Size::Dword);
    }
    m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
    m_asm.movabs_relocated(kScratch, compile::kExternalBase + static_cast<u32>(compile::CodeHelper::Throw));
    note_below_frame(kRetpolineCallBytes);
    m_asm.call_relocated(m_symbols.retpoline());
    // A new exception is allocated in the GC heap, a safe point: the throw's (empty) map.
    if (data.op == Op::Throw)
        TRY(record_stack_map(inst));
    m_asm.cmp(Gpr::rax, static_cast<i32>(TrapKind::UncaughtException), Size::Dword);
    m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::UncaughtException)));
    m_asm.jmp(*TRY(trap_label(TrapKind::GcHeapExhausted)));
    return {};
}

Mem OptimizingCompiler::access_mem(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> args = m_function.args(inst);
    u32 memory_index = data.imm2;
    bool checked = (data.flags & engine::opt::kChecked) != 0;
    u64 displacement = data.imm;
    if (checked)
        displacement -= m_function.inst(m_function.value(args[0]).def).imm;
    Gpr base = kMemoryBase;
    if (memory_index != 0) {
        m_asm.mov(kScratch2, Mem(kVmctx, static_cast<i32>(m_offsets.memory(memory_index))), Size::Qword);
        m_asm.mov(kScratch2, Mem(kScratch2), Size::Qword);
        base = kScratch2;
    }
    if (const Allocator::AddressFold* fold = m_alloc.address_fold(inst)) {
        Gpr index = gpr_in(fold->index, kScratch);
        return Mem(base, index, static_cast<Scale>(fold->scale_log2), fold->displacement);
    }
    Value address = args[0];
    if (!checked && is_const(address) && (const_bits(address) & 0xFFFF'FFFFu) + data.imm <= 0x7FFF'FFFFu)
        return Mem(base, static_cast<i32>((const_bits(address) & 0xFFFF'FFFFu) + data.imm));
    Gpr index = gpr_in(address, kScratch);
    return Mem(base, index, Scale::One, static_cast<i32>(displacement));
}

// global.get and global.set: through the cell's address (VMGlobal) in r11.
Result<void> OptimizingCompiler::emit_global(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Op op = data.op;
    Span<const u32> args = m_function.args(inst);
    Type type = op == Op::GlobalGet ? m_function.value(m_function.result(inst)).type : m_function.value(args[0]).type;
    if (type == Type::V128) {
        // 16-byte cells (VMGlobal); the value is read into a register first, which
        // for a v128 in a slot needs no r11.
        if (op == Op::GlobalGet) {
            Value result = m_function.result(inst);
            Xmm w = result_xmm(result, kScratchXmm);
            m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.global(data.imm2))), Size::Qword);
            m_asm.movdqu(w, Mem(kScratch));
            finish_xmm(result, w);
        } else {
            Xmm value = xmm_in(args[0], kScratchXmm);
            m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.global(data.imm2))), Size::Qword);
            m_asm.movdqu(Mem(kScratch), value);
        }
        return {};
    }
    if (op == Op::GlobalSet && type == Type::F32) {
        // NOTE: the value first: a constant is materialised through r11, which then
        // holds the cell's address.
        Xmm value = xmm_in(args[0], kScratchXmm);
        m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.global(data.imm2))), Size::Qword);
        m_asm.movss(Mem(kScratch), value);
        return {};
    }
    m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.global(data.imm2))), Size::Qword);
    if (op == Op::GlobalGet) {
        Value result = m_function.result(inst);
        MoveLoc src;
        src.kind = MoveLoc::Kind::Memory;
        src.cls = class_of(type);
        src.memory = Mem(kScratch);
        src.dword = type == Type::I32;
        MoveLoc dst = value_loc(result);
        if (dst.kind == MoveLoc::Kind::Slot) {
            // emit_move would go through r11, which holds the cell's address.
            MoveLoc via;
            via.reg = number(kScratch2);
            emit_move(via, src);
            emit_move(dst, via);
        } else {
            emit_move(dst, src);
        }
        return {};
    }
    MoveLoc dst;
    dst.kind = MoveLoc::Kind::Memory;
    dst.cls = class_of(type);
    dst.memory = Mem(kScratch);
    MoveLoc src = value_loc(args[0]);
    if (src.kind == MoveLoc::Kind::Slot || (src.kind == MoveLoc::Kind::Const && static_cast<i64>(src.bits) != static_cast<i32>(src.bits))) {
        MoveLoc via;
        via.reg = number(kScratch2);
        emit_move(via, src);
        src = via;
    }
    // An i32 is stored as 8 bytes, zero-extended, as the runtime writes cells.
    emit_move(dst, src);
    return {};
}

Result<void> OptimizingCompiler::emit_memory(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Op op = data.op;
    Span<const u32> args = m_function.args(inst);
    if (op == Op::GlobalGet || op == Op::GlobalSet)
        return emit_global(inst);
    u32 memory_index = data.imm2;
    const Limits& limits = m_module.memories[memory_index].limits;
    if (op == Op::MemorySize) {
        Value result = m_function.result(inst);
        Gpr w = result_gpr(result, kScratch);
        m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.memory(memory_index))), Size::Qword);
        m_asm.mov(w, Mem(kScratch, 8), Size::Qword);
        if (limits.page_size_log2 > 0)
            m_asm.shr(w, limits.page_size_log2, Size::Qword);
        finish_gpr(result, w);
        return {};
    }
    if (op == Op::MemoryGrow) {
        MoveLoc call_args[] = { MoveLoc::constant(memory_index), value_loc(args[0]) };
        return emit_builtin_call(runtime::Builtin::MemoryGrow, Span<const MoveLoc>(call_args, 2), inst, TrapKind::None);
    }
    bool checked = (data.flags & engine::opt::kChecked) != 0;
    if (!(data.flags & engine::opt::kGuarded) && !checked)
        return unsupported("optimising tier: memory access without its bounds check");

    // Guarded: [base + u32 address + offset], the 8 GiB reservation makes it
    // check-free. Checked: [base + checked address + offset - its check's base offset]
    // (emit_bounds_check, lower_memory.cpp).
    bool is_store = op >= Op::I32Store && op <= Op::I64Store32;
    // NOTE: a float constant is materialised through r11 (and r10 may be the base), so a
    // constant stored value goes into its xmm scratch before the address takes them.
    bool value_first = is_store && is_const(args[1]) && class_of(m_function.value(args[1]).type) == RegClass::Xmm;
    if (value_first)
        load_xmm(kScratchXmm, args[1]);
    Mem access = access_mem(inst);
    Gpr base = memory_index != 0 ? kScratch2 : kMemoryBase;
    u64 displacement = data.imm;
    if (checked)
        displacement -= m_function.inst(m_function.value(args[0]).def).imm;
    if (is_store) {
        Value value = args[1];
        Type type = m_function.value(value).type;
        bool uses_r11 = access.has_index() && access.index() == kScratch;
        if (class_of(type) == RegClass::Xmm) {
            Xmm from = value_first ? kScratchXmm : xmm_in(value, kScratchXmm);
            TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
            op == Op::F32Store ? m_asm.movss(access, from) : m_asm.movsd(access, from);
            return {};
        }
        Size size = op == Op::I64Store ? Size::Qword
                    : (op == Op::I32Store || op == Op::I64Store32) ? Size::Dword
                    : (op == Op::I32Store16 || op == Op::I64Store16) ? Size::Word : Size::Byte;
        if (is_const(value)) {
            u64 bits = const_bits(value);
            if (size == Size::Byte)
                bits &= 0xFF;
            else if (size == Size::Word)
                bits &= 0xFFFF;
            else if (size == Size::Dword)
                bits &= 0xFFFF'FFFFu;
            if (size != Size::Qword || static_cast<i64>(bits) == static_cast<i32>(bits)) {
                TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
                m_asm.mov(access, static_cast<i32>(bits), size);
                return {};
            }
        }
        Gpr from;
        Loc lv = m_alloc.loc(value);
        if (lv.kind == LocKind::Reg) {
            from = gpr(lv.reg);
        } else {
            Gpr spare = kScratch;
            if (uses_r11 && base == kScratch2) {
                // Base in r10 and address in r11: fold them, which frees r10.
                m_asm.add(kScratch, kScratch2, Size::Qword);
                access = Mem(kScratch, static_cast<i32>(displacement));
                spare = kScratch2;
            } else if (uses_r11) {
                spare = kScratch2;
            }
            load_gpr(spare, value);
            from = spare;
        }
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        m_asm.mov(access, from, size);
        return {};
    }
    Value result = m_function.result(inst);
    if (op == Op::F32Load || op == Op::F64Load) {
        Xmm w = result_xmm(result, kScratchXmm);
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        op == Op::F32Load ? m_asm.movss(w, access) : m_asm.movsd(w, access);
        finish_xmm(result, w);
        return {};
    }
    Gpr w = result_gpr(result, kScratch);
    TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
    switch (op) {
    case Op::I32Load: case Op::I64Load32U: m_asm.mov(w, access, Size::Dword); break;
    case Op::I64Load: m_asm.mov(w, access, Size::Qword); break;
    case Op::I32Load8S: m_asm.movsx8(w, access, Size::Dword); break;
    case Op::I32Load8U: case Op::I64Load8U: m_asm.movzx8(w, access, Size::Dword); break;
    case Op::I32Load16S: m_asm.movsx16(w, access, Size::Dword); break;
    case Op::I32Load16U: case Op::I64Load16U: m_asm.movzx16(w, access, Size::Dword); break;
    case Op::I64Load8S: m_asm.movsx8(w, access, Size::Qword); break;
    case Op::I64Load16S: m_asm.movsx16(w, access, Size::Qword); break;
    default: m_asm.movsxd(w, access); break; // I64Load32S
    }
    finish_gpr(result, w);
    return {};
}

// Bulk memory and table instructions: calls of the runtime's builtins (engine-abi.md,
// "Builtins"), the same arguments the baseline passes.
Result<void> OptimizingCompiler::emit_bulk(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> args = m_function.args(inst);
    if (data.op == Op::TableSize) {
        Value result = m_function.result(inst);
        Gpr w = result_gpr(result, kScratch);
        m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.table(data.imm2))), Size::Qword);
        m_asm.mov(w, Mem(kScratch, 8), Size::Qword);
        finish_gpr(result, w);
        return {};
    }
    MoveLoc call_args[5];
    u32 count = 0;
    auto immediate = [&](u64 bits) { call_args[count++] = MoveLoc::constant(bits); };
    using runtime::Builtin;
    Builtin builtin;
    TrapKind trap = TrapKind::None;
    switch (data.op) {
    case Op::MemoryFill: builtin = Builtin::MemoryFill; trap = TrapKind::MemoryOutOfBounds; immediate(data.imm2); break;
    case Op::MemoryCopy: builtin = Builtin::MemoryCopy; trap = TrapKind::MemoryOutOfBounds; immediate(data.imm2); immediate(data.imm3); break;
    case Op::MemoryInit: builtin = Builtin::MemoryInit; trap = TrapKind::MemoryOutOfBounds; immediate(data.imm3); immediate(data.imm2); break;
    case Op::DataDrop: builtin = Builtin::DataDrop; immediate(data.imm2); break;
    case Op::TableGrow: builtin = Builtin::TableGrow; immediate(data.imm2); break;
    case Op::TableFill: builtin = Builtin::TableFill; trap = TrapKind::TableOutOfBounds; immediate(data.imm2); break;
    case Op::TableCopy: builtin = Builtin::TableCopy; trap = TrapKind::TableOutOfBounds; immediate(data.imm2); immediate(data.imm3); break;
    case Op::TableInit: builtin = Builtin::TableInit; trap = TrapKind::TableOutOfBounds; immediate(data.imm3); immediate(data.imm2); break;
    case Op::ElemDrop: builtin = Builtin::ElemDrop; immediate(data.imm2); break;
    default:
        return unsupported("optimising tier: table instruction not supported by the x86-64 back end yet");
    }
    if (count + args.size() > 5)
        return unsupported("optimising tier: builtin with stack arguments");
    for (Value v : args)
        call_args[count++] = value_loc(v);
    return emit_builtin_call(builtin, Span<const MoveLoc>(call_args, count), inst, trap);
}

} // namespace wk::engine::x64::opt
