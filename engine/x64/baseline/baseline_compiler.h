#pragma once

// The x86-64 single-pass baseline compiler (docs/baseline-compiler.md): a visitor over
// the shared decoding loop that wraps the validator, keeps the operand stack in a
// compile::ValueStack (registers, lazy constants, home slots) and emits code through
// the x64 Assembler. One BaselineCompiler compiles every function of a module into one
// code buffer; instruction groups live in their own files (control.cpp, integer.cpp,
// float.cpp, conversion.cpp, memory.cpp, locals_globals.cpp, call.cpp, table_ref.cpp,
// simd.cpp, atomic.cpp, gc.cpp) and are reached from dispatch in baseline_compiler.cpp.
//
// Frame of a compiled function (rbp-relative):
//   [rbp + 16 ...]   incoming stack arguments
//   [rbp + 8]        return address
//   [rbp]            caller's rbp
//   [rbp - 8]        caller's r14     [rbp - 16] caller's r15
//   [rbp - 24]       results area pointer (multi-value functions)
//   [rbp - 32 - 16 * (i + 1)]              local i
//   [rbp - 32 - 16 * (locals + i + 1)]     home slot of operand stack entry i
//   [rsp + 16 * k]   save area (if-block parameters for the else branch)
//   below rsp        a call site's outgoing area (stack arguments, results), return
//                    address and what the callee writes before its own check
//
// NOTE: contract of the stack check. The prologue traps ("call stack exhausted") unless
// rbp - (frame + below) >= VMContext::stack_limit, where `below` is the most any site
// of the function writes under its frame: outgoing area + return address + the callee's
// saved rbp (16) for wasm callees, which then check their own frame; plus the whole
// wasm → array-call trampoline frame for calls through funcrefs and imports; plus the
// two pushes around the FuncSubtype call; plus what calls and jumps through the
// retpoline thunk push (kRetpolineCallBytes, kRetpolineJumpBytes). So compiled code and
// its trampolines never write below the limit; only host code (builtins, host functions,
// the interrupt and fault entry) runs below it, in the reserve the platform leaves
// (wasm_stack_limit).
//
// NOTE: the check's trap stub is `ud2; jmp <after the check>`, and at its ud2 r11 holds the
// lowest address the frame needs (rbp - (frame + below)) and rdi the VMContext whose
// stack_limit it compared against. An environment whose stacks grow (the kernel) lowers
// that limit once the stack down to r11 is usable and resumes after the ud2
// (engine::resolve_stack_check); everyone else lets it trap.
//
// Registers: r14 = vmctx, r15 = memory 0 base, r11 and xmm15 are scratch; rax, rcx,
// rdx, rsi, rdi, r8-r10 and xmm0-xmm14 are allocatable to operands; rbx, r12, r13 hold
// only cached locals (local_cache.cpp), which may also occupy allocatable registers.
//
// NOTE: contract of the local register cache (docs/baseline-compiler.md "Local register
// cache"). A local's frame slot always holds its current value (local.set writes
// through), and a register that the cache state names for a local holds that same value.
// So the cache can be forgotten anywhere without emitting code; it is forgotten before
// every call, builtin call and throw (which clobber every register but rbp, rsp, r14 and
// r15), and a landing pad starts with nothing cached. At a loop header the registers of
// the header's cache state are live: code emitted there (and on a back edge after the
// moves into that state) must preserve every register but r11 and xmm15.

#include "base/hash_map.h"
#include "base/result.h"
#include "base/vector.h"
#include "engine/binary/instruction.h"
#include "engine/compile/code_helpers.h"
#include "engine/compile/code_object.h"
#include "engine/compile/tier.h"
#include "engine/compile/value_stack.h"
#include "engine/module.h"
#include "engine/platform.h"
#include "engine/runtime/builtins.h"
#include "engine/runtime/vm.h"
#include "engine/valid/function_validator.h"
#include "engine/x64/abi/frame.h"
#include "engine/x64/assembler.h"
#include "engine/x64/abi/call_layout.h"
#include "engine/x64/abi/symbols.h"
#include "engine/x64/abi/trap_stubs.h"

