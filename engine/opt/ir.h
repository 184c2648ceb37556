#pragma once

// The optimising tier's SSA IR (docs/optimizing-compiler.md): architecture-neutral,
// dense and index-based in the manner of Cranelift. A Function owns flat arrays of
// blocks, instructions, values and edges; everything refers to everything else by
// u32 index, and every variable-length list (arguments, block parameters, a block's
// instructions, predecessors) lives in one ListPool. Building or rewriting a
// function allocates only when one of those arrays grows, never per instruction.
//
// SSA form uses block parameters (Cranelift) rather than phi instructions: an edge
// (one successor of a terminator) passes one argument per parameter of its target.

#include <optional>

#include "base/result.h"
#include "base/span.h"
#include "base/vector.h"
#include "engine/opcode.h"
#include "engine/types.h"

namespace wk::engine::opt {

// Shrinks a Vector (which cannot fail).
template<typename T>
void truncate(Vector<T>& vector, usize size)
{
    MUST(vector.try_resize(size));
}

using Value = u32;
using Inst = u32;
using Block = u32;
inline constexpr u32 kNone = ~u32 { 0 };

enum class Type : u8 { None, I32, I64, F32, F64, V128, FuncRef, ExternRef, ExnRef, AnyRef };
const char* type_name(Type type);
constexpr bool is_ref(Type type) { return type >= Type::FuncRef; }

// Effect bits of ops (see ops.def).
namespace fx {
inline constexpr u16 kPure = 0;
inline constexpr u16 kTrap = 1 << 0;
inline constexpr u16 kLoad = 1 << 1;
inline constexpr u16 kStore = 1 << 2;
inline constexpr u16 kGlobalRead = 1 << 3;
inline constexpr u16 kGlobalWrite = 1 << 4;
inline constexpr u16 kCall = 1 << 5;
inline constexpr u16 kTerminator = 1 << 6;
inline constexpr u16 kCommutative = 1 << 7;
} // namespace fx

enum class Op : u16 {
#define WK_IR_OWN(ident, name, results, effects) ident,
#define WK_IR_WASM(ident, results, effects) ident,
#include "engine/opt/ops.def"
};

struct OpInfo {
    const char* name;
    u16 effects;
    u8 result_count;  // fixed results; calls take theirs from the callee type
    Opcode wasm;      // the wasm instruction of a WK_IR_WASM row
    bool is_wasm;
};

namespace detail {

inline constexpr OpInfo kOpInfos[] = {
#define WK_IR_OWN(ident, name, results, effects) { name, effects, results, Opcode::Unreachable, false },
#define WK_IR_WASM(ident, results, effects) \
    { opcode_name(Opcode::ident), effects, results, Opcode::ident, true },
#include "engine/opt/ops.def"
};

inline constexpr u16 kNoOp = 0xFFFF;

// wasm opcode -> IR op, for the one-to-one rows.
struct WasmOpTable {
    u16 entries[kOpcodeCount];
    consteval WasmOpTable()
        : entries {}
    {
        for (u16& entry : entries)
            entry = kNoOp;
#define WK_IR_WASM(ident, results, effects) entries[static_cast<u16>(Opcode::ident)] = static_cast<u16>(Op::ident);
#define WK_IR_ALSO(wasm, ident) entries[static_cast<u16>(Opcode::wasm)] = static_cast<u16>(Op::ident);
#include "engine/opt/ops.def"
    }
};

inline constexpr WasmOpTable kWasmOps {};

} // namespace detail

inline constexpr usize kOpCount = sizeof(detail::kOpInfos) / sizeof(detail::kOpInfos[0]);

constexpr const OpInfo& op_info(Op op) { return detail::kOpInfos[static_cast<u16>(op)]; }
constexpr const char* op_name(Op op) { return op_info(op).name; }
constexpr bool has_effect(Op op, u16 bits) { return (op_info(op).effects & bits) != 0; }
constexpr bool is_terminator(Op op) { return has_effect(op, fx::kTerminator); }
// An op whose instruction may go when its results are unused: no trap, no write,
// no call, no control flow. (Reads are fine.)
constexpr bool is_removable(Op op)
{
    return !has_effect(op, fx::kTrap | fx::kStore | fx::kGlobalWrite | fx::kCall | fx::kTerminator);
}
// An op whose result depends only on its operands and immediates, so that a second
// equal instruction dominated by the first computes the same value. Trapping ops
// qualify: the dominating copy trapped first if either would.
constexpr bool is_value_numberable(Op op)
{
    return !has_effect(op, fx::kLoad | fx::kStore | fx::kGlobalRead | fx::kGlobalWrite | fx::kCall | fx::kTerminator);
}
// SIMD ops (ops.def): all of them, and the memory accesses among them.
constexpr bool is_simd(Op op) { return op >= Op::V128Load && op <= Op::I32x4RelaxedDotI8x16I7x16AddS; }
constexpr bool is_simd_access(Op op) { return op >= Op::V128Load && op <= Op::V128Store64Lane; }
constexpr bool is_simd_store(Op op) { return op >= Op::V128Store && op <= Op::V128Store64Lane; }

// GC ops (ops.def), and those every back end implements as calls of the runtime's GC
// builtins (allocation, bulk array operations, cast tests), which clobber what a call does.
constexpr bool is_gc(Op op) { return op >= Op::RefEq && op <= Op::RefTestDesc; }
constexpr bool is_gc_builtin(Op op) { return op >= Op::StructNew && op <= Op::RefTestDesc; }

// A reference type as an immediate (ref.test's target): heap kind, nullability,
// exactness and, for a type index, the index.
constexpr u64 pack_ref_type(ValType type)
{
    return static_cast<u64>(static_cast<u8>(type.heap)) | (static_cast<u64>(type.nullable) << 8)
        | (static_cast<u64>(type.exact) << 9)
        | (type.heap == HeapKind::Index ? static_cast<u64>(type.index) << 32 : 0);
}
constexpr ValType unpack_ref_type(u64 bits)
{
    return ValType { ValKind::Ref, ((bits >> 8) & 1) != 0, ((bits >> 9) & 1) != 0, static_cast<HeapKind>(bits & 0xFF),
                     static_cast<u32>(bits >> 32) };
}

// The IR op of a one-to-one wasm instruction, if there is one.
constexpr std::optional<Op> ir_op_for(Opcode opcode)
{
    u16 entry = detail::kWasmOps.entries[static_cast<u16>(opcode)];
    if (entry == detail::kNoOp)
        return std::nullopt;
    return static_cast<Op>(entry);
}

// A handle to a list of u32 in a ListPool; 0 is the empty list.
struct List {
    u32 handle { 0 };
};

// Variable-length u32 lists in one Vector (Cranelift's EntityList): a list is a
// chunk [length, size class, elements...] whose capacity is a power of two; freed
// chunks go to a free list per size class. Handles stay valid while lists grow;
// pointers from data() do not survive a push to any list.
class ListPool {
public:
    u32 size(List list) const { return list.handle ? m_data[list.handle - 1] >> 5 : 0; }
    u32* data(List list) { return m_data.data() + list.handle; }
    const u32* data(List list) const { return m_data.data() + list.handle; }
    Span<u32> span(List list) { return Span<u32>(data(list), size(list)); }
    Span<const u32> span(List list) const { return Span<const u32>(data(list), size(list)); }
    u32 get(List list, u32 index) const { return m_data[list.handle + index]; }
    void set(List list, u32 index, u32 value) { m_data[list.handle + index] = value; }

