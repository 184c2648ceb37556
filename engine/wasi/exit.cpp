#include "engine/wasi/exit.h"

#include <cstddef>

namespace wk::engine::wasi {

static_assert(offsetof(Activation, saved_rsp) == 0);
static_assert(offsetof(Activation, saved_rbp) == 8);
static_assert(offsetof(Activation, landing_pc) == 16);
static_assert(offsetof(Activation, trap_kind) == 24);

extern "C" [[noreturn]] void wk_wasi_resume_landing(Activation* activation, u32 kind);

void unwind_activation(Activation* activation, TrapKind kind)
{
    activation->trap_kind = kind;
    activation->trap_pc = 0;
    activation->trap_fp = 0;
    activation->fault_address = 0;
    wk_wasi_resume_landing(activation, static_cast<u32>(kind));
}

void unwind_on_exit(void*, u32)
{
    Activation* activation = platform::current_activation();
    if (activation)
        unwind_activation(activation, kExitTrapKind);
}

} // namespace wk::engine::wasi

#if defined(__x86_64__)
// rdi = activation, esi = kind: rsp and rbp as the entry trampoline recorded them, eax =
// the kind, then the landing (docs/engine-abi.md, "Traps").
extern "C" [[gnu::naked]] void wk_wasi_resume_landing(wk::engine::Activation*, wk::u32)
{
    asm("movq 0(%rdi), %rsp\n\t"
        "movq 8(%rdi), %rbp\n\t"
        "movl %esi, %eax\n\t"
        "jmpq *16(%rdi)\n\t");
}
#else
#    error "wk_wasi_resume_landing: no landing resume for this architecture yet"
#endif
