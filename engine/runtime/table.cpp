#include "engine/runtime/table.h"

#include "base/checked.h"
#include "engine/runtime/speculation.h"

namespace wk::engine::runtime {

namespace {

bool range_fits(u64 offset, u64 count, u64 size)
{
    auto end = checked_add(offset, count);
    return end && *end <= size;
}

} // namespace

Result<RefPtr<Table>> Table::create(ValType element_type, const Limits& limits, void* init,
                                    const RuntimeLimits& runtime_limits, RefPtr<ResourceBudget> budget,
                                    RefPtr<ResourceBudget> memory_budget)
{
    u64 max = limits.is_64 ? ~u64 { 0 } : 0xFFFF'FFFFull;
    if (limits.has_max && limits.max < max)
        max = limits.max;
    if (limits.min > max)
        return Error::from("table minimum exceeds its maximum", ErrorKind::Invalid);
    if (max > runtime_limits.max_table_elements)
        max = runtime_limits.max_table_elements;
    if (limits.min > max)
        return Error::from("table size exceeds the runtime limit", ErrorKind::OutOfMemory);
    auto table = try_make_ref_counted<Table>();
    if (table.is_error())
        return table.error();
    RefPtr<Table> result = table.release_value();
    result->m_budget = std::move(budget);
    result->m_memory_budget = std::move(memory_budget);
    if (!result->charge(limits.min))
        return Error::from("table size exceeds the store's budget", ErrorKind::OutOfMemory);
    // From here on the table's destructor refunds what was charged.
    result->m_charged = limits.min;
    result->m_element_type = element_type;
    result->m_limits = limits;
    result->m_max_size = max;
    TRY(result->m_elements.try_resize(static_cast<usize>(limits.min), init));
    result->m_vm.elements = result->m_elements.data();
    result->m_vm.size = limits.min;
    return result;
}

Table::~Table() { refund(m_charged); }

bool Table::charge(u64 count)
{
    if (m_budget && !m_budget->try_charge(count))
        return false;
    // count <= max_table_elements (far below 2^61): the byte count cannot overflow.
    if (m_memory_budget && !m_memory_budget->try_charge(count * sizeof(void*))) {
        if (m_budget)
            m_budget->refund(count);
        return false;
    }
    return true;
}

void Table::refund(u64 count)
{
    if (m_budget)
        m_budget->refund(count);
    if (m_memory_budget)
        m_memory_budget->refund(count * sizeof(void*));
}

Limits Table::current_limits() const
{
    Limits limits = m_limits;
    limits.min = m_vm.size;
    return limits;
}

bool Table::set(u64 index, void* value)
{
    u64 size = m_vm.size;
    if (index >= size)
        return false;
    m_vm.elements[clamp_index(index, size)] = value;
    return true;
}

u64 Table::grow(u64 delta, void* init)
{
    constexpr u64 kFailed = ~u64 { 0 };
    u64 old_size = m_vm.size;
    if (delta == 0)
        return old_size;
    auto new_size = checked_add(old_size, delta);
    if (!new_size || *new_size > m_max_size)
        return kFailed;
    if (!charge(delta))
        return kFailed;
    if (m_elements.try_resize(static_cast<usize>(*new_size), init).is_error()) {
        refund(delta);
        return kFailed;
    }
    m_charged += delta;
    m_vm.elements = m_elements.data();
    m_vm.size = *new_size;
    return old_size;
}

// NOTE: after its checks, each bulk operation computes its offsets and count through
// speculation.h's masks, so that under a mispredicted check it touches nothing.

bool Table::fill(u64 offset, void* value, u64 count)
{
    if (!range_fits(offset, count, m_vm.size))
        return false;
    ClampedRange range = clamp_range(offset, count, m_vm.size);
    for (u64 i = 0; i < range.length; ++i)
        m_vm.elements[range.offset + i] = value;
    return true;
}

bool Table::copy(Table& destination, u64 destination_offset, const Table& source, u64 source_offset, u64 count)
{
    if (!range_fits(destination_offset, count, destination.m_vm.size) || !range_fits(source_offset, count, source.m_vm.size))
        return false;
    u64 mask = range_mask(destination_offset, count, destination.m_vm.size) & range_mask(source_offset, count, source.m_vm.size);
    count &= mask;
    if (count)
        __builtin_memmove(destination.m_vm.elements + (destination_offset & mask), source.m_vm.elements + (source_offset & mask),
                          count * sizeof(void*));
    return true;
}

bool Table::init(u64 offset, Span<void* const> items, u64 item_offset, u64 count)
{
    if (!range_fits(offset, count, m_vm.size) || !range_fits(item_offset, count, items.size()))
        return false;
    u64 mask = range_mask(offset, count, m_vm.size) & range_mask(item_offset, count, items.size());
    offset &= mask;
    item_offset &= mask;
    count &= mask;
    for (u64 i = 0; i < count; ++i)
        m_vm.elements[offset + i] = items[item_offset + i];
    return true;
}

} // namespace wk::engine::runtime
