#pragma once

// The optimising tier's x86-64 back end (docs/optimizing-compiler.md): builds the SSA
// IR of a function (engine/opt/builder.h), runs the middle end's passes, allocates
// registers (regalloc.h) and emits code with the shared ABI (docs/engine-abi.md):
// the same calling convention, frame header (rbp chain, caller's r14/r15 at rbp-8 and
// rbp-16, results pointer at rbp-24), stack check contract, trap table, trampolines and
// relocations as the baseline, so code of both tiers calls each other freely and the
// trap and exception unwinders walk both.
//
// A function the tier cannot compile yet fails with ErrorKind::Unsupported and a named
// reason; the caller compiles it with the baseline instead.

#include "base/hash_map.h"
#include "base/result.h"
#include "base/vector.h"
#include "engine/compile/code_object.h"
#include "engine/compile/tier.h"
#include "engine/module.h"
#include "engine/opt/builder.h"
#include "engine/opt/dominators.h"
#include "engine/opt/inline.h"
#include "engine/opt/ir.h"
#include "engine/runtime/builtins.h"
#include "engine/runtime/vm.h"
#include "engine/x64/assembler.h"
#include "engine/x64/code_alignment.h"
#include "engine/x64/cpu_features.h"
#include "engine/x64/abi/call_layout.h"
#include "engine/x64/abi/frame.h"
#include "engine/x64/abi/symbols.h"
#include "engine/x64/abi/trap_stubs.h"
#include "engine/x64/baseline/baseline_compiler.h"
#include "engine/x64/opt/regalloc.h"

namespace wk::engine::x64::opt {

using abi::SymbolSpace;

// Parallel moves up to this many are ordered in registers; larger ones go through
// staging slots (moves.cpp).
inline constexpr u32 kMaxOrderedMoves = 32;
// call_indirect and call_ref call a funcref of this instance directly (a compare tree
// of `call rel32`, no retpoline) when at most this many functions can be it.
inline constexpr u32 kMaxDirectTargets = 8;

// Frames and outgoing argument areas are multiples of 16 bytes (the call ABI's alignment).
constexpr u32 align16(u32 value) { return (value + 15) & ~15u; }

// Register hints from the ABI (Allocator::run's value_hints): per value of `function`,
// the register of its class that its first call argument position (register
// arguments only; a call_indirect's index and a call_ref's funcref: rax), its call's
// single result (rax or xmm0) or the single returned value (rax or xmm0) is moved to
// or from, in layout order; Allocator::kNoHint for none.
Result<void> compute_abi_hints(const Module& module, const engine::opt::Function& function, Vector<u8>& hints);

// A builtin argument that is an address in the frame (OptimizingCompiler::call_builtin).
struct BuiltinAddress {
    u32 arg { engine::opt::kNone }; // which argument, kNone for none
    Mem memory { Gpr::rbp };
};

class OptimizingCompiler final : public compile::FunctionCompiler {
public:
    // `baseline_isa`: SSE forms only, whatever the machine offers (cpu_features.h).
    OptimizingCompiler(const Module& module, const runtime::VMOffsets& offsets, Assembler& assembler,
                       Vector<TrapEntry>& traps, SymbolSpace symbols, bool baseline_isa = false);

