#pragma once

// Register allocation for the optimising tier (docs/optimizing-compiler.md, "Register
// allocation"): linear scan (Poletto and Sarkar) over the IR's SSA values in layout
// order. Each value gets one live interval, from its definition to its last use,
// widened over every block where it is live in or live out (liveness by walks back
// from each use to the definition, sparse sets), and lives in one register or one spill slot for all of
// it. Constants get no location: their uses rematerialise them.
//
// Constraints: instructions with fixed registers (div/rem: rax and rdx; shifts and
// rotations by a variable count: rcx) block those registers at their position, so no
// interval crossing it gets them. Calls block nothing: every register is caller-saved
// in the wasm ABI (engine-abi.md), and the code generator saves the registers of
// values live across a call to their save slots and reloads them after it (the
// intervals tell which, see live_across); a value that crosses calls more often than
// it is used, by loop-weighted counts, gets its spill slot instead (prefers_slot).
// Hints, in this order: a block parameter prefers the register of an incoming
// argument, a loop-carried argument its parameter's, an entry parameter the register
// it arrives in; then the ABI register of a value's first call argument position, its
// call's result or the return (value_hints); then, for the result of a two-address
// instruction, its first operand's. A value without a usable hint avoids registers
// that values defined inside its interval want by the ABI (wanted).
//
// Positions: instruction k of the layout reads its operands at 2k and writes its
// results at 2k+1; a block's parameters are written at its start position.

#include <algorithm>

#include "base/result.h"
#include "base/vector.h"
#include "engine/opt/dominators.h"
#include "engine/opt/ir.h"
#include "engine/x64/registers.h"

namespace wk::engine::x64::opt {

using engine::opt::Block;
using engine::opt::Function;
using engine::opt::Inst;
using engine::opt::Value;

enum class RegClass : u8 { Gpr, Xmm };

constexpr RegClass class_of(engine::opt::Type type)
{
    using engine::opt::Type;
    return type == Type::F32 || type == Type::F64 || type == Type::V128 ? RegClass::Xmm : RegClass::Gpr;
}

// Spill slots are 8 bytes; a v128 value takes two consecutive ones, s and s + 1, and
// its 16 bytes start at slot s + 1's address (slots grow downwards). They are accessed
// with unaligned moves (movdqu), so slot pairs need no alignment.
constexpr u32 slot_span(engine::opt::Type type) { return type == engine::opt::Type::V128 ? 2 : 1; }

enum class LocKind : u8 { None, Reg, Slot, Const };

struct Loc {
    LocKind kind { LocKind::None };
    u8 reg { 0 };
    u32 slot { 0 };
    bool operator==(const Loc&) const = default;
};

// Registers the allocator hands out. r10/r11 and xmm14/xmm15 are the code
// generator's scratch registers; r14 (vmctx), r15 (memory 0), rsp and rbp are fixed.
inline constexpr Gpr kAllocatableGprs[] = { Gpr::rax, Gpr::rcx, Gpr::rdx, Gpr::rsi, Gpr::rdi, Gpr::r8,
                                            Gpr::r9, Gpr::rbx, Gpr::r12, Gpr::r13 };
inline constexpr u32 kAllocatableXmms = 14; // xmm0 .. xmm13
// How many registers of `cls` the allocator hands out, and the k-th of them (its number).
inline u32 allocatable_count(RegClass cls)
{
    return cls == RegClass::Gpr ? static_cast<u32>(sizeof(kAllocatableGprs) / sizeof(kAllocatableGprs[0])) : kAllocatableXmms;
}
inline u8 allocatable_reg(RegClass cls, u32 k) { return cls == RegClass::Gpr ? number(kAllocatableGprs[k]) : static_cast<u8>(k); }

struct Interval {
    u32 start { 0 };
    u32 end { 0 };
    Value value { 0 };
};

// A piece of a split live range: inside `block`, `value` (whose own location is its
// spill slot) lives in register `reg` of its class (see Allocator::split_loops).
struct Split {
    Block block { 0 };
    Value value { 0 };
    u8 reg { 0 };
};

// A value that holds a register across a loop without a use or definition there, evicted
// from it inside `block` (a block of that loop) so that a piece of a split range gets the
// register (see Allocator::split_loops): there it lives in `slot`, stored on the edges
// into the loop's header and loaded on the edges out of the loop where it is live.
struct Eviction {
    Block block { 0 };
    Value value { 0 };
    u32 slot { 0 };
};

class Allocator {
public:
    // Allocates every value of `function` (verified, layout final). Refuses with
    // Unsupported functions whose liveness sets would exceed the memory budget.
    // `entry_hints`: per parameter of the function, the register it arrives in (kNoHint
    // for none), preferred for that parameter's value; it must outlive run().
    // `value_hints`: per value (or empty), the register of its class that an ABI use or
    // definition moves it to or from (a call argument, a call's result, the returned
    // value), kNoHint for none; taken when free and no edge or entry hint is.
    static constexpr u8 kNoHint = 0xFF;
    Result<void> run(const Function& function, Span<const u8> entry_hints = {}, Span<const u8> value_hints = {});

