#include "engine/runtime/builtins.h"

#include "base/checked.h"
#include "engine/platform.h"
#include "engine/runtime/gc_objects.h"
#include "engine/runtime/global.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/speculation.h"
#include "engine/runtime/table.h"

namespace wk::engine::runtime {

namespace {

const void* const kBuiltinTable[] = {
    reinterpret_cast<const void*>(&builtins::memory_grow),
    reinterpret_cast<const void*>(&builtins::memory_fill),
    reinterpret_cast<const void*>(&builtins::memory_copy),
    reinterpret_cast<const void*>(&builtins::memory_init),
    reinterpret_cast<const void*>(&builtins::data_drop),
    reinterpret_cast<const void*>(&builtins::table_grow),
    reinterpret_cast<const void*>(&builtins::table_fill),
    reinterpret_cast<const void*>(&builtins::table_copy),
    reinterpret_cast<const void*>(&builtins::table_init),
    reinterpret_cast<const void*>(&builtins::elem_drop),
    reinterpret_cast<const void*>(&builtins::atomic_wait32),
    reinterpret_cast<const void*>(&builtins::atomic_wait64),
    reinterpret_cast<const void*>(&builtins::atomic_notify),
    reinterpret_cast<const void*>(&builtins::gc_struct_new),
    reinterpret_cast<const void*>(&builtins::gc_array_new),
    reinterpret_cast<const void*>(&builtins::gc_array_new_fixed),
    reinterpret_cast<const void*>(&builtins::gc_array_new_data),
    reinterpret_cast<const void*>(&builtins::gc_array_new_elem),
    reinterpret_cast<const void*>(&builtins::gc_array_fill),
    reinterpret_cast<const void*>(&builtins::gc_array_copy),
    reinterpret_cast<const void*>(&builtins::gc_array_init_data),
    reinterpret_cast<const void*>(&builtins::gc_array_init_elem),
    reinterpret_cast<const void*>(&builtins::gc_ref_test),
    reinterpret_cast<const void*>(&builtins::gc_struct_new_desc),
    reinterpret_cast<const void*>(&builtins::gc_ref_test_desc),
};
static_assert(sizeof(kBuiltinTable) / sizeof(kBuiltinTable[0]) == static_cast<usize>(Builtin::Count));

u32 trap(TrapKind kind) { return static_cast<u32>(kind); }

} // namespace

const void* const* builtin_table() { return kBuiltinTable; }

namespace builtins {

// NOTE: memory, table, data and element indices come from validated code, so they are in
// range; the checks that remain are the ones the spec makes at run time on guest values,
// and each access after such a check is clamped (speculation.h; Memory and Table clamp
// their own accesses).

u64 memory_grow(VMContext* vmctx, u32 memory, u64 delta_pages)
{
    return Instance::from_vmctx(vmctx).memory(memory)->grow(delta_pages);
}

u32 memory_fill(VMContext* vmctx, u32 memory, u64 destination, u32 value, u64 length)
{
    if (!Instance::from_vmctx(vmctx).memory(memory)->fill(destination, static_cast<u8>(value), length))
        return trap(TrapKind::MemoryOutOfBounds);
    return 0;
}

u32 memory_copy(VMContext* vmctx, u32 destination_memory, u32 source_memory, u64 destination, u64 source, u64 length)
{
    Instance& instance = Instance::from_vmctx(vmctx);
    Memory* to = instance.memory(destination_memory);
    Memory* from = instance.memory(source_memory);
    // NOTE: each size is read once; the masks (speculation.h) make a mispredicted check
    // copy nothing.
    u64 to_size = to->size_bytes();
    u64 from_size = from->size_bytes();
    u64 mask = range_mask(destination, length, to_size) & range_mask(source, length, from_size);
    if (!mask)
        return trap(TrapKind::MemoryOutOfBounds);
    length &= mask;
    if (length)
        __builtin_memmove(to->base() + (destination & mask), from->base() + (source & mask), length);
    return 0;
}

u32 memory_init(VMContext* vmctx, u32 memory, u32 data, u64 destination, u32 source, u32 length)
{
    return trap(Instance::from_vmctx(vmctx).memory_init(memory, data, destination, source, length));
}

void data_drop(VMContext* vmctx, u32 data) { Instance::from_vmctx(vmctx).drop_data(data); }

u64 table_grow(VMContext* vmctx, u32 table, void* init, u64 delta)
{
    return Instance::from_vmctx(vmctx).table(table)->grow(delta, init);
}

u32 table_fill(VMContext* vmctx, u32 table, u64 destination, void* value, u64 length)
{
    if (!Instance::from_vmctx(vmctx).table(table)->fill(destination, value, length))
        return trap(TrapKind::TableOutOfBounds);
    return 0;
}

u32 table_copy(VMContext* vmctx, u32 destination_table, u32 source_table, u64 destination, u64 source, u64 length)
{
    Instance& instance = Instance::from_vmctx(vmctx);
    if (!Table::copy(*instance.table(destination_table), destination, *instance.table(source_table), source, length))
        return trap(TrapKind::TableOutOfBounds);
    return 0;
}

u32 table_init(VMContext* vmctx, u32 table, u32 elem, u64 destination, u32 source, u32 length)
{
    return trap(Instance::from_vmctx(vmctx).table_init(table, elem, destination, source, length));
}

void elem_drop(VMContext* vmctx, u32 elem) { Instance::from_vmctx(vmctx).drop_elem(elem); }

// NOTE: wait32's expected value comes zero-extended from an i32; the word is compared
// as a u32.
u64 atomic_wait32(VMContext* vmctx, u32 memory, u64 address, u64 offset, u64 expected, i64 timeout_ns)
{
    return runtime::atomic_wait(*Instance::from_vmctx(vmctx).memory(memory), address, offset, 4,
                                static_cast<u32>(expected), timeout_ns);
}

u64 atomic_wait64(VMContext* vmctx, u32 memory, u64 address, u64 offset, u64 expected, i64 timeout_ns)
{
    return runtime::atomic_wait(*Instance::from_vmctx(vmctx).memory(memory), address, offset, 8, expected, timeout_ns);
}

u64 atomic_notify(VMContext* vmctx, u32 memory, u64 address, u64 offset, u32 count)
{
    return runtime::atomic_notify(*Instance::from_vmctx(vmctx).memory(memory), address, offset, count);
}

} // namespace builtins

} // namespace wk::engine::runtime
