#include "engine/valid/function_validator.h"

#include "engine/binary/reader.h"

namespace wk::engine {
namespace {

// The table gives a lane instruction's lane size (opcodes.def, align_log2).
u32 lane_count(const OpcodeInfo& info) { return 16u >> info.align_log2; }



} // namespace

FunctionValidator::FunctionValidator(Module& module, const TypeContext& types)
    : m_module(module)
    , m_types(types)
{
    if (!module.memories.is_empty())
        m_memory0_address = address_of(module.memories[0].limits);
}

// ---- setup ----

Result<void> FunctionValidator::begin_function(u32 function_index)
{
    m_const_mode = false;
    m_stack.clear();
    m_controls.clear();
    m_locals.clear();
    m_local_set.clear();
    m_init_stack.clear();
    m_function_type = m_module.functions[function_index].type_index;
    const Code& code = m_module.codes[function_index - m_module.imported_function_count];
    m_offset = code.code_offset;
    auto params = m_module.func_params(m_function_type);
    TRY(m_locals.try_reserve(params.size() + code.local_count));
    TRY(m_local_set.try_reserve(params.size() + code.local_count));
    for (ValType param : params) {
        m_locals.append(canon(param));
        m_local_set.append(1);
    }
    for (const LocalRun& run : m_module.local_runs(code)) {
        ValType type = TRY(heap_type(run.type));
        u8 set = is_defaultable(type) ? 1 : 0;
        for (u32 i = 0; i < run.count; ++i) {
            m_locals.append(type);
            m_local_set.append(set);
        }
    }
    ControlFrame frame;
    frame.kind = FrameKind::Function;
    frame.block.kind = BlockType::Kind::Index;
    frame.block.index = m_function_type;
    frame.offset = code.code_offset;
    TRY(m_controls.try_append(frame));
    sync_frame();
    return {};
}

Result<void> FunctionValidator::begin_const_expr(ValType expected, u32 visible_globals, u32 offset)
{
    m_const_mode = true;
    m_visible_globals = visible_globals;
    m_const_result = canon(expected);
    m_stack.clear();
    m_controls.clear();
    m_locals.clear();
    m_local_set.clear();
    m_init_stack.clear();
    m_offset = offset;
    ControlFrame frame;
    frame.kind = FrameKind::Function;
    frame.block.kind = BlockType::Kind::Value;
    frame.block.value = m_const_result;
    frame.offset = offset;
    TRY(m_controls.try_append(frame));
    sync_frame();
    return {};
}

// ---- operand stack ----

Result<ValType> FunctionValidator::pop()
{
    if (m_stack.size() == m_frame_height) {
        if (m_frame_unreachable)
            return ValType::bottom();
        return mismatch();
    }
    return m_stack.pop();
}

Result<void> FunctionValidator::pop_list(const TypeList& types)
{
    for (u32 i = types.size(); i > 0; --i)
        TRY(pop(canon(types[i - 1])));
    return {};
}

// push_list(pop_list(types)) of the spec's algorithm: checks the top operands
// against types and keeps them; missing operands of polymorphic code become bottom.
Result<void> FunctionValidator::check_top(const TypeList& types)
{
    const ControlFrame& frame = m_controls.last();
    u32 count = types.size();
    u32 available = static_cast<u32>(m_stack.size()) - frame.height;
    if (count > available && !frame.unreachable)
        return mismatch();
    for (u32 k = 0; k < count && k < available; ++k) {
        if (!m_types.is_subtype(m_stack[m_stack.size() - 1 - k], canon(types[count - 1 - k])))
            return mismatch();
    }
    if (count > available)
        TRY(m_stack.insert(frame.height, ValType::bottom(), count - available));
    return {};
}

Result<void> FunctionValidator::push_list(const TypeList& types)
{
    for (u32 i = 0; i < types.size(); ++i)
        TRY(push(canon(types[i])));
    return {};
}

Result<ValType> FunctionValidator::pop_ref()
{
    ValType type = TRY(pop());
    if (type.is_bottom())
        return ValType { ValKind::Ref, true, false, HeapKind::Bottom, 0 };
    if (!type.is_ref())
        return mismatch();
    return type;
}

// ---- control stack ----

Result<TypeList> FunctionValidator::block_params(const BlockType& block)
{
    if (block.kind != BlockType::Kind::Index)
        return TypeList {};
    TRY(func_type(block.index));
    return func_params_list(block.index);
}

Result<TypeList> FunctionValidator::block_results(const BlockType& block)
{
    switch (block.kind) {
    case BlockType::Kind::Empty: return TypeList {};
    case BlockType::Kind::Value: return TypeList { nullptr, 1, block.value };
    case BlockType::Kind::Index:
        TRY(func_type(block.index));
        return func_results_list(block.index);
    }
    return TypeList {};
}

Result<TypeList> FunctionValidator::label_types(u32 depth)
{
    if (depth >= m_controls.size())
        return Error::invalid("unknown label", m_offset);
    const ControlFrame& frame = m_controls[m_controls.size() - 1 - depth];
    if (frame.kind == FrameKind::Loop)
        return block_params(frame.block);
    return block_results(frame.block);
}

Result<void> FunctionValidator::push_frame(FrameKind kind, const BlockType& block)
{
    if (block.kind != BlockType::Kind::Index && !block.value.is_ref()) [[likely]] {
        // No parameters and no type index to look up.
        ControlFrame frame;
        frame.kind = kind;
        frame.block = block;
        frame.height = static_cast<u32>(m_stack.size());
        frame.init_height = static_cast<u32>(m_init_stack.size());
        frame.offset = m_offset;
        TRY(m_controls.try_append(frame));
        sync_frame();
        return {};
    }
    if (block.kind == BlockType::Kind::Value)
        TRY(heap_type(block.value));
    TypeList params = TRY(block_params(block));
    TRY(block_results(block));
    TRY(pop_list(params));
    ControlFrame frame;
    frame.kind = kind;
    frame.block = block;
    if (block.kind == BlockType::Kind::Value)
        frame.block.value = canon(block.value);
    frame.height = static_cast<u32>(m_stack.size());
    frame.init_height = static_cast<u32>(m_init_stack.size());
    frame.offset = m_offset;
    TRY(m_controls.try_append(frame));
    sync_frame();
    TRY(push_list(params));
    return {};
}

// Checks that the operand stack holds exactly the frame's results.
Result<void> FunctionValidator::end_frame_check(const ControlFrame& frame)
{
    if (frame.block.kind == BlockType::Kind::Empty) {
        if (m_stack.size() != frame.height)
            return mismatch();
        return {};
    }
    TypeList results = TRY(block_results(frame.block));
    TRY(pop_list(results));
    if (m_stack.size() != frame.height)
        return mismatch();
    return {};
}

void FunctionValidator::set_unreachable()
{
    ControlFrame& frame = m_controls.last();
    m_stack.truncate(frame.height);
    frame.unreachable = true;
    m_frame_unreachable = true;
}

void FunctionValidator::reset_locals_to(u32 init_height)
{
    while (m_init_stack.size() > init_height)
        m_local_set[m_init_stack.pop_back()] = 0;
}

// ---- module lookups ----

Result<u32> FunctionValidator::func_type(u32 type_index)
{
    if (type_index >= m_module.types.size() || m_module.types[type_index].kind != CompositeKind::Func)
        return Error::invalid("unknown type", m_offset);
    return type_index;
}

Result<const SubType*> FunctionValidator::struct_type(u32 type_index)
{
    if (type_index >= m_module.types.size())
        return Error::invalid("unknown type", m_offset);
    if (m_module.types[type_index].kind != CompositeKind::Struct)
        return mismatch();
    return &m_module.types[type_index];
}

Result<const SubType*> FunctionValidator::array_type(u32 type_index)
{
    if (type_index >= m_module.types.size())
        return Error::invalid("unknown type", m_offset);
    if (m_module.types[type_index].kind != CompositeKind::Array)
        return mismatch();
    return &m_module.types[type_index];
}

Result<ValType> FunctionValidator::heap_type(ValType type)
{
    if (type.has_index() && type.index >= m_module.types.size())
        return Error::invalid("unknown type", m_offset);
    return canon(type);
}

Result<const Memory*> FunctionValidator::memory(u32 index)
{
    if (index >= m_module.memories.size())
        return Error::invalid("unknown memory", m_offset);
    return &m_module.memories[index];
}

Result<const Table*> FunctionValidator::table(u32 index)
{
    if (index >= m_module.tables.size())
        return Error::invalid("unknown table", m_offset);
    return &m_module.tables[index];
}

Result<ValType> FunctionValidator::address_type(u32 memory_index)
{
    return address_of(TRY(memory(memory_index))->limits);
}

TypeList FunctionValidator::func_params_list(u32 type_index) const
{
    auto params = m_module.func_params(type_index);
    return TypeList { params.data(), static_cast<u32>(params.size()), {} };
}

TypeList FunctionValidator::func_results_list(u32 type_index) const
{
    auto results = m_module.func_results(type_index);
    return TypeList { results.data(), static_cast<u32>(results.size()), {} };
}

TypeList FunctionValidator::tag_params(u32 tag_index) const
{
    return func_params_list(m_module.tags[tag_index].type_index);
}

// ---- dispatch ----

Result<void> FunctionValidator::visit_general(const Instruction& instruction)
{
    m_offset = instruction.offset;
    if (m_const_mode) [[unlikely]]
        TRY(check_constant(instruction));
    // The most frequent instructions first, without further dispatch.
    switch (instruction.opcode) {
    case Opcode::LocalGet: {
        u32 index = instruction.index0;
        if (index >= m_locals.size() || !m_local_set[index]) [[unlikely]]
            break;
        return push(m_locals[index]);
    }
    case Opcode::LocalSet: {
        u32 index = instruction.index0;
        if (index >= m_locals.size() || !m_local_set[index]) [[unlikely]]
            break;
        TRY(pop(m_locals[index]));
        return {};
    }
    case Opcode::I32Const:
        return push(ValType::i32());
    default:
        break;
    }
    const detail::SimpleSignature& signature = detail::kSimpleSignatures.entries[static_cast<u16>(instruction.opcode)];
    if (signature.is_simple) {
        for (u32 i = signature.param_count; i > 0; --i)
            TRY(pop(signature.params[i - 1]));
        for (u32 i = 0; i < signature.result_count; ++i)
            TRY(push(signature.results[i]));
        return {};
    }
    const OpcodeInfo& info = opcode_info(instruction.opcode);
    if (info.has_signature)
        return visit_simple(instruction, info);
    switch (info.feature) {
    case Feature::Gc:
    case Feature::CustomDescriptors:
        if (instruction.opcode != Opcode::RefEq) {
            m_saw_gc = true;
            return visit_gc(instruction);
        }
        break;
    case Feature::Exceptions:
    case Feature::LegacyExceptions:
        if (info.feature == Feature::LegacyExceptions)
            m_saw_legacy_exceptions = true;
        if (instruction.opcode != Opcode::ThrowRef && instruction.opcode != Opcode::Throw)
            return visit_control(instruction);
        return visit_exception(instruction);
    default:
        break;
    }
    switch (info.imm) {
    case ImmKind::Local:
    case ImmKind::Global:
        return visit_variable(instruction);
    case ImmKind::Table:
    case ImmKind::TableCopy:
    case ImmKind::TableInit:
    case ImmKind::Elem:
        return visit_table(instruction);
    case ImmKind::Memory:
    case ImmKind::MemoryCopy:
    case ImmKind::MemoryInit:
    case ImmKind::Data:
    case ImmKind::AtomicFence:
        return visit_memory(instruction);
    default:
        break;
    }
    switch (instruction.opcode) {
    case Opcode::RefNull:
    case Opcode::RefIsNull:
    case Opcode::RefFunc:
    case Opcode::RefEq:
    case Opcode::RefAsNonNull:
        return visit_reference(instruction);
    default:
        return visit_control(instruction);
    }
}

Result<void> FunctionValidator::visit_simple(const Instruction& instruction, const OpcodeInfo& info)
{
    ValType address = ValType::i32();
    switch (info.imm) {
    case ImmKind::MemArg:
    case ImmKind::MemArgLane: {
        const Memory* mem = TRY(memory(instruction.memarg.memory));
        address = address_of(mem->limits);
        if (info.feature == Feature::Threads) {
            if (instruction.opcode == Opcode::MemoryAtomicNotify || instruction.opcode == Opcode::MemoryAtomicWait32
                || instruction.opcode == Opcode::MemoryAtomicWait64)
                m_saw_atomic_wait_notify = true;
            if (instruction.memarg.align_log2 != info.align_log2)
                return Error::invalid("alignment must be equal to natural", m_offset);
        } else if (instruction.memarg.align_log2 > info.align_log2) {
            return Error::invalid("alignment must not be larger than natural", m_offset);
        }
        if (!mem->limits.is_64 && instruction.memarg.offset > 0xFFFFFFFFull)
            return Error::invalid("offset out of range", m_offset);
        if (info.imm == ImmKind::MemArgLane && instruction.lane >= lane_count(info))
            return Error::invalid("invalid lane index", m_offset);
        break;
    }
    case ImmKind::Memory:
        address = TRY(address_type(instruction.index0));
        break;
    case ImmKind::Lane:
        if (instruction.lane >= lane_count(info))
            return Error::invalid("invalid lane index", m_offset);
        break;
    case ImmKind::Shuffle:
        for (u8 lane : instruction.v128) {
            if (lane >= 32)
                return Error::invalid("invalid lane index", m_offset);
        }
        break;
    default:
        break;
    }
    for (u32 i = info.param_count; i > 0; --i)
        TRY(pop(detail::sig_type(info.params[i - 1], address)));
    for (u32 i = 0; i < info.result_count; ++i)
        TRY(push(detail::sig_type(info.results[i], address)));
    return {};
}

// ---- control ----

// ---- locals and globals ----

Result<void> FunctionValidator::visit_variable(const Instruction& instruction)
{
    u32 index = instruction.index0;
    switch (instruction.opcode) {
    case Opcode::LocalGet:
        if (index >= m_locals.size())
            return Error::invalid("unknown local", m_offset);
        if (!m_local_set[index])
            return Error::invalid("uninitialized local", m_offset);
        TRY(push(m_locals[index]));
        return {};
    case Opcode::LocalSet:
    case Opcode::LocalTee:
        if (index >= m_locals.size())
            return Error::invalid("unknown local", m_offset);
        TRY(pop(m_locals[index]));
        if (!m_local_set[index]) {
            m_local_set[index] = 1;
            TRY(m_init_stack.try_append(index));
        }
        if (instruction.opcode == Opcode::LocalTee)
            TRY(push(m_locals[index]));
        return {};
    case Opcode::GlobalGet: {
        u32 visible = m_const_mode ? m_visible_globals : static_cast<u32>(m_module.globals.size());
        if (index >= visible)
            return Error::invalid("unknown global", m_offset);
        const Global& global = m_module.globals[index];
        if (m_const_mode && global.is_mutable)
            return Error::invalid("constant expression required", m_offset);
        TRY(push(canon(global.type)));
        return {};
    }
    case Opcode::GlobalSet: {
        if (index >= m_module.globals.size())
            return Error::invalid("unknown global", m_offset);
        const Global& global = m_module.globals[index];
        if (!global.is_mutable)
            return Error::invalid("immutable global", m_offset);
        TRY(pop(canon(global.type)));
        return {};
    }
    default:
        break;
    }
    return Error::invalid("unsupported instruction", m_offset);
}

// ---- memories ----

Result<void> FunctionValidator::visit_memory(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::MemoryInit: {
        ValType address = TRY(address_type(instruction.index1));
        if (!m_module.has_data_count)
            return Error::malformed("data count section required", m_offset);
        if (instruction.index0 >= m_module.data_count)
            return Error::invalid("unknown data segment", m_offset);
        TRY(pop(ValType::i32()));
        TRY(pop(ValType::i32()));
        TRY(pop(address));
        return {};
    }
    case Opcode::DataDrop:
        if (!m_module.has_data_count)
            return Error::malformed("data count section required", m_offset);
        if (instruction.index0 >= m_module.data_count)
            return Error::invalid("unknown data segment", m_offset);
        return {};
    case Opcode::MemoryCopy: {
        ValType destination = TRY(address_type(instruction.index0));
        ValType source = TRY(address_type(instruction.index1));
        ValType length = destination == ValType::i64() && source == ValType::i64() ? ValType::i64() : ValType::i32();
        TRY(pop(length));
        TRY(pop(source));
        TRY(pop(destination));
        return {};
    }
    case Opcode::MemoryFill: {
        ValType address = TRY(address_type(instruction.index0));
        TRY(pop(address));
        TRY(pop(ValType::i32()));
        TRY(pop(address));
        return {};
    }
    case Opcode::AtomicFence:
        return {};
    default:
        break;
    }
    return Error::invalid("unsupported instruction", m_offset);
}

