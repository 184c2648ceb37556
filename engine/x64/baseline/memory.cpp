// Loads, stores, memory.size and memory.grow. i32-address memories with 64 KiB pages
// rely on their 8 GiB reservation (docs/engine-abi.md): [base + u32 index + offset]
// with an offset below 2^31 stays inside it, so no compare is emitted and a fault in
// the guard is a trap-table entry. i64-address memories, small custom pages and larger
// offsets are checked explicitly against bound_bytes.

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

namespace {

struct Access {
    ValKind kind;  // the value's kind
    u8 bytes;      // bytes accessed
    bool sign_extend;
    bool is_store;
};

Access access_of(Opcode op)
{
    switch (op) {
    case Opcode::I32Load: return { ValKind::I32, 4, false, false };
    case Opcode::I64Load: return { ValKind::I64, 8, false, false };
    case Opcode::F32Load: return { ValKind::F32, 4, false, false };
    case Opcode::F64Load: return { ValKind::F64, 8, false, false };
    case Opcode::I32Load8S: return { ValKind::I32, 1, true, false };
    case Opcode::I32Load8U: return { ValKind::I32, 1, false, false };
    case Opcode::I32Load16S: return { ValKind::I32, 2, true, false };
    case Opcode::I32Load16U: return { ValKind::I32, 2, false, false };
    case Opcode::I64Load8S: return { ValKind::I64, 1, true, false };
    case Opcode::I64Load8U: return { ValKind::I64, 1, false, false };
    case Opcode::I64Load16S: return { ValKind::I64, 2, true, false };
    case Opcode::I64Load16U: return { ValKind::I64, 2, false, false };
    case Opcode::I64Load32S: return { ValKind::I64, 4, true, false };
    case Opcode::I64Load32U: return { ValKind::I64, 4, false, false };
    case Opcode::I32Store: return { ValKind::I32, 4, false, true };
    case Opcode::I64Store: return { ValKind::I64, 8, false, true };
    case Opcode::F32Store: return { ValKind::F32, 4, false, true };
    case Opcode::F64Store: return { ValKind::F64, 8, false, true };
    case Opcode::I32Store8: return { ValKind::I32, 1, false, true };
    case Opcode::I32Store16: return { ValKind::I32, 2, false, true };
    case Opcode::I64Store8: return { ValKind::I64, 1, false, true };
    case Opcode::I64Store16: return { ValKind::I64, 2, false, true };
    default: return { ValKind::I64, 4, false, true }; // I64Store32
    }
}

} // namespace

// Emits the bounds check the memory needs (none for guarded i32 memories) and returns
// the operand for an access of `bytes` bytes at `address` (a register holding the
// zero-extended i32 or the i64 address; it may be advanced by the offset).
Result<Mem> BaselineCompiler::memory_operand(u32 memory_index, u64 offset, u32 bytes, u8 address)
{
    const Limits& limits = m_module.memories[memory_index].limits;
    // Memories with pages smaller than the host's have committed bytes past their bound.
    bool guarded = !limits.is_64 && limits.page_size_log2 == 16 && offset <= 0x7FFF'FFFFu;
    if (guarded) {
        if (memory_index == 0)
            return Mem(kMemoryBase, gpr(address), Scale::One, static_cast<i32>(offset));
        m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.memory(memory_index))), Size::Qword);
        m_asm.mov(kScratch, Mem(kScratch), Size::Qword);
        return Mem(kScratch, gpr(address), Scale::One, static_cast<i32>(offset));
    }
    // Explicit check: address + offset + bytes <= bound, without wrapping. Registers
    // first: allocating may spill, and spills use the scratch register.
    Label* out_of_bounds = TRY(trap_label(TrapKind::MemoryOutOfBounds));
    u64 end = offset + bytes;
    if (end < offset) {
        m_asm.jmp(*out_of_bounds);
    } else {
        u8 end_reg = TRY(allocate(RegClass::Gpr));
        m_asm.mov(gpr(end_reg), static_cast<i64>(end), Size::Qword);
        m_asm.add(gpr(end_reg), gpr(address), Size::Qword);
        m_asm.jcc(Condition::Below, *out_of_bounds); // carry: wrapped
        if (limits.is_64) {
            // Spectre v1: past a mispredicted wrap check the end becomes the largest
            // value, so the clamp below still fires. (An i32 address cannot wrap.)
            m_asm.mov(kScratch, -1, Size::Qword);
            m_asm.cmov(Condition::Below, gpr(end_reg), kScratch, Size::Qword);
        }
        m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.memory(memory_index))), Size::Qword);
        m_asm.cmp(gpr(end_reg), Mem(kScratch, 8), Size::Qword);
        m_asm.jcc(Condition::Above, *out_of_bounds);
        // In bounds, so address + offset fits in 64 bits: advance the address (lea and
        // mov keep the flags of the compare for the clamp).
        if (offset <= 0x7FFF'FFFFu) {
            if (offset != 0)
                m_asm.lea(gpr(address), Mem(gpr(address), static_cast<i32>(offset)), Size::Qword);
        } else {
            m_asm.mov(gpr(end_reg), static_cast<i64>(offset), Size::Qword);
            m_asm.lea(gpr(address), Mem(gpr(address), gpr(end_reg), Scale::One, 0), Size::Qword);
        }
        // Spectre v1: a mispredicted bounds branch accesses the memory's first bytes.
        m_asm.mov(gpr(end_reg), 0, Size::Dword);
        m_asm.cmov(Condition::Above, gpr(address), gpr(end_reg), Size::Qword);
        release(RegClass::Gpr, end_reg);
    }
    if (memory_index == 0)
        return Mem(kMemoryBase, gpr(address), Scale::One, 0);
    m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.memory(memory_index))), Size::Qword);
    m_asm.mov(kScratch, Mem(kScratch), Size::Qword);
    return Mem(kScratch, gpr(address), Scale::One, 0);
}

