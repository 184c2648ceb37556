#pragma once

#include "base/errno.h"
#include "base/ref_ptr.h"
#include "base/span.h"
#include "base/types.h"
#include "engine/runtime/vm.h"
#include "engine/types.h"
#include "kernel/object/kernel_object.h"
#include "kernel/sched/thread.h"

namespace wk::engine::runtime {
class Store;
class Instance;
} // namespace wk::engine::runtime
namespace wk::engine::wasi {
class WasiContext;
}

// Direct cross-process calls (docs/kernel-objects.md, "Direct calls"): a service offers
// functions of its own instance; a client holding a call handle runs one on the client's own
// thread, with the service's instance, memory and tables, inside an activation of its own.
//
// Concurrency: a service instance never runs on two threads at once. Its gate is open only
// while its own thread is parked in `call_serve`, and one call at a time goes through it (the
// others wait in FIFO order); serve closes the gate and returns only when no call is inside.
// Contract: all gate state is read and changed with interrupts off (one CPU).
namespace wk::kernel::proc {

// Values of one call: at most this many arguments and results, numbers only.
inline constexpr u32 kMaxCallValues = 8;

// One process's side of direct calls, made at its first offer. Referenced by the process
// (until its teardown) and by each of its call endpoints; the store and context pointers are
// valid until shut_down, and used only by a call that holds the gate.
class CallService : public RefCounted<CallService> {
public:
    CallService(u32 pid, sched::Thread* thread, engine::runtime::Store* store, engine::wasi::WasiContext* context)
        : m_pid(pid)
        , m_thread(thread)
        , m_store(store)
        , m_context(context)
    {
    }
    void destroy() { delete this; }

    u32 pid() const { return m_pid; }
    sched::Thread* thread() const { return m_thread; }

    // The service thread's `call_serve`: opens the gate and blocks until the thread is killed
    // (Intr) or no call endpoint of the service is left (Pipe); then closes the gate and waits
    // until the call inside (if any) has left. A kill aborts the call inside.
    Errno serve();

    // The process is ending (its teardown, after serve has returned): later calls get Pipe.
    void shut_down();

    void endpoint_made();
    void endpoint_gone();

private:
    friend Errno direct_call(class CallEndpoint&, Span<engine::runtime::VMVal>, Bytes);
    friend struct DirectCall;

    u32 m_pid { 0 };
    sched::Thread* m_thread { nullptr };
    engine::runtime::Store* m_store { nullptr };
    engine::wasi::WasiContext* m_context { nullptr };
    bool m_serving { false };
    bool m_dead { false };
    u32 m_endpoints { 0 };
    struct DirectCall* m_active { nullptr };
    sched::WaitQueue m_clients; // threads waiting for the gate
    sched::WaitQueue m_server;  // the service thread in serve
};

// A function a service offers: a kernel object behind call handles (right `call`).
class CallEndpoint final : public object::KernelObject {
public:
    // `function` is a wasm function of the service's instance whose parameters and results
    // are numbers, at most kMaxCallValues each (checked by the caller: offer_function).
    CallEndpoint(RefPtr<CallService> service, const engine::runtime::VMFuncRef* function,
                 Span<const engine::ValType> params, Span<const engine::ValType> results);
    ~CallEndpoint() override { m_service->endpoint_gone(); }
    object::ObjectType type() const override { return object::ObjectType::Call; }

    CallService& service() { return *m_service; }
    const engine::runtime::VMFuncRef& function() const { return *m_function; }
    u32 param_count() const { return m_param_count; }
    u32 result_count() const { return m_result_count; }
    // i32 or f32: the value is the low 4 bytes of its 8-byte slot.
    bool param_is_32(u32 index) const { return (m_params_32 >> index) & 1; }
    bool result_is_32(u32 index) const { return (m_results_32 >> index) & 1; }

private:
    RefPtr<CallService> m_service;
    const engine::runtime::VMFuncRef* m_function;
    u32 m_param_count { 0 };
    u32 m_result_count { 0 };
    u32 m_params_32 { 0 };
    u32 m_results_32 { 0 };
};

// The call in progress on a thread (Thread::direct_call): what the service's window calls
// reach. Lives on the client's stack for the duration of the call.
struct DirectCall {
    CallService* service { nullptr };
    sched::Thread* client { nullptr };
    Bytes window;          // the client's memory the service may copy from and to
    bool aborted { false }; // the service was killed while the call was inside
};

// Checks that `function` may be offered: a wasm function (not a host import) whose type has
// numbers only, at most kMaxCallValues parameters and results. Inval otherwise.
Errno check_offerable(const engine::runtime::Store& store, const engine::runtime::VMFuncRef& function);

// Runs the endpoint's function on the calling thread: `values` holds the arguments (as many
// as the function takes) and receives the results; `window` is the part of the caller's
// memory the service may reach with call_window_read/write. Errors: Deadlk (the caller is
// inside a direct call, is the service, or waiting would close a cycle of threads waiting for
// each other's gates), Pipe (the service is gone), Intr (the caller was killed, before or
// during the call), ConnAborted (the service trapped or exited in the call, or was killed
// while it was inside: the service is ended), NoMem.
Errno direct_call(CallEndpoint& endpoint, Span<engine::runtime::VMVal> values, Bytes window);

// The direct call the calling thread is in when it runs code of the service `pid`, else
// nullptr (call_window_read/write).
DirectCall* current_call_into(u32 pid);

} // namespace wk::kernel::proc
