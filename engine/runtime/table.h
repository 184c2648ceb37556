#pragma once

#include "base/ref_ptr.h"
#include "base/result.h"
#include "base/vector.h"
#include "engine/module.h"
#include "engine/runtime/limits.h"
#include "engine/runtime/speculation.h"
#include "engine/runtime/vm.h"

namespace wk::engine::runtime {

// A table of references (8 bytes each, null is 0; see vm.h for the representation).
// Element storage moves when the table grows; VMTable follows it.
class Table : public RefCounted<Table> {
public:
    // element_type is store-level (type indices are store ids). `init` fills the initial
    // elements. Fails with OutOfMemory when limits.min exceeds the runtime limit.
    // Elements are charged to `budget` when given, and their storage (8 bytes each) to
    // `memory_budget` when given, so tables count in a store's memory like its memories do
    // (both refunded when the table dies).
    static Result<RefPtr<Table>> create(ValType element_type, const Limits& limits, void* init,
                                        const RuntimeLimits& runtime_limits, RefPtr<ResourceBudget> budget = nullptr,
                                        RefPtr<ResourceBudget> memory_budget = nullptr);
    ~Table();

    VMTable* vm() { return &m_vm; }
    u64 size() const { return m_vm.size; }
    ValType element_type() const { return m_element_type; }
    // The declared limits with min updated to the current size (for import matching).
    Limits current_limits() const;
    bool is_64() const { return m_limits.is_64; }
    u64 max_size() const { return m_max_size; }

    // nullptr when out of bounds — check index < size() first to tell it from null.
    // NOTE: get and set clamp the index after their check (speculation.h).
    void* get(u64 index) const
    {
        u64 size = m_vm.size;
        if (index >= size)
            return nullptr;
        return m_vm.elements[clamp_index(index, size)];
    }
    bool set(u64 index, void* value);

    // table.grow: the old size, or ~0 when the new size would exceed the maximum or
    // the runtime limit, or memory runs out.
    u64 grow(u64 delta, void* init);
    // table.fill / table.copy / table.init semantics: false (nothing written) when any
    // part of a range is out of bounds.
    bool fill(u64 offset, void* value, u64 count);
    static bool copy(Table& destination, u64 destination_offset, const Table& source, u64 source_offset, u64 count);
    bool init(u64 offset, Span<void* const> items, u64 item_offset, u64 count);

private:
    template<typename U, typename... Args>
    friend Result<RefPtr<U>> wk::try_make_ref_counted_in(Allocator&, Args&&...);
    Table() = default;

    // Charges `count` elements to both budgets (nothing when either refuses).
    bool charge(u64 count);
    void refund(u64 count);

    VMTable m_vm;
    Vector<void*> m_elements;
    ValType m_element_type;
    Limits m_limits;
    u64 m_max_size { 0 };
    RefPtr<ResourceBudget> m_budget;
    RefPtr<ResourceBudget> m_memory_budget;
    u64 m_charged { 0 }; // elements charged to m_budget (and their bytes to m_memory_budget)
};

} // namespace wk::engine::runtime
