// The local register cache (docs/baseline-compiler.md "Local register cache"): locals
// live in registers between uses, written through to their frame slots.
//
// The state says, per register, which local it holds. A local.get caches its local on
// first use, a local.set moves the value into the local's register; operands that find
// no free register evict the least recently used cached local, for free (its slot is
// current). Forward labels get the intersection of their incoming states; a loop header
// gets the state chosen at its entry (the locals its body uses most), and every back edge
// moves into it. Calls, builtins and throws forget everything.

#include "engine/binary/instruction.h"
#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

namespace {

constexpr u32 class_index(RegClass cls) { return cls == RegClass::Gpr ? 0 : 1; }
constexpr RegClass class_of(u32 c) { return c == 0 ? RegClass::Gpr : RegClass::Fpr; }

// Registers no operand uses: the cache's first choice for general-purpose locals.
constexpr u8 kDedicatedGprs[] = { number(Gpr::rbx), number(Gpr::r12), number(Gpr::r13) };

// At a loop header, at most this many locals per class stay in registers, so that the
// body keeps registers for its operands.
constexpr u32 kLoopGprs = 6;
constexpr u32 kLoopFprs = 8;
// Instructions of a loop's body its header scan reads at most.
constexpr u32 kLoopScanLength = 128;

} // namespace

void BaselineCompiler::cache_drop(RegClass cls, u8 reg)
{
    u32 local = m_cache.local[class_index(cls)][reg];
    if (local == CacheState::kNone)
        return;
    m_local_register[local] = kNotCached;
    m_cache.set(class_index(cls), reg, CacheState::kNone);
    m_stack.release(cls, reg); // only allocatable registers return to the free set
}

void BaselineCompiler::cache_bind(u32 local, RegClass cls, u8 reg)
{
    m_cache.set(class_index(cls), reg, local);
    m_local_register[local] = reg;
    if (m_stack.is_allocatable(cls, reg))
        m_stack.take(cls, reg);
    cache_touch(cls, reg);
}

void BaselineCompiler::cache_clear()
{
    for (u32 c = 0; c < 2; ++c)
        for_each_register(m_cache.used[c], [&](u8 r) { cache_drop(class_of(c), r); });
}

u8 BaselineCompiler::cache_victim(RegClass cls, bool allocatable_only, bool spare_header) const
{
    u32 c = class_index(cls);
    const CacheState* header = nullptr;
    if (!m_controls.is_empty() && m_controls.last().loop_index != ~u32 { 0 })
        header = &state_of(m_controls[m_controls.last().loop_index].entry);
    u8 oldest = kNotCached;
    u8 oldest_outside = kNotCached; // not held by the header: evicting it costs no back-edge reload
    for (u32 bits = m_cache.used[c]; bits; bits &= bits - 1) {
        u8 r = static_cast<u8>(__builtin_ctz(bits));
        u32 local = m_cache.local[c][r];
        if (allocatable_only && !m_stack.is_allocatable(cls, r))
            continue;
        if (oldest == kNotCached || m_cache_stamp[c][r] < m_cache_stamp[c][oldest])
            oldest = r;
        bool in_header = header && header->local[c][r] == local;
        if (!in_header && (oldest_outside == kNotCached || m_cache_stamp[c][r] < m_cache_stamp[c][oldest_outside]))
            oldest_outside = r;
    }
    if (oldest_outside != kNotCached || spare_header)
        return oldest_outside;
    return oldest;
}

u8 BaselineCompiler::cache_pick(RegClass cls, bool evict_header)
{
    if (cls == RegClass::Gpr) {
        for (u8 reg : kDedicatedGprs) {
            if (m_cache.local[0][reg] == CacheState::kNone)
                return reg;
        }
    }
    // Operands take the lowest free register, the cache the highest.
    compile::RegSet free = m_stack.free_set(cls);
    if (!free.is_empty())
        return static_cast<u8>(31 - __builtin_clz(free.bits()));
    u8 victim = cache_victim(cls, false, !evict_header);
    if (victim != kNotCached)
        cache_drop(cls, victim);
    return victim;
}