    // Compiles one defined function into the assembler (empty on entry); `code_base` is
    // where its code will sit in the module's code, for the trap table. On an error the
    // pipeline discards what the assembler and the trap table gained (tier.h).
    Result<void> compile_function(u32 function_index, u32 code_base) override;
    // On-stack replacement (docs/optimizing-compiler.md): with `loop_offset` not kNone,
    // compile_function compiles the function's OSR entry at that loop instead (see
    // Builder::set_osr_loop), called as osr(vmctx, baseline_rbp) by the baseline code's
    // counter stub: it loads the locals and operand stack from the baseline frame's
    // slots (baseline::local_slot_offset / stack_slot_offset), takes the results area
    // pointer of a multi-value function from that frame's header, and returns the
    // function's results as the function does.
    void set_osr_loop(u32 loop_offset)
    {
        m_osr_loop = loop_offset;
        m_builder.set_osr_loop(loop_offset);
    }
    // Forgets the trampoline needs the failed function added (its trap entries the
    // pipeline drops).
    void discard_function() override;
    // try_table is refused (the builder's "exceptions" reason): no handler ranges.
    Span<const compile::HandlerEntry> handlers() const override { return {}; }
    // Types whose wasm → array-call trampoline the code refers to.
    Span<const bool> needed_array_trampolines() const override { return m_needs_array_trampoline.span(); }
    // The call sites' stack maps (stack_maps.cpp; docs/gc.md, "Stack maps").
    Span<const StackMapEntry> stack_maps() const override { return m_stack_maps.span(); }
    Span<const u32> stack_map_bits() const override { return m_stack_map_bits.span(); }

private:
    // A source or destination of a move: a register, a spill slot, a constant (source
    // only) or a fixed memory operand (incoming/outgoing stack arguments, results areas).
    struct MoveLoc {
        enum class Kind : u8 { Reg, Slot, Const, Memory } kind { Kind::Reg };
        RegClass cls { RegClass::Gpr };
        u8 reg { 0 };
        bool dword { false }; // a Memory source holding an i32 (load 4 bytes)
        bool f32 { false };   // a float constant of 4 bytes
        bool v128 { false };  // 16 bytes (a v128 value; a Slot then names a slot pair)
        u32 slot { 0 };
        u64 bits { 0 };
        Mem memory { Gpr::rbp };
        // An integer immediate (a builtin's memory or table index, an offset).
        static MoveLoc constant(u64 bits)
        {
            MoveLoc loc;
            loc.kind = Kind::Const;
            loc.bits = bits;
            return loc;
        }
        bool same_place(const MoveLoc& other) const
        {
            if (kind != other.kind)
                return false;
            if (kind == Kind::Reg)
                return cls == other.cls && reg == other.reg;
            return kind == Kind::Slot && slot == other.slot;
        }
    };
    struct Move {
        MoveLoc dst;
        MoveLoc src;
    };

    Result<void> emit_function();
    Result<void> emit_prologue();
    Result<void> emit_frame_header();
    Result<void> emit_param_moves(Span<const ValType> params);
    // A function that needs no frame: only pure ops (no trap site, memory, global,
    // table, call or ref.func), no spill slot, parameters and result in registers.
    // It neither pushes rbp nor checks the stack nor touches r14 (see the docs).
    bool is_frameless_leaf() const;
    Result<void> emit_osr_prologue();
    Result<void> emit_block(Block block);
    Result<void> emit_inst(Inst inst);
    Result<void> emit_terminator(Inst inst, Block next);
    Result<void> emit_return(Inst inst);
    Result<void> emit_switch(Inst inst);
    // A switch with more runs of equal targets than a compare tree takes
    // (abi::kMaxCompareTreeCases) jumps through a table.
    bool uses_jump_table(Inst inst) const;
    Result<void> emit_call(Inst inst);
    // call_indirect's check of the element index in rax against table `table_index`:
    // leaves in rax its funcref, in bounds, not null and of type `type_index` (a
    // mismatch goes to a subtype stub, which comes back here when it passes).
    Result<void> emit_table_funcref(u32 table_index, u32 type_index);
    // A call's results from where `layout` puts them (rax, xmm0 or the results area at
    // rsp + stack_bytes) to their values' places.
    void emit_call_results(Inst call, const abi::CallLayout& layout);
    // rax holds a type-checked, non-null funcref of type `type_index`; calls it (the
    // arguments are in place). See "Direct dispatch" in docs/optimizing-compiler.md.
    // Each call instruction gets `call`'s stack map (record_stack_map).
    Result<void> emit_funcref_call(u32 type_index, Inst call);
    // A builtin call. `trap`: a non-zero eax raises it; `atomic_codes`: the result may be
    // one of runtime/waiter.h's k* codes, each raised as its trap.
    Result<void> emit_builtin_call(runtime::Builtin builtin, Span<const MoveLoc> args, Inst inst, TrapKind trap,
                                   bool atomic_codes = false);
    // emit_builtin_call's parts: the call (registers live across it saved; argument
    // `address.arg`, if any, is the address `address.memory` instead of args' entry),
    // then the result moved from rax to its place and the saved registers reloaded.
    Result<void> call_builtin(runtime::Builtin builtin, Span<const MoveLoc> args, Inst inst, BuiltinAddress address = {});
    void finish_builtin_call(Inst inst);
    Result<void> emit_deferred();