// ---- tables ----

Result<void> FunctionValidator::visit_table(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::TableGet: {
        const Table* entry = TRY(table(instruction.index0));
        TRY(pop(address_of(entry->limits)));
        TRY(push(canon(entry->element_type)));
        return {};
    }
    case Opcode::TableSet: {
        const Table* entry = TRY(table(instruction.index0));
        TRY(pop(canon(entry->element_type)));
        TRY(pop(address_of(entry->limits)));
        return {};
    }
    case Opcode::TableSize: {
        const Table* entry = TRY(table(instruction.index0));
        TRY(push(address_of(entry->limits)));
        return {};
    }
    case Opcode::TableGrow: {
        const Table* entry = TRY(table(instruction.index0));
        ValType address = address_of(entry->limits);
        TRY(pop(address));
        TRY(pop(canon(entry->element_type)));
        TRY(push(address));
        return {};
    }
    case Opcode::TableFill: {
        const Table* entry = TRY(table(instruction.index0));
        ValType address = address_of(entry->limits);
        TRY(pop(address));
        TRY(pop(canon(entry->element_type)));
        TRY(pop(address));
        return {};
    }
    case Opcode::TableCopy: {
        const Table* destination = TRY(table(instruction.index0));
        const Table* source = TRY(table(instruction.index1));
        if (!m_types.is_subtype(canon(source->element_type), canon(destination->element_type)))
            return mismatch();
        ValType d = address_of(destination->limits);
        ValType s = address_of(source->limits);
        TRY(pop(d == ValType::i64() && s == ValType::i64() ? ValType::i64() : ValType::i32()));
        TRY(pop(s));
        TRY(pop(d));
        return {};
    }
    case Opcode::TableInit: {
        const Table* destination = TRY(table(instruction.index1));
        if (instruction.index0 >= m_module.elements.size())
            return Error::invalid("unknown elem segment", m_offset);
        if (!m_types.is_subtype(canon(m_module.elements[instruction.index0].type), canon(destination->element_type)))
            return mismatch();
        TRY(pop(ValType::i32()));
        TRY(pop(ValType::i32()));
        TRY(pop(address_of(destination->limits)));
        return {};
    }
    case Opcode::ElemDrop:
        if (instruction.index0 >= m_module.elements.size())
            return Error::invalid("unknown elem segment", m_offset);
        return {};
    default:
        break;
    }
    return Error::invalid("unsupported instruction", m_offset);
}

