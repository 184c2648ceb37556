// Threads proposal: atomic loads, stores, read-modify-write and compare-exchange, fence.
// x86-64 gives sequential consistency with plain aligned loads, xchg for stores and
// lock-prefixed xadd/cmpxchg for the rest. memory.atomic.wait/notify call the runtime
// (engine/runtime/waiter.h), which makes every check and blocks.

#include "engine/runtime/waiter.h"
#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

namespace {

enum class AtomicOp : u8 { Load, Store, Add, Sub, And, Or, Xor, Xchg, Cmpxchg };

struct AtomicShape {
    AtomicOp op;
    ValKind kind;
    u8 bytes;
};

// opcodes.def lists each group in the same order of seven (type, width) forms.
AtomicShape atomic_shape(Opcode op)
{
    static constexpr ValKind kKinds[7] = { ValKind::I32, ValKind::I64, ValKind::I32, ValKind::I32, ValKind::I64, ValKind::I64, ValKind::I64 };
    static constexpr u8 kBytes[7] = { 4, 8, 1, 2, 1, 2, 4 };
    u32 index = static_cast<u32>(op) - static_cast<u32>(Opcode::I32AtomicLoad);
    return { static_cast<AtomicOp>(index / 7), kKinds[index % 7], kBytes[index % 7] };
}

Size size_of(u8 bytes)
{
    return bytes == 8 ? Size::Qword : bytes == 4 ? Size::Dword : bytes == 2 ? Size::Word : Size::Byte;
}

} // namespace

// NOTE: the builtin returns the result or a code for the trap (runtime/waiter.h); each code
// gets a trap site of its own here, so the trap has this instruction's PC.
Result<void> BaselineCompiler::emit_wait_notify(const Instruction& instruction)
{
    using runtime::Builtin;
    Opcode op = instruction.opcode;
    if (instruction.memarg.memory >= m_module.memories.size())
        return unsupported("memory instruction without a memory");
    BuiltinArg args[] = { immediate(instruction.memarg.memory), operand(0), immediate(instruction.memarg.offset),
                          operand(1), operand(2) };
    bool notify = op == Opcode::MemoryAtomicNotify;
    Builtin builtin = notify ? Builtin::AtomicNotify : op == Opcode::MemoryAtomicWait32 ? Builtin::AtomicWait32 : Builtin::AtomicWait64;
    u32 operands = notify ? 2 : 3;
    TRY(call_builtin_with(builtin, Span<const BuiltinArg>(args, operands + 2), operands, TrapKind::None, ValKind::Bottom));
    m_asm.cmp(Gpr::rax, static_cast<i32>(runtime::kAtomicUnaligned), Size::Qword);
    m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::UnalignedAtomic)));
    m_asm.cmp(Gpr::rax, static_cast<i32>(runtime::kAtomicOutOfBounds), Size::Qword);
    m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::MemoryOutOfBounds)));
    if (!notify) {
        m_asm.cmp(Gpr::rax, static_cast<i32>(runtime::kAtomicUnshared), Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::ExpectedSharedMemory)));
    }
    TRY(take_fixed(RegClass::Gpr, number(Gpr::rax)));
    m_asm.mov(Gpr::rax, Gpr::rax, Size::Dword);
    return push_reg(ValKind::I32, number(Gpr::rax));
}

