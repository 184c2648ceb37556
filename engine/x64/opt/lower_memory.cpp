// Explicit bounds checks of the optimising tier (bounds_check, ops.def): memories
// without a guard region (memory64, pages smaller than 64 KiB). The same test and
// Spectre v1 clamps as the baseline's memory_operand (engine/x64/baseline/memory.cpp):
// trap unless address + end <= bound_bytes without a carry; past a mispredicted carry
// the end becomes 2^64-1 so the compare still fails, and past a mispredicted compare
// the result is 0, so the accesses that use it stay within their small displacement
// of the memory's base (bounds.cpp's speculation window).

#include "engine/compile/builtins.h"
#include "engine/x64/opt/optimizing_compiler.h"
#include "engine/x64/opt/scratch.h"

namespace wk::engine::x64::opt {

using engine::opt::Op;
using engine::opt::Type;
using namespace x64::abi;
using x64::baseline::gpr;

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
// is raised here. throw's values go to fresh slots, 16 bytes apart downwards as the
// builtin reads them (value k at first - 16k, its upper half zero).
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
            emit_move(dst, value_loc(args[k]));
            m_asm.mov(slot_mem(base + 2 * k), 0, Size::Qword);
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
    m_asm.movabs_relocated(kScratch, compile::kExternalBase + static_cast<u32>(compile::Builtin::Throw));
    note_below_frame(kRetpolineCallBytes);
    m_asm.call_relocated(m_symbols.retpoline());
    m_asm.cmp(Gpr::rax, static_cast<i32>(TrapKind::UncaughtException), Size::Dword);
    m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::UncaughtException)));
    m_asm.jmp(*TRY(trap_label(TrapKind::ExceptionMemoryExhausted)));
    return {};
}

} // namespace wk::engine::x64::opt