namespace wk::engine::x64::baseline {

using compile::Location;
using compile::RegClass;
using compile::StackEntry;
// The shared ABI (engine/x64/abi/): the call convention and the module's symbols.
using abi::ArgSlot;
using abi::CallLayout;
using abi::compute_call_layout;
using abi::SymbolSpace;
using compile::CodeHelper;

using abi::LabelPool;

// Which local each register caches (class Gpr: index 0, Fpr: 1), or kNone; `used` has
// a bit per register that caches one (the loops over a state visit only those).
struct CacheState {
    static constexpr u32 kNone = ~u32 { 0 };
    u32 local[2][16];
    u32 used[2];

    void clear()
    {
        for (auto& row : local) {
            for (u32& entry : row)
                entry = kNone;
        }
        used[0] = used[1] = 0;
    }
    void set(u32 c, u32 reg, u32 value)
    {
        local[c][reg] = value;
        if (value == kNone)
            used[c] &= ~(u32 { 1 } << reg);
        else
            used[c] |= u32 { 1 } << reg;
    }
    // Keeps only what `other` agrees with (the state valid after both).
    void intersect(const CacheState& other)
    {
        for (u32 c = 0; c < 2; ++c) {
            for (u32 bits = used[c]; bits; bits &= bits - 1) {
                u32 r = static_cast<u32>(__builtin_ctz(bits));
                if (local[c][r] != other.local[c][r])
                    set(c, r, kNone);
            }
        }
    }
};

// Visits the registers whose bit is set in `bits` (a copy: the body may change the set).
template<typename Body>
inline void for_each_register(u32 bits, Body body)
{
    for (; bits; bits &= bits - 1)
        body(static_cast<u8>(__builtin_ctz(bits)));
}

struct Control {
    FrameKind kind { FrameKind::Block };
    u32 height { 0 }; // value stack height below the block's parameters
    u32 param_count { 0 };
    u32 result_count { 0 };
    u32 label { 0 };      // end (block, if, function) or header (loop)
    u32 else_label { 0 }; // if: the false branch
    u32 save_area { 0 };  // if with parameters: first save slot
    // m_ref_saves' size when the block began: the save slots it adds there hold
    // references only while it is open (stack_maps.cpp).
    u32 ref_saves { 0 };
    bool label_used { false };
    bool else_seen { false };
    BlockType block;
    // try_table: where its body's code starts, and its catch clauses in the module bytes.
    u32 try_start { 0 };
    u32 catch_offset { 0 };
    u32 catch_count { 0 };
    // try and try_table: the label of the landing pad, where a `delegate` aimed at the
    // block sends exceptions (pad_used: some delegate did). A legacy try after its first
    // catch: the save slot holding the caught exception (for `rethrow`), and the label
    // of the next clause's tag test.
    u32 pad { kNoPad };
    bool pad_used { false };
    u32 exception_slot { 0 };
    u32 next_clause { kNoPad };
    // The m_controls index of the innermost try (before its catches) or try_table strictly
    // around this block when it began, or kNoPad. NOTE: it stays right while the block is
    // open (a try around it cannot reach its catches first), so a delegate finds its
    // target in O(1) however deep the nesting.
    u32 outer_handler { kNoPad };
    static constexpr u32 kNoPad = ~u32 { 0 };
    // The local register cache, as slots of the compiler's state pool (kNoState: nothing
    // cached): `entry` for a loop is the state at its header (every back edge moves into
    // it), for an if the state its false edge carries; `merge` is the intersection of the
    // states of the edges to the end label so far.
    u16 entry { 0xFFFF };
    u16 merge { 0xFFFF };
    bool merge_reached { false };
    u32 loop_index { ~u32 { 0 } }; // the innermost loop around or at this frame (m_controls index)
};

class BaselineCompiler final : public compile::FunctionCompiler {
public:
    BaselineCompiler(const Module& module, const runtime::VMOffsets& offsets, Assembler& assembler,
                     Vector<TrapEntry>& traps);

