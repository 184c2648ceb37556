// Stack maps (docs/gc.md, "Stack maps"): at each call that can reach an allocation (every
// call of a function, import, table entry or funcref, the allocating GC builtins, and a
// throw, which allocates its exception) the baseline records which slots of its frame hold
// references of the any, extern and exn hierarchies while the call runs: locals of such
// types (their slots always hold their current value: local.set writes through, declared
// locals start at zero), operand stack entries below the call's operands (spilled to their
// home slots before every call), and the save slots that hold such references while a
// block is open (m_ref_saves: a legacy catch's exception, for rethrow), which
// lie below the operand slots and so get their bits when the frame's size is known
// (finish_stack_maps). No reference lives only in a register across a call: every
// register but rbp, rsp, r14 and r15 is caller-saved. Bitmaps are deduplicated within the
// module.

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

namespace {

// Where a bitmap's hash starts (FNV-1a's offset basis) and its multiplier.
constexpr u64 kHashBasis = 0xcbf2'9ce4'8422'2325ull;
constexpr u64 kHashPrime = 0x100'0000'01b3ull;

} // namespace

bool BaselineCompiler::holds_gc_refs(ValType type) const
{
    if (!type.is_ref())
        return false;
    HeapKind top = m_types.top_heap(type);
    return top == HeapKind::Any || top == HeapKind::Extern || top == HeapKind::Exn;
}

Result<void> BaselineCompiler::begin_stack_maps(u32 body_bytes)
{
    m_function_stack_maps = static_cast<u32>(m_stack_maps.size());
    m_function_stack_map_bits = static_cast<u32>(m_stack_map_bits.size());
    // Building a map visits each slot of the frame once: at most this many visits per
    // function, linear in the body (a hostile body cannot make it quadratic); call sites
    // past it get no map.
    m_stack_map_budget = u64 { body_bytes } * 64 + 65536;
    // What the module keeps for its life: at most 4 words per byte of its bodies plus 64 K
    // words in all (wide frames of many locals, bitmaps made to differ, are refused there).
    if (m_stack_map_words_limit == 0) {
        u64 bytes = 0;
        for (const Code& code : m_module.codes)
            bytes += code.size;
        m_stack_map_words_limit = bytes * 4 + 65536;
    }
    m_ref_saves.clear();
    m_save_map_patches.clear();
    m_save_map_slots.clear();
    m_local_ref_bits.clear();
    Span<const ValType> locals = m_validator.locals();
    TRY(m_local_ref_bits.try_resize((locals.size() + 31) / 32, 0));
    for (u32 i = 0; i < locals.size(); ++i) {
        if (holds_gc_refs(locals[i]))
            m_local_ref_bits[i / 32] |= u32 { 1 } << (i % 32);
    }
    return {};
}

void BaselineCompiler::discard_stack_maps()
{
    // Shrinking never allocates. The dedup table may name discarded bitmaps: forget it.
    MUST(m_stack_maps.try_resize(m_function_stack_maps));
    MUST(m_stack_map_bits.try_resize(m_function_stack_map_bits));
    m_stack_map_dedup.clear();
    m_save_map_patches.clear();
    m_save_map_slots.clear();
}

Result<void> BaselineCompiler::record_empty_stack_map()
{
    // The header words only (no slot); shared by the module's empty maps.
    u32 empty[kStackMapHeaderWords] = { 0, static_cast<u32>(local_slot_offset(0)),
                                        static_cast<u32>(local_slot_offset(0) - local_slot_offset(1)) };
    u64 hash = kHashBasis;
    for (u32 word : empty)
        hash = (hash ^ word) * kHashPrime;
    u32 index = static_cast<u32>(m_stack_map_bits.size());
    const u32* known = m_stack_map_dedup.get(hash);
    if (known && __builtin_memcmp(m_stack_map_bits.data() + *known, empty, sizeof(empty)) == 0) {
        index = *known;
    } else {
        if (m_stack_map_bits.size() + kStackMapHeaderWords > m_stack_map_words_limit)
            return {};
        TRY(m_stack_map_bits.try_extend(Span<const u32>(empty, kStackMapHeaderWords)));
        TRY(m_stack_map_dedup.try_set(hash, index));
    }
    return m_stack_maps.try_append(StackMapEntry { m_code_base + m_asm.offset(), index });
}

