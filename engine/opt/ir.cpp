#include "engine/opt/ir.h"

namespace wk::engine::opt {

const char* type_name(Type type)
{
    switch (type) {
    case Type::None: return "none";
    case Type::I32: return "i32";
    case Type::I64: return "i64";
    case Type::F32: return "f32";
    case Type::F64: return "f64";
    case Type::V128: return "v128";
    case Type::FuncRef: return "funcref";
    case Type::ExternRef: return "externref";
    case Type::ExnRef: return "exnref";
    case Type::AnyRef: return "anyref";
    }
    return "?";
}

// ---- ListPool ------------------------------------------------------------------

Result<u32> ListPool::allocate(u32 size_class)
{
    if (size_class >= kClasses)
        return Error::from("optimising tier: list too long", ErrorKind::Unsupported);
    if (m_data.is_empty())
        TRY(m_data.try_append(0)); // handle 0 stays the empty list
    if (u32 head = m_free[size_class]) {
        m_free[size_class] = m_data[head];
        m_data[head - 1] = size_class;
        return head;
    }
    u32 capacity = capacity_of(size_class);
    usize header = m_data.size();
    if (header + 1 + capacity > 0xFFFF'FFF0u)
        return Error::from("optimising tier: function too large", ErrorKind::Unsupported);
    usize needed = header + 1 + capacity;
    if (needed > m_data.capacity()) // grow geometrically: try_resize reserves exactly
        TRY(m_data.try_reserve(needed > 2 * m_data.capacity() ? needed : 2 * m_data.capacity()));
    TRY(m_data.try_resize(needed, 0));
    m_data[header] = size_class;
    return static_cast<u32>(header + 1);
}

Result<void> ListPool::push(List& list, u32 value)
{
    if (list.handle == 0) {
        list.handle = TRY(allocate(0));
        set_size(list, 1);
        m_data[list.handle] = value;
        return {};
    }
    u32 size = this->size(list);
    u32 size_class = this->size_class(list);
    if (size == capacity_of(size_class)) {
        u32 grown = TRY(allocate(size_class + 1));
        for (u32 i = 0; i < size; ++i)
            m_data[grown + i] = m_data[list.handle + i];
        List old = list;
        free(old);
        list.handle = grown;
    }
    m_data[list.handle + size] = value;
    set_size(list, size + 1);
    return {};
}

Result<List> ListPool::make(Span<const u32> values)
{
    List list;
    if (values.empty())
        return list;
    u32 size_class = 0;
    while (capacity_of(size_class) < values.size())
        ++size_class;
    // The values may be another list of this pool, which allocating can move.
    const u32* source = values.data();
    bool inside = source >= m_data.data() && source < m_data.data() + m_data.size();
    usize source_index = inside ? static_cast<usize>(source - m_data.data()) : 0;
    list.handle = TRY(allocate(size_class));
    if (inside)
        source = m_data.data() + source_index;
    for (u32 i = 0; i < values.size(); ++i)
        m_data[list.handle + i] = source[i];
    set_size(list, static_cast<u32>(values.size()));
    return list;
}

void ListPool::erase(List& list, u32 index)
{
    u32 size = this->size(list);
    for (u32 i = index; i + 1 < size; ++i)
        m_data[list.handle + i] = m_data[list.handle + i + 1];
    set_size(list, size - 1);
}

void ListPool::truncate(List& list, u32 size)
{
    if (list.handle && size < this->size(list))
        set_size(list, size);
}

void ListPool::free(List& list)
{
    if (list.handle == 0)
        return;
    u32 size_class = this->size_class(list);
    m_data[list.handle] = m_free[size_class];
    m_free[size_class] = list.handle;
    list.handle = 0;
}

void ListPool::clear()
{
    m_data.clear();
    for (u32& head : m_free)
        head = 0;
}

// ---- Function ------------------------------------------------------------------

void Function::clear()
{
    m_blocks.clear();
    m_insts.clear();
    m_values.clear();
    m_edges.clear();
    m_layout.clear();
    m_results.clear();
    m_lists.clear();
    m_entry = kNone;
    m_wasm_index = kNone;
    m_unresolved_aliases = 0;
}

Result<void> Function::reserve(usize insts)
{
    TRY(m_insts.try_reserve(insts));
    TRY(m_values.try_reserve(insts));
    return {};
}

Result<void> Function::set_result_types(Span<const Type> types)
{
    m_results.clear();
    return m_results.try_extend(types);
}

Result<void> Function::append_to_layout(Block block)
{
    m_blocks[block].in_layout = true;
    return m_layout.try_append(block);
}

void Function::compact_layout()
{
    usize kept = 0;
    for (usize i = 0; i < m_layout.size(); ++i) {
        if (m_blocks[m_layout[i]].in_layout)
            m_layout[kept++] = m_layout[i];
    }
    truncate(m_layout, kept);
}

Result<void> Function::set_layout(Span<const Block> blocks)
{
    m_layout.clear();
    TRY(m_layout.try_extend(blocks));
    for (Block b : blocks)
        m_blocks[b].in_layout = true;
    return {};
}

void Function::move_to_layout_front(Block block)
{
    for (usize i = 0; i < m_layout.size(); ++i) {
        if (m_layout[i] != block)
            continue;
        for (usize k = i; k > 0; --k)
            m_layout[k] = m_layout[k - 1];
        m_layout[0] = block;
        return;
    }
}

Result<Block> Function::create_block()
{
    TRY(m_blocks.try_append(BlockData {}));
    return static_cast<Block>(m_blocks.size() - 1);
}

Result<Value> Function::append_param(Block block, Type type)
{
    Value value = static_cast<Value>(m_values.size());
    u32 index = m_lists.size(m_blocks[block].params);
    TRY(m_values.try_append(ValueData { type, ValueKind::Param, block, index }));
    TRY(m_lists.push(m_blocks[block].params, value));
    return value;
}

Result<Inst> Function::append_inst(Block block, Op op, Span<const Value> args, Span<const Type> result_types)
{
    Inst inst = static_cast<Inst>(m_insts.size());
    InstData data;
    data.op = op;
    data.block = block;
    data.args = TRY(m_lists.make(args));
    data.result_count = static_cast<u32>(result_types.size());
    data.type = result_types.empty() ? Type::None : result_types[0];
    if (!result_types.empty())
        data.first_result = static_cast<u32>(m_values.size());
    for (u32 k = 0; k < result_types.size(); ++k)
        TRY(m_values.try_append(ValueData { result_types[k], ValueKind::Result, inst, k }));
    TRY(m_insts.try_append(data));
    TRY(m_lists.push(m_blocks[block].insts, inst));
    return inst;
}

Result<Inst> Function::append_inst(Block block, Op op, Span<const Value> args, Type result_type)
{
    if (result_type == Type::None)
        return append_inst(block, op, args, Span<const Type>());
    return append_inst(block, op, args, Span<const Type>(&result_type, 1));
}

Result<Inst> Function::append_terminator(Block block, Op op, Span<const Value> args, Span<const EdgeSpec> edges)
{
    Inst inst = TRY(append_inst(block, op, args, Type::None));
    m_insts[inst].first_edge = static_cast<u32>(m_edges.size());
    m_insts[inst].edge_count = static_cast<u32>(edges.size());
    for (const EdgeSpec& spec : edges) {
        Edge edge;
        edge.from = block;
        edge.to = spec.to;
        edge.args = TRY(m_lists.make(spec.args));
        u32 index = static_cast<u32>(m_edges.size());
        TRY(m_edges.try_append(edge));
        TRY(m_lists.push(m_blocks[spec.to].preds, index));
    }
    return inst;
}

void Function::make_alias(Value v, Value target)
{
    m_values[v].kind = ValueKind::Alias;
    m_values[v].def = target;
    ++m_unresolved_aliases;
}

void Function::resolve_aliases()
{
    if (m_unresolved_aliases == 0)
        return;
    m_unresolved_aliases = 0;
    for (Block b : m_layout) {
        for (Inst i : insts(b)) {
            Span<u32> list = m_lists.span(m_insts[i].args);
            for (u32& arg : list)
                arg = resolve(arg);
            for (u32 e = 0; e < m_insts[i].edge_count; ++e) {
                for (u32& arg : m_lists.span(m_edges[m_insts[i].first_edge + e].args))
                    arg = resolve(arg);
            }
        }
    }
}

void Function::remove_param(Block block, u32 index)
{
    BlockData& data = m_blocks[block];
    m_lists.erase(data.params, index);
    Span<u32> params = m_lists.span(data.params);
    for (u32 k = index; k < params.size(); ++k)
        m_values[params[k]].index = k;
    for (u32 e : m_lists.span(data.preds))
        m_lists.erase(m_edges[e].args, index);
}

void Function::unlink_edge(u32 edge)
{
    Edge& data = m_edges[edge];
    if (data.dead)
        return;
    data.dead = 1;
    List& preds = m_blocks[data.to].preds;
    Span<u32> list = m_lists.span(preds);
    for (u32 k = 0; k < list.size(); ++k) {
        if (list[k] == edge) {
            m_lists.erase(preds, k);
            return;
        }
    }
}

void Function::kill_inst(Inst inst)
{
    InstData& data = m_insts[inst];
    data.dead = 1;
    for (u32 k = 0; k < data.result_count; ++k)
        m_values[data.first_result + k].kind = ValueKind::Dead;
    for (u32 e = 0; e < data.edge_count; ++e)
        unlink_edge(data.first_edge + e);
}

void Function::sweep_dead_insts()
{
    for (Block b : m_layout) {
        List& list = m_blocks[b].insts;
        Span<u32> insts = m_lists.span(list);
        u32 kept = 0;
        for (u32 k = 0; k < insts.size(); ++k) {
            if (!m_insts[insts[k]].dead)
                insts[kept++] = insts[k];
        }
        m_lists.truncate(list, kept);
    }
}

void Function::reduce_to_jump(Inst terminator, u32 keep)
{
    InstData& data = m_insts[terminator];
    for (u32 e = 0; e < data.edge_count; ++e) {
        if (data.first_edge + e != keep)
            unlink_edge(data.first_edge + e);
    }
    data.op = Op::Jump;
    m_lists.free(data.args);
    data.first_edge = keep;
    data.edge_count = 1;
    data.imm3 = 0;
}

void Function::make_const(Inst inst, u64 bits)
{
    InstData& data = m_insts[inst];
    data.op = Op::Const;
    data.imm = bits;
    data.imm2 = 0;
    data.imm3 = 0;
    data.flags = 0;
    m_lists.free(data.args);
}

Result<u32> Function::remove_unreachable_blocks()
{
    // Mark from the entry along live edges; m_scratch is the worklist, and a block's
    // mark is kept in the scratch bit vector below.
    Vector<u8> reached;
    TRY(reached.try_resize(m_blocks.size(), 0));
    m_scratch.clear();
    TRY(m_scratch.try_append(m_entry));
    reached[m_entry] = 1;
    while (!m_scratch.is_empty()) {
        Block b = m_scratch.pop_back();
        Inst term = terminator(b);
        if (term == kNone)
            continue;
        const InstData& data = m_insts[term];
        for (u32 e = 0; e < data.edge_count; ++e) {
            Block to = m_edges[data.first_edge + e].to;
            if (!reached[to]) {
                reached[to] = 1;
                TRY(m_scratch.try_append(to));
            }
        }
    }
    u32 removed = 0;
    for (Block b : m_layout) {
        if (reached[b])
            continue;
        ++removed;
        m_blocks[b].in_layout = false;
        for (Inst i : insts(b))
            kill_inst(i);
        for (Value p : params(b))
            m_values[p].kind = ValueKind::Dead;
    }
    if (removed)
        compact_layout();
    return removed;
}

} // namespace wk::engine::opt