    SymbolSpace symbols() const { return m_symbols; }
    // Tier-up counters (Tier::Tiered): the prologue and every loop header decrement the
    // function's budget (VMOffsets::kTierBudgets) and call CodeHelper::TierUp out of line
    // when it goes below zero.
    void set_tier_counters(bool enabled) { m_tier_counters = enabled; }

    // The tier interface (engine/compile/tier.h).
    // Compiles one function into the assembler (which must be empty); `code_base` is
    // where its code will sit in the module's code, for the trap table.
    Result<void> compile_function(u32 function_index, u32 code_base) override;
    void discard_function() override;
    // The try_table ranges of the functions compiled so far (module code offsets, in the
    // order their bodies ended).
    Span<const compile::HandlerEntry> handlers() const override { return m_handlers.span(); }
    // Types whose wasm → array-call trampoline the code refers to.
    Span<const bool> needed_array_trampolines() const override { return m_needs_array_trampoline.span(); }
    // The call sites' stack maps (stack_maps.cpp; docs/gc.md, "Stack maps").
    Span<const StackMapEntry> stack_maps() const override { return m_stack_maps.span(); }
    Span<const u32> stack_map_bits() const override { return m_stack_map_bits.span(); }

    // Visitor interface of walk_code.
    bool finished() const { return m_validator.finished(); }
    Result<void> visit(const Instruction& instruction);

    // ---- shared by the instruction groups ----------------------------------------
    const Module& module() const { return m_module; }
    Assembler& masm() { return m_asm; }
    compile::ValueStack& stack() { return m_stack; }

    // Registers.
    Result<u8> allocate(RegClass cls);
    Result<void> take_fixed(RegClass cls, u8 reg);
    Result<u8> pop_reg(RegClass cls);
    Result<u8> pop_into(RegClass cls, u8 reg);
    void release(RegClass cls, u8 reg) { m_stack.release(cls, reg); }
    Result<void> push_reg(ValKind kind, u8 reg) { return m_stack.push_register(kind, reg); }
    Result<void> spill_entry(u32 index);
    Result<void> spill_all();
    void load_entry(const StackEntry& entry, u32 index, u8 reg);

    // Frame addressing.
    Mem slot(u32 stack_index) const;
    Mem local_slot(u32 local_index) const;
    Mem save_slot(u32 k) const { return Mem(Gpr::rsp, static_cast<i32>(16 * k)); }
    void store_kind(ValKind kind, Mem const& dst, u8 reg);
    void load_kind(ValKind kind, u8 reg, Mem const& src);
    void store_constant(ValKind kind, Mem const& dst, u64 bits);
    void copy_slot(ValKind kind, Mem const& dst, Mem const& src);

    // Traps: a jump to the function's trap stub of `kind`, or a trap-table entry for
    // the instruction about to be emitted.
    Result<Label*> trap_label(TrapKind kind);
    Result<void> record_trap_here(TrapKind kind);

    Result<void> call_code_helper(CodeHelper helper);
    // Calls VMContext::builtins[builtin] (engine/runtime/builtins.h).
    void call_runtime_builtin(runtime::Builtin builtin);
    // A builtin call with the vmctx and then `args` as its System V arguments; an
    // argument is an immediate or wasm operand k of the `operand_count` operands on top
    // of the stack (0 the deepest), which are consumed. A trapping builtin's non-zero
    // result raises `trap`; `result` (if not Bottom) is pushed from rax.
    struct BuiltinArg {
        bool is_operand;
        u64 value;
    };
    static BuiltinArg operand(u32 k) { return { true, k }; }
    static BuiltinArg immediate(u64 value) { return { false, value }; }
    Result<void> call_builtin_with(runtime::Builtin builtin, Span<const BuiltinArg> args, u32 operand_count,
                                   TrapKind trap, ValKind result);
    Result<void> require_array_trampoline(u32 type_index)
    {
        if (m_needs_array_trampoline[type_index])
            return {};
        m_needs_array_trampoline[type_index] = true;
        return m_function_trampolines.try_append(type_index);
    }
    // stack_maps.cpp: records the map of the call instruction just emitted (its return
    // address is the current offset): the reference locals and operand stack entries
    // [0, height), which must be in their home slots.
    Result<void> record_stack_map(u32 height);
    // The map of a call after which the frame holds nothing live: a loop's call of its OSR
    // entry, which runs the rest of the function (this frame only returns its results).
    Result<void> record_empty_stack_map();
    // Records that some site writes `bytes` below the frame (see the contract above).
    void note_below_frame(u32 bytes) { m_below_frame = bytes > m_below_frame ? bytes : m_below_frame; }

