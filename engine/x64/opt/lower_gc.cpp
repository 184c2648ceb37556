// GC instructions of the optimising tier (docs/gc.md, "Compiled code (optimising tier)"):
// field and element accesses, array.len, ref.get_desc, ref.eq, i31 and the conversions
// inline, with the baseline's null and bounds checks and its Spectre clamp of array
// indexes; allocation, the bulk array operations and the cast tests call the runtime's
// GC builtins with the baseline's arguments (engine/runtime/gc_objects.h). ref.cast and
// br_on_cast are a test and a branch in the IR (builder_control.cpp).

#include "engine/runtime/gc_layout.h"
#include "engine/runtime/gc_objects.h"
#include "engine/x64/opt/optimizing_compiler.h"
#include "engine/x64/opt/scratch.h"

namespace wk::engine::x64::opt {

using engine::opt::Op;
using engine::opt::Type;
using namespace x64::abi;
using x64::baseline::gpr;
using x64::baseline::xmm;

namespace {

Span<const FieldType> fields_of(const Module& module, u32 type_index)
{
    const SubType& type = module.types[type_index];
    return Span<const FieldType>(module.fields.data() + type.first, type.field_count);
}

} // namespace

Result<void> OptimizingCompiler::emit_gc(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Op op = data.op;
    if (engine::opt::is_gc_builtin(op))
        return emit_gc_builtin(inst);
    if (op >= Op::StructGet && op <= Op::RefGetDesc)
        return emit_gc_access(inst);
    Span<const u32> args = m_function.args(inst);
    Value result = m_function.result(inst);
    Gpr w = result_gpr(result, kScratch);
    Gpr from = gpr_in(args[0], kScratch2);
    switch (op) {
    case Op::RefEq: {
        Gpr other = gpr_in(args[1], kScratch);
        m_asm.cmp(from, other, Size::Qword);
        m_asm.setcc(Condition::Equal, kScratch2);
        m_asm.movzx8(w, kScratch2, Size::Dword);
        break;
    }
    case Op::RefI31:
        // (value << 1) | 1 in 32 bits: bit 31 of the value drops out, as i31 wants.
        m_asm.lea(w, Mem(from, from, Scale::One, 1), Size::Dword);
        break;
    case Op::I31GetS:
    case Op::I31GetU:
        m_asm.test(from, from, Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullI31Reference)));
        m_asm.mov(w, from, Size::Dword);
        if (op == Op::I31GetS)
            m_asm.sar(w, 1, Size::Dword);
        else
            m_asm.shr(w, 1, Size::Dword);
        break;
    case Op::AnyConvertExtern:
    case Op::ExternConvertAny:
        // One representation for both hierarchies (docs/gc.md).
        if (from != w)
            m_asm.mov(w, from, Size::Qword);
        break;
    default: return unsupported("optimising tier: GC instruction not supported by the x86-64 back end yet");
    }
    finish_gpr(result, w);
    return {};
}

void OptimizingCompiler::load_storage(Value result, ValType type, bool sign, Mem const& src)
{
    if (type.kind == ValKind::F32 || type.kind == ValKind::F64 || type.kind == ValKind::V128) {
        Xmm w = result_xmm(result, kScratchXmm);
        if (type.kind == ValKind::F32)
            m_asm.movss(w, src);
        else if (type.kind == ValKind::F64)
            m_asm.movsd(w, src);
        else
            m_asm.movdqu(w, src);
        finish_xmm(result, w);
        return;
    }
    Gpr w = result_gpr(result, kScratch);
    switch (type.kind) {
    case ValKind::I8: sign ? m_asm.movsx8(w, src, Size::Dword) : m_asm.movzx8(w, src, Size::Dword); break;
    case ValKind::I16: sign ? m_asm.movsx16(w, src, Size::Dword) : m_asm.movzx16(w, src, Size::Dword); break;
    case ValKind::I32: m_asm.mov(w, src, Size::Dword); break;
    default: m_asm.mov(w, src, Size::Qword); break; // i64 and references
    }
    finish_gpr(result, w);
}

void OptimizingCompiler::store_storage(ValType type, Mem const& dst, Value value, Gpr scratch, Xmm float_value)
{
    switch (type.kind) {
    case ValKind::F32: m_asm.movss(dst, float_value); return;
    case ValKind::F64: m_asm.movsd(dst, float_value); return;
    case ValKind::V128: m_asm.movdqu(dst, float_value); return;
    case ValKind::I8: m_asm.mov(dst, gpr_in(value, scratch), Size::Byte); return;
    case ValKind::I16: m_asm.mov(dst, gpr_in(value, scratch), Size::Word); return;
    case ValKind::I32: m_asm.mov(dst, gpr_in(value, scratch), Size::Dword); return;
    default: m_asm.mov(dst, gpr_in(value, scratch), Size::Qword); return;
    }
}

