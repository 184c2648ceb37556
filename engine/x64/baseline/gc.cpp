// GC instructions (docs/gc.md): field and element access, array.len and i31 inline
// (after the null and bounds checks, indexes clamped like memory accesses); allocation,
// bulk array operations and casts through the runtime's GC builtins
// (engine/runtime/gc_objects.h).

#include "engine/runtime/gc_layout.h"
#include "engine/runtime/gc_objects.h"
#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

namespace {

Span<const FieldType> fields_of(const Module& module, u32 type_index)
{
    const SubType& type = module.types[type_index];
    return Span<const FieldType>(module.fields.data() + type.first, type.field_count);
}

// The value kind a storage type is read as.
ValKind unpacked(ValKind kind) { return kind == ValKind::I8 || kind == ValKind::I16 ? ValKind::I32 : kind; }

} // namespace

Result<void> BaselineCompiler::call_gc_builtin(runtime::Builtin builtin, Span<const GcArg> args, u32 operand_count,
                                               Span<const TrapKind> traps, GcResult result)
{
    static constexpr Gpr kArgs[] = { Gpr::rsi, Gpr::rdx, Gpr::rcx, Gpr::r8, Gpr::r9 };
    if (args.size() > 5)
        return unsupported("builtin with stack arguments");
    cache_clear();
    u32 base = m_stack.height() - operand_count;
    TRY(spill_all());
    for (u32 i = 0; i < args.size(); ++i) {
        u32 index = base + static_cast<u32>(args[i].value);
        switch (args[i].kind) {
        case GcArg::Kind::Operand: load_kind(m_stack.at(index).kind, number(kArgs[i]), slot(index)); break;
        case GcArg::Kind::SlotAddress: m_asm.lea(kArgs[i], slot(index), Size::Qword); break;
        case GcArg::Kind::Immediate: m_asm.mov(kArgs[i], static_cast<i64>(args[i].value), Size::Qword); break;
        }
    }
    m_stack.truncate(base);
    m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
    call_runtime_builtin(builtin);
    // An allocation may collect (docs/gc.md): its operands are the builtin's to root.
    if (result == GcResult::Object)
        TRY(record_stack_map(base));
    // Allocations report their trap in rdx, the others in eax.
    Gpr trap = result == GcResult::Object ? Gpr::rdx : Gpr::rax;
    if (!traps.empty()) {
        Label ok;
        m_asm.test(trap, trap, Size::Dword);
        m_asm.jcc(Condition::Equal, ok);
        for (usize i = 0; i + 1 < traps.size(); ++i) {
            m_asm.cmp(trap, static_cast<i32>(traps[i]), Size::Dword);
            m_asm.jcc(Condition::Equal, *TRY(trap_label(traps[i])));
        }
        m_asm.jmp(*TRY(trap_label(traps[traps.size() - 1])));
        m_asm.bind(ok);
    }
    if (result != GcResult::None) {
        TRY(take_fixed(RegClass::Gpr, number(Gpr::rax)));
        ValKind kind = result == GcResult::Object ? ValKind::Ref : ValKind::I32;
        if (kind == ValKind::I32)
            m_asm.mov(Gpr::rax, Gpr::rax, Size::Dword);
        TRY(push_reg(kind, number(Gpr::rax)));
    }
    return {};
}

// Tests the reference on top of the stack (left there, spilled) against `target`: eax = 1
// when it passes.
Result<void> BaselineCompiler::emit_cast_test(ValType target)
{
    cache_clear();
    TRY(spill_all());
    m_asm.mov(Gpr::rsi, slot(m_stack.height() - 1), Size::Qword);
    m_asm.mov(Gpr::rdx, static_cast<i64>(runtime::gc_cast_target(target)), Size::Qword);
    m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
    call_runtime_builtin(runtime::Builtin::GcRefTest);
    m_asm.test(Gpr::rax, Gpr::rax, Size::Dword);
    return {};
}

