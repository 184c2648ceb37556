#pragma once

// Creating and filling GC objects (docs/gc.md): what the compiled code's GC builtins
// and constant expressions share. Type ids are store-level; values come as VMVals
// (numbers little-endian at byte 0, references as pointers), stored by storage type.

#include "base/result.h"
#include "engine/platform.h"
#include "engine/runtime/gc_layout.h"
#include "engine/runtime/vm.h"

namespace wk::engine::runtime {

class Store;
class Instance;

// A struct of `type_id` whose field k is values(k), or zero-filled when `values` is null.
// `values` returns a const VMVal&.
struct GcFieldSource {
    const VMVal* base { nullptr }; // field k at base[stride * k] (stride may be negative)
    i64 stride { 1 };
    const VMVal& at(u64 k) const { return base[static_cast<i64>(k) * stride]; }
};
// `descriptor` goes into the descriptor word (0 for a type without a descriptor).
Result<GcHeader*> gc_new_struct(Store&, u32 type_id, GcFieldSource values, uptr descriptor);
// An array of `type_id` with `length` elements: all `*init` (zero when null).
Result<GcHeader*> gc_new_array(Store&, u32 type_id, u64 length, const VMVal* init);
// An array of `type_id` whose elements are values.at(0..count).
Result<GcHeader*> gc_new_array_fixed(Store&, u32 type_id, u64 count, GcFieldSource values);

// Stores `value` into `destination` as storage type `type` (its low bytes).
inline void gc_store(u8* destination, ValType type, const VMVal& value)
{
    __builtin_memcpy(destination, value.bytes, storage_size(type));
}

// array.new_data / new_elem / fill / copy / init_data / init_elem and ref.test: the
// builtins of compiled code (engine/runtime/builtins.h), with the spec's checks.
struct GcAllocation {
    uptr ref;  // rax: the new object, 0 on a trap
    u64 trap;  // rdx: 0, or the TrapKind
};
static_assert(sizeof(GcAllocation) == 16);

namespace builtins {

GcAllocation gc_struct_new(VMContext*, u32 type_index, const VMVal* last, u32 field_count);
// struct.new_desc / struct.new_default_desc: traps NullDescriptorReference on a null
// descriptor.
GcAllocation gc_struct_new_desc(VMContext*, u32 type_index, const VMVal* last, u32 field_count, uptr descriptor);
GcAllocation gc_array_new(VMContext*, u32 type_index, const VMVal* init, u64 length);
GcAllocation gc_array_new_fixed(VMContext*, u32 type_index, const VMVal* last, u32 count);
GcAllocation gc_array_new_data(VMContext*, u32 type_index, u32 data, u64 offset, u64 length);
GcAllocation gc_array_new_elem(VMContext*, u32 type_index, u32 elem, u64 offset, u64 length);
u32 gc_array_fill(VMContext*, uptr array, u64 offset, const VMVal* value, u64 length);
u32 gc_array_copy(VMContext*, uptr destination, u64 destination_offset, uptr source, u64 source_offset, u64 length);
u32 gc_array_init_data(VMContext*, uptr array, u32 data, u64 destination, u64 source, u64 length);
u32 gc_array_init_elem(VMContext*, uptr array, u32 elem, u64 destination, u64 source, u64 length);
// 1 when `ref` passes the test `target` (gc_cast_target), else 0.
u32 gc_ref_test(VMContext*, uptr ref, u64 target);
// ref.cast_desc_eq / br_on_cast_desc_eq(_fail): 1 when `ref` is a struct whose descriptor
// word is `descriptor` (or null and `nullable`), 0 when not, kGcDescriptorNull when
// `descriptor` is null (the instructions trap before looking at `ref`).
u32 gc_ref_test_desc(VMContext*, uptr ref, uptr descriptor, u32 nullable);
constexpr u32 kGcDescriptorNull = 2;

} // namespace builtins

// The immediate of gc_ref_test: heap kind, nullability, exactness and (Index) the
// module's type index.
constexpr u64 gc_cast_target(ValType type)
{
    return static_cast<u64>(type.heap) | (static_cast<u64>(type.nullable) << 8) | (static_cast<u64>(type.exact) << 9)
        | (type.heap == HeapKind::Index ? static_cast<u64>(type.index) << 32 : 0);
}

} // namespace wk::engine::runtime
