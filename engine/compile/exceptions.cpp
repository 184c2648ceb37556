#include "engine/compile/exceptions.h"

#include "engine/compile/code_object.h"
#include "engine/platform.h"
#include "engine/runtime/gc_roots.h"
#include "engine/runtime/global.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/store.h"

namespace wk::engine::compile {

namespace {

// What the entry saves, lowest address first: the throwing frame's rbp, the caller's
// r13, r12 and rbx (wasm code never changes them, so they are the host's), and the
// return address into the throw site.
struct SavedState {
    uptr rbp;
    u64 r13;
    u64 r12;
    u64 rbx;
    uptr return_address;
};

// The frame layout of compiled functions (engine/x64/baseline/baseline_compiler.h):
// each saves its caller's r14 (vmctx) at rbp - 8.
constexpr uptr kSavedCallerVmctx = 8; // below rbp

// A new exception of tag `tag` (a Tag*) with the `count` values at first_value - 16 k,
// allocated in the store's GC heap at the throw's safe point (docs/gc.md, "Safe points"):
// a collection first when the trigger says so, one more try after a collection when the
// heap is full. The values are the builtin's to root while it collects. Null when the heap
// cannot hold it.
runtime::VMException* new_exception(runtime::VMContext* vmctx, const void* tag, const u8* first_value, u64 count,
                                    const SavedState* saved)
{
    runtime::Store& store = runtime::Instance::from_vmctx(vmctx).store();
    runtime::GcHeldValues held;
    held.types = store.types().params(static_cast<const runtime::Tag*>(tag)->type_id());
    held.count = count < held.types.size() ? count : held.types.size();
    held.values.base = reinterpret_cast<const runtime::VMVal*>(first_value);
    held.values.stride = -1;
    runtime::collect_at_allocation(vmctx, saved->rbp, saved->return_address, held, false);
    auto created = store.create_exception(tag, static_cast<u32>(count));
    if (!created && runtime::collect_at_allocation(vmctx, saved->rbp, saved->return_address, held, true))
        created = store.create_exception(tag, static_cast<u32>(count));
    if (!created)
        return nullptr;
    runtime::VMException* exception = *created;
    for (u64 k = 0; k < count; ++k)
        __builtin_memcpy(&exception->values()[k], first_value - 16 * k, sizeof(runtime::VMVal));
    return exception;
}

} // namespace

extern "C" {

// Defined in the assembly below.
u32 wk_exception_throw_entry(runtime::VMContext*, const void*, const u8*, u64, u64);
[[noreturn]] void wk_exception_resume(uptr rsp, uptr rbp, uptr pc, runtime::VMException*, runtime::VMContext*,
                                      const SavedState*);

__attribute__((visibility("hidden"))) u32 wk_exception_throw(runtime::VMContext* vmctx, const void* tag_or_exception,
                                                             const u8* first_value, u64 count, u64 rethrow,
                                                             const SavedState* saved)
{
    runtime::VMException* exception = nullptr;
    if (rethrow) {
        exception = static_cast<runtime::VMException*>(const_cast<void*>(tag_or_exception));
    } else {
        exception = new_exception(vmctx, tag_or_exception, first_value, count, saved);
        if (!exception)
            return static_cast<u32>(TrapKind::GcHeapExhausted);
    }

    uptr pc = saved->return_address;
    uptr fp = saved->rbp;
    runtime::VMContext* frame_vmctx = vmctx;
    const CodeObject* object = nullptr;
    for (;;) {
        // A return address follows its call; the call itself sits in the range. Callers
        // are mostly in the callee's module: ask the code registry (a binary search over
        // every registered range) only when the pc leaves it. The frames on the stack keep
        // it alive.
        if (!object || !object->contains(pc - 1))
            object = CodeObject::find(pc - 1);
        if (!object || !object->function_at(pc - 1))
            break; // not a compiled function: the activation's boundary
        if (auto handler = object->handler_at(pc - 1); handler && handler->landing != kNoLanding) {
            wk_exception_resume(fp - handler->frame_size, fp, reinterpret_cast<uptr>(object->address(handler->landing)),
                                exception, frame_vmctx, saved);
        }
        frame_vmctx = *reinterpret_cast<runtime::VMContext* const*>(fp - kSavedCallerVmctx);
        pc = *reinterpret_cast<const uptr*>(fp + 8);
        fp = *reinterpret_cast<const uptr*>(fp);
    }
    return static_cast<u32>(TrapKind::UncaughtException);
}

} // extern "C"

// The entry keeps the System V arguments, saves rbx, r12, r13 and rbp above the return
// address (SavedState), and passes their address as the sixth argument. Entered with
// rsp = 8 mod 16; four pushes and 8 more bytes realign it for the call.
//
// The resume restores the host's callee-saved registers, switches to the catching
// frame, reloads its memory 0 base from its vmctx (VMOffsets::kMemory0Base = 0) and
// jumps to the landing pad with the exception in rax.
asm(R"(
    .text
    .p2align 4
    .globl wk_exception_throw_entry
    .hidden wk_exception_throw_entry
    .type wk_exception_throw_entry, @function
wk_exception_throw_entry:
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %rbp
    movq %rsp, %r9
    subq $8, %rsp
    call wk_exception_throw
    addq $8, %rsp
    popq %rbp
    popq %r13
    popq %r12
    popq %rbx
    ret
    .size wk_exception_throw_entry, . - wk_exception_throw_entry

    .p2align 4
    .globl wk_exception_resume
    .hidden wk_exception_resume
    .type wk_exception_resume, @function
wk_exception_resume:
    movq 24(%r9), %rbx
    movq 16(%r9), %r12
    movq 8(%r9), %r13
    movq %rdi, %rsp
    movq %rsi, %rbp
    movq %r8, %r14
    movq (%r14), %r15
    movq %rcx, %rax
    movq %rdx, %r11
    jmp wk_retpoline_r11
    .size wk_exception_resume, . - wk_exception_resume
)");

const void* throw_entry() { return reinterpret_cast<const void*>(&wk_exception_throw_entry); }

} // namespace wk::engine::compile
