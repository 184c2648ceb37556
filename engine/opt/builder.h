#pragma once

// Translates a wasm function into the optimising tier's IR (docs/optimizing-compiler.md).
// The Builder is a visitor of the shared decoding loop (engine/binary/code_walker.h)
// that wraps the validator, as the baseline compiler does: each instruction is
// validated first and then translated, so no second decoder exists and the types of
// operands are the validator's. Locals become SSA values by the on-the-fly algorithm
// made for structured control flow (docs/optimizing-compiler.md, "Locals"): each
// local has one current definition; a pre-pass tells each loop which locals its body
// assigns (only those get header parameters), and a forward merge (the end of a block
// or if) gets parameters only for the locals assigned since its construct began, found
// in an undo log of assignments. So the work is about the local.get/set/tee and the
// branches, never locals x blocks, and nothing recurses (the input is hostile).
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
    // The last build's work on locals (builder_ssa.cpp): log entries made, scanned and
    // moved, loop assignments found and parameters checked (tests bound it by the body).
    usize ssa_work() const { return m_ssa_work; }
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
        u32 log_start { 0 };    // m_log's size when the frame began (see write_local)
        u32 incoming { kNone }; // Block/If: the last of its merge's edges (m_incoming)
        u32 loop { kNone };     // Loop: its number in the body (m_loop_first)
        bool flag { false };    // Loop: the OSR flag is a header parameter too
        // Loop: every local is a header parameter: the OSR loop (its two entries bring
        // different definitions of each) and the loops around it (the OSR entry defines
        // every local anew inside them and its definitions flow round their back edges).
        bool all_locals { false };
    };
    // A frame of `kind` for a construct of `block`'s type, its parameters and results counted.
    static Frame new_frame(FrameKind kind, BlockType block, Span<const ValType> params, Span<const ValType> results);
    // An assignment: `local` held `old` before; `prev` is the entry of the assignment
    // before (m_last_entry), so undoing restores both.
    struct LogEntry {
        u32 local;
        Value old;
        u32 prev;
    };
    // An edge into a forward merge, and the locals assigned on its way since the
    // merge's construct began (m_changes[first, first + count)).
    struct Incoming {
        u32 edge;
        u32 first;
        u32 count;
        u32 next;
    };
    struct Change {
        u32 local;
        Value value; // at the edge
        Value base;  // when the construct began
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
    Result<void> dispatch_osr_way();
    Result<void> write_flag(u32 value);
    Result<Value> flag_const(u32 value);
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
    // Makes `block` the one being filled.
    Result<void> switch_to(Block block);
    Result<void> push_block_params(Block block, u32 count);
    // The arguments of a branch to `target` (the top `count` stack values, and the
    // locals a loop's header takes), appended to m_branch_args.
    Result<void> append_branch_args(const Frame& target, u32 count);
    Result<Block> create_block_with_params(Span<const ValType> types);
    Result<void> block_types(const BlockType& block, Span<const ValType>& params, Span<const ValType>& results);

    // SSA construction for locals (builder_ssa.cpp).
    Result<void> scan_loop_assignments(u32 function_index);
    Span<const u32> loop_locals(const Frame& loop) const;
    Value read_local(u32 local) { return m_cur[local] = m_function->resolve(m_cur[local]); }
    Result<void> write_local(u32 local, Value value);
    // Restores the definitions as they were when m_log had `size` entries.
    void undo_to(u32 size);
    // After a loop frame ends (its entries from `start`): they join the enclosing frame's.
    void fold_log_into_parent(u32 start);
    // Loop headers: parameters for the locals the loop assigns, and their arguments.
    Result<void> add_header_params(Block header, const Frame& loop);
    Result<void> append_local_args(const Frame& target, Vector<Value>& args);
    Result<void> define_header_locals(const Frame& loop);
    // Forward merges: records edge `edge` into `target`'s merge with the locals changed
    // since it began; at its end, merge_locals gives the merge a parameter per local
    // changed on any incoming edge.
    Result<void> note_incoming(Frame& target, u32 edge);
    Result<void> note_branch(u32 depth, Inst terminator, u32 edge_index);
    Result<void> merge_locals(const Frame& frame);
    // Removes the parameters from `first` on of `block` whose arguments are all one
    // value (or the parameter itself), in one pass over its edges.
    void drop_trivial_params(Block block, u32 first);
    // Block `block`'s parameters from `first` on stand for locals (prune_local_params).
    Result<void> mark_local_params(Block block, u32 first);
    // After the build: removes the parameters made for locals that nothing reads (a loop
    // assigns a local that is dead at its header, a merge of a local read no more), so
    // only the parameters the old lookups made, through reads, remain.
    Result<void> prune_local_params();
    usize ssa_storage() const { return m_changes.size() * 3 + m_ssa_work; }
    Result<Value> zero(Type type);

    Type ir_type(ValType type) const;
    Result<void> check_types(Span<const ValType> types);
    Error unsupported(const char* what) const { return Error::from(what, ErrorKind::Unsupported, m_offset); }
    Result<void> check_budget() const
    {
        if (m_function->storage_size() + ssa_storage() > m_budget) [[unlikely]]
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
    bool m_dead { false };
    u32 m_dead_depth { 0 };

    // Locals: types, current definitions and the undo log of assignments (see
    // write_local), per open frame from its log_start.
    Vector<Type> m_local_types;
    Vector<Value> m_cur;
    Vector<LogEntry> m_log;
    Vector<u32> m_last_entry; // per local: its latest entry in m_log, or kNone
    // Per loop in body order: the locals it assigns, m_loop_locals[m_loop_first[n]..n + 1].
    Vector<u32> m_loop_first;
    Vector<u32> m_loop_locals;
    Vector<u32> m_all_locals; // 0, 1, ... for every wasm local (Frame::all_locals)
    u32 m_loop_count { 0 };
    u32 m_this_loop { kNone }; // the number of the `loop` being visited
    Vector<Incoming> m_incoming;
    Vector<Change> m_changes;
    Vector<Change> m_merged;  // scratch of merge_locals
    Vector<u32> m_seen;       // per local: stamp of the scan that saw it
    Vector<u32> m_slot;       // per local: its place in m_merged
    u32 m_stamp { 0 };
    usize m_ssa_work { 0 };   // log entries scanned and moved, counted in the budget
    Vector<Value> m_args;
    Vector<u32> m_local_first; // per block: its first parameter for a local, or kNone
    Vector<u8> m_live;         // scratch of prune_local_params, per value
    Vector<Value> m_branch_args;
    Vector<u32> m_branch_ranges; // br_table: per target, its arguments' offset and count
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
    Vector<Value> m_way_values;  // every local's definition at the last dispatch header
    u32 m_wasm_local_count { 0 };
    Vector<Value> m_edge_values;
    Vector<u32> m_loop_offsets;
};

} // namespace wk::engine::opt
