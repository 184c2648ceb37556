// Control instructions of FunctionValidator: blocks and their frames, branches, calls
// and the parametric instructions (the spec's control and parametric groups).
#include "engine/binary/reader.h"
#include "engine/valid/function_validator.h"

namespace wk::engine {

Result<void> FunctionValidator::visit_control(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::Unreachable:
        set_unreachable();
        return {};
    case Opcode::Nop:
        return {};
    case Opcode::Drop:
        TRY(pop());
        return {};
    case Opcode::Select: {
        TRY(pop(ValType::i32()));
        ValType a = TRY(pop());
        ValType b = TRY(pop());
        if (a.is_ref() || b.is_ref())
            return mismatch();
        if (!a.is_bottom() && !b.is_bottom() && a != b)
            return mismatch();
        TRY(push(a.is_bottom() ? b : a));
        return {};
    }
    case Opcode::SelectT: {
        if (instruction.list_count != 1)
            return Error::invalid("invalid result arity", m_offset);
        ValType type = TRY(heap_type(instruction.type0));
        TRY(pop(ValType::i32()));
        TRY(pop(type));
        TRY(pop(type));
        TRY(push(type));
        return {};
    }
    case Opcode::Block:
    case Opcode::Loop:
    case Opcode::If:
    case Opcode::Try:
    case Opcode::Else:
    case Opcode::Catch:
    case Opcode::CatchAll:
    case Opcode::Delegate:
    case Opcode::End:
    case Opcode::TryTable:
        return visit_frame(instruction);
    case Opcode::Br:
    case Opcode::BrIf:
    case Opcode::BrTable:
    case Opcode::Return:
    case Opcode::Rethrow:
    case Opcode::BrOnNull:
    case Opcode::BrOnNonNull:
        return visit_branch(instruction);
    case Opcode::Call:
    case Opcode::ReturnCall:
    case Opcode::CallIndirect:
    case Opcode::ReturnCallIndirect:
    case Opcode::CallRef:
    case Opcode::ReturnCallRef:
        return visit_call(instruction);
    default:
        break;
    }
    return Error::invalid("unsupported instruction", m_offset);
}

