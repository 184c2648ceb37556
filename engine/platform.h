#pragma once

// The engine's only door to the environment it runs in (hosted Linux or the kernel).
//
// NOTE: free functions, one definition per environment, resolved at link time — the
// same pattern as base's default_allocator() and assertion_failed(). A binary contains
// exactly one platform, so a virtual interface would buy an indirection and a global
// object to find it, and nothing else. Tests that need a different behaviour test the
// hosted platform itself (tests/unit/runtime/).
//
// The second half of this file goes the other way: what the engine provides to the
// environment's fault handler (the code-range registry and the fault → trap decision).
// See docs/engine-abi.md, "Traps".

#include <optional>

#include "base/result.h"
#include "base/span.h"
#include "base/types.h"

namespace wk::engine {
struct Activation;
}

namespace wk::platform {

using engine::Activation;

// ---- virtual memory -------------------------------------------------------------
// Addresses and sizes passed in must be multiples of page_size().

usize page_size();

// Reserves `size` bytes of address space that nothing may touch: every access faults.
// Ok with a page-aligned, non-null base; ErrorKind::OutOfMemory when the address space
// (or a configured limit) is exhausted.
Result<void*> reserve(usize size);

// Makes [address, address + size) of a reservation readable and writable. Bytes that
// were never committed, or were decommitted since, read as zero.
Result<void> commit(void* address, usize size);

// Returns [address, address + size) to the reserved (faulting) state and gives the
// memory back; a later commit sees zeros.
Result<void> decommit(void* address, usize size);

// Drops the contents of committed memory without changing its access: the range stays
// readable and writable and reads as zero afterwards (used to recycle reservations).
Result<void> discard(void* address, usize size);

enum class Access : u8 {
    None,
    Read,
    ReadWrite,
    ReadExecute, // code: never writable and executable at once (W^X)
};

// Changes the access of committed memory. Code is written ReadWrite, then switched to
// ReadExecute; there is no ReadWriteExecute.
Result<void> protect(void* address, usize size, Access access);

// Gives back a whole reservation made by reserve(address, size).
void release(void* address, usize size);

// Writes `bytes` over code at `address` that other threads may be running: the pages
// stay executable throughout (hosted: ReadExecute → read-write-execute → ReadExecute
// under a process-wide lock; kernel: the same with interrupts off, one CPU). An 8-byte
// write at an 8-aligned address is one atomic store, so a thread running the old bytes
// sees either them or the new ones (tier-up's jump slots). Only for committed code
// (ReadExecute) memory; Invalid for an 8-byte write that is not aligned.
Result<void> patch_code(void* address, ReadonlyBytes bytes);

// ---- time and entropy -----------------------------------------------------------

// Nanoseconds from an arbitrary origin; never goes backwards.
u64 monotonic_nanoseconds();

// Fills `buffer` with unpredictable bytes (ErrorKind::Io if the environment has none).
Result<void> fill_entropy(Bytes buffer);

// ---- worker threads (tier-up's background compiler) -------------------------------

// A thread that runs `entry(argument)` once and waits for work in between (tier-up).
struct Worker;

// Starts a worker running entry(argument). ErrorKind::Unsupported where the environment
// gives the engine no threads (the kernel, for now): callers then do the work inline or
// not at all.
Result<Worker*> start_worker(void (*entry)(Worker*, void* argument), void* argument);
// Wakes the worker if it waits in wait_for_work; a wake-up that comes first is kept.
void wake_worker(Worker*);
// On the worker: returns at once if woken since the last return, otherwise blocks until
// wake_worker. Spurious returns are allowed: the caller re-checks its own state.
void wait_for_work(Worker*);
// Waits until entry has returned, then frees the worker. The caller makes entry return
// (a flag it checks after each wait_for_work, then wake_worker).
void join_worker(Worker*);

// ---- parking (memory.atomic.wait / notify) ---------------------------------------

// The calling thread's parker: a one-bit token that unpark sets and park consumes. It
// lives as long as its thread (thread-local hosted, in the thread object in the
// kernel), so the engine's waiter records, which live on the waiting thread's stack,
// need no allocation (engine/runtime/waiter.h).
struct Parker;
Parker* current_parker();

enum class ParkResult : u8 {
    Unparked,    // the token was set (it is now clear again); may also be spurious
    TimedOut,    // monotonic_nanoseconds() reached the deadline
    Interrupted, // the environment wants the thread gone (the kernel's kill)
};

// Blocks the calling thread (whose parker `parker` is) until the token is set, the
// deadline (monotonic_nanoseconds(); ~0 = none) passes, or the environment interrupts
// it. A token set before the call makes it return at once. Spurious returns are allowed:
// the caller re-checks its own state.
ParkResult park(Parker* parker, u64 deadline_nanoseconds);
// Sets the token of `parker` and wakes its thread if it is parked. Callable from any
// thread while the parker's thread is known to live (the engine calls it with the waiter
// queue's lock held, which the waiter takes before it returns).
void unpark(Parker* parker);
// Clears the token (the engine calls it before it queues a waiter, so that a token left
// from an earlier wake-up cannot end the new wait early).
void clear_park_token(Parker* parker);

// ---- traps ----------------------------------------------------------------------

// Prepares the calling thread to run wasm code: hosted, installs the fault handlers
// (once per process) and an alternate signal stack (once per thread); the kernel has
// nothing to do. Cheap after the first call on a thread.
Result<void> prepare_thread_for_wasm();

// The innermost wasm activation of the calling thread, nullptr outside wasm code.
// Each environment keeps it per thread (thread_local hosted, the thread object in the
// kernel); it must be readable from the fault handler.
Activation* current_activation();
void set_current_activation(Activation*);

// The lowest stack address wasm code on the calling thread may use (VMContext
// stack_limit): the thread's stack end plus room for the host and builtin calls wasm
// code makes and for the fault handler where it runs on the same stack.
uptr wasm_stack_limit();

} // namespace wk::platform

