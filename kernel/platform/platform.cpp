// engine/platform.h for the kernel: wasm memories and code live in their own range of the
// kernel address space, backed by frames from the frame allocator; faults in wasm code reach
// the engine through the CPU exception handler (kernel/arch/x86_64/interrupts.cpp).
#include "engine/code_patch.h"
#include "engine/platform.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/entropy.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/mm/memory.h"
#include "kernel/sched/thread.h"
#include "kernel/time/clock.h"
#include "kernel/platform/wasm_stack.h"

namespace wk::platform {

using kernel::x86_64::InterruptDisabler;
using kernel::x86_64::PageTables;
namespace x86 = kernel::x86_64;

namespace {

constexpr u64 kRegionBase = 0xFFFFA00000000000ull;
constexpr u64 kRegionSize = 16ull << 40; // 16 TiB: two thousand 8 GiB memory reservations
constexpr usize kMaxFreeRanges = 256;

struct Range {
    u64 base;
    u64 size;
};

// Address space handed out by reserve(): a bump pointer plus the released ranges, sorted by
// address and merged with their neighbours (a range that reaches the bump pointer lowers it
// instead). reserve() takes the smallest free range that fits, so that a process's memories
// and code land where earlier ones were and the address space does not fragment; release()
// frees the page tables a range leaves empty.
u64 g_next = kRegionBase;
Range g_free[kMaxFreeRanges];
usize g_free_count;

void remove_free_range(usize index)
{
    for (usize i = index; i + 1 < g_free_count; ++i)
        g_free[i] = g_free[i + 1];
    --g_free_count;
}

// Returns [base, base + size) to the free list (interrupts off).
void add_free_range(u64 base, u64 size)
{
    usize index = 0;
    while (index < g_free_count && g_free[index].base < base)
        ++index;
    bool merges_before = index > 0 && g_free[index - 1].base + g_free[index - 1].size == base;
    bool merges_after = index < g_free_count && base + size == g_free[index].base;
    if (merges_before && merges_after) {
        g_free[index - 1].size += size + g_free[index].size;
        remove_free_range(index);
        --index;
    } else if (merges_before) {
        g_free[index - 1].size += size;
        --index;
    } else if (merges_after) {
        g_free[index].base = base;
        g_free[index].size += size;
    } else {
        if (g_free_count == kMaxFreeRanges) {
            // NOTE: with the list full the range is leaked as address space only; its frames
            // were returned by the caller.
            if (base + size == g_next)
                g_next = base;
            return;
        }
        for (usize i = g_free_count; i > index; --i)
            g_free[i] = g_free[i - 1];
        g_free[index] = { base, size };
        ++g_free_count;
    }
    if (g_free[index].base + g_free[index].size == g_next) {
        g_next = g_free[index].base;
        remove_free_range(index);
    }
}

bool in_region(u64 address, u64 size)
{
    return address >= kRegionBase && size <= kRegionSize && address - kRegionBase <= kRegionSize - size;
}

Result<void> check_range(void* address, usize size)
{
    u64 base = reinterpret_cast<u64>(address);
    if ((base | size) & (x86::kPageSize - 1) || !in_region(base, size))
        return Error::from("address range outside the wasm region", ErrorKind::OutOfRange);
    return {};
}

u64 flags_for(Access access)
{
    switch (access) {
    case Access::ReadWrite: return x86::kPageWritable | x86::kPageNoExecute;
    case Access::Read: return x86::kPageNoExecute;
    case Access::ReadExecute: return 0;
    case Access::None: break;
    }
    return x86::kPageNoExecute;
}

// Pages a commit maps, or an unmap frees, per interrupts-off stretch. A memory the guest sizes
// (up to 1 GiB) is committed or freed in such steps; between them a caller that had
// interrupts on may be preempted (sched::preemption_point), so that no process keeps the CPU
// past its time slice by growing or dropping memory.
constexpr u64 kPagesPerStep = 16;

// Unmaps and frees what is mapped in [base, base + size). With `may_preempt`, interrupts go on
// between steps of kPagesPerStep freed pages (the caller had them on and holds no lock).
void unmap_range(PageTables& tables, u64 base, u64 size, bool may_preempt = false)
{
    u64 end = base + size;
    for (u64 page = base; page < end;) {
        u64 freed = 0;
        {
            InterruptDisabler guard;
            while (page < end && freed < kPagesPerStep) {
                u64 next = tables.next_possibly_mapped(page);
                if (next != page) {
                    page = next;
                    continue;
                }
                if (auto frame = tables.unmap(page)) {
                    kernel::mm::free_frame(*frame);
                    ++freed;
                }
                page += x86::kPageSize;
            }
        }
        if (may_preempt)
            kernel::sched::preemption_point();
    }
}

bool current_thread_killed()
{
    auto* thread = kernel::sched::current();
    return thread && thread->kill_requested();
}

} // namespace

usize page_size() { return x86::kPageSize; }

Result<void*> reserve(usize size)
{
    if (size == 0 || (size & (x86::kPageSize - 1)) || size > kRegionSize)
        return Error::from("bad reservation size", ErrorKind::OutOfRange);
    InterruptDisabler guard;
    usize best = g_free_count;
    for (usize i = 0; i < g_free_count; ++i) {
        if (g_free[i].size >= size && (best == g_free_count || g_free[i].size < g_free[best].size))
            best = i;
    }
    if (best < g_free_count) {
        u64 base = g_free[best].base;
        g_free[best].base += size;
        g_free[best].size -= size;
        if (g_free[best].size == 0)
            remove_free_range(best);
        return reinterpret_cast<void*>(base);
    }
    if (kRegionBase + kRegionSize - g_next < size)
        return Error::from("wasm address space exhausted", ErrorKind::OutOfMemory);
    u64 base = g_next;
    g_next += size;
    return reinterpret_cast<void*>(base);
}

Result<void> commit(void* address, usize size)
{
    TRY(check_range(address, size));
    bool may_preempt = x86::interrupts_enabled();
    auto tables = PageTables::current();
    u64 base = reinterpret_cast<u64>(address);
    u64 end = base + size;
    for (u64 page = base; page < end;) {
        {
            InterruptDisabler guard;
            for (u64 step = 0; step < kPagesPerStep && page < end; ++step, page += x86::kPageSize) {
                if (tables.translate(page))
                    continue; // already committed: keep its contents
                auto frame = kernel::mm::allocate_zeroed_frame();
                Result<void> mapped = frame ? tables.map(page, *frame, x86::kPageWritable | x86::kPageNoExecute)
                                            : Result<void>(frame.error());
                if (!mapped) {
                    if (frame)
                        kernel::mm::free_frame(*frame);
                    unmap_range(tables, base, page - base);
                    return mapped.error();
                }
            }
        }
        if (!may_preempt || page >= end)
            continue;
        // A killed process gets no more memory: the grow (or instantiation) fails, and the
        // process ends at its next host call or tick in wasm code.
        if (current_thread_killed()) {
            unmap_range(tables, base, page - base, true);
            return Error::from("the process is being killed", ErrorKind::OutOfMemory);
        }
        kernel::sched::preemption_point();
    }
    return {};
}

Result<void> decommit(void* address, usize size)
{
    TRY(check_range(address, size));
    bool may_preempt = x86::interrupts_enabled();
    auto tables = PageTables::current();
    unmap_range(tables, reinterpret_cast<u64>(address), size, may_preempt);
    return {};
}

Result<void> discard(void* address, usize size)
{
    // NOTE: refused on purpose. The engine pools a dying i32 memory's reservation only when
    // discard succeeds, and a pooled reservation keeps its frames committed. The kernel
    // wants a dead process's frames back at once (docs/process-abi.md, "Memory"), so every
    // memory is released instead; reserving again costs no system call here.
    TRY(check_range(address, size));
    return Error::from("the kernel does not pool memory reservations", ErrorKind::Unsupported);
}

Result<void> protect(void* address, usize size, Access access)
{
    TRY(check_range(address, size));
    InterruptDisabler guard;
    auto tables = PageTables::current();
    u64 base = reinterpret_cast<u64>(address);
    if (access == Access::None) {
        unmap_range(tables, base, size);
        return {};
    }
    for (u64 page = base; page < base + size; page += x86::kPageSize)
        TRY(tables.protect(page, flags_for(access)));
    return {};
}

Result<void> patch_code(void* address, ReadonlyBytes bytes)
{
    if (bytes.empty())
        return {};
    PatchPages pages = TRY(patch_pages(address, bytes, x86::kPageSize));
    u64 first = pages.first;
    u64 end = pages.end;
    TRY(check_range(reinterpret_cast<void*>(first), end - first));
    // NOTE: one CPU and interrupts off: nothing runs the pages while they are writable and
    // executable (flags 0 is ReadExecute, kPageWritable alone adds writing). Every page made
    // writable is made ReadExecute again before this returns, on the error paths too: a
    // failure (a page that is not mapped) must not leave a code page writable.
    InterruptDisabler guard;
    auto tables = PageTables::current();
    u64 writable_end = first;
    Result<void> result;
    for (; writable_end < end; writable_end += x86::kPageSize) {
        result = tables.protect(writable_end, x86::kPageWritable);
        if (result.is_error())
            break;
    }
    if (!result.is_error())
        write_patch(address, bytes);
    for (u64 page = first; page < writable_end; page += x86::kPageSize) {
        auto restored = tables.protect(page, flags_for(Access::ReadExecute));
        if (restored.is_error() && !result.is_error())
            result = restored;
    }
    return result;
}

// Worker threads (start_worker and the rest): kernel/platform/compile_worker.cpp.

void release(void* address, usize size)
{
    if (!check_range(address, size))
        return;
    bool may_preempt = x86::interrupts_enabled();
    auto tables = PageTables::current();
    u64 base = reinterpret_cast<u64>(address);
    unmap_range(tables, base, size, may_preempt);
    InterruptDisabler guard;
    tables.free_empty_tables(base, size);
    add_free_range(base, size);
}

u64 monotonic_nanoseconds() { return kernel::time::nanoseconds_since_boot(); }

Result<void> fill_entropy(Bytes buffer)
{
    x86::fill_random(buffer);
    return {};
}

Result<void> prepare_thread_for_wasm() { return {}; }

Activation* current_activation()
{
    auto* thread = kernel::sched::current();
    return thread ? thread->wasm_activation() : nullptr;
}

void set_current_activation(Activation* activation)
{
    if (auto* thread = kernel::sched::current()) {
        if (!activation && thread->wasm_activation())
            note_reserve_use(*thread);
        thread->set_wasm_activation(activation);
    }
}

} // namespace wk::platform
