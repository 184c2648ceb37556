#include "kernel/proc/process_threads.h"

#include "base/format.h"
#include "engine/platform.h"
#include "engine/wasi/exit.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/proc/process_record.h"
#include "kernel/sched/thread.h"
#include "kernel/sys/wasmkern_module.h"

namespace wk::kernel::proc {

namespace wasi = engine::wasi;
namespace runtime = engine::runtime;
using x86_64::InterruptDisabler;

namespace {

// Spawned threads alive in the system (kMaxSystemThreads). Interrupts off.
u32 g_system_threads;

} // namespace

ProcessThreads::ProcessThreads(Process& process)
    : m_process(process)
    , m_threads(*process.module.module, *process.context, *this)
{
    for (Member& member : m_members)
        member.owner = this;
}

ProcessThreads::~ProcessThreads() = default;

Result<void> ProcessThreads::define(runtime::Store& store, runtime::Linker& linker) { return m_threads.define(store, linker); }

Result<void> ProcessThreads::define_thread_imports(runtime::Store& store, runtime::Linker& linker)
{
    return sys::define_wasmkern(store, linker, m_process.caller);
}

i64 ProcessThreads::member_main(void* argument)
{
    auto& member = *static_cast<Member*>(argument);
    sched::current()->set_process(&member.owner->m_process);
    // NOTE: runs even when the process is ending already: the entry owns the thread's
    // instance and store and frees them; a killed thread leaves its wasm code at once.
    member.entry(member.argument);
    InterruptDisabler guard;
    member.running = false;
    if (member.state == SlotState::Running)
        member.state = SlotState::Ended;
    return 0;
}

Result<void> ProcessThreads::start_thread(void (*entry)(void*), void* argument)
{
    reap_ended();
    Member* member = nullptr;
    {
        // NOTE: the slot and the system's count are taken before the stack, so that a refused
        // spawn never holds a stack, even for a moment (the region's page directories stay as
        // many as the threads that run need).
        InterruptDisabler guard;
        if (m_ending || m_process.kill_requested)
            return Error::from("the process is ending", ErrorKind::Unsupported);
        for (Member& slot : m_members) {
            if (slot.state == SlotState::Free) {
                member = &slot;
                break;
            }
        }
        if (!member)
            return Error::from("too many threads ended and not yet joined", ErrorKind::Unsupported);
        if (g_system_threads >= kMaxSystemThreads)
            return Error::from("256 threads run in the system, the most it allows", ErrorKind::Unsupported);
        ++g_system_threads;
        member->state = SlotState::Starting;
    }
    Result<void> started;
    auto stack = take_process_stack((m_process.stack_bytes + 4095) & ~u64 { 4095 });
    if (stack) {
        stack->budget = m_process.store->shared_memory_budget();
        InterruptDisabler guard;
        if (m_ending || m_process.kill_requested) {
            started = Error::from("the process is ending", ErrorKind::Unsupported);
        } else {
            member->stack = std::move(*stack);
            member->entry = entry;
            member->argument = argument;
            mm::KernelStack thread_stack { member->stack.memory.bottom, member->stack.memory.top };
            auto thread = sched::spawn_on_stack(m_process.name, &ProcessThreads::member_main, member, thread_stack);
            if (thread) {
                member->thread = *thread;
                member->state = SlotState::Running;
                member->running = true;
                return {};
            }
            started = thread.error();
            *stack = std::move(member->stack);
        }
    } else {
        started = Error::from("no stack for another thread", ErrorKind::OutOfMemory);
    }
    if (stack)
        give_process_stack(*stack);
    InterruptDisabler guard;
    member->entry = nullptr;
    member->argument = nullptr;
    member->state = SlotState::Free;
    --g_system_threads;
    return started;
}

void ProcessThreads::release(Member& member)
{
    (void)sched::join(member.thread);
    give_process_stack(member.stack);
    InterruptDisabler guard;
    member.thread = nullptr;
    member.entry = nullptr;
    member.argument = nullptr;
    member.state = SlotState::Free;
    --g_system_threads;
}

void ProcessThreads::reap_ended()
{
    for (Member& member : m_members) {
        {
            InterruptDisabler guard;
            if (member.state != SlotState::Ended)
                continue;
            member.state = SlotState::Joining;
        }
        release(member);
    }
}

void ProcessThreads::kill_all_locked(bool spare_ender)
{
    m_ending = true;
    for (Member& member : m_members) {
        // NOTE: only threads still in their entry (`running`), whatever their slot's state: one
        // that left it blocks no more, and a joined one is freed; but one being joined (by
        // finish, the main thread having ended) may still block.
        // The thread that ends the program is left to finish its report (a killed thread's
        // writes stop short), unless the kill comes from outside: its report may block for
        // good (a full pipe or socket at fd 2), and the kill must end the process anyway.
        if (member.running && member.thread != sched::current() && (member.thread != m_ender || !spare_ender))
            sched::request_kill(member.thread);
    }
}

void ProcessThreads::finish()
{
    {
        InterruptDisabler guard;
        kill_all_locked();
    }
    // Joins every member nobody else joins; one being joined by another thread (a spawn
    // reaping it) is freed by that thread, itself a member joined here, and one being started
    // is given up by its spawn (the process is ending).
    for (;;) {
        Member* next = nullptr;
        bool busy = false;
        {
            InterruptDisabler guard;
            for (Member& member : m_members) {
                if (member.state == SlotState::Running || member.state == SlotState::Ended) {
                    next = &member;
                    break;
                }
                busy = busy || member.state == SlotState::Joining || member.state == SlotState::Starting;
            }
            if (next)
                next->state = SlotState::Joining;
        }
        if (next)
            release(*next);
        else if (busy)
            sched::yield();
        else
            return;
    }
}

bool ProcessThreads::claim_end(u32 status)
{
    InterruptDisabler guard;
    if (m_ending || m_process.kill_requested || sched::current()->kill_requested())
        return false;
    m_process.kill_requested = true;
    m_process.kill_status = status;
    m_ender = sched::current();
    sched::request_kill(m_process.thread);
    kill_all_locked();
    return true;
}

void ProcessThreads::report(StringView text)
{
    // NOTE: under the call lock, as the WASI calls that use the descriptors run; the other
    // threads are being killed, so a call that holds it returns soon.
    // Killed while waiting for it (a kill from outside): the report is dropped.
    wasi::CallLockGuard guard(m_process.context->call_lock());
    if (guard.held())
        m_process.context->write_diagnostic(text);
}

void ProcessThreads::end_program(const wasi::ThreadEnd& end)
{
    if (end.exit_status) {
        (void)claim_end(*end.exit_status);
        return;
    }
    if (end.trap) {
        if (!claim_end(wasi::kTrapExitStatus))
            return;
        if (auto text = try_format("error: in thread {}:\nerror: wasm trap: {}\n", end.tid, engine::trap_message(end.trap->kind)))
            report(text->view());
        return;
    }
    if (!claim_end(kInstantiateFailedStatus))
        return;
    if (auto text = try_format("error: {}: thread {}: cannot run: {}\n", m_process.path.view(), end.tid, *end.error))
        report(text->view());
}

void ProcessThreads::spawn_refused(StringView reason)
{
    if (auto text = try_format("{}: {}\n", m_process.path.view(), reason))
        report(text->view());
}

ProcessStack* ProcessThreads::stack_of(const sched::Thread& thread)
{
    // NOTE: not a slot being joined or freed: its thread may be gone and a new thread be
    // made at the same address before release() clears the pointer.
    for (Member& member : m_members) {
        bool live = member.state == SlotState::Starting || member.state == SlotState::Running
            || member.state == SlotState::Ended;
        if (live && member.thread == &thread)
            return &member.stack;
    }
    return nullptr;
}

u64 ProcessThreads::cpu_nanoseconds_locked() const
{
    u64 total = 0;
    for (const Member& member : m_members) {
        if (member.state == SlotState::Running || member.state == SlotState::Ended)
            total += sched::cpu_nanoseconds(*member.thread);
    }
    return total;
}

u32 ProcessThreads::count() const
{
    InterruptDisabler guard;
    u32 count = 0;
    for (const Member& member : m_members)
        count += member.state != SlotState::Free ? 1 : 0;
    return count;
}

} // namespace wk::kernel::proc
