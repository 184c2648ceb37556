#include <new>

#include "engine/runtime/instance.h"
#include "engine/runtime/store.h"
#include "engine/runtime/table.h"
#include "engine/wasi/wasi_context.h"
#include "kernel/object/handle_table.h"
#include "kernel/proc/direct_call.h"
#include "kernel/sched/thread.h"
#include "kernel/sys/wasmkern_calls.h"

// Direct calls (docs/process-abi.md, "Direct calls"): the service side (call_offer,
// call_serve, the window copies) and the client side (call).
namespace wk::kernel::sys::calls {

using engine::runtime::VMFuncRef;
using engine::runtime::VMVal;
using engine::wasi::Errno;
using object::ObjectType;
using proc::CallEndpoint;
namespace rights = object::rights;

namespace {

// The rights of the handle call_offer gives.
constexpr u32 kOfferRights = rights::kDuplicate | rights::kTransfer | rights::kCall;
constexpr u32 kValueSize = 8; // one argument or result slot in the caller's memory

u32 code(Errno error) { return static_cast<u32>(error); }

} // namespace

u32 call_offer(WasmkernCaller& caller, u32 table_index, u32 handle_out)
{
    auto memory = caller.context->memory();
    if (!memory.contains(handle_out, 4))
        return code(Errno::Fault);
    if (!caller.instance || !caller.store || sched::current()->direct_call())
        return code(Errno::Inval); // not instantiated yet, or service code running in a call
    if (sched::current() != caller.main_thread)
        return code(Errno::NotSup); // a wasi-threads thread: only the main thread is a service
    if (caller.instance->table_count() == 0)
        return code(Errno::Inval);
    auto* table = caller.instance->table(0);
    auto type = table->element_type();
    if (!type.is_ref() || type.heap != engine::HeapKind::Func || table_index >= table->size())
        return code(Errno::Inval);
    const auto* function = static_cast<const VMFuncRef*>(table->vm()->elements[table_index]);
    if (!function)
        return code(Errno::Inval);
    if (Errno error = proc::check_offerable(*caller.store, *function); error != Errno::Success)
        return code(error);
    if (caller.handles->count() == object::HandleTable::kCapacity)
        return code(Errno::MFile);
    if (!caller.service) {
        caller.service = new (std::nothrow) proc::CallService(caller.pid, sched::current(), caller.store, caller.context);
        if (!caller.service)
            return code(Errno::NoMem);
    }
    // The signature is kept with the endpoint: a call checks it without the service's store.
    const auto& types = caller.store->types();
    auto* endpoint = new (std::nothrow) CallEndpoint(RefPtr<proc::CallService>(caller.service), function,
                                                     types.params(function->type_id), types.results(function->type_id));
    if (!endpoint)
        return code(Errno::NoMem);
    auto handle = caller.handles->add(adopt_ref(*static_cast<object::KernelObject*>(endpoint)), kOfferRights);
    if (!handle)
        return code(handle.error());
    return code(memory.write_u32(handle_out, *handle));
}

u32 call(WasmkernCaller& caller, u32 handle, u32 args_ptr, u32 args_count, u32 results_ptr, u32 results_count,
         u32 window_ptr, u32 window_len)
{
    auto memory = caller.context->memory();
    if (sched::current()->direct_call())
        return code(Errno::DeadLk); // calls do not nest: service code running in a call calls out
    if (args_count > proc::kMaxCallValues || results_count > proc::kMaxCallValues)
        return code(Errno::Inval);
    auto args = memory.bytes(args_ptr, args_count * kValueSize);
    auto window = memory.bytes(window_ptr, window_len);
    if (!args || !window || !memory.contains(results_ptr, results_count * kValueSize))
        return code(Errno::Fault);
    // NOTE: the caller's call lock (call_lock_of) for the lookup only: the call runs the
    // service's code for as long as it likes, and the caller's other threads' calls go on.
    ErrnoResult<object::Handle<CallEndpoint>> endpoint = Errno::BadF;
    {
        engine::wasi::CallLockGuard guard(call_lock_of(caller));
        if (!guard.held())
            return code(Errno::Intr);
        endpoint = caller.handles->get_as<CallEndpoint>(handle, ObjectType::Call, rights::kCall);
    }
    if (!endpoint)
        return code(endpoint.error());
    auto& service = endpoint->object->service();
    if (service.pid() == caller.pid)
        return code(Errno::DeadLk); // its own gate is closed while it runs
    VMVal values[proc::kMaxCallValues];
    for (u32 i = 0; i < args_count; ++i) {
        u64 bits;
        __builtin_memcpy(&bits, args->data() + i * kValueSize, sizeof bits);
        values[i] = VMVal::from_u64(bits);
    }
    if (args_count != endpoint->object->param_count() || results_count < endpoint->object->result_count())
        return code(Errno::Inval);
    // Numbers narrower than 64 bits take the low bytes of their slot.
    for (u32 i = 0; i < args_count; ++i) {
        if (endpoint->object->param_is_32(i))
            values[i] = VMVal::from_u32(values[i].u32_value());
    }
    Errno result = proc::direct_call(*endpoint->object, Span<VMVal>(values, proc::kMaxCallValues), *window);
    if (result != Errno::Success)
        return code(result);
    for (u32 i = 0; i < endpoint->object->result_count(); ++i) {
        u64 bits = endpoint->object->result_is_32(i) ? values[i].u32_value() : values[i].u64_value();
        __builtin_memcpy(memory.at(results_ptr + i * kValueSize, kValueSize), &bits, sizeof bits);
    }
    return code(Errno::Success);
}

u32 call_serve(WasmkernCaller& caller)
{
    if (!caller.service || sched::current()->direct_call())
        return code(Errno::Inval); // nothing offered, or service code running in a call
    if (sched::current() != caller.main_thread)
        return code(Errno::NotSup); // a wasi-threads thread: only the main thread is a service
    return code(caller.service->serve());
}

namespace {

// Copies between the window of the call the thread is in and the service's memory.
u32 window_copy(WasmkernCaller& caller, u32 window_offset, u32 bytes_ptr, u32 length, bool to_service)
{
    proc::DirectCall* call = proc::current_call_into(caller.pid);
    if (!call)
        return code(Errno::Inval); // only service code running in a call has a window
    auto own = caller.context->memory().bytes(bytes_ptr, length);
    if (!own || window_offset > call->window.size() || length > call->window.size() - window_offset)
        return code(Errno::Fault);
    u8* window = call->window.data() + window_offset;
    if (to_service)
        __builtin_memmove(own->data(), window, length);
    else
        __builtin_memmove(window, own->data(), length);
    return code(Errno::Success);
}

} // namespace

u32 call_window_read(WasmkernCaller& caller, u32 window_offset, u32 bytes_ptr, u32 length)
{
    return window_copy(caller, window_offset, bytes_ptr, length, true);
}

u32 call_window_write(WasmkernCaller& caller, u32 window_offset, u32 bytes_ptr, u32 length)
{
    return window_copy(caller, window_offset, bytes_ptr, length, false);
}

} // namespace wk::kernel::sys::calls
