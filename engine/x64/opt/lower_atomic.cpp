// Atomics of the optimising tier (threads proposal), as the baseline emits them
// (engine/x64/baseline/atomic.cpp): x86-64 gives sequential consistency with plain
// aligned loads, xchg for stores and lock-prefixed xadd/cmpxchg for the rest; the
// effective address is checked for alignment first (trap: unaligned atomic), then the
// access itself is a trap-table entry in the guard region.
//
// NOTE: only guarded accesses to memory 0 are compiled (r15 + u32 address + offset);
// other memories, memory64 and small pages fall back to the baseline for now.
// cmpxchg and the and/or/xor loops need rax (and a second register, rdx): the values
// the allocator keeps there are saved in two frame slots around the instruction, so
// the allocator needs no constraint for them.

#include "engine/x64/opt/optimizing_compiler.h"
#include "engine/x64/opt/scratch.h"

namespace wk::engine::x64::opt {

using engine::opt::Op;
using engine::opt::Type;
using namespace x64::abi;
using x64::baseline::gpr;

namespace {

enum class AtomicOp : u8 { Load, Store, Add, Sub, And, Or, Xor, Xchg, Cmpxchg };

Size size_of(u32 bytes)
{
    return bytes == 8 ? Size::Qword : bytes == 4 ? Size::Dword : bytes == 2 ? Size::Word : Size::Byte;
}

} // namespace

// memory.atomic.wait32/64 and notify: calls of the runtime, which makes every check and
// returns a code for a trap (runtime/waiter.h), as in the baseline.
Result<void> OptimizingCompiler::emit_wait_notify(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> args = m_function.args(inst);
    MoveLoc call_args[5];
    u32 count = 0;
    auto immediate = [&](u64 bits) { call_args[count++] = MoveLoc::constant(bits); };
    using runtime::Builtin;
    Builtin builtin = data.op == Op::MemoryAtomicNotify ? Builtin::AtomicNotify
        : data.op == Op::MemoryAtomicWait32            ? Builtin::AtomicWait32
                                                        : Builtin::AtomicWait64;
    immediate(data.imm2); // memory
    call_args[count++] = value_loc(args[0]);
    immediate(data.imm); // offset
    for (u32 k = 1; k < args.size(); ++k)
        call_args[count++] = value_loc(args[k]);
    return emit_builtin_call(builtin, Span<const MoveLoc>(call_args, count), inst, TrapKind::None, true);
}

Result<void> OptimizingCompiler::emit_atomic(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    if (data.op == Op::AtomicFence) {
        m_asm.mfence();
        return {};
    }
    if (!(data.flags & engine::opt::kGuarded) || data.imm2 != 0)
        return unsupported("optimising tier: atomics on memories other than a guarded memory 0 not supported yet");
    Span<const u32> args = m_function.args(inst);
    u32 index = static_cast<u32>(data.op) - static_cast<u32>(Op::I32AtomicLoad);
    AtomicOp op = static_cast<AtomicOp>(index / 7);
    u32 bytes = 1u << data.access_log2;
    Size size = size_of(bytes);
    u64 offset = data.imm;
    Value address = args[0];

    // Alignment of address + offset: only the low bits of the offset matter.
    if (bytes > 1) {
        load_gpr(kScratch, address);
        m_asm.lea(kScratch, Mem(kScratch, static_cast<i32>(offset & 15)), Size::Dword);
        m_asm.test(kScratch, static_cast<i32>(bytes - 1), Size::Dword);
        m_asm.jcc(Condition::NotEqual, *TRY(trap_label(TrapKind::UnalignedAtomic)));
    }
    // The address in r11 (zero-extended: an i32 value's upper half is zero).
    load_gpr(kScratch, address);
    Mem operand(kMemoryBase, kScratch, Scale::One, static_cast<i32>(offset));
    auto zero_extend = [&](Gpr reg) {
        if (bytes == 1)
            m_asm.movzx8(reg, reg, Size::Dword);
        else if (bytes == 2)
            m_asm.movzx16(reg, reg, Size::Dword);
        else if (bytes == 4)
            m_asm.mov(reg, reg, Size::Dword);
    };

    switch (op) {
    case AtomicOp::Load: {
        Value result = m_function.result(inst);
        Gpr w = result_gpr(result, kScratch2);
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        if (bytes == 1)
            m_asm.movzx8(w, operand, Size::Dword);
        else if (bytes == 2)
            m_asm.movzx16(w, operand, Size::Dword);
        else
            m_asm.mov(w, operand, size);
        finish_gpr(result, w);
        return {};
    }
    case AtomicOp::Store:
        load_gpr(kScratch2, args[1]); // xchg writes its register
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        m_asm.xchg(operand, kScratch2, size);
        return {};
    case AtomicOp::Add:
    case AtomicOp::Sub:
    case AtomicOp::Xchg: {
        load_gpr(kScratch2, args[1]);
        if (op == AtomicOp::Sub)
            m_asm.neg(kScratch2, size == Size::Byte || size == Size::Word ? Size::Dword : size);
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        if (op == AtomicOp::Xchg) {
            m_asm.xchg(operand, kScratch2, size);
        } else {
            m_asm.lock();
            m_asm.xadd(operand, kScratch2, size);
        }
        zero_extend(kScratch2);
        finish_gpr(m_function.result(inst), kScratch2);
        return {};
    }
    default:
        break;
    }

    // cmpxchg, and, or, xor: rax (and rdx) saved around the instruction; every operand
    // is read from its place before either is overwritten.
    if (m_atomic_slot == engine::opt::kNone) {
        m_atomic_slot = m_alloc.new_slot();
        m_alloc.new_slot(); // m_atomic_slot + 1
    }
    Mem saved_rax = slot_mem(m_atomic_slot);
    Mem saved_rdx = slot_mem(m_atomic_slot + 1);
    m_asm.mov(saved_rax, Gpr::rax, Size::Qword);
    m_asm.mov(saved_rdx, Gpr::rdx, Size::Qword);
    Value result = m_function.result(inst);
    if (op == AtomicOp::Cmpxchg) {
        // r11 address, r10 replacement, rax expected (read last: it may be rax itself
        // or live in a register read above, all still intact).
        load_gpr(kScratch2, args[2]);
        load_gpr(Gpr::rax, args[1]);
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        m_asm.lock();
        m_asm.cmpxchg(operand, kScratch2, size);
    } else {
        // A compare-exchange loop from the current value: rax old, rdx new, r10 operand.
        load_gpr(kScratch2, args[1]);
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        if (bytes == 1)
            m_asm.movzx8(Gpr::rax, operand, Size::Dword);
        else if (bytes == 2)
            m_asm.movzx16(Gpr::rax, operand, Size::Dword);
        else
            m_asm.mov(Gpr::rax, operand, size);
        Label retry;
        m_asm.bind(retry);
        m_asm.mov(Gpr::rdx, Gpr::rax, Size::Qword);
        Size wide = size == Size::Qword ? Size::Qword : Size::Dword;
        if (op == AtomicOp::And)
            m_asm.and_(Gpr::rdx, kScratch2, wide);
        else if (op == AtomicOp::Or)
            m_asm.or_(Gpr::rdx, kScratch2, wide);
        else
            m_asm.xor_(Gpr::rdx, kScratch2, wide);
        m_asm.lock();
        m_asm.cmpxchg(operand, Gpr::rdx, size);
        m_asm.jcc(Condition::NotEqual, retry);
    }
    zero_extend(Gpr::rax);
    m_asm.mov(kScratch2, Gpr::rax, Size::Qword);
    m_asm.mov(Gpr::rax, saved_rax, Size::Qword);
    m_asm.mov(Gpr::rdx, saved_rdx, Size::Qword);
    finish_gpr(result, kScratch2);
    return {};
}

} // namespace wk::engine::x64::opt