    // Per-op groups (lower.cpp).
    Result<void> emit_integer(Inst inst);
    Result<void> emit_bit_count(Inst inst);   // clz, ctz, popcnt
    Result<void> emit_two_address_load(Inst inst, Value a, Value b);
    void emit_alu(engine::opt::Op op, Gpr w, const Mem* memory, Gpr src);
    Result<void> emit_two_address(Inst inst); // add, sub, mul, and, or, xor
    Result<void> emit_division(Inst inst);
    Result<void> emit_shift(Inst inst);
    Result<void> emit_float(Inst inst);
    Result<void> emit_conversion(Inst inst);
    Result<void> emit_memory(Inst inst);
    Result<void> emit_global(Inst inst); // lower_memory.cpp: global.get/set
    // The memory operand of a guarded or checked access (its address operand first):
    // [memory base + address + offset] through r10 (the base of a memory other than 0)
    // and r11 (an address not in a register). lower.cpp.
    Mem access_mem(Inst inst);
    Result<void> emit_bounds_check(Inst inst); // lower_memory.cpp
    Result<void> emit_table(Inst inst);        // lower_memory.cpp: table.get/set/size
    Result<void> emit_throw(Inst inst);        // lower_memory.cpp: throw, throw_ref
    Result<void> emit_atomic(Inst inst);       // lower_atomic.cpp
    Result<void> emit_wait_notify(Inst inst);  // lower_atomic.cpp
    Result<void> emit_wide_arithmetic(Inst inst); // lower_wide.cpp
    // lower_gc.cpp: GC instructions.
    Result<void> emit_gc(Inst inst);
    Result<void> emit_gc_access(Inst inst);  // struct and array fields, array.len, ref.get_desc
    Result<void> emit_gc_builtin(Inst inst); // allocation, bulk array operations, cast tests
    void load_storage(Value result, ValType type, bool sign, Mem const& src);
    // `float_value`: the value's register when it is a float or v128.
    void store_storage(ValType type, Mem const& dst, Value value, Gpr scratch, Xmm float_value);
    // Stores `values` as the VMVals a GC builtin reads: value k of n at the returned
    // address plus 16 (n - 1 - k), the last one at the address itself, 16-byte aligned
    // (the baseline's operand slots, docs/gc.md).
    Result<Mem> store_vmvals(Span<const u32> values);
    Result<void> emit_simd(Inst inst);         // lower_simd.cpp
    Result<void> emit_simd_access(Inst inst);  // lower_simd.cpp: v128 loads and stores
    Result<void> emit_simd_in_place(Inst inst, Opcode op); // lower_simd.cpp
    Result<void> emit_select(Inst inst);
    Result<void> emit_reference(Inst inst);
    Result<void> emit_bulk(Inst inst);
    Condition emit_condition(Inst compare);

    // Moves (moves.cpp): a set of moves that happen at once, in some order that reads
    // every source before it is overwritten (cycles through r10 or xmm15).
    Result<void> emit_parallel_moves(Vector<Move>& moves);
    void emit_move(const MoveLoc& dst, const MoveLoc& src);
    Result<bool> edge_moves(u32 edge, Vector<Move>& moves);
    // Calls `visit(dst, src)` for each evicted value whose place differs between the end
    // of `from` and the start of `to` where it is live into `to`: into a register (leaving
    // its loop) or into its eviction slot (entering it); a dead end's stores to cold
    // slots are edge_moves' own.
    template<typename Visit>
    Result<void> for_each_eviction_move(Block from, Block to, Visit&& visit) const
    {
        if (!m_alloc.has_evictions())
            return {};
        for (Span<const Eviction> list : { m_alloc.evictions(to), m_alloc.evictions(from) }) {
            for (const Eviction& eviction : list) {
                if (!m_alloc.live_in(to, eviction.value))
                    continue;
                MoveLoc dst = value_loc_in(eviction.value, to);
                MoveLoc src = value_loc_in(eviction.value, from);
                if (dst.same_place(src) || (dst.kind == MoveLoc::Kind::Slot && dst.slot != eviction.slot))
                    continue;
                TRY(visit(dst, src));
            }
        }
        return {};
    }
    // Where `v` is in the block being emitted (value_loc), or in block `b` (a split
    // value's place depends on the block, Allocator::loc_in).
    MoveLoc value_loc(Value v) const { return value_loc_in(v, m_alloc.current_block()); }
    MoveLoc value_loc_in(Value v, Block b) const;