Result<void> BaselineCompiler::emit_memory(const Instruction& instruction)
{
    Opcode op = instruction.opcode;
    using runtime::Builtin;
    switch (op) {
    case Opcode::MemoryFill: {
        BuiltinArg args[] = { immediate(instruction.index0), operand(0), operand(1), operand(2) };
        return call_builtin_with(Builtin::MemoryFill, args, 3, TrapKind::MemoryOutOfBounds, ValKind::Bottom);
    }
    case Opcode::MemoryCopy: {
        BuiltinArg args[] = { immediate(instruction.index0), immediate(instruction.index1), operand(0), operand(1), operand(2) };
        return call_builtin_with(Builtin::MemoryCopy, args, 3, TrapKind::MemoryOutOfBounds, ValKind::Bottom);
    }
    case Opcode::MemoryInit: {
        BuiltinArg args[] = { immediate(instruction.index1), immediate(instruction.index0), operand(0), operand(1), operand(2) };
        return call_builtin_with(Builtin::MemoryInit, args, 3, TrapKind::MemoryOutOfBounds, ValKind::Bottom);
    }
    case Opcode::DataDrop: {
        BuiltinArg args[] = { immediate(instruction.index0) };
        return call_builtin_with(Builtin::DataDrop, args, 0, TrapKind::None, ValKind::Bottom);
    }
    default:
        break;
    }
    u32 memory_index = instruction.memarg.memory;
    if (op == Opcode::MemorySize || op == Opcode::MemoryGrow)
        memory_index = instruction.index0;
    if (memory_index >= m_module.memories.size())
        return unsupported("memory instruction without a memory");
    const Limits& limits = m_module.memories[memory_index].limits;
    ValKind address_kind = limits.is_64 ? ValKind::I64 : ValKind::I32;

    if (op == Opcode::MemorySize) {
        u8 reg = TRY(allocate(RegClass::Gpr));
        m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.memory(memory_index))), Size::Qword);
        m_asm.mov(gpr(reg), Mem(kScratch, 8), Size::Qword);
        if (limits.page_size_log2 > 0)
            m_asm.shr(gpr(reg), limits.page_size_log2, Size::Qword);
        return push_reg(address_kind, reg);
    }
    if (op == Opcode::MemoryGrow) {
        cache_clear(); // the builtin's arguments go straight into registers
        TRY(pop_into(RegClass::Gpr, number(Gpr::rdx)));
        TRY(spill_all());
        m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
        m_asm.mov(Gpr::rsi, static_cast<i64>(memory_index), Size::Dword);
        call_runtime_builtin(runtime::Builtin::MemoryGrow);
        release(RegClass::Gpr, number(Gpr::rdx));
        TRY(take_fixed(RegClass::Gpr, number(Gpr::rax)));
        if (address_kind == ValKind::I32)
            m_asm.mov(Gpr::rax, Gpr::rax, Size::Dword);
        return push_reg(address_kind, number(Gpr::rax));
    }
    if (!(op >= Opcode::I32Load && op <= Opcode::I64Store32))
        return unsupported("bulk memory instruction not implemented");
    return emit_load_store(instruction, memory_index);
}

