#include "engine/runtime/gc_objects.h"

#include "base/checked.h"
#include "engine/runtime/gc_roots.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/speculation.h"
#include "engine/runtime/store.h"

namespace wk::engine::runtime {

namespace {

u8* object_bytes(GcHeader* object) { return reinterpret_cast<u8*>(object); }

ValType element_type(const TypeRegistry& types, u32 type_id) { return types.fields(type_id)[0].type; }

u8* element_address(GcHeader* array, ValType element, u64 index)
{
    return object_bytes(array) + kGcHeaderBytes + index * storage_size(element);
}

} // namespace

Result<GcHeader*> gc_new_struct(Store& store, u32 type_id, GcFieldSource values, uptr descriptor)
{
    Span<const FieldType> fields = store.types().fields(type_id);
    u64 bytes = gc_struct_bytes(fields);
    if (bytes / 16 >= kGcMaxStructUnits)
        return Error::out_of_memory(); // unreachable for validated types (docs/gc.md)
    GcHeader* object = TRY(store.gc_heap().allocate(type_id, bytes, 0));
    // The struct layout of the header: size in the flags, the descriptor word after them.
    object->flags = kGcStructFlag | static_cast<u32>(bytes / 16) << kGcStructUnitsShift;
    __builtin_memcpy(object_bytes(object) + kGcStructDescriptorOffset, &descriptor, sizeof(descriptor));
    if (values.base) {
        u32 offset = kGcHeaderBytes;
        for (u32 k = 0; k < fields.size(); ++k) {
            u32 size = storage_size(fields[k].type);
            offset = align_up_u32(offset, size);
            gc_store(object_bytes(object) + offset, fields[k].type, values.at(k));
            offset += size;
        }
    }
    return object;
}

Result<GcHeader*> gc_new_array(Store& store, u32 type_id, u64 length, const VMVal* init)
{
    ValType element = element_type(store.types(), type_id);
    // NOTE: lengths are u32 in wasm, so the size cannot overflow a u64; the heap's limit
    // refuses what it cannot hold.
    GcHeader* object = TRY(store.gc_heap().allocate(type_id, gc_array_bytes(element, length), static_cast<u32>(length)));
    if (init) {
        for (u64 i = 0; i < length; ++i)
            gc_store(element_address(object, element, i), element, *init);
    }
    return object;
}

Result<GcHeader*> gc_new_array_fixed(Store& store, u32 type_id, u64 count, GcFieldSource values)
{
    ValType element = element_type(store.types(), type_id);
    GcHeader* object = TRY(store.gc_heap().allocate(type_id, gc_array_bytes(element, count), static_cast<u32>(count)));
    for (u64 i = 0; i < count; ++i)
        gc_store(element_address(object, element, i), element, values.at(i));
    return object;
}

namespace builtins {

namespace {

GcAllocation allocation(Result<GcHeader*> result)
{
    if (result.is_error())
        return { 0, static_cast<u64>(TrapKind::GcHeapExhausted) };
    return { reinterpret_cast<uptr>(result.value()), 0 };
}

GcAllocation trapped(TrapKind kind) { return { 0, static_cast<u64>(kind) }; }

u32 trap(TrapKind kind) { return static_cast<u32>(kind); }

// An allocation in wasm code (docs/gc.md, "Safe points"): a collection first when the
// trigger says so, and one more try after a collection when the heap is full. (fp, pc):
// the builtin's caller (WK_GC_CALLER_FRAME, taken in the builtin itself).
template<typename Allocate>
Result<GcHeader*> allocate_in_wasm(VMContext* vmctx, uptr fp, uptr pc, const GcHeldValues& held, Allocate allocate)
{
    collect_at_allocation(vmctx, fp, pc, held, false);
    auto result = allocate();
    if (result.is_error() && collect_at_allocation(vmctx, fp, pc, held, true))
        result = allocate();
    return result;
}

// NOTE: operands of struct.new / array.new_fixed sit in the caller's operand stack
// slots, which lie at descending addresses: the last operand at `last`, operand k of n
// at last[n - 1 - k].
GcFieldSource operands_below(const VMVal* last, u32 count)
{
    GcFieldSource values;
    if (last && count)
        values.base = last + (count - 1);
    values.stride = -1;
    return values;
}

// struct.new and struct.new_desc: `last` null for the default values; (fp, pc) the
// builtin's caller.
GcAllocation struct_new(VMContext* vmctx, u32 type_index, const VMVal* last, u32 field_count, uptr descriptor, uptr fp,
                        uptr pc)
{
    Instance& instance = Instance::from_vmctx(vmctx);
    u32 type_id = instance.type_id(type_index);
    GcFieldSource values = operands_below(last, field_count);
    GcHeldValues held { values, last ? field_count : 0, instance.store().types().fields(type_id) };
    held.descriptor = descriptor;
    return allocation(allocate_in_wasm(vmctx, fp, pc, held,
                                       [&] { return gc_new_struct(instance.store(), type_id, values, descriptor); }));
}

// array.new_data and array.new_elem: an array of `length` elements (zero until the
// copy), then `bytes` bytes from `source` into its elements.
GcAllocation array_new_copied(VMContext* vmctx, u32 type_id, u64 length, const void* source, u64 bytes, uptr fp, uptr pc)
{
    Store& store = Instance::from_vmctx(vmctx).store();
    auto result = allocate_in_wasm(vmctx, fp, pc, {}, [&] { return gc_new_array(store, type_id, length, nullptr); });
    if (result.is_error())
        return allocation(std::move(result));
    GcHeader* array = result.value();
    if (bytes)
        __builtin_memcpy(object_bytes(array) + kGcHeaderBytes, source, bytes);
    return { reinterpret_cast<uptr>(array), 0 };
}

} // namespace

// NOTE: every allocating builtin first offers a collection (gc_roots.h) with the
// references it holds, before it reads them; each takes its caller's frame itself.
GcAllocation gc_struct_new(VMContext* vmctx, u32 type_index, const VMVal* last, u32 field_count)
{
    uptr frame[] = { WK_GC_CALLER_FRAME() };
    return struct_new(vmctx, type_index, last, field_count, 0, frame[0], frame[1]);
}

GcAllocation gc_struct_new_desc(VMContext* vmctx, u32 type_index, const VMVal* last, u32 field_count, uptr descriptor)
{
    if (!descriptor)
        return trapped(TrapKind::NullDescriptorReference);
    uptr frame[] = { WK_GC_CALLER_FRAME() };
    return struct_new(vmctx, type_index, last, field_count, descriptor, frame[0], frame[1]);
}

GcAllocation gc_array_new(VMContext* vmctx, u32 type_index, const VMVal* init, u64 length)
{
    Instance& instance = Instance::from_vmctx(vmctx);
    u32 type_id = instance.type_id(type_index);
    GcHeldValues held { { init, 1 }, init ? 1u : 0u, {}, element_type(instance.store().types(), type_id) };
    uptr frame[] = { WK_GC_CALLER_FRAME() };
    return allocation(allocate_in_wasm(vmctx, frame[0], frame[1], held,
                                       [&] { return gc_new_array(instance.store(), type_id, length, init); }));
}

GcAllocation gc_array_new_fixed(VMContext* vmctx, u32 type_index, const VMVal* last, u32 count)
{
    Instance& instance = Instance::from_vmctx(vmctx);
    u32 type_id = instance.type_id(type_index);
    GcFieldSource values = operands_below(last, count);
    GcHeldValues held { values, count, {}, element_type(instance.store().types(), type_id) };
    uptr frame[] = { WK_GC_CALLER_FRAME() };
    return allocation(allocate_in_wasm(vmctx, frame[0], frame[1], held,
                                       [&] { return gc_new_array_fixed(instance.store(), type_id, count, values); }));
}

GcAllocation gc_array_new_data(VMContext* vmctx, u32 type_index, u32 data, u64 offset, u64 length)
{
    Instance& instance = Instance::from_vmctx(vmctx);
    u32 type_id = instance.type_id(type_index);
    ReadonlyBytes bytes = instance.data_segment(data);
    u64 byte_length = length * storage_size(element_type(instance.store().types(), type_id)); // length < 2^32: no overflow
    u64 mask = range_mask(offset, byte_length, bytes.size());
    if (!mask)
        return trapped(TrapKind::MemoryOutOfBounds);
    uptr frame[] = { WK_GC_CALLER_FRAME() };
    return array_new_copied(vmctx, type_id, length, bytes.data() + (offset & mask), byte_length & mask, frame[0], frame[1]);
}

GcAllocation gc_array_new_elem(VMContext* vmctx, u32 type_index, u32 elem, u64 offset, u64 length)
{
    Instance& instance = Instance::from_vmctx(vmctx);
    Span<void* const> items = instance.element_segment(elem);
    u64 mask = range_mask(offset, length, items.size());
    if (!mask)
        return trapped(TrapKind::TableOutOfBounds);
    uptr frame[] = { WK_GC_CALLER_FRAME() };
    return array_new_copied(vmctx, instance.type_id(type_index), length, items.data() + (offset & mask),
                            (length & mask) * sizeof(void*), frame[0], frame[1]);
}

u32 gc_array_fill(VMContext* vmctx, uptr ref, u64 offset, const VMVal* value, u64 length)
{
    if (!ref)
        return trap(TrapKind::NullArrayReference);
    auto* array = reinterpret_cast<GcHeader*>(ref);
    u64 mask = range_mask(offset, length, array->length);
    if (!mask)
        return trap(TrapKind::ArrayOutOfBounds);
    ValType element = element_type(Instance::from_vmctx(vmctx).store().types(), array->type_id);
    for (u64 i = 0; i < (length & mask); ++i)
        gc_store(element_address(array, element, (offset & mask) + i), element, *value);
    return 0;
}

u32 gc_array_copy(VMContext* vmctx, uptr destination, u64 destination_offset, uptr source, u64 source_offset, u64 length)
{
    if (!destination || !source)
        return trap(TrapKind::NullArrayReference);
    auto* to = reinterpret_cast<GcHeader*>(destination);
    auto* from = reinterpret_cast<GcHeader*>(source);
    u64 mask = range_mask(destination_offset, length, to->length) & range_mask(source_offset, length, from->length);
    if (!mask)
        return trap(TrapKind::ArrayOutOfBounds);
    ValType element = element_type(Instance::from_vmctx(vmctx).store().types(), to->type_id);
    u64 size = storage_size(element);
    if (length)
        __builtin_memmove(element_address(to, element, destination_offset & mask),
                          element_address(from, element, source_offset & mask), (length & mask) * size);
    return 0;
}

u32 gc_array_init_data(VMContext* vmctx, uptr ref, u32 data, u64 destination, u64 source, u64 length)
{
    if (!ref)
        return trap(TrapKind::NullArrayReference);
    auto* array = reinterpret_cast<GcHeader*>(ref);
    Instance& instance = Instance::from_vmctx(vmctx);
    ValType element = element_type(instance.store().types(), array->type_id);
    u64 array_mask = range_mask(destination, length, array->length);
    if (!array_mask)
        return trap(TrapKind::ArrayOutOfBounds);
    ReadonlyBytes bytes = instance.data_segment(data);
    u64 byte_length = length * storage_size(element);
    u64 data_mask = range_mask(source, byte_length, bytes.size());
    if (!data_mask)
        return trap(TrapKind::MemoryOutOfBounds);
    u64 mask = array_mask & data_mask;
    if (byte_length)
        __builtin_memcpy(element_address(array, element, destination & mask), bytes.data() + (source & mask), byte_length & mask);
    return 0;
}

u32 gc_array_init_elem(VMContext* vmctx, uptr ref, u32 elem, u64 destination, u64 source, u64 length)
{
    if (!ref)
        return trap(TrapKind::NullArrayReference);
    auto* array = reinterpret_cast<GcHeader*>(ref);
    u64 array_mask = range_mask(destination, length, array->length);
    if (!array_mask)
        return trap(TrapKind::ArrayOutOfBounds);
    Span<void* const> items = Instance::from_vmctx(vmctx).element_segment(elem);
    u64 items_mask = range_mask(source, length, items.size());
    if (!items_mask)
        return trap(TrapKind::TableOutOfBounds);
    u64 mask = array_mask & items_mask;
    if (length)
        __builtin_memcpy(object_bytes(array) + kGcHeaderBytes + (destination & mask) * sizeof(void*),
                         items.data() + (source & mask), (length & mask) * sizeof(void*));
    return 0;
}

u32 gc_ref_test_desc(VMContext* vmctx, uptr ref, uptr descriptor, u32 nullable)
{
    if (!descriptor)
        return kGcDescriptorNull;
    if (!ref)
        return nullable ? 1 : 0;
    if (!GcHeap::is_object(ref))
        return 0; // i31 or a host value: no descriptor
    const TypeRegistry& types = Instance::from_vmctx(vmctx).store().types();
    const auto* object = reinterpret_cast<const GcHeader*>(ref);
    if (types.type(object->type_id).kind != CompositeKind::Struct)
        return 0;
    uptr actual;
    __builtin_memcpy(&actual, reinterpret_cast<const u8*>(object) + kGcStructDescriptorOffset, sizeof(actual));
    return actual == descriptor ? 1 : 0;
}

u32 gc_ref_test(VMContext* vmctx, uptr ref, u64 target)
{
    auto heap = static_cast<HeapKind>(target & 0xFF);
    bool nullable = (target >> 8) & 1;
    bool exact = (target >> 9) & 1;
    if (!ref)
        return nullable ? 1 : 0;
    bool i31 = is_i31_ref(ref);
    switch (heap) {
    case HeapKind::Any:
    case HeapKind::Extern:
    case HeapKind::Func:
    case HeapKind::Exn: return 1;
    case HeapKind::None:
    case HeapKind::NoExtern:
    case HeapKind::NoFunc:
    case HeapKind::NoExn: return 0;
    case HeapKind::I31: return i31 ? 1 : 0;
    case HeapKind::Eq: return (i31 || GcHeap::is_object(ref)) ? 1 : 0;
    default: break;
    }
    if (i31 || (heap != HeapKind::Index && !GcHeap::is_object(ref)))
        return 0;
    Instance& instance = Instance::from_vmctx(vmctx);
    const TypeRegistry& types = instance.store().types();
    if (heap == HeapKind::Struct || heap == HeapKind::Array) {
        CompositeKind kind = types.type(reinterpret_cast<const GcHeader*>(ref)->type_id).kind;
        return (kind == (heap == HeapKind::Struct ? CompositeKind::Struct : CompositeKind::Array)) ? 1 : 0;
    }
    if (heap != HeapKind::Index)
        return 0;
    u32 expected = instance.type_id(static_cast<u32>(target >> 32));
    u32 actual;
    if (types.type(expected).kind == CompositeKind::Func) {
        actual = reinterpret_cast<const VMFuncRef*>(ref)->type_id;
    } else {
        if (!GcHeap::is_object(ref))
            return 0;
        actual = reinterpret_cast<const GcHeader*>(ref)->type_id;
    }
    if (exact)
        return actual == expected ? 1 : 0;
    return types.is_type_subtype(actual, expected) ? 1 : 0;
}

} // namespace builtins

} // namespace wk::engine::runtime
