#pragma once

#include "base/types.h"
#include "engine/runtime/vm.h"

namespace wk::engine::runtime {

// Functions compiled code calls for what it does not inline (docs/engine-abi.md,
// "Builtins"). Their addresses sit in a table at VMContext + VMOffsets::kBuiltins,
// indexed by Builtin. Each takes the caller's VMContext first, uses the System V
// convention, and does not unwind: a builtin that can trap returns the TrapKind (0 when
// it did not trap) and the compiled code raises it at one of its own trap sites, so
// every trap has a wasm PC and a frame-pointer chain.
enum class Builtin : u32 {
    MemoryGrow, // u64 (vmctx, u32 memory, u64 delta_pages) -> old pages, or ~0
    MemoryFill, // u32 (vmctx, u32 memory, u64 destination, u32 value, u64 length) -> trap
    MemoryCopy, // u32 (vmctx, u32 destination_memory, u32 source_memory, u64 destination, u64 source, u64 length)
    MemoryInit, // u32 (vmctx, u32 memory, u32 data, u64 destination, u32 source, u32 length)
    DataDrop,   // void (vmctx, u32 data)
    TableGrow,  // u64 (vmctx, u32 table, void* init, u64 delta) -> old size, or ~0
    TableFill,  // u32 (vmctx, u32 table, u64 destination, void* value, u64 length)
    TableCopy,  // u32 (vmctx, u32 destination_table, u32 source_table, u64 destination, u64 source, u64 length)
    TableInit,  // u32 (vmctx, u32 table, u32 elem, u64 destination, u32 source, u32 length)
    ElemDrop,   // void (vmctx, u32 elem)
    // u64 (vmctx, u32 memory, u64 address, u64 offset, u64 expected, i64 timeout_ns) -> the
    // wait's result, or kAtomicUnaligned / kAtomicOutOfBounds / kAtomicUnshared
    // (engine/runtime/waiter.h), which the caller raises as UnalignedAtomic,
    // MemoryOutOfBounds and ExpectedSharedMemory. May block.
    AtomicWait32,
    AtomicWait64,
    // u64 (vmctx, u32 memory, u64 address, u64 offset, u32 count) -> woken, or a k* code.
    AtomicNotify,
    // GC (engine/runtime/gc_objects.h). Allocations return a GcAllocation in rax:rdx
    // (the object, or 0 and the TrapKind); the others a TrapKind (0: no trap), except
    // GcRefTest and GcRefTestDesc, which return the test's result.
    GcStructNew,     // (vmctx, u32 type_index, const VMVal* last, u32 field_count); last = null: defaults
    GcArrayNew,      // (vmctx, u32 type_index, const VMVal* init, u64 length); init = null: defaults
    GcArrayNewFixed, // (vmctx, u32 type_index, const VMVal* last, u32 count)
    GcArrayNewData,  // (vmctx, u32 type_index, u32 data, u64 offset, u64 length)
    GcArrayNewElem,  // (vmctx, u32 type_index, u32 elem, u64 offset, u64 length)
    GcArrayFill,     // (vmctx, array, u64 offset, const VMVal* value, u64 length)
    GcArrayCopy,     // (vmctx, destination, u64 destination_offset, source, u64 source_offset, u64 length)
    GcArrayInitData, // (vmctx, array, u32 data, u64 destination, u64 source, u64 length)
    GcArrayInitElem, // (vmctx, array, u32 elem, u64 destination, u64 source, u64 length)
    GcRefTest,       // (vmctx, ref, u64 gc_cast_target(type))
    GcStructNewDesc, // (vmctx, u32 type_index, const VMVal* last, u32 field_count, descriptor)
    GcRefTestDesc,   // (vmctx, ref, descriptor, u32 nullable) -> 1, 0 or kGcDescriptorNull
    Count,
};

// The table every VMContext points to.
const void* const* builtin_table();

namespace builtins {

u64 memory_grow(VMContext*, u32 memory, u64 delta_pages);
u32 memory_fill(VMContext*, u32 memory, u64 destination, u32 value, u64 length);
u32 memory_copy(VMContext*, u32 destination_memory, u32 source_memory, u64 destination, u64 source, u64 length);
u32 memory_init(VMContext*, u32 memory, u32 data, u64 destination, u32 source, u32 length);
void data_drop(VMContext*, u32 data);
u64 table_grow(VMContext*, u32 table, void* init, u64 delta);
u32 table_fill(VMContext*, u32 table, u64 destination, void* value, u64 length);
u32 table_copy(VMContext*, u32 destination_table, u32 source_table, u64 destination, u64 source, u64 length);
u32 table_init(VMContext*, u32 table, u32 elem, u64 destination, u32 source, u32 length);
void elem_drop(VMContext*, u32 elem);
u64 atomic_wait32(VMContext*, u32 memory, u64 address, u64 offset, u64 expected, i64 timeout_ns);
u64 atomic_wait64(VMContext*, u32 memory, u64 address, u64 offset, u64 expected, i64 timeout_ns);
u64 atomic_notify(VMContext*, u32 memory, u64 address, u64 offset, u32 count);

} // namespace builtins

} // namespace wk::engine::runtime
