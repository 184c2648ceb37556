#include <new>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/interrupts.h"
#include "kernel/debug/panic.h"
#include "kernel/mm/memory.h"

extern "C" {
extern const wk::u64 isr_stub_table[256];
// Read by interrupts.S.
wk::u64 vector_state_size = 512;
wk::u8 vector_state_uses_xsave = 0;
}

namespace wk::kernel::x86_64 {

namespace {

struct [[gnu::packed]] TaskStateSegment {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 io_map_base;
};

struct [[gnu::packed]] IdtEntry {
    u16 offset_low;
    u16 selector;
    u8 ist;
    u8 type_attributes;
    u16 offset_middle;
    u32 offset_high;
    u32 reserved;
};

struct [[gnu::packed]] DescriptorPointer {
    u16 limit;
    u64 base;
};

constexpr u16 kKernelCode = 0x08;
constexpr u16 kKernelData = 0x10;
constexpr u16 kTss = 0x18;

enum IstSlot : u8 { kIstDoubleFault = 1, kIstNmi = 2, kIstPageFault = 3 };

alignas(16) IdtEntry g_idt[256];
u64 g_xcr0;

void set_gate(u8 vector, u64 handler, u8 ist)
{
    g_idt[vector] = IdtEntry {
        .offset_low = static_cast<u16>(handler),
        .selector = kKernelCode,
        .ist = ist,
        .type_attributes = 0x8E, // present, ring 0, 64-bit interrupt gate
        .offset_middle = static_cast<u16>(handler >> 16),
        .offset_high = static_cast<u32>(handler >> 32),
        .reserved = 0,
    };
}

} // namespace

// One per CPU: the TSS holds the CPU's IST stacks, and a TSS descriptor is marked busy by ltr,
// so CPUs cannot share one.
struct CpuDescriptors {
    alignas(16) u64 gdt[5];
    alignas(16) TaskStateSegment tss;
};

namespace {

CpuDescriptors g_boot_cpu_descriptors;

Result<void> build_descriptors(CpuDescriptors& d)
{
    d.gdt[0] = 0;
    d.gdt[1] = 0x00AF9A000000FFFF; // 64-bit kernel code
    d.gdt[2] = 0x00CF92000000FFFF; // kernel data
    u64 tss = reinterpret_cast<u64>(&d.tss);
    u64 limit = sizeof(TaskStateSegment) - 1;
    d.gdt[3] = (limit & 0xFFFF) | ((tss & 0xFFFFFF) << 16) | (0x89ull << 40) | (((tss >> 24) & 0xFF) << 56);
    d.gdt[4] = tss >> 32;
    d.tss = {};
    d.tss.io_map_base = sizeof(TaskStateSegment);
    static constexpr u8 kSlots[] = { kIstDoubleFault, kIstNmi, kIstPageFault };
    for (u8 slot : kSlots) {
        auto stack = mm::allocate_kernel_stack(16 * 1024);
        if (!stack) {
            for (u8 done = 1; done < slot; ++done)
                mm::free_kernel_stack({ d.tss.ist[done - 1] - 16 * 1024, d.tss.ist[done - 1] });
            return stack.error();
        }
        d.tss.ist[slot - 1] = stack->top;
    }
    return {};
}

void load_gdt_and_tss(const CpuDescriptors& d)
{
    DescriptorPointer gdt_pointer { sizeof(d.gdt) - 1, reinterpret_cast<u64>(d.gdt) };
    asm volatile(
        "lgdt %0\n"
        "pushq %1\n"
        "leaq 1f(%%rip), %%rax\n"
        "pushq %%rax\n"
        "lretq\n"
        "1:\n"
        "mov %2, %%ds\n"
        "mov %2, %%es\n"
        "mov %2, %%ss\n"
        "ltr %3\n"
        :
        : "m"(gdt_pointer), "i"(kKernelCode), "r"(kKernelData), "r"(kTss)
        : "rax", "memory");
}

void load_idt()
{
    DescriptorPointer idt_pointer { sizeof(g_idt) - 1, reinterpret_cast<u64>(g_idt) };
    asm volatile("lidt %0" : : "m"(idt_pointer) : "memory");
}

} // namespace

void enable_vector_state()
{
    auto features = cpuid(1);
    bool has_xsave = features.ecx & (1u << 26);
    if (!has_xsave)
        return;
    write_cr4(read_cr4() | (1ull << 18)); // OSXSAVE
    u64 xcr0 = 0x3;                        // x87, SSE
    if (features.ecx & (1u << 28))
        xcr0 |= 0x4; // AVX
    xsetbv(0, xcr0);
    g_xcr0 = xcr0;
    vector_state_size = cpuid(0xD, 0).ebx;
    vector_state_uses_xsave = 1;
}

void enable_vector_state_on_this_cpu()
{
    if (!vector_state_uses_xsave)
        return;
    write_cr4(read_cr4() | (1ull << 18)); // OSXSAVE
    xsetbv(0, g_xcr0);
}

void initialize_descriptors()
{
    if (auto built = build_descriptors(g_boot_cpu_descriptors); !built)
        debug::panic("cannot allocate the boot CPU's IST stacks: {}", built.error().message());
    load_gdt_and_tss(g_boot_cpu_descriptors);
    for (int vector = 0; vector < 256; ++vector) {
        u8 ist = 0;
        if (vector == 8)
            ist = kIstDoubleFault;
        else if (vector == 2)
            ist = kIstNmi;
        else if (vector == 14)
            ist = kIstPageFault;
        set_gate(static_cast<u8>(vector), isr_stub_table[vector], ist);
    }
    load_idt();
}

Result<CpuDescriptors*> create_cpu_descriptors()
{
    auto memory = TRY(mm::try_allocate(sizeof(CpuDescriptors), alignof(CpuDescriptors)));
    auto* descriptors = new (memory) CpuDescriptors;
    if (auto built = build_descriptors(*descriptors); !built) {
        (void)mm::try_free(memory);
        return built.error();
    }
    return descriptors;
}

void destroy_cpu_descriptors(CpuDescriptors* descriptors)
{
    for (u64 top : descriptors->tss.ist) {
        if (top)
            mm::free_kernel_stack({ top - 16 * 1024, top });
    }
    (void)mm::try_free(descriptors);
}

void load_cpu_descriptors(const CpuDescriptors& descriptors)
{
    load_gdt_and_tss(descriptors);
    load_idt();
}

} // namespace wk::kernel::x86_64