// struct.get*/set, array.get*/set, array.len and ref.get_desc: the object (in its
// register or r11) null-checked, then one access. Array indexes are zero-extended in
// r10, checked against the length and clamped to 0 past a mispredicted check.
Result<void> OptimizingCompiler::emit_gc_access(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> args = m_function.args(inst);
    Op op = data.op;
    bool is_struct = op >= Op::StructGet && op <= Op::StructSet;
    TrapKind null_trap = is_struct        ? TrapKind::NullStructureReference
        : op == Op::RefGetDesc            ? TrapKind::NullReference
                                          : TrapKind::NullArrayReference;
    // A stored float or v128 goes to a register first: a float constant is built through
    // r11, which may hold the object or the element's address below.
    Xmm float_value = kScratchXmm;
    if ((op == Op::StructSet || op == Op::ArraySet) && class_of(m_function.value(args.back()).type) == RegClass::Xmm)
        float_value = xmm_in(args.back(), kScratchXmm);
    Gpr object = gpr_in(args[0], kScratch);
    m_asm.test(object, object, Size::Qword);
    m_asm.jcc(Condition::Equal, *TRY(trap_label(null_trap)));
    if (op == Op::ArrayLen || op == Op::RefGetDesc) {
        Value result = m_function.result(inst);
        Gpr w = result_gpr(result, kScratch);
        if (op == Op::ArrayLen)
            m_asm.mov(w, Mem(object, static_cast<i32>(runtime::kGcArrayLengthOffset)), Size::Dword);
        else
            m_asm.mov(w, Mem(object, static_cast<i32>(runtime::kGcStructDescriptorOffset)), Size::Qword);
        finish_gpr(result, w);
        return {};
    }
    if (is_struct) {
        Span<const FieldType> fields = fields_of(m_module, data.imm2);
        ValType type = fields[data.imm3].type;
        Mem field(object, static_cast<i32>(runtime::gc_field_offset(fields, data.imm3)));
        if (op == Op::StructSet)
            store_storage(type, field, args[1], kScratch2, float_value);
        else
            load_storage(m_function.result(inst), type, op == Op::StructGetS, field);
        return {};
    }
    ValType element = fields_of(m_module, data.imm2)[0].type;
    if (m_zero_slot == engine::opt::kNone)
        m_zero_slot = m_alloc.new_slot();
    m_asm.mov(slot_mem(m_zero_slot), 0, Size::Qword);
    load_gpr(kScratch2, args[1]);
    m_asm.mov(kScratch2, kScratch2, Size::Dword);
    m_asm.cmp(kScratch2, Mem(object, static_cast<i32>(runtime::kGcArrayLengthOffset)), Size::Dword);
    m_asm.jcc(Condition::AboveOrEqual, *TRY(trap_label(TrapKind::ArrayOutOfBounds)));
    m_asm.cmov(Condition::AboveOrEqual, kScratch2, slot_mem(m_zero_slot), Size::Qword);
    i32 header = static_cast<i32>(runtime::kGcHeaderBytes);
    Scale scale = Scale::One;
    switch (storage_size(element)) {
    case 1: scale = Scale::One; break;
    case 2: scale = Scale::Two; break;
    case 4: scale = Scale::Four; break;
    case 8: scale = Scale::Eight; break;
    default: m_asm.shl(kScratch2, 4, Size::Qword); break; // v128
    }
    Mem at(object, kScratch2, scale, header);
    if (op == Op::ArraySet) {
        // The element's address in r11 leaves r10 for a value not in a register.
        m_asm.lea(kScratch, at, Size::Qword);
        store_storage(element, Mem(kScratch), args[2], kScratch2, float_value);
        return {};
    }
    load_storage(m_function.result(inst), element, op == Op::ArrayGetS, at);
    return {};
}

Result<Mem> OptimizingCompiler::store_vmvals(Span<const u32> values)
{
    u32 count = static_cast<u32>(values.size());
    // 2 slots per VMVal and one more to align the first to 16 bytes (rbp is aligned).
    u32 needed = 2 * count + 1;
    if (m_vmval_slot == engine::opt::kNone || m_vmval_slots < needed) {
        m_vmval_slot = m_alloc.new_slot(needed);
        m_vmval_slots = needed;
    }
    // The area's lowest address, rounded up to 16 bytes.
    i32 lowest = -static_cast<i32>(kFrameHeader + 8 * (m_vmval_slot + m_vmval_slots));
    if (lowest % 16 != 0)
        lowest += 8;
    for (u32 k = 0; k < count; ++k) {
        Type type = m_function.value(values[k]).type;
        MoveLoc dst;
        dst.kind = MoveLoc::Kind::Memory;
        dst.memory = Mem(Gpr::rbp, lowest + static_cast<i32>(16 * (count - 1 - k)));
        dst.cls = class_of(type);
        dst.v128 = type == Type::V128;
        emit_move(dst, value_loc(values[k]));
    }
    return Mem(Gpr::rbp, lowest);
}

