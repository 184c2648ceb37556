// Struct, array, i31, cast and descriptor instructions of FunctionValidator.
#include "engine/valid/function_validator.h"

namespace wk::engine {

// The segment an array.new_data/new_elem/init_data/init_elem reads must exist and fit the
// array's element type.
Result<void> FunctionValidator::check_array_segment(const Instruction& instruction, const FieldType& field, bool is_data)
{
    if (is_data) {
        if (field.type.is_ref())
            return Error::invalid("array type is not numeric or vector", m_offset);
        if (!m_module.has_data_count)
            return Error::malformed("data count section required", m_offset);
        if (instruction.index1 >= m_module.data_count)
            return Error::invalid("unknown data segment", m_offset);
        return {};
    }
    if (instruction.index1 >= m_module.elements.size())
        return Error::invalid("unknown elem segment", m_offset);
    if (!m_types.is_subtype(canon(m_module.elements[instruction.index1].type), canon(field.type)))
        return mismatch();
    return {};
}

// struct.new(_default)(_desc).
Result<void> FunctionValidator::visit_struct_new(const Instruction& instruction)
{
    Opcode opcode = instruction.opcode;
    u32 index = instruction.index0;
    const SubType* type = TRY(struct_type(index));
    bool with_descriptor = opcode == Opcode::StructNewDesc || opcode == Opcode::StructNewDefaultDesc;
    if (with_descriptor && type->descriptor == kNoIndex)
        return Error::invalid("type without descriptor requires non-descriptor allocation", m_offset);
    if (!with_descriptor && type->descriptor != kNoIndex)
        return Error::invalid("type with descriptor requires descriptor allocation", m_offset);
    if (with_descriptor)
        TRY(pop(canon(ValType::ref_index(type->descriptor, true, true))));
    auto fields = m_module.struct_fields(index);
    if (opcode == Opcode::StructNew || opcode == Opcode::StructNewDesc) {
        for (usize i = fields.size(); i > 0; --i)
            TRY(pop(canon(unpacked(fields[i - 1].type))));
    } else {
        for (const FieldType& field : fields) {
            if (!is_defaultable(field.type))
                return Error::invalid("field type is not defaultable", m_offset);
        }
    }
    TRY(push(canon(ValType::ref_index(index, false, true))));
    return {};
}

// struct.get(_s/_u) and struct.set.
Result<void> FunctionValidator::visit_struct_access(const Instruction& instruction)
{
    Opcode opcode = instruction.opcode;
    u32 index = instruction.index0;
    TRY(struct_type(index));
    auto fields = m_module.struct_fields(index);
    if (instruction.index1 >= fields.size())
        return Error::invalid("unknown field", m_offset);
    const FieldType& field = fields[instruction.index1];
    if (opcode == Opcode::StructSet) {
        if (!field.is_mutable)
            return Error::invalid("immutable field", m_offset);
        TRY(pop(canon(unpacked(field.type))));
        TRY(pop(canon(ValType::ref_index(index, true))));
        return {};
    }
    if ((opcode == Opcode::StructGet) == field.type.is_packed())
        return mismatch();
    TRY(pop(canon(ValType::ref_index(index, true))));
    TRY(push(canon(unpacked(field.type))));
    return {};
}

// array.new, new_default, new_fixed, new_data, new_elem.
Result<void> FunctionValidator::visit_array_new(const Instruction& instruction)
{
    Opcode opcode = instruction.opcode;
    u32 index = instruction.index0;
    const SubType* type = TRY(array_type(index));
    const FieldType& field = m_module.fields[type->first];
    switch (opcode) {
    case Opcode::ArrayNew:
        TRY(pop(ValType::i32()));
        TRY(pop(canon(unpacked(field.type))));
        break;
    case Opcode::ArrayNewDefault:
        if (!is_defaultable(field.type))
            return Error::invalid("array type is not defaultable", m_offset);
        TRY(pop(ValType::i32()));
        break;
    case Opcode::ArrayNewFixed: {
        // Never pop more than the frame holds: an absurd count on a
        // polymorphic stack must not loop billions of times.
        ValType element = canon(unpacked(field.type));
        u32 available = static_cast<u32>(m_stack.size() - m_controls.last().height);
        if (instruction.index1 > available && !m_controls.last().unreachable)
            return mismatch();
        u32 count = instruction.index1 < available ? instruction.index1 : available;
        for (u32 i = 0; i < count; ++i)
            TRY(pop(element));
        break;
    }
    default: // array.new_data, array.new_elem
        TRY(check_array_segment(instruction, field, opcode == Opcode::ArrayNewData));
        TRY(pop(ValType::i32()));
        TRY(pop(ValType::i32()));
        break;
    }
    TRY(push(canon(ValType::ref_index(index, false, true))));
    return {};
}

// array.get(_s/_u), set, fill, init_data, init_elem.
Result<void> FunctionValidator::visit_array_access(const Instruction& instruction)
{
    Opcode opcode = instruction.opcode;
    u32 index = instruction.index0;
    const SubType* type = TRY(array_type(index));
    const FieldType& field = m_module.fields[type->first];
    ValType array = canon(ValType::ref_index(index, true));
    ValType element = canon(unpacked(field.type));
    if (opcode == Opcode::ArrayGet || opcode == Opcode::ArrayGetS || opcode == Opcode::ArrayGetU) {
        if ((opcode == Opcode::ArrayGet) == field.type.is_packed())
            return mismatch();
        TRY(pop(ValType::i32()));
        TRY(pop(array));
        TRY(push(element));
        return {};
    }
    if (!field.is_mutable)
        return Error::invalid("immutable array", m_offset);
    switch (opcode) {
    case Opcode::ArraySet:
        TRY(pop(element));
        TRY(pop(ValType::i32()));
        break;
    case Opcode::ArrayFill:
        TRY(pop(ValType::i32()));
        TRY(pop(element));
        TRY(pop(ValType::i32()));
        break;
    default: // array.init_data, array.init_elem
        TRY(check_array_segment(instruction, field, opcode == Opcode::ArrayInitData));
        TRY(pop(ValType::i32()));
        TRY(pop(ValType::i32()));
        TRY(pop(ValType::i32()));
        break;
    }
    TRY(pop(array));
    return {};
}

// ref.test, ref.cast and ref.cast_desc_eq.
Result<void> FunctionValidator::visit_cast(const Instruction& instruction)
{
    Opcode opcode = instruction.opcode;
    ValType target = TRY(heap_type(instruction.type0));
    bool with_descriptor = opcode == Opcode::RefCastDescEq || opcode == Opcode::RefCastDescEqNull;
    if (with_descriptor) {
        if (!target.has_index() || m_module.types[target.index].descriptor == kNoIndex)
            return Error::invalid("type does not have a descriptor", m_offset);
        u32 descriptor = m_module.types[target.index].descriptor;
        TRY(pop(canon(ValType::ref_index(descriptor, true, target.exact))));
    }
    ValType operand = TRY(pop_ref());
    if (operand.heap != HeapKind::Bottom && m_types.top_heap(operand) != m_types.top_heap(target))
        return mismatch();
    if (opcode == Opcode::RefTest || opcode == Opcode::RefTestNull)
        TRY(push(ValType::i32()));
    else
        TRY(push(target));
    return {};
}

// br_on_cast(_fail) and br_on_cast_desc_eq(_fail).
Result<void> FunctionValidator::visit_br_on_cast(const Instruction& instruction)
{
    Opcode opcode = instruction.opcode;
    u32 index = instruction.index0;
    ValType source = TRY(heap_type(instruction.type0));
    ValType target = TRY(heap_type(instruction.type1));
    // NOTE: 3.0 requires the target to match the source; the custom
    // descriptors proposal relaxes that to a shared hierarchy.
    bool with_descriptor = opcode == Opcode::BrOnCastDescEq || opcode == Opcode::BrOnCastDescEqFail;
    bool relaxed = with_descriptor || m_module.features.relaxed_casts;
    if (relaxed ? m_types.top_heap(target) != m_types.top_heap(source) : !m_types.is_subtype(target, source))
        return mismatch();
    if (with_descriptor) {
        if (!target.has_index() || m_module.types[target.index].descriptor == kNoIndex)
            return Error::invalid("type does not have a descriptor", m_offset);
        u32 descriptor = m_module.types[target.index].descriptor;
        TRY(pop(canon(ValType::ref_index(descriptor, true, target.exact))));
    }
    TypeList label = TRY(label_types(index));
    if (label.size() == 0)
        return mismatch();
    ValType difference = source;
    difference.nullable = source.nullable && !target.nullable;
    bool on_fail = opcode == Opcode::BrOnCastFail || opcode == Opcode::BrOnCastDescEqFail;
    ValType branch = on_fail ? difference : target;
    ValType fallthrough = on_fail ? target : difference;
    if (!m_types.is_subtype(branch, canon(label[label.size() - 1])))
        return mismatch();
    TRY(pop(source));
    TypeList rest { label.data, label.size() - 1, label.single };
    TRY(pop_list(rest));
    TRY(push_list(rest));
    TRY(push(fallthrough));
    return {};
}

Result<void> FunctionValidator::visit_gc(const Instruction& instruction)
{
    Opcode opcode = instruction.opcode;
    u32 index = instruction.index0;
    switch (opcode) {
    case Opcode::StructNew:
    case Opcode::StructNewDefault:
    case Opcode::StructNewDesc:
    case Opcode::StructNewDefaultDesc: return visit_struct_new(instruction);
    case Opcode::StructGet:
    case Opcode::StructGetS:
    case Opcode::StructGetU:
    case Opcode::StructSet: return visit_struct_access(instruction);
    case Opcode::ArrayNew:
    case Opcode::ArrayNewDefault:
    case Opcode::ArrayNewFixed:
    case Opcode::ArrayNewData:
    case Opcode::ArrayNewElem: return visit_array_new(instruction);
    case Opcode::ArrayGet:
    case Opcode::ArrayGetS:
    case Opcode::ArrayGetU:
    case Opcode::ArraySet:
    case Opcode::ArrayFill:
    case Opcode::ArrayInitData:
    case Opcode::ArrayInitElem: return visit_array_access(instruction);
    case Opcode::RefTest:
    case Opcode::RefTestNull:
    case Opcode::RefCast:
    case Opcode::RefCastNull:
    case Opcode::RefCastDescEq:
    case Opcode::RefCastDescEqNull: return visit_cast(instruction);
    case Opcode::BrOnCast:
    case Opcode::BrOnCastFail:
    case Opcode::BrOnCastDescEq:
    case Opcode::BrOnCastDescEqFail: return visit_br_on_cast(instruction);
    case Opcode::ArrayLen:
        TRY(pop(ValType::ref(HeapKind::Array, true)));
        TRY(push(ValType::i32()));
        return {};
    case Opcode::ArrayCopy: {
        const SubType* destination = TRY(array_type(index));
        const SubType* source = TRY(array_type(instruction.index1));
        const FieldType& d = m_module.fields[destination->first];
        const FieldType& s = m_module.fields[source->first];
        if (!d.is_mutable)
            return Error::invalid("immutable array", m_offset);
        bool compatible = d.type.is_packed() || s.type.is_packed() ? d.type.kind == s.type.kind
                                                                   : m_types.is_subtype(canon(s.type), canon(d.type));
        if (!compatible)
            return Error::invalid("array types do not match", m_offset);
        TRY(pop(ValType::i32()));
        TRY(pop(ValType::i32()));
        TRY(pop(canon(ValType::ref_index(instruction.index1, true))));
        TRY(pop(ValType::i32()));
        TRY(pop(canon(ValType::ref_index(index, true))));
        return {};
    }
    case Opcode::AnyConvertExtern:
    case Opcode::ExternConvertAny: {
        bool to_any = opcode == Opcode::AnyConvertExtern;
        ValType operand = TRY(pop(ValType::ref(to_any ? HeapKind::Extern : HeapKind::Any, true)));
        bool nullable = operand.is_bottom() ? false : operand.nullable;
        TRY(push(ValType::ref(to_any ? HeapKind::Any : HeapKind::Extern, nullable)));
        return {};
    }
    case Opcode::RefI31:
        TRY(pop(ValType::i32()));
        TRY(push(ValType::ref(HeapKind::I31, false)));
        return {};
    case Opcode::I31GetS:
    case Opcode::I31GetU:
        TRY(pop(ValType::ref(HeapKind::I31, true)));
        TRY(push(ValType::i32()));
        return {};
    case Opcode::RefGetDesc: {
        if (index < m_module.types.size() && m_module.types[index].descriptor == kNoIndex)
            return Error::invalid("type without descriptor", m_offset);
        const SubType* type = TRY(struct_type(index));
        ValType operand = TRY(pop(canon(ValType::ref_index(index, true))));
        // Exact only for exact references to the inspected type itself (or
        // the bottom of its hierarchy, which has no values to disagree).
        bool exact = operand.is_bottom() || operand.heap == HeapKind::None
            || (operand.exact && operand.index == m_types.canon(ValType::ref_index(index, true)).index);
        TRY(push(canon(ValType::ref_index(type->descriptor, false, exact))));
        return {};
    }
    default:
        break;
    }
    return Error::invalid("unsupported instruction", m_offset);
}

} // namespace wk::engine
