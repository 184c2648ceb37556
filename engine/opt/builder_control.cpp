// Structured wasm control flow to blocks and edges (see builder.h).
//
// block  -> a merge block whose parameters are the block's results; code goes on
//           in the current block
// loop   -> jump to a header block whose parameters are the loop's parameters and
//           the locals the loop assigns; at the loop's end, when all back edges are
//           known, those whose arguments are all one value go
// if     -> brif to a then block and an else block (both sealed: one predecessor),
//           and a merge block as for block
// (locals: builder_ssa.cpp)
// br*    -> edges carrying the target's values; branches to the function's label
//           go to an exit block that returns its parameters
#include "engine/opt/builder.h"
#include "engine/platform.h"

namespace wk::engine::opt {

Result<void> Builder::block_types(const BlockType& block, Span<const ValType>& params, Span<const ValType>& results)
{
    switch (block.kind) {
    case BlockType::Kind::Empty:
        params = {};
        results = {};
        break;
    case BlockType::Kind::Value:
        params = {};
        results = Span<const ValType>(&block.value, 1);
        break;
    case BlockType::Kind::Index:
        params = m_module.func_params(block.index);
        results = m_module.func_results(block.index);
        break;
    }
    TRY(check_types(params));
    return check_types(results);
}

Result<Block> Builder::create_block_with_params(Span<const ValType> types)
{
    Block block = TRY(m_function->create_block());
    for (ValType type : types)
        TRY(m_function->append_param(block, ir_type(type)));
    return block;
}

Result<void> Builder::push_block_params(Block block, u32 count)
{
    for (Value param : m_function->params(block).first(count))
        TRY(m_stack.try_append(param));
    return {};
}

Result<void> Builder::append_branch_args(const Frame& target, u32 count)
{
    if (count > m_stack.size())
        return Error::from("optimising tier: operand stack out of step with the validator", ErrorKind::Generic,
                           m_offset);
    TRY(m_branch_args.try_extend(Span<const Value>(m_stack.data() + m_stack.size() - count, count)));
    return append_local_args(target, m_branch_args);
}

Result<Inst> Builder::terminate(Op op, Span<const Value> args, Span<const EdgeSpec> edges)
{
    Inst inst = TRY(m_function->append_terminator(m_current, op, args, edges));
    m_function->inst(inst).wasm_offset = m_offset;
    m_current = kNone;
    return inst;
}

Result<void> Builder::switch_to(Block block)
{
    TRY(m_function->append_to_layout(block));
    m_current = block;
    return {};
}

Result<Block> Builder::exit_block()
{
    Frame& function_frame = m_frames.first();
    if (function_frame.target == kNone) {
        u32 type_index = function_frame.block.index;
        function_frame.target = TRY(create_block_with_params(m_module.func_results(type_index)));
    }
    return function_frame.target;
}

Result<Block> Builder::branch_target(Frame& target, u32& count)
{
    if (target.kind == FrameKind::Loop) {
        count = target.param_count;
        return target.target;
    }
    count = target.result_count;
    if (target.kind == FrameKind::Function)
        return exit_block();
    return target.target;
}

Builder::Frame Builder::new_frame(FrameKind kind, BlockType block, Span<const ValType> params,
                                  Span<const ValType> results)
{
    Frame frame;
    frame.kind = kind;
    frame.block = block;
    frame.param_count = static_cast<u32>(params.size());
    frame.result_count = static_cast<u32>(results.size());
    return frame;
}

Result<void> Builder::begin_block(const Instruction& instruction)
{
    Span<const ValType> params, results;
    TRY(block_types(instruction.block, params, results));
    Frame frame = new_frame(FrameKind::Block, instruction.block, params, results);
    frame.height = static_cast<u32>(m_stack.size()) - frame.param_count;
    frame.target = TRY(create_block_with_params(results));
    frame.log_start = static_cast<u32>(m_log.size());
    return m_frames.try_append(frame);
}

Result<void> Builder::begin_loop(const Instruction& instruction)
{
    TRY(m_loop_offsets.try_append(instruction.offset));
    bool at_osr_loop = m_osr_loop != kNone && instruction.offset == m_osr_loop && !m_osr_landed;
    if (at_osr_loop && m_osr_entry == kNone)
        return begin_osr_loop(instruction);
    Span<const ValType> params, results;
    TRY(block_types(instruction.block, params, results));
    // The way in to the OSR loop through the loops around it (builder_osr.cpp).
    bool on_path = on_osr_path(instruction.offset);
    bool dispatch = params.empty() && m_stack.is_empty() && on_path;
    if (at_osr_loop || dispatch)
        TRY(land_osr_way(at_osr_loop));
    u32 count = static_cast<u32>(params.size());
    Frame frame = new_frame(FrameKind::Loop, instruction.block, params, results);
    frame.loop = m_this_loop;
    frame.flag = on_path; // the flag changes in every loop on the way in
    frame.all_locals = on_path || at_osr_loop;
    frame.target = TRY(create_block_with_params(params));
    TRY(add_header_params(frame.target, frame));
    m_branch_args.clear();
    TRY(append_branch_args(frame, count));
    EdgeSpec edge { frame.target, m_branch_args.span() };
    TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&edge, 1)));
    truncate(m_stack, m_stack.size() - count);
    TRY(switch_to(frame.target));
    frame.height = static_cast<u32>(m_stack.size());
    frame.log_start = static_cast<u32>(m_log.size());
    TRY(push_block_params(frame.target, count));
    TRY(m_frames.try_append(frame));
    TRY(define_header_locals(m_frames.last()));
    return dispatch ? dispatch_osr_way() : Result<void> {};
}

