#pragma once

#include <optional>

#include "base/hash_map.h"
#include "base/ref_ptr.h"
#include "base/result.h"
#include "base/vector.h"
#include "engine/runtime/extern.h"
#include "engine/runtime/gc_heap.h"
#include "engine/runtime/global.h"
#include "engine/runtime/host_function.h"
#include "engine/runtime/limits.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/table.h"
#include "engine/runtime/type_registry.h"

namespace wk::engine::runtime {

class Instance;
class LoadedModule;

// Resolves an import by (module, name). The Linker is the usual one.
class ImportResolver {
public:
    virtual std::optional<Extern> resolve(StringView module, StringView name) = 0;

protected:
    ~ImportResolver() = default;
};

// The boxed payload of a host reference (the spec's `ref.extern N` / `ref.host N`).
// NOTE: `marker` comes first and is kHostRefMarker, so that casts and the collector
// tell a host value from a GC object by its first word (gc_layout.h).
struct HostRef {
    u32 marker { kHostRefMarker };
    u32 unused { 0 };
    u64 payload { 0 };
};

// Owns every runtime object — instances, memories, tables, globals, tags, host
// functions, host references — and the canonical type registry that gives type ids
// meaning across modules. Objects live until the store dies (wasm references between
// them are raw pointers); a failed instantiation's instance stays too, since its
// functions may already sit in imported tables. Not thread-safe: one thread drives a
// store at a time.
class Store : public RefCounted<Store> {
public:
    static Result<RefPtr<Store>> create(RuntimeLimits limits = {});
    ~Store();

    TypeRegistry& types() { return m_types; }
    const TypeRegistry& types() const { return m_types; }
    const RuntimeLimits& limits() const { return m_limits; }
    // What the store's memories have committed and its tables hold, against
    // RuntimeLimits::max_store_memory_bytes / max_store_table_elements.
    const ResourceBudget& memory_budget() const { return *m_memory_budget; }
    // For what an environment charges beside memories and tables (the kernel: a process's
    // stack pages); the budget may outlive the store.
    RefPtr<ResourceBudget> shared_memory_budget() const { return m_memory_budget; }
    const ResourceBudget& table_budget() const { return *m_table_budget; }
    const ResourceBudget& address_space_budget() const { return *m_address_space_budget; }

    // Links `module`'s imports through `resolver`, allocates and initialises an instance
    // (globals, tables, memories, element and data segments, in spec order) and runs the
    // start function. Errors:
    //   Unlinkable "unknown import" / "incompatible import type"
    //   OutOfRange with a trap message ("out of bounds table access", "out of bounds
    //     memory access", ...): a trap during instantiation (uninstantiable); effects of
    //     segments before the failing one stay, as the spec says
    //   Unsupported "execution not implemented": a start function with no compiled code
    //   OutOfMemory: a memory or table beyond RuntimeLimits, or exhaustion
    Result<RefPtr<Instance>> instantiate(LoadedModule& module, ImportResolver& resolver);

    // Host-created objects. Types are store-level (type indices are store ids).
    Result<Memory*> create_memory(const Limits& limits);
    Result<Table*> create_table(ValType element_type, const Limits& limits, void* init = nullptr);
    Result<Global*> create_global(ValType type, bool is_mutable, VMVal value);
    Result<Tag*> create_tag(u32 function_type_id);
    Result<VMFuncRef*> create_host_function(u32 type_id, VMArrayCall array_call, const void* native_code = nullptr,
                                            void* data = nullptr);
    // A new exception object of `tag` (a Tag*) with room for `count` values (zeroed), in
    // the GC heap (docs/gc.md, "Exceptions"): OutOfMemory past its limit. Collects nothing
    // itself (the Throw builtin offers a collection first, at its safe point).
    Result<VMException*> create_exception(const void* tag, u32 count) { return m_gc_heap.allocate_exception(tag, count); }

    // The reference for host payload `payload`: the same pointer for the same payload.
    Result<void*> host_ref(u64 payload);
    // The payload of a reference that host_ref() returned.
    static u64 host_ref_payload(const void* ref) { return static_cast<const HostRef*>(ref)->payload; }
    bool is_host_ref(const void* ref) const;

    usize instance_count() const { return m_instances.size(); }

    // The store's GC objects (docs/gc.md).
    GcHeap& gc_heap() { return m_gc_heap; }
    const GcHeap& gc_heap() const { return m_gc_heap; }
    // Collects the GC heap. Roots: globals, tables, element segments, and `extra` (values the host holds, of the store-level `extra_types`).
    // NOTE: contract: only at a safe point, where no wasm frame of this store is live
    // (wasm_depth() == 0); returns false (and collects nothing) otherwise.
    bool collect_garbage(Span<const VMVal> extra = {}, Span<const ValType> extra_types = {});
    // Marks the store's own roots (globals, tables, element segments), between GcHeap::begin_mark and finish (gc_roots.h collects in wasm code).
    void mark_store_roots();
    // Host → wasm calls of this store in progress (runtime::invoke counts them).
    u32 wasm_depth() const { return m_wasm_depth; }
    void enter_wasm() { ++m_wasm_depth; }
    void leave_wasm() { --m_wasm_depth; }

private:
    friend class Instance;
    template<typename U, typename... Args>
    friend Result<RefPtr<U>> wk::try_make_ref_counted_in(Allocator&, Args&&...);
    Store() = default;

    Result<void> adopt(RefPtr<Memory>);
    Result<void> adopt(RefPtr<Table>);
    Result<void> adopt(RefPtr<Global>);
    Result<void> adopt(RefPtr<Tag>);

    RuntimeLimits m_limits;
    RefPtr<ResourceBudget> m_memory_budget;
    RefPtr<ResourceBudget> m_table_budget;
    RefPtr<ResourceBudget> m_address_space_budget;
    TypeRegistry m_types;
    GcHeap m_gc_heap { m_types, 0 };
    u32 m_wasm_depth { 0 };
    Vector<RefPtr<Instance>> m_instances;
    Vector<RefPtr<Memory>> m_memories;
    Vector<RefPtr<Table>> m_tables;
    Vector<RefPtr<Global>> m_globals;
    Vector<RefPtr<Tag>> m_tags;
    Vector<RefPtr<HostFunction>> m_host_functions;
    HashMap<u64, HostRef*> m_host_refs;
    HashMap<const HostRef*, u8> m_host_ref_boxes;
};

} // namespace wk::engine::runtime
