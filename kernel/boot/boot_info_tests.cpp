#include "kernel/arch/x86_64/boot_constants.h"
#include "kernel/boot/boot_info.h"
#include "kernel/debug/ktest.h"

namespace wk::kernel::boot {

namespace {

// Fake boot loader structures live in .bss, so their physical address is known.
alignas(8) u8 g_fake_info[4096];
alignas(8) u8 g_fake_list[4096];

u64 physical_of(const void* pointer) { return reinterpret_cast<u64>(pointer) - KERNEL_VMA; }

class TagWriter {
public:
    explicit TagWriter(u8* base)
        : m_base(base)
    {
        __builtin_memset(base, 0, sizeof g_fake_info);
    }
    void put32(u32 value) { __builtin_memcpy(m_base + m_at, &value, 4), m_at += 4; }
    void put64(u64 value) { __builtin_memcpy(m_base + m_at, &value, 8), m_at += 8; }
    void align() { m_at = (m_at + 7) & ~usize { 7 }; }
    void module(u32 start, u32 end)
    {
        put32(3), put32(8 + 8 + 2), put32(start), put32(end);
        m_base[m_at++] = 'm', m_base[m_at++] = 0;
        align();
    }
    void memory_map(u64 base, u64 length)
    {
        put32(6), put32(16 + 24), put32(24), put32(0);
        put64(base), put64(length), put32(1), put32(0);
    }
    void finish()
    {
        put32(0), put32(8);
        u32 total = static_cast<u32>(m_at);
        __builtin_memcpy(m_base, &total, 4);
    }
    usize m_at { 8 };

private:
    u8* m_base;
};

constexpr u64 kRamBase = 0x100000;
constexpr u64 kRamLength = 0x10000000;

} // namespace

KERNEL_TEST(boot_multiboot2_modules_are_validated)
{
    TagWriter tags(g_fake_info);
    tags.module(0x200000, 0x280000);       // before the memory map tag: still checked against it
    tags.memory_map(kRamBase, kRamLength);
    tags.module(0x300000, 0x300000);       // empty
    tags.module(0x400000, 0x300000);       // end before start
    tags.module(0x0FFFF000, 0x10200000);   // runs past the usable range
    tags.module(0xFEE00000, 0xFEE01000);   // MMIO, not RAM
    tags.module(0x500000, 0x500123);       // fine, unaligned end
    tags.finish();
    auto info = parse_boot_info(BOOT_PROTOCOL_MULTIBOOT2, physical_of(g_fake_info));
    KEXPECT_EQ(info.usable_count, 1u);
    KEXPECT_EQ(info.module_count, 2u);
    KEXPECT_EQ(info.modules_rejected, 4u);
    KEXPECT_EQ(info.modules[0].physical, 0x200000u);
    KEXPECT_EQ(info.modules[0].size, 0x80000u);
    KEXPECT_EQ(info.modules[1].physical, 0x500000u);
    KEXPECT_EQ(info.modules[1].size, 0x123u);
}

KERNEL_TEST(boot_multiboot2_module_count_is_bounded)
{
    TagWriter tags(g_fake_info);
    tags.memory_map(kRamBase, kRamLength);
    for (u32 i = 0; i < 20; ++i)
        tags.module(0x200000 + i * 0x1000, 0x200000 + i * 0x1000 + 0x800);
    tags.finish();
    auto info = parse_boot_info(BOOT_PROTOCOL_MULTIBOOT2, physical_of(g_fake_info));
    KEXPECT_EQ(info.module_count, BootInfo::kMaxModules);
    KEXPECT_EQ(info.modules_rejected, 20u - BootInfo::kMaxModules);
}

KERNEL_TEST(boot_multiboot2_truncated_tag_stops_parsing)
{
    TagWriter tags(g_fake_info);
    tags.memory_map(kRamBase, kRamLength);
    usize module_at = tags.m_at;
    tags.module(0x200000, 0x201000);
    tags.finish();
    // The module tag claims to be larger than what is left of the structure.
    u32 huge = 0x10000;
    __builtin_memcpy(g_fake_info + module_at + 4, &huge, 4);
    auto info = parse_boot_info(BOOT_PROTOCOL_MULTIBOOT2, physical_of(g_fake_info));
    KEXPECT_EQ(info.usable_count, 1u);
    KEXPECT_EQ(info.module_count, 0u);
}

namespace {

struct [[gnu::packed]] FakeStartInfo {
    u32 magic, version, flags, module_count;
    u64 module_list, command_line, rsdp, memory_map;
    u32 memory_map_entries, reserved;
};
struct [[gnu::packed]] FakeMemoryMapEntry {
    u64 address, size;
    u32 type, reserved;
};
struct [[gnu::packed]] FakeModule {
    u64 address, size, command_line, reserved;
};

FakeStartInfo* fake_pvh(u32 module_count)
{
    __builtin_memset(g_fake_info, 0, sizeof g_fake_info);
    __builtin_memset(g_fake_list, 0, sizeof g_fake_list);
    auto* start = reinterpret_cast<FakeStartInfo*>(g_fake_info);
    auto* map = reinterpret_cast<FakeMemoryMapEntry*>(g_fake_info + 512);
    map[0] = { kRamBase, kRamLength, 1, 0 };
    map[1] = { 0xFEC00000, 0x1000, 2, 0 };
    *start = { 0x336EC578, 1, 0, module_count, physical_of(g_fake_list), 0, 0, physical_of(map), 2, 0 };
    return start;
}

} // namespace

KERNEL_TEST(boot_pvh_modlist_is_validated)
{
    fake_pvh(4);
    auto* modules = reinterpret_cast<FakeModule*>(g_fake_list);
    modules[0] = { 0x800000, 0x12345, 0, 0 };              // the initrd
    modules[1] = { 0xFEC00000, 0x1000, 0, 0 };             // reserved memory, not usable
    modules[2] = { 0xFFFFFFFFFFFFF000ull, 0x2000, 0, 0 };  // wraps around
    modules[3] = { 0x900000, 0, 0, 0 };                    // empty
    auto info = parse_boot_info(BOOT_PROTOCOL_PVH, physical_of(g_fake_info));
    KEXPECT_EQ(info.module_count, 1u);
    KEXPECT_EQ(info.modules_rejected, 3u);
    KEXPECT_EQ(info.modules[0].physical, 0x800000u);
    KEXPECT_EQ(info.modules[0].size, 0x12345u);
}

KERNEL_TEST(boot_pvh_absurd_module_count_is_refused_without_reading)
{
    auto* start = fake_pvh(0x80000000u);
    auto info = parse_boot_info(BOOT_PROTOCOL_PVH, physical_of(g_fake_info));
    KEXPECT_EQ(info.module_count, 0u);
    KEXPECT_EQ(info.modules_rejected, 0x80000000u);
    KEXPECT_EQ(info.usable_count, 1u);
    // A list outside the boot map is refused as a whole.
    start->module_count = 2;
    start->module_list = (4ull << 30) - 16;
    info = parse_boot_info(BOOT_PROTOCOL_PVH, physical_of(g_fake_info));
    KEXPECT_EQ(info.module_count, 0u);
    KEXPECT_EQ(info.modules_rejected, 2u);
}

} // namespace wk::kernel::boot

