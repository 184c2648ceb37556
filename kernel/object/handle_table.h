#pragma once

#include "base/errno.h"
#include "base/ref_ptr.h"
#include "base/span.h"
#include "base/types.h"
#include "kernel/object/kernel_object.h"

// One process's handles (docs/kernel-objects.md). A handle value is a u32 naming a slot of the
// table and that slot's generation, XORed with a salt the table draws at creation, so values
// differ between processes and runs, and a slot's value changes every time it is reused
// (reuse is first-in first-out among the slots made so far, so a closed value comes back only
// after its slot has been through 2^21 generations). Values are below 2^31 and never 0. Slots
// come in chunks of 256 (4 KiB: whole pages of the heap, given back when freed, so tables
// leave no partly used slabs behind), made as the table grows and freed with it.
//
// Contract: a table is used by its own process's thread only (the calls of the process, and
// its teardown), or by spawn before the new process's thread exists; it takes no lock.
// Objects are referenced, not owned: closing a handle drops one reference.
namespace wk::kernel::object {

struct HandleInfo {
    u32 value { 0 };
    ObjectType type { ObjectType::None };
    u32 rights { 0 };
};

// What a lookup found: a new reference to the object and the handle's rights.
template<typename T>
struct Handle {
    RefPtr<T> object;
    u32 rights { 0 };
};

class HandleTable {
public:
    static constexpr u32 kCapacity = 1024;
    static constexpr u32 kChunkSlots = 256;
    static constexpr u32 kIndexBits = 10;
    static constexpr u32 kGenerationBits = 21;

    // `salt` comes from the kernel's random generator; only its low 31 bits are used.
    explicit HandleTable(u32 salt);
    ~HandleTable();
    HandleTable(const HandleTable&) = delete;
    HandleTable& operator=(const HandleTable&) = delete;

    // A new handle to `object` with `rights` (masked to rights::kAll). MFile when the table is
    // full, NoMem when a new chunk of slots cannot be made.
    ErrnoResult<u32> add(RefPtr<KernelObject> object, u32 rights);

    // The object behind `value` when it is of type `type` (None: any) and the handle has every
    // right of `required`. Errors, in this order: BadF (not a live handle of this table:
    // forged, stale or closed), Inval (another type), NotCapable (a right is missing).
    ErrnoResult<Handle<KernelObject>> get(u32 value, ObjectType type, u32 required) const;
    template<typename T>
    ErrnoResult<Handle<T>> get_as(u32 value, ObjectType type, u32 required) const
    {
        auto found = get(value, type, required);
        if (!found)
            return found.error();
        return Handle<T> { RefPtr<T>(static_cast<T*>(found->object.get())), found->rights };
    }

    // Closes the handle (drops its reference). BadF when it is not live.
    Errno close(u32 value);

    // Removes the handle and gives its reference to the caller (channel transfer): checks as
    // get(value, None, required). The value is dead afterwards.
    ErrnoResult<Handle<KernelObject>> take(u32 value, u32 required);

    // A second handle to the same object with `rights` & the handle's own rights; needs
    // rights::kDuplicate.
    ErrnoResult<u32> duplicate(u32 value, u32 rights);

    // Closes every handle (the process died).
    void close_all();

    u32 count() const { return m_count; }
    // How many handles were ever closed or taken (wraps). NOTE: the one part of the table read
    // without the owner's serialisation: wait_many reads it with interrupts off while it waits
    // without the process's call lock, to learn that a handle may be gone (one aligned word).
    u32 removals() const { return m_removals; }
    // Copies up to out.size() records of live handles (in slot order); returns how many are live.
    u32 list(Span<HandleInfo> out) const;

private:
    struct Slot {
        KernelObject* object { nullptr };
        u32 rights { 0 };
        u32 generation { 0 };
        u32 next_free { 0 };
    };

    u32 encode(u32 index) const;
    Slot* decode(u32 value);
    const Slot* decode(u32 value) const;
    Slot& slot(u32 index) const { return m_chunks[index / kChunkSlots][index % kChunkSlots]; }
    // The slot index of a value decode() accepted.
    u32 index_of(u32 value) const { return (value ^ m_salt) & (kCapacity - 1); }
    void release_slot(u32 index);
    // Appends `index` to the free list (first in, first out).
    void push_free(u32 index);

    Slot* m_chunks[kCapacity / kChunkSlots] {};
    u32 m_chunk_count { 0 };
    u32 m_salt { 0 };
    u32 m_count { 0 };
    u32 m_removals { 0 };
    u32 m_free_head { kCapacity }; // kCapacity: none free
    u32 m_free_tail { kCapacity };
};

} // namespace wk::kernel::object