// NOTE: the OSR entry (see builder.h). The operand stack below the loop's parameters
// cannot change inside the loop, and the OSR entry dominates every block still reachable
// once the old entry is gone: those entries become the OSR entry's parameters directly,
// and the header keeps only the loop's parameters (so branches to it are as usual).
// Locals reach the loop through the SSA construction (the OSR block defines every one).
// Values cached for reuse (m_zero) were defined before the loop and are dropped.
Result<void> Builder::begin_osr_loop(const Instruction& instruction)
{
    Function& function = *m_function;
    Span<const ValType> params, results;
    TRY(block_types(instruction.block, params, results));
    // Every local and operand is a parameter of the entry, live at once: bound them so a
    // body with a huge frame does not make the one OSR compile slow.
    if (m_wasm_local_count + m_stack.size() > kMaxOsrValues)
        return unsupported("implementation limit: too many locals and operands for an OSR entry");
    u32 count = static_cast<u32>(params.size());
    u32 height = static_cast<u32>(m_stack.size()) - count;
    Frame frame = new_frame(FrameKind::Loop, instruction.block, params, results);
    frame.height = height;
    frame.loop = m_this_loop;
    frame.flag = m_flag_local != kNone;
    frame.all_locals = true;
    frame.target = TRY(create_block_with_params(params));
    Block header = frame.target;
    TRY(add_header_params(header, frame));
    m_branch_args.clear();
    TRY(append_branch_args(frame, count));
    EdgeSpec old_way { header, m_branch_args.span() };
    TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&old_way, 1)));

    // Every local is defined anew by the entry (logged as assigned, so that the merges
    // of the constructs around the loop take them from here, not from the old way).
    Block entry = TRY(function.create_block());
    TRY(switch_to(entry));
    for (u32 i = 0; i < m_wasm_local_count; ++i)
        TRY(write_local(i, TRY(function.append_param(entry, m_local_types[i]))));
    if (m_flag_local != kNone)
        TRY(write_flag(0));
    for (Value& value : m_stack)
        value = TRY(function.append_param(entry, function.value(value).type));
    m_branch_args.clear();
    TRY(append_branch_args(frame, count));
    EdgeSpec osr_way { header, m_branch_args.span() };
    TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&osr_way, 1)));
    m_osr_entry = entry;
    m_osr_landed = true;
    for (Value& value : m_zero)
        value = kNone;

    TRY(switch_to(header));
    truncate(m_stack, height);
    TRY(push_block_params(header, count));
    frame.log_start = static_cast<u32>(m_log.size());
    TRY(m_frames.try_append(frame));
    return define_header_locals(m_frames.last());
}

Result<void> Builder::begin_if(const Instruction& instruction)
{
    Span<const ValType> params, results;
    TRY(block_types(instruction.block, params, results));
    Value condition = m_stack.pop_back();
    Block then_block = TRY(create_block_with_params({}));
    Block else_block = TRY(create_block_with_params({}));
    Block merge = TRY(create_block_with_params(results));
    EdgeSpec edges[2] = { { then_block, {} }, { else_block, {} } };
    TRY(terminate(Op::Branch, Span<const Value>(&condition, 1), Span<const EdgeSpec>(edges, 2)));

    Frame frame = new_frame(FrameKind::If, instruction.block, params, results);
    frame.height = static_cast<u32>(m_stack.size()) - frame.param_count;
    frame.target = merge;
    frame.else_block = else_block;
    frame.saved = static_cast<u32>(m_saved.size());
    frame.log_start = static_cast<u32>(m_log.size());
    TRY(m_saved.try_extend(Span<const Value>(m_stack.data() + frame.height, frame.param_count)));
    TRY(m_frames.try_append(frame));
    return switch_to(then_block);
}

