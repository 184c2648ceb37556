#include "kernel/arch/x86_64/smp.h"

#include <new>

#include "kernel/arch/x86_64/ap_trampoline.h"
#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/boot_constants.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/interrupts.h"
#include "kernel/arch/x86_64/irq_spin_lock.h"
#include "kernel/arch/x86_64/madt.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/arch/x86_64/power.h"
#include "kernel/debug/log.h"
#include "kernel/mm/memory.h"
#include "kernel/time/clock.h"

extern "C" {
extern const wk::u8 ap_trampoline_start[], ap_trampoline_end[];
extern const wk::u8 ap_trampoline_protected_mode[], ap_trampoline_long_mode[];
void ap_entry64();
[[noreturn]] void ap_main(wk::kernel::x86_64::Cpu* cpu);
}

namespace wk::kernel::x86_64 {

namespace {

constexpr u32 kGsBaseMsr = 0xC0000101;
// SDM vol. 3, "Typical BSP Initialization Sequence" (MP initialization): INIT, 10 ms, start-up
// IPI, 200 us, start-up IPI again, 200 us.
constexpr u64 kInitDelayNs = 10'000'000;
constexpr u64 kStartupDelayNs = 200'000;
// How often the check-in is looked at (a sleeping wait rounds it up to a timer tick).
constexpr u64 kCheckInPollNs = 20'000;
// How long an AP may take from its start-up IPIs to ap_main's check-in. Generous for software
// emulation on a loaded host; a real CPU needs microseconds.
constexpr u64 kApTimeoutNs = 1'000'000'000;
// After its check-in an AP must take a ping (on_ping) to count as online: one that checked in but
// cannot be interrupted is reported and left out, never a CPU that would not answer a wake-up.
constexpr u64 kPingTimeoutNs = 100'000'000; // the message below names it
constexpr usize kApStackSize = KERNEL_STACK_SIZE;
// The trampoline's window: conventional memory below the EBDA, never page 0 (the real-mode IVT).
constexpr u64 kLowWindowStart = 0x1000;
constexpr u64 kLowWindowEnd = 0x9F000;

Cpu g_boot_cpu;
Cpu* g_cpus[kMaxCpus];
std::atomic<usize> g_online_count { 1 };
// Between prepare_application_processors and start_prepared_application_processors.
u32 g_starting[kMaxCpus];
usize g_starting_count;
u64 g_trampoline;
u64 g_init_sent_ns;
// Claims a CPU's pending call for call_on_cpu (leaf: nothing is taken under it).
constinit IrqSpinLock g_call_lock;

template<typename T>
void put(u64 physical, T value)
{
    __builtin_memcpy(phys_to_virt(physical), &value, sizeof(T));
}

bool overlaps(u64 base, u64 size, u64 other, u64 other_size)
{
    return other_size != 0 && base < other + other_size && other < base + size;
}

// A 16 KiB window of usable RAM below 1 MiB that holds nothing the kernel still reads (the
// boot information, where a Multiboot2 RSDP copy lives; the modules; the RSDP); 0 if none.
u64 find_trampoline_window(const boot::BootInfo& info)
{
    for (u64 base = kLowWindowStart; base + AP_WINDOW_SIZE <= kLowWindowEnd; base += kPageSize) {
        bool usable = false;
        for (auto& range : info.usable_ranges())
            usable |= base >= range.base && base + AP_WINDOW_SIZE <= range.base + range.length;
        if (!usable || overlaps(base, AP_WINDOW_SIZE, info.info_physical, info.info_size)
            || overlaps(base, AP_WINDOW_SIZE, info.rsdp_physical, 36))
            continue;
        bool free = true;
        for (auto& module : info.module_list())
            free &= !overlaps(base, AP_WINDOW_SIZE, module.physical, module.size);
        if (free)
            return base;
    }
    return 0;
}

// Copies the trampoline to `base` and writes what stays the same for every AP: descriptors,
// jump targets and the temporary page tables.
void install_trampoline(u64 base)
{
    __builtin_memset(phys_to_virt(base), 0, AP_WINDOW_SIZE);
    __builtin_memcpy(phys_to_virt(base), ap_trampoline_start, static_cast<usize>(ap_trampoline_end - ap_trampoline_start));
    put<u64>(base + AP_DATA_GDT + 0x08, 0x00CF9A000000FFFF); // 32-bit code
    put<u64>(base + AP_DATA_GDT + 0x10, 0x00CF92000000FFFF); // data
    put<u64>(base + AP_DATA_GDT + 0x18, 0x00AF9A000000FFFF); // 64-bit code
    put<u16>(base + AP_DATA_GDT_POINTER, 4 * 8 - 1);
    put<u32>(base + AP_DATA_GDT_POINTER + 2, static_cast<u32>(base + AP_DATA_GDT));
    put<u32>(base + AP_DATA_FAR32, static_cast<u32>(base + (ap_trampoline_protected_mode - ap_trampoline_start)));
    put<u16>(base + AP_DATA_FAR32 + 4, AP_SELECTOR_CODE32);
    put<u32>(base + AP_DATA_FAR64, static_cast<u32>(base + (ap_trampoline_long_mode - ap_trampoline_start)));
    put<u16>(base + AP_DATA_FAR64 + 4, AP_SELECTOR_CODE64);
    put<u32>(base + AP_DATA_TEMP_CR3, static_cast<u32>(base + AP_PML4_OFFSET));
    put<u64>(base + AP_DATA_KERNEL_CR3, read_cr3());
    put<u64>(base + AP_DATA_CR4, read_cr4());
    put<u64>(base + AP_DATA_CR0, read_cr0());
    put<u64>(base + AP_DATA_ENTRY, reinterpret_cast<u64>(ap_entry64));
    // Temporary tables: the first 2 MiB at 0 (one large page) and the kernel's upper half.
    auto* pml4 = static_cast<u64*>(phys_to_virt(base + AP_PML4_OFFSET));
    const auto* kernel_pml4 = static_cast<const u64*>(phys_to_virt(read_cr3() & kPhysicalAddressMask));
    pml4[0] = (base + AP_PDPT_OFFSET) | kPagePresent | kPageWritable;
    for (usize i = 256; i < 512; ++i)
        pml4[i] = kernel_pml4[i];
    put<u64>(base + AP_PDPT_OFFSET, (base + AP_PD_OFFSET) | kPagePresent | kPageWritable);
    put<u64>(base + AP_PD_OFFSET, kPagePresent | kPageWritable | kPageHuge);
}

void on_ping(InterruptFrame&)
{
    Cpu& cpu = Cpu::current();
    cpu.pings.fetch_add(1, std::memory_order_relaxed);
    local_apic_end_of_interrupt();
    if (cpu.call.load(std::memory_order_acquire)) {
        void* argument = cpu.call_argument;
        auto function = cpu.call.exchange(nullptr, std::memory_order_acq_rel);
        function(argument);
    }
}

const char* stage_name(u32 stage)
{
    switch (stage) {
    case 0: return "never ran the trampoline";
    case 1: return "stopped in real mode";
    case 2: return "stopped in protected mode";
    case 3: return "reached long mode";
    default: return "wrote a strange stage";
    }
}

void free_cpu(Cpu* cpu)
{
    if (cpu->descriptors)
        destroy_cpu_descriptors(cpu->descriptors);
    if (cpu->stack_top)
        mm::free_kernel_stack({ cpu->stack_bottom, cpu->stack_top });
    cpu->~Cpu();
    (void)mm::try_free(cpu);
}

// An AP's Cpu, stack and descriptors, before it starts.
Cpu* prepare_cpu(u32 index, u32 apic_id)
{
    auto memory = mm::try_allocate(sizeof(Cpu), alignof(Cpu));
    if (!memory)
        return nullptr;
    auto* cpu = new (*memory) Cpu;
    cpu->self = cpu;
    cpu->index = index;
    cpu->apic_id = apic_id;
    auto stack = mm::allocate_kernel_stack(kApStackSize);
    auto descriptors = create_cpu_descriptors();
    if (stack) {
        cpu->stack_bottom = stack->bottom;
        cpu->stack_top = stack->top;
    }
    if (descriptors)
        cpu->descriptors = *descriptors;
    if (!stack || !descriptors) {
        free_cpu(cpu);
        return nullptr;
    }
    return cpu;
}

// Polls `done` every kCheckInPollNs until it holds or `limit_ns` has passed.
template <typename Done>
bool wait_for(WaitFunction wait, Done done, u64 limit_ns)
{
    u64 start = time::nanoseconds_since_boot();
    while (!done() && time::nanoseconds_since_boot() - start <= limit_ns)
        wait(kCheckInPollNs);
    return done();
}

// Start-up IPIs to one AP (INIT was sent before), then waits for its check-in and for it to take
// a ping. Null when it did both; otherwise what went wrong, with the AP sent INIT again, so that
// it cannot wake later on a stack that is gone.
const char* start_cpu(u64 base, Cpu& cpu, u64 timeout_ns, WaitFunction wait)
{
    put<u32>(base + AP_DATA_STAGE, 0);
    put<u64>(base + AP_DATA_STACK, cpu.stack_top);
    put<u64>(base + AP_DATA_CPU, reinterpret_cast<u64>(&cpu));
    std::atomic_thread_fence(std::memory_order_seq_cst);
    u32 startup = kIpiStartup | static_cast<u32>(base >> 12);
    bool sent = send_ipi(cpu.apic_id, startup);
    wait(kStartupDelayNs);
    sent = sent && send_ipi(cpu.apic_id, startup);
    wait(kStartupDelayNs);
    const char* failure = nullptr;
    if (!sent) {
        failure = "start-up IPI not delivered";
    } else if (!wait_for(wait, [&cpu] { return cpu.online.load(std::memory_order_acquire); }, timeout_ns)) {
        u32 stage;
        __builtin_memcpy(&stage, phys_to_virt(base + AP_DATA_STAGE), 4);
        failure = stage_name(stage);
    } else if (!ping_cpu(cpu) || !wait_for(wait, [&cpu] { return cpu.pings.load() != 0; }, kPingTimeoutNs)) {
        failure = "checked in, but took no ping within 100 ms";
    }
    if (failure)
        (void)send_ipi(cpu.apic_id, kIpiInit);
    return failure;
}

void log_madt(const Madt& madt)
{
    if (madt.skipped() || madt.truncated) {
        debug::warn("smp: MADT: {} processor entries skipped ({} short, {} duplicate APIC IDs, {} beyond xAPIC, {} past "
                    "the {}-CPU cap){}",
                    madt.skipped(), madt.short_entries, madt.duplicates, madt.unreachable, madt.over_cap, Madt::kMaxCpus,
                    madt.truncated ? "; the entry list ends early (a bad length)" : "");
    }
    usize later = 0;
    for (auto& cpu : madt.cpu_list())
        later += cpu.enabled ? 0 : 1;
    if (later)
        debug::info("smp: {} online-capable CPUs the firmware may enable later are not started", later);
}

void log_online()
{
    usize count = online_cpu_count();
    debug::info("smp: {} CPU{} online", count, count == 1 ? "" : "s");
}

} // namespace

void initialize_boot_cpu()
{
    g_boot_cpu.self = &g_boot_cpu;
    g_boot_cpu.online.store(true, std::memory_order_relaxed);
    g_cpus[0] = &g_boot_cpu;
    wrmsr(kGsBaseMsr, reinterpret_cast<u64>(&g_boot_cpu));
}

usize online_cpu_count() { return g_online_count.load(std::memory_order_acquire); }

Cpu* cpu_at(usize index) { return index < online_cpu_count() ? g_cpus[index] : nullptr; }

bool trampoline_installed() { return g_trampoline != 0; }

bool ping_cpu(const Cpu& cpu) { return send_ipi(cpu.apic_id, kIpiFixed | kPingVector); }

bool call_on_cpu(Cpu& cpu, void (*function)(void*), void* argument)
{
    // call_argument is written before the call is published, under the claim of a null call
    // (g_call_lock; the target reads the argument after the call's acquire load, without it).
    bool idle;
    {
        IrqLockGuard claim { g_call_lock };
        idle = cpu.call.load(std::memory_order_acquire) == nullptr;
        if (idle) {
            cpu.call_argument = argument;
            cpu.call.store(function, std::memory_order_release);
        }
    }
    return idle && ping_cpu(cpu);
}

void stop_other_cpus()
{
    u32 self = Cpu::current().index;
    for (usize i = 0; i < online_cpu_count(); ++i) {
        if (g_cpus[i] && i != self)
            (void)send_ipi(g_cpus[i]->apic_id, kIpiNmi);
    }
}

usize prepare_application_processors(const boot::BootInfo& info)
{
    g_boot_cpu.apic_id = local_apic_id();
    set_interrupt_handler(kPingVector, on_ping);
    u64 madt_physical = find_acpi_table("APIC");
    if (!madt_physical) {
        debug::info("smp: no MADT; 1 CPU online");
        return 0;
    }
    auto madt = parse_madt(acpi_table_bytes(madt_physical));
    if (madt.refused) {
        debug::warn("smp: MADT refused ({}); 1 CPU online", madt.refused);
        return 0;
    }
    log_madt(madt);
    usize count = 0;
    for (auto& cpu : madt.cpu_list()) {
        if (cpu.enabled && cpu.apic_id != g_boot_cpu.apic_id)
            g_starting[count++] = cpu.apic_id;
    }
    if (count == 0) {
        log_online();
        return 0;
    }
    usize code_size = static_cast<usize>(ap_trampoline_end - ap_trampoline_start);
    u64 base = find_trampoline_window(info);
    if (code_size > AP_DATA_GDT || base == 0) {
        debug::warn("smp: no room below 1 MiB for the start-up trampoline; {} CPUs not started", count);
        log_online();
        return 0;
    }
    install_trampoline(base);
    debug::dbgln("smp: starting {} CPUs through the trampoline at {:#x}", count, base);
    // INIT to every AP at once, so that the SDM's 10 ms are waited once, not per AP.
    for (usize i = 0; i < count; ++i) {
        if (!send_ipi(g_starting[i], kIpiInit))
            debug::warn("smp: INIT to APIC ID {} not delivered", g_starting[i]);
    }
    g_init_sent_ns = time::nanoseconds_since_boot();
    g_trampoline = base;
    g_starting_count = count;
    return count;
}

u64 init_delay_remaining_ns()
{
    u64 elapsed = time::nanoseconds_since_boot() - g_init_sent_ns;
    return elapsed < kInitDelayNs ? kInitDelayNs - elapsed : 0;
}

Cpu* start_one_cpu(u32 apic_id, u64 timeout_ns, WaitFunction wait)
{
    usize index = online_cpu_count();
    Cpu* cpu;
    {
        InterruptDisabler no_interrupts; // as before the locks; the stack allocator now takes its own
        cpu = index < kMaxCpus ? prepare_cpu(static_cast<u32>(index), apic_id) : nullptr;
    }
    if (!cpu) {
        debug::warn("smp: no memory for CPU with APIC ID {}; not started", apic_id);
        return nullptr;
    }
    const char* failure = start_cpu(g_trampoline, *cpu, timeout_ns, wait);
    if (failure) {
        debug::warn("smp: CPU with APIC ID {} did not answer within {} ms ({}); skipped", apic_id,
                    timeout_ns / 1'000'000, failure);
        InterruptDisabler no_interrupts;
        free_cpu(cpu);
        return nullptr;
    }
    g_cpus[index] = cpu;
    g_online_count.store(index + 1, std::memory_order_release);
    return cpu;
}

void start_prepared_application_processors(WaitFunction wait)
{
    if (g_starting_count == 0)
        return;
    wait(init_delay_remaining_ns());
    for (usize i = 0; i < g_starting_count; ++i)
        start_one_cpu(g_starting[i], kApTimeoutNs, wait);
    g_starting_count = 0;
    log_online();
}

} // namespace wk::kernel::x86_64

// An AP's first C++: its descriptors, GS base, vector state and local APIC, then idle.
extern "C" [[noreturn]] void ap_main(wk::kernel::x86_64::Cpu* cpu)
{
    using namespace wk::kernel::x86_64;
    // GS first: a fault from here on reaches the panic path, which reads it.
    wrmsr(kGsBaseMsr, reinterpret_cast<wk::u64>(cpu));
    load_cpu_descriptors(*cpu->descriptors);
    enable_vector_state_on_this_cpu();
    enable_local_apic_on_this_cpu();
    cpu->online.store(true, std::memory_order_release);
    // NOTE: nothing runs here yet (docs/boot-and-machine-state.md, "SMP"): interrupts on, so
    // that pings and the panic NMI arrive; the timer is masked.
    for (;;)
        sti_hlt();
}
