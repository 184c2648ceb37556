#include <atomic>

#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/smp.h"
#include "kernel/debug/ktest.h"
#include "kernel/mm/memory.h"
#include "kernel/sched/thread.h"
#include "kernel/time/clock.h"

namespace wk::kernel::x86_64 {

namespace {

// What a CPU found about itself in a call_on_cpu call.
struct Seen {
    std::atomic<u32> index { ~0u };
    std::atomic<u32> apic_id { ~0u };
    std::atomic<u64> stack { 0 };
    std::atomic<bool> done { false };
};

void report_self(void* argument)
{
    auto& seen = *static_cast<Seen*>(argument);
    seen.index.store(Cpu::current().index);
    seen.apic_id.store(local_apic_id());
    seen.stack.store(reinterpret_cast<u64>(__builtin_frame_address(0)));
    seen.done.store(true, std::memory_order_release);
}

// The thread a CPU found running on itself.
struct SeenThread {
    std::atomic<sched::Thread*> thread { nullptr };
    std::atomic<bool> done { false };
};

void report_thread(void* argument)
{
    auto& seen = *static_cast<SeenThread*>(argument);
    seen.thread.store(sched::current());
    seen.done.store(true, std::memory_order_release);
}

bool wait_until_done(const std::atomic<bool>& done)
{
    u64 start = time::nanoseconds_since_boot();
    while (!done.load(std::memory_order_acquire)) {
        if (time::nanoseconds_since_boot() - start > 2'000'000'000)
            return false;
        pause();
    }
    return true;
}

} // namespace

KERNEL_TEST(smp_cpus_have_their_own_data)
{
    usize count = online_cpu_count();
    debug::print("    {} CPUs online\n", count);
    KEXPECT(count >= 1);
    KEXPECT_EQ(Cpu::current().index, 0u);
    KEXPECT_EQ(Cpu::current().apic_id, local_apic_id());
    KEXPECT(&Cpu::current() == Cpu::current().self);
    KEXPECT(cpu_at(count) == nullptr);
    for (usize i = 0; i < count; ++i) {
        Cpu* cpu = cpu_at(i);
        if (!KEXPECT(cpu != nullptr))
            continue;
        KEXPECT_EQ(cpu->index, i);
        KEXPECT(cpu->self == cpu);
        KEXPECT(cpu->online.load());
        for (usize j = 0; j < i; ++j) {
            Cpu* other = cpu_at(j);
            KEXPECT(other->apic_id != cpu->apic_id);
            if (i > 0 && j > 0) {
                KEXPECT(other->descriptors != cpu->descriptors);
                KEXPECT(other->stack_top <= cpu->stack_bottom || cpu->stack_top <= other->stack_bottom);
            }
        }
    }
}

// Each AP takes an IPI, finds its own Cpu through GS and runs on its own stack.
KERNEL_TEST(smp_each_cpu_answers_a_call)
{
    for (usize i = 1; i < online_cpu_count(); ++i) {
        Cpu& cpu = *cpu_at(i);
        u64 pings = cpu.pings.load();
        // Static: a CPU that answers after the wait gave up still writes somewhere alive.
        static Seen seen;
        seen.index = ~0u;
        seen.apic_id = ~0u;
        seen.stack = 0;
        seen.done = false;
        if (!KEXPECT(call_on_cpu(cpu, report_self, &seen)))
            continue;
        if (!KEXPECT(wait_until_done(seen.done)))
            continue;
        KEXPECT_EQ(seen.index.load(), cpu.index);
        KEXPECT_EQ(seen.apic_id.load(), cpu.apic_id);
        KEXPECT(seen.stack.load() >= cpu.stack_bottom && seen.stack.load() < cpu.stack_top);
        KEXPECT_EQ(cpu.pings.load(), pings + 1);
    }
}

// The current thread is per CPU (Cpu::thread): on the boot CPU it is the thread running this test;
// an AP runs no thread yet and has none (with one global current thread it would see this one).
KERNEL_TEST(smp_current_thread_is_per_cpu)
{
    sched::Thread* self = sched::current();
    KEXPECT(self != nullptr);
    KEXPECT(Cpu::current().thread == self);
    for (usize i = 1; i < online_cpu_count(); ++i) {
        Cpu& cpu = *cpu_at(i);
        // Static, as above; it starts as this thread, which the AP must replace with none.
        static SeenThread seen;
        seen.thread = self;
        seen.done = false;
        if (!KEXPECT(call_on_cpu(cpu, report_thread, &seen)) || !KEXPECT(wait_until_done(seen.done)))
            continue;
        KEXPECT(seen.thread.load() == nullptr);
        KEXPECT(cpu.thread == nullptr);
    }
}

// An APIC ID the MADT does not list and no CPU has: the start times out, is reported, and
// leaves the CPU count, the heap and the free frames as they were.
KERNEL_TEST(smp_a_cpu_that_never_answers_is_skipped)
{
    if (!trampoline_installed()) {
        debug::print("    no trampoline (one CPU): nothing to check\n");
        return;
    }
    constexpr u32 kNobody = 0xF0;
    for (usize i = 0; i < online_cpu_count(); ++i)
        KEXPECT(cpu_at(i)->apic_id != kNobody);
    usize online = online_cpu_count();
    // A first round may leave page tables under the kernel stack slots it used (they stay,
    // like every kernel stack's); the second must leave everything as it found it.
    KEXPECT(start_one_cpu(kNobody, 50'000'000) == nullptr);
    mm::trim_heap();
    u64 heap = mm::heap_statistics().bytes_in_use;
    u64 frames = mm::free_frame_count();
    u64 start = time::nanoseconds_since_boot();
    KEXPECT(start_one_cpu(kNobody, 50'000'000) == nullptr);
    u64 took = time::nanoseconds_since_boot() - start;
    KEXPECT(took >= 50'000'000);
    mm::trim_heap();
    KEXPECT_EQ(online_cpu_count(), online);
    KEXPECT_EQ(mm::heap_statistics().bytes_in_use, heap);
    KEXPECT_EQ(mm::free_frame_count(), frames);
}

} // namespace wk::kernel::x86_64