    // Where `v` is inside the block the code generator emits (enter_block), or its own
    // location outside any block (the prologue, before emission).
    Loc loc(Value v) const { return loc_in(v, m_current_block); }
    // Where `v` is inside block `b` (kNone: its own location): a value split into a
    // register in b's loop is there, one evicted from b's loop or read in dead end b
    // from a register in a slot, every other one in its own location.
    Loc loc_in(Value v, Block b) const
    {
        Loc own = m_locs[v];
        if (b == engine::opt::kNone || m_varies.is_empty() || m_varies[v] == 0)
            return own;
        return varying_loc(v, b, own);
    }
    void enter_block(Block b) { m_current_block = b; }
    Block current_block() const { return m_current_block; }
    // The split pieces inside block `b` (none for kNone). Their values' slots always hold
    // them (stored once where defined, never changed: SSA), so leaving a piece needs no
    // store, entering one a load (an edge into a loop header, a call inside the loop).
    Span<const Split> splits(Block b) const
    {
        if (b == engine::opt::kNone || m_split_first.is_empty())
            return {};
        return m_splits.span().subspan(m_split_first[b], m_split_first[b + 1] - m_split_first[b]);
    }
    // The values evicted inside block `b` (none for kNone), see Eviction. An edge whose
    // ends differ in one's place (entering or leaving its loop) moves it, where it is
    // live into the edge's target; calls inside the loop neither save nor reload it.
    Span<const Eviction> evictions(Block b) const
    {
        if (b == engine::opt::kNone || m_evict_first.is_empty())
            return {};
        return m_evictions.span().subspan(m_evict_first[b], m_evict_first[b + 1] - m_evict_first[b]);
    }
    bool has_evictions() const { return !m_evict_first.is_empty(); }
    bool live_in(Block b, Value v) const
    {
        Span<const Value> live = live_in_values(b);
        return std::binary_search(live.begin(), live.end(), v);
    }
    // Block b's live-in set: the values live at its start (not its own parameters), ascending.
    Span<const Value> live_in_values(Block b) const
    {
        return m_live_values.span().subspan(m_live_first[b], m_live_first[b + 1] - m_live_first[b]);
    }
    // The entries of all live-in sets of the last run (tests: the work of the liveness
    // walks is about this times the predecessors).
    usize live_in_size() const { return m_live_values.size(); }
    u64 liveness_work() const { return m_liveness_work; }
    // The slot a value in a register is stored to on the edges into the dead ends that
    // read it (blocks ending in a trap: its interval stays out of them), or kNone.
    u32 cold_slot(Value v) const { return m_cold_slot.is_empty() ? engine::opt::kNone : m_cold_slot[v]; }
    // The values with a cold slot that dead end `b` reads (none for other blocks).
    Span<const Value> cold_values(Block b) const
    {
        if (m_cold_first.is_empty())
            return {};
        return m_cold_values.span().subspan(m_cold_first[b], m_cold_first[b + 1] - m_cold_first[b]);
    }
    u32 position(Inst inst) const { return m_inst_position[inst]; }
    u32 block_start(Block block) const { return m_block_start[block]; }
    u32 use_count(Value v) const { return m_uses[v]; }
    u32 slot_count() const { return m_slots; }
    // A fresh slot (the code generator's save slots for values live across calls).
    u32 new_slot(u32 span = 1)
    {
        u32 slot = m_slots;
        m_slots += span;
        return slot;
    }

