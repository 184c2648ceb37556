#include "kernel/object/handle_table.h"

#include <utility>

namespace wk::kernel::object {

namespace {
constexpr u32 kIndexMask = HandleTable::kCapacity - 1;
constexpr u32 kGenerationMask = (1u << HandleTable::kGenerationBits) - 1;
constexpr u32 kValueMask = 0x7FFF'FFFFu;
static_assert(HandleTable::kCapacity == 1u << HandleTable::kIndexBits);
static_assert(HandleTable::kIndexBits + HandleTable::kGenerationBits == 31);

std::unexpected<Errno> fail(Errno error) { return std::unexpected<Errno>(error); }
} // namespace

HandleTable::HandleTable(u32 salt)
    : m_salt(salt & kValueMask)
{
    for (u32 i = 0; i < kCapacity; ++i)
        m_slots[i].next_free = i + 1;
    m_free_head = 0;
    m_free_tail = kCapacity - 1;
}

HandleTable::~HandleTable() { close_all(); }

u32 HandleTable::encode(u32 index) const { return ((m_slots[index].generation << kIndexBits) | index) ^ m_salt; }

const HandleTable::Slot* HandleTable::decode(u32 value) const
{
    if (value == 0 || value > kValueMask)
        return nullptr;
    u32 raw = value ^ m_salt;
    const Slot& slot = m_slots[raw & kIndexMask];
    if (!slot.object || slot.generation != raw >> kIndexBits)
        return nullptr;
    return &slot;
}

HandleTable::Slot* HandleTable::decode(u32 value) { return const_cast<Slot*>(std::as_const(*this).decode(value)); }

ErrnoResult<u32> HandleTable::add(RefPtr<KernelObject> object, u32 rights)
{
    if (!object)
        return fail(Errno::Inval);
    if (m_free_head == kCapacity)
        return fail(Errno::MFile);
    u32 index = m_free_head;
    Slot& slot = m_slots[index];
    m_free_head = slot.next_free;
    if (m_free_head == kCapacity)
        m_free_tail = kCapacity;
    // A new generation for every use of the slot; one whose value would be 0 is skipped.
    do
        slot.generation = (slot.generation + 1) & kGenerationMask;
    while (encode(index) == 0);
    slot.object = object.leak_ref();
    slot.rights = rights & rights::kAll;
    ++m_count;
    return encode(index);
}

void HandleTable::release_slot(u32 index)
{
    Slot& slot = m_slots[index];
    slot.object = nullptr;
    slot.rights = 0;
    slot.next_free = kCapacity;
    // First in, first out: the slot waits behind every other free one before it is reused.
    if (m_free_head == kCapacity) {
        m_free_head = index;
    } else {
        m_slots[m_free_tail].next_free = index;
    }
    m_free_tail = index;
    --m_count;
}

ErrnoResult<Handle<KernelObject>> HandleTable::get(u32 value, ObjectType type, u32 required) const
{
    const Slot* slot = decode(value);
    if (!slot)
        return fail(Errno::BadF);
    if (type != ObjectType::None && slot->object->type() != type)
        return fail(Errno::Inval);
    if ((slot->rights & required) != required)
        return fail(Errno::NotCapable);
    return Handle<KernelObject> { RefPtr<KernelObject>(slot->object), slot->rights };
}

Errno HandleTable::close(u32 value)
{
    Slot* slot = decode(value);
    if (!slot)
        return Errno::BadF;
    KernelObject* object = slot->object;
    release_slot(static_cast<u32>(slot - m_slots));
    // NOTE: the reference goes last, after the table is consistent: an object's destructor may
    // run arbitrary kernel code (a process object orphans its process).
    object->unref();
    return Errno::Success;
}

ErrnoResult<Handle<KernelObject>> HandleTable::take(u32 value, u32 required)
{
    Slot* slot = decode(value);
    if (!slot)
        return fail(Errno::BadF);
    if ((slot->rights & required) != required)
        return fail(Errno::NotCapable);
    Handle<KernelObject> taken { adopt_ref(*slot->object), slot->rights };
    release_slot(static_cast<u32>(slot - m_slots));
    return taken;
}

ErrnoResult<u32> HandleTable::duplicate(u32 value, u32 rights)
{
    auto found = get(value, ObjectType::None, rights::kDuplicate);
    if (!found)
        return fail(found.error());
    return add(std::move(found->object), rights & found->rights);
}

void HandleTable::close_all()
{
    for (u32 i = 0; i < kCapacity; ++i) {
        if (KernelObject* object = m_slots[i].object) {
            release_slot(i);
            object->unref();
        }
    }
}

u32 HandleTable::list(Span<HandleInfo> out) const
{
    u32 listed = 0;
    for (u32 i = 0; i < kCapacity; ++i) {
        const Slot& slot = m_slots[i];
        if (!slot.object)
            continue;
        if (listed < out.size())
            out[listed] = { encode(i), slot.object->type(), slot.rights };
        ++listed;
    }
    return listed;
}

} // namespace wk::kernel::object