// Pops the descriptor on top of the stack and tests the reference under it (left there,
// spilled) for having it: traps on a null descriptor; eax = 1 when the test passes.
Result<void> BaselineCompiler::emit_descriptor_test(bool nullable)
{
    cache_clear();
    TRY(spill_all());
    u32 height = m_stack.height();
    m_asm.mov(Gpr::rsi, slot(height - 2), Size::Qword);
    m_asm.mov(Gpr::rdx, slot(height - 1), Size::Qword);
    m_stack.truncate(height - 1);
    m_asm.mov(Gpr::rcx, static_cast<i64>(nullable ? 1 : 0), Size::Qword);
    m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
    call_runtime_builtin(runtime::Builtin::GcRefTestDesc);
    m_asm.cmp(Gpr::rax, static_cast<i32>(runtime::builtins::kGcDescriptorNull), Size::Dword);
    m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullDescriptorReference)));
    m_asm.test(Gpr::rax, Gpr::rax, Size::Dword);
    return {};
}

// Loads a field or element of storage type `type` at `src` into `reg` (a Gpr holding the
// object or index, reused) or a new Fpr; pushes it.
Result<void> BaselineCompiler::load_storage(ValType type, bool sign, u8 reg, Mem const& src, u8 other)
{
    switch (type.kind) {
    case ValKind::I8:
        if (sign)
            m_asm.movsx8(gpr(reg), src, Size::Dword);
        else
            m_asm.movzx8(gpr(reg), src, Size::Dword);
        break;
    case ValKind::I16:
        if (sign)
            m_asm.movsx16(gpr(reg), src, Size::Dword);
        else
            m_asm.movzx16(gpr(reg), src, Size::Dword);
        break;
    case ValKind::F32:
    case ValKind::F64:
    case ValKind::V128: {
        u8 value = TRY(allocate(RegClass::Fpr));
        load_kind(type.kind, value, src);
        release(RegClass::Gpr, reg);
        if (other != kNotCached)
            release(RegClass::Gpr, other);
        return push_reg(type.kind, value);
    }
    default: load_kind(type.kind, reg, src); break;
    }
    if (other != kNotCached)
        release(RegClass::Gpr, other);
    return push_reg(unpacked(type.kind), reg);
}

void BaselineCompiler::store_storage(ValType type, Mem const& dst, u8 value)
{
    switch (type.kind) {
    case ValKind::I8: m_asm.mov(dst, gpr(value), Size::Byte); return;
    case ValKind::I16: m_asm.mov(dst, gpr(value), Size::Word); return;
    default: store_kind(type.kind, dst, value); return;
    }
}

// Pops an array reference and an i32 index: null check, bounds check, Spectre clamp.
// Returns the element operand; `array` and `index` stay allocated for the caller.
Result<Mem> BaselineCompiler::array_element(ValType element, u8& array, u8& index)
{
    index = TRY(pop_reg(RegClass::Gpr));
    array = TRY(pop_reg(RegClass::Gpr));
    // Allocated before the compare: a spill may use r11, and the xor sets the flags.
    u8 zero = TRY(allocate(RegClass::Gpr));
    m_asm.xor_(gpr(zero), gpr(zero), Size::Dword);
    m_asm.test(gpr(array), gpr(array), Size::Qword);
    m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullArrayReference)));
    m_asm.mov(gpr(index), gpr(index), Size::Dword);
    m_asm.cmp(gpr(index), Mem(gpr(array), static_cast<i32>(runtime::kGcArrayLengthOffset)), Size::Dword);
    m_asm.jcc(Condition::AboveOrEqual, *TRY(trap_label(TrapKind::ArrayOutOfBounds)));
    // Spectre v1: a mispredicted bounds branch accesses element 0.
    m_asm.cmov(Condition::AboveOrEqual, gpr(index), gpr(zero), Size::Qword);
    release(RegClass::Gpr, zero);
    u32 size = storage_size(element);
    i32 disp = static_cast<i32>(runtime::kGcHeaderBytes);
    switch (size) {
    case 1: return Mem(gpr(array), gpr(index), Scale::One, disp);
    case 2: return Mem(gpr(array), gpr(index), Scale::Two, disp);
    case 4: return Mem(gpr(array), gpr(index), Scale::Four, disp);
    case 8: return Mem(gpr(array), gpr(index), Scale::Eight, disp);
    default:
        m_asm.shl(gpr(index), 4, Size::Qword);
        return Mem(gpr(array), gpr(index), Scale::One, disp);
    }
}