    Result<void> push(List& list, u32 value);
    Result<List> make(Span<const u32> values);
    // Removes the element at index, keeping the order of the rest.
    void erase(List& list, u32 index);
    void truncate(List& list, u32 size);
    void free(List& list);
    void clear();
    usize storage_size() const { return m_data.size(); }

private:
    static constexpr u32 kClasses = 27;
    static u32 capacity_of(u32 size_class) { return 2u << size_class; }
    Result<u32> allocate(u32 size_class);
    void set_size(List list, u32 size) { m_data[list.handle - 1] = (size << 5) | (m_data[list.handle - 1] & 31); }
    u32 size_class(List list) const { return m_data[list.handle - 1] & 31; }

    Vector<u32> m_data;
    u32 m_free[kClasses] {};
};

enum class ValueKind : u8 { Result, Param, Alias, Dead };

struct ValueData {
    Type type { Type::None };
    ValueKind kind { ValueKind::Result };
    u32 def { kNone };   // Result: the instruction; Param: the block; Alias: the value it stands for
    u32 index { 0 };     // Result: which result; Param: which parameter
};

// Instruction flags.
inline constexpr u8 kGuarded = 1 << 0;   // memory access needing no bounds check (guard region)
inline constexpr u8 kAddress64 = 1 << 1; // memory access with an i64 address
// A memory access whose address operand is the result of a bounds_check (which also
// sets kAddress64): no check of its own (see ops.def).
inline constexpr u8 kChecked = 1 << 2;

struct InstData {
    Op op { Op::Const };
    Type type { Type::None }; // the first result's type (None without results)
    u8 flags { 0 };
    u8 access_log2 { 0 };     // memory accesses: log2 of the bytes accessed
    u8 dead { 0 };            // removed from its block by a pass
    u32 block { kNone };
    List args;
    u32 first_result { kNone };
    u32 result_count { 0 };
    u32 first_edge { 0 };
    u32 edge_count { 0 };
    u32 imm2 { 0 };
    u32 imm3 { 0 };
    u32 wasm_offset { 0 };    // byte offset of the wasm instruction it came from
    u64 imm { 0 };
};

// A successor of a terminator: control goes from `from` to `to`, passing `args`
// for `to`'s parameters.
struct Edge {
    Block from { kNone };
    Block to { kNone };
    List args;
    u8 dead { 0 };
};

struct BlockData {
    List params; // values
    List insts;  // instructions in order; the last is the terminator
    List preds;  // incoming edges
    bool in_layout { false };
};

struct EdgeSpec {
    Block to;
    Span<const Value> args;
};

class Function {
public:
    // Empties the function, keeping its storage for the next one.
    void clear();
    // Makes room for about this many instructions (and as many values), so that large
    // functions do not copy their arrays while growing.
    Result<void> reserve(usize insts);