namespace wk::kernel::boot {

namespace {

alignas(4096) u8 g_fake_bitmaps[4096];
void* fake_phys_to_virt(mm::PhysAddr) { return g_fake_bitmaps; }

} // namespace

// Boot modules reach the frame allocator as held ranges: allocated from the start, never
// under the allocator's bitmaps, and freeable afterwards.
KERNEL_TEST(boot_module_frames_are_held_until_freed)
{
    constexpr u64 kBase = 0x100000;
    mm::MemoryRange usable[] = { { kBase, 64 * mm::kFrameSize } };
    mm::MemoryRange held[] = { { kBase, 0x800 }, { kBase + 0x4800, 0x2000 } }; // frames 0 and 4..6
    mm::FrameAllocator allocator;
    KEXPECT(allocator.initialize(usable, {}, fake_phys_to_virt, held).has_value());
    KEXPECT_EQ(allocator.metadata_range().base, kBase + mm::kFrameSize);
    KEXPECT_EQ(allocator.total_frames(), 63u);
    KEXPECT_EQ(allocator.free_frames(), 59u);
    KEXPECT(allocator.is_allocated(kBase));
    for (u64 frame = 4; frame <= 6; ++frame)
        KEXPECT(allocator.is_allocated(kBase + frame * mm::kFrameSize));
    bool handed_out_held = false;
    for (u64 i = 0; i < 59; ++i) {
        auto frame = allocator.allocate();
        KEXPECT(frame.has_value());
        if (frame && (*frame == kBase || (*frame >= kBase + 4 * mm::kFrameSize && *frame <= kBase + 6 * mm::kFrameSize)))
            handed_out_held = true;
    }
    KEXPECT(!handed_out_held);
    KEXPECT(!allocator.allocate().has_value());
    KEXPECT(allocator.free(kBase + 5 * mm::kFrameSize).has_value());
    auto again = allocator.allocate();
    KEXPECT(again.has_value() && *again == kBase + 5 * mm::kFrameSize);
}

} // namespace wk::kernel::boot