// The builtins take the baseline's arguments (engine/x64/baseline/gc.cpp); operands
// read in bulk (struct.new fields, array.new_fixed elements, the array.new and
// array.fill value) go as the address of VMVals (store_vmvals). Allocations report
// their trap in rdx, the bulk operations in eax; ref.test_desc's eax may say "null
// descriptor".
Result<void> OptimizingCompiler::emit_gc_builtin(Inst inst)
{
    using runtime::Builtin;
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> args = m_function.args(inst);
    u32 n = static_cast<u32>(args.size());
    MoveLoc call_args[5];
    u32 count = 0;
    BuiltinAddress address;
    auto immediate = [&](u64 bits) { call_args[count++] = MoveLoc::constant(bits); };
    auto operand = [&](u32 k) { call_args[count++] = value_loc(args[k]); };
    auto vmvals = [&](u32 first, u32 values) -> Result<void> {
        if (values != 0) {
            address.arg = count;
            address.memory = TRY(store_vmvals(args.subspan(first, values)));
        }
        immediate(0);
        return {};
    };
    Builtin builtin = Builtin::GcStructNew;
    TrapKind traps[3] = {};
    u32 trap_count = 0;
    bool allocation = data.op >= Op::StructNew && data.op <= Op::ArrayNewElem;
    if (allocation)
        traps[trap_count++] = TrapKind::GcHeapExhausted;
    switch (data.op) {
    case Op::StructNew:
    case Op::StructNewDefault:
    case Op::StructNewDesc:
    case Op::StructNewDefaultDesc: {
        bool with_descriptor = data.op == Op::StructNewDesc || data.op == Op::StructNewDefaultDesc;
        u32 fields = with_descriptor ? n - 1 : n;
        builtin = with_descriptor ? Builtin::GcStructNewDesc : Builtin::GcStructNew;
        immediate(data.imm2);
        TRY(vmvals(0, fields));
        immediate(fields);
        if (with_descriptor) {
            operand(n - 1);
            traps[trap_count++] = TrapKind::NullDescriptorReference;
        }
        break;
    }
    case Op::ArrayNew:
    case Op::ArrayNewDefault:
        builtin = Builtin::GcArrayNew;
        immediate(data.imm2);
        TRY(vmvals(0, data.op == Op::ArrayNew ? 1 : 0));
        operand(n - 1);
        break;
    case Op::ArrayNewFixed:
        builtin = Builtin::GcArrayNewFixed;
        immediate(data.imm2);
        TRY(vmvals(0, n));
        immediate(n);
        break;
    case Op::ArrayNewData:
    case Op::ArrayNewElem:
        builtin = data.op == Op::ArrayNewData ? Builtin::GcArrayNewData : Builtin::GcArrayNewElem;
        traps[trap_count++] = data.op == Op::ArrayNewData ? TrapKind::MemoryOutOfBounds : TrapKind::TableOutOfBounds;
        immediate(data.imm2);
        immediate(data.imm3);
        operand(0);
        operand(1);
        break;
    case Op::ArrayFill:
        builtin = Builtin::GcArrayFill;
        operand(0);
        operand(1);
        TRY(vmvals(2, 1));
        operand(3);
        break;
    case Op::ArrayCopy:
        builtin = Builtin::GcArrayCopy;
        for (u32 k = 0; k < 5; ++k)
            operand(k);
        break;
    case Op::ArrayInitData:
    case Op::ArrayInitElem:
        builtin = data.op == Op::ArrayInitData ? Builtin::GcArrayInitData : Builtin::GcArrayInitElem;
        operand(0);
        immediate(data.imm3);
        operand(1);
        operand(2);
        operand(3);
        break;
    case Op::RefTest:
        builtin = Builtin::GcRefTest;
        operand(0);
        immediate(runtime::gc_cast_target(engine::opt::unpack_ref_type(data.imm)));
        break;
    default: // RefTestDesc
        builtin = Builtin::GcRefTestDesc;
        operand(0);
        operand(1);
        immediate(data.imm);
        break;
    }
    if (data.op >= Op::ArrayFill && data.op <= Op::ArrayInitElem) {
        traps[trap_count++] = TrapKind::NullArrayReference;
        traps[trap_count++] = TrapKind::ArrayOutOfBounds;
        if (data.op == Op::ArrayInitData || data.op == Op::ArrayInitElem)
            traps[trap_count++] = data.op == Op::ArrayInitData ? TrapKind::MemoryOutOfBounds : TrapKind::TableOutOfBounds;
    }
    TRY(call_builtin(builtin, Span<const MoveLoc>(call_args, count), inst, address));
    if (data.op == Op::RefTestDesc) {
        m_asm.cmp(Gpr::rax, static_cast<i32>(runtime::builtins::kGcDescriptorNull), Size::Dword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullDescriptorReference)));
    } else if (trap_count != 0) {
        // The code is 0 or one of the traps.
        Gpr code = allocation ? Gpr::rdx : Gpr::rax;
        Label ok;
        m_asm.test(code, code, Size::Dword);
        m_asm.jcc(Condition::Equal, ok);
        for (u32 k = 0; k + 1 < trap_count; ++k) {
            m_asm.cmp(code, static_cast<i32>(traps[k]), Size::Dword);
            m_asm.jcc(Condition::Equal, *TRY(trap_label(traps[k])));
        }
        m_asm.jmp(*TRY(trap_label(traps[trap_count - 1])));
        m_asm.bind(ok);
    }
    finish_builtin_call(inst);
    return {};
}

} // namespace wk::engine::x64::opt
