// The optimising tier's stack maps (docs/gc.md, "Stack maps"): at each call that can reach
// an allocation (calls of functions, imports, table entries and funcrefs, the allocating
// GC builtins, and a throw, which allocates its exception) the frame slots that hold the
// references of the any, extern and exn hierarchies live across the call, keyed by the
// call's return address, in the baseline's format (engine/platform.h, StackMapEntry).
//
// Which values: precise SSA liveness at the call, by a backward walk of its block from the
// allocator's live-in sets of the successors (an interval has no holes, so it may cover a
// call on a path where its value was never defined; liveness does not). In strict SSA a
// value live at a point is defined on every path to it, and there its place holds it:
// otherwise the code that reads it on the way to a later use would read something else.
// Which slot: a value whose place in the call's block is a slot (its spill slot, an
// eviction slot inside a loop, a cold slot in a dead end) is there; one in a register is
// in the slot save_live_across stored it to (or stored at its definition), or for a piece
// of a split range its own spill slot, which is exactly what the call's reloads read
// (m_saved). A live reference without such a slot leaves the call without a map: the
// collector then does not run while the call does, never reads a wrong slot.

#include "engine/x64/opt/optimizing_compiler.h"

namespace wk::engine::x64::opt {

using engine::opt::kNone;
using engine::opt::Op;
using engine::opt::Type;

namespace {

// Where a bitmap's hash starts (FNV-1a's offset basis) and its multiplier.
constexpr u64 kHashBasis = 0xcbf2'9ce4'8422'2325ull;
constexpr u64 kHashPrime = 0x100'0000'01b3ull;

// Calls that can reach an allocation: every call of wasm or host code (a tail call only
// when it runs as a call and a return), the builtins that may collect, and a throw (of a
// new exception; nothing of the frame is live across it: it ends its block, and this tier
// compiles no handler).
bool may_collect(Op op)
{
    switch (op) {
    case Op::Call:
    case Op::CallIndirect:
    case Op::CallRef:
    case Op::ReturnCall:
    case Op::ReturnCallIndirect:
    case Op::ReturnCallRef:
    case Op::Throw:
        return true;
    default:
        return op >= Op::StructNew && op <= Op::ArrayNewElem;
    }
}

} // namespace

Result<void> OptimizingCompiler::compute_stack_map_liveness()
{
    const Function& f = m_function;
    const Code& code = m_module.codes[m_function_index - m_module.imported_function_count];
    // Work per function (each liveness step, each bitmap word and slot visited), linear
    // in the body as the baseline's: call sites past it get no map.
    m_stack_map_budget = u64 { code.size } * 64 + 65536;
    // What the module keeps for its life: at most 4 words per byte of its bodies plus 64 K.
    if (m_stack_map_words_limit == 0) {
        u64 bytes = 0;
        for (const Code& body : m_module.codes)
            bytes += body.size;
        m_stack_map_words_limit = bytes * 4 + 65536;
    }
    auto is_const = [&](Value v) {
        return f.value(v).kind == engine::opt::ValueKind::Result && f.inst(f.value(v).def).op == Op::Const;
    };
    // The function's reference values that the collector reads (any, extern and exn
    // hierarchies; GC references are never held in integer-typed values), numbered densely.
    m_ref_values.clear();
    TRY(m_ref_index.try_resize(f.value_count(), kNone));
    for (Value v = 0; v < f.value_count(); ++v) {
        m_ref_index[v] = kNone;
        Type type = f.value(v).type;
        auto kind = f.value(v).kind;
        bool defined = kind == engine::opt::ValueKind::Result || kind == engine::opt::ValueKind::Param;
        bool traced = type == Type::AnyRef || type == Type::ExternRef || type == Type::ExnRef;
        if (traced && defined && !is_const(v)) {
            m_ref_index[v] = static_cast<u32>(m_ref_values.size());
            TRY(m_ref_values.try_append(v));
        }
    }
    TRY(m_live_refs_first.try_resize(f.inst_count(), kNone));
    TRY(m_live_refs_count.try_resize(f.inst_count(), 0));
    for (u32& first : m_live_refs_first)
        first = kNone;
    m_live_refs.clear();
    u32 refs = static_cast<u32>(m_ref_values.size());
    u32 words = (refs + 63) / 64;
    TRY(m_live_scratch.try_resize(words, 0));
    auto gen = [&](Value v) {
        u32 r = m_ref_index[v];
        if (r != kNone)
            m_live_scratch[r / 64] |= u64 { 1 } << (r % 64);
    };
    for (Block b : f.layout()) {
        Span<const u32> insts = f.insts(b);
        bool calls = false;
        for (Inst i : insts)
            calls = calls || may_collect(f.inst(i).op);
        if (!calls)
            continue;
        Inst term = f.terminator(b);
        // The live-out sets of each edge (and the block's instructions, below).
        const engine::opt::InstData& term_data = f.inst(term);
        u64 cost = u64 { words } + insts.size() + 1;
        for (u32 e = term_data.first_edge; e < term_data.first_edge + term_data.edge_count; ++e)
            cost += m_alloc.live_in_values(f.edge(e).to).size();
        if (cost > m_stack_map_budget)
            continue; // this block's calls get no map; a cheaper one later may
        m_stack_map_budget -= cost;
        // Live out: live into a successor (its parameters are not: the edge's arguments
        // are uses at the end of this block).
        for (u64& w : m_live_scratch)
            w = 0;
        for (u32 e = term_data.first_edge; e < term_data.first_edge + term_data.edge_count; ++e) {
            for (Value v : m_alloc.live_in_values(f.edge(e).to))
                gen(v);
        }
        for (u32 k = static_cast<u32>(insts.size()); k-- > 0;) {
            Inst i = insts[k];
            const engine::opt::InstData& data = f.inst(i);
            // Live after i, less its results (written after the call): live across it.
            for (u32 r = 0; r < data.result_count; ++r) {
                u32 index = m_ref_index[f.result(i, r)];
                if (index != kNone)
                    m_live_scratch[index / 64] &= ~(u64 { 1 } << (index % 64));
            }
            if (may_collect(data.op)) {
                u32 first = static_cast<u32>(m_live_refs.size());
                for (u32 w = 0; w < words; ++w) {
                    for (u64 set = m_live_scratch[w]; set; set &= set - 1)
                        TRY(m_live_refs.try_append(m_ref_values[64 * w + static_cast<u32>(__builtin_ctzll(set))]));
                }
                u64 listed = u64 { words } + (m_live_refs.size() - first);
                if (listed > m_stack_map_budget) {
                    MUST(m_live_refs.try_resize(first));
                    break;
                }
                m_stack_map_budget -= listed;
                m_live_refs_first[i] = first;
                m_live_refs_count[i] = static_cast<u32>(m_live_refs.size() - first);
            }
            for (Value v : f.args(i))
                gen(v);
            for (u32 e = data.first_edge; e < data.first_edge + data.edge_count; ++e) {
                for (Value v : f.edge_args(e))
                    gen(v);
            }
        }
    }
    m_stack_map_pass_budget = m_stack_map_budget;
    return {};
}

void OptimizingCompiler::restart_stack_maps()
{
    // A second emission pass records the function's maps again. Shrinking never allocates;
    // the dedup table may name what is dropped, so it is per function.
    MUST(m_stack_maps.try_resize(m_function_stack_maps));
    MUST(m_stack_map_bits.try_resize(m_function_stack_map_bits));
    m_stack_map_dedup.clear();
    m_stack_map_budget = m_stack_map_pass_budget;
}

Result<void> OptimizingCompiler::record_stack_map(Inst call)
{
    if (call >= m_live_refs_first.size() || m_live_refs_first[call] == kNone)
        return {};
    Span<const Value> live = m_live_refs.span().subspan(m_live_refs_first[call], m_live_refs_count[call]);
    // Each value's slot: written before the call on every path (see the top of the file).
    Vector<u32>& slots = m_stack_map_scratch;
    slots.clear();
    u32 count = 0;
    for (Value v : live) {
        Loc loc = m_alloc.loc(v);
        u32 slot = kNone;
        if (loc.kind == LocKind::Slot) {
            slot = loc.slot;
        } else if (loc.kind == LocKind::Reg) {
            for (const Saved& saved : m_saved) {
                if (saved.cls == RegClass::Gpr && saved.reg == loc.reg)
                    slot = saved.slot;
            }
        }
        if (slot == kNone)
            return {}; // not known: no map
        TRY(slots.try_append(slot));
        count = std::max(count, slot + 1);
    }
    u32 words = (count + 31) / 32;
    u64 cost = u64 { kStackMapHeaderWords } + words + live.size();
    if (cost > m_stack_map_budget)
        return {};
    m_stack_map_budget -= cost;
    // The slots are read, then the bitmap built in the same scratch after them.
    usize at = slots.size();
    TRY(slots.try_resize(at + kStackMapHeaderWords + words, 0));
    u32* bitmap = slots.data() + at;
    bitmap[0] = count;
    bitmap[1] = static_cast<u32>(slot_mem(0).disp());
    bitmap[2] = static_cast<u32>(slot_mem(0).disp() - slot_mem(1).disp());
    for (usize k = 0; k < at; ++k)
        bitmap[kStackMapHeaderWords + slots[k] / 32] |= u32 { 1 } << (slots[k] % 32);
    Span<const u32> map(bitmap, kStackMapHeaderWords + words);

    u64 hash = kHashBasis;
    for (u32 word : map)
        hash = (hash ^ word) * kHashPrime;
    u32 index = static_cast<u32>(m_stack_map_bits.size());
    bool reused = false;
    if (const u32* known = m_stack_map_dedup.get(hash)) {
        const u32* candidate = m_stack_map_bits.data() + *known;
        reused = candidate[0] == count && __builtin_memcmp(candidate, map.data(), 4 * map.size()) == 0;
        if (reused)
            index = *known;
    }
    if (!reused) {
        if (m_stack_map_bits.size() + map.size() > m_stack_map_words_limit)
            return {};
        TRY(m_stack_map_bits.try_extend(map));
        TRY(m_stack_map_dedup.try_set(hash, index));
    }
    return m_stack_maps.try_append(StackMapEntry { m_code_base + m_asm.offset(), index });
}

} // namespace wk::engine::x64::opt