// Instructions that open, switch or close a control frame.
Result<void> FunctionValidator::visit_frame(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::Block:
        return push_frame(FrameKind::Block, instruction.block);
    case Opcode::Loop:
        return push_frame(FrameKind::Loop, instruction.block);
    case Opcode::If:
        // The block type is checked before the condition is popped.
        if (instruction.block.kind == BlockType::Kind::Value)
            TRY(heap_type(instruction.block.value));
        else
            TRY(block_results(instruction.block));
        TRY(pop(ValType::i32()));
        return push_frame(FrameKind::If, instruction.block);
    case Opcode::Try:
        return push_frame(FrameKind::Try, instruction.block);
    case Opcode::Else: {
        ControlFrame& frame = m_controls.last();
        if (frame.kind != FrameKind::If)
            return Error::malformed("END opcode expected", m_offset);
        TRY(end_frame_check(frame));
        reset_locals_to(frame.init_height);
        frame.kind = FrameKind::Else;
        frame.unreachable = false;
        m_frame_unreachable = false;
        TRY(push_list(TRY(block_params(frame.block))));
        return {};
    }
    case Opcode::Catch:
    case Opcode::CatchAll: {
        ControlFrame& frame = m_controls.last();
        if (frame.kind != FrameKind::Try && frame.kind != FrameKind::Catch)
            return Error::malformed("END opcode expected", m_offset);
        if (instruction.opcode == Opcode::Catch && instruction.index0 >= m_module.tags.size())
            return Error::invalid("unknown tag", m_offset);
        TRY(end_frame_check(frame));
        reset_locals_to(frame.init_height);
        frame.unreachable = false;
        m_frame_unreachable = false;
        if (instruction.opcode == Opcode::Catch) {
            frame.kind = FrameKind::Catch;
            TRY(push_list(tag_params(instruction.index0)));
        } else {
            frame.kind = FrameKind::CatchAll;
        }
        return {};
    }
    case Opcode::Delegate: {
        ControlFrame frame = m_controls.last();
        if (frame.kind != FrameKind::Try)
            return Error::malformed("END opcode expected", m_offset);
        TRY(end_frame_check(frame));
        reset_locals_to(frame.init_height);
        m_controls.pop_back();
        sync_frame();
        if (instruction.index0 >= m_controls.size())
            return Error::invalid("unknown label", m_offset);
        TRY(push_list(TRY(block_results(frame.block))));
        return {};
    }
    case Opcode::End: {
        ControlFrame frame = m_controls.last();
        TRY(end_frame_check(frame));
        if (frame.kind == FrameKind::If) {
            TypeList params = TRY(block_params(frame.block));
            TypeList results = TRY(block_results(frame.block));
            if (params.size() != results.size())
                return mismatch();
            for (u32 i = 0; i < params.size(); ++i) {
                if (!m_types.is_subtype(canon(params[i]), canon(results[i])))
                    return mismatch();
            }
        }
        reset_locals_to(frame.init_height);
        m_controls.pop_back();
        sync_frame();
        if (!m_controls.is_empty())
            TRY(push_list(TRY(block_results(frame.block))));
        return {};
    }
    case Opcode::TryTable: {
        Reader clauses(m_module.bytes, instruction.list_offset, m_module.bytes.size());
        for (u32 i = 0; i < instruction.list_count; ++i) {
            CatchClause clause = TRY(read_catch_clause(clauses));
            TypeList label = TRY(label_types(clause.label));
            u32 count = 0;
            TypeList params;
            bool with_ref = clause.kind == CatchKind::CatchRef || clause.kind == CatchKind::CatchAllRef;
            if (clause.kind == CatchKind::Catch || clause.kind == CatchKind::CatchRef) {
                if (clause.tag >= m_module.tags.size())
                    return Error::invalid("unknown tag", m_offset);
                params = tag_params(clause.tag);
                count = params.size();
            }
            if (label.size() != count + (with_ref ? 1 : 0))
                return mismatch();
            for (u32 k = 0; k < count; ++k) {
                if (!m_types.is_subtype(canon(params[k]), canon(label[k])))
                    return mismatch();
            }
            if (with_ref && !m_types.is_subtype(ValType::ref(HeapKind::Exn, false), canon(label[count])))
                return mismatch();
        }
        return push_frame(FrameKind::TryTable, instruction.block);
    }
    default:
        break;
    }
    return Error::invalid("unsupported instruction", m_offset);
}

// Branches and returns: their operands are the target label's types.
Result<void> FunctionValidator::visit_branch(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::Br: {
        TRY(pop_list(TRY(label_types(instruction.index0))));
        set_unreachable();
        return {};
    }
    case Opcode::BrIf: {
        TRY(pop(ValType::i32()));
        TypeList types = TRY(label_types(instruction.index0));
        TRY(pop_list(types));
        TRY(push_list(types));
        return {};
    }
    case Opcode::BrTable: {
        TRY(pop(ValType::i32()));
        TypeList fallback = TRY(label_types(instruction.index0));
        Reader labels(m_module.bytes, instruction.list_offset, m_module.bytes.size());
        // Labels typed like the previous one need no second check: keeps a
        // long table of wide labels linear.
        TypeList checked { nullptr, ~u32 { 0 }, {} };
        for (u32 i = 0; i < instruction.list_count; ++i) {
            u32 label = TRY(labels.read_u32());
            TypeList types = TRY(label_types(label));
            if (types.size() != fallback.size())
                return mismatch();
            if (types.data == checked.data && types.count == checked.count && types.single == checked.single)
                continue;
            TRY(check_top(types));
            checked = types;
        }
        TRY(pop_list(fallback));
        set_unreachable();
        return {};
    }
    case Opcode::Return:
        TRY(pop_list(func_results_list(m_function_type)));
        set_unreachable();
        return {};
    case Opcode::Rethrow: {
        if (instruction.index0 >= m_controls.size())
            return Error::invalid("unknown label", m_offset);
        FrameKind kind = m_controls[m_controls.size() - 1 - instruction.index0].kind;
        if (kind != FrameKind::Catch && kind != FrameKind::CatchAll)
            return Error::invalid("invalid rethrow label", m_offset);
        set_unreachable();
        return {};
    }
    case Opcode::BrOnNull: {
        ValType type = TRY(pop_ref());
        TypeList label = TRY(label_types(instruction.index0));
        TRY(pop_list(label));
        TRY(push_list(label));
        if (type.heap == HeapKind::Bottom)
            TRY(push(ValType::bottom()));
        else
            TRY(push(ValType { ValKind::Ref, false, type.exact, type.heap, type.index }));
        return {};
    }
    case Opcode::BrOnNonNull: {
        ValType type = TRY(pop_ref());
        TypeList label = TRY(label_types(instruction.index0));
        if (label.size() == 0)
            return mismatch();
        ValType target = canon(label[label.size() - 1]);
        ValType non_null = type.heap == HeapKind::Bottom ? ValType::bottom()
                                                         : ValType { ValKind::Ref, false, type.exact, type.heap, type.index };
        if (!m_types.is_subtype(non_null, target))
            return mismatch();
        TypeList rest { label.data, label.size() - 1, label.single };
        TRY(pop_list(rest));
        TRY(push_list(rest));
        return {};
    }
    default:
        break;
    }
    return Error::invalid("unsupported instruction", m_offset);
}

