#pragma once

#include <atomic>

#include "base/types.h"
#include "kernel/boot/boot_info.h"
#include "kernel/time/clock.h"

namespace wk::kernel::sched {
class Thread;
}

// Multiple processors (docs/boot-and-machine-state.md, "SMP"). The boot CPU starts every other
// CPU the ACPI MADT reports as enabled; each gets its own kernel stack, GDT and TSS (with IST
// stacks), shares the IDT and page tables, and idles in `hlt` with its timer masked. Nothing
// is scheduled on them yet: the scheduler and the kernel's structures assume one CPU.
namespace wk::kernel::x86_64 {

struct CpuDescriptors;

// Per-CPU data, reached through the GS base: gs:0 holds the structure's own address, so that
// Cpu::current() is one load. Fields other than the counters and `thread` do not change once the
// CPU is up.
struct Cpu {
    Cpu* self { nullptr };
    u32 index { 0 };   // 0 = the boot CPU; then in MADT order, of those that came up
    u32 apic_id { 0 };
    std::atomic<bool> online { false };
    // Pings (kPingVector) this CPU has taken, and the call a ping runs (call_on_cpu).
    std::atomic<u64> pings { 0 };
    std::atomic<void (*)(void*)> call { nullptr };
    void* call_argument { nullptr };
    // The thread running on this CPU (sched::current()); null on a CPU that runs none (the APs,
    // for now). Written only by this CPU, with interrupts off, when it switches threads, so it
    // is read without a lock.
    sched::Thread* thread { nullptr };
    CpuDescriptors* descriptors { nullptr }; // null on the boot CPU (descriptors.cpp has its own)
    u64 stack_bottom { 0 };
    u64 stack_top { 0 };

    static Cpu& current()
    {
        Cpu* cpu;
        asm volatile("mov %%gs:0, %0" : "=r"(cpu));
        return *cpu;
    }
};

constexpr usize kMaxCpus = 64;
constexpr u8 kPingVector = 0xF0;

// Points the GS base at the boot CPU's Cpu. First thing at boot: the panic path reads it.
void initialize_boot_cpu();
// Starting the application processors, in two steps so that the SDM's 10 ms between INIT and
// the start-up IPIs need not hold up the boot. After descriptors, the calibrated clock and the
// local APIC: reads the MADT, copies the trampoline below 1 MiB and sends INIT to every AP the
// MADT lists as enabled; returns how many (0: nothing to start, `smp: 1 CPU online` logged).
usize prepare_application_processors(const boot::BootInfo& info);
// What is left of the 10 ms since INIT (a thread may sleep it away first).
u64 init_delay_remaining_ns();
// How the start-up waits: spins (time::spin_for_nanoseconds, the default) or sleeps (a thread
// of the scheduler). The SDM's delays are minimums, so a wait may last longer than asked.
using WaitFunction = void (*)(u64 nanoseconds);
// Waits out the rest of the 10 ms, then starts the APs one by one and logs `smp: N CPUs
// online`. An AP that does not check in within 1 s is reported, sent INIT again and left
// out; never a hang. Runs in one thread (any), once.
void start_prepared_application_processors(WaitFunction wait = time::spin_for_nanoseconds);

// Starts one more CPU through the trampoline prepare_application_processors installed (after
// start_prepared_application_processors), waiting at most `timeout_ns` for it; null when it
// did not check in (reported, sent INIT again, its stack and descriptors freed). For the
// in-kernel tests: an APIC ID nobody has costs a warning and the timeout, never a hang or a leak.
Cpu* start_one_cpu(u32 apic_id, u64 timeout_ns, WaitFunction wait = time::spin_for_nanoseconds);
bool trampoline_installed();

usize online_cpu_count();
// The CPU with this index, or null (index >= online_cpu_count()).
Cpu* cpu_at(usize index);
// Sends an NMI to every other online CPU, whose NMI handler then halts (the panic path: a
// panic prints once, with the other CPUs stopped).
void stop_other_cpus();
// Sends kPingVector to the CPU; false when the IPI was not delivered.
bool ping_cpu(const Cpu& cpu);
// Runs `function(argument)` on `cpu` in its ping interrupt (interrupts off, on that CPU's
// stack), without waiting for it; false when a call is still pending there or the IPI was not
// delivered. For tests and diagnostics (the console's `fault cpu N`); NOTE: `function` may use
// the frame allocator, the kernel heap and the log (their IrqSpinLocks), nothing else of the
// kernel's, which still assumes one CPU (docs/boot-and-machine-state.md, "SMP", Locks).
bool call_on_cpu(Cpu& cpu, void (*function)(void*), void* argument);

} // namespace wk::kernel::x86_64
