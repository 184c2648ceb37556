// engine/platform.h on Linux: faults in wasm code become traps.
//
// SIGSEGV, SIGBUS, SIGILL and SIGFPE run one handler, on a per-thread alternate signal
// stack (the fault may be a stack overflow). It asks the engine whether the faulting PC
// is a trap site of registered wasm code with an activation on this thread; if so it
// rewrites the ucontext so that sigreturn resumes at the activation's landing, which
// also restores the signal mask. Otherwise the fault is not ours: it goes to the
// previous handler, or, if that was the default, the default action is restored and the
// fault happens again (or the signal is re-raised), so the process dies as it would
// have without us.
#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>
#include <pthread.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "engine/platform.h"
#include "hosted/platform/wasm_stack.h"

namespace wk::platform {

namespace {

constexpr int kSignals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
constexpr usize kSignalCount = sizeof(kSignals) / sizeof(kSignals[0]);

struct sigaction g_previous[kSignalCount];
std::once_flag g_install_once;
bool g_install_failed = false;

__attribute__((tls_model("initial-exec"))) thread_local Activation* t_activation = nullptr;

usize signal_slot(int signal)
{
    for (usize i = 0; i < kSignalCount; ++i) {
        if (kSignals[i] == signal)
            return i;
    }
    return kSignalCount;
}

void forward_fault(int signal, siginfo_t* info, void* context)
{
    usize slot = signal_slot(signal);
    const struct sigaction& previous = g_previous[slot];
    if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
        previous.sa_sigaction(signal, info, context);
        return;
    }
    if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN && previous.sa_handler) {
        previous.sa_handler(signal);
        return;
    }
    // Default (or ignored, which a synchronous fault cannot honour): restore the default
    // action. Returning re-executes the faulting instruction, which faults again and
    // kills the process; a signal sent by kill()/raise() is not re-triggered that way.
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(signal, &fallback, nullptr);
    if (info->si_code <= 0)
        raise(signal);
}

void handle_fault(int signal, siginfo_t* info, void* raw_context)
{
    auto* context = static_cast<ucontext_t*>(raw_context);
    greg_t* registers = context->uc_mcontext.gregs;
    engine::FaultState state;
    state.pc = static_cast<uptr>(registers[REG_RIP]);
    state.sp = static_cast<uptr>(registers[REG_RSP]);
    state.fp = static_cast<uptr>(registers[REG_RBP]);
    state.rax = static_cast<u64>(registers[REG_RAX]);
    if (signal == SIGSEGV || signal == SIGBUS)
        state.fault_address = reinterpret_cast<uptr>(info->si_addr);
    if (info->si_code > 0 && engine::redirect_fault_to_trap(state)) {
        registers[REG_RIP] = static_cast<greg_t>(state.pc);
        registers[REG_RSP] = static_cast<greg_t>(state.sp);
        registers[REG_RBP] = static_cast<greg_t>(state.fp);
        registers[REG_RAX] = static_cast<greg_t>(state.rax);
        return;
    }
    forward_fault(signal, info, raw_context);
}

void install_handlers()
{
    for (usize i = 0; i < kSignalCount; ++i) {
        struct sigaction action {};
        action.sa_sigaction = handle_fault;
        action.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&action.sa_mask);
        if (sigaction(kSignals[i], &action, &g_previous[i]) != 0)
            g_install_failed = true;
    }
}

// The calling thread's alternate signal stack, with a guard page below it; removed when
// the thread exits.
class AlternateStack {
public:
    ~AlternateStack()
    {
        if (!m_mapping)
            return;
        stack_t disable {};
        disable.ss_flags = SS_DISABLE;
        stack_t current {};
        // Only take it down if it is still ours (something else may have replaced it).
        if (sigaltstack(nullptr, &current) == 0 && current.ss_sp == m_stack)
            sigaltstack(&disable, nullptr);
        munmap(m_mapping, m_mapping_size);
    }

