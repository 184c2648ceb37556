#pragma once

// The layout of GC objects (docs/gc.md), shared by the runtime (allocation, the
// collector, builtins) and the compilers (inline field and element access), so that
// both compute the same offsets from the same storage types.

#include "base/span.h"
#include "base/types.h"
#include "engine/module.h"

namespace wk::engine::runtime {

// Every GC object starts with this header; the fields (struct) or elements (array)
// follow at kGcHeaderBytes. Objects are 16-byte aligned.
//  - type_id: the store-level canonical type id (TypeRegistry), never kHostRefMarker.
//  - flags: the collector's mark bit; kGcStructFlag and, for a struct, its bytes / 16 in
//    bits 8..31 (kGcStructUnitsShift).
//  - an array: length, its element count, and size_units, its bytes / 16 (what the
//    collector frees);
//  - a struct: its descriptor (custom descriptors) in the same 8 bytes, at
//    kGcStructDescriptorOffset: the descriptor object, or 0 when its type has none.
// NOTE: every struct has the descriptor word, whether its type has a descriptor or not:
// a subtype may add a descriptor its supertype lacks, and both must see field k at the
// same offset. Keeping it in the header costs no byte: a struct needs no length, and its
// size fits in the flags (at most 10,000 fields of 16 bytes, far below 2^24 units).
struct GcHeader {
    u32 type_id { 0 };
    u32 flags { 0 };
    u32 length { 0 };
    u32 size_units { 0 };
};
static_assert(sizeof(GcHeader) == 16);

constexpr u32 kGcHeaderBytes = 16;
constexpr u32 kGcTypeIdOffset = 0;
constexpr u32 kGcArrayLengthOffset = 8;
constexpr u32 kGcMarkBit = 1;
constexpr u32 kGcStructFlag = 2;
// An exception object (exnref, vm.h's VMException): its type_id is kGcExceptionTypeId and,
// like a struct, it keeps its bytes / 16 in the flags (its header's third word is the tag).
constexpr u32 kGcExceptionFlag = 4;
constexpr u32 kGcStructUnitsShift = 8;
constexpr u64 kGcMaxStructUnits = u64 { 1 } << (32 - kGcStructUnitsShift);
constexpr u32 kGcStructDescriptorOffset = 8;

// The object's bytes / 16, for either layout.
constexpr u64 gc_object_units(const GcHeader& object)
{
    return (object.flags & (kGcStructFlag | kGcExceptionFlag)) ? object.flags >> kGcStructUnitsShift : object.size_units;
}

// NOTE: the first word of a HostRef box (store.h). Casts and the collector read the first
// u32 of any non-null, non-i31 reference of the any/extern hierarchies: this value says
// "a host value", any other is a GC object's type id.
constexpr u32 kHostRefMarker = ~u32 { 0 };
// NOTE: the type_id of every exception object (VMException): no canonical type has it.
// exnref values never reach casts (the validator keeps the hierarchies apart); the
// collector reads it to trace an exception's payload by its tag's parameter types.
constexpr u32 kGcExceptionTypeId = ~u32 { 0 } - 1;

constexpr u32 align_up_u32(u32 value, u32 alignment) { return (value + alignment - 1) & ~(alignment - 1); }

// Byte offset of struct field `index` (natural alignment, declaration order).
constexpr u32 gc_field_offset(Span<const FieldType> fields, u32 index)
{
    u32 offset = kGcHeaderBytes;
    for (u32 i = 0;; ++i) {
        u32 size = storage_size(fields[i].type);
        offset = align_up_u32(offset, size);
        if (i == index)
            return offset;
        offset += size;
    }
}

// Bytes of a struct object, header included (a multiple of 16).
constexpr u64 gc_struct_bytes(Span<const FieldType> fields)
{
    u64 offset = kGcHeaderBytes;
    for (const FieldType& field : fields) {
        u64 size = storage_size(field.type);
        offset = (offset + size - 1) & ~(size - 1);
        offset += size;
    }
    return (offset + 15) & ~u64 { 15 };
}

// Bytes of an array object of `length` elements of `element` (a multiple of 16).
constexpr u64 gc_array_bytes(ValType element, u64 length)
{
    return (kGcHeaderBytes + u64 { storage_size(element) } * length + 15) & ~u64 { 15 };
}

} // namespace wk::engine::runtime