    // Forgets the slots new_slot gave out after slot_count() was `count` (a second
    // emission pass asks for them again).
    void truncate_slots(u32 count)
    {
        WK_ASSERT(count <= m_slots);
        m_slots = count;
    }

    // The intervals that were given register `reg` of `cls`, by start (disjoint).
    Span<const Interval> assigned(RegClass cls, u8 reg) const
    {
        return m_assigned[cls == RegClass::Gpr ? reg : 16 + reg].span();
    }
    const Interval& interval(Value v) const { return m_intervals[m_interval_of[v]]; }
    bool has_interval(Value v) const { return m_interval_of[v] != engine::opt::kNone; }

    // A value in a register that crosses a call in a deeper loop than its definition:
    // the code generator stores it to its save slot once, where it is defined, and
    // only reloads it after each call (the slot stays valid: SSA values never change).
    bool saves_at_definition(Value v) const;

    // Fused condition: a compare (or eqz) whose only use is the branch that ends its
    // block, or a select in its block; it gets no register, its result is the flags.
    // Right before the branch, the code generator emits it there. Otherwise
    // (is_fused_early, and always for a select) it is emitted where it stands, so its
    // operands need not live to its user, and the instructions between it and the user
    // are ones the code generator can emit without touching the flags (preserves_flags).
    bool is_fused(Value v) const { return m_fused[v] != 0; }
    bool is_fused_early(Value v) const { return m_fused[v] == 2; }
    // Folded value (folding.cpp): it gets no register and is not emitted; its operands
    // live to the instruction that uses it, whose code computes it. Four kinds:
    // - a shift `shl y, k` (k of 1 to 3) whose only use is an add of the same width and
    //   block, emitted as `lea [x + y * 2^k]` (exact: a 32-bit lea wraps as i32.add does);
    // - a sum `add x, y` (either maybe such a shift) whose only use is an add or sub of
    //   a constant c of the same width and block (±c fits 32 bits signed for i64): the
    //   two are one `lea [x + y * 2^k ± c]`, exact the same way;
    // - the address of a memory access (address_fold);
    // - a guarded i32.load / i64.load from memory 0 whose only use is the second operand
    //   (or, for a commutative op, either) of an add, sub, mul, and, or or xor of its
    //   width whose other operand is not a constant, later in its block with only pure
    //   instructions between (is_folded_load):
    //   the ALU instruction reads it as its memory operand, so the load's trap keeps
    //   its place among the effects.
    bool is_folded(Value v) const { return m_fold_at[v] != engine::opt::kNone; }
    // Address folding (folding.cpp): a guarded access to memory 0 whose address is
    // `shl x, k` (k of 1 to 3), `add y, c` or `add (shl x, k), c` with a constant c,
    // computed only for it, in its block, and proved not to wrap around 2^32
    // (engine/opt/ranges.h), reads `[memory + x * 2^k + c + offset]`: the same bytes.
    struct AddressFold {
        Value index { 0 };
        u8 scale_log2 { 0 };
        i32 displacement { 0 }; // c plus the access's offset
    };
    bool is_folded_load(const Function& f, Value v) const;
    const AddressFold* address_fold(Inst access) const
    {
        if (m_address_fold_of.is_empty() || m_address_fold_of[access] == engine::opt::kNone)
            return nullptr;
        return &m_address_folds[m_address_fold_of[access]];
    }
    // An instruction the code generator emits without changing the flags when asked:
    // add or sub of a constant that fits a displacement (a lea), or a constant.
    static bool preserves_flags(const Function& f, Inst inst);

private:
    // Splitting (split.cpp): a natural loop, and a value that a register in it would save
    // loads for.
    struct Loop {
        Block header;
        u32 first;    // its blocks: m_loop_blocks[first, first + count), sorted
        u32 count;
        u64 reloads;  // weight of the loads that entering it and its calls cost a piece
    };
    struct Candidate {
        u64 benefit;
        u32 loop;
        Value value;
    };