bool BaselineCompiler::cache_evict_allocatable(RegClass cls)
{
    u8 victim = cache_victim(cls, true, false);
    if (victim == kNotCached)
        return false;
    cache_drop(cls, victim);
    return true;
}

Result<void> BaselineCompiler::cache_set_state(const CacheState& target)
{
    for (u32 c = 0; c < 2; ++c) {
        for_each_register(m_cache.used[c], [&](u8 r) {
            if (m_cache.local[c][r] != target.local[c][r])
                cache_drop(class_of(c), r);
        });
    }
    for (u32 c = 0; c < 2; ++c) {
        RegClass cls = class_of(c);
        for (u32 bits = target.used[c]; bits; bits &= bits - 1) {
            u8 r = static_cast<u8>(__builtin_ctz(bits));
            u32 local = target.local[c][r];
            if (m_cache.local[c][r] == local)
                continue;
            if (m_stack.is_allocatable(cls, r) && !m_stack.is_free(cls, r))
                return Error::from("baseline compiler: register cache state conflict", ErrorKind::Unsupported, m_offset);
            cache_bind(local, cls, r);
        }
    }
    return {};
}

bool BaselineCompiler::cache_satisfies(const CacheState& target) const
{
    for (u32 c = 0; c < 2; ++c) {
        for (u32 bits = target.used[c]; bits; bits &= bits - 1) {
            u32 r = static_cast<u32>(__builtin_ctz(bits));
            if (target.local[c][r] != m_cache.local[c][r])
                return false;
        }
    }
    return true;
}

Result<void> BaselineCompiler::cache_conform(const CacheState& target)
{
    for (u32 c = 0; c < 2; ++c) {
        RegClass cls = class_of(c);
        auto wanted_at_other = [&](u32 local, u8 reg) {
            for (u32 bits = target.used[c]; bits; bits &= bits - 1) {
                u8 r = static_cast<u8>(__builtin_ctz(bits));
                if (r != reg && target.local[c][r] == local)
                    return true;
            }
            return false;
        };
        auto check_free = [&](u8 reg) -> Result<void> {
            if (m_cache.local[c][reg] == CacheState::kNone && m_stack.is_allocatable(cls, reg) && !m_stack.is_free(cls, reg))
                return Error::from("baseline compiler: register cache conflict at a branch", ErrorKind::Unsupported, m_offset);
            return {};
        };
        // Register moves first, each into a register whose occupant no pending move
        // needs; what is left (cycles, locals not in registers) loads from the slots.
        bool progress = true;
        while (progress) {
            progress = false;
            for (u32 bits = target.used[c]; bits; bits &= bits - 1) {
                u8 r = static_cast<u8>(__builtin_ctz(bits));
                u32 local = target.local[c][r];
                if (m_cache.local[c][r] == local)
                    continue;
                u8 source = m_local_register[local];
                if (source == kNotCached)
                    continue;
                u32 occupant = m_cache.local[c][r];
                if (occupant != CacheState::kNone && wanted_at_other(occupant, r))
                    continue;
                TRY(check_free(r));
                if (cls == RegClass::Gpr)
                    m_asm.mov(gpr(r), gpr(source), Size::Qword);
                else
                    m_asm.movaps(xmm(r), xmm(source));
                cache_drop(cls, r);
                cache_drop(cls, source);
                cache_bind(local, cls, r);
                progress = true;
            }
        }
        for (u32 bits = target.used[c]; bits; bits &= bits - 1) {
            u8 r = static_cast<u8>(__builtin_ctz(bits));
            u32 local = target.local[c][r];
            if (m_cache.local[c][r] == local)
                continue;
            cache_drop(cls, r);
            if (m_local_register[local] != kNotCached)
                cache_drop(cls, m_local_register[local]);
            TRY(check_free(r));
            load_kind(m_local_kinds[local], r, local_slot(local));
            cache_bind(local, cls, r);
        }
    }
    return {};
}