// ---- references ----

Result<void> FunctionValidator::visit_reference(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::RefNull: {
        ValType type = TRY(heap_type(instruction.type0));
        type.nullable = true;
        TRY(push(type));
        return {};
    }
    case Opcode::RefIsNull:
        TRY(pop_ref());
        TRY(push(ValType::i32()));
        return {};
    case Opcode::RefFunc: {
        if (instruction.index0 >= m_module.functions.size())
            return Error::invalid("unknown function", m_offset);
        if (m_const_mode)
            m_module.declared_functions[instruction.index0] = true;
        else if (!m_module.declared_functions[instruction.index0])
            return Error::invalid("undeclared function reference", m_offset);
        const Function& function = m_module.functions[instruction.index0];
        TRY(push(canon(ValType::ref_index(function.type_index, false, !function.is_imported || function.is_exact))));
        return {};
    }
    case Opcode::RefEq:
        TRY(pop(ValType::ref(HeapKind::Eq, true)));
        TRY(pop(ValType::ref(HeapKind::Eq, true)));
        TRY(push(ValType::i32()));
        return {};
    case Opcode::RefAsNonNull: {
        ValType type = TRY(pop_ref());
        if (type.heap == HeapKind::Bottom) {
            TRY(push(ValType::bottom()));
        } else {
            type.nullable = false;
            TRY(push(type));
        }
        return {};
    }
    default:
        break;
    }
    return Error::invalid("unsupported instruction", m_offset);
}

// ---- constant expressions ----

Result<void> FunctionValidator::check_constant(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::I32Const:
    case Opcode::I64Const:
    case Opcode::F32Const:
    case Opcode::F64Const:
    case Opcode::V128Const:
    case Opcode::RefNull:
    case Opcode::RefFunc:
    case Opcode::GlobalGet:
    case Opcode::I32Add:
    case Opcode::I32Sub:
    case Opcode::I32Mul:
    case Opcode::I64Add:
    case Opcode::I64Sub:
    case Opcode::I64Mul:
    case Opcode::RefI31:
    case Opcode::StructNew:
    case Opcode::StructNewDefault:
    case Opcode::StructNewDesc:
    case Opcode::StructNewDefaultDesc:
    case Opcode::ArrayNew:
    case Opcode::ArrayNewDefault:
    case Opcode::ArrayNewFixed:
    case Opcode::AnyConvertExtern:
    case Opcode::ExternConvertAny:
    case Opcode::End:
        return {};
    default:
        return Error::invalid("constant expression required", instruction.offset);
    }
}

} // namespace wk::engine