Result<void> BaselineCompiler::emit_atomic(const Instruction& instruction)
{
    Opcode op = instruction.opcode;
    if (op == Opcode::AtomicFence) {
        m_asm.mfence();
        return {};
    }
    if (op == Opcode::MemoryAtomicNotify || op == Opcode::MemoryAtomicWait32 || op == Opcode::MemoryAtomicWait64)
        return emit_wait_notify(instruction);
    if (!(op >= Opcode::I32AtomicLoad && op <= Opcode::I64AtomicRmw32CmpxchgU))
        return unsupported("atomics not implemented");
    u32 memory_index = instruction.memarg.memory;
    if (memory_index >= m_module.memories.size())
        return unsupported("memory instruction without a memory");

    AtomicShape shape = atomic_shape(op);
    Size size = size_of(shape.bytes);
    bool needs_rax = shape.op == AtomicOp::And || shape.op == AtomicOp::Or || shape.op == AtomicOp::Xor || shape.op == AtomicOp::Cmpxchg;
    if (needs_rax)
        TRY(take_fixed(RegClass::Gpr, number(Gpr::rax)));
    u8 value = 0;
    if (shape.op == AtomicOp::Cmpxchg) {
        value = TRY(pop_reg(RegClass::Gpr)); // replacement
        StackEntry expected = m_stack.peek();
        load_entry(expected, m_stack.height() - 1, number(Gpr::rax));
        m_stack.pop();
        if (expected.location == Location::Register)
            release(RegClass::Gpr, expected.reg);
    } else if (shape.op != AtomicOp::Load) {
        value = TRY(pop_reg(RegClass::Gpr));
    }
    u8 address = TRY(pop_reg(RegClass::Gpr));
    u8 temp = 0;
    bool needs_temp = shape.op == AtomicOp::And || shape.op == AtomicOp::Or || shape.op == AtomicOp::Xor;
    if (needs_temp)
        temp = TRY(allocate(RegClass::Gpr));

    // Alignment of address + offset: only the low bits of the offset matter.
    if (shape.bytes > 1) {
        u8 check = needs_temp ? temp : TRY(allocate(RegClass::Gpr));
        m_asm.lea(gpr(check), Mem(gpr(address), static_cast<i32>(instruction.memarg.offset & 15)), Size::Dword);
        m_asm.test(gpr(check), static_cast<i32>(shape.bytes - 1), Size::Dword);
        m_asm.jcc(Condition::NotEqual, *TRY(trap_label(TrapKind::UnalignedAtomic)));
        if (!needs_temp)
            release(RegClass::Gpr, check);
    }
    Mem operand = TRY(memory_operand(memory_index, instruction.memarg.offset, shape.bytes, address));

    auto zero_extend = [&](Gpr reg) {
        if (shape.bytes == 1)
            m_asm.movzx8(reg, reg, Size::Dword);
        else if (shape.bytes == 2)
            m_asm.movzx16(reg, reg, Size::Dword);
        else if (shape.bytes == 4)
            m_asm.mov(reg, reg, Size::Dword);
    };

    u8 result = value;
    switch (shape.op) {
    case AtomicOp::Load:
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        if (shape.bytes == 1)
            m_asm.movzx8(gpr(address), operand, Size::Dword);
        else if (shape.bytes == 2)
            m_asm.movzx16(gpr(address), operand, Size::Dword);
        else
            m_asm.mov(gpr(address), operand, size);
        return push_reg(shape.kind, address);
    case AtomicOp::Store:
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        m_asm.xchg(operand, gpr(value), size);
        release(RegClass::Gpr, value);
        release(RegClass::Gpr, address);
        return {};
    case AtomicOp::Add:
    case AtomicOp::Sub:
        if (shape.op == AtomicOp::Sub)
            m_asm.neg(gpr(value), size == Size::Byte || size == Size::Word ? Size::Dword : size);
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        m_asm.lock();
        m_asm.xadd(operand, gpr(value), size);
        zero_extend(gpr(value));
        break;
    case AtomicOp::Xchg:
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        m_asm.xchg(operand, gpr(value), size);
        zero_extend(gpr(value));
        break;
    case AtomicOp::Cmpxchg:
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        m_asm.lock();
        m_asm.cmpxchg(operand, gpr(value), size);
        zero_extend(Gpr::rax);
        release(RegClass::Gpr, value);
        result = number(Gpr::rax);
        break;
    default: {
        // and/or/xor: a compare-exchange loop from the current value.
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        if (shape.bytes == 1)
            m_asm.movzx8(Gpr::rax, operand, Size::Dword);
        else if (shape.bytes == 2)
            m_asm.movzx16(Gpr::rax, operand, Size::Dword);
        else
            m_asm.mov(Gpr::rax, operand, size);
        Label retry;
        m_asm.bind(retry);
        m_asm.mov(gpr(temp), Gpr::rax, Size::Qword);
        Size wide = size == Size::Qword ? Size::Qword : Size::Dword;
        if (shape.op == AtomicOp::And)
            m_asm.and_(gpr(temp), gpr(value), wide);
        else if (shape.op == AtomicOp::Or)
            m_asm.or_(gpr(temp), gpr(value), wide);
        else
            m_asm.xor_(gpr(temp), gpr(value), wide);
        m_asm.lock();
        m_asm.cmpxchg(operand, gpr(temp), size);
        m_asm.jcc(Condition::NotEqual, retry);
        zero_extend(Gpr::rax);
        release(RegClass::Gpr, temp);
        release(RegClass::Gpr, value);
        result = number(Gpr::rax);
        break;
    }
    }
    release(RegClass::Gpr, address);
    return push_reg(shape.kind, result);
}

} // namespace wk::engine::x64::baseline
