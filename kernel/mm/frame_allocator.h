#pragma once

#include "base/result.h"
#include "base/span.h"
#include "base/types.h"

namespace wk::kernel::mm {

using PhysAddr = u64;

inline constexpr u64 kFrameSize = 4096;
inline constexpr u64 kFrameShift = 12;
// Physical addresses at or above this are ignored (x86-64 allows 52 bits, riscv64 56).
inline constexpr u64 kMaxPhysAddr = u64 { 1 } << 56;

// A range of physical memory as a boot memory map reports it. Nothing about it is
// trusted: it may be unaligned, empty, overlapping others, or run past 2^64.
struct MemoryRange {
    u64 base;
    u64 length;
};

// Hands out 4 KiB physical frames. It needs no heap: the kernel default-constructs it
// as a global and calls initialize() once, which keeps one bitmap of frames in use, one
// bitmap of frames that may ever be handed out, and a summary of full words, all inside
// the first usable range that can hold them (those frames are then never handed out).
//
// A frame may be handed out when it lies entirely inside a usable range, touches no
// reserved range, is not frame 0, and does not hold the allocator's own bitmaps.
// Usable ranges are believed: memory they claim must exist, reachable through
// phys_to_virt. Every failing call leaves the allocator unchanged.
//
// Not thread-safe: the kernel keeps its one instance behind a lock (kernel/mm/memory.h).
class FrameAllocator {
public:
    using PhysToVirt = void* (*)(PhysAddr);

    FrameAllocator() = default;
    FrameAllocator(const FrameAllocator&) = delete;
    FrameAllocator& operator=(const FrameAllocator&) = delete;

    // Errors: Invalid when already initialised or phys_to_virt is null; OutOfMemory when
    // there is no usable memory or no usable range (minus reserved ones) can hold the
    // bitmaps; OutOfRange when phys_to_virt returns null for the bitmap's place.
    // `held`: ranges in use at start (boot modules) that may be freed later: every
    // available frame they touch starts out allocated, and the bitmaps avoid them.
    [[nodiscard]] Result<void> initialize(Span<const MemoryRange> usable,
                                          Span<const MemoryRange> reserved,
                                          PhysToVirt phys_to_virt,
                                          Span<const MemoryRange> held = {});

    [[nodiscard]] Result<PhysAddr> allocate();
    // count frames in a row, the first one's frame number a multiple of align_frames
    // (a power of two). Invalid for count 0 or a bad alignment.
    [[nodiscard]] Result<PhysAddr> allocate_contiguous(usize count, usize align_frames);

    // OutOfRange: unaligned, outside managed memory, or never available (reserved, a
    // gap, frame 0, the bitmaps). DoubleFree: the frame is free already.
    [[nodiscard]] Result<void> free(PhysAddr address);
    // Checks every frame first; frees all of them or none.
    [[nodiscard]] Result<void> free_contiguous(PhysAddr address, usize count);

    bool is_initialized() const { return m_phys_to_virt != nullptr; }
    u64 total_frames() const { return m_total_frames; }
    u64 free_frames() const { return m_free_frames; }
    u64 used_frames() const { return m_total_frames - m_free_frames; }
    // Where the allocator keeps its bitmaps (the kernel must keep it mapped).
    MemoryRange metadata_range() const { return m_metadata; }
    // True when address is in a frame that is currently handed out.
    bool is_allocated(PhysAddr address) const;

private:
    bool in_span(u64 frame) const { return frame >= m_first_frame && frame < m_end_frame; }
    bool test(const u64* bits, u64 frame) const;
    void set_bits(u64* bits, u64 first, u64 end, bool value);
    void mark_used(u64 frame);
    void mark_free(u64 frame);
    // First frame in [first, end) that is in use, or end.
    u64 find_used(u64 first, u64 end) const;
    // First frame at or after `first` that is free, or m_end_frame (full words skipped 64
    // at a time through m_full_words).
    u64 find_free(u64 first) const;
    Result<void> check_allocated(u64 frame) const;

    u64* m_used { nullptr };       // 1 = in use or never available
    u64* m_available { nullptr };  // 1 = may be handed out
    u64* m_full_words { nullptr }; // bit i = 1 when m_used word i is all ones
    u64 m_first_frame { 0 };       // frame number of bit 0
    u64 m_end_frame { 0 };
    u64 m_word_count { 0 };
    u64 m_summary_count { 0 };
    u64 m_hint { 0 }; // summary word where the next allocate() starts looking
    u64 m_total_frames { 0 };
    u64 m_free_frames { 0 };
    MemoryRange m_metadata { 0, 0 };
    PhysToVirt m_phys_to_virt { nullptr };
};

} // namespace wk::kernel::mm
