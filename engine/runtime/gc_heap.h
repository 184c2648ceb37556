#pragma once

// A store's GC heap (docs/gc.md): every struct, array and exception object of the store, allocated
// one by one from the default allocator (16-byte aligned, header first, gc_layout.h) and
// freed by a precise, non-moving mark-sweep collection. Objects never move, so compiled
// code may hold raw pointers. The heap charges its bytes to the store's memory budget
// and refuses to grow past its own limit. Not thread-safe (one thread drives a store).

#include "base/ref_ptr.h"
#include "base/result.h"
#include "base/vector.h"
#include "engine/runtime/gc_layout.h"
#include "engine/runtime/limits.h"
#include "engine/runtime/type_registry.h"
#include "engine/runtime/vm.h"

namespace wk::engine::runtime {

class GcHeap {
public:
    GcHeap(const TypeRegistry& types, u64 limit_bytes)
        : m_types(types)
        , m_limit(limit_bytes)
    {
    }
    ~GcHeap();
    GcHeap(const GcHeap&) = delete;
    GcHeap& operator=(const GcHeap&) = delete;

    // The heap's limit, and the budget its bytes are charged to as well (the store's
    // memory budget). Before the first allocation.
    void configure(u64 limit_bytes, RefPtr<ResourceBudget> budget)
    {
        m_limit = limit_bytes;
        m_budget = std::move(budget);
    }

    // A zeroed object of canonical type `type_id` with `bytes` bytes (header included,
    // a multiple of 16) and `length` in its header. OutOfMemory past the heap's limit,
    // the budget, or when the allocator is exhausted.
    Result<GcHeader*> allocate(u32 type_id, u64 bytes, u32 length);
    // An exception of `tag` (a Tag*) with room for `count` values (zeroed), under the same
    // limits; OutOfMemory also past 2^24 - 2 values (the size must fit the flags).
    Result<VMException*> allocate_exception(const void* tag, u64 count);

    // Whether the next safe point should collect: the bytes allocated since the last
    // collection exceed what survived it (at least kMinCollectBytes).
    bool wants_collection() const { return m_allocated_since_collection > m_next_threshold; }

    // A collection: begin_mark(), mark() every root, then finish() (which sweeps).
    // NOTE: contract: no object may be referenced from anywhere the roots do not
    // cover (a wasm frame, a host variable) between begin_mark() and finish().
    void begin_mark();
    // Marks the value of a root of type `type` (store-level), and what it reaches.
    void mark(ValType type, uptr ref);
    // Marks a root known to be of the any, extern or exn hierarchy (a stack map's slot).
    void mark_reference(uptr ref) { mark_object(ref); }
    // Traces the marked objects, frees the unmarked ones and clears the marks.
    void finish();

    // Whether `ref` (of the any/extern/exn hierarchies) is a GC object (an exception is).
    static bool is_object(uptr ref)
    {
        return ref != 0 && (ref & 1) == 0 && reinterpret_cast<const GcHeader*>(ref)->type_id != kHostRefMarker;
    }

    // The objects' bytes plus kObjectOverhead each.
    u64 live_bytes() const { return m_bytes; }
    // The most live_bytes() has been.
    u64 peak_bytes() const { return m_peak; }
    usize object_count() const { return m_objects.size(); }
    u64 limit_bytes() const { return m_limit; }
    u64 collections() const { return m_collections; }

    static constexpr u64 kMinCollectBytes = u64 { 4 } << 20;
    // What each object costs beside its own bytes: its entry in the object vector, twice
    // (the vector doubles when it grows). Counted in live_bytes(), the limit and the budget.
    static constexpr u64 kObjectOverhead = 16;

private:
    bool holds_objects(ValType type) const;
    void mark_object(uptr ref);
    void trace(GcHeader* object);
    void trace_exception(GcHeader* object);
    Result<GcHeader*> allocate_bytes(u64 bytes);
    void release(GcHeader* object);

    const TypeRegistry& m_types;
    RefPtr<ResourceBudget> m_budget;
    u64 m_limit;
    u64 m_bytes { 0 };
    u64 m_peak { 0 };
    u64 m_allocated_since_collection { 0 };
    u64 m_next_threshold { kMinCollectBytes };
    u64 m_collections { 0 };
    Vector<GcHeader*> m_objects;
    Vector<GcHeader*> m_worklist;
    bool m_mark_overflow { false };
};

} // namespace wk::engine::runtime