    Result<void> ensure()
    {
        if (m_mapping)
            return {};
        stack_t current {};
        if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE) && current.ss_size >= kMinimumSize)
            return {}; // the thread already has one that is big enough
        usize page = page_size();
        usize size = kStackSize;
        m_mapping_size = size + page;
        m_mapping = mmap(nullptr, m_mapping_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m_mapping == MAP_FAILED) {
            m_mapping = nullptr;
            return Error::from("cannot allocate the alternate signal stack", ErrorKind::OutOfMemory);
        }
        mprotect(m_mapping, page, PROT_NONE);
        m_stack = static_cast<u8*>(m_mapping) + page;
        stack_t stack {};
        stack.ss_sp = m_stack;
        stack.ss_size = size;
        stack.ss_flags = 0;
        if (sigaltstack(&stack, nullptr) != 0) {
            munmap(m_mapping, m_mapping_size);
            m_mapping = nullptr;
            return Error::from("cannot install the alternate signal stack", ErrorKind::Io);
        }
        return {};
    }

private:
    static constexpr usize kStackSize = 64 * 1024;
    static constexpr usize kMinimumSize = 16 * 1024;
    void* m_mapping { nullptr };
    usize m_mapping_size { 0 };
    void* m_stack { nullptr };
};

thread_local AlternateStack t_alternate_stack;
thread_local bool t_prepared = false;

} // namespace

Result<void> prepare_thread_for_wasm()
{
    if (t_prepared) [[likely]]
        return {};
    std::call_once(g_install_once, install_handlers);
    if (g_install_failed)
        return Error::from("cannot install the fault handlers", ErrorKind::Io);
    TRY(t_alternate_stack.ensure());
    t_prepared = true;
    return {};
}

Activation* current_activation() { return t_activation; }

void set_current_activation(Activation* activation) { t_activation = activation; }

} // namespace wk::platform

namespace wk::platform {

namespace {

uptr compute_stack_limit()
{
    volatile u8 marker = 0;
    uptr sp = reinterpret_cast<uptr>(&marker);
    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) != 0)
        return sp; // unknown bounds: wasm code traps at its first call
    void* low = nullptr;
    size_t size = 0;
    int status = pthread_attr_getstack(&attributes, &low, &size);
    pthread_attr_destroy(&attributes);
    uptr bottom = reinterpret_cast<uptr>(low);
    // NOTE: a stack too small for the host reserve (`ulimit -s 256` on the main thread)
    // gets a limit at the current stack pointer, so wasm code traps at once instead of
    // running unchecked into the end of the stack.
    if (status != 0 || size <= kHostStackReserve || sp < bottom + kHostStackReserve)
        return sp;
    uptr limit = bottom + kHostStackReserve;
    // NOTE: an unlimited or huge stack (`ulimit -s unlimited`) still gives wasm code at
    // most kWasmStackBytes below the point where this thread first asked, so infinite
    // recursion traps after a bounded amount of memory.
    if (sp - limit > kWasmStackBytes)
        limit = sp - kWasmStackBytes;
    return limit;
}

thread_local uptr t_stack_limit = 0;

void* run_thread(void* raw)
{
    auto* call = static_cast<WasmStackCall*>(raw);
    call->status = call->function(call->argument);
    return nullptr;
}

} // namespace

uptr wasm_stack_limit()
{
    if (t_stack_limit == 0) [[unlikely]]
        t_stack_limit = compute_stack_limit();
    return t_stack_limit;
}

Result<int> run_on_wasm_stack(int (*function)(void*), void* argument)
{
    pthread_attr_t attributes;
    if (pthread_attr_init(&attributes) != 0)
        return Error::from("cannot create the wasm thread", ErrorKind::OutOfMemory);
    // glibc maps the stack with a guard page below it, whatever RLIMIT_STACK says.
    int status = pthread_attr_setstacksize(&attributes, kWasmThreadStackBytes);
    WasmStackCall call { function, argument, 0 };
    pthread_t thread;
    if (status == 0)
        status = pthread_create(&thread, &attributes, run_thread, &call);
    pthread_attr_destroy(&attributes);
    if (status != 0)
        return Error::from("cannot create the wasm thread", ErrorKind::OutOfMemory);
    pthread_join(thread, nullptr);
    return call.status;
}

} // namespace wk::platform