    // Value kinds of a block's parameters and results.
    Span<const ValType> block_params(const BlockType& block) const;
    Span<const ValType> block_results(const BlockType& block) const;

    // Hostile bodies can ask for code quadratic in their size (branches that each move
    // a thousand values); past a budget linear in the body size compilation stops.
    Result<void> check_code_budget() const
    {
        if (m_asm.offset() - m_function_start > m_code_budget) [[unlikely]]
            return unsupported("implementation limit: function too large to compile");
        return {};
    }

    Error unsupported(const char* what) const { return Error::from(what, ErrorKind::Unsupported, m_offset); }

private:
    // Instruction groups (one file each).
    Result<void> emit_control(const Instruction&);
    Result<void> emit_variable(const Instruction&);
    Result<void> emit_integer(const Instruction&);
    Result<void> emit_integer_compare(Opcode, ValKind);
    Result<void> emit_bit_count(Opcode, ValKind);
    Result<void> emit_integer_alu(Opcode, ValKind);
    Result<void> emit_shift(Opcode, ValKind);
    Result<void> emit_division(Opcode, ValKind);
    Result<void> emit_wide_arithmetic(Opcode);
    Result<void> emit_float(const Instruction&);
    Result<void> emit_float_conversion(const Instruction&);
    Result<void> emit_conversion(const Instruction&);
    Result<void> emit_memory(const Instruction&);
    Result<void> emit_load_store(const Instruction&, u32 memory_index);
    Result<void> emit_call(const Instruction&);
    Result<void> emit_table_ref(const Instruction&);
    Result<void> emit_simd(const Instruction&);
    Result<void> emit_simd_memory(const Instruction&, const OpcodeInfo& info);
    Result<void> emit_atomic(const Instruction&);
    Result<void> emit_wait_notify(const Instruction&);
    Result<void> emit_exception(const Instruction&);
    Result<void> emit_gc(const Instruction&);

    // gc.cpp: a GC builtin call. An argument is an immediate, wasm operand k of the
    // `operand_count` operands on top of the stack (0 the deepest, consumed), or the
    // address of operand k's home slot. `traps` are the kinds the builtin may report
    // (rdx for allocations, eax otherwise); the result is pushed from rax.
    struct GcArg {
        enum class Kind : u8 { Immediate, Operand, SlotAddress };
        Kind kind;
        u64 value;
        static GcArg immediate(u64 value) { return { Kind::Immediate, value }; }
        static GcArg operand(u32 k) { return { Kind::Operand, k }; }
        static GcArg slot_address(u32 k) { return { Kind::SlotAddress, k }; }
    };
    enum class GcResult : u8 { None, Object, Test };
    Result<void> call_gc_builtin(runtime::Builtin builtin, Span<const GcArg> args, u32 operand_count,
                                 Span<const TrapKind> traps, GcResult result);
    Result<void> emit_cast_test(ValType target);
    Result<void> emit_descriptor_test(bool nullable);
    Result<void> emit_gc_struct(const Instruction&);
    Result<void> emit_gc_array(const Instruction&);
    Result<void> emit_gc_cast(const Instruction&);
    Result<void> load_storage(ValType type, bool sign, u8 reg, Mem const& src, u8 other);
    void store_storage(ValType type, Mem const& dst, u8 value);
    Result<Mem> array_element(ValType element, u8& array, u8& index);

