// The way into an OSR version through the loops enclosing the OSR loop (see builder.h,
// set_osr_loop, and docs/optimizing-compiler.md, "On-stack replacement").
//
// Entering the OSR loop's header straight from the entry makes that header the only
// entry of every loop around it: the enclosing loops' back edges then lead to a block
// that does not dominate them, and the nest becomes one loop headed by the inner
// header (its invariants stay inside, the allocator sees one flat loop). Instead, the
// entry goes in at the outermost enclosing loop that can take it (no loop parameters,
// an empty operand stack at its `loop`: the state there is the locals alone), and each
// such header on the way begins with `br_if flag` to the next one, the flag being a
// hidden local that is 1 on the way in and 0 everywhere else:
//
//   entry(locals) -> join1 -> H1: flag ? way1 : body1 ... join2 -> H2: flag ? way2 : ...
//   way1 -> join2            (join2 also has body1's path into loop 2)
//   wayN -> joinL(stack) -> the OSR loop's header, flag = 0 from there on
//
// Each join sits outside its loop, so the values merged there are invariants of the
// loop; each header is its loop's only entry, and the nest keeps its shape. The cost is
// a test of the flag per iteration of each enclosing loop on the way.
#include "engine/binary/code_walker.h"
#include "engine/opt/builder.h"

