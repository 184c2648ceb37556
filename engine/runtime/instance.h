#pragma once

#include <optional>

#include "base/ref_ptr.h"
#include "base/result.h"
#include "base/vector.h"
#include "engine/platform.h"
#include "engine/runtime/extern.h"
#include "engine/runtime/loaded_module.h"
#include "engine/runtime/vm.h"

namespace wk::engine::runtime {

class Store;
class Memory;
class Table;
class Global;
class Tag;
class ImportResolver;

// One instantiation of a LoadedModule in a Store, with its VMContext. Created by
// Store::instantiate; owned by the store.
class Instance : public RefCounted<Instance> {
public:
    ~Instance();

    const LoadedModule& loaded_module() const { return *m_module; }
    const Module& module() const { return m_module->module(); }
    Store& store() const { return *m_store; }
    VMContext* vmctx() const { return reinterpret_cast<VMContext*>(m_vmctx); }
    static Instance& from_vmctx(VMContext* vmctx);

    // By export name; nullopt when there is no such export.
    std::optional<Extern> get_export(StringView name) const;

    // Index spaces of the module, imports first. Indices must be in range.
    VMFuncRef* function(u32 index) const;
    Memory* memory(u32 index) const { return m_memories[index].get(); }
    Table* table(u32 index) const { return m_tables[index].get(); }
    usize table_count() const { return m_tables.size(); }
    Global* global(u32 index) const { return m_globals[index].get(); }
    Tag* tag(u32 index) const { return m_tags[index].get(); }
    u32 type_id(u32 type_index) const { return m_type_ids[type_index]; }
    Span<const u32> type_ids() const { return m_type_ids.span(); }

    // Segment state for bulk instructions. A dropped segment is empty.
    bool is_data_dropped(u32 index) const;
    bool is_elem_dropped(u32 index) const;
    ReadonlyBytes data_segment(u32 index) const;
    Span<void* const> element_segment(u32 index) const;
    void drop_data(u32 index);
    void drop_elem(u32 index);

    // The bulk operations, with spec bounds checks; TrapKind::None on success.
    TrapKind memory_init(u32 memory, u32 data, u64 destination, u64 source, u64 length);
    TrapKind table_init(u32 table, u32 elem, u64 destination, u64 source, u64 count);

private:
    friend class Store;
    template<typename U, typename... Args>
    friend Result<RefPtr<U>> wk::try_make_ref_counted_in(Allocator&, Args&&...);
    Instance(Store& store, LoadedModule& module)
        : m_module(module)
        , m_store(&store)
    {
    }

    // Store::instantiate's steps (instantiate.cpp).
    Result<void> allocate_context();
    Result<void> link_imports(ImportResolver& resolver);
    Result<void> initialize();
    Result<void> run_start();

    template<typename T>
    T* vm_field(u32 offset) const { return reinterpret_cast<T*>(m_vmctx + offset); }
    u64* dropped_bits(u32 offset, u32 index) const { return vm_field<u64>(offset) + index / 64; }

    RefPtr<LoadedModule> m_module;
    Store* m_store;
    u8* m_vmctx { nullptr };
    Vector<u32> m_type_ids;
    Vector<RefPtr<Memory>> m_memories;
    Vector<RefPtr<Table>> m_tables;
    Vector<RefPtr<Global>> m_globals;
    Vector<RefPtr<Tag>> m_tags;
    Vector<Vector<void*>> m_element_items; // evaluated references of each element segment
};

} // namespace wk::engine::runtime