Result<void> FunctionValidator::check_tail_call_results(u32 type)
{
    auto results = m_module.func_results(type);
    auto own = m_module.func_results(m_function_type);
    if (results.size() != own.size())
        return mismatch();
    for (usize i = 0; i < results.size(); ++i) {
        if (!m_types.is_subtype(canon(results[i]), canon(own[i])))
            return mismatch();
    }
    return {};
}

// Calls; a tail call returns what it calls, so the results must fit the caller's.
Result<void> FunctionValidator::visit_call(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::Call:
    case Opcode::ReturnCall: {
        if (instruction.index0 >= m_module.functions.size())
            return Error::invalid("unknown function", m_offset);
        u32 type = m_module.functions[instruction.index0].type_index;
        TRY(pop_list(func_params_list(type)));
        if (instruction.opcode == Opcode::ReturnCall) {
            TRY(check_tail_call_results(type));
            set_unreachable();
            return {};
        }
        TRY(push_list(func_results_list(type)));
        return {};
    }
    case Opcode::CallIndirect:
    case Opcode::ReturnCallIndirect:
    case Opcode::CallRef:
    case Opcode::ReturnCallRef: {
        u32 type = TRY(func_type(instruction.index0));
        if (instruction.opcode == Opcode::CallRef || instruction.opcode == Opcode::ReturnCallRef) {
            TRY(pop(canon(ValType::ref_index(type, true))));
        } else {
            const Table* entry = TRY(table(instruction.index1));
            if (!m_types.is_subtype(canon(entry->element_type), ValType::ref(HeapKind::Func, true)))
                return mismatch();
            TRY(pop(address_of(entry->limits)));
        }
        TRY(pop_list(func_params_list(type)));
        if (instruction.opcode == Opcode::ReturnCallIndirect || instruction.opcode == Opcode::ReturnCallRef) {
            TRY(check_tail_call_results(type));
            set_unreachable();
            return {};
        }
        TRY(push_list(func_results_list(type)));
        return {};
    }
    default:
        break;
    }
    return Error::invalid("unsupported instruction", m_offset);
}

// ---- exceptions ----

Result<void> FunctionValidator::visit_exception(const Instruction& instruction)
{
    if (instruction.opcode == Opcode::Throw) {
        if (instruction.index0 >= m_module.tags.size())
            return Error::invalid("unknown tag", m_offset);
        TRY(pop_list(tag_params(instruction.index0)));
    } else {
        TRY(pop(ValType::ref(HeapKind::Exn, true)));
    }
    set_unreachable();
    return {};
}

} // namespace wk::engine
