// Structured wasm control flow to blocks and edges (see builder.h).
//
// block  -> a merge block whose parameters are the block's results; code goes on
//           in the current block
// loop   -> jump to a header block whose parameters are the loop's parameters;
//           the header is sealed at the loop's end, when all back edges are known
// if     -> brif to a then block and an else block (both sealed: one predecessor),
//           and a merge block as for block
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
    TRY(m_sealed.try_append(0));
    for (ValType type : types)
        TRY(m_function->append_param(block, ir_type(type)));
    return block;
}

Result<void> Builder::push_block_params(Block block)
{
    for (Value param : m_function->params(block))
        TRY(m_stack.try_append(param));
    return {};
}

Result<Inst> Builder::terminate(Op op, Span<const Value> args, Span<const EdgeSpec> edges)
{
    Inst inst = TRY(m_function->append_terminator(m_current, op, args, edges));
    m_function->inst(inst).wasm_offset = m_offset;
    TRY(flush_definitions());
    m_last_ended = m_current;
    m_current = kNone;
    return inst;
}

Result<void> Builder::switch_to(Block block, bool same_region)
{
    TRY(m_function->append_to_layout(block));
    m_current = block;
    if (!same_region)
        ++m_region;
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

Result<void> Builder::begin_block(const Instruction& instruction)
{
    Span<const ValType> params, results;
    TRY(block_types(instruction.block, params, results));
    Frame frame;
    frame.kind = FrameKind::Block;
    frame.block = instruction.block;
    frame.param_count = static_cast<u32>(params.size());
    frame.result_count = static_cast<u32>(results.size());
    frame.height = static_cast<u32>(m_stack.size()) - frame.param_count;
    frame.target = TRY(create_block_with_params(results));
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
    bool dispatch = params.empty() && m_stack.is_empty() && on_osr_path(instruction.offset);
    if (at_osr_loop || dispatch)
        TRY(land_osr_way(at_osr_loop));
    Block header = TRY(create_block_with_params(params));
    u32 count = static_cast<u32>(params.size());
    EdgeSpec edge { header, Span<const Value>(m_stack.data() + m_stack.size() - count, count) };
    TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&edge, 1)));
    truncate(m_stack, m_stack.size() - count);
    TRY(switch_to(header, false));
    Frame frame;
    frame.kind = FrameKind::Loop;
    frame.block = instruction.block;
    frame.param_count = count;
    frame.result_count = static_cast<u32>(results.size());
    frame.height = static_cast<u32>(m_stack.size());
    frame.target = header;
    TRY(push_block_params(header));
    TRY(m_frames.try_append(frame));
    return dispatch ? dispatch_osr_way(header) : Result<void> {};
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
    Block header = TRY(create_block_with_params(params));
    EdgeSpec old_way { header, Span<const Value>(m_stack.data() + height, count) };
    TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&old_way, 1)));

    Block entry = TRY(function.create_block());
    TRY(m_sealed.try_append(1));
    TRY(switch_to(entry, false));
    for (u32 i = 0; i < m_wasm_local_count; ++i)
        TRY(write_local(i, entry, TRY(function.append_param(entry, m_local_types[i]))));
    if (m_flag_local != kNone)
        TRY(write_flag(0));
    for (Value& value : m_stack)
        value = TRY(function.append_param(entry, function.value(value).type));
    EdgeSpec osr_way { header, Span<const Value>(m_stack.data() + height, count) };
    TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&osr_way, 1)));
    m_osr_entry = entry;
    m_osr_landed = true;
    for (Value& value : m_zero)
        value = kNone;

    TRY(switch_to(header, false));
    truncate(m_stack, height);
    TRY(push_block_params(header));
    Frame frame;
    frame.kind = FrameKind::Loop;
    frame.block = instruction.block;
    frame.param_count = count;
    frame.result_count = static_cast<u32>(results.size());
    frame.height = height;
    frame.target = header;
    return m_frames.try_append(frame);
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
    m_sealed[then_block] = 1;
    m_sealed[else_block] = 1;

    Frame frame;
    frame.kind = FrameKind::If;
    frame.block = instruction.block;
    frame.param_count = static_cast<u32>(params.size());
    frame.result_count = static_cast<u32>(results.size());
    frame.height = static_cast<u32>(m_stack.size()) - frame.param_count;
    frame.target = merge;
    frame.else_block = else_block;
    frame.saved = static_cast<u32>(m_saved.size());
    TRY(m_saved.try_extend(Span<const Value>(m_stack.data() + frame.height, frame.param_count)));
    TRY(m_frames.try_append(frame));
    return switch_to(then_block, true);
}

// Ends the current block with a jump to the frame's merge block carrying its results.
Result<void> Builder::do_else()
{
    Frame& frame = m_frames.last();
    if (!m_dead) {
        EdgeSpec edge { frame.target,
                        Span<const Value>(m_stack.data() + m_stack.size() - frame.result_count, frame.result_count) };
        TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&edge, 1)));
    }
    truncate(m_stack, frame.height);
    TRY(m_stack.try_extend(Span<const Value>(m_saved.data() + frame.saved, frame.param_count)));
    Block else_block = frame.else_block;
    frame.else_block = kNone;
    m_dead = false;
    return switch_to(else_block, false);
}