// struct.new*, struct.get*/set and ref.get_desc.
Result<void> BaselineCompiler::emit_gc_struct(const Instruction& instruction)
{
    using runtime::Builtin;
    Opcode op = instruction.opcode;
    switch (op) {
    case Opcode::StructNew: {
        u32 count = instruction.index0 < m_module.types.size() ? m_module.types[instruction.index0].field_count : 0;
        GcArg args[] = { GcArg::immediate(instruction.index0),
                         count ? GcArg::slot_address(count - 1) : GcArg::immediate(0), GcArg::immediate(count) };
        TrapKind traps[] = { TrapKind::GcHeapExhausted };
        return call_gc_builtin(Builtin::GcStructNew, args, count, traps, GcResult::Object);
    }
    case Opcode::StructNewDefault: {
        GcArg args[] = { GcArg::immediate(instruction.index0), GcArg::immediate(0), GcArg::immediate(0) };
        TrapKind traps[] = { TrapKind::GcHeapExhausted };
        return call_gc_builtin(Builtin::GcStructNew, args, 0, traps, GcResult::Object);
    }
    case Opcode::StructNewDesc: {
        // Operands: the fields, then the descriptor.
        u32 count = instruction.index0 < m_module.types.size() ? m_module.types[instruction.index0].field_count : 0;
        GcArg args[] = { GcArg::immediate(instruction.index0),
                         count ? GcArg::slot_address(count - 1) : GcArg::immediate(0), GcArg::immediate(count),
                         GcArg::operand(count) };
        TrapKind traps[] = { TrapKind::NullDescriptorReference, TrapKind::GcHeapExhausted };
        return call_gc_builtin(Builtin::GcStructNewDesc, args, count + 1, traps, GcResult::Object);
    }
    case Opcode::StructNewDefaultDesc: {
        GcArg args[] = { GcArg::immediate(instruction.index0), GcArg::immediate(0), GcArg::immediate(0),
                         GcArg::operand(0) };
        TrapKind traps[] = { TrapKind::NullDescriptorReference, TrapKind::GcHeapExhausted };
        return call_gc_builtin(Builtin::GcStructNewDesc, args, 1, traps, GcResult::Object);
    }
    case Opcode::RefGetDesc: {
        u8 object = TRY(pop_reg(RegClass::Gpr));
        m_asm.test(gpr(object), gpr(object), Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullReference)));
        m_asm.mov(gpr(object), Mem(gpr(object), static_cast<i32>(runtime::kGcStructDescriptorOffset)), Size::Qword);
        return push_reg(ValKind::Ref, object);
    }
    case Opcode::StructGet:
    case Opcode::StructGetS:
    case Opcode::StructGetU: {
        Span<const FieldType> fields = fields_of(m_module, instruction.index0);
        u32 offset = runtime::gc_field_offset(fields, instruction.index1);
        u8 object = TRY(pop_reg(RegClass::Gpr));
        m_asm.test(gpr(object), gpr(object), Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullStructureReference)));
        return load_storage(fields[instruction.index1].type, op == Opcode::StructGetS, object,
                            Mem(gpr(object), static_cast<i32>(offset)), kNotCached);
    }
    case Opcode::StructSet: {
        Span<const FieldType> fields = fields_of(m_module, instruction.index0);
        ValType type = fields[instruction.index1].type;
        u32 offset = runtime::gc_field_offset(fields, instruction.index1);
        RegClass cls = compile::reg_class(unpacked(type.kind));
        u8 value = TRY(pop_reg(cls));
        u8 object = TRY(pop_reg(RegClass::Gpr));
        m_asm.test(gpr(object), gpr(object), Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullStructureReference)));
        store_storage(type, Mem(gpr(object), static_cast<i32>(offset)), value);
        release(RegClass::Gpr, object);
        release(cls, value);
        return {};
    }
    default: return unsupported("GC not implemented");
    }
}

