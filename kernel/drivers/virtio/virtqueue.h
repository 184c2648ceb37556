#pragma once

#include <optional>
#include <span>

#include "base/result.h"
#include "base/types.h"

// A virtio 1.x split virtqueue, driver side (virtio 1.2, section 2.7): the descriptor table,
// the available ring the driver fills and the used ring the device fills, in memory both see.
// The device is not trusted: descriptor chains are tracked in shadow arrays the device cannot
// reach, and every used-ring entry is checked against them.
namespace wk::kernel::drivers::virtio {

inline constexpr u16 kMaxQueueSize = 256;

enum DescriptorFlags : u16 {
    kDescriptorNext = 1,
    kDescriptorDeviceWrites = 2,
};

struct [[gnu::packed]] Descriptor {
    u64 address;
    u32 length;
    u16 flags;
    u16 next;
};
static_assert(sizeof(Descriptor) == 16);

// Where the three parts of a queue of `size` entries lie in one zeroed block: the table at 0
// (16-byte aligned), the available ring after it (2-byte), the used ring 4-byte aligned.
struct SplitRingLayout {
    u16 size { 0 };
    usize available_offset { 0 };
    usize used_offset { 0 };
    usize total_bytes { 0 };

    // Refuses sizes that are 0, above kMaxQueueSize or not a power of two.
    static std::optional<SplitRingLayout> for_size(u16 size);
};

// How many chains are published but not yet used, with both indices free-running u16s.
constexpr u16 ring_distance(u16 from, u16 to) { return static_cast<u16>(to - from); }

struct Segment {
    u64 device_address;
    u32 length;
    bool device_writes;
};

struct Completion {
    u16 head;
    u32 written; // what the device says it wrote (not trusted beyond the chain's own sizes)
};

class SplitVirtqueue {
public:
    // `memory` is zeroed and `layout.total_bytes` long; `device_address` is its bus address.
    void initialize(const SplitRingLayout& layout, u8* memory, u64 device_address);

    u16 size() const { return m_layout.size; }
    u16 free_descriptors() const { return m_free_count; }
    u16 chains_in_flight() const { return m_in_flight; }
    u64 descriptor_table_address() const { return m_device_address; }
    u64 available_ring_address() const { return m_device_address + m_layout.available_offset; }
    u64 used_ring_address() const { return m_device_address + m_layout.used_offset; }

    // Writes a chain into the table and the available ring (not yet visible to the device).
    // OutOfMemory when too few descriptors are free; Invalid for an empty chain.
    [[nodiscard]] Result<u16> add_chain(std::span<const Segment> segments);
    // Makes every chain added so far visible (a release store of the available index).
    void publish();
    // The next completed chain, its descriptors freed; nothing when the device has not used
    // one. Malformed for a used entry naming no chain in flight, or more completions than
    // chains in flight (the queue must then be abandoned: the device is broken or hostile).
    [[nodiscard]] Result<std::optional<Completion>> take_used();

private:
    Descriptor* descriptors() const { return reinterpret_cast<Descriptor*>(m_memory); }
    volatile u16* available() const { return reinterpret_cast<volatile u16*>(m_memory + m_layout.available_offset); }
    volatile u32* used() const { return reinterpret_cast<volatile u32*>(m_memory + m_layout.used_offset); }

    SplitRingLayout m_layout;
    u8* m_memory { nullptr };
    u64 m_device_address { 0 };
    u16 m_free_head { 0 };
    u16 m_free_count { 0 };
    u16 m_available_index { 0 }; // next available-ring slot (free running)
    u16 m_last_used { 0 };       // next used-ring entry to read (free running)
    u16 m_in_flight { 0 };
    // Shadows of what the device could overwrite: the free list and, per head, its chain length
    // (0 = not a head in flight).
    u16 m_next[kMaxQueueSize] {};
    u16 m_chain_length[kMaxQueueSize] {};
};

} // namespace wk::kernel::drivers::virtio
