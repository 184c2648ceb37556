// Explicit bounds checks (see passes.h and ops.def): accesses to memories without a
// guard region get a separate bounds_check, which can then be hoisted out of loops
// and merged with the checks that dominate it.
//
// NOTE: the rule for moving a check out of a loop (docs/optimizing-compiler.md,
// "Bounds checks"). A check moves to the preheader only when it is in the loop's
// header, its address is defined outside the loop, and nothing before it in the
// header can trap or has an effect (no store, global write, call, trap, other check
// that stays). The preheader's only successor is the header, so whenever the
// hoisted check runs, the original program would have run the same check next, with
// the same address and the same memory size (nothing in between can grow the memory
// or be observed): it traps exactly when the original would have trapped, at the same
// observable point. Checks in other blocks of the loop do not move: the loop may exit
// before reaching them, or a store or call may come first (whose effect the trap
// would then hide). In later iterations the check is redundant, since memory.grow
// only enlarges a memory and the address does not change.

#include <algorithm>

#include "engine/opt/dominators.h"
#include "engine/opt/passes.h"

namespace wk::engine::opt {

namespace {

// An access whose offset + size fits this window is checked with base offset 0, so
// its address value can be shared by accesses at other small offsets; a wider one
// gets a check of its own with the offset added (base offset = offset). Either way a
// checked access reads at most this far past its check's result, which a failed check
// sets to 0 under misspeculation (the back end's clamp): speculation stays inside
// the first host page of the memory's reservation, which every memory has.
constexpr u64 kSpeculationWindow = 4096;

bool is_access(Op op) { return (op >= Op::I32Load && op <= Op::I64Store32) || is_simd_access(op); }

constexpr u16 kOrderingEffects = fx::kTrap | fx::kStore | fx::kGlobalWrite | fx::kCall | fx::kTerminator;

class BoundsChecks {
public:
    explicit BoundsChecks(Function& function)
        : m_function(function)
    {
    }

    Result<u32> run();

private:
    Result<bool> split();
    Result<void> hoist();
    Result<void> eliminate();
    Result<Block> preheader(Block header);
    Block def_block(Value value) const
    {
        const ValueData& data = m_function.value(m_function.resolve(value));
        return data.kind == ValueKind::Param ? data.def : m_function.inst(data.def).block;
    }

