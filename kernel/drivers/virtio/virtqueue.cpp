#include "kernel/drivers/virtio/virtqueue.h"

namespace wk::kernel::drivers::virtio {

namespace {

usize align_up(usize value, usize alignment) { return (value + alignment - 1) & ~(alignment - 1); }

// NOTE: x86 keeps stores in order and loads in order, so compiler fences suffice between ring
// writes; the fence before a notification (an uncached MMIO store) is the transport's.
inline void compiler_fence() { __atomic_signal_fence(__ATOMIC_SEQ_CST); }

} // namespace

std::optional<SplitRingLayout> SplitRingLayout::for_size(u16 size)
{
    if (size == 0 || size > kMaxQueueSize || (size & (size - 1)) != 0)
        return std::nullopt;
    SplitRingLayout layout;
    layout.size = size;
    layout.available_offset = sizeof(Descriptor) * size;
    // flags, idx, ring[size], used_event
    usize available_bytes = 2 + 2 + 2 * usize(size) + 2;
    layout.used_offset = align_up(layout.available_offset + available_bytes, 4);
    // flags, idx, ring[size] of (id, len), avail_event
    usize used_bytes = 2 + 2 + 8 * usize(size) + 2;
    layout.total_bytes = layout.used_offset + used_bytes;
    return layout;
}

void SplitVirtqueue::initialize(const SplitRingLayout& layout, u8* memory, u64 device_address)
{
    m_layout = layout;
    m_memory = memory;
    m_device_address = device_address;
    for (u16 i = 0; i < layout.size; ++i) {
        m_next[i] = static_cast<u16>(i + 1);
        m_chain_length[i] = 0;
    }
    m_free_head = 0;
    m_free_count = layout.size;
    m_available_index = 0;
    m_last_used = 0;
    m_in_flight = 0;
}

Result<u16> SplitVirtqueue::add_chain(std::span<const Segment> segments)
{
    if (segments.empty())
        return Error::from("empty descriptor chain", ErrorKind::Invalid);
    if (segments.size() > m_free_count)
        return Error::from("virtqueue full", ErrorKind::OutOfMemory);
    u16 head = m_free_head;
    u16 index = head;
    for (usize i = 0; i < segments.size(); ++i) {
        Descriptor& descriptor = descriptors()[index];
        descriptor.address = segments[i].device_address;
        descriptor.length = segments[i].length;
        u16 flags = segments[i].device_writes ? kDescriptorDeviceWrites : 0;
        u16 next = m_next[index];
        if (i + 1 < segments.size())
            flags |= kDescriptorNext;
        descriptor.flags = flags;
        descriptor.next = i + 1 < segments.size() ? next : 0;
        if (i + 1 < segments.size())
            index = next;
        else
            m_free_head = next;
    }
    m_free_count = static_cast<u16>(m_free_count - segments.size());
    m_chain_length[head] = static_cast<u16>(segments.size());
    ++m_in_flight;
    // available ring: flags at [0], idx at [1], ring from [2]
    available()[2 + (m_available_index & (m_layout.size - 1))] = head;
    ++m_available_index;
    return head;
}

void SplitVirtqueue::publish()
{
    compiler_fence();
    available()[1] = m_available_index;
    compiler_fence();
}

Result<std::optional<Completion>> SplitVirtqueue::take_used()
{
    auto* used_u16 = reinterpret_cast<volatile u16*>(used());
    u16 device_index = used_u16[1];
    compiler_fence();
    u16 ready = ring_distance(m_last_used, device_index);
    if (ready == 0)
        return std::optional<Completion> {};
    if (ready > m_in_flight)
        return Error::malformed("device used more chains than were in flight");
    // used ring entries start at byte 4, 8 bytes each: id (u32), len (u32)
    usize slot = m_last_used & (m_layout.size - 1);
    u32 id = used()[1 + 2 * slot];
    u32 written = used()[2 + 2 * slot];
    if (id >= m_layout.size || m_chain_length[id] == 0)
        return Error::malformed("device used a descriptor chain that is not in flight");
    ++m_last_used;
    u16 head = static_cast<u16>(id);
    u16 length = m_chain_length[head];
    // Walk the shadow free list links, not the table the device can write.
    u16 last = head;
    for (u16 i = 1; i < length; ++i)
        last = m_next[last];
    m_next[last] = m_free_head;
    m_free_head = head;
    m_free_count = static_cast<u16>(m_free_count + length);
    m_chain_length[head] = 0;
    --m_in_flight;
    return std::optional<Completion> { Completion { head, written } };
}

} // namespace wk::kernel::drivers::virtio