    // A compare whose i32 result is still only in a register: `br_if` or `if` right
    // after it branches on the flags instead (integer.cpp records it; take_condition
    // drops the setcc/movzx and pops the result when it can).
    struct PendingCondition {
        u32 instruction { ~u32 { 0 } }; // m_instruction_count of the compare
        u32 setcc_offset { 0 };
        u32 end_offset { 0 };
        u32 height { 0 };
        u8 reg { 0 };
        Condition condition { Condition::Equal };
    };
    void note_condition(Condition condition, u32 setcc_offset, u8 reg);
    std::optional<Condition> take_condition();

    // stack_maps.cpp
    bool holds_gc_refs(ValType type) const;
    Result<void> begin_stack_maps(u32 body_bytes);
    void discard_stack_maps();
    // The save slots (m_ref_saves) the maps name from here on, until the block on top of
    // m_controls ends.
    Result<void> add_ref_save(u32 save_slot) { return m_ref_saves.try_append(save_slot); }
    void end_ref_saves(const Control& control) { MUST(m_ref_saves.try_resize(control.ref_saves)); }
    // The function's frame has `frame_slots` 16-byte slots below its header: the maps
    // that name save slots get their bitmaps.
    Result<void> finish_stack_maps(u32 frame_slots);

    // Dead-code tracking around the validator (control.cpp).
    Result<void> visit_dead(const Instruction&);

    // memory.cpp: bounds check (if the memory needs one) and the access operand.
    Result<Mem> memory_operand(u32 memory_index, u64 offset, u32 bytes, u8 address);

    // locals_globals.cpp: copies lazy local.get entries of `local` to their slots.
    void materialize_local(u32 local);

    // local_cache.cpp: the local register cache (see the contract above).
    static constexpr u8 kNotCached = 0xFF;
    // The register caching `local`, or kNotCached.
    u8 cached_register(u32 local) const { return m_local_register[local]; }
    // Forgets every cached local (no code).
    void cache_clear();
    static bool cacheable(ValKind kind)
    {
        return kind == ValKind::I32 || kind == ValKind::I64 || kind == ValKind::F32 || kind == ValKind::F64
            || kind == ValKind::Ref;
    }
    void cache_drop(RegClass cls, u8 reg);
    void cache_bind(u32 local, RegClass cls, u8 reg);
    void cache_touch(RegClass cls, u8 reg) { m_cache_stamp[cls == RegClass::Gpr ? 0 : 1][reg] = ++m_cache_clock; }
    // A register for a newly cached local (evicting the least recently used cached local
    // if need be; one the innermost loop's header holds only if `evict_header`), or
    // kNotCached.
    u8 cache_pick(RegClass cls, bool evict_header);
    // The least recently used cached register (allocatable ones only if asked), preferring
    // those the innermost loop's header state does not hold; kNotCached if none.
    u8 cache_victim(RegClass cls, bool allocatable_only, bool spare_header) const;
    // Frees an allocatable register held by a cached local for the operand stack;
    // false when the cache holds none.
    bool cache_evict_allocatable(RegClass cls);
    // Cache states of open control frames live in a fixed pool, so that the compiler's
    // memory does not grow with the nesting depth; with the pool exhausted a frame gets
    // kNoState, an empty state (the cache is forgotten there).
    static constexpr u16 kNoState = 0xFFFF;
    static constexpr u32 kStatePool = 64;
    // A pool slot holding `state`, or kNoState when the pool is full.
    u16 state_save(const CacheState& state);
    const CacheState& state_of(u16 slot) const { return slot == kNoState ? m_empty_state : m_state_pool[slot]; }
    void state_release(u16 slot)
    {
        if (slot != kNoState)
            m_state_free |= u64 { 1 } << slot;
    }
    // Switches the bookkeeping to `target` (no code: only where the machine state is it).
    Result<void> cache_set_state(const CacheState& target);
    // Emits moves and loads (never touching the flags) so that every local `target`
    // caches is in its register there; other cached locals may stay.
    Result<void> cache_conform(const CacheState& target);
    bool cache_satisfies(const CacheState& target) const;
    // The cache side of an edge to `target`: a loop's header state, or the merge of a
    // forward label.
    Result<void> cache_edge(Control& target);
    void cache_merge(Control& target, const CacheState& state);
    // Before a loop header: keeps or loads into registers the locals the loop uses most
    // (a bounded scan of its body) and forgets the others.
    Result<void> cache_prepare_loop(u32 loop_offset);
    Result<void> local_get(u32 local);
    Result<void> local_set(u32 local, bool tee);