u16 BaselineCompiler::state_save(const CacheState& state)
{
    if (m_state_free == 0)
        return kNoState;
    u16 slot = static_cast<u16>(__builtin_ctzll(m_state_free));
    m_state_free &= m_state_free - 1;
    m_state_pool[slot] = state;
    return slot;
}

void BaselineCompiler::cache_merge(Control& target, const CacheState& state)
{
    if (!target.merge_reached) {
        target.merge = state_save(state);
        target.merge_reached = true;
    } else if (target.merge != kNoState) {
        m_state_pool[target.merge].intersect(state);
    }
}

Result<void> BaselineCompiler::cache_edge(Control& target)
{
    if (target.kind == FrameKind::Loop)
        return cache_conform(state_of(target.entry));
    if (target.kind != FrameKind::Function)
        cache_merge(target, m_cache);
    return {};
}

Result<void> BaselineCompiler::cache_prepare_loop(u32 loop_offset)
{
    if (m_scan_budget == 0)
        return {}; // the function's scans have read enough: the header keeps what is cached
    // Weigh each local's uses in the body, more inside nested loops. The body is not
    // validated yet (the validator runs instruction by instruction); the module's
    // validation has read it, and a bad byte only ends the scan.
    Reader reader(m_module.bytes, loop_offset, m_code_end);
    Instruction instruction;
    if (read_instruction(reader, instruction).is_error())
        return {};
    u32 depth = 0;
    u64 loop_bits = 0;
    u32 inner_loops = 0;
    // The first instructions of a body tell enough (inner loops are short; a long outer
    // loop's header matters less), and scanning costs compile time.
    for (u32 scanned = 0; scanned < kLoopScanLength && m_scan_budget > 0; ++scanned) {
        --m_scan_budget;
        if (read_instruction(reader, instruction).is_error())
            break;
        Opcode op = instruction.opcode;
        if (op == Opcode::Block || op == Opcode::Loop || op == Opcode::If || op == Opcode::TryTable || op == Opcode::Try) {
            if (depth < 64 && op == Opcode::Loop) {
                loop_bits |= u64 { 1 } << depth;
                ++inner_loops;
            }
            ++depth;
        } else if (op == Opcode::End || op == Opcode::Delegate) {
            if (depth == 0)
                break;
            --depth;
            if (depth < 64 && (loop_bits >> depth) & 1) {
                loop_bits &= ~(u64 { 1 } << depth);
                --inner_loops;
            }
        } else if (op == Opcode::LocalGet || op == Opcode::LocalSet || op == Opcode::LocalTee) {
            u32 local = instruction.index0;
            if (local >= m_local_kinds.size() || !cacheable(m_local_kinds[local]))
                continue;
            if (m_scan_weight[local] == 0)
                TRY(m_scan_touched.try_append(local));
            u32 weight = u32 { 1 } << (inner_loops < 4 ? 3 * inner_loops : 12);
            m_scan_weight[local] = m_scan_weight[local] > 0x7000'0000 ? m_scan_weight[local] : m_scan_weight[local] + weight;
        }
    }

    // The heaviest locals per class (ties: the lower index).
    u32 chosen[2][kLoopFprs];
    u32 chosen_count[2] = { 0, 0 };
    const u32 limit[2] = { kLoopGprs, kLoopFprs };
    auto heavier = [&](u32 a, u32 b) { return m_scan_weight[a] > m_scan_weight[b] || (m_scan_weight[a] == m_scan_weight[b] && a < b); };
    for (u32 local : m_scan_touched) {
        u32 c = class_index(compile::reg_class(m_local_kinds[local]));
        u32 n = chosen_count[c];
        if (n == limit[c] && !heavier(local, chosen[c][n - 1]))
            continue;
        u32 k = n < limit[c] ? n++ : n - 1;
        while (k > 0 && heavier(local, chosen[c][k - 1])) {
            chosen[c][k] = chosen[c][k - 1];
            --k;
        }
        chosen[c][k] = local;
        chosen_count[c] = n;
    }
    auto is_chosen = [&](u32 c, u32 local) {
        for (u32 k = 0; k < chosen_count[c]; ++k) {
            if (chosen[c][k] == local)
                return true;
        }
        return false;
    };
    // Locals the loop does not use leave the registers (so no back edge reloads them);
    // the chosen ones not yet in registers are loaded.
    for (u32 c = 0; c < 2; ++c) {
        for_each_register(m_cache.used[c], [&](u8 r) {
            if (!is_chosen(c, m_cache.local[c][r]))
                cache_drop(class_of(c), r);
        });
        for (u32 k = 0; k < chosen_count[c]; ++k) {
            u32 local = chosen[c][k];
            if (m_local_register[local] != kNotCached)
                continue;
            u8 reg = cache_pick(class_of(c), true);
            if (reg == kNotCached)
                break;
            load_kind(m_local_kinds[local], reg, local_slot(local));
            cache_bind(local, class_of(c), reg);
        }
    }
    for (u32 local : m_scan_touched)
        m_scan_weight[local] = 0;
    m_scan_touched.clear();
    return {};
}

