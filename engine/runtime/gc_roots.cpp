#include "engine/runtime/gc_roots.h"

#include <algorithm>

#include "engine/platform.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/store.h"

namespace wk::engine::runtime {

namespace {

// Every compiled frame saves its caller's r14 (the caller's VMContext) at rbp - 8
// (engine/x64/abi/frame.h).
constexpr uptr kSavedCallerVmctx = 8;

// The bitmap of the call site at `pc`, or null when the site has none.
const u32* stack_map_at(const CodeRange& range, uptr pc)
{
    u32 offset = static_cast<u32>(pc - range.start);
    Span<const StackMapEntry> maps = range.stack_maps;
    auto found = std::lower_bound(maps.begin(), maps.end(), offset,
                                  [](const StackMapEntry& entry, u32 at) { return entry.code_offset < at; });
    if (found == maps.end() || found->code_offset != offset)
        return nullptr;
    u32 index = found->bitmap;
    if (index + u64 { kStackMapHeaderWords } > range.stack_map_bits.size())
        return nullptr;
    const u32* bitmap = range.stack_map_bits.data() + index;
    if (index + u64 { kStackMapHeaderWords } + (u64 { bitmap[0] } + 31) / 32 > range.stack_map_bits.size())
        return nullptr;
    return bitmap;
}

// Visits each wasm frame from (fp, pc) outwards with its bitmap, up to the first return
// address outside compiled functions (the invocation's entry). False, as soon as a frame
// belongs to another store or has no map.
template<typename Visit>
bool walk_frames(const Store& store, VMContext* vmctx, uptr fp, uptr pc, Visit visit)
{
    for (;;) {
        // A return address follows its call, which lies in the range.
        const CodeRange* range = code_range_at(pc - 1);
        if (!range)
            return true;
        u32 call = static_cast<u32>(pc - 1 - range->start);
        if (call < range->functions_begin || call >= range->functions_end)
            return true;
        if (&Instance::from_vmctx(vmctx).store() != &store)
            return false;
        const u32* bitmap = stack_map_at(*range, pc);
        if (!bitmap)
            return false;
        visit(fp, bitmap);
        vmctx = *reinterpret_cast<VMContext* const*>(fp - kSavedCallerVmctx);
        pc = *reinterpret_cast<const uptr*>(fp + 8);
        fp = *reinterpret_cast<const uptr*>(fp);
    }
}

void mark_frame(GcHeap& heap, uptr fp, const u32* bitmap)
{
    u32 count = bitmap[0];
    i32 first = static_cast<i32>(bitmap[1]);
    u32 stride = bitmap[2];
    const u32* bits = bitmap + kStackMapHeaderWords;
    for (u32 word = 0; word < (count + 31) / 32; ++word) {
        for (u32 set = bits[word]; set; set &= set - 1) {
            u32 s = 32 * word + static_cast<u32>(__builtin_ctz(set));
            uptr ref;
            __builtin_memcpy(&ref, reinterpret_cast<const void*>(fp + first - static_cast<i64>(stride) * s), sizeof(ref));
            heap.mark_reference(ref);
        }
    }
}

} // namespace

bool collect_at_allocation(VMContext* vmctx, uptr fp, uptr pc, const GcHeldValues& held, bool out_of_memory)
{
    Store& store = Instance::from_vmctx(vmctx).store();
    GcHeap& heap = store.gc_heap();
    if (!out_of_memory && !store.limits().gc_collect_at_every_allocation && !heap.wants_collection())
        return false;
    if (store.wasm_depth() != 1)
        return false;
    if (!walk_frames(store, vmctx, fp, pc, [](uptr, const u32*) {}))
        return false;
    heap.begin_mark();
    store.mark_store_roots();
    for (u64 k = 0; k < held.count; ++k) {
        ValType type = !held.fields.empty() ? held.fields[k].type : !held.types.empty() ? held.types[k] : held.element;
        heap.mark(type, held.values.at(k).u64_value());
    }
    heap.mark_reference(held.descriptor);
    walk_frames(store, vmctx, fp, pc, [&](uptr frame, const u32* bitmap) { mark_frame(heap, frame, bitmap); });
    heap.finish();
    return true;
}

} // namespace wk::engine::runtime