    u32 wasm_index() const { return m_wasm_index; }
    void set_wasm_index(u32 index) { m_wasm_index = index; }
    Span<const Type> result_types() const { return m_results.span(); }
    Result<void> set_result_types(Span<const Type> types);

    Block entry() const { return m_entry; }
    void set_entry(Block block) { m_entry = block; }
    // Blocks in emission order; the entry block first. Only these are part of the function.
    Span<const Block> layout() const { return m_layout.span(); }
    Result<void> append_to_layout(Block block);
    // Drops blocks that left the function (BlockData::in_layout false) from the layout.
    void compact_layout();
    // Replaces the layout with `blocks` (the entry first), each now part of the function.
    Result<void> set_layout(Span<const Block> blocks);
    // Moves `block` (in the layout) to the front of the layout (a new entry block).
    void move_to_layout_front(Block block);

    u32 block_count() const { return static_cast<u32>(m_blocks.size()); }
    u32 inst_count() const { return static_cast<u32>(m_insts.size()); }
    u32 value_count() const { return static_cast<u32>(m_values.size()); }
    u32 edge_count() const { return static_cast<u32>(m_edges.size()); }

    BlockData& block(Block b) { return m_blocks[b]; }
    const BlockData& block(Block b) const { return m_blocks[b]; }
    InstData& inst(Inst i) { return m_insts[i]; }
    const InstData& inst(Inst i) const { return m_insts[i]; }
    ValueData& value(Value v) { return m_values[v]; }
    const ValueData& value(Value v) const { return m_values[v]; }
    Edge& edge(u32 e) { return m_edges[e]; }
    const Edge& edge(u32 e) const { return m_edges[e]; }
    ListPool& lists() { return m_lists; }
    const ListPool& lists() const { return m_lists; }

