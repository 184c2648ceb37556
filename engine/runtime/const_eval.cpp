#include "engine/runtime/const_eval.h"

#include "engine/binary/instruction.h"
#include "engine/runtime/gc_objects.h"
#include "engine/runtime/store.h"

namespace wk::engine::runtime {

namespace {

Error malformed_constant(u64 offset) { return Error::from("invalid constant expression", ErrorKind::Invalid, offset); }

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
        case Opcode::ArrayNew:
        case Opcode::ArrayNewDefault:
        case Opcode::ArrayNewFixed: {
            if (!environment.store || instruction.index0 >= environment.type_ids.size())
                return Error::from("GC not implemented", ErrorKind::Unsupported, instruction.offset);
            u32 type_id = environment.type_ids[instruction.index0];
            const TypeRegistry& types = environment.store->types();
            if (type_id >= types.size())
                return malformed_constant(instruction.offset);
            CompositeKind kind = types.type(type_id).kind;
            bool is_struct = instruction.opcode == Opcode::StructNew || instruction.opcode == Opcode::StructNewDefault;
            if (kind != (is_struct ? CompositeKind::Struct : CompositeKind::Array))
                return malformed_constant(instruction.offset);
            // Operands: the fields (struct.new), the init value and length (array.new),
            // the length (array.new_default), the elements (array.new_fixed).
            u64 operands = instruction.opcode == Opcode::StructNew ? types.fields(type_id).size()
                : instruction.opcode == Opcode::ArrayNew           ? 2
                : instruction.opcode == Opcode::ArrayNewDefault    ? 1
                : instruction.opcode == Opcode::ArrayNewFixed      ? instruction.index1
                                                                   : 0;
            if (operands > stack.size())
                return malformed_constant(instruction.offset);
            const VMVal* first = stack.data() + (stack.size() - operands);
            GcHeader* object = nullptr;
            switch (instruction.opcode) {
            case Opcode::StructNew: object = TRY(gc_new_struct(*environment.store, type_id, { first, 1 })); break;
            case Opcode::StructNewDefault: object = TRY(gc_new_struct(*environment.store, type_id, {})); break;
            case Opcode::ArrayNew: object = TRY(gc_new_array(*environment.store, type_id, first[1].u32_value(), first)); break;
            case Opcode::ArrayNewDefault: object = TRY(gc_new_array(*environment.store, type_id, first[0].u32_value(), nullptr)); break;
            default: object = TRY(gc_new_array_fixed(*environment.store, type_id, operands, { first, 1 })); break;
            }
            MUST(stack.try_resize(stack.size() - static_cast<usize>(operands))); // shrinking never allocates
            TRY(stack.try_append(VMVal::from_ref(object)));
            break;
        }
        case Opcode::StructNewDesc:
        case Opcode::StructNewDefaultDesc:
            return Error::from("GC not implemented", ErrorKind::Unsupported, instruction.offset);
        default:
            return Error::from("constant expression required", ErrorKind::Invalid, instruction.offset);
        }
    }
}

} // namespace wk::engine::runtime
