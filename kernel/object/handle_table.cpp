#include "kernel/object/handle_table.h"

#include <new>
#include <utility>

namespace wk::kernel::object {

namespace {
constexpr u32 kIndexMask = HandleTable::kCapacity - 1;
constexpr u32 kGenerationMask = (1u << HandleTable::kGenerationBits) - 1;
constexpr u32 kValueMask = 0x7FFF'FFFFu;
static_assert(HandleTable::kCapacity == 1u << HandleTable::kIndexBits);
static_assert(HandleTable::kIndexBits + HandleTable::kGenerationBits == 31);

} // namespace

HandleTable::HandleTable(u32 salt)
    : m_salt(salt & kValueMask)
{
}

HandleTable::~HandleTable()
{
    close_all();
    for (u32 i = 0; i < m_chunk_count; ++i)
        delete[] m_chunks[i];
}

u32 HandleTable::encode(u32 index) const { return ((slot(index).generation << kIndexBits) | index) ^ m_salt; }

const HandleTable::Slot* HandleTable::decode(u32 value) const
{
    if (value == 0 || value > kValueMask)
        return nullptr;
    u32 raw = value ^ m_salt;
    u32 index = raw & kIndexMask;
    if (index / kChunkSlots >= m_chunk_count)
        return nullptr;
    const Slot& found = slot(index);
    if (!found.object || found.generation != raw >> kIndexBits)
        return nullptr;
    return &found;
}

HandleTable::Slot* HandleTable::decode(u32 value) { return const_cast<Slot*>(std::as_const(*this).decode(value)); }

ErrnoResult<u32> HandleTable::add(RefPtr<KernelObject> object, u32 rights)
{
    if (!object)
        return Errno::Inval;
    if (m_free_head == kCapacity) {
        if (m_chunk_count == kCapacity / kChunkSlots)
            return Errno::MFile;
        Slot* chunk = new (std::nothrow) Slot[kChunkSlots];
        if (!chunk)
            return Errno::NoMem;
        m_chunks[m_chunk_count++] = chunk;
        for (u32 i = 0; i < kChunkSlots; ++i)
            push_free((m_chunk_count - 1) * kChunkSlots + i);
    }
    u32 index = m_free_head;
    Slot& taken = slot(index);
    m_free_head = taken.next_free;
    if (m_free_head == kCapacity)
        m_free_tail = kCapacity;
    // A new generation for every use of the slot; one whose value would be 0 is skipped.
    do
        taken.generation = (taken.generation + 1) & kGenerationMask;
    while (encode(index) == 0);
    taken.object = object.leak_ref();
    taken.rights = rights & rights::kAll;
    ++m_count;
    return encode(index);
}

void HandleTable::push_free(u32 index)
{
    slot(index).next_free = kCapacity;
    // First in, first out: the slot waits behind every other free one before it is reused.
    if (m_free_head == kCapacity)
        m_free_head = index;
    else
        slot(m_free_tail).next_free = index;
    m_free_tail = index;
}

void HandleTable::release_slot(u32 index)
{
    Slot& released = slot(index);
    released.object = nullptr;
    released.rights = 0;
    push_free(index);
    --m_count;
    ++m_removals;
}

ErrnoResult<Handle<KernelObject>> HandleTable::get(u32 value, ObjectType type, u32 required) const
{
    const Slot* slot = decode(value);
    if (!slot)
        return Errno::BadF;
    if (type != ObjectType::None && slot->object->type() != type)
        return Errno::Inval;
    if ((slot->rights & required) != required)
        return Errno::NotCapable;
    return Handle<KernelObject> { RefPtr<KernelObject>(slot->object), slot->rights };
}

Errno HandleTable::close(u32 value)
{
    Slot* slot = decode(value);
    if (!slot)
        return Errno::BadF;
    KernelObject* object = slot->object;
    release_slot(index_of(value));
    // NOTE: the reference goes last, after the table is consistent: an object's destructor may
    // run arbitrary kernel code (a process object orphans its process).
    object->unref();
    return Errno::Success;
}

ErrnoResult<Handle<KernelObject>> HandleTable::take(u32 value, u32 required)
{
    Slot* slot = decode(value);
    if (!slot)
        return Errno::BadF;
    if ((slot->rights & required) != required)
        return Errno::NotCapable;
    Handle<KernelObject> taken { adopt_ref(*slot->object), slot->rights };
    release_slot(index_of(value));
    return taken;
}

ErrnoResult<u32> HandleTable::duplicate(u32 value, u32 rights)
{
    auto found = get(value, ObjectType::None, rights::kDuplicate);
    if (!found)
        return found.error();
    return add(std::move(found->object), rights & found->rights);
}

void HandleTable::close_all()
{
    for (u32 i = 0; i < m_chunk_count * kChunkSlots; ++i) {
        if (KernelObject* object = slot(i).object) {
            release_slot(i);
            object->unref();
        }
    }
}

u32 HandleTable::list(Span<HandleInfo> out) const
{
    u32 listed = 0;
    for (u32 i = 0; i < m_chunk_count * kChunkSlots; ++i) {
        const Slot& entry = slot(i);
        if (!entry.object)
            continue;
        if (listed < out.size())
            out[listed] = { encode(i), entry.object->type(), entry.rights };
        ++listed;
    }
    return listed;
}

} // namespace wk::kernel::object
