#include "kernel/arch/x86_64/paging.h"
#include "kernel/debug/ktest.h"
#include "kernel/mm/memory.h"

extern "C" char __text_start[], __rodata_start[], __data_start[], boot_stack_guard[];

namespace wk::kernel::x86_64 {

namespace {
constexpr u64 kTestAddress = 0xFFFFFD0000000000ull;
}

KERNEL_TEST(paging_map_write_translate_unmap)
{
    auto tables = PageTables::current();
    auto frame = mm::allocate_zeroed_frame();
    KEXPECT(frame.has_value());
    if (!frame)
        return;
    KEXPECT(tables.map(kTestAddress, *frame, kPageWritable | kPageNoExecute).has_value());
    auto translation = tables.translate(kTestAddress + 0x123);
    KEXPECT(translation.has_value());
    if (translation) {
        KEXPECT_EQ(translation->physical, *frame + 0x123);
        KEXPECT(translation->flags & kPageWritable);
        KEXPECT(translation->flags & kPageNoExecute);
    }
    *reinterpret_cast<volatile u64*>(kTestAddress) = 0x5A5A1234;
    KEXPECT_EQ(*static_cast<u64*>(phys_to_virt(*frame)), 0x5A5A1234u);
    auto second = tables.map(kTestAddress, *frame, kPageWritable);
    KEXPECT(!second && second.error().kind() == ErrorKind::OutOfRange);
    auto unmapped = tables.unmap(kTestAddress);
    KEXPECT(unmapped.has_value() && *unmapped == *frame);
    KEXPECT(!tables.translate(kTestAddress).has_value());
    KEXPECT(!tables.unmap(kTestAddress));
    mm::free_frame(*frame);
}

KERNEL_TEST(paging_rejects_bad_addresses)
{
    auto tables = PageTables::current();
    KEXPECT(!tables.map(0x0000900000000000ull, 0x1000, 0)); // non-canonical
    KEXPECT(!tables.map(kTestAddress + 12, 0x1000, 0));    // unaligned
    KEXPECT(!tables.translate(0x0000900000000000ull).has_value());
}

KERNEL_TEST(paging_kernel_image_is_write_xor_execute)
{
    auto tables = PageTables::current();
    auto text = tables.translate(reinterpret_cast<u64>(__text_start));
    auto rodata = tables.translate(reinterpret_cast<u64>(__rodata_start));
    auto data = tables.translate(reinterpret_cast<u64>(__data_start));
    KEXPECT(text && rodata && data);
    if (!text || !rodata || !data)
        return;
    KEXPECT(!(text->flags & kPageWritable) && !(text->flags & kPageNoExecute));
    KEXPECT(!(rodata->flags & kPageWritable) && (rodata->flags & kPageNoExecute));
    KEXPECT((data->flags & kPageWritable) && (data->flags & kPageNoExecute));
}

KERNEL_TEST(paging_null_page_and_boot_stack_guard_unmapped)
{
    auto tables = PageTables::current();
    KEXPECT(!tables.translate(0).has_value());
    KEXPECT(!tables.translate(0x100000).has_value()); // the boot identity map is gone
    KEXPECT(!tables.translate(reinterpret_cast<u64>(boot_stack_guard)).has_value());
    KEXPECT(!is_readable(0));
}

KERNEL_TEST(paging_direct_map_covers_ram_uncached_mmio)
{
    auto tables = PageTables::current();
    auto ram = tables.translate(0xFFFF800000000000ull + 0x200000);
    KEXPECT(ram.has_value() && !(ram->flags & kPageCacheDisable));
    auto apic = tables.translate(0xFFFF800000000000ull + 0xFEE00000ull);
    KEXPECT(apic.has_value() && (apic->flags & kPageCacheDisable));
}

} // namespace wk::kernel::x86_64