// Ends the current block with a jump to the frame's merge block carrying its results.
Result<void> Builder::do_else()
{
    Frame& frame = m_frames.last();
    if (!m_dead) {
        EdgeSpec edge { frame.target,
                        Span<const Value>(m_stack.data() + m_stack.size() - frame.result_count, frame.result_count) };
        Inst jump = TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&edge, 1)));
        TRY(note_incoming(frame, m_function->inst(jump).first_edge));
    }
    undo_to(frame.log_start); // the else branch starts from the definitions at the if
    truncate(m_stack, frame.height);
    TRY(m_stack.try_extend(Span<const Value>(m_saved.data() + frame.saved, frame.param_count)));
    Block else_block = frame.else_block;
    frame.else_block = kNone;
    m_dead = false;
    return switch_to(else_block);
}

Result<void> Builder::do_end()
{
    Frame& frame = m_frames.last();
    Function& function = *m_function;
    if (frame.kind == FrameKind::Loop) {
        // Every edge into the header is known: the locals that stayed one value go.
        drop_trivial_params(frame.target, frame.param_count);
        u32 start = frame.log_start;
        m_frames.pop_back();
        fold_log_into_parent(start);
        return {};
    }
    if (frame.kind == FrameKind::Function) {
        Block exit = frame.target;
        if (exit == kNone) {
            if (!m_dead)
                TRY(terminate(Op::Return, Span<const Value>(m_stack.data() + m_stack.size() - frame.result_count,
                                                             frame.result_count),
                              {}));
        } else {
            if (!m_dead) {
                EdgeSpec edge { exit, Span<const Value>(m_stack.data() + m_stack.size() - frame.result_count,
                                                        frame.result_count) };
                TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&edge, 1)));
            }
            if (!function.preds(exit).empty()) {
                TRY(switch_to(exit));
                Span<const u32> params = function.params(exit);
                TRY(terminate(Op::Return, params, {}));
            }
        }
        m_stack.clear();
        m_frames.pop_back();
        m_dead = true;
        return {};
    }

    // Block or If.
    if (!m_dead) {
        EdgeSpec edge { frame.target,
                        Span<const Value>(m_stack.data() + m_stack.size() - frame.result_count, frame.result_count) };
        Inst jump = TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&edge, 1)));
        TRY(note_incoming(frame, function.inst(jump).first_edge));
    }
    if (frame.kind == FrameKind::If && frame.else_block != kNone) {
        // No else: the false branch passes the parameters on as the results, and the
        // locals as they were at the if.
        undo_to(frame.log_start);
        TRY(switch_to(frame.else_block));
        EdgeSpec edge { frame.target, Span<const Value>(m_saved.data() + frame.saved, frame.param_count) };
        Inst jump = TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&edge, 1)));
        TRY(note_incoming(frame, function.inst(jump).first_edge));
    }
    Frame ended = frame;
    truncate(m_stack, ended.height);
    if (ended.kind == FrameKind::If)
        truncate(m_saved, ended.saved);
    m_frames.pop_back();
    TRY(merge_locals(ended));
    Block merge = ended.target;
    if (function.preds(merge).empty()) {
        m_dead = true;
        return {};
    }
    m_dead = false;
    TRY(switch_to(merge));
    return push_block_params(merge, ended.result_count);
}

Result<void> Builder::do_br(u32 depth)
{
    u32 count = 0;
    Block target = TRY(branch_target(frame(depth), count));
    m_branch_args.clear();
    TRY(append_branch_args(frame(depth), count));
    EdgeSpec edge { target, m_branch_args.span() };
    Inst jump = TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&edge, 1)));
    TRY(note_branch(depth, jump, 0));
    m_dead = true;
    return {};
}

