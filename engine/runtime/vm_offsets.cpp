#include "engine/runtime/vm.h"

namespace wk::engine::runtime {

namespace {

// NOTE: a module's counts are bounded by its size, but a VMContext is allocated per
// instance in one block; refuse blocks that would not be reasonable to allocate.
constexpr u64 kMaxContextBytes = u64 { 256 } << 20;

} // namespace

Result<VMOffsets> VMOffsets::compute(const Module& module)
{
    VMOffsets offsets;
    offsets.function_count = static_cast<u32>(module.functions.size());
    offsets.table_count = static_cast<u32>(module.tables.size());
    offsets.memory_count = static_cast<u32>(module.memories.size());
    offsets.global_count = static_cast<u32>(module.globals.size());
    offsets.tag_count = static_cast<u32>(module.tags.size());
    offsets.type_count = static_cast<u32>(module.types.size());
    offsets.data_count = static_cast<u32>(module.datas.size());
    offsets.elem_count = static_cast<u32>(module.elements.size());

    u64 cursor = kHeaderSize;
    auto place = [&](u32& field, u64 count, u64 element_size, u64 alignment) {
        cursor = (cursor + alignment - 1) & ~(alignment - 1);
        field = static_cast<u32>(cursor < kMaxContextBytes ? cursor : kMaxContextBytes);
        cursor += count * element_size; // counts are u32, sizes small: no overflow in u64
    };
    place(offsets.memories, offsets.memory_count, 8, 8);
    place(offsets.tables, offsets.table_count, 8, 8);
    place(offsets.globals, offsets.global_count, 8, 8);
    place(offsets.tags, offsets.tag_count, 8, 8);
    place(offsets.functions, offsets.function_count, sizeof(VMFuncRef), 16);
    place(offsets.type_ids, offsets.type_count, 4, 4);
    place(offsets.data_dropped, (u64 { offsets.data_count } + 63) / 64, 8, 8);
    place(offsets.elem_dropped, (u64 { offsets.elem_count } + 63) / 64, 8, 8);
    cursor = (cursor + 15) & ~u64 { 15 };
    if (cursor > kMaxContextBytes)
        return Error::from("module too large to instantiate", ErrorKind::OutOfMemory);
    offsets.size = static_cast<u32>(cursor);
    return offsets;
}

} // namespace wk::engine::runtime