Result<void> BaselineCompiler::local_get(u32 local)
{
    // Lazy: the consumer reads the local's register or slot (or a spill copies it).
    u32 position = m_stack.height();
    if (m_local_first_ref[local] > position)
        m_local_first_ref[local] = position;
    ValKind kind = m_local_kinds[local];
    TRY(m_stack.push_local(kind, local));
    if (!cacheable(kind))
        return {};
    RegClass cls = compile::reg_class(kind);
    u8 reg = m_local_register[local];
    if (reg != kNotCached) {
        cache_touch(cls, reg);
        return {};
    }
    reg = cache_pick(cls, false);
    if (reg == kNotCached)
        return {};
    load_kind(kind, reg, local_slot(local));
    cache_bind(local, cls, reg);
    return {};
}

Result<void> BaselineCompiler::local_set(u32 local, bool tee)
{
    ValKind kind = m_local_kinds[local];
    materialize_local(local);
    StackEntry& top = m_stack.peek();
    RegClass cls = compile::reg_class(kind);
    if (top.location == Location::Constant && kind != ValKind::V128) {
        store_constant(kind, local_slot(local), top.bits);
        if (cacheable(kind)) {
            u8 reg = m_local_register[local];
            if (reg == kNotCached)
                reg = cache_pick(cls, false);
            if (reg != kNotCached) {
                load_entry(top, m_stack.height() - 1, reg);
                cache_bind(local, cls, reg);
            }
        }
        if (!tee)
            m_stack.pop();
        return {};
    }
    u8 value = TRY(pop_reg(cls));
    store_kind(kind, local_slot(local), value);
    if (!cacheable(kind)) {
        if (tee)
            return push_reg(kind, value);
        release(cls, value);
        return {};
    }
    // The local keeps its register when it has one (so that loops find it where their
    // header expects it); otherwise a dedicated register, else the value's own.
    u8 reg = m_local_register[local];
    if (reg == kNotCached && cls == RegClass::Gpr) {
        for (u8 dedicated : kDedicatedGprs) {
            if (m_cache.local[0][dedicated] == CacheState::kNone) {
                reg = dedicated;
                break;
            }
        }
    }
    if (reg == kNotCached) {
        cache_bind(local, cls, value);
    } else {
        if (cls == RegClass::Gpr)
            m_asm.mov(gpr(reg), gpr(value), Size::Qword);
        else
            m_asm.movaps(xmm(reg), xmm(value));
        cache_bind(local, cls, reg);
        release(cls, value);
    }
    if (!tee)
        return {};
    return local_get(local);
}

} // namespace wk::engine::x64::baseline