    // control.cpp
    Result<void> begin_block(FrameKind kind, const BlockType& block);
    Result<void> end_block();
    Result<void> emit_else();
    Result<void> branch_to(u32 depth);
    Result<void> move_branch_values(const Control& target, u32 count);
    Result<void> emit_return();
    Result<void> emit_compare_tree(Gpr index, Span<const u32> targets, u32 first, u32 end);
    Result<void> emit_br_if(const Instruction&);
    Result<void> emit_br_table(const Instruction&);
    void mark_dead();

    // exception.cpp
    Result<void> end_try_table(Control& control, bool live);
    // `map_height`: a throw's stack map covers the operand stack below it (kNoMap: none).
    static constexpr u32 kNoMap = ~u32 { 0 };
    Result<void> call_throw(u32 map_height = kNoMap);
    Result<void> exclude_from_handlers(u32 start);
    static constexpr u32 kLandingAtEnd = compile::kNoLanding - 1;
    Result<void> append_handler(u32 start, u32 landing);
    Result<void> rethrow_from(Mem const& exception);
    Result<void> rethrow_from(Gpr exception);
    // legacy_exception.cpp: try, catch, catch_all, delegate, rethrow.
    Result<void> emit_legacy_exception(const Instruction& instruction);
    Result<void> begin_catch(const Instruction& instruction);
    Result<void> end_delegate(u32 depth);
    Result<void> end_legacy_try(Control& control, bool& live);
    Result<void> resolve_delegates();
    Control& frame(u32 depth) { return m_controls[m_controls.size() - 1 - depth]; }

    // call.cpp
    Result<void> call_function(u32 function_index, bool tail);
    Result<void> call_through_funcref(u32 type_index, bool tail);
    Result<void> call_indirect(u32 type_index, u32 table_index, bool tail);
    Result<void> call_ref(u32 type_index, bool tail);
    Result<void> setup_arguments(const CallLayout& layout, u32 base, bool tail);
    Result<void> finish_call(const CallLayout& layout, u32 base, u32 outgoing);
    Result<void> return_after_call(u32 call_start);

    Result<void> emit_prologue(u32 function_index);
    Result<void> emit_trap_stubs();
    // Tier-up counters (set_tier_counters): the decrement here, the stubs at the end.
    Result<void> emit_tier_counter(u32 loop_offset = kNoLoop);
    Result<void> emit_tier_counter_stubs();

    const Module& m_module;
    const runtime::VMOffsets& m_offsets;
    Assembler& m_asm;
    Vector<TrapEntry>& m_traps;
    TypeContext m_types;
    FunctionValidator m_validator;
    SymbolSpace m_symbols;
    Vector<bool> m_needs_array_trampoline;
    Vector<u32> m_function_trampolines; // types first needed by the function being compiled

    compile::ValueStack m_stack;
    Vector<Control> m_controls;
    LabelPool m_labels;
    abi::TrapStubs m_trap_stubs;
    Vector<ValKind> m_local_kinds;
    Vector<u32> m_local_first_ref; // per local: lowest stack index that may be a Local entry of it
    CallLayout m_self_layout;
    CallLayout m_call_layout;
    u32 m_function_index { 0 };
    u32 m_offset { 0 };
    bool m_dead { false };
    u32 m_dead_depth { 0 };
    u32 m_save_used { 0 };
    u32 m_save_max { 0 };
    u32 m_function_start { 0 };
    u32 m_code_base { 0 };
    u32 m_code_budget { 0 };
    abi::FrameEntry m_frame_entry;
    u32 m_below_frame { 0 }; // most bytes any site writes below the frame
    Vector<compile::HandlerEntry> m_handlers;
    PendingCondition m_condition;
    u32 m_instruction_count { 0 };
    u32 m_function_handlers { 0 }; // first entry of the function being compiled
    // Delegate ranges whose landing is a pad not bound yet: handler index, pad label id.
    struct PendingLanding {
        u32 handler { 0 };
        u32 pad { 0 };
    };
    Vector<PendingLanding> m_pending_landings;
    bool m_tier_counters { false };
    struct CounterStub {
        u32 stub { 0 };   // label ids
        u32 resume { 0 };
        u32 loop_offset { 0 }; // a loop header's: the loop's module byte offset; else kNoLoop
    };
    static constexpr u32 kNoLoop = 0xFFFF'FFFF;
    Vector<CounterStub> m_counter_stubs;

