#include "engine/wasi/threads.h"

#include <new>

#include "engine/runtime/host_function.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/invoke.h"
#include "engine/wasi/wasi_host.h"

namespace wk::engine::wasi {

using runtime::VMContext;
using runtime::VMVal;

struct WasiThreads::Thread {
    WasiThreads* group { nullptr };
    u32 tid { 0 };
    u32 start_argument { 0 };
    // NOTE: in this order, so that the instance dies before the store that owns it.
    RefPtr<runtime::Store> store;
    runtime::Linker linker;
    RefPtr<runtime::Instance> instance;
    const runtime::VMFuncRef* start { nullptr };
};

namespace {

WasiThreads& threads_of(VMContext* self)
{
    return *static_cast<WasiThreads*>(runtime::HostFunction::from_vmctx(self).data());
}

u32 spawn_native(VMContext* self, u32 start_argument)
{
    return static_cast<u32>(threads_of(self).spawn(start_argument));
}

void spawn_array(VMContext* self, VMVal* values)
{
    values[0] = VMVal::from_u32(spawn_native(self, values[0].u32_value()));
}

Result<void> define_spawn(runtime::Store& store, runtime::Linker& linker, WasiThreads& threads)
{
    const ValType i32[] = { ValType::i32() };
    u32 type_id = TRY(store.types().intern_function(Span<const ValType>(i32, 1), Span<const ValType>(i32, 1)));
    runtime::VMFuncRef* funcref = TRY(store.create_host_function(
        type_id, &spawn_array, reinterpret_cast<const void*>(&spawn_native), &threads));
    return linker.define(kThreadsModuleName, kThreadSpawnName, runtime::Extern::from(funcref));
}

} // namespace

Result<void> WasiThreads::define(runtime::Store& store, runtime::Linker& linker)
{
    m_limits = store.limits();
    const Module& module = m_module.module();
    for (const Import& import : module.imports) {
        if (import.kind != ExternKind::Memory || !module.memories[import.index].limits.is_shared)
            continue;
        runtime::Memory* memory = nullptr;
        if (auto defined = linker.resolve(import.module, import.name)) {
            if (defined->kind != ExternKind::Memory)
                continue; // instantiation reports the mismatch
            memory = defined->memory;
        } else {
            memory = TRY(store.create_memory(module.memories[import.index].limits));
            TRY(linker.define(import.module, import.name, runtime::Extern::from(memory)));
        }
        TRY(m_shared.try_append(SharedImport { import.module, import.name, memory }));
    }
    return define_spawn(store, linker, *this);
}

Result<void> WasiThreads::define_for_thread(runtime::Store& store, runtime::Linker& linker)
{
    TRY(define_wasi(store, linker, m_context));
    TRY(define_spawn(store, linker, *this));
    for (const SharedImport& shared : m_shared)
        TRY(linker.define(shared.module, shared.name, runtime::Extern::from(shared.memory)));
    return m_host.define_thread_imports(store, linker);
}

Result<WasiThreads::Thread*> WasiThreads::make_thread(u32 tid, u32 start_argument)
{
    auto* thread = new (std::nothrow) Thread;
    if (!thread)
        return Error::out_of_memory();
    thread->group = this;
    thread->tid = tid;
    thread->start_argument = start_argument;
    auto made = [&]() -> Result<void> {
        thread->store = TRY(runtime::Store::create(m_limits));
        TRY(define_for_thread(*thread->store, thread->linker));
        {
            LockGuard guard(m_instantiate_lock);
            thread->instance = TRY(thread->store->instantiate(m_module, thread->linker));
        }
        auto start = thread->instance->get_export(kThreadStartName);
        if (!start || start->kind != ExternKind::Func)
            return Error::from("the module exports no wasi_thread_start function", ErrorKind::Unlinkable);
        const runtime::TypeRegistry& types = thread->store->types();
        Span<const ValType> params = types.params(start->func->type_id);
        if (params.size() != 2 || params[0] != ValType::i32() || params[1] != ValType::i32()
            || !types.results(start->func->type_id).empty())
            return Error::from("wasi_thread_start must take (i32, i32) and return nothing", ErrorKind::Invalid);
        thread->start = start->func;
        return {};
    }();
    if (!made) {
        delete thread;
        return made.error();
    }
    return thread;
}

void WasiThreads::refuse(StringView reason)
{
    if (!__atomic_exchange_n(&m_refused, true, __ATOMIC_ACQ_REL))
        m_host.spawn_refused(reason);
}

i32 WasiThreads::spawn(u32 start_argument)
{
    static_assert(kMaxThreads == 64, "the refusal's message names the limit");
    if (__atomic_fetch_add(&m_running, 1, __ATOMIC_ACQ_REL) >= kMaxThreads) {
        __atomic_fetch_sub(&m_running, 1, __ATOMIC_ACQ_REL);
        refuse("thread-spawn refused: 64 threads are running, the most a program may have");
        return -static_cast<i32>(Errno::Again);
    }
    u32 tid = __atomic_fetch_add(&m_next_tid, 1, __ATOMIC_ACQ_REL);
    if (tid > kMaxThreadId) {
        __atomic_fetch_sub(&m_running, 1, __ATOMIC_ACQ_REL);
        refuse("thread-spawn refused: every thread id was used");
        return -static_cast<i32>(Errno::Again);
    }
    // Before the thread can make its first call: every call takes the lock from now on.
    m_context.enable_threads();
    auto thread = make_thread(tid, start_argument);
    Result<void> started = thread ? m_host.start_thread(&WasiThreads::thread_main, *thread) : Result<void>(thread.error());
    if (!started) {
        if (thread)
            delete *thread;
        __atomic_fetch_sub(&m_running, 1, __ATOMIC_ACQ_REL);
        refuse(StringView(started.error().message(), c_string_length(started.error().message())));
        // NOTE: not errno_of: thread-spawn answers only NoMem or Again, and whatever else the
        // host refused with (its limit on threads, the process ending) may pass later.
        return -static_cast<i32>(started.error().kind() == ErrorKind::OutOfMemory ? Errno::NoMem : Errno::Again);
    }
    __atomic_store_n(&m_started, true, __ATOMIC_RELEASE);
    return static_cast<i32>(tid);
}

void WasiThreads::thread_main(void* argument)
{
    auto* thread = static_cast<Thread*>(argument);
    WasiThreads& group = *thread->group;
    VMVal values[2] = { VMVal::from_u32(thread->tid), VMVal::from_u32(thread->start_argument) };
    auto invoked = runtime::invoke(*thread->store, *thread->start, Span<VMVal>(values, 2));
    ThreadEnd end;
    end.tid = thread->tid;
    end.exit_status = group.m_context.exit_status();
    if (!end.exit_status) {
        if (!invoked)
            end.error = invoked.error();
        else
            end.trap = invoked->trap;
    }
    if (end.exit_status || end.error || end.trap)
        group.m_host.end_program(end);
    delete thread;
    __atomic_fetch_sub(&group.m_running, 1, __ATOMIC_ACQ_REL);
}

} // namespace wk::engine::wasi