Result<void> BaselineCompiler::record_stack_map(u32 height)
{
    u32 locals = static_cast<u32>(m_local_kinds.size());
    u32 count = locals + height;
    u32 words = (count + 31) / 32;
    u64 cost = u64 { count } + words + kStackMapHeaderWords;
    if (cost > m_stack_map_budget)
        return {}; // no map: the collector does not run while this call does
    m_stack_map_budget -= cost;
    // The validator has seen the instruction: its stack is the one below the call's
    // operands, then the results. A return_call compiled as a call and a return is the
    // exception: the validator already dropped the block's values (the rest of the block
    // is unreachable); without their types, no map.
    Span<const ValType> types = m_validator.value_stack();
    if (types.size() < height)
        return {};

    Vector<u32>& bitmap = m_stack_map_scratch;
    bitmap.clear();
    TRY(bitmap.try_resize(kStackMapHeaderWords + words, 0));
    bitmap[0] = count;
    bitmap[1] = static_cast<u32>(local_slot_offset(0));
    bitmap[2] = static_cast<u32>(local_slot_offset(0) - local_slot_offset(1));
    u32* bits = bitmap.data() + kStackMapHeaderWords;
    for (u32 w = 0; w < m_local_ref_bits.size(); ++w)
        bits[w] = m_local_ref_bits[w];
    for (u32 k = 0; k < height; ++k) {
        const StackEntry& entry = m_stack.at(k);
        if (entry.location != Location::Stack || entry.kind != ValKind::Ref || !holds_gc_refs(types[k]))
            continue;
        u32 s = locals + k;
        bits[s / 32] |= u32 { 1 } << (s % 32);
    }

    u64 hash = kHashBasis;
    for (u32 word : bitmap)
        hash = (hash ^ word) * kHashPrime;
    u32 index = static_cast<u32>(m_stack_map_bits.size());
    bool reused = false;
    if (const u32* known = m_stack_map_dedup.get(hash)) {
        const u32* candidate = m_stack_map_bits.data() + *known;
        reused = candidate[0] == count && __builtin_memcmp(candidate, bitmap.data(), 4 * bitmap.size()) == 0;
        if (reused)
            index = *known;
    }
    if (!reused) {
        if (m_stack_map_bits.size() + bitmap.size() > m_stack_map_words_limit)
            return {};
        TRY(m_stack_map_bits.try_extend(bitmap.span()));
        TRY(m_stack_map_dedup.try_set(hash, index));
    }
    if (!m_ref_saves.is_empty()) {
        if (m_ref_saves.size() > m_stack_map_budget)
            return {};
        m_stack_map_budget -= m_ref_saves.size();
        TRY(m_save_map_patches.try_append(SaveMapPatch { static_cast<u32>(m_stack_maps.size()),
                                                         static_cast<u32>(m_save_map_slots.size()),
                                                         static_cast<u32>(m_ref_saves.size()) }));
        TRY(m_save_map_slots.try_extend(m_ref_saves.span()));
    }
    return m_stack_maps.try_append(StackMapEntry { m_code_base + m_asm.offset(), index });
}

Result<void> BaselineCompiler::finish_stack_maps(u32 frame_slots)
{
    // Save slot k lies at rsp + 16 k = rbp - (header + 16 frame_slots) + 16 k: the map's
    // slot frame_slots - 1 - k.
    constexpr u32 kDropped = ~u32 { 0 };
    u32 words = (frame_slots + 31) / 32;
    for (const SaveMapPatch& patch : m_save_map_patches) {
        StackMapEntry& entry = m_stack_maps[patch.entry];
        u64 cost = u64 { kStackMapHeaderWords } + words + patch.count;
        if (cost > m_stack_map_budget || m_stack_map_bits.size() + kStackMapHeaderWords + words > m_stack_map_words_limit) {
            entry.bitmap = kDropped; // no map rather than one without the save slots
            continue;
        }
        m_stack_map_budget -= cost;
        Vector<u32>& bitmap = m_stack_map_scratch;
        bitmap.clear();
        TRY(bitmap.try_resize(kStackMapHeaderWords + words, 0));
        const u32* base = m_stack_map_bits.data() + entry.bitmap;
        bitmap[0] = frame_slots;
        bitmap[1] = base[1];
        bitmap[2] = base[2];
        for (u32 w = 0; w < (base[0] + 31) / 32; ++w)
            bitmap[kStackMapHeaderWords + w] = base[kStackMapHeaderWords + w];
        for (u32 k = 0; k < patch.count; ++k) {
            u32 s = frame_slots - 1 - m_save_map_slots[patch.first + k];
            bitmap[kStackMapHeaderWords + s / 32] |= u32 { 1 } << (s % 32);
        }
        entry.bitmap = static_cast<u32>(m_stack_map_bits.size());
        TRY(m_stack_map_bits.try_extend(bitmap.span()));
    }
    if (!m_save_map_patches.is_empty()) {
        usize kept = m_function_stack_maps;
        for (usize i = m_function_stack_maps; i < m_stack_maps.size(); ++i) {
            if (m_stack_maps[i].bitmap != kDropped)
                m_stack_maps[kept++] = m_stack_maps[i];
        }
        MUST(m_stack_maps.try_resize(kept)); // shrinking never allocates
    }
    m_save_map_patches.clear();
    m_save_map_slots.clear();
    return {};
}

} // namespace wk::engine::x64::baseline
