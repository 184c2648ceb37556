#include "engine/runtime/const_eval.h"

#include "engine/binary/instruction.h"
#include "engine/runtime/gc_objects.h"
#include "engine/runtime/store.h"

namespace wk::engine::runtime {

namespace {

Error malformed_constant(u64 offset) { return Error::from("invalid constant expression", ErrorKind::Invalid, offset); }

// struct.new(_default)(_desc) and array.new(_default/_fixed): pops the operands, pushes
// the new object. A null descriptor is the trap the compiled instruction raises.
Result<void> evaluate_allocation(const Instruction& instruction, const ConstEvalEnvironment& environment,
                                 Vector<VMVal>& stack)
{
    Opcode op = instruction.opcode;
    if (!environment.store || instruction.index0 >= environment.type_ids.size())
        return Error::from("GC not implemented", ErrorKind::Unsupported, instruction.offset);
    u32 type_id = environment.type_ids[instruction.index0];
    const TypeRegistry& types = environment.store->types();
    if (type_id >= types.size())
        return malformed_constant(instruction.offset);
    CompositeKind kind = types.type(type_id).kind;
    bool with_fields = op == Opcode::StructNew || op == Opcode::StructNewDesc;
    bool with_descriptor = op == Opcode::StructNewDesc || op == Opcode::StructNewDefaultDesc;
    bool is_struct = with_fields || with_descriptor || op == Opcode::StructNewDefault;
    if (kind != (is_struct ? CompositeKind::Struct : CompositeKind::Array))
        return malformed_constant(instruction.offset);
    // Operands: the fields (struct.new), the init value and length (array.new), the
    // length (array.new_default), the elements (array.new_fixed); then the descriptor.
    u64 operands = with_fields ? types.fields(type_id).size()
        : op == Opcode::ArrayNew          ? 2
        : op == Opcode::ArrayNewDefault   ? 1
        : op == Opcode::ArrayNewFixed     ? instruction.index1
                                          : 0;
    u64 popped = operands + (with_descriptor ? 1 : 0);
    if (popped > stack.size())
        return malformed_constant(instruction.offset);
    const VMVal* first = stack.data() + (stack.size() - popped);
    uptr descriptor = with_descriptor ? reinterpret_cast<uptr>(first[operands].ref()) : 0;
    if (with_descriptor && !descriptor)
        return Error::from(trap_message(TrapKind::NullDescriptorReference), ErrorKind::OutOfRange, instruction.offset);
    Store& store = *environment.store;
    GcHeader* object = nullptr;
    switch (op) {
    case Opcode::StructNew:
    case Opcode::StructNewDesc: object = TRY(gc_new_struct(store, type_id, { first, 1 }, descriptor)); break;
    case Opcode::StructNewDefault:
    case Opcode::StructNewDefaultDesc: object = TRY(gc_new_struct(store, type_id, {}, descriptor)); break;
    case Opcode::ArrayNew: object = TRY(gc_new_array(store, type_id, first[1].u32_value(), first)); break;
    case Opcode::ArrayNewDefault: object = TRY(gc_new_array(store, type_id, first[0].u32_value(), nullptr)); break;
    default: object = TRY(gc_new_array_fixed(store, type_id, operands, { first, 1 })); break;
    }
    MUST(stack.try_resize(stack.size() - static_cast<usize>(popped))); // shrinking never allocates
    TRY(stack.try_append(VMVal::from_ref(object)));
    return {};
}

} // namespace

Result<VMVal> evaluate_const_expr(const Module& module, ConstExpr expr, const ConstEvalEnvironment& environment,
                                  Vector<VMVal>& stack)
{
    if (!expr.is_present() || u64 { expr.offset } + expr.size > module.bytes.size())
        return malformed_constant(expr.offset);
    stack.clear();
    Reader reader(module.bytes, expr.offset, u64 { expr.offset } + expr.size);
    Instruction instruction;
    auto pop = [&]() -> Result<VMVal> {
        if (stack.is_empty())
            return malformed_constant(instruction.offset);
        return stack.pop_back();
    };
    for (;;) {
        TRY(read_instruction(reader, instruction));
        switch (instruction.opcode) {
        case Opcode::End: {
            if (stack.size() != 1)
                return malformed_constant(instruction.offset);
            return stack[0];
        }
        case Opcode::I32Const:
            TRY(stack.try_append(VMVal::from_u32(static_cast<u32>(instruction.bits))));
            break;
        case Opcode::I64Const:
        case Opcode::F64Const:
            TRY(stack.try_append(VMVal::from_u64(instruction.bits)));
            break;
        case Opcode::F32Const:
            TRY(stack.try_append(VMVal::from_f32_bits(static_cast<u32>(instruction.bits))));
            break;
        case Opcode::V128Const:
            TRY(stack.try_append(VMVal::from_v128(instruction.v128)));
            break;
        case Opcode::RefNull:
            TRY(stack.try_append(VMVal::from_ref(nullptr)));
            break;
        case Opcode::RefFunc:
            if (instruction.index0 >= environment.function_count)
                return malformed_constant(instruction.offset);
            TRY(stack.try_append(VMVal::from_ref(environment.functions + instruction.index0)));
            break;
        case Opcode::GlobalGet:
            if (instruction.index0 >= environment.globals.size())
                return malformed_constant(instruction.offset);
            TRY(stack.try_append(*environment.globals[instruction.index0]));
            break;
        case Opcode::I32Add:
        case Opcode::I32Sub:
        case Opcode::I32Mul: {
            u32 b = TRY(pop()).u32_value();
            u32 a = TRY(pop()).u32_value();
            u32 r = instruction.opcode == Opcode::I32Add ? a + b : instruction.opcode == Opcode::I32Sub ? a - b : a * b;
            TRY(stack.try_append(VMVal::from_u32(r)));
            break;
        }
        case Opcode::I64Add:
        case Opcode::I64Sub:
        case Opcode::I64Mul: {
            u64 b = TRY(pop()).u64_value();
            u64 a = TRY(pop()).u64_value();
            u64 r = instruction.opcode == Opcode::I64Add ? a + b : instruction.opcode == Opcode::I64Sub ? a - b : a * b;
            TRY(stack.try_append(VMVal::from_u64(r)));
            break;
        }
        case Opcode::RefI31: {
            u32 value = TRY(pop()).u32_value();
            TRY(stack.try_append(VMVal::from_u64(make_i31_ref(value))));
            break;
        }
        case Opcode::AnyConvertExtern:
        case Opcode::ExternConvertAny:
            // NOTE: both hierarchies share one pointer representation (vm.h).
            if (stack.is_empty())
                return malformed_constant(instruction.offset);
            break;
        case Opcode::StructNew:
        case Opcode::StructNewDefault:
        case Opcode::StructNewDesc:
        case Opcode::StructNewDefaultDesc:
        case Opcode::ArrayNew:
        case Opcode::ArrayNewDefault:
        case Opcode::ArrayNewFixed:
            TRY(evaluate_allocation(instruction, environment, stack));
            break;
        default:
            return Error::from("constant expression required", ErrorKind::Invalid, instruction.offset);
        }
    }
}

} // namespace wk::engine::runtime