// array.*.
Result<void> BaselineCompiler::emit_gc_array(const Instruction& instruction)
{
    using runtime::Builtin;
    Opcode op = instruction.opcode;
    switch (op) {
    case Opcode::ArrayNew: {
        GcArg args[] = { GcArg::immediate(instruction.index0), GcArg::slot_address(0), GcArg::operand(1) };
        TrapKind traps[] = { TrapKind::GcHeapExhausted };
        return call_gc_builtin(Builtin::GcArrayNew, args, 2, traps, GcResult::Object);
    }
    case Opcode::ArrayNewDefault: {
        GcArg args[] = { GcArg::immediate(instruction.index0), GcArg::immediate(0), GcArg::operand(0) };
        TrapKind traps[] = { TrapKind::GcHeapExhausted };
        return call_gc_builtin(Builtin::GcArrayNew, args, 1, traps, GcResult::Object);
    }
    case Opcode::ArrayNewFixed: {
        u32 count = instruction.index1;
        GcArg args[] = { GcArg::immediate(instruction.index0),
                         count ? GcArg::slot_address(count - 1) : GcArg::immediate(0), GcArg::immediate(count) };
        TrapKind traps[] = { TrapKind::GcHeapExhausted };
        return call_gc_builtin(Builtin::GcArrayNewFixed, args, count, traps, GcResult::Object);
    }
    case Opcode::ArrayNewData: {
        GcArg args[] = { GcArg::immediate(instruction.index0), GcArg::immediate(instruction.index1), GcArg::operand(0),
                         GcArg::operand(1) };
        TrapKind traps[] = { TrapKind::MemoryOutOfBounds, TrapKind::GcHeapExhausted };
        return call_gc_builtin(Builtin::GcArrayNewData, args, 2, traps, GcResult::Object);
    }
    case Opcode::ArrayNewElem: {
        GcArg args[] = { GcArg::immediate(instruction.index0), GcArg::immediate(instruction.index1), GcArg::operand(0),
                         GcArg::operand(1) };
        TrapKind traps[] = { TrapKind::TableOutOfBounds, TrapKind::GcHeapExhausted };
        return call_gc_builtin(Builtin::GcArrayNewElem, args, 2, traps, GcResult::Object);
    }
    case Opcode::ArrayGet:
    case Opcode::ArrayGetS:
    case Opcode::ArrayGetU: {
        ValType element = fields_of(m_module, instruction.index0)[0].type;
        u8 array = 0;
        u8 index = 0;
        Mem src = TRY(array_element(element, array, index));
        return load_storage(element, op == Opcode::ArrayGetS, array, src, index);
    }
    case Opcode::ArraySet: {
        ValType element = fields_of(m_module, instruction.index0)[0].type;
        RegClass cls = compile::reg_class(unpacked(element.kind));
        u8 value = TRY(pop_reg(cls));
        u8 array = 0;
        u8 index = 0;
        Mem dst = TRY(array_element(element, array, index));
        store_storage(element, dst, value);
        release(RegClass::Gpr, array);
        release(RegClass::Gpr, index);
        release(cls, value);
        return {};
    }
    case Opcode::ArrayLen: {
        u8 array = TRY(pop_reg(RegClass::Gpr));
        m_asm.test(gpr(array), gpr(array), Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullArrayReference)));
        m_asm.mov(gpr(array), Mem(gpr(array), static_cast<i32>(runtime::kGcArrayLengthOffset)), Size::Dword);
        return push_reg(ValKind::I32, array);
    }
    case Opcode::ArrayFill: {
        GcArg args[] = { GcArg::operand(0), GcArg::operand(1), GcArg::slot_address(2), GcArg::operand(3) };
        TrapKind traps[] = { TrapKind::NullArrayReference, TrapKind::ArrayOutOfBounds };
        return call_gc_builtin(Builtin::GcArrayFill, args, 4, traps, GcResult::None);
    }
    case Opcode::ArrayCopy: {
        GcArg args[] = { GcArg::operand(0), GcArg::operand(1), GcArg::operand(2), GcArg::operand(3), GcArg::operand(4) };
        TrapKind traps[] = { TrapKind::NullArrayReference, TrapKind::ArrayOutOfBounds };
        return call_gc_builtin(Builtin::GcArrayCopy, args, 5, traps, GcResult::None);
    }
    case Opcode::ArrayInitData:
    case Opcode::ArrayInitElem: {
        bool data = op == Opcode::ArrayInitData;
        GcArg args[] = { GcArg::operand(0), GcArg::immediate(instruction.index1), GcArg::operand(1), GcArg::operand(2),
                         GcArg::operand(3) };
        TrapKind traps[] = { TrapKind::NullArrayReference, TrapKind::ArrayOutOfBounds,
                             data ? TrapKind::MemoryOutOfBounds : TrapKind::TableOutOfBounds };
        return call_gc_builtin(data ? Builtin::GcArrayInitData : Builtin::GcArrayInitElem, args, 4, traps, GcResult::None);
    }
    default: return unsupported("GC not implemented");
    }
}