    Function& m_function;
    DominatorTree m_dominators;
    u32 m_old_blocks { 0 };
    Vector<Inst> m_scratch;
    Vector<u32> m_edges;
    u32 m_changes { 0 };
};

// Puts a bounds_check in front of each access that needs one.
Result<bool> BoundsChecks::split()
{
    bool any = false;
    for (Block block : m_function.layout()) {
        bool needed = false;
        for (Inst inst : m_function.insts(block)) {
            const InstData& data = m_function.inst(inst);
            needed |= is_access(data.op) && !(data.flags & (kGuarded | kChecked)) && !data.dead;
        }
        if (!needed)
            continue;
        any = true;
        m_scratch.clear();
        for (Inst inst : m_function.insts(block))
            TRY(m_scratch.try_append(inst));
        // Re-append the block's instructions, each access after its new check.
        m_function.lists().truncate(m_function.block(block).insts, 0);
        for (Inst inst : m_scratch) {
            const InstData& data = m_function.inst(inst);
            if (!is_access(data.op) || (data.flags & (kGuarded | kChecked)) || data.dead) {
                TRY(m_function.lists().push(m_function.block(block).insts, inst));
                continue;
            }
            u64 offset = data.imm;
            u32 bytes = 1u << data.access_log2;
            // Small offsets: base 0, span offset + bytes. Others: base offset, span bytes
            // (base + span may pass 2^64: such a check always traps).
            bool small = offset <= kSpeculationWindow - bytes;
            Value address = m_function.args(inst)[0];
            u32 memory = data.imm2;
            u32 wasm_offset = data.wasm_offset;
            Inst check = TRY(m_function.append_inst(block, Op::BoundsCheck, Span<const Value>(&address, 1), Type::I64));
            InstData& check_data = m_function.inst(check);
            check_data.imm = small ? 0 : offset;
            check_data.imm2 = memory;
            check_data.imm3 = small ? static_cast<u32>(offset) + bytes : bytes;
            check_data.wasm_offset = wasm_offset;
            InstData& access = m_function.inst(inst);
            access.flags |= kChecked | kAddress64;
            m_function.lists().set(access.args, 0, m_function.result(check));
            TRY(m_function.lists().push(m_function.block(block).insts, inst));
        }
    }
    return any;
}

// The block hoisted checks go to: the only predecessor from outside the loop if it
// jumps nowhere else, else a new block taking all outside edges (with the header's
// parameters). kNone when a predecessor is a block made by this pass (never expected).
Result<Block> BoundsChecks::preheader(Block header)
{
    m_edges.clear();
    for (u32 edge : m_function.preds(header)) {
        Block from = m_function.edge(edge).from;
        if (from >= m_old_blocks)
            return kNone;
        if (!m_dominators.dominates(header, from))
            TRY(m_edges.try_append(edge));
    }
    if (m_edges.is_empty())
        return kNone;
    Block existing = existing_preheader(m_function, m_edges.span());
    if (existing != kNone)
        return existing;
    Block block = TRY(m_function.create_block());
    TRY(m_function.append_to_layout(block));
    TRY(fill_preheader(m_function, header, m_edges.span(), block));
    return block;
}

// Moves the checks at the start of each loop header whose address is loop-invariant
// to the preheader (the rule at the top of this file). Inner loops first (headers in
// reverse RPO), so a check moved into an enclosing loop's header can move on.
Result<void> BoundsChecks::hoist()
{
    TRY(m_dominators.compute(m_function));
    m_old_blocks = m_function.block_count();
    Vector<Block> headers;
    for (Block block : m_dominators.rpo()) {
        for (u32 edge : m_function.preds(block)) {
            if (m_dominators.dominates(block, m_function.edge(edge).from)) {
                TRY(headers.try_append(block));
                break;
            }
        }
    }
    for (usize k = headers.size(); k-- > 0;) {
        Block header = headers[k];
        m_scratch.clear();
        for (Inst inst : m_function.insts(header)) {
            const InstData& data = m_function.inst(inst);
            if (data.op == Op::BoundsCheck && def_block(m_function.args(inst)[0]) != header) {
                TRY(m_scratch.try_append(inst));
                continue;
            }
            if (has_effect(data.op, kOrderingEffects))
                break;
        }
        if (m_scratch.is_empty())
            continue;
        Block target = TRY(preheader(header));
        if (target == kNone)
            continue;
        // Before the preheader's terminator, in their order.
        List& list = m_function.block(target).insts;
        u32 size = m_function.lists().size(list);
        Inst term = m_function.lists().get(list, size - 1);
        m_function.lists().truncate(list, size - 1);
        for (Inst inst : m_scratch) {
            TRY(m_function.lists().push(m_function.block(target).insts, inst));
            m_function.inst(inst).block = target;
            ++m_changes;
        }
        TRY(m_function.lists().push(m_function.block(target).insts, term));
        Span<u32> insts = m_function.lists().span(m_function.block(header).insts);
        u32 kept = 0;
        for (u32 n = 0; n < insts.size(); ++n) {
            if (m_function.inst(insts[n]).block == header)
                insts[kept++] = insts[n];
        }
        m_function.lists().truncate(m_function.block(header).insts, kept);
    }
    return {};
}

// Removes each check dominated by a check of the same memory, address and base
// offset whose span is at least as large. Checks are sorted by (memory, base offset,
// address, dominator-tree pre-order of the block, position in the block); walking a
// group in that order with a stack of the checks that dominate the current one, the
// top has the largest span (a check is pushed only when its span exceeds the top's).
Result<void> BoundsChecks::eliminate()
{
    TRY(m_dominators.compute(m_function));
    struct Entry {
        u32 memory;
        u64 base;
        Value address;
        u32 pre;
        u32 position;
        Inst inst;
    };
    Vector<u32> pre;
    TRY(pre.try_resize(m_function.block_count(), 0));
    Vector<Entry> checks;
    Vector<Block> stack;
    u32 counter = 0;
    TRY(stack.try_append(m_function.entry()));
    while (!stack.is_empty()) {
        Block block = stack.pop_back();
        pre[block] = counter++;
        u32 position = 0;
        for (Inst inst : m_function.insts(block)) {
            const InstData& data = m_function.inst(inst);
            if (data.op == Op::BoundsCheck)
                TRY(checks.try_append(Entry { data.imm2, data.imm, m_function.resolve(m_function.args(inst)[0]),
                                              pre[block], position, inst }));
            ++position;
        }
        for (Block child = m_dominators.first_child(block); child != kNone; child = m_dominators.next_sibling(child))
            TRY(stack.try_append(child));
    }
    std::sort(checks.begin(), checks.end(), [](const Entry& a, const Entry& b) {
        if (a.memory != b.memory)
            return a.memory < b.memory;
        if (a.base != b.base)
            return a.base < b.base;
        if (a.address != b.address)
            return a.address < b.address;
        if (a.pre != b.pre)
            return a.pre < b.pre;
        return a.position < b.position;
    });
    Vector<u32> dominating; // indexes into checks
    bool removed = false;
    for (u32 k = 0; k < checks.size(); ++k) {
        const Entry& entry = checks[k];
        if (k == 0 || entry.memory != checks[k - 1].memory || entry.base != checks[k - 1].base
            || entry.address != checks[k - 1].address)
            dominating.clear();
        Block block = m_function.inst(entry.inst).block;
        while (!dominating.is_empty()) {
            const Entry& top = checks[dominating.last()];
            Block top_block = m_function.inst(top.inst).block;
            if (top_block == block || m_dominators.dominates(top_block, block))
                break; // the same block: the top comes first (sorted by position)
            dominating.pop_back();
        }
        u32 span = m_function.inst(entry.inst).imm3;
        if (!dominating.is_empty() && m_function.inst(checks[dominating.last()].inst).imm3 >= span) {
            Value result = m_function.result(entry.inst);
            m_function.kill_inst(entry.inst);
            m_function.make_alias(result, m_function.result(checks[dominating.last()].inst));
            removed = true;
            ++m_changes;
            continue;
        }
        TRY(dominating.try_append(k));
    }
    if (removed) {
        m_function.sweep_dead_insts();
        m_function.resolve_aliases();
    }
    return {};
}

Result<u32> BoundsChecks::run()
{
    bool any = TRY(split());
    bool present = any;
    for (Block block : m_function.layout()) {
        for (Inst inst : m_function.insts(block))
            present |= m_function.inst(inst).op == Op::BoundsCheck;
    }
    if (!present)
        return m_changes;
    TRY(hoist());
    TRY(eliminate());
    return m_changes;
}

} // namespace

Result<u32> optimize_bounds_checks(Function& function)
{
    BoundsChecks checks(function);
    return checks.run();
}

} // namespace wk::engine::opt
