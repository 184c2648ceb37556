#include "kernel/mm/frame_allocator.h"

#include <algorithm>
#include <bit>

namespace wk::kernel::mm {

namespace {

constexpr u64 kAllOnes = ~u64 { 0 };
constexpr u64 kMaxFrame = kMaxPhysAddr >> kFrameShift;

struct FrameSpan {
    u64 first;
    u64 end;
    bool empty() const { return first >= end; }
};

u64 clamped_end(const MemoryRange& range)
{
    u64 end = range.base + range.length;
    if (end < range.base || end > kMaxPhysAddr)
        end = kMaxPhysAddr;
    return end;
}

// Only frames wholly inside the range are usable.
FrameSpan usable_frames(const MemoryRange& range)
{
    if (range.length == 0 || range.base >= kMaxPhysAddr)
        return { 0, 0 };
    u64 first = (range.base + kFrameSize - 1) >> kFrameShift;
    u64 end = clamped_end(range) >> kFrameShift;
    return { first, end };
}

// Every frame the range touches is reserved.
FrameSpan reserved_frames(const MemoryRange& range)
{
    if (range.length == 0 || range.base >= kMaxPhysAddr)
        return { 0, 0 };
    u64 first = range.base >> kFrameShift;
    u64 end = (clamped_end(range) + kFrameSize - 1) >> kFrameShift;
    return { first, std::min(end, kMaxFrame) };
}

u64 align_up(u64 value, u64 alignment)
{
    return (value + alignment - 1) & ~(alignment - 1);
}

u64 bit(u64 index)
{
    return u64 { 1 } << (index % 64);
}

} // namespace

Result<void> FrameAllocator::initialize(Span<const MemoryRange> usable,
                                        Span<const MemoryRange> reserved,
                                        PhysToVirt phys_to_virt,
                                        Span<const MemoryRange> held)
{
    if (is_initialized())
        return Error::from("frame allocator initialised twice", ErrorKind::Invalid);
    if (phys_to_virt == nullptr)
        return Error::from("frame allocator needs a phys_to_virt function", ErrorKind::Invalid);

    u64 lowest = kAllOnes;
    u64 highest = 0;
    for (auto& range : usable) {
        auto frames = usable_frames(range);
        if (frames.empty())
            continue;
        lowest = std::min(lowest, frames.first);
        highest = std::max(highest, frames.end);
    }
    if (lowest >= highest)
        return Error::from("memory map has no usable frame", ErrorKind::OutOfMemory);

    u64 word_count = (highest - lowest + 63) / 64;
    u64 summary_count = (word_count + 63) / 64;
    u64 metadata_bytes = (2 * word_count + summary_count) * sizeof(u64);
    u64 metadata_frames = (metadata_bytes + kFrameSize - 1) >> kFrameShift;

    // First place in a usable range, past frame 0, that no reserved range touches. Each
    // restart moves past one reserved range, so this ends.
    u64 placement = 0;
    bool placed = false;
    for (auto& range : usable) {
        auto frames = usable_frames(range);
        u64 candidate = std::max<u64>(frames.first, 1);
        while (candidate < frames.end && frames.end - candidate >= metadata_frames) {
            bool conflict = false;
            for (auto list : { reserved, held }) {
                for (auto& reserved_range : list) {
                    auto taken = reserved_frames(reserved_range);
                    if (!taken.empty() && taken.first < candidate + metadata_frames && candidate < taken.end) {
                        candidate = taken.end;
                        conflict = true;
                        break;
                    }
                }
                if (conflict)
                    break;
            }
            if (!conflict) {
                placement = candidate;
                placed = true;
                break;
            }
        }
        if (placed)
            break;
    }
    if (!placed)
        return Error::from("no usable range can hold the frame bitmap", ErrorKind::OutOfMemory);

    void* metadata = phys_to_virt(placement << kFrameShift);
    if (metadata == nullptr)
        return Error::from("frame bitmap location is not mapped", ErrorKind::OutOfRange, placement << kFrameShift);
    if (reinterpret_cast<uptr>(metadata) % alignof(u64) != 0)
        return Error::from("phys_to_virt returned a misaligned address", ErrorKind::Invalid, placement << kFrameShift);

    m_used = static_cast<u64*>(metadata);
    m_available = m_used + word_count;
    m_full_words = m_available + word_count;
    m_first_frame = lowest;
    m_end_frame = highest;
    m_word_count = word_count;
    m_summary_count = summary_count;
    m_hint = 0;
    m_metadata = { placement << kFrameShift, metadata_frames << kFrameShift };

    for (u64 i = 0; i < word_count; ++i)
        m_available[i] = 0;
    for (auto& range : usable) {
        auto frames = usable_frames(range);
        if (!frames.empty())
            set_bits(m_available, frames.first, frames.end, true);
    }
    for (auto& range : reserved) {
        auto taken = reserved_frames(range);
        u64 first = std::max(taken.first, lowest);
        u64 end = std::min(taken.end, highest);
        if (first < end)
            set_bits(m_available, first, end, false);
    }
    if (lowest == 0)
        set_bits(m_available, 0, 1, false);
    set_bits(m_available, placement, placement + metadata_frames, false);

    u64 total = 0;
    for (u64 i = 0; i < word_count; ++i) {
        m_used[i] = ~m_available[i];
        total += static_cast<u64>(std::popcount(m_available[i]));
    }
    u64 held_frames = 0;
    for (auto& range : held) {
        auto taken = reserved_frames(range);
        for (u64 frame = std::max(taken.first, lowest); frame < std::min(taken.end, highest); ++frame) {
            if (test(m_available, frame) && !test(m_used, frame)) {
                set_bits(m_used, frame, frame + 1, true);
                ++held_frames;
            }
        }
    }
    for (u64 s = 0; s < summary_count; ++s) {
        u64 summary = 0;
        for (u64 b = 0; b < 64; ++b) {
            u64 word = s * 64 + b;
            // Words past the end count as full so that allocate() never picks them.
            if (word >= word_count || m_used[word] == kAllOnes)
                summary |= bit(b);
        }
        m_full_words[s] = summary;
    }
    m_total_frames = total;
    m_free_frames = total - held_frames;
    m_phys_to_virt = phys_to_virt;
    return {};
}

bool FrameAllocator::test(const u64* bits, u64 frame) const
{
    u64 index = frame - m_first_frame;
    return (bits[index / 64] & bit(index)) != 0;
}

void FrameAllocator::set_bits(u64* bits, u64 first, u64 end, bool value)
{
    u64 index = first - m_first_frame;
    u64 end_index = end - m_first_frame;
    while (index < end_index) {
        u64 word = index / 64;
        u64 offset = index % 64;
        u64 span = std::min<u64>(64 - offset, end_index - index);
        u64 mask = span == 64 ? kAllOnes : ((u64 { 1 } << span) - 1) << offset;
        if (value)
            bits[word] |= mask;
        else
            bits[word] &= ~mask;
        index += span;
    }
}

void FrameAllocator::mark_used(u64 frame)
{
    u64 index = frame - m_first_frame;
    u64 word = index / 64;
    m_used[word] |= bit(index);
    if (m_used[word] == kAllOnes)
        m_full_words[word / 64] |= bit(word);
    --m_free_frames;
}

void FrameAllocator::mark_free(u64 frame)
{
    u64 index = frame - m_first_frame;
    u64 word = index / 64;
    m_used[word] &= ~bit(index);
    m_full_words[word / 64] &= ~bit(word);
    ++m_free_frames;
}

u64 FrameAllocator::find_used(u64 first, u64 end) const
{
    u64 index = first - m_first_frame;
    u64 end_index = end - m_first_frame;
    while (index < end_index) {
        u64 word = index / 64;
        u64 offset = index % 64;
        u64 bits = m_used[word] >> offset;
        if (bits != 0) {
            u64 found = index + static_cast<u64>(std::countr_zero(bits));
            return found < end_index ? m_first_frame + found : end;
        }
        index += 64 - offset;
    }
    return end;
}

u64 FrameAllocator::find_free(u64 first) const
{
    u64 index = first - m_first_frame;
    u64 end_index = m_end_frame - m_first_frame;
    while (index < end_index) {
        u64 word = index / 64;
        u64 offset = index % 64;
        if (offset == 0 && word % 64 == 0 && m_full_words[word / 64] == kAllOnes) {
            index += 64 * 64; // 64 full words
            continue;
        }
        u64 free_bits = ~m_used[word] >> offset;
        if (free_bits != 0) {
            u64 found = index + static_cast<u64>(std::countr_zero(free_bits));
            return found < end_index ? m_first_frame + found : m_end_frame;
        }
        index += 64 - offset;
    }
    return m_end_frame;
}

Result<PhysAddr> FrameAllocator::allocate()
{
    if (m_free_frames == 0)
        return Error::out_of_memory();
    for (u64 n = 0; n < m_summary_count; ++n) {
        u64 s = (m_hint + n) % m_summary_count;
        if (m_full_words[s] == kAllOnes)
            continue;
        u64 word = s * 64 + static_cast<u64>(std::countr_zero(~m_full_words[s]));
        u64 index = word * 64 + static_cast<u64>(std::countr_zero(~m_used[word]));
        u64 frame = m_first_frame + index;
        mark_used(frame);
        m_hint = s;
        return frame << kFrameShift;
    }
    return Error::from("frame allocator free count disagrees with its bitmap", ErrorKind::OutOfMemory);
}

Result<PhysAddr> FrameAllocator::allocate_contiguous(usize count, usize align_frames)
{
    if (count == 0)
        return Error::from("contiguous allocation of zero frames", ErrorKind::Invalid);
    if (!std::has_single_bit(align_frames))
        return Error::from("frame alignment is not a power of two", ErrorKind::Invalid);
    if (count > m_free_frames || align_frames > kMaxFrame)
        return Error::out_of_memory();
    if (count == 1 && align_frames == 1)
        return allocate();

    u64 candidate = align_up(m_first_frame, align_frames);
    while (candidate < m_end_frame && m_end_frame - candidate >= count) {
        u64 used = find_used(candidate, candidate + count);
        if (used == candidate + count) {
            for (u64 frame = candidate; frame < candidate + count; ++frame)
                mark_used(frame);
            return candidate << kFrameShift;
        }
        // NOTE: the next candidate starts at a free frame: stepping one frame past each used
        // one walked a full region frame by frame (tens of ms for 16 GiB used, with the
        // heap's and the frames' locks held and interrupts off).
        candidate = align_up(find_free(used + 1), align_frames);
    }
    return Error::out_of_memory();
}

Result<void> FrameAllocator::check_allocated(u64 frame) const
{
    if (!in_span(frame) || !test(m_available, frame))
        return Error::from("freed frame is not managed by the frame allocator", ErrorKind::OutOfRange,
                           frame << kFrameShift);
    if (!test(m_used, frame))
        return Error::from("frame freed twice", ErrorKind::DoubleFree, frame << kFrameShift);
    return {};
}

Result<void> FrameAllocator::free(PhysAddr address)
{
    return free_contiguous(address, 1);
}

Result<void> FrameAllocator::free_contiguous(PhysAddr address, usize count)
{
    if (count == 0)
        return Error::from("contiguous free of zero frames", ErrorKind::Invalid, address);
    if (address % kFrameSize != 0)
        return Error::from("freed frame address is not frame-aligned", ErrorKind::OutOfRange, address);
    u64 first = address >> kFrameShift;
    if (!in_span(first) || count > m_end_frame - first)
        return Error::from("freed frames are outside managed memory", ErrorKind::OutOfRange, address);
    for (u64 frame = first; frame < first + count; ++frame)
        TRY(check_allocated(frame));
    for (u64 frame = first; frame < first + count; ++frame)
        mark_free(frame);
    m_hint = ((first - m_first_frame) / 64) / 64;
    return {};
}

bool FrameAllocator::is_allocated(PhysAddr address) const
{
    u64 frame = address >> kFrameShift;
    return is_initialized() && in_span(frame) && test(m_available, frame) && test(m_used, frame);
}

} // namespace wk::kernel::mm