Result<void> Builder::do_br_if(u32 depth)
{
    Value condition = m_stack.pop_back();
    u32 count = 0;
    Block target = TRY(branch_target(frame(depth), count));
    m_branch_args.clear();
    TRY(append_branch_args(frame(depth), count));
    Block next = TRY(create_block_with_params({}));
    EdgeSpec edges[2] = { { target, m_branch_args.span() }, { next, {} } };
    Inst branch = TRY(terminate(Op::Branch, Span<const Value>(&condition, 1), Span<const EdgeSpec>(edges, 2)));
    TRY(note_branch(depth, branch, 0));
    return switch_to(next);
}

// One edge per distinct target, and a case table of edge positions, so that a
// br_table of many entries costs one edge (with its arguments) per target.
Result<void> Builder::do_br_table(const Instruction& instruction)
{
    Value index = m_stack.pop_back();
    u32 depth_count = static_cast<u32>(m_frames.size());
    if (m_depth_slot.size() < depth_count) {
        usize old = m_depth_slot.size();
        TRY(m_depth_slot.try_resize(depth_count));
        for (usize k = old; k < depth_count; ++k)
            m_depth_slot[k] = kNone;
    }
    m_cases.clear();
    m_edge_specs.clear();
    m_branch_args.clear();
    m_branch_ranges.clear();
    Reader labels(m_module.bytes, instruction.list_offset, m_module.bytes.size());
    for (u32 k = 0; k <= instruction.list_count; ++k) {
        u32 depth = k < instruction.list_count ? TRY(labels.read_u32()) : instruction.index0;
        if (m_depth_slot[depth] == kNone) {
            u32 count = 0;
            Block target = TRY(branch_target(frame(depth), count));
            m_depth_slot[depth] = static_cast<u32>(m_edge_specs.size());
            u32 offset = static_cast<u32>(m_branch_args.size());
            TRY(append_branch_args(frame(depth), count));
            // Its arguments' span is set once m_branch_args stops growing.
            TRY(m_edge_specs.try_append(EdgeSpec { target, {} }));
            TRY(m_branch_ranges.try_append(depth));
            TRY(m_branch_ranges.try_append(offset));
            TRY(m_branch_ranges.try_append(static_cast<u32>(m_branch_args.size()) - offset));
            TRY(m_cases.try_append(depth | 0x8000'0000u)); // remembered to reset below
        }
        TRY(m_cases.try_append(m_depth_slot[depth]));
    }
    // Split the remembered depths out of the case list.
    usize kept = 0;
    for (usize k = 0; k < m_cases.size(); ++k) {
        if (m_cases[k] & 0x8000'0000u)
            m_depth_slot[m_cases[k] & 0x7FFF'FFFFu] = kNone;
        else
            m_cases[kept++] = m_cases[k];
    }
    truncate(m_cases, kept);
    for (usize j = 0; j < m_edge_specs.size(); ++j)
        m_edge_specs[j].args = Span<const Value>(m_branch_args.data() + m_branch_ranges[3 * j + 1], m_branch_ranges[3 * j + 2]);
    Inst inst = TRY(terminate(Op::Switch, Span<const Value>(&index, 1), m_edge_specs.span()));
    List cases = TRY(m_function->lists().make(m_cases.span()));
    m_function->inst(inst).imm3 = cases.handle;
    for (u32 j = 0; j < m_edge_specs.size(); ++j)
        TRY(note_branch(m_branch_ranges[3 * j], inst, j));
    m_dead = true;
    return {};
}

// br_on_null: branch (with the values below the reference) when it is null, else go
// on with it. br_on_non_null: branch with the values and the reference when it is
// not null, else go on without it.
Result<void> Builder::do_br_on_null(const Instruction& instruction)
{
    Function& function = *m_function;
    bool on_null = instruction.opcode == Opcode::BrOnNull;
    Value reference = m_stack.pop_back();
    Inst test = TRY(function.append_inst(m_current, Op::RefIsNull, Span<const Value>(&reference, 1), Type::I32));
    function.inst(test).wasm_offset = instruction.offset;
    Value is_null = function.result(test);
    if (!on_null)
        TRY(m_stack.try_append(reference));
    u32 count = 0;
    Block target = TRY(branch_target(frame(instruction.index0), count));
    m_branch_args.clear();
    TRY(append_branch_args(frame(instruction.index0), count));
    Block next = TRY(create_block_with_params({}));
    EdgeSpec taken { target, m_branch_args.span() };
    EdgeSpec not_taken { next, {} };
    EdgeSpec edges[2] = { on_null ? taken : not_taken, on_null ? not_taken : taken };
    Inst branch = TRY(terminate(Op::Branch, Span<const Value>(&is_null, 1), Span<const EdgeSpec>(edges, 2)));
    TRY(note_branch(instruction.index0, branch, on_null ? 0 : 1));
    if (on_null)
        TRY(m_stack.try_append(reference));
    else
        m_stack.pop_back();
    return switch_to(next);
}

Result<Value> Builder::cast_test(Value reference, Value descriptor, ValType target)
{
    bool by_descriptor = descriptor != kNone;
    Value args[2] = { reference, descriptor };
    Inst test = TRY(m_function->append_inst(m_current, by_descriptor ? Op::RefTestDesc : Op::RefTest,
                                            Span<const Value>(args, by_descriptor ? 2 : 1), Type::I32));
    InstData& data = m_function->inst(test);
    data.imm = by_descriptor ? u64 { target.nullable } : pack_ref_type(target);
    data.wasm_offset = m_offset;
    return m_function->result(test);
}

// ref.cast: go on with the reference when the test passes, else into a block that traps
// (a dead end of its own, so the reference keeps its one value).
Result<void> Builder::do_ref_cast(const Instruction& instruction)
{
    Function& function = *m_function;
    bool by_descriptor = instruction.opcode == Opcode::RefCastDescEq || instruction.opcode == Opcode::RefCastDescEqNull;
    if (m_stack.size() < (by_descriptor ? 2u : 1u))
        return Error::from("optimising tier: operand stack out of step with the validator", ErrorKind::Generic,
                           m_offset);
    Value descriptor = by_descriptor ? m_stack.pop_back() : kNone;
    Value passed = TRY(cast_test(m_stack.last(), descriptor, instruction.type0));
    Block fail = TRY(create_block_with_params({}));
    Block next = TRY(create_block_with_params({}));
    EdgeSpec edges[2] = { { next, {} }, { fail, {} } };
    TRY(terminate(Op::Branch, Span<const Value>(&passed, 1), Span<const EdgeSpec>(edges, 2)));
    TRY(function.append_to_layout(fail));
    Inst trap = TRY(function.append_terminator(fail, Op::Trap, {}, {}));
    function.inst(trap).imm = static_cast<u64>(by_descriptor ? TrapKind::DescriptorCastFailure : TrapKind::IllegalCast);
    function.inst(trap).wasm_offset = m_offset;
    return switch_to(next);
}

// br_on_cast: branch with the values and the reference when the test passes, else go on
// with them; br_on_cast_fail the other way round. The descriptor forms pop the
// descriptor first.
Result<void> Builder::do_br_on_cast(const Instruction& instruction)
{
    Opcode opcode = instruction.opcode;
    bool by_descriptor = opcode == Opcode::BrOnCastDescEq || opcode == Opcode::BrOnCastDescEqFail;
    bool on_pass = opcode == Opcode::BrOnCast || opcode == Opcode::BrOnCastDescEq;
    if (m_stack.size() < (by_descriptor ? 2u : 1u))
        return Error::from("optimising tier: operand stack out of step with the validator", ErrorKind::Generic,
                           m_offset);
    Value descriptor = by_descriptor ? m_stack.pop_back() : kNone;
    Value passed = TRY(cast_test(m_stack.last(), descriptor, instruction.type1));
    u32 count = 0;
    Block target = TRY(branch_target(frame(instruction.index0), count));
    if (count > m_stack.size())
        return Error::from("optimising tier: operand stack out of step with the validator", ErrorKind::Generic,
                           m_offset);
    m_branch_args.clear();
    TRY(append_branch_args(frame(instruction.index0), count));
    Block next = TRY(create_block_with_params({}));
    EdgeSpec taken { target, m_branch_args.span() };
    EdgeSpec not_taken { next, {} };
    EdgeSpec edges[2] = { on_pass ? taken : not_taken, on_pass ? not_taken : taken };
    Inst branch = TRY(terminate(Op::Branch, Span<const Value>(&passed, 1), Span<const EdgeSpec>(edges, 2)));
    TRY(note_branch(instruction.index0, branch, on_pass ? 0 : 1));
    return switch_to(next);
}

Result<void> Builder::do_return()
{
    u32 count = m_frames.first().result_count;
    TRY(terminate(Op::Return, Span<const Value>(m_stack.data() + m_stack.size() - count, count), {}));
    m_dead = true;
    return {};
}

} // namespace wk::engine::opt
