#pragma once

// Translates a wasm function into the optimising tier's IR (docs/optimizing-compiler.md).
// The Builder is a visitor of the shared decoding loop (engine/binary/code_walker.h)
// that wraps the validator, as the baseline compiler does: each instruction is
// validated first and then translated, so no second decoder exists and the types of
// operands are the validator's. Locals become SSA values by the on-the-fly algorithm
// of Braun et al., "Simple and Efficient Construction of Static Single Assignment
// Form" (CC 2013), with block parameters in place of phis and without recursion (the
// input is hostile; its nesting must not become C++ stack depth).
//
// Instructions the tier does not translate yet (try_table and the legacy exception
// instructions) make build() fail with ErrorKind::Unsupported and a message
// naming them; the caller compiles that function with the baseline tier instead.

#include "base/result.h"
#include "base/vector.h"
#include "engine/binary/instruction.h"
#include "engine/module.h"
#include "engine/opt/ir.h"
#include "engine/valid/function_validator.h"
#include "engine/valid/type_context.h"

namespace wk::engine::opt {

// (block, local) -> value for blocks that have ended: open addressing with a cheap
// multiplicative hash, emptied between functions by bumping a generation number,
// so a large function does not make every later clear() slow.
class DefinitionTable {
public:
    Value get(u64 key) const
    {
        if (m_slots.is_empty())
            return kNone;
        usize mask = m_slots.size() - 1;
        for (usize slot = hash(key) & mask;; slot = (slot + 1) & mask) {
            const Slot& entry = m_slots[slot];
            if (entry.generation != m_generation)
                return kNone;
            if (entry.key == key)
                return entry.value;
        }
    }
    Result<void> set(u64 key, Value value);
    void clear();
    // Words the current function's entries need (the table grows to twice them), for
    // the builder's budget: a local read below many loops writes its definition into
    // every block on the way, up to locals x blocks in all. (The slots themselves are
    // kept for the next function.)
    usize storage_size() const { return m_used * 2 * sizeof(Slot) / sizeof(u32); }

private:
    struct Slot {
        u64 key { 0 };
        Value value { kNone };
        u32 generation { 0 };
    };
    // Fibonacci hashing: the product's top bits depend on every bit of the key.
    usize hash(u64 key) const { return static_cast<usize>((key * 0x9E37'79B9'7F4A'7C15ull) >> m_shift); }
    Result<void> grow();

    Vector<Slot> m_slots;
    u32 m_generation { 1 };
    u32 m_shift { 63 };
    usize m_used { 0 };
};

// OSR (tier-up's choice of loop): the byte offset of the loop directly enclosing the
// `loop` at `loop_offset` in defined function `function_index` of a validated module, or
// kNone when no loop encloses it (or no `loop` is at that offset).
Result<u32> enclosing_loop(const Module& module, u32 function_index, u32 loop_offset);

class Builder {
public:
    // `module` must have passed validate_module and outlive the builder.
    explicit Builder(const Module& module);

    // Translates defined function `function_index` (imports first in the index space)
    // into `function`, which is cleared first and may be reused from call to call.
    Result<void> build(u32 function_index, Function& function);

    // On-stack replacement (docs/optimizing-compiler.md): `loop_offset` not kNone makes
    // build() translate the function's OSR entry at the loop whose `loop` instruction
    // is at that module byte offset. The entry block's parameters are then the state at
    // the loop's header: every local (in order), then every operand stack entry
    // (bottom first, the loop's parameters last); it jumps to the loop header with the
    // loop's parameters, and what came before the loop is unreachable and removed. build() fails (Unsupported) if the loop is not met in
    // reachable code. Stays set for later builds until changed.
    // NOTE: when loops enclose the OSR loop, the entry goes in at the outermost one whose
    // header has no parameters and an empty operand stack, and a flag (a hidden local, 1
    // only on the way in) makes each such header on the way skip straight to the next,
    // so that every loop of the nest keeps one entry, its header (see begin_osr_path).
    void set_osr_loop(u32 loop_offset) { m_osr_loop = loop_offset; }
    // At most this many locals plus operand stack entries at the OSR loop.
    static constexpr usize kMaxOsrValues = 8192;
    // The byte offsets of the loops met in reachable code by the last build (tests).
    Span<const u32> loop_offsets() const { return m_loop_offsets.span(); }
    // After an OSR build: how many of the entry's parameters are locals.
    u32 osr_local_count() const { return m_wasm_local_count; }

    // Visitor interface of walk_code.
    bool finished() const { return m_validator.finished(); }
    Result<void> visit(const Instruction& instruction);

private:
    struct Frame {
        FrameKind kind { FrameKind::Block };
        u32 height { 0 };       // m_stack height below the frame's parameters
        u32 param_count { 0 };
        u32 result_count { 0 };
        Block target { kNone }; // Block/If: the merge block; Loop: the header; Function: exit (lazy)
        Block else_block { kNone }; // If, until its else
        u32 saved { 0 };        // If: its parameters, from m_saved[saved]
        BlockType block;
    };
    // A block parameter created for a local before its block's predecessors were all
    // known (an unsealed loop header): its arguments are added when the block is sealed.
    struct Incomplete {
        Block block;
        u32 local;
        Value param;
    };
    // One pending phi of the iterative variable lookup.
    struct PhiWork {
        Block block;
        Value param;
        u32 next_pred;
    };

    Result<void> begin(u32 function_index);
    Result<void> visit_live(const Instruction&);
    Result<void> visit_dead(const Instruction&);
    Result<void> translate_simple(const Instruction&, Op op, u32 height_before);
    Result<void> translate_call(const Instruction&);

    // Control.
    Result<void> begin_block(const Instruction&);
    Result<void> begin_loop(const Instruction&);
    Result<void> begin_osr_loop(const Instruction&);
    // OSR through the enclosing loops (see set_osr_loop).
    Result<void> find_osr_path(u32 function_index);
    bool on_osr_path(u32 loop_offset) const;
    Result<void> land_osr_way(bool at_osr_loop);
    Result<void> dispatch_osr_way(Block header);
    Result<void> write_flag(u32 value);
    Result<void> begin_if(const Instruction&);
    Result<void> do_else();
    Result<void> do_end();
    Result<void> do_br(u32 depth);
    Result<void> do_br_if(u32 depth);
    Result<void> do_br_table(const Instruction&);
    Result<void> do_br_on_null(const Instruction&);
    // ref.cast*, br_on_cast* (and the descriptor forms): a ref.test or ref.test_desc of
    // the reference on top of the stack (below the popped descriptor), then a branch.
    Result<Value> cast_test(Value reference, Value descriptor, ValType target);
    Result<void> do_ref_cast(const Instruction&);
    Result<void> do_br_on_cast(const Instruction&);
    Result<void> do_return();
    Frame& frame(u32 depth) { return m_frames[m_frames.size() - 1 - depth]; }
    // Where a branch to `frame` goes, and how many values it carries.
    Result<Block> branch_target(Frame& frame, u32& count);
    Result<Block> exit_block();
    Result<Inst> terminate(Op op, Span<const Value> args, Span<const EdgeSpec> edges);
    // Makes `block` the one being filled. `same_region`: its only predecessor is the
    // block just terminated, so local definitions seen so far stay valid in it.
    Result<void> switch_to(Block block, bool same_region);
    Result<void> push_block_params(Block block);
    Result<Block> create_block_with_params(Span<const ValType> types);
    Result<void> block_types(const BlockType& block, Span<const ValType>& params, Span<const ValType>& results);

    // SSA construction for locals.
    Result<Value> read_local(u32 local, Block block);
    Result<Value> read_local_slow(u32 local, Block block);
    // Follows single-predecessor chains from `block`; returns the value, or kNone after
    // pushing a PhiWork whose arguments are still to be read.
    Result<Value> descend(u32 local, Block block);
    Result<void> write_local(u32 local, Block block, Value value);
    Value lookup(u32 local, Block block) const;
    Result<void> seal(Block block);
    // Removes `param` if every incoming argument is one value (or itself); returns
    // what stands for it.
    Value remove_trivial_param(Block block, Value param);
    Result<void> flush_definitions();
    Result<Value> zero(Type type);

    Type ir_type(ValType type) const;
    Result<void> check_types(Span<const ValType> types);
    Error unsupported(const char* what) const { return Error::from(what, ErrorKind::Unsupported, m_offset); }
    Result<void> check_budget() const
    {
        if (m_function->storage_size() + m_definitions.storage_size() > m_budget) [[unlikely]]
            return unsupported("implementation limit: function too large for the optimising tier");
        return {};
    }

    const Module& m_module;
    TypeContext m_types;
    FunctionValidator m_validator;
    Function* m_function { nullptr };
    u32 m_offset { 0 };
    usize m_budget { 0 };

    Vector<Value> m_stack;
    Vector<Frame> m_frames;
    Vector<Value> m_saved;
    Block m_current { kNone };
    Block m_last_ended { kNone };
    bool m_dead { false };
    u32 m_dead_depth { 0 };

    // Locals: types, and definitions in the current region (a chain of blocks each the
    // only successor-by-fallthrough of the one before) stamped with the region.
    Vector<Type> m_local_types;
    Vector<Value> m_region_value;
    Vector<u32> m_region_stamp;
    u32 m_region { 0 };
    // Locals defined in the current block, flushed to m_definitions when it ends.
    Vector<u32> m_dirty;
    Vector<u32> m_dirty_stamp;
    // (block << 32 | local) -> value, for blocks that have ended.
    DefinitionTable m_definitions;
    Vector<u8> m_sealed;
    Vector<Incomplete> m_incomplete;
    Vector<Incomplete> m_sealing;
    Vector<PhiWork> m_work;
    Vector<Block> m_path;
    Vector<u32> m_depth_slot;
    Vector<u32> m_cases;
    Vector<EdgeSpec> m_edge_specs;
    Vector<Type> m_type_scratch;
    Value m_zero[10] {};

    u32 m_osr_loop { kNone };
    Block m_osr_entry { kNone }; // set when the OSR way begins
    bool m_osr_landed { false }; // set when the OSR loop was translated
    Vector<u32> m_osr_path;      // offsets of the loops enclosing the OSR loop, outermost first
    Block m_osr_pending { kNone }; // the way in from the last header on the path, not yet joined
    u32 m_flag_local { kNone };  // the hidden local: 1 on the way in, else 0
    u32 m_wasm_local_count { 0 };
    Vector<Value> m_edge_values;
    Vector<u32> m_loop_offsets;
};

} // namespace wk::engine::opt
