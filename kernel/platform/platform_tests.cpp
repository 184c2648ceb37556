#include "engine/platform.h"
#include "kernel/debug/ktest.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/mm/memory.h"
#include "kernel/platform/compile_worker.h"
#include "kernel/sched/thread.h"

extern "C" wk::u32 test_enter_wasm(wk::engine::Activation* activation, void (*code)());

namespace wk::kernel {

using engine::TrapKind;

KERNEL_TEST(platform_reserve_commit_decommit_release)
{
    // Committing creates page tables as needed; releasing frees the ones left empty, so the
    // count comes back to where it started. Only the region's entry in the top-level table
    // (a page-directory-pointer table) stays once made: make it first.
    if (auto warm = platform::reserve(1 << 20)) {
        (void)platform::commit(*warm, 4096);
        platform::release(*warm, 1 << 20);
    }
    u64 frames_before = mm::free_frame_count();
    auto base = platform::reserve(1 << 20);
    KEXPECT(base.has_value());
    if (!base)
        return;
    auto* bytes = static_cast<u8*>(*base);
    KEXPECT(platform::commit(bytes, 2 * 4096).has_value());
    KEXPECT_EQ(bytes[0], 0);
    KEXPECT_EQ(bytes[8191], 0);
    bytes[100] = 42;
    KEXPECT(platform::commit(bytes, 4096).has_value()); // committing again keeps contents
    KEXPECT_EQ(bytes[100], 42);
    u64 committed_frames = frames_before - mm::free_frame_count();
    KEXPECT(committed_frames >= 2 && committed_frames <= 2 + 3); // two pages, at most three new tables
    KEXPECT(platform::decommit(bytes, 4096).has_value());
    KEXPECT(platform::commit(bytes, 4096).has_value());
    KEXPECT_EQ(bytes[100], 0); // decommitted memory comes back zeroed
    KEXPECT(!platform::commit(reinterpret_cast<void*>(0x1000), 4096)); // not the wasm region
    KEXPECT(!platform::commit(bytes + 1, 4096));                      // unaligned
    platform::release(*base, 1 << 20);
    KEXPECT_EQ(mm::free_frame_count(), frames_before);
    auto again = platform::reserve(1 << 20);
    KEXPECT(again.has_value() && *again == *base); // the address space is reused
    if (again)
        platform::release(*again, 1 << 20);
}

// Released neighbours merge, and a reservation takes the smallest free range that fits, so a
// process's 8 GiB memory lands where an earlier one was (and reuses its page tables).
KERNEL_TEST(platform_released_ranges_merge_and_are_reused)
{
    constexpr usize kBig = usize { 8 } << 30;
    auto first = platform::reserve(kBig);
    auto second = platform::reserve(kBig);
    auto small = platform::reserve(4096);
    KEXPECT(first && second && small);
    if (!first || !second || !small)
        return;
    KEXPECT_EQ(static_cast<u8*>(*second), static_cast<u8*>(*first) + kBig);
    // A committed page far inside is unmapped and its frame returned when released, and so
    // are the page table and directory made for it.
    u64 frames_start = mm::free_frame_count();
    KEXPECT(platform::commit(static_cast<u8*>(*second) + (usize { 5 } << 30), 4096).has_value());
    KEXPECT(mm::free_frame_count() <= frames_start - 3); // the page, its table, its directory
    platform::release(*first, kBig);
    platform::release(*second, kBig);
    KEXPECT_EQ(mm::free_frame_count(), frames_start);
    auto both = platform::reserve(2 * kBig); // only fits if the two merged
    KEXPECT(both.has_value() && *both == *first);
    if (both)
        platform::release(*both, 2 * kBig);
    auto again = platform::reserve(kBig);
    KEXPECT(again.has_value() && *again == *first);
    if (again)
        platform::release(*again, kBig);
    platform::release(*small, 4096);
}

// The kernel returns a dying memory's frames instead of letting the engine pool them.
KERNEL_TEST(platform_discard_is_refused)
{
    auto region = platform::reserve(4096);
    KEXPECT(region.has_value());
    if (!region)
        return;
    KEXPECT(platform::commit(*region, 4096).has_value());
    KEXPECT(!platform::discard(*region, 4096));
    platform::release(*region, 4096);
}

KERNEL_TEST(platform_refuses_absurd_reservations)
{
    auto huge = platform::reserve(1ull << 50);
    KEXPECT(!huge);
    KEXPECT(!platform::reserve(0));
    KEXPECT(!platform::reserve(4095));
}

// Hand-assembled "wasm code" with three trap sites: the CPU faults, the exception handler
// asks the engine, and execution resumes at the trampoline's landing with the trap kind.
KERNEL_TEST(platform_faults_in_wasm_code_become_traps)
{
    auto region = platform::reserve(2 * 4096);
    KEXPECT(region.has_value());
    if (!region)
        return;
    auto* code = static_cast<u8*>(*region);
    u8* guard = code + 4096; // reserved, never committed
    KEXPECT(platform::commit(code, 4096).has_value());
    // 0: ud2
    code[0] = 0x0F;
    code[1] = 0x0B;
    // 16: xor edx, edx; mov eax, 7; div edx
    const u8 divide[] = { 0x31, 0xD2, 0xB8, 0x07, 0x00, 0x00, 0x00, 0xF7, 0xF2, 0xC3 };
    __builtin_memcpy(code + 16, divide, sizeof divide);
    // 32: movabs rax, guard; mov rax, [rax]; ret
    code[32] = 0x48;
    code[33] = 0xB8;
    u64 guard_address = reinterpret_cast<u64>(guard);
    __builtin_memcpy(code + 34, &guard_address, 8);
    const u8 load[] = { 0x48, 0x8B, 0x00, 0xC3 };
    __builtin_memcpy(code + 42, load, sizeof load);
    // 48: mov eax, 5; ret (no trap)
    const u8 plain[] = { 0xB8, 0x05, 0x00, 0x00, 0x00, 0xC3 };
    __builtin_memcpy(code + 48, plain, sizeof plain);
    KEXPECT(platform::protect(code, 4096, platform::Access::ReadExecute).has_value());

    static const engine::TrapEntry traps[] = {
        { 0, TrapKind::Unreachable },
        { 16 + 7, TrapKind::IntegerDivideByZero },
        { 42, TrapKind::MemoryOutOfBounds },
    };
    engine::CodeRange range { reinterpret_cast<uptr>(code), 4096, { traps, 3 }, nullptr, 0, 0, {}, {} };
    KEXPECT(engine::register_code_range(&range).has_value());

    auto run = [&](usize offset) {
        engine::Activation activation;
        platform::set_current_activation(&activation);
        u32 kind = test_enter_wasm(&activation, reinterpret_cast<void (*)()>(code + offset));
        platform::set_current_activation(nullptr);
        return kind;
    };
    KEXPECT_EQ(run(0), static_cast<u32>(TrapKind::Unreachable));
    KEXPECT_EQ(run(16), static_cast<u32>(TrapKind::IntegerDivideByZero));
    KEXPECT_EQ(run(32), static_cast<u32>(TrapKind::MemoryOutOfBounds));
    KEXPECT_EQ(run(48), 0u);
    KEXPECT_EQ(run(0), static_cast<u32>(TrapKind::Unreachable)); // the machinery is reusable

    engine::unregister_code_range(&range);
    platform::release(*region, 2 * 4096);
}

// A patch that fails half-way (its second page is not committed) leaves the first page as it
// found it: executable and not writable, its bytes unchanged.
KERNEL_TEST(platform_patch_code_error_restores_the_pages)
{
    auto region = platform::reserve(2 * 4096);
    KEXPECT(region.has_value());
    if (!region)
        return;
    auto* bytes = static_cast<u8*>(*region);
    KEXPECT(platform::commit(bytes, 4096).has_value());
    bytes[4090] = 0xC3;
    KEXPECT(platform::protect(bytes, 4096, platform::Access::ReadExecute).has_value());
    u8 patch[12] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
    KEXPECT(!platform::patch_code(bytes + 4088, ReadonlyBytes(patch, sizeof(patch))));
    auto page = x86_64::PageTables::current().translate(reinterpret_cast<u64>(bytes));
    KEXPECT(page.has_value());
    if (page) {
        KEXPECT(!(page->flags & x86_64::kPageWritable));
        KEXPECT(!(page->flags & x86_64::kPageNoExecute));
    }
    KEXPECT_EQ(bytes[4090], 0xC3);
    // A patch inside the committed page works and leaves it executable and read-only.
    KEXPECT(platform::patch_code(bytes + 8, ReadonlyBytes(patch, 8)).has_value());
    KEXPECT_EQ(bytes[8], 0x90);
    page = x86_64::PageTables::current().translate(reinterpret_cast<u64>(bytes));
    KEXPECT(page && !(page->flags & x86_64::kPageWritable));
    platform::release(*region, 2 * 4096);
}

// The engine's worker threads: a wake before the wait is kept, the worker runs the entry on
// its own kernel thread, join waits for it and gives its stack back.
KERNEL_TEST(platform_worker_runs_its_entry_and_joins)
{
    struct Shared {
        u32 rounds { 0 };
        bool stop { false };
        u64 thread_id { 0 };
    } shared;
    auto entry = [](platform::Worker* worker, void* raw) {
        auto& state = *static_cast<Shared*>(raw);
        state.thread_id = sched::current()->id();
        for (;;) {
            platform::wait_for_work(worker);
            if (__atomic_load_n(&state.stop, __ATOMIC_ACQUIRE))
                return;
            __atomic_add_fetch(&state.rounds, 1, __ATOMIC_ACQ_REL);
        }
    };
    auto before = platform::compile_worker_statistics();
    auto worker = platform::start_worker(entry, &shared);
    KEXPECT(worker.has_value());
    if (!worker)
        return;
    KEXPECT_EQ(platform::compile_worker_statistics().running, before.running + 1);
    platform::wake_worker(*worker); // before it waits: kept
    for (u32 i = 0; i < 1000 && __atomic_load_n(&shared.rounds, __ATOMIC_ACQUIRE) == 0; ++i)
        sched::yield();
    KEXPECT(__atomic_load_n(&shared.rounds, __ATOMIC_ACQUIRE) >= 1);
    KEXPECT(shared.thread_id != sched::current()->id());
    __atomic_store_n(&shared.stop, true, __ATOMIC_RELEASE);
    platform::wake_worker(*worker);
    platform::join_worker(*worker);
    auto after = platform::compile_worker_statistics();
    KEXPECT_EQ(after.running, before.running);
    KEXPECT(after.stack_high_water > 0 && after.stack_high_water <= platform::kCompileWorkerStackBytes);
}

} // namespace wk::kernel