Result<void> Builder::do_end()
{
    Frame& frame = m_frames.last();
    Function& function = *m_function;
    if (frame.kind == FrameKind::Loop) {
        TRY(seal(frame.target));
        m_frames.pop_back();
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
            m_sealed[exit] = 1;
            if (!function.preds(exit).empty()) {
                TRY(switch_to(exit, false));
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
        TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&edge, 1)));
    }
    if (frame.kind == FrameKind::If && frame.else_block != kNone) {
        // No else: the false branch passes the parameters on as the results.
        TRY(switch_to(frame.else_block, false));
        EdgeSpec edge { frame.target, Span<const Value>(m_saved.data() + frame.saved, frame.param_count) };
        TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&edge, 1)));
    }
    Block merge = frame.target;
    truncate(m_stack, frame.height);
    if (frame.kind == FrameKind::If)
        truncate(m_saved, frame.saved);
    m_frames.pop_back();
    m_sealed[merge] = 1;
    if (function.preds(merge).empty()) {
        m_dead = true;
        return {};
    }
    m_dead = false;
    // Reached only by falling through from the block just ended: its definitions stay valid.
    bool fallthrough_only = function.preds(merge).size() == 1 && function.edge(function.preds(merge)[0]).from == m_last_ended;
    TRY(switch_to(merge, fallthrough_only));
    return push_block_params(merge);
}

Result<void> Builder::do_br(u32 depth)
{
    u32 count = 0;
    Block target = TRY(branch_target(frame(depth), count));
    EdgeSpec edge { target, Span<const Value>(m_stack.data() + m_stack.size() - count, count) };
    TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&edge, 1)));
    m_dead = true;
    return {};
}

Result<void> Builder::do_br_if(u32 depth)
{
    Value condition = m_stack.pop_back();
    u32 count = 0;
    Block target = TRY(branch_target(frame(depth), count));
    Block next = TRY(create_block_with_params({}));
    EdgeSpec edges[2] = { { target, Span<const Value>(m_stack.data() + m_stack.size() - count, count) },
                          { next, {} } };
    TRY(terminate(Op::Branch, Span<const Value>(&condition, 1), Span<const EdgeSpec>(edges, 2)));
    m_sealed[next] = 1;
    return switch_to(next, true);
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
    Reader labels(m_module.bytes, instruction.list_offset, m_module.bytes.size());
    for (u32 k = 0; k <= instruction.list_count; ++k) {
        u32 depth = k < instruction.list_count ? TRY(labels.read_u32()) : instruction.index0;
        if (m_depth_slot[depth] == kNone) {
            u32 count = 0;
            Block target = TRY(branch_target(frame(depth), count));
            m_depth_slot[depth] = static_cast<u32>(m_edge_specs.size());
            TRY(m_edge_specs.try_append(
                EdgeSpec { target, Span<const Value>(m_stack.data() + m_stack.size() - count, count) }));
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
    Inst inst = TRY(terminate(Op::Switch, Span<const Value>(&index, 1), m_edge_specs.span()));
    List cases = TRY(m_function->lists().make(m_cases.span()));
    m_function->inst(inst).imm3 = cases.handle;
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
    Block next = TRY(create_block_with_params({}));
    EdgeSpec taken { target, Span<const Value>(m_stack.data() + m_stack.size() - count, count) };
    EdgeSpec not_taken { next, {} };
    EdgeSpec edges[2] = { on_null ? taken : not_taken, on_null ? not_taken : taken };
    TRY(terminate(Op::Branch, Span<const Value>(&is_null, 1), Span<const EdgeSpec>(edges, 2)));
    m_sealed[next] = 1;
    if (on_null)
        TRY(m_stack.try_append(reference));
    else
        m_stack.pop_back();
    return switch_to(next, true);
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
    m_sealed[fail] = 1;
    m_sealed[next] = 1;
    TRY(function.append_to_layout(fail));
    Inst trap = TRY(function.append_terminator(fail, Op::Trap, {}, {}));
    function.inst(trap).imm = static_cast<u64>(by_descriptor ? TrapKind::DescriptorCastFailure : TrapKind::IllegalCast);
    function.inst(trap).wasm_offset = m_offset;
    return switch_to(next, true);
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
    Block next = TRY(create_block_with_params({}));
    EdgeSpec taken { target, Span<const Value>(m_stack.data() + m_stack.size() - count, count) };
    EdgeSpec not_taken { next, {} };
    EdgeSpec edges[2] = { on_pass ? taken : not_taken, on_pass ? not_taken : taken };
    TRY(terminate(Op::Branch, Span<const Value>(&passed, 1), Span<const EdgeSpec>(edges, 2)));
    m_sealed[next] = 1;
    return switch_to(next, true);
}

Result<void> Builder::do_return()
{
    u32 count = m_frames.first().result_count;
    TRY(terminate(Op::Return, Span<const Value>(m_stack.data() + m_stack.size() - count, count), {}));
    m_dead = true;
    return {};
}

} // namespace wk::engine::opt