    Result<void> number_positions(const Function&);
    Result<void> fold_operands(const Function&);
    Result<void> fold_lea_operands(const Function&);
    Result<void> fold_addresses(const Function&);
    Result<void> fold_loads(const Function&);
    Result<void> compute_liveness(const Function&);
    static Result<void> group_pairs(const Vector<u32>& pairs, u32 keys, Vector<u32>& first, Vector<u32>& items);
    Result<void> build_intervals(const Function&);
    Result<void> scan(const Function&);
    // Live-range splitting at loop boundaries (split.cpp): a value left in its spill slot
    // by scan() gets a register free throughout a loop where it is used, when its
    // loop-weighted uses there outweigh the loads on entering the loop and after its calls.
    Result<void> split_loops(const Function&);
    Result<void> collect_loops(const Function&);
    Result<void> split_candidates(const Function&, u32 loop);
    bool reg_free_in_loop(RegClass cls, u8 reg, u32 loop) const;
    bool in_loop(u32 loop, Block b) const;
    Result<bool> try_split(const Function&, const Candidate&);
    // Natural loops with different headers are nested or disjoint: a value keeps one
    // piece per nest (the first one chosen).
    bool has_piece_in_nest(const Candidate&) const;
    // Without a free register: one whose values in the loop are all live across it
    // without a use or definition there (or not live there at all), evicted when their
    // stores and loads on the loop's edges cost less than the candidate's benefit.
    Result<bool> try_evict(const Function&, const Candidate&);
    Result<void> mark_loop_uses(const Function&, u32 loop);
    // Whether register `reg` can be taken in `loop` by evicting its values (collected in
    // m_evicted), and at what cost (loop-weighted edge moves).
    Result<bool> evictable(const Function&, RegClass cls, u8 reg, u32 loop, u64& cost);
    u64 eviction_cost(const Function&, u32 loop, Value v) const;
    Result<void> index_pieces(const Function&);
    // loc_in for a value whose place depends on the block (m_varies).
    Loc varying_loc(Value v, Block b, Loc own) const;
    Result<void> mark_varying(const Function&);
    // Weights of uses and calls by loop depth (8 per level, up to 6 levels), so that
    // scan() can leave in its spill slot a value that crosses calls more often than
    // it is used (prefers_slot): it is stored once, where defined, instead of saved
    // and reloaded around every call.
    Result<void> weigh_calls(const Function&);
    bool prefers_slot(const Interval& interval) const;
    Result<void> mark_cold_blocks(const Function&);
    Result<void> assign_cold_slots(const Function&);
    static constexpr u32 kLevels = 7; // loop depths 0 .. 6 (deeper counts as 6)
    u8 level_at(u32 position) const { return static_cast<u8>(std::min<u32>(m_depth[position / 2], kLevels - 1)); }
    u64 weight_at(u32 position) const { return u64 { 1 } << (3 * level_at(position)); }
    bool blocked(RegClass cls, u8 reg, u32 start, u32 end) const;
    // Whether a value with fixed hint `reg` is defined in (start, end].
    bool wanted(RegClass cls, u8 reg, u32 start, u32 end) const;
    // Whether one is defined there at a loop level deeper than `level`.
    bool wanted_deeper(RegClass cls, u8 reg, u32 start, u32 end, u32 level) const;
    // scan()'s hints for value `v` of class `cls` (kNone without one), from the places
    // allocated so far. move_hint: the register of the parameter an edge passes `v` to;
    // for a parameter, its entry register or the register of an argument passed to it.
    u32 move_hint(const Function& f, Value v, RegClass cls, u32& source_level) const;
    u32 operand_hint(const Function& f, Value v, RegClass cls) const;

