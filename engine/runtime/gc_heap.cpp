#include "engine/runtime/gc_heap.h"

#include "base/allocator.h"
#include "engine/runtime/global.h"

namespace wk::engine::runtime {

GcHeap::~GcHeap()
{
    for (GcHeader* object : m_objects)
        release(object);
}

void GcHeap::release(GcHeader* object)
{
    u64 bytes = gc_object_units(*object) * 16;
    m_bytes -= bytes + kObjectOverhead;
    if (m_budget)
        m_budget->refund(bytes + kObjectOverhead);
    default_allocator().deallocate(object, bytes, 16);
}

Result<GcHeader*> GcHeap::allocate_bytes(u64 bytes)
{
    // NOTE: the limit is below 64 GiB (Store::create), so size_units fits a u32.
    u64 charged = bytes + kObjectOverhead;
    if (charged > m_limit || m_bytes > m_limit - charged)
        return Error::out_of_memory();
    if (m_budget && !m_budget->try_charge(charged))
        return Error::out_of_memory();
    void* memory = default_allocator().allocate(static_cast<usize>(bytes), 16);
    if (!memory || m_objects.try_append(static_cast<GcHeader*>(memory)).is_error()) {
        if (memory)
            default_allocator().deallocate(memory, static_cast<usize>(bytes), 16);
        if (m_budget)
            m_budget->refund(charged);
        return Error::out_of_memory();
    }
    __builtin_memset(memory, 0, static_cast<usize>(bytes));
    m_bytes += charged;
    m_peak = m_bytes > m_peak ? m_bytes : m_peak;
    m_allocated_since_collection += charged;
    return static_cast<GcHeader*>(memory);
}

Result<GcHeader*> GcHeap::allocate(u32 type_id, u64 bytes, u32 length)
{
    GcHeader* object = TRY(allocate_bytes(bytes));
    object->type_id = type_id;
    object->length = length;
    object->size_units = static_cast<u32>(bytes / 16);
    return object;
}

Result<VMException*> GcHeap::allocate_exception(const void* tag, u64 count)
{
    u64 units = 1 + count;
    if (units >= kGcMaxStructUnits)
        return Error::out_of_memory();
    GcHeader* object = TRY(allocate_bytes(16 * units));
    auto* exception = reinterpret_cast<VMException*>(object);
    exception->type_id = kGcExceptionTypeId;
    exception->flags = kGcExceptionFlag | static_cast<u32>(units) << kGcStructUnitsShift;
    exception->tag = tag;
    return exception;
}

bool GcHeap::holds_objects(ValType type) const
{
    if (!type.is_ref())
        return false;
    HeapKind top = m_types.top_heap(type);
    return top == HeapKind::Any || top == HeapKind::Extern || top == HeapKind::Exn;
}

void GcHeap::begin_mark()
{
    m_worklist.clear();
    m_mark_overflow = false;
}

void GcHeap::mark_object(uptr ref)
{
    if (!is_object(ref))
        return;
    auto* object = reinterpret_cast<GcHeader*>(ref);
    if (object->flags & kGcMarkBit)
        return;
    object->flags |= kGcMarkBit;
    // NOTE: without room for the worklist the collection still ends correctly: finish()
    // then frees nothing.
    if (m_worklist.try_append(object).is_error())
        m_mark_overflow = true;
}

void GcHeap::mark(ValType type, uptr ref)
{
    if (holds_objects(type))
        mark_object(ref);
}

// An exception's payload, by its tag's parameter types.
void GcHeap::trace_exception(GcHeader* object)
{
    auto* exception = reinterpret_cast<VMException*>(object);
    Span<const ValType> params = m_types.params(static_cast<const Tag*>(exception->tag)->type_id());
    for (u32 i = 0; i < exception->count() && i < params.size(); ++i)
        mark(params[i], exception->values()[i].u64_value());
}

void GcHeap::trace(GcHeader* object)
{
    if (object->type_id == kGcExceptionTypeId)
        return trace_exception(object);
    const StoreType& type = m_types.type(object->type_id);
    Span<const FieldType> fields = m_types.fields(object->type_id);
    auto* base = reinterpret_cast<u8*>(object);
    if (type.kind == CompositeKind::Struct) {
        uptr descriptor;
        __builtin_memcpy(&descriptor, base + kGcStructDescriptorOffset, sizeof(descriptor));
        mark_object(descriptor);
        u32 offset = kGcHeaderBytes;
        for (const FieldType& field : fields) {
            u32 size = storage_size(field.type);
            offset = align_up_u32(offset, size);
            if (holds_objects(field.type)) {
                uptr ref;
                __builtin_memcpy(&ref, base + offset, sizeof(ref));
                mark_object(ref);
            }
            offset += size;
        }
        return;
    }
    if (type.kind == CompositeKind::Array && holds_objects(fields[0].type)) {
        for (u32 i = 0; i < object->length; ++i) {
            uptr ref;
            __builtin_memcpy(&ref, base + kGcHeaderBytes + 8 * u64 { i }, sizeof(ref));
            mark_object(ref);
        }
    }
}

void GcHeap::finish()
{
    while (!m_worklist.is_empty())
        trace(m_worklist.pop_back());
    usize kept = 0;
    for (usize i = 0; i < m_objects.size(); ++i) {
        GcHeader* object = m_objects[i];
        if (m_mark_overflow || (object->flags & kGcMarkBit)) {
            object->flags &= ~kGcMarkBit;
            m_objects[kept++] = object;
        } else {
            release(object);
        }
    }
    MUST(m_objects.try_resize(kept)); // shrinking never allocates
    m_worklist.clear();
    ++m_collections;
    m_allocated_since_collection = 0;
    m_next_threshold = m_bytes > kMinCollectBytes ? m_bytes : kMinCollectBytes;
}

} // namespace wk::engine::runtime
