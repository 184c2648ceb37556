#include "engine/runtime/instance.h"

#include "base/allocator.h"
#include "base/checked.h"
#include "engine/runtime/global.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/speculation.h"
#include "engine/runtime/store.h"
#include "engine/runtime/table.h"

namespace wk::engine::runtime {

Instance::~Instance()
{
    if (m_vmctx)
        default_allocator().deallocate(m_vmctx, m_module->offsets().size, 16);
}

Instance& Instance::from_vmctx(VMContext* vmctx)
{
    Instance* instance;
    __builtin_memcpy(&instance, reinterpret_cast<u8*>(vmctx) + VMOffsets::kInstance, sizeof(instance));
    return *instance;
}

VMFuncRef* Instance::function(u32 index) const
{
    WK_ASSERT(index < m_module->offsets().function_count);
    return vm_field<VMFuncRef>(m_module->offsets().function(index));
}

std::optional<Extern> Instance::get_export(StringView name) const
{
    for (const Export& entry : module().exports) {
        if (entry.name != name)
            continue;
        switch (entry.kind) {
        case ExternKind::Func: return Extern::from(function(entry.index));
        case ExternKind::Table: return Extern::from(table(entry.index));
        case ExternKind::Memory: return Extern::from(memory(entry.index));
        case ExternKind::Global: return Extern::from(global(entry.index));
        case ExternKind::Tag: return Extern::from(tag(entry.index));
        }
    }
    return std::nullopt;
}

bool Instance::is_data_dropped(u32 index) const
{
    WK_ASSERT(index < module().datas.size());
    return (*dropped_bits(m_module->offsets().data_dropped, index) >> (index % 64)) & 1;
}

bool Instance::is_elem_dropped(u32 index) const
{
    WK_ASSERT(index < module().elements.size());
    return (*dropped_bits(m_module->offsets().elem_dropped, index) >> (index % 64)) & 1;
}

void Instance::drop_data(u32 index)
{
    WK_ASSERT(index < module().datas.size());
    *dropped_bits(m_module->offsets().data_dropped, index) |= u64 { 1 } << (index % 64);
}

void Instance::drop_elem(u32 index)
{
    WK_ASSERT(index < module().elements.size());
    *dropped_bits(m_module->offsets().elem_dropped, index) |= u64 { 1 } << (index % 64);
    // The references are no longer reachable through this segment.
    m_element_items[index].clear_and_release();
}

ReadonlyBytes Instance::data_segment(u32 index) const
{
    if (is_data_dropped(index))
        return {};
    const DataSegment& segment = module().datas[index];
    return module().slice(segment.data_offset, segment.data_size);
}

Span<void* const> Instance::element_segment(u32 index) const
{
    if (is_elem_dropped(index))
        return {};
    return m_element_items[index].span();
}

TrapKind Instance::memory_init(u32 memory_index, u32 data, u64 destination, u64 source, u64 length)
{
    ReadonlyBytes bytes = data_segment(data);
    auto source_end = checked_add(source, length);
    if (!source_end || *source_end > bytes.size())
        return TrapKind::MemoryOutOfBounds;
    // The segment lives in the module's bytes: clamp the slice too (speculation.h);
    // Memory::write clamps the destination.
    ClampedRange slice = clamp_range(source, length, bytes.size());
    if (!memory(memory_index)->write(destination, bytes.subspan(static_cast<usize>(slice.offset), static_cast<usize>(slice.length))))
        return TrapKind::MemoryOutOfBounds;
    return TrapKind::None;
}

TrapKind Instance::table_init(u32 table_index, u32 elem, u64 destination, u64 source, u64 count)
{
    if (!table(table_index)->init(destination, element_segment(elem), source, count))
        return TrapKind::TableOutOfBounds;
    return TrapKind::None;
}

} // namespace wk::engine::runtime