namespace wk::engine {

// Why compiled code stopped. Zero means it did not. The values are part of the ABI:
// the compiler writes them into trap tables.
enum class TrapKind : u32 {
    None = 0,
    Unreachable,
    IntegerDivideByZero,
    IntegerOverflow,
    InvalidConversionToInteger,
    MemoryOutOfBounds,
    TableOutOfBounds,
    UndefinedElement,
    UninitializedElement,
    IndirectCallTypeMismatch,
    StackExhausted,
    NullFunctionReference,
    NullStructureReference,
    NullArrayReference,
    NullReference,
    IllegalCast,
    ArrayOutOfBounds,
    UnalignedAtomic,
    DataSegmentOutOfBounds,
    ElementSegmentOutOfBounds,
    NullExceptionReference,
    // Not a trap: an exception no handler in this activation caught (throw, throw_ref).
    UncaughtException,
    // Not a trap: host code ended the activation on purpose (WASI proc_exit) with
    // unwind_activation(); the embedder knows why (e.g. the exit status).
    Exit,
    // memory.atomic.wait on a memory that is not shared.
    ExpectedSharedMemory,
    // A lazily compiled function (CompileOptions::lazy) could not be compiled at its first
    // call: out of memory, its code did not fit the module's tier space, or an implementation
    // limit of the baseline.
    LazyCompileFailed,
    // i31.get_s/get_u on null.
    NullI31Reference,
    // A GC allocation beyond the store's GC heap limit (RuntimeLimits::max_store_gc_bytes)
    // or its memory budget, or an array whose size overflows.
    GcHeapExhausted,
    // struct.new_desc, ref.cast_desc_eq or br_on_cast_desc_eq(_fail) with a null descriptor.
    NullDescriptorReference,
    // ref.cast_desc_eq whose operand does not have the given descriptor.
    DescriptorCastFailure,
    Count,
};

// The spec interpreter's message for a trap kind ("out of bounds memory access", ...).
const char* trap_message(TrapKind);

// One trapping instruction: its offset from the start of its code range.
struct TrapEntry {
    u32 code_offset { 0 };
    TrapKind kind { TrapKind::None };
};

// One call site's stack map (docs/gc.md, "Stack maps"): while the call whose return
// address is at `code_offset` runs, the frame's slots holding references of the any and
// extern hierarchies are those the bitmap at `bitmap` in its range's stack_map_bits names.
// A bitmap is a header of three words, then the bits: the slot count n, the rbp-relative
// offset of slot 0 (an i32), the distance between slots (slot s lies at rbp + offset -
// stride * s), then ceil(n / 32) words, slot s at bit s % 32 of word s / 32.
struct StackMapEntry {
    u32 code_offset { 0 };
    u32 bitmap { 0 };
};
inline constexpr u32 kStackMapHeaderWords = 3;

// A range of executable wasm code (one CodeObject) and its trap table, sorted by
// code_offset. The registry keeps the pointer: the owner keeps the CodeRange, its
// tables and its code alive and unchanged from register_code_range() until
// unregister_code_range() returns.
struct CodeRange {
    uptr start { 0 };
    usize size { 0 };
    Span<const TrapEntry> traps;
    const void* owner { nullptr }; // the CodeObject (CodeObject::find)
    // Code offsets [functions_begin, functions_end) are compiled functions (the rest:
    // trampolines). Their call sites' stack maps, sorted by strictly increasing offset;
    // a call site without an entry has no map (the collector then does not run).
    u32 functions_begin { 0 };
    u32 functions_end { 0 };
    Span<const StackMapEntry> stack_maps;
    Span<const u32> stack_map_bits;
};

// Ranges must not overlap. Registration allocates; it is not for fault handlers.
Result<void> register_code_range(const CodeRange*);
// Waits until no fault handler still reads the old registry, so the caller may free
// the code afterwards.
void unregister_code_range(const CodeRange*);
// Bytes the registry holds (its published snapshot and its spare): none when nothing is
// registered, and about twice the live count's at most otherwise.
usize code_registry_bytes();

struct TrapSite {
    TrapKind kind { TrapKind::None };
    const CodeRange* range { nullptr };
    u32 code_offset { 0 };
};

// Async-signal-safe and lock-free: the trap site at exactly `pc`, if `pc` is a
// registered trapping instruction.
std::optional<TrapSite> lookup_trap_site(uptr pc);
// Async-signal-safe and lock-free: the registered range containing `pc`, or nullptr. The
// one registry of compiled code (CodeObject::find reads it too). The range is its owner's:
// the caller must know that the code cannot be unregistered meanwhile (a frame of it on
// the stack, its module alive).
const CodeRange* code_range_at(uptr pc);
// Whether `pc` lies in any registered code range.
bool is_wasm_code(uptr pc);

// The per-thread record of one entry into wasm code (from the host or the runtime).
// The entry trampoline fills saved_rsp/saved_rbp/landing_pc before it calls wasm code;
// a trap resumes at landing_pc with rsp = saved_rsp, rbp = saved_rbp, eax = the trap
// kind, after the fault handler wrote trap_kind, trap_pc, trap_fp and fault_address.
// The landing restores the callee-saved registers the trampoline pushed below
// saved_rsp, so wasm code may clobber them freely. Offsets are ABI (static_asserts in
// engine/runtime/trap.cpp and docs/engine-abi.md).
struct Activation {
    u64 saved_rsp { 0 };             // 0
    u64 saved_rbp { 0 };             // 8
    u64 landing_pc { 0 };            // 16
    TrapKind trap_kind { TrapKind::None }; // 24
    u32 reserved { 0 };              // 28
    u64 trap_pc { 0 };               // 32
    u64 trap_fp { 0 };               // 40: rbp at the fault; the wasm backtrace starts here
    u64 fault_address { 0 };         // 48: the faulting data address, when there is one
    Activation* previous { nullptr }; // 56: the enclosing activation (wasm → host → wasm)
    // Filled by the fault handler while the wasm frames still exist: the trapping PC,
    // then the return address of each wasm frame (innermost first), at most `capacity`.
    uptr* backtrace { nullptr };     // 64
    u32 backtrace_capacity { 0 };    // 72
    u32 backtrace_count { 0 };       // 76
};

// The machine state of a fault, as the environment's handler saw it.
struct FaultState {
    uptr pc { 0 };
    uptr sp { 0 };
    uptr fp { 0 };
    uptr fault_address { 0 };
    u64 rax { 0 };
    // Read only by stack_check_fault (x86-64: the baseline's stack check keeps the address
    // its frame needs in r11 and the VMContext in rdi); environments that never grow stacks
    // leave them 0.
    u64 r11 { 0 };
    u64 rdi { 0 };
};

// The fault handler's one question. When `state.pc` is a registered trap site and the
// thread has an activation, records the trap in the activation, rewrites `state` to
// resume at its landing (pc, sp, fp, rax = trap kind) and returns true. Otherwise
// returns false and changes nothing: the fault is not a wasm trap and must not be
// swallowed. Async-signal-safe.
bool redirect_fault_to_trap(FaultState& state);

// A function's prologue stack check that failed: its frame needs the stack down to
// `needed`, below the `stack_limit` of `vmctx`.
struct StackCheckFault {
    uptr needed { 0 };
    void* vmctx { nullptr };
    uptr resume_pc { 0 }; // where the function goes on, past its check
};

// For environments whose stacks grow on demand (the kernel): when `state.pc` is the trap
// site of a prologue stack check of compiled code, describes it; otherwise nullopt. The
// environment may then make the stack down to `needed` usable and call
// resume_stack_check instead of redirect_fault_to_trap. Async-signal-safe.
std::optional<StackCheckFault> stack_check_fault(const FaultState& state);

// Sets the checked VMContext's stack_limit to `limit` (at most fault.needed, so the
// function's frame now fits) and moves `state.pc` past the check.
void resume_stack_check(const StackCheckFault& fault, uptr limit, FaultState& state);

} // namespace wk::engine