// ref.test, ref.cast, br_on_cast and their descriptor forms.
Result<void> BaselineCompiler::emit_gc_cast(const Instruction& instruction)
{
    using runtime::Builtin;
    Opcode op = instruction.opcode;
    switch (op) {
    case Opcode::RefTest:
    case Opcode::RefTestNull: {
        BuiltinArg args[] = { operand(0), immediate(runtime::gc_cast_target(instruction.type0)) };
        return call_builtin_with(Builtin::GcRefTest, args, 1, TrapKind::None, ValKind::I32);
    }
    case Opcode::RefCast:
    case Opcode::RefCastNull:
        TRY(emit_cast_test(instruction.type0));
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::IllegalCast)));
        return {};
    case Opcode::BrOnCast:
    case Opcode::BrOnCastFail: {
        TRY(emit_cast_test(instruction.type1));
        Label skip;
        m_asm.jcc(op == Opcode::BrOnCast ? Condition::Equal : Condition::NotEqual, skip);
        TRY(branch_to(instruction.index0));
        m_asm.bind(skip);
        return {};
    }
    case Opcode::RefCastDescEq:
    case Opcode::RefCastDescEqNull:
        TRY(emit_descriptor_test(instruction.type0.nullable));
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::DescriptorCastFailure)));
        return {};
    case Opcode::BrOnCastDescEq:
    case Opcode::BrOnCastDescEqFail: {
        TRY(emit_descriptor_test(instruction.type1.nullable));
        Label skip;
        m_asm.jcc(op == Opcode::BrOnCastDescEq ? Condition::Equal : Condition::NotEqual, skip);
        TRY(branch_to(instruction.index0));
        m_asm.bind(skip);
        return {};
    }
    default: return unsupported("GC not implemented");
    }
}

Result<void> BaselineCompiler::emit_gc(const Instruction& instruction)
{
    Opcode op = instruction.opcode;
    switch (op) {
    case Opcode::StructNew:
    case Opcode::StructNewDefault:
    case Opcode::StructGet:
    case Opcode::StructGetS:
    case Opcode::StructGetU:
    case Opcode::StructSet:
    case Opcode::StructNewDesc:
    case Opcode::StructNewDefaultDesc:
    case Opcode::RefGetDesc: return emit_gc_struct(instruction);
    case Opcode::RefTest:
    case Opcode::RefTestNull:
    case Opcode::RefCast:
    case Opcode::RefCastNull:
    case Opcode::BrOnCast:
    case Opcode::BrOnCastFail:
    case Opcode::RefCastDescEq:
    case Opcode::RefCastDescEqNull:
    case Opcode::BrOnCastDescEq:
    case Opcode::BrOnCastDescEqFail: return emit_gc_cast(instruction);
    case Opcode::AnyConvertExtern:
    case Opcode::ExternConvertAny:
        return {}; // one representation for both hierarchies (docs/gc.md)
    case Opcode::RefI31: {
        u8 reg = TRY(pop_reg(RegClass::Gpr));
        // (value << 1) | 1 in 32 bits: bit 31 of the value drops out, as i31 wants.
        m_asm.lea(gpr(reg), Mem(gpr(reg), gpr(reg), Scale::One, 1), Size::Dword);
        return push_reg(ValKind::Ref, reg);
    }
    case Opcode::I31GetS:
    case Opcode::I31GetU: {
        u8 reg = TRY(pop_reg(RegClass::Gpr));
        m_asm.test(gpr(reg), gpr(reg), Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullI31Reference)));
        if (op == Opcode::I31GetS)
            m_asm.sar(gpr(reg), 1, Size::Dword);
        else
            m_asm.shr(gpr(reg), 1, Size::Dword);
        return push_reg(ValKind::I32, reg);
    }
    default: return emit_gc_array(instruction);
    }
}

} // namespace wk::engine::x64::baseline
