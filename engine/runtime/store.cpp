#include "engine/runtime/store.h"

#include <new>

#include "base/allocator.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/global.h"
#include "engine/runtime/table.h"

namespace wk::engine::runtime {

Result<RefPtr<Store>> Store::create(RuntimeLimits limits)
{
    auto store = TRY(try_make_ref_counted<Store>());
    store->m_limits = limits;
    store->m_memory_budget = TRY(try_make_ref_counted<ResourceBudget>(limits.max_store_memory_bytes));
    store->m_table_budget = TRY(try_make_ref_counted<ResourceBudget>(limits.max_store_table_elements));
    store->m_address_space_budget = TRY(try_make_ref_counted<ResourceBudget>(limits.max_store_reserved_bytes));
    u64 gc_limit = limits.max_store_gc_bytes < (u64 { 64 } << 30) ? limits.max_store_gc_bytes : u64 { 64 } << 30;
    store->m_gc_heap.configure(gc_limit, store->m_memory_budget);
    return store;
}

Store::~Store()
{
    // Instances first: they refer to the memories, tables and globals below.
    m_instances.clear_and_release();
    for (auto& entry : m_host_refs)
        default_allocator().deallocate(entry.value, sizeof(HostRef), alignof(HostRef));
}

Result<void> Store::adopt(RefPtr<Memory> memory) { return m_memories.try_append(std::move(memory)); }
Result<void> Store::adopt(RefPtr<Table> table) { return m_tables.try_append(std::move(table)); }
Result<void> Store::adopt(RefPtr<Global> global) { return m_globals.try_append(std::move(global)); }
Result<void> Store::adopt(RefPtr<Tag> tag) { return m_tags.try_append(std::move(tag)); }

Result<Memory*> Store::create_memory(const Limits& limits)
{
    auto memory = TRY(Memory::create(limits, m_limits, m_memory_budget, m_address_space_budget));
    Memory* raw = memory.get();
    TRY(adopt(std::move(memory)));
    return raw;
}

Result<Table*> Store::create_table(ValType element_type, const Limits& limits, void* init)
{
    if (!element_type.is_ref() || (element_type.has_index() && element_type.index >= m_types.size()))
        return Error::from("invalid table element type", ErrorKind::Invalid);
    auto table = TRY(Table::create(element_type, limits, init, m_limits, m_table_budget, m_memory_budget));
    Table* raw = table.get();
    TRY(adopt(std::move(table)));
    return raw;
}

Result<Global*> Store::create_global(ValType type, bool is_mutable, VMVal value)
{
    if (type.has_index() && type.index >= m_types.size())
        return Error::from("invalid global type", ErrorKind::Invalid);
    auto global = TRY(try_make_ref_counted<Global>(type, is_mutable, value));
    Global* raw = global.get();
    TRY(adopt(std::move(global)));
    return raw;
}

Result<Tag*> Store::create_tag(u32 function_type_id)
{
    if (function_type_id >= m_types.size() || m_types.type(function_type_id).kind != CompositeKind::Func)
        return Error::from("a tag's type must be a function type", ErrorKind::Invalid);
    auto tag = TRY(try_make_ref_counted<Tag>(function_type_id));
    Tag* raw = tag.get();
    TRY(adopt(std::move(tag)));
    return raw;
}

Result<VMFuncRef*> Store::create_host_function(u32 type_id, VMArrayCall array_call, const void* native_code, void* data)
{
    if (type_id >= m_types.size() || m_types.type(type_id).kind != CompositeKind::Func)
        return Error::from("a host function's type must be a function type", ErrorKind::Invalid);
    if (!array_call)
        return Error::from("a host function needs an array-call entry", ErrorKind::Invalid);
    auto function = TRY(try_make_ref_counted<HostFunction>(type_id, array_call, native_code, data));
    VMFuncRef* funcref = function->funcref();
    TRY(m_host_functions.try_append(std::move(function)));
    return funcref;
}

Result<void*> Store::host_ref(u64 payload)
{
    if (HostRef** existing = m_host_refs.get(payload))
        return static_cast<void*>(*existing);
    void* memory = default_allocator().allocate(sizeof(HostRef), alignof(HostRef));
    if (!memory)
        return Error::out_of_memory();
    auto* box = new (memory) HostRef;
    box->payload = payload;
    auto inserted = m_host_ref_boxes.try_set(box, 0);
    if (inserted.is_error()) {
        default_allocator().deallocate(box, sizeof(HostRef), alignof(HostRef));
        return inserted.error();
    }
    inserted = m_host_refs.try_set(payload, box);
    if (inserted.is_error()) {
        m_host_ref_boxes.remove(box);
        default_allocator().deallocate(box, sizeof(HostRef), alignof(HostRef));
        return inserted.error();
    }
    return static_cast<void*>(box);
}

bool Store::is_host_ref(const void* ref) const
{
    return ref && m_host_ref_boxes.contains(static_cast<const HostRef*>(ref));
}

bool Store::collect_garbage(Span<const VMVal> extra, Span<const ValType> extra_types)
{
    if (m_wasm_depth != 0)
        return false;
    m_gc_heap.begin_mark();
    for (usize i = 0; i < extra.size() && i < extra_types.size(); ++i)
        m_gc_heap.mark(extra_types[i], extra[i].u64_value());
    mark_store_roots();
    m_gc_heap.finish();
    return true;
}

void Store::mark_store_roots()
{
    for (const RefPtr<Global>& global : m_globals)
        m_gc_heap.mark(global->type(), global->value().u64_value());
    for (const RefPtr<Table>& table : m_tables) {
        for (u64 i = 0; i < table->size(); ++i)
            m_gc_heap.mark(table->element_type(), reinterpret_cast<uptr>(table->get(i)));
    }
    for (const RefPtr<Instance>& instance : m_instances) {
        const Module& module = instance->module();
        for (usize segment = 0; segment < instance->m_element_items.size() && segment < module.elements.size(); ++segment) {
            ValType type = TypeRegistry::to_store(module.elements[segment].type, instance->type_ids());
            for (void* item : instance->m_element_items[segment])
                m_gc_heap.mark(type, reinterpret_cast<uptr>(item));
        }
    }
}

} // namespace wk::engine::runtime
