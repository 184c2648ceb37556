#include "engine/runtime/trap.h"

#include <atomic>
#include <cstddef>
#include <utility>

#include "base/allocator.h"
#include "base/lock.h"
#include "engine/runtime/vm.h"

namespace wk::engine {

static_assert(offsetof(Activation, saved_rsp) == 0);
static_assert(offsetof(Activation, saved_rbp) == 8);
static_assert(offsetof(Activation, landing_pc) == 16);
static_assert(offsetof(Activation, trap_kind) == 24);
static_assert(offsetof(Activation, trap_pc) == 32);
static_assert(offsetof(Activation, trap_fp) == 40);
static_assert(offsetof(Activation, fault_address) == 48);
static_assert(offsetof(Activation, previous) == 56);
static_assert(offsetof(Activation, backtrace) == 64);
static_assert(offsetof(Activation, backtrace_count) == 76);

const char* trap_message(TrapKind kind)
{
    switch (kind) {
    case TrapKind::None: return "no trap";
    case TrapKind::Unreachable: return "unreachable";
    case TrapKind::IntegerDivideByZero: return "integer divide by zero";
    case TrapKind::IntegerOverflow: return "integer overflow";
    case TrapKind::InvalidConversionToInteger: return "invalid conversion to integer";
    case TrapKind::MemoryOutOfBounds: return "out of bounds memory access";
    case TrapKind::TableOutOfBounds: return "out of bounds table access";
    case TrapKind::UndefinedElement: return "undefined element";
    case TrapKind::UninitializedElement: return "uninitialized element";
    case TrapKind::IndirectCallTypeMismatch: return "indirect call type mismatch";
    case TrapKind::StackExhausted: return "call stack exhausted";
    case TrapKind::NullFunctionReference: return "null function reference";
    case TrapKind::NullStructureReference: return "null structure reference";
    case TrapKind::NullArrayReference: return "null array reference";
    case TrapKind::NullReference: return "null reference";
    case TrapKind::IllegalCast: return "cast failure";
    case TrapKind::ArrayOutOfBounds: return "out of bounds array access";
    case TrapKind::UnalignedAtomic: return "unaligned atomic";
    case TrapKind::DataSegmentOutOfBounds: return "out of bounds memory access";
    case TrapKind::ElementSegmentOutOfBounds: return "out of bounds table access";
    case TrapKind::NullExceptionReference: return "null exception reference";
    case TrapKind::UncaughtException: return "uncaught exception";
    case TrapKind::Exit: return "exit";
    case TrapKind::ExpectedSharedMemory: return "expected shared memory";
    case TrapKind::LazyCompileFailed: return "a function could not be compiled at its first call";
    case TrapKind::NullI31Reference: return "null i31 reference";
    case TrapKind::GcHeapExhausted: return "out of memory: GC heap exhausted";
    case TrapKind::NullDescriptorReference: return "null descriptor reference";
    case TrapKind::DescriptorCastFailure: return "descriptor cast failure";
    case TrapKind::Count: break;
    }
    return "unknown trap";
}

// ---- the code-range registry --------------------------------------------------
//
// The one registry of compiled code: fault handlers read it (lookup_trap_site, is_wasm_code),
// and so do backtraces and exception unwinding (code_range_at, through CodeObject::find).
// NOTE: fault handlers may interrupt anything, including a writer on the same thread; so
// readers take no lock (a reader in a thread may be preempted: a writer then spins until it
// runs again, as it would have waited for a lock). The registry is an immutable snapshot
// (ranges sorted by start) behind an atomic pointer. A writer, under a lock, builds the
// next snapshot, swaps it in, then waits until no reader is inside any snapshot
// before freeing the old one. Readers announce themselves in g_readers before loading
// the pointer, so a reader that may still hold the old snapshot keeps g_readers > 0.

namespace {

struct Snapshot {
    usize count;
    usize capacity;
    const CodeRange* ranges[1]; // `capacity` slots, allocated past the end
};

std::atomic<Snapshot*> g_snapshot { nullptr };
std::atomic<u32> g_readers { 0 };
SpinLock g_writer_lock;
// NOTE: unregistering must not fail (its caller is about to free code and cannot take a
// refusal), so a writer keeps the snapshot it replaced as a spare: invariant (under
// g_writer_lock) — a spare with capacity >= the published count - 1 exists whenever that
// count is 1 or more. The replaced snapshot had capacity >= its count, which is the new count
// plus or minus one. The spare follows the live count instead of its high-water mark: one
// much larger than needed is replaced by a fresh snapshot when the allocator gives one, and an
// empty registry holds no memory (leak checks compare the heap before and after workloads
// whose peak number of code objects varies with timing, such as tier-up).
Snapshot* g_spare { nullptr };

usize snapshot_bytes(usize capacity)
{
    return offsetof(Snapshot, ranges) + (capacity ? capacity : 1) * sizeof(const CodeRange*);
}

Snapshot* allocate_snapshot(usize count)
{
    void* memory = default_allocator().allocate(snapshot_bytes(count), alignof(Snapshot));
    if (!memory)
        return nullptr;
    auto* snapshot = static_cast<Snapshot*>(memory);
    snapshot->count = count;
    snapshot->capacity = count;
    return snapshot;
}

void free_snapshot(Snapshot* snapshot)
{
    if (snapshot)
        default_allocator().deallocate(snapshot, snapshot_bytes(snapshot->capacity), alignof(Snapshot));
}

bool oversized(const Snapshot& snapshot, usize count) { return snapshot.capacity > 2 * count + 16; }

// A snapshot for `count` ranges: the spare when it has room and is not oversized, else a new
// one, else the spare if it has room (nullptr when neither).
Snapshot* take_snapshot(usize count)
{
    bool spare_fits = g_spare && g_spare->capacity >= count;
    Snapshot* snapshot = spare_fits && !oversized(*g_spare, count) ? nullptr : allocate_snapshot(count);
    if (!snapshot && spare_fits) {
        snapshot = std::exchange(g_spare, nullptr);
        snapshot->count = count;
    }
    return snapshot;
}

// Keeps `replaced` (the snapshot just unpublished) as the spare and frees the previous
// spare; with nothing published, keeps neither.
void keep_spare(Snapshot* replaced, usize published_count)
{
    free_snapshot(std::exchange(g_spare, published_count ? replaced : nullptr));
    if (!published_count)
        free_snapshot(replaced);
}

// Publishes `next` and, once no reader can see the previous snapshot, keeps it as the spare.
void publish(Snapshot* next)
{
    Snapshot* previous = g_snapshot.exchange(next, std::memory_order_seq_cst);
    while (g_readers.load(std::memory_order_seq_cst) != 0)
        cpu_relax();
    keep_spare(previous, next ? next->count : 0);
}

class ReaderScope {
public:
    ReaderScope() { g_readers.fetch_add(1, std::memory_order_seq_cst); }
    ~ReaderScope() { g_readers.fetch_sub(1, std::memory_order_seq_cst); }
    ReaderScope(const ReaderScope&) = delete;
    ReaderScope& operator=(const ReaderScope&) = delete;
};

// The range containing pc, or nullptr.
const CodeRange* find_range(const Snapshot* snapshot, uptr pc)
{
    if (!snapshot)
        return nullptr;
    usize low = 0;
    usize high = snapshot->count;
    while (low < high) {
        usize middle = low + (high - low) / 2;
        const CodeRange* range = snapshot->ranges[middle];
        if (pc < range->start)
            high = middle;
        else if (pc - range->start >= range->size)
            low = middle + 1;
        else
            return range;
    }
    return nullptr;
}

} // namespace

Result<void> register_code_range(const CodeRange* range)
{
    if (!range || range->size == 0 || range->start + range->size < range->start)
        return Error::from("invalid code range", ErrorKind::OutOfRange);
    for (usize i = 1; i < range->traps.size(); ++i) {
        if (range->traps[i - 1].code_offset >= range->traps[i].code_offset)
            return Error::from("trap table is not sorted", ErrorKind::Invalid);
    }
    if (!range->traps.empty() && range->traps.back().code_offset >= range->size)
        return Error::from("trap site outside its code range", ErrorKind::OutOfRange);

    LockGuard guard(g_writer_lock);
    Snapshot* current = g_snapshot.load(std::memory_order_acquire);
    usize count = current ? current->count : 0;
    Snapshot* next = take_snapshot(count + 1);
    if (!next)
        return Error::out_of_memory();
    usize out = 0;
    bool inserted = false;
    for (usize i = 0; i < count; ++i) {
        const CodeRange* existing = current->ranges[i];
        if (existing == range || (range->start < existing->start + existing->size && existing->start < range->start + range->size)) {
            keep_spare(next, count);
            return Error::from("code range overlaps a registered one", ErrorKind::Invalid);
        }
        if (!inserted && range->start < existing->start) {
            next->ranges[out++] = range;
            inserted = true;
        }
        next->ranges[out++] = existing;
    }
    if (!inserted)
        next->ranges[out++] = range;
    publish(next);
    return {};
}

void unregister_code_range(const CodeRange* range)
{
    LockGuard guard(g_writer_lock);
    Snapshot* current = g_snapshot.load(std::memory_order_acquire);
    if (!current)
        return;
    usize index = current->count;
    for (usize i = 0; i < current->count; ++i) {
        if (current->ranges[i] == range)
            index = i;
    }
    if (index == current->count)
        return;
    Snapshot* next = nullptr;
    if (current->count > 1) {
        // NOTE: never fails: the spare fits when the allocator refuses (see g_spare).
        next = take_snapshot(current->count - 1);
        WK_ASSERT(next != nullptr);
        usize out = 0;
        for (usize i = 0; i < current->count; ++i) {
            if (i != index)
                next->ranges[out++] = current->ranges[i];
        }
    }
    publish(next);
}

usize code_registry_bytes()
{
    LockGuard guard(g_writer_lock);
    const Snapshot* current = g_snapshot.load(std::memory_order_acquire);
    return (current ? snapshot_bytes(current->capacity) : 0) + (g_spare ? snapshot_bytes(g_spare->capacity) : 0);
}

std::optional<TrapSite> lookup_trap_site(uptr pc)
{
    ReaderScope reader;
    const CodeRange* range = find_range(g_snapshot.load(std::memory_order_seq_cst), pc);
    if (!range)
        return std::nullopt;
    u64 offset = pc - range->start;
    usize low = 0;
    usize high = range->traps.size();
    while (low < high) {
        usize middle = low + (high - low) / 2;
        u32 site = range->traps[middle].code_offset;
        if (site == offset)
            return TrapSite { range->traps[middle].kind, range, site };
        if (site < offset)
            low = middle + 1;
        else
            high = middle;
    }
    return std::nullopt;
}

const CodeRange* code_range_at(uptr pc)
{
    ReaderScope reader;
    return find_range(g_snapshot.load(std::memory_order_seq_cst), pc);
}

bool is_wasm_code(uptr pc) { return code_range_at(pc) != nullptr; }

namespace {

// Walks the frame-pointer chain of the wasm frames between the fault and the entry
// trampoline. Every wasm frame is `push rbp; mov rbp, rsp`, so [fp] is the caller's fp
// and [fp + 8] its return address. Only addresses inside [fault sp, saved_rsp) are
// read: that is live stack of this activation, so the walk cannot fault even if a
// frame is corrupt, and fp must strictly grow, so it ends.
void record_backtrace(Activation& activation, const FaultState& state)
{
    activation.backtrace_count = 0;
    if (!activation.backtrace || activation.backtrace_capacity == 0)
        return;
    activation.backtrace[activation.backtrace_count++] = state.pc;
    uptr low = state.sp;
    uptr high = static_cast<uptr>(activation.saved_rsp);
    uptr fp = state.fp;
    while (activation.backtrace_count < activation.backtrace_capacity) {
        if (fp < low || fp % 8 != 0 || fp > high - 16 || high < 16)
            break;
        uptr return_address = reinterpret_cast<const uptr*>(fp)[1];
        if (!is_wasm_code(return_address))
            break;
        activation.backtrace[activation.backtrace_count++] = return_address;
        uptr caller_fp = reinterpret_cast<const uptr*>(fp)[0];
        if (caller_fp <= fp)
            break;
        fp = caller_fp;
    }
}

} // namespace

bool redirect_fault_to_trap(FaultState& state)
{
    Activation* activation = platform::current_activation();
    if (!activation || activation->landing_pc == 0)
        return false;
    auto site = lookup_trap_site(state.pc);
    if (!site || site->kind == TrapKind::None || site->kind >= TrapKind::Count)
        return false;
    LandingState landing = leave_at_landing(*activation, site->kind);
    activation->trap_pc = state.pc;
    activation->trap_fp = state.fp;
    activation->fault_address = state.fault_address;
    record_backtrace(*activation, state);
    state.pc = landing.pc;
    state.sp = landing.sp;
    state.fp = landing.fp;
    state.rax = landing.rax;
    return true;
}

std::optional<StackCheckFault> stack_check_fault(const FaultState& state)
{
    auto site = lookup_trap_site(state.pc);
    if (!site || site->kind != TrapKind::StackExhausted || state.rdi == 0)
        return std::nullopt;
#if defined(__x86_64__)
    // The baseline's stub: ud2 (0F 0B), then a jmp (EB rel8 or E9 rel32) back past the check
    // (engine/x64/baseline/baseline_compiler.h, the note on the stack check).
    const u8* code = reinterpret_cast<const u8*>(state.pc);
    if (code[0] != 0x0F || code[1] != 0x0B || (code[2] != 0xEB && code[2] != 0xE9))
        return std::nullopt;
    return StackCheckFault { static_cast<uptr>(state.r11), reinterpret_cast<void*>(state.rdi), state.pc + 2 };
#else
    return std::nullopt;
#endif
}

void resume_stack_check(const StackCheckFault& fault, uptr limit, FaultState& state)
{
    WK_ASSERT(limit <= fault.needed);
    u64 value = limit;
    __builtin_memcpy(static_cast<u8*>(fault.vmctx) + runtime::VMOffsets::kStackLimit, &value, sizeof(value));
    state.pc = fault.resume_pc;
}

// ---- entry into native code -----------------------------------------------------

extern "C" [[noreturn]] void wk_resume_at_landing(Activation* activation, u32 kind);

LandingState leave_at_landing(Activation& activation, TrapKind kind)
{
    WK_ASSERT(activation.landing_pc != 0);
    activation.trap_kind = kind;
    activation.trap_pc = 0;
    activation.trap_fp = 0;
    activation.fault_address = 0;
    activation.backtrace_count = 0;
    return { static_cast<uptr>(activation.landing_pc), static_cast<uptr>(activation.saved_rsp),
             static_cast<uptr>(activation.saved_rbp), static_cast<u64>(kind) };
}

void unwind_activation(Activation* activation, TrapKind kind)
{
    WK_ASSERT(activation);
    leave_at_landing(*activation, kind);
    // The assembly resumes with the same registers leave_at_landing described.
    wk_resume_at_landing(activation, static_cast<u32>(kind));
}

Result<NativeCallResult> call_native(const void* code, u64 arg0, u64 arg1, u64 arg2)
{
    TRY(platform::prepare_thread_for_wasm());
    uptr frames[TrapInfo::kMaxFrames];
    Activation activation;
    activation.backtrace = frames;
    activation.backtrace_capacity = TrapInfo::kMaxFrames;
    activation.previous = platform::current_activation();
    platform::set_current_activation(&activation);
    u64 value = wk_enter_native(&activation, code, arg0, arg1, arg2);
    platform::set_current_activation(activation.previous);

    NativeCallResult result;
    if (activation.trap_kind != TrapKind::None) {
        TrapInfo& trap = result.trap.emplace();
        trap.kind = activation.trap_kind;
        trap.pc = static_cast<uptr>(activation.trap_pc);
        trap.fp = static_cast<uptr>(activation.trap_fp);
        trap.fault_address = static_cast<uptr>(activation.fault_address);
        trap.frame_count = activation.backtrace_count;
        for (u32 i = 0; i < trap.frame_count; ++i)
            trap.frames[i] = frames[i];
    } else {
        result.value = value;
    }
    return result;
}

} // namespace wk::engine

