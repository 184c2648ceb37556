#include "kernel/platform/wasm_stack.h"

#include "engine/platform.h"
#include "kernel/debug/log.h"
#include "kernel/proc/process_stack.h"
#include "kernel/sched/thread.h"

extern "C" wk::u64 vector_state_size; // kernel/arch/x86_64/descriptors.cpp (from CPUID)

namespace wk::platform {

namespace {

constexpr u8 kPaint = 0x5A;
// What interrupt entry (kernel/arch/x86_64/interrupts.S) puts on the interrupted stack
// before the XSAVE area: up to 8 bytes of alignment, SS, RSP, RFLAGS, CS, RIP, the error
// code, the vector, 15 general registers; then up to 63 bytes aligning the area to 64.
constexpr uptr kInterruptFrameBytes = 8 + 7 * 8 + 15 * 8 + 63;
// Stack a host → wasm entry wants above the limit (engine/runtime/invoke.cpp traps when its
// frame and the callee's stack arguments do not fit): a process thread's stack is grown to
// give it that much before the limit is read.
constexpr uptr kEntryHeadroom = 32 * 1024;

uptr g_high_water;

} // namespace

uptr wasm_stack_reserve()
{
    return kHostCallReserve + ((kInterruptFrameBytes + vector_state_size + 4095) & ~uptr { 4095 });
}

uptr wasm_stack_limit()
{
    auto* thread = kernel::sched::current();
    if (!thread)
        return 0;
    volatile u8 marker = 0;
    uptr sp = reinterpret_cast<uptr>(&marker);
    if (auto* stack = kernel::proc::current_process_stack(); stack && sp > kEntryHeadroom + wasm_stack_reserve()) {
        // Best effort: without the room, invoke traps ("call stack exhausted").
        (void)kernel::proc::ensure_stack_to(*stack, *thread, sp - kEntryHeadroom - wasm_stack_reserve());
    }
    uptr bottom = thread->stack_bottom();
    uptr limit = bottom + wasm_stack_reserve();
    // A process thread's outermost entry paints the reserve, so that note_reserve_use can
    // see how deep host code went. (The reserve lies below this frame: nothing live there.)
    if (thread->process() && !thread->wasm_activation() && sp > limit + 4096)
        __builtin_memset(reinterpret_cast<void*>(bottom), kPaint, limit - bottom);
    return limit;
}

void repaint_reserve(kernel::sched::Thread& thread)
{
    if (!thread.process())
        return;
    uptr bottom = thread.stack_bottom();
    uptr end = bottom + wasm_stack_reserve();
    // Called from a fault handler that may run inside the reserve itself: stop well short
    // of the live frames.
    volatile u8 marker = 0;
    uptr spare = reinterpret_cast<uptr>(&marker) - 512;
    if (end > spare)
        end = spare;
    if (end > bottom)
        __builtin_memset(reinterpret_cast<void*>(bottom), kPaint, end - bottom);
}

void note_reserve_use(kernel::sched::Thread& thread)
{
    if (!thread.process())
        return;
    uptr bottom = thread.stack_bottom();
    uptr limit = bottom + wasm_stack_reserve();
    const u8* p = reinterpret_cast<const u8*>(bottom);
    uptr untouched = 0;
    while (bottom + untouched < limit && p[untouched] == kPaint)
        ++untouched;
    uptr used = limit - bottom - untouched;
    if (used > g_high_water)
        g_high_water = used;
    if (used > (limit - bottom) / 2)
        kernel::debug::warn("wasm stack reserve: host code used {} of {} bytes below the limit", used, limit - bottom);
    else if (used > 0)
        kernel::debug::dbgln("wasm stack reserve: {} of {} bytes used", used, limit - bottom);
}

uptr reserve_high_water() { return g_high_water; }

} // namespace wk::platform