    // Values and their places.
    bool is_const(Value v) const { return m_alloc.loc(v).kind == LocKind::Const; }
    u64 const_bits(Value v) const { return m_function.inst(m_function.value(v).def).imm; }
    Mem slot_mem(u32 slot) const { return Mem(Gpr::rbp, -static_cast<i32>(abi::kFrameHeader + 8 * (slot + 1))); }
    // The 16 bytes of a v128 in slot pair (slot, slot + 1) (regalloc.h, slot_span).
    Mem v128_slot_mem(u32 slot) const { return slot_mem(slot + 1); }
    // A GPR-class value in a register: its own, or `scratch` loaded with it.
    Gpr gpr_in(Value v, Gpr scratch);
    Xmm xmm_in(Value v, Xmm scratch);
    // The register a result is computed in: its own, or `fallback` (then stored).
    Gpr result_gpr(Value v, Gpr fallback) const;
    Xmm result_xmm(Value v, Xmm fallback) const;
    void finish_gpr(Value v, Gpr working);
    void finish_xmm(Value v, Xmm working);
    void load_gpr(Gpr dst, Value v);
    void load_xmm(Xmm dst, Value v);
    bool in_reg(Value v, u8 reg, RegClass cls) const
    {
        Loc loc = m_alloc.loc(v);
        return loc.kind == LocKind::Reg && loc.reg == reg && class_of(m_function.value(v).type) == cls;
    }

    // Calls: registers of values live across `call` (not its results) are saved before
    // and reloaded after (save slots allocated on first use).
    Result<void> save_live_across(Inst call);
    // Stores `v` to its save slot where it is defined, if the allocator says so
    // (Allocator::saves_at_definition); save_live_across then only reloads it.
    Result<void> save_at_definition(Value v);
    void restore_live_across();
    // Stack maps (stack_maps.cpp): after allocation, the reference values live across each
    // call that can reach an allocation (precise SSA liveness); per emission pass, the
    // function's maps restarted; after each call instruction, its map (none when out of
    // budget or when a live reference's slot is not known: never a wrong map).
    Result<void> compute_stack_map_liveness();
    void restart_stack_maps();
    Result<void> record_stack_map(Inst call);
    void note_below_frame(u32 bytes) { m_below_frame = bytes > m_below_frame ? bytes : m_below_frame; }

    Result<Label*> trap_label(TrapKind kind);
    Result<void> record_trap_here(TrapKind kind);
    Label& block_label(Block b) { return m_labels[m_block_labels[b]]; }
    // Where a jump to `b` may go instead: past blocks that only jump on without moves
    // (e.g. a loop preheader whose parameters sit where the header's do).
    Block jump_target(Block b) const { return m_forward[b]; }
    Result<void> compute_forwarding();
    // Marks the headers of innermost loops in m_aligned_header (after compute_forwarding).
    Result<void> compute_loop_alignment();
    // `test reg, reg` for a compare of reg with 0 by equality only, left out when the
    // instruction just before set the zero flag from reg already (sub; jne instead of
    // sub; test; jne: Assembler::flags_from_result).
    void test_unless_flags_set(Gpr reg, Size size)
    {
        if (!m_asm.flags_from_result(reg, size))
            m_asm.test(reg, reg, size);
    }
    // emit_function's emission after register allocation; see there for the two passes.
    Result<void> emit_code();
    Result<u32> header_padding(u32 layout_index, u32 offset);
    Result<bool> placement_differs();
    Error unsupported(const char* what) const { return Error::from(what, ErrorKind::Unsupported, m_wasm_offset); }

    const Module& m_module;
    const runtime::VMOffsets& m_offsets;
    Assembler& m_asm;
    Vector<TrapEntry>& m_traps;
    SymbolSpace m_symbols;
    Vector<bool> m_needs_array_trampoline;
    // Defined functions a funcref can name (Module::declared_functions) as
    // (canonical type << 32 | function index), sorted: the targets of direct dispatch.
    Vector<u64> m_declared_by_type;
    bool m_declared_by_type_ready { false };

    engine::opt::Builder m_builder;
    engine::opt::Inliner m_inliner;
    engine::opt::Function m_function;
    Allocator m_alloc;
    abi::LabelPool m_labels;
    Vector<u32> m_block_labels;
    Vector<u32> m_forward; // per block: jump_target
    Vector<bool> m_aligned_header; // per block: padded by x64::align_loop_header (code_alignment.h)
    Vector<u32> m_loop_position;   // compute_loop_alignment's scratch, per block
    Vector<u32> m_loop_end;
    // Which jumps are back edges (compute_loop_alignment, first emission pass).
    engine::opt::DominatorTree m_loop_dominators;
    // Loop placement's record of the first emission pass (emit_function): per layout
    // position, the block's offset before and after any header padding and its end;
    // the offsets of every instruction (Assembler::record_instruction_starts).
    u32 m_placement_pass { 1 };
    Vector<u32> m_layout_unpadded;
    Vector<u32> m_layout_start;
    Vector<u32> m_layout_end;
    Vector<u32> m_instruction_starts;
    Vector<u32> m_header_starts; // header_padding's scratch
    abi::TrapStubs m_trap_stubs;
    abi::CallLayout m_self_layout;
    abi::CallLayout m_call_layout;
    Vector<u32> m_new_trampolines; // types first needed by the function being compiled
    Vector<Move> m_moves;
    Vector<u32> m_staging; // slots of large parallel moves (moves.cpp), per function
    Vector<u8> m_entry_hints; // per parameter, its ABI register (Allocator::run)
    Vector<u8> m_value_hints; // per value, compute_abi_hints (Allocator::run)