namespace wk::engine::opt {

namespace {

// Walks a validated body for the loops open at the `loop` at `target`.
class NestScan {
public:
    NestScan(u32 target, Vector<u32>& path)
        : m_target(target)
        , m_path(path)
    {
    }
    bool finished() const { return m_finished; }
    Result<void> visit(const Instruction& instruction)
    {
        if (instruction.offset == m_target && instruction.opcode == Opcode::Loop) {
            for (u32 offset : m_open) {
                if (offset != kNone)
                    TRY(m_path.try_append(offset));
            }
            m_finished = true;
            return {};
        }
        switch (instruction.opcode) {
        case Opcode::Block:
        case Opcode::If:
        case Opcode::Try:
        case Opcode::TryTable:
            return m_open.try_append(kNone);
        case Opcode::Loop:
            return m_open.try_append(instruction.offset);
        case Opcode::End:
        case Opcode::Delegate:
            if (m_open.is_empty())
                m_finished = true; // the body's end: the target is not in it
            else
                m_open.pop_back();
            return {};
        default:
            return {};
        }
    }

private:
    u32 m_target;
    Vector<u32>& m_path;
    Vector<u32> m_open;
    bool m_finished { false };
};

} // namespace

Result<u32> enclosing_loop(const Module& module, u32 function_index, u32 loop_offset)
{
    if (function_index < module.imported_function_count || function_index >= module.functions.size())
        return Error::from("optimising tier: not a defined function", ErrorKind::OutOfRange);
    const Code& code = module.codes[function_index - module.imported_function_count];
    Reader reader(module.bytes, code.code_offset, code.offset + code.size);
    Vector<u32> path;
    NestScan scan(loop_offset, path);
    TRY(walk_code(reader, scan));
    return path.is_empty() ? kNone : path[path.size() - 1];
}

Result<void> Builder::find_osr_path(u32 function_index)
{
    const Code& code = m_module.codes[function_index - m_module.imported_function_count];
    Reader reader(m_module.bytes, code.code_offset, code.offset + code.size);
    NestScan scan(m_osr_loop, m_osr_path);
    return walk_code(reader, scan);
}

bool Builder::on_osr_path(u32 loop_offset) const
{
    if (m_osr_loop == kNone || m_osr_landed)
        return false;
    for (u32 offset : m_osr_path) {
        if (offset == loop_offset)
            return true;
    }
    return false;
}

Result<Value> Builder::flag_const(u32 value)
{
    Inst inst = TRY(m_function->append_inst(m_current, Op::Const, {}, Type::I32));
    m_function->inst(inst).imm = value;
    return m_function->result(inst);
}

Result<void> Builder::write_flag(u32 value)
{
    return write_local(m_flag_local, TRY(flag_const(value)));
}

// At a `loop` on the path (stack empty) or at the OSR loop: the normal path and the way
// in (the entry, made here the first time, or the last header's flag branch) meet in a
// new block whose parameters are the operand stack and every local (the way in defines
// them all anew). The way in takes the stack entries from the entry's parameters, after
// the locals, bottom first (as begin_osr_loop), and the locals as they were at the last
// header's flag branch (m_way_values, dispatch_osr_way).
Result<void> Builder::land_osr_way(bool at_osr_loop)
{
    Function& function = *m_function;
    if (m_wasm_local_count + m_stack.size() > kMaxOsrValues)
        return unsupported("implementation limit: too many locals and operands for an OSR entry");
    u32 locals = static_cast<u32>(m_local_types.size());
    Block join = TRY(function.create_block());
    for (Value value : m_stack)
        TRY(function.append_param(join, function.value(value).type));
    TRY(mark_local_params(join, static_cast<u32>(m_stack.size())));
    for (u32 i = 0; i < locals; ++i)
        TRY(function.append_param(join, m_local_types[i]));
    m_branch_args.clear();
    TRY(m_branch_args.try_extend(m_stack.span()));
    for (u32 i = 0; i < locals; ++i)
        TRY(m_branch_args.try_append(read_local(i)));
    EdgeSpec normal { join, m_branch_args.span() };
    TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&normal, 1)));

    Block way = m_osr_pending;
    if (way == kNone) {
        way = TRY(function.create_block());
        TRY(switch_to(way));
        for (u32 i = 0; i < m_wasm_local_count; ++i)
            m_way_values[i] = TRY(function.append_param(way, m_local_types[i]));
        m_osr_entry = way;
        // Defined in the old entry, which goes.
        for (Value& value : m_zero)
            value = kNone;
        if (m_flag_local != kNone)
            m_way_values[m_flag_local] = TRY(flag_const(at_osr_loop ? 0 : 1));
    } else {
        TRY(switch_to(way));
        if (!at_osr_loop && m_flag_local != kNone)
            m_way_values[m_flag_local] = TRY(flag_const(1));
    }
    m_osr_pending = kNone;
    m_edge_values.clear();
    for (Value value : m_stack)
        TRY(m_edge_values.try_append(TRY(function.append_param(m_osr_entry, function.value(value).type))));
    for (u32 i = 0; i < locals; ++i)
        TRY(m_edge_values.try_append(m_way_values[i]));
    EdgeSpec osr_way { join, m_edge_values.span() };
    TRY(terminate(Op::Jump, {}, Span<const EdgeSpec>(&osr_way, 1)));

    TRY(switch_to(join));
    Span<const Value> params = function.params(join);
    for (usize k = 0; k < m_stack.size(); ++k)
        m_stack[k] = params[k];
    for (u32 i = 0; i < locals; ++i)
        TRY(write_local(i, params[m_stack.size() + i]));
    if (at_osr_loop) {
        m_osr_landed = true;
        TRY(write_flag(0));
    }
    return {};
}

// At the header of a loop on the path (the current block, just begun): on the way in,
// go on to the next loop on the path (with the locals as they are here); else run the
// body with the flag 0.
Result<void> Builder::dispatch_osr_way()
{
    Value flag = read_local(m_flag_local);
    for (u32 i = 0; i < m_local_types.size(); ++i)
        m_way_values[i] = read_local(i);
    Block way = TRY(create_block_with_params({}));
    Block body = TRY(create_block_with_params({}));
    EdgeSpec edges[2] = { { way, {} }, { body, {} } };
    TRY(terminate(Op::Branch, Span<const Value>(&flag, 1), Span<const EdgeSpec>(edges, 2)));
    m_osr_pending = way;
    TRY(switch_to(body));
    return write_flag(0);
}

} // namespace wk::engine::opt