#if defined(__x86_64__)
// The retpoline thunk of the host side (docs/baseline-compiler.md, "Speculation"): jump to
// r11 through a return, whose prediction the thunk's own call points at a pause/lfence loop.
asm(R"(
    .text
    .p2align 4
    .globl wk_retpoline_r11
    .hidden wk_retpoline_r11
    .type wk_retpoline_r11, @function
wk_retpoline_r11:
    call 1f
2:  pause
    lfence
    jmp 2b
    .p2align 4
1:  movq %r11, (%rsp)
    ret
    .size wk_retpoline_r11, . - wk_retpoline_r11
)");

// rdi = activation, rsi = code, rdx/rcx/r8 = arguments. See trap.h.
extern "C" [[gnu::naked]] wk::u64 wk_enter_native(wk::engine::Activation*, const void*, wk::u64, wk::u64, wk::u64)
{
    asm(
        "pushq %rbp\n\t"
        "movq %rsp, %rbp\n\t"
        "pushq %rbx\n\t"
        "pushq %r12\n\t"
        "pushq %r13\n\t"
        "pushq %r14\n\t"
        "pushq %r15\n\t"
        "subq $8, %rsp\n\t"
        "movq %rsp, 0(%rdi)\n\t"
        "movq %rbp, 8(%rdi)\n\t"
        "leaq 1f(%rip), %rax\n\t"
        "movq %rax, 16(%rdi)\n\t"
        "movq %rsi, %r11\n\t"
        "movq %rdx, %rdi\n\t"
        "movq %rcx, %rsi\n\t"
        "movq %r8, %rdx\n\t"
        "callq wk_retpoline_r11\n"
        "1:\n\t"
        "addq $8, %rsp\n\t"
        "popq %r15\n\t"
        "popq %r14\n\t"
        "popq %r13\n\t"
        "popq %r12\n\t"
        "popq %rbx\n\t"
        "popq %rbp\n\t"
        "retq\n\t");
}

// rdi = activation, esi = kind: rsp and rbp as the entry trampoline recorded them,
// eax = the kind, then the landing.
extern "C" [[gnu::naked]] void wk_resume_at_landing(wk::engine::Activation*, wk::u32)
{
    asm("movq 0(%rdi), %rsp\n\t"
        "movq 8(%rdi), %rbp\n\t"
        "movl %esi, %eax\n\t"
        "movq 16(%rdi), %r11\n\t"
        "jmp wk_retpoline_r11\n\t");
}
#else
#    error "wk_enter_native: no entry trampoline for this architecture yet"
#endif