    Span<const u32> params(Block b) const { return m_lists.span(m_blocks[b].params); }
    Span<const u32> insts(Block b) const { return m_lists.span(m_blocks[b].insts); }
    Span<const u32> preds(Block b) const { return m_lists.span(m_blocks[b].preds); }
    Span<const u32> args(Inst i) const { return m_lists.span(m_insts[i].args); }
    Span<const u32> edge_args(u32 e) const { return m_lists.span(m_edges[e].args); }
    Value result(Inst i, u32 k = 0) const { return m_insts[i].first_result + k; }
    Inst terminator(Block b) const
    {
        u32 count = m_lists.size(m_blocks[b].insts);
        if (count == 0)
            return kNone;
        Inst last = m_lists.get(m_blocks[b].insts, count - 1);
        return is_terminator(m_insts[last].op) ? last : kNone;
    }

    Result<Block> create_block();
    Result<Value> append_param(Block block, Type type);
    // Appends an instruction with results of `result_types` (or none) to `block`.
    Result<Inst> append_inst(Block block, Op op, Span<const Value> args, Span<const Type> result_types);
    Result<Inst> append_inst(Block block, Op op, Span<const Value> args, Type result_type);
    // Appends a terminator with the given successors; registers each edge with its target.
    Result<Inst> append_terminator(Block block, Op op, Span<const Value> args, Span<const EdgeSpec> edges);

    // Follows aliases to the value that stands for v.
    Value resolve(Value v) const
    {
        while (m_values[v].kind == ValueKind::Alias)
            v = m_values[v].def;
        return v;
    }
    // Makes v stand for `target` from now on (uses are rewritten by resolve_aliases).
    void make_alias(Value v, Value target);
    // Rewrites every instruction and edge argument to its resolved value (nothing to
    // do unless an alias was made since the last time).
    void resolve_aliases();

    // Removes parameter `index` of `block` and the matching argument of each incoming edge.
    void remove_param(Block block, u32 index);
    // Removes an edge from its target's predecessors (the terminator keeps it until rewritten).
    void unlink_edge(u32 edge);
    // Marks an instruction dead and its results Dead; the caller takes it out of its block.
    void kill_inst(Inst inst);
    // Takes dead instructions out of each block's list.
    void sweep_dead_insts();
    // Rewrites a branch or switch into `jump` along edge `keep`, unlinking the others.
    void reduce_to_jump(Inst terminator, u32 keep);
    // Rewrites an instruction in place into a constant of its result type.
    void make_const(Inst inst, u64 bits);

    // Removes blocks no longer reachable from the entry; returns how many.
    Result<u32> remove_unreachable_blocks();

    // Sizes of everything allocated, to bound hostile input (see Builder).
    usize storage_size() const
    {
        return m_lists.storage_size() + m_insts.size() * 8 + m_values.size() * 2 + m_edges.size() * 2;
    }

private:
    Vector<BlockData> m_blocks;
    Vector<InstData> m_insts;
    Vector<ValueData> m_values;
    Vector<Edge> m_edges;
    Vector<Block> m_layout;
    Vector<Type> m_results;
    Vector<u32> m_scratch;
    ListPool m_lists;
    Block m_entry { kNone };
    u32 m_wasm_index { kNone };
    u32 m_unresolved_aliases { 0 };
};

} // namespace wk::engine::opt