// A load or store of memory `memory_index` (one of I32Load .. I64Store32).
Result<void> BaselineCompiler::emit_load_store(const Instruction& instruction, u32 memory_index)
{
    const Limits& limits = m_module.memories[memory_index].limits;
    Access access = access_of(instruction.opcode);
    RegClass value_class = compile::reg_class(access.kind);
    u64 offset = instruction.memarg.offset;
    // A cached local (docs/baseline-compiler.md "Local register cache") is used in place
    // as a guarded access's index (never modified there; a cached i32 is zero-extended)
    // and as a stored value when no allocation can evict it before the store.
    bool guarded = !limits.is_64 && limits.page_size_log2 == 16 && offset <= 0x7FFF'FFFFu;
    auto cached_local = [&](u32 depth) {
        const StackEntry& entry = m_stack.peek(depth);
        return entry.location == Location::Local ? cached_register(static_cast<u32>(entry.bits)) : kNotCached;
    };
    u8 borrowed_address = guarded ? cached_local(access.is_store ? 1 : 0) : kNotCached;
    u8 value = 0;
    bool value_is_constant = false;
    bool value_borrowed = false;
    u64 constant_bits = 0;
    if (access.is_store) {
        StackEntry top = m_stack.peek();
        u8 cached_value = cached_local(0);
        if (top.location == Location::Constant && value_class == RegClass::Gpr
            && (access.bytes < 8 || static_cast<i64>(top.bits) == static_cast<i32>(top.bits))) {
            value_is_constant = true;
            constant_bits = top.bits;
            m_stack.pop();
        } else if (cached_value != kNotCached && (value_class == RegClass::Fpr || borrowed_address != kNotCached)) {
            value = cached_value;
            value_borrowed = true;
            m_stack.pop();
        } else {
            value = TRY(pop_reg(value_class));
            // pop_reg may have evicted the address's local (and reused its register).
            borrowed_address = guarded ? cached_local(0) : kNotCached;
        }
    }
    u8 address = borrowed_address;
    if (borrowed_address != kNotCached)
        m_stack.pop();
    else
        address = TRY(pop_reg(RegClass::Gpr));
    // Load results need their register before the operand exists: allocating may spill
    // through the scratch register, which can hold the memory's base.
    u8 float_result = 0;
    if (!access.is_store && value_class == RegClass::Fpr)
        float_result = TRY(allocate(RegClass::Fpr));
    u8 integer_result = address;
    if (!access.is_store && value_class == RegClass::Gpr && borrowed_address != kNotCached)
        integer_result = TRY(allocate(RegClass::Gpr)); // may evict the address's local: no code, the register keeps its value

    Mem operand = TRY(memory_operand(memory_index, offset, access.bytes, address));

    if (access.is_store) {
        Size size = access.bytes == 8 ? Size::Qword : access.bytes == 4 ? Size::Dword : access.bytes == 2 ? Size::Word : Size::Byte;
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        if (value_is_constant) {
            // Narrow stores keep the low bits (the immediate must fit the width).
            i32 imm = size == Size::Byte ? static_cast<i8>(constant_bits)
                : size == Size::Word     ? static_cast<i16>(constant_bits)
                                         : static_cast<i32>(constant_bits);
            m_asm.mov(operand, imm, size);
        } else if (access.kind == ValKind::F32) {
            m_asm.movss(operand, xmm(value));
        } else if (access.kind == ValKind::F64) {
            m_asm.movsd(operand, xmm(value));
        } else {
            m_asm.mov(operand, gpr(value), size);
        }
        if (!value_is_constant && !value_borrowed)
            release(value_class, value);
        if (borrowed_address == kNotCached)
            release(RegClass::Gpr, address);
        return {};
    }

    if (value_class == RegClass::Fpr) {
        u8 result = float_result;
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        if (access.kind == ValKind::F32)
            m_asm.movss(xmm(result), operand);
        else
            m_asm.movsd(xmm(result), operand);
        if (borrowed_address == kNotCached)
            release(RegClass::Gpr, address);
        return push_reg(access.kind, result);
    }
    Gpr dst = gpr(integer_result);
    Size size = access.kind == ValKind::I64 ? Size::Qword : Size::Dword;
    TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
    switch (access.bytes) {
    case 1:
        access.sign_extend ? m_asm.movsx8(dst, operand, size) : m_asm.movzx8(dst, operand, Size::Dword);
        break;
    case 2:
        access.sign_extend ? m_asm.movsx16(dst, operand, size) : m_asm.movzx16(dst, operand, Size::Dword);
        break;
    case 4:
        if (access.sign_extend && access.kind == ValKind::I64)
            m_asm.movsxd(dst, operand);
        else
            m_asm.mov(dst, operand, Size::Dword);
        break;
    default:
        m_asm.mov(dst, operand, Size::Qword);
        break;
    }
    return push_reg(access.kind, integer_result);
}

} // namespace wk::engine::x64::baseline
