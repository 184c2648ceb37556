// The `wasmkern` network calls under `wasmkern run` (wasi_command.h, define_wasmkern_net).
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>

#include "engine/runtime/host_function.h"
#include "engine/wasi/call_lock.h"
#include "hosted/wasi/wasi_command.h"

namespace wk::hosted {

using namespace engine;
using runtime::VMContext;
using runtime::VMVal;
using wasi::Errno;

namespace {

// The one handle value `handles` lists: a root resource (type 2) with the net right only.
constexpr u32 kNetHandle = 0x4E455431; // "NET1"
constexpr u32 kTypeResource = 2;
constexpr u32 kRightNet = 1u << 11;
constexpr u32 kHandleRecordSize = 16;

struct NetCaller {
    wasi::WasiContext* context;
    bool network;
};

NetCaller& caller_of(VMContext* self) { return *static_cast<NetCaller*>(runtime::HostFunction::from_vmctx(self).data()); }

u32 handles(NetCaller& caller, u32 buffer, u32 length, u32 count_out)
{
    auto memory = caller.context->memory();
    if (!memory.contains(buffer, length) || !memory.contains(count_out, 4))
        return static_cast<u32>(Errno::Fault);
    u32 count = caller.network ? 1 : 0;
    if (count && length >= kHandleRecordSize) {
        u32 record[4] = { kNetHandle, kTypeResource, kRightNet, 0 };
        u8 bytes[kHandleRecordSize];
        std::memcpy(bytes, record, sizeof bytes); // little-endian like wasm
        if (Errno error = memory.write_bytes(buffer, ReadonlyBytes(bytes, sizeof bytes)); error != Errno::Success)
            return static_cast<u32>(error);
    }
    return static_cast<u32>(memory.write_u32(count_out, count));
}

u32 sock_connect(NetCaller& caller, u32 resource, u32 addr_ptr, u32 addr_len, u32 port, u32 fd_out)
{
    if (!caller.network || resource != kNetHandle)
        return static_cast<u32>(Errno::BadF);
    return static_cast<u32>(caller.context->sock_connect(addr_ptr, addr_len, port, fd_out));
}

// getaddrinfo(3) for IPv4 only: the kernel's resolver's contract (NoEnt, TimedOut, Io).
u32 resolve(NetCaller& caller, u32 resource, u32 name_ptr, u32 name_len, u32 addr_out)
{
    if (!caller.network || resource != kNetHandle)
        return static_cast<u32>(Errno::BadF);
    auto memory = caller.context->memory();
    auto name = memory.string(name_ptr, name_len);
    if (!name || !memory.contains(addr_out, 4))
        return static_cast<u32>(!name && name.error() == Errno::IlSeq ? Errno::Inval : Errno::Fault);
    if (name->size() == 0 || name->size() > 253)
        return static_cast<u32>(Errno::Inval);
    std::string host(name->data(), name->size());
    addrinfo hints {};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int result = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (result != 0) {
        if (result == EAI_NONAME || result == EAI_NODATA)
            return static_cast<u32>(Errno::NoEnt);
        return static_cast<u32>(result == EAI_AGAIN ? Errno::TimedOut : Errno::Io);
    }
    u8 bytes[4];
    std::memcpy(bytes, &reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr, 4); // network order
    freeaddrinfo(found);
    return static_cast<u32>(memory.write_bytes(addr_out, ReadonlyBytes(bytes, 4)));
}

u32 udp_bind(NetCaller& caller, u32 resource, u32 port, u32 fd_out)
{
    if (!caller.network || resource != kNetHandle)
        return static_cast<u32>(Errno::BadF);
    return static_cast<u32>(caller.context->udp_bind(port, fd_out));
}

u32 udp_send_to(NetCaller& caller, u32 fd, u32 addr_ptr, u32 addr_len, u32 port, u32 buf_ptr, u32 buf_len,
                u32 sent_out)
{
    return static_cast<u32>(caller.context->udp_send_to(fd, addr_ptr, addr_len, port, buf_ptr, buf_len, sent_out));
}

u32 udp_recv_from(NetCaller& caller, u32 fd, u32 buf_ptr, u32 buf_len, u32 info_out)
{
    return static_cast<u32>(caller.context->udp_recv_from(fd, buf_ptr, buf_len, info_out));
}

// ICMP and the interface's status are the kernel's: Linux gives an unprivileged process
// neither without configuration.
u32 ping(NetCaller& caller, u32 resource, u32, u32, u32, u32, u32)
{
    return static_cast<u32>(!caller.network || resource != kNetHandle ? Errno::BadF : Errno::NotSup);
}

u32 net_status(NetCaller&, u32, u32) { return static_cast<u32>(Errno::NotSup); }

template<auto Function>
struct Entry;

template<typename... Args, u32 (*Function)(NetCaller&, Args...)>
struct Entry<Function> {
    static constexpr ValType kParams[sizeof...(Args) + 1] = { (static_cast<void>(sizeof(Args)), ValType::i32())...,
                                                             ValType::i32() };

    static u32 native(VMContext* self, Args... args)
    {
        NetCaller& caller = caller_of(self);
        u32 result;
        {
            wasi::CallLockGuard guard(caller.context->call_lock());
            result = Function(caller, args...);
        }
        caller.context->end_call();
        return result;
    }

    static void array(VMContext* self, VMVal* values) { call(self, values, std::index_sequence_for<Args...> {}); }

private:
    template<usize... I>
    static void call(VMContext* self, VMVal* values, std::index_sequence<I...>)
    {
        values[0] = VMVal::from_u32(native(self, values[I].u32_value()...));
    }
};

template<auto Function>
Result<void> define(runtime::Store& store, runtime::Linker& linker, NetCaller& caller, StringView name)
{
    using E = Entry<Function>;
    const ValType result[] = { ValType::i32() };
    Span<const ValType> params(E::kParams, sizeof(E::kParams) / sizeof(ValType) - 1);
    u32 type_id = TRY(store.types().intern_function(params, Span<const ValType>(result, 1)));
    auto* funcref = TRY(store.create_host_function(type_id, &E::array, reinterpret_cast<const void*>(&E::native), &caller));
    return linker.define("wasmkern", name, runtime::Extern::from(funcref));
}

} // namespace

Result<void> define_wasmkern_net(runtime::Store& store, runtime::Linker& linker, wasi::WasiContext& context,
                                 bool network)
{
    // NOTE: one per process, alive as long as the store's functions may run (wasmkern run's life).
    static NetCaller caller;
    caller = NetCaller { &context, network };
    TRY(define<&handles>(store, linker, caller, "handles"));
    TRY(define<&sock_connect>(store, linker, caller, "sock_connect"));
    TRY(define<&resolve>(store, linker, caller, "resolve"));
    TRY(define<&ping>(store, linker, caller, "ping"));
    TRY(define<&net_status>(store, linker, caller, "net_status"));
    TRY(define<&udp_bind>(store, linker, caller, "udp_bind"));
    TRY(define<&udp_send_to>(store, linker, caller, "udp_send_to"));
    TRY(define<&udp_recv_from>(store, linker, caller, "udp_recv_from"));
    return {};
}

} // namespace wk::hosted