    Vector<Loc> m_locs;
    Vector<u32> m_inst_position;
    Vector<u32> m_block_start;
    Vector<u32> m_block_end;
    Vector<u32> m_uses;
    Vector<u8> m_fused; // 0, 1 (emitted at the branch) or 2 (emitted where it stands)
    Vector<u32> m_fold_at; // a folded value -> its user's position, else kNone
    Vector<u32> m_address_fold_of; // per instruction: its index in m_address_folds, or kNone
    Vector<AddressFold> m_address_folds;
    // Live-in sets (compute_liveness): block b's values, ascending, are
    // m_live_values[m_live_first[b], m_live_first[b + 1]).
    Vector<u32> m_live_first;
    Vector<Value> m_live_values;
    Vector<u32> m_def_block;  // per value: the block defining it
    Vector<u32> m_use_first;  // per value + 1: its blocks of use in m_use_blocks
    Vector<Block> m_use_blocks;
    Vector<u32> m_live_pairs; // scratch: (key, item) pairs
    Vector<u32> m_live_stamp; // per block: the value whose walk last entered it
    Vector<Block> m_live_work;
    u64 m_liveness_work { 0 }; // blocks entered and predecessors looked at by the walks
    Vector<Interval> m_intervals;
    Vector<u32> m_interval_of;
    Vector<Value> m_param_of_arg; // a value passed on an edge -> the parameter it feeds
    Vector<u32> m_clobbers[3];    // positions that block rax, rcx, rdx
    Vector<Interval> m_assigned[32];
    Vector<u32> m_wanted[32]; // per register: definition positions of values hinted to it
    Span<const u8> m_entry_hints;
    Span<const u8> m_value_hints;
    Vector<u32> m_depth;        // loop depth per position / 2
    Vector<u32> m_block_depth;  // loop depth per block
    Vector<u32> m_loop_mark;    // per block: the header whose loop walk last reached it
    Vector<Block> m_loop_work;
    engine::opt::DominatorTree m_dominators;
    Vector<u64> m_use_weight;   // per value
    Vector<u8> m_use_level;     // per value: the deepest loop level of its uses
    Vector<u8> m_cold_block;    // per block: a dead end (mark_cold_blocks)
    Vector<u8> m_cold_read;     // per value: read in a dead end it is not defined in
    Vector<u32> m_cold_slot;    // per value: see cold_slot (empty when none has one)
    Vector<Value> m_cold_values; // per dead end: see cold_values, from m_cold_first[b]
    Vector<u32> m_cold_first;
    Vector<u64> m_calls_at_level[kLevels]; // prefix sums of the weights of calls at that level or deeper
    Vector<u32> m_calls;        // call positions, ascending
    u32 m_slots { 0 };

    // Splitting (split.cpp).
    Vector<Loop> m_loops;
    Vector<Block> m_loop_blocks;
    Vector<Candidate> m_candidates;
    Vector<u64> m_loop_use_weight; // per value, scratch of split_candidates
    Vector<Value> m_loop_used;
    Vector<u32> m_split_taken;     // per block: registers (GPR k, XMM 16 + k) given to pieces
    struct SplitLink {
        u32 loop;
        u32 next;
    };
    Vector<u32> m_split_head;      // per value: its first SplitLink (kNone: not split yet)
    Vector<SplitLink> m_split_links; // the loops a value was split into
    Vector<Split> m_splits;        // by block
    // Instruction visits left to split_loops' scans of loop bodies (a block nested in
    // many loops is scanned once per loop); past them, no splitting.
    u64 m_split_budget { 0 };
    Vector<u32> m_split_first;     // per block + 1: start of its pieces in m_splits
    Vector<Eviction> m_evictions;  // by block
    Vector<u32> m_evict_first;     // per block + 1: start of its evictions in m_evictions
    Vector<u32> m_evict_slot;      // per value: its eviction slot, or kNone
    Vector<u32> m_loop_stamp;      // per value: the stamp of the last loop using it
    u32 m_stamp { 0 };
    u32 m_stamped_loop { engine::opt::kNone };
    Vector<Value> m_evicted;       // scratch of evictable
    Vector<Candidate> m_deferred;  // candidates without a free register (try_evict)
    u64 m_evict_budget { 0 };
    Vector<u8> m_varies;           // per value: its place depends on the block (empty: none's does)
    Block m_current_block { engine::opt::kNone };
};

} // namespace wk::engine::x64::opt
