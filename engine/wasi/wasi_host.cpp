#include "engine/wasi/wasi_host.h"

#include <type_traits>
#include <utility>

#include "engine/runtime/host_function.h"

namespace wk::engine::wasi {

namespace {

using runtime::VMContext;
using runtime::VMVal;

template<typename T>
constexpr ValType wasm_type()
{
    static_assert(std::is_same_v<T, u32> || std::is_same_v<T, u64>);
    return std::is_same_v<T, u32> ? ValType::i32() : ValType::i64();
}

template<typename T>
T argument(const VMVal& value)
{
    if constexpr (std::is_same_v<T, u32>)
        return value.u32_value();
    else
        return value.u64_value();
}

WasiContext& context_of(VMContext* self)
{
    return *static_cast<WasiContext*>(runtime::HostFunction::from_vmctx(self).data());
}

// The two entries of one WasiContext member: `native` with the wasm calling convention
// (the HostFunction, then the call's parameters; the errno as an i32 result) and
// `array` for VMVal-array callers.
template<auto Method>
struct Entry;

template<typename R, typename... Args, R (WasiContext::*Method)(Args...)>
struct Entry<Method> {
    static constexpr bool kHasResult = !std::is_void_v<R>;
    static constexpr ValType kParams[sizeof...(Args) + 1] = { wasm_type<Args>()..., ValType::i32() };

    static auto native(VMContext* self, Args... args)
    {
        WasiContext& context = context_of(self);
        if constexpr (kHasResult) {
            u32 result;
            {
                // Released before end_call, which may unwind out of the activation.
                CallLockGuard guard(context.call_lock());
                result = guard.held() ? static_cast<u32>((context.*Method)(args...)) : static_cast<u32>(Errno::Intr);
            }
            context.end_call();
            return result;
        } else {
            // proc_exit: it unwinds, so it takes no call lock (it records its status atomically).
            (context.*Method)(args...);
            context.end_call();
        }
    }

    static void array(VMContext* self, VMVal* values) { call(self, values, std::index_sequence_for<Args...> {}); }

private:
    template<usize... I>
    static void call(VMContext* self, VMVal* values, std::index_sequence<I...>)
    {
        if constexpr (kHasResult) {
            u32 result = native(self, argument<Args>(values[I])...);
            values[0] = VMVal::from_u32(result);
        } else {
            native(self, argument<Args>(values[I])...);
        }
    }
};

struct Definition {
    const char* name;
    Span<const ValType> params;
    bool has_result;
    runtime::VMArrayCall array_call;
    const void* native_code;
};

template<auto Method>
constexpr Definition define(const char* name)
{
    using E = Entry<Method>;
    return { name, Span<const ValType>(E::kParams, sizeof(E::kParams) / sizeof(ValType) - 1), E::kHasResult, &E::array,
             reinterpret_cast<const void*>(&E::native) };
}

#define WASI_FUNCTION(name) define<&WasiContext::name>(#name)

} // namespace

Result<void> define_wasi(runtime::Store& store, runtime::Linker& linker, WasiContext& context)
{
    static const Definition functions[] = {
        WASI_FUNCTION(args_get),
        WASI_FUNCTION(args_sizes_get),
        WASI_FUNCTION(environ_get),
        WASI_FUNCTION(environ_sizes_get),
        WASI_FUNCTION(clock_res_get),
        WASI_FUNCTION(clock_time_get),
        WASI_FUNCTION(fd_advise),
        WASI_FUNCTION(fd_allocate),
        WASI_FUNCTION(fd_close),
        WASI_FUNCTION(fd_datasync),
        WASI_FUNCTION(fd_fdstat_get),
        WASI_FUNCTION(fd_fdstat_set_flags),
        WASI_FUNCTION(fd_fdstat_set_rights),
        WASI_FUNCTION(fd_filestat_get),
        WASI_FUNCTION(fd_filestat_set_size),
        WASI_FUNCTION(fd_filestat_set_times),
        WASI_FUNCTION(fd_pread),
        WASI_FUNCTION(fd_prestat_get),
        WASI_FUNCTION(fd_prestat_dir_name),
        WASI_FUNCTION(fd_pwrite),
        WASI_FUNCTION(fd_read),
        WASI_FUNCTION(fd_readdir),
        WASI_FUNCTION(fd_renumber),
        WASI_FUNCTION(fd_seek),
        WASI_FUNCTION(fd_sync),
        WASI_FUNCTION(fd_tell),
        WASI_FUNCTION(fd_write),
        WASI_FUNCTION(path_create_directory),
        WASI_FUNCTION(path_filestat_get),
        WASI_FUNCTION(path_filestat_set_times),
        WASI_FUNCTION(path_link),
        WASI_FUNCTION(path_open),
        WASI_FUNCTION(path_readlink),
        WASI_FUNCTION(path_remove_directory),
        WASI_FUNCTION(path_rename),
        WASI_FUNCTION(path_symlink),
        WASI_FUNCTION(path_unlink_file),
        WASI_FUNCTION(poll_oneoff),
        WASI_FUNCTION(proc_exit),
        WASI_FUNCTION(proc_raise),
        WASI_FUNCTION(sched_yield),
        WASI_FUNCTION(random_get),
        WASI_FUNCTION(sock_accept),
        WASI_FUNCTION(sock_recv),
        WASI_FUNCTION(sock_send),
        WASI_FUNCTION(sock_shutdown),
    };
    static_assert(sizeof(functions) / sizeof(functions[0]) == kFunctionCount);

    const ValType errno_result[] = { ValType::i32() };
    for (const Definition& function : functions) {
        Span<const ValType> results = function.has_result ? Span<const ValType>(errno_result, 1) : Span<const ValType>();
        u32 type_id = TRY(store.types().intern_function(function.params, results));
        runtime::VMFuncRef* funcref
            = TRY(store.create_host_function(type_id, function.array_call, function.native_code, &context));
        TRY(linker.define(kModuleName, StringView(function.name, c_string_length(function.name)), runtime::Extern::from(funcref)));
    }
    return {};
}

#undef WASI_FUNCTION

} // namespace wk::engine::wasi
