#include "kernel/proc/direct_call.h"

#include "base/format.h"
#include "engine/runtime/invoke.h"
#include "engine/runtime/store.h"
#include "engine/wasi/exit.h"
#include "engine/wasi/wasi_context.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/proc/process.h"

namespace wk::kernel::proc {

namespace runtime = engine::runtime;
using x86_64::InterruptDisabler;

namespace {

// Longest chain of threads waiting for gates that the deadlock check follows; one more than
// the processes that can exist, so a chain is never cut short.
constexpr u32 kMaxWaitChain = kMaxProcesses + 1;

// Whether the calling thread waiting for `service`'s gate would close a cycle: the service's
// thread waits (through other services' threads) for a gate of the caller. Interrupts off.
bool would_deadlock(CallService& service)
{
    sched::Thread* self = sched::current();
    CallService* next = &service;
    for (u32 step = 0; next && step < kMaxWaitChain; ++step) {
        sched::Thread* thread = next->thread();
        if (!thread)
            return false;
        if (thread == self)
            return true;
        next = thread->call_waiting_for();
    }
    return false;
}

} // namespace

Errno CallService::serve()
{
    sched::Thread* self = sched::current();
    InterruptDisabler guard;
    m_serving = true;
    sched::wake_all(m_clients);
    Errno result = Errno::Success;
    for (;;) {
        if (self->kill_requested()) {
            result = Errno::Intr;
            break;
        }
        if (m_endpoints == 0 && !m_active) {
            result = Errno::Pipe;
            break;
        }
        sched::block_on(m_server);
    }
    m_serving = false;
    // The instance must not run on this thread while a call runs it on another: wait for the
    // call inside to leave. A kill ends it early (abort: the client's thread leaves it at its
    // next tick in wasm code or its next blocking or host call).
    while (m_active) {
        if (self->kill_requested() && !m_active->aborted) {
            m_active->aborted = true;
            sched::abort_call(m_active->client);
        }
        sched::block_on(m_server);
    }
    return result;
}

void CallService::shut_down()
{
    InterruptDisabler guard;
    m_dead = true;
    m_serving = false;
    m_thread = nullptr;
    m_store = nullptr;
    m_context = nullptr;
    sched::wake_all(m_clients);
}

void CallService::endpoint_made()
{
    InterruptDisabler guard;
    ++m_endpoints;
}

void CallService::endpoint_gone()
{
    InterruptDisabler guard;
    if (--m_endpoints == 0)
        sched::wake_all(m_server);
}

CallEndpoint::CallEndpoint(RefPtr<CallService> service, const runtime::VMFuncRef* function,
                           Span<const engine::ValType> params, Span<const engine::ValType> results)
    : m_service(std::move(service))
    , m_function(function)
    , m_param_count(static_cast<u32>(params.size()))
    , m_result_count(static_cast<u32>(results.size()))
{
    auto narrow = [](engine::ValType type) { return type.kind == engine::ValKind::I32 || type.kind == engine::ValKind::F32; };
    for (u32 i = 0; i < m_param_count; ++i)
        m_params_32 |= narrow(params[i]) ? 1u << i : 0;
    for (u32 i = 0; i < m_result_count; ++i)
        m_results_32 |= narrow(results[i]) ? 1u << i : 0;
    m_service->endpoint_made();
}

Errno check_offerable(const runtime::Store& store, const runtime::VMFuncRef& function)
{
    if (function.is_host() || !function.array_call)
        return Errno::Inval;
    const auto& types = store.types();
    if (function.type_id >= types.size())
        return Errno::Inval;
    auto params = types.params(function.type_id);
    auto results = types.results(function.type_id);
    if (params.size() > kMaxCallValues || results.size() > kMaxCallValues)
        return Errno::Inval;
    for (const auto& type : params) {
        if (!type.is_num())
            return Errno::Inval;
    }
    for (const auto& type : results) {
        if (!type.is_num())
            return Errno::Inval;
    }
    return Errno::Success;
}

DirectCall* current_call_into(u32 pid)
{
    DirectCall* call = sched::current()->direct_call();
    return call && call->service->pid() == pid ? call : nullptr;
}

Errno direct_call(CallEndpoint& endpoint, Span<runtime::VMVal> values, Bytes window)
{
    CallService& service = endpoint.service();
    sched::Thread* self = sched::current();
    if (self->direct_call())
        return Errno::DeadLk; // calls do not nest (a service calling out, or back into its client)
    DirectCall call { &service, self, window, false };
    {
        InterruptDisabler guard;
        for (;;) {
            if (service.m_dead)
                return Errno::Pipe;
            if (self->kill_requested())
                return Errno::Intr;
            if (service.m_serving && !service.m_active)
                break;
            if (would_deadlock(service))
                return Errno::DeadLk;
            self->set_call_waiting_for(&service);
            sched::block_on(service.m_clients);
            self->set_call_waiting_for(nullptr);
        }
        service.m_active = &call;
        self->set_direct_call(&call);
    }
    // The service's thread is parked in serve and nothing else enters: the store, the
    // context and the instance are this thread's until the gate is given back.
    const runtime::VMFuncRef& function = endpoint.function();
    auto* limit_slot = reinterpret_cast<u8*>(function.vmctx) + runtime::VMOffsets::kStackLimit;
    u64 service_limit;
    __builtin_memcpy(&service_limit, limit_slot, sizeof service_limit);
    auto outcome = runtime::invoke(*service.m_store, function, values);
    // invoke set the client thread's limit; the service's own thread resumes with its own.
    __builtin_memcpy(limit_slot, &service_limit, sizeof service_limit);

    bool aborted;
    bool ended_service = false;
    Errno result = Errno::Success;
    if (!outcome) {
        result = Errno::NoMem;
    } else if (outcome->trap) {
        const auto& trap = *outcome->trap;
        if (call.aborted) {
            result = Errno::ConnAborted;
        } else if (self->own_kill_requested()) {
            result = Errno::Intr; // the client is being killed; the service goes on
        } else if (trap.kind == engine::TrapKind::StackExhausted && trap.pc == 0) {
            result = Errno::NoMem; // the caller had no stack left: no service code ran
        } else {
            // A trap (or proc_exit) in the service ends the service, never the client.
            if (trap.kind != engine::TrapKind::Exit && service.m_context) {
                if (auto text = try_format("error: wasm trap in a direct call: {}\n", engine::trap_message(trap.kind)))
                    service.m_context->write_diagnostic(text->view());
            }
            ended_service = true;
            result = Errno::ConnAborted;
        }
    }
    {
        InterruptDisabler guard;
        aborted = call.aborted;
        service.m_active = nullptr;
        self->set_direct_call(nullptr);
        sched::end_call_abort(self);
        if (ended_service)
            service.m_dead = true; // waiting clients get Pipe, not a half-updated instance
        sched::wake_all(service.m_server);
        if (service.m_dead)
            sched::wake_all(service.m_clients);
        else
            sched::wake_one(service.m_clients);
    }
    if (ended_service)
        (void)kill(service.pid(), engine::wasi::kTrapExitStatus);
    if (aborted && result == Errno::Success)
        result = Errno::ConnAborted; // aborted as it returned: its results may be cut short
    return result;
}

} // namespace wk::kernel::proc
