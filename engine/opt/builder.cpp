#include <algorithm>

#include "engine/binary/code_walker.h"
#include "engine/opt/builder.h"
#include "engine/platform.h"

namespace wk::engine::opt {

namespace {

// Why an instruction the builder has no translation for is refused, by the
// proposal it belongs to (engine/opcodes.def's feature column).
const char* unsupported_reason(Feature feature)
{
    switch (feature) {
    case Feature::Simd:
    case Feature::RelaxedSimd: return "optimising tier: SIMD not supported yet";
    case Feature::Threads: return "optimising tier: atomics not supported yet";
    case Feature::Exceptions:
    case Feature::LegacyExceptions: return "optimising tier: exceptions not supported yet";
    case Feature::Gc:
    case Feature::CustomDescriptors: return "optimising tier: GC instructions not supported yet";
    case Feature::WideArithmetic: return "optimising tier: wide arithmetic not supported yet";
    default: return "optimising tier: instruction not supported yet";
    }
}

} // namespace

Builder::Builder(const Module& module)
    : m_module(module)
    , m_types(module)
    , m_validator(const_cast<Module&>(module), m_types)
{
}

Type Builder::ir_type(ValType type) const
{
    switch (type.kind) {
    case ValKind::I32: return Type::I32;
    case ValKind::I64: return Type::I64;
    case ValKind::F32: return Type::F32;
    case ValKind::F64: return Type::F64;
    case ValKind::V128: return Type::V128;
    case ValKind::Ref:
        switch (m_types.top_heap(type)) {
        case HeapKind::Func: return Type::FuncRef;
        case HeapKind::Extern: return Type::ExternRef;
        case HeapKind::Exn: return Type::ExnRef;
        default: return Type::AnyRef;
        }
    default: return Type::None;
    }
}

Result<void> Builder::check_types(Span<const ValType> types)
{
    for (ValType type : types) {
        if (ir_type(type) == Type::None)
            return unsupported("optimising tier: value type not supported");
    }
    return {};
}

Result<Value> Builder::zero(Type type)
{
    u32 slot = static_cast<u32>(type);
    if (!is_ref(type) && m_zero[slot] != kNone)
        return m_zero[slot];
    Inst inst;
    if (is_ref(type)) {
        inst = TRY(m_function->append_inst(m_current, Op::RefNull, {}, type));
    } else {
        // v128 has no Const (whose imm holds at most 8 bytes): its zero is a
        // v128.const of zero bytes (imm, imm2, imm3 all 0).
        inst = TRY(m_function->append_inst(m_current, type == Type::V128 ? Op::V128Const : Op::Const, {}, type));
        m_zero[slot] = m_function->result(inst);
    }
    return m_function->result(inst);
}

Result<void> Builder::begin(u32 function_index)
{
    Function& function = *m_function;
    function.clear();
    function.set_wasm_index(function_index);
    const Code& code = m_module.codes[function_index - m_module.imported_function_count];
    m_offset = code.offset;
    // Generous for real code (a few words per wasm byte), small enough that a body
    // built to blow up (a br_table of thousands of entries each carrying the values
    // of a thousand locals) is refused instead of exhausting memory.
    m_budget = usize { code.size } * 256 + 65536;
    // Real code makes about one instruction per two bytes of body.
    TRY(function.reserve(code.size / 2 + 16));

    m_stack.clear();
    m_frames.clear();
    m_saved.clear();
    m_log.clear();
    m_incoming.clear();
    m_changes.clear();
    m_ssa_work = 0;
    m_stamp = 0;
    m_local_first.clear();
    m_loop_count = 0;
    m_dead = false;
    m_dead_depth = 0;
    m_osr_entry = kNone;
    m_loop_offsets.clear();
    for (Value& value : m_zero)
        value = kNone;

    TRY(m_validator.begin_function(function_index));
    u32 type_index = m_module.functions[function_index].type_index;
    Span<const ValType> params = m_module.func_params(type_index);
    Span<const ValType> results = m_module.func_results(type_index);
    TRY(check_types(m_validator.locals()));
    TRY(check_types(results));

    m_type_scratch.clear();
    for (ValType type : results)
        TRY(m_type_scratch.try_append(ir_type(type)));
    TRY(function.set_result_types(m_type_scratch.span()));

    u32 local_count = static_cast<u32>(m_validator.locals().size());
    m_local_types.clear();
    for (ValType type : m_validator.locals()) {
        TRY(m_local_types.try_append(ir_type(type)));
    }
    m_wasm_local_count = local_count;
    m_flag_local = kNone;
    m_osr_landed = false;
    m_osr_pending = kNone;
    m_osr_path.clear();
    if (m_osr_loop != kNone) {
        TRY(find_osr_path(function_index));
        if (!m_osr_path.is_empty()) {
            m_flag_local = local_count++;
            TRY(m_local_types.try_append(Type::I32));
        }
    }
    TRY(m_cur.try_resize(local_count, kNone));
    TRY(m_last_entry.try_resize(local_count, kNone));
    TRY(m_seen.try_resize(local_count, 0));
    TRY(m_slot.try_resize(local_count, 0));
    TRY(m_way_values.try_resize(local_count, kNone));
    for (u32 i = 0; i < local_count; ++i) {
        m_last_entry[i] = kNone;
        m_seen[i] = 0;
        m_way_values[i] = kNone;
    }
    TRY(scan_loop_assignments(function_index));
    m_all_locals.clear();
    if (m_osr_loop != kNone) {
        for (u32 i = 0; i < m_wasm_local_count; ++i)
            TRY(m_all_locals.try_append(i));
    }

    Block entry = TRY(function.create_block());
    function.set_entry(entry);
    TRY(switch_to(entry));
    for (u32 i = 0; i < params.size(); ++i)
        m_cur[i] = TRY(function.append_param(entry, m_local_types[i]));
    for (u32 i = static_cast<u32>(params.size()); i < local_count; ++i)
        m_cur[i] = TRY(zero(m_local_types[i]));

    Frame frame;
    frame.kind = FrameKind::Function;
    frame.result_count = static_cast<u32>(results.size());
    frame.block.kind = BlockType::Kind::Index;
    frame.block.index = type_index;
    TRY(m_frames.try_append(frame));
    return {};
}

Result<void> Builder::build(u32 function_index, Function& function)
{
    if (function_index < m_module.imported_function_count || function_index >= m_module.functions.size())
        return Error::from("optimising tier: not a defined function", ErrorKind::OutOfRange);
    m_function = &function;
    TRY(begin(function_index));
    const Code& code = m_module.codes[function_index - m_module.imported_function_count];
    Reader reader(m_module.bytes, code.code_offset, code.offset + code.size);
    TRY(walk_code(reader, *this));
    function.resolve_aliases();
    if (m_osr_loop != kNone) {
        if (!m_osr_landed)
            return unsupported("optimising tier: the OSR loop is not in reachable code");
        // The OSR entry replaces the function's: what only the old entry reached goes.
        function.set_entry(m_osr_entry);
        function.move_to_layout_front(m_osr_entry);
        TRY(function.remove_unreachable_blocks());
        function.sweep_dead_insts();
    }
    return prune_local_params();
}

Result<void> Builder::visit(const Instruction& instruction)
{
    m_offset = instruction.offset;
    u32 height_before = static_cast<u32>(m_validator.value_stack().size());
    TRY(m_validator.visit(instruction));
    if (instruction.opcode == Opcode::Loop)
        m_this_loop = m_loop_count++; // numbered as scan_loop_assignments numbers them
    if (m_dead)
        return visit_dead(instruction);
    TRY(check_budget());
    if (std::optional<Op> op = ir_op_for(instruction.opcode))
        return translate_simple(instruction, *op, height_before);
    return visit_live(instruction);
}

Result<void> Builder::visit_live(const Instruction& instruction)
{
    Function& function = *m_function;
    switch (instruction.opcode) {
    case Opcode::Nop: return {};
    case Opcode::Unreachable: {
        Inst trap = TRY(terminate(Op::Trap, {}, {}));
        function.inst(trap).imm = static_cast<u64>(TrapKind::Unreachable);
        m_dead = true;
        return {};
    }
    case Opcode::Block: return begin_block(instruction);
    case Opcode::Loop: return begin_loop(instruction);
    case Opcode::If: return begin_if(instruction);
    case Opcode::Else: return do_else();
    case Opcode::End: return do_end();
    case Opcode::Br: return do_br(instruction.index0);
    case Opcode::BrIf: return do_br_if(instruction.index0);
    case Opcode::BrTable: return do_br_table(instruction);
    case Opcode::Return: return do_return();
    case Opcode::Drop: m_stack.pop_back(); return {};
    case Opcode::LocalGet: return m_stack.try_append(read_local(instruction.index0));
    case Opcode::LocalSet: return write_local(instruction.index0, m_stack.pop_back());
    case Opcode::LocalTee: return write_local(instruction.index0, m_stack.last());
    case Opcode::I32Const:
    case Opcode::I64Const:
    case Opcode::F32Const:
    case Opcode::F64Const: {
        bool is_i32 = instruction.opcode == Opcode::I32Const;
        Type type = is_i32 ? Type::I32
            : instruction.opcode == Opcode::I64Const ? Type::I64
            : instruction.opcode == Opcode::F32Const ? Type::F32
                                                     : Type::F64;
        Inst inst = TRY(function.append_inst(m_current, Op::Const, {}, type));
        function.inst(inst).imm = is_i32 ? u64 { static_cast<u32>(instruction.bits) } : instruction.bits;
        function.inst(inst).wasm_offset = instruction.offset;
        return m_stack.try_append(function.result(inst));
    }
    case Opcode::Call:
    case Opcode::CallIndirect:
    case Opcode::CallRef:
    case Opcode::ReturnCall:
    case Opcode::ReturnCallIndirect:
    case Opcode::ReturnCallRef: return translate_call(instruction);
    case Opcode::BrOnNull:
    case Opcode::BrOnNonNull: return do_br_on_null(instruction);
    case Opcode::RefCast:
    case Opcode::RefCastNull:
    case Opcode::RefCastDescEq:
    case Opcode::RefCastDescEqNull: return do_ref_cast(instruction);
    case Opcode::BrOnCast:
    case Opcode::BrOnCastFail:
    case Opcode::BrOnCastDescEq:
    case Opcode::BrOnCastDescEqFail: return do_br_on_cast(instruction);
    case Opcode::Throw:
    case Opcode::ThrowRef: {
        bool by_tag = instruction.opcode == Opcode::Throw;
        u32 count = by_tag ? static_cast<u32>(m_module.func_params(m_module.tags[instruction.index0].type_index).size())
                           : 1;
        if (count > m_stack.size())
            return Error::from("optimising tier: operand stack out of step with the validator", ErrorKind::Generic,
                               m_offset);
        Span<const Value> args(m_stack.data() + m_stack.size() - count, count);
        Inst inst = TRY(terminate(by_tag ? Op::Throw : Op::ThrowRef, args, {}));
        function.inst(inst).imm2 = by_tag ? instruction.index0 : 0;
        truncate(m_stack, m_stack.size() - count);
        m_dead = true;
        return {};
    }
    default: return unsupported(unsupported_reason(opcode_info(instruction.opcode).feature));
    }
}

Result<void> Builder::translate_simple(const Instruction& instruction, Op op, u32 height_before)
{
    Function& function = *m_function;
    const OpInfo& info = op_info(op);
    Span<const ValType> after = m_validator.value_stack();
    u32 results = info.result_count;
    u32 pops = height_before + results - static_cast<u32>(after.size());
    if (pops > m_stack.size() || height_before != m_stack.size())
        return Error::from("optimising tier: operand stack out of step with the validator", ErrorKind::Generic,
                           m_offset);
    // At most two results (wide arithmetic), their types from the validator's stack.
    Type types[2] = { Type::None, Type::None };
    if (results > 2 || results > after.size())
        return Error::from("optimising tier: operand stack out of step with the validator", ErrorKind::Generic,
                           m_offset);
    for (u32 k = 0; k < results; ++k) {
        types[k] = ir_type(after[after.size() - results + k]);
        if (types[k] == Type::None)
            return unsupported("optimising tier: value type not supported");
    }
    Span<const Value> args(m_stack.data() + m_stack.size() - pops, pops);
    Inst inst = TRY(function.append_inst(m_current, op, args, Span<const Type>(types, results)));
    InstData& data = function.inst(inst);
    data.wasm_offset = instruction.offset;
    const OpcodeInfo& wasm = opcode_info(instruction.opcode);
    if (wasm.imm == ImmKind::MemArg || wasm.imm == ImmKind::MemArgLane) {
        const Memory& memory = m_module.memories[instruction.memarg.memory];
        data.imm = instruction.memarg.offset;
        data.imm2 = instruction.memarg.memory;
        data.access_log2 = wasm.align_log2;
        if (memory.limits.is_64)
            data.flags |= kAddress64;
        else if (memory.limits.page_size_log2 == 16 && instruction.memarg.offset <= 0x7FFF'FFFFu)
            data.flags |= kGuarded;
        if (wasm.imm == ImmKind::MemArgLane)
            data.imm3 = instruction.lane;
    } else if (wasm.imm == ImmKind::Lane) {
        data.imm3 = instruction.lane;
    } else if (wasm.imm == ImmKind::V128 || wasm.imm == ImmKind::Shuffle) {
        // The 16 bytes (constant or shuffle lanes): low 8 in imm, high 8 in imm2, imm3.
        __builtin_memcpy(&data.imm, instruction.v128, 8);
        __builtin_memcpy(&data.imm2, instruction.v128 + 8, 4);
        __builtin_memcpy(&data.imm3, instruction.v128 + 12, 4);
    } else if (wasm.imm == ImmKind::RefTypeHeap) {
        data.imm = pack_ref_type(instruction.type0); // ref.test
    } else if (wasm.imm != ImmKind::None && wasm.imm != ImmKind::HeapType && wasm.imm != ImmKind::SelectTypes) {
        // Index immediates (global, table, memory, segment, function); the decoder
        // leaves the fields of other instructions as they were.
        data.imm2 = instruction.index0;
        if (wasm.imm == ImmKind::Memory && m_module.memories[instruction.index0].limits.is_64)
            data.flags |= kAddress64; // memory.size/grow: their "a" operands are i64
        if (wasm.imm == ImmKind::TableCopy || wasm.imm == ImmKind::TableInit || wasm.imm == ImmKind::MemoryInit
            || wasm.imm == ImmKind::MemoryCopy || wasm.imm == ImmKind::TypeField || wasm.imm == ImmKind::TypeType
            || wasm.imm == ImmKind::TypeData || wasm.imm == ImmKind::TypeElem || wasm.imm == ImmKind::TypeSize)
            data.imm3 = instruction.index1;
    }
    truncate(m_stack, m_stack.size() - pops);
    for (u32 k = 0; k < results; ++k)
        TRY(m_stack.try_append(function.result(inst, k)));
    return {};
}

Result<void> Builder::translate_call(const Instruction& instruction)
{
    Function& function = *m_function;
    Opcode opcode = instruction.opcode;
    bool direct = opcode == Opcode::Call || opcode == Opcode::ReturnCall;
    bool tail = opcode == Opcode::ReturnCall || opcode == Opcode::ReturnCallIndirect || opcode == Opcode::ReturnCallRef;
    u32 type_index = direct ? m_module.functions[instruction.index0].type_index : instruction.index0;
    Span<const ValType> params = m_module.func_params(type_index);
    Span<const ValType> results = m_module.func_results(type_index);
    TRY(check_types(params));
    TRY(check_types(results));
    u32 arg_count = static_cast<u32>(params.size()) + (direct ? 0 : 1);
    if (arg_count > m_stack.size())
        return Error::from("optimising tier: operand stack out of step with the validator", ErrorKind::Generic,
                           m_offset);
    Op op = opcode == Opcode::Call               ? Op::Call
        : opcode == Opcode::CallIndirect         ? Op::CallIndirect
        : opcode == Opcode::CallRef              ? Op::CallRef
        : opcode == Opcode::ReturnCall           ? Op::ReturnCall
        : opcode == Opcode::ReturnCallIndirect   ? Op::ReturnCallIndirect
                                                 : Op::ReturnCallRef;
    Span<const Value> args(m_stack.data() + m_stack.size() - arg_count, arg_count);
    Inst inst;
    if (tail) {
        inst = TRY(terminate(op, args, {}));
    } else {
        m_type_scratch.clear();
        for (ValType type : results)
            TRY(m_type_scratch.try_append(ir_type(type)));
        inst = TRY(function.append_inst(m_current, op, args, m_type_scratch.span()));
    }
    InstData& data = function.inst(inst);
    data.imm2 = direct ? instruction.index0 : type_index;
    data.imm3 = opcode == Opcode::CallIndirect || opcode == Opcode::ReturnCallIndirect ? instruction.index1 : 0;
    data.wasm_offset = instruction.offset;
    truncate(m_stack, m_stack.size() - arg_count);
    if (tail) {
        m_dead = true;
        return {};
    }
    for (u32 k = 0; k < results.size(); ++k)
        TRY(m_stack.try_append(function.result(inst, k)));
    return {};
}

Result<void> Builder::visit_dead(const Instruction& instruction)
{
    switch (step_dead_code(instruction.opcode, m_dead_depth)) {
    case DeadCodeExit::Else:
        return do_else();
    case DeadCodeExit::End:
        return do_end();
    case DeadCodeExit::Catch:
    case DeadCodeExit::Delegate:
        // Only inside a legacy try, which the builder refuses before its body.
        return unsupported(unsupported_reason(Feature::LegacyExceptions));
    case DeadCodeExit::Stay:
        break;
    }
    return {};
}

} // namespace wk::engine::opt
