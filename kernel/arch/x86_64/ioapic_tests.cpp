#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/interrupts.h"
#include "kernel/arch/x86_64/ioapic.h"
#include "kernel/debug/ktest.h"

namespace wk::kernel::x86_64 {

namespace {

constexpr u8 kTestVector = 0x5F;
constexpr u64 kMasked = 1ull << 16;
constexpr u64 kActiveLow = 1ull << 13;
constexpr u64 kLevel = 1ull << 15;

// Should the line be asserted while the test has it unmasked: acknowledged, nothing else.
void on_test_vector(InterruptFrame&) { local_apic_end_of_interrupt(); }

// A GSI nobody uses: masked since boot (the test kernel boots without disks needing INTx).
Result<u32> unused_gsi()
{
    for (u32 gsi = 16; gsi < 24; ++gsi) {
        auto entry = redirection_entry(gsi);
        if (entry && (*entry & kMasked))
            return gsi;
    }
    return Error::from("no masked GSI in 16..23", ErrorKind::OutOfRange);
}

} // namespace

KERNEL_TEST(ioapic_was_found_and_masked)
{
    KEXPECT(io_apic_count() >= 1);
    KEXPECT(io_apic_madt() != nullptr);
    // The ISA inputs (timer, keyboard, RTC, ...) stay masked: the test boot (q35) routes none;
    // only an i440FX disk without MSI-X would take one (its PIRQ's ISA IRQ).
    for (u32 gsi = 0; gsi < 16; ++gsi) {
        auto entry = redirection_entry(gsi);
        if (KEXPECT(entry))
            KEXPECT(*entry & kMasked);
    }
    KEXPECT(!redirection_entry(0xFFFFFF00));
}

KERNEL_TEST(ioapic_routes_and_masks_a_gsi)
{
    auto gsi = unused_gsi();
    if (!KEXPECT(gsi))
        return;
    set_interrupt_handler(kTestVector, on_test_vector);
    InterruptDisabler no_interrupts;
    KEXPECT(route_gsi(*gsi, kTestVector, local_apic_id(), { .level = true, .active_low = true }));
    auto entry = redirection_entry(*gsi);
    if (KEXPECT(entry)) {
        KEXPECT_EQ(*entry & 0xFF, u64(kTestVector));
        KEXPECT(*entry & kLevel);
        KEXPECT(*entry & kActiveLow);
        KEXPECT(!(*entry & kMasked));
        KEXPECT_EQ(*entry >> 56, u64(local_apic_id()));
    }
    KEXPECT(route_gsi(*gsi, kTestVector, local_apic_id(), { .level = false, .active_low = false }));
    entry = redirection_entry(*gsi);
    if (KEXPECT(entry))
        KEXPECT(!(*entry & (kLevel | kActiveLow | kMasked)));
    mask_gsi(*gsi);
    entry = redirection_entry(*gsi);
    if (KEXPECT(entry)) {
        KEXPECT(*entry & kMasked);
        KEXPECT_EQ(*entry & 0xFF, u64(kTestVector)); // masking keeps the rest
    }
}

KERNEL_TEST(ioapic_refuses_bad_routes)
{
    auto gsi = unused_gsi();
    if (!KEXPECT(gsi))
        return;
    auto beyond = route_gsi(0xFFFFFF00, kTestVector, 0, {});
    KEXPECT(!beyond && beyond.error().kind() == ErrorKind::OutOfRange);
    auto exception_vector = route_gsi(*gsi, 14, 0, {});
    KEXPECT(!exception_vector && exception_vector.error().kind() == ErrorKind::Unsupported);
    auto broadcast = route_gsi(*gsi, kTestVector, 0xFF, {});
    KEXPECT(!broadcast && broadcast.error().kind() == ErrorKind::Unsupported);
    auto entry = redirection_entry(*gsi);
    if (KEXPECT(entry))
        KEXPECT(*entry & kMasked); // untouched
}

} // namespace wk::kernel::x86_64