    // Stack maps (stack_maps.cpp): entries and bitmaps of the functions compiled so far,
    // where the current function's begin, a bitmap's index by hash (dedup), the locals'
    // reference bits, the work the current function may still spend on maps, and the
    // bitmap words the module may keep (0: not computed yet; see stack_maps.cpp).
    Vector<StackMapEntry> m_stack_maps;
    Vector<u32> m_stack_map_bits;
    u32 m_function_stack_maps { 0 };
    u32 m_function_stack_map_bits { 0 };
    HashMap<u64, u32> m_stack_map_dedup;
    Vector<u32> m_local_ref_bits;
    Vector<u32> m_stack_map_scratch;
    u64 m_stack_map_budget { 0 };
    u64 m_stack_map_words_limit { 0 };
    // Save slots holding references of the any, extern or exn hierarchies now: a legacy
    // catch's exception, read by rethrow (an if's saved parameters are not: on the path
    // that reads them no call runs between the save and the read). Their
    // rbp offsets are known only with the frame's size, at the function's end: each map
    // recorded while some are live notes them (m_save_map_patches, their indices in
    // m_save_map_slots) and gets its bitmap then.
    struct SaveMapPatch {
        u32 entry;
        u32 first;
        u32 count;
    };
    Vector<u32> m_ref_saves;
    Vector<SaveMapPatch> m_save_map_patches;
    Vector<u32> m_save_map_slots;

    CacheState m_cache;
    CacheState m_empty_state;
    CacheState m_state_pool[kStatePool];
    u64 m_state_free { ~u64 { 0 } }; // a bit per free pool slot
    Vector<u8> m_local_register; // per local: its cache register, or kNotCached
    u32 m_cache_stamp[2][16] {};
    u32 m_cache_clock { 0 };
    Vector<u32> m_scan_weight;   // per local: uses seen by cache_prepare_loop's scan
    Vector<u32> m_scan_touched;  // locals whose m_scan_weight is not zero
    u32 m_code_end { 0 };
    u64 m_scan_budget { 0 };     // instructions loop scans may still read
};

using abi::kCalleeEntryBytes;
using abi::kFrameHeader;
using abi::kMemoryBase;
using abi::kResultsPointer;
using abi::kRetpolineCallBytes;
using abi::kRetpolineJumpBytes;
using abi::kSavedR14;
using abi::kSavedR15;
using abi::kScratch;
using abi::kScratchXmm;
using abi::kVmctx;

// The baseline frame's slots (the layout above), rbp-relative: local i, and the home
// slot of operand stack entry k of a function with `local_count` locals (parameters
// included). NOTE: on-stack replacement (docs/optimizing-compiler.md) reads a baseline
// frame at a loop header through these: the optimising tier's OSR entry loads each
// local and each operand stack entry from here, so both tiers use these two only.
constexpr i32 local_slot_offset(u32 local)
{
    return static_cast<i32>(-static_cast<i64>(kFrameHeader) - 16 * (static_cast<i64>(local) + 1));
}
constexpr i32 stack_slot_offset(u32 local_count, u32 stack_index)
{
    return static_cast<i32>(-static_cast<i64>(kFrameHeader) - 16 * (static_cast<i64>(local_count) + stack_index + 1));
}

constexpr Gpr gpr(u8 reg) { return static_cast<Gpr>(reg); }
constexpr Xmm xmm(u8 reg) { return static_cast<Xmm>(reg); }
constexpr Size int_size(ValKind kind) { return kind == ValKind::I32 ? Size::Dword : Size::Qword; }

} // namespace wk::engine::x64::baseline