    // Edges whose moves sit out of line: (label, edge).
    struct EdgeStub {
        u32 label;
        u32 edge;
    };
    Vector<EdgeStub> m_edge_stubs;
    // call_indirect's subtype checks out of line: (entry label, return label).
    struct SubtypeStub {
        u32 entry;
        u32 back;
    };
    Vector<SubtypeStub> m_subtype_stubs;

    // Save slots of values live across calls; cursors into the allocator's per-register
    // interval lists (positions only grow while emitting).
    Vector<u32> m_save_slot;
    // Values whose definition stored them already (emitted before this point in layout
    // order, so it dominates every later point where they are live).
    Vector<bool> m_saved_at_definition;
    u32 m_cursor[32] {};
    struct Saved {
        RegClass cls;
        u8 reg;
        u32 slot;
        bool v128; // 16 bytes, in slot pair (slot, slot + 1)
    };
    Vector<Saved> m_saved;
    // A slot holding 0 for the Spectre clamps of table accesses (no third scratch
    // register); allocated on first use, kNone until then.
    u32 m_zero_slot { engine::opt::kNone };
    // Two slots where atomics save rax and rdx (lower_atomic.cpp), allocated on first use.
    u32 m_atomic_slot { engine::opt::kNone };
    // Two slot pairs where SIMD lowering saves registers it borrows (lower_simd.cpp),
    // allocated on first use.
    u32 m_simd_borrow_slot { engine::opt::kNone };
    // Slots where GC builtins' operands are stored as VMVals (store_vmvals): the first
    // and how many, allocated on first use and grown by a new area when too small.
    u32 m_vmval_slot { engine::opt::kNone };
    u32 m_vmval_slots { 0 };

    // Stack maps: entries and bitmaps of the functions compiled so far, where this
    // function's begin, the bitmaps of this function by hash, a scratch bitmap; per
    // instruction the start of its live references in m_live_refs (kNone: no map) and
    // their count; per value its index among the function's references (m_ref_values).
    Vector<StackMapEntry> m_stack_maps;
    Vector<u32> m_stack_map_bits;
    u32 m_function_stack_maps { 0 };
    u32 m_function_stack_map_bits { 0 };
    HashMap<u64, u32> m_stack_map_dedup;
    Vector<u32> m_stack_map_scratch;
    Vector<u32> m_live_refs_first;
    Vector<u32> m_live_refs_count;
    Vector<Value> m_live_refs;
    Vector<u32> m_ref_index;
    Vector<Value> m_ref_values;
    Vector<u64> m_live_scratch;
    // Work left to this function's maps (visits, see stack_maps.cpp), at the start of an
    // emission pass and now; bitmap words the module may keep (0: not computed yet).
    u64 m_stack_map_pass_budget { 0 };
    u64 m_stack_map_budget { 0 };
    u64 m_stack_map_words_limit { 0 };

    bool m_uses_memory0 { false }; // r15 is loaded only then
    bool m_frameless { false };
    // Between a compare fused early (Allocator::is_fused_early) and its branch: the
    // condition it left in the flags, which the instructions in between must keep.
    bool m_preserve_flags { false };
    Condition m_fused_condition { Condition::Equal };
    bool m_avx { false };
    bool m_lzcnt { false };
    bool m_bmi1 { false };
    u32 m_function_index { 0 };
    u32 m_osr_loop { engine::opt::kNone };
    u32 m_code_base { 0 };
    u32 m_wasm_offset { 0 };
    abi::FrameEntry m_frame_entry;
    u32 m_below_frame { 0 };
    u32 m_function_start { 0 };
    u32 m_code_budget { 0 };
};

} // namespace wk::engine::x64::opt
