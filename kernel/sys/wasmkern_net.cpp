// The network calls of the `wasmkern` import module (docs/networking.md, "Outbound"): what
// preview1 lacks. Each but net_status needs the root resource with the net right, checked
// before anything else, so a program the shell started with --nonet gets `notcapable` (or
// `badf`: it holds no such handle) and the stack never sees its request. Every wait sleeps
// 1 ms between looks (the net thread's period), ends at its deadline, and ends with `intr`
// when the caller is being killed.
#include "engine/wasi/wasi_context.h"
#include "kernel/arch/x86_64/entropy.h"
#include "kernel/drivers/network.h"
#include "kernel/net/dns.h"
#include "kernel/object/handle_table.h"
#include "kernel/sched/thread.h"
#include "kernel/sys/wasmkern_calls.h"

namespace wk::kernel::sys::calls {

using drivers::NetworkLock;
using engine::wasi::Errno;
using object::ObjectType;

namespace {

constexpr u64 kMillisecond = 1'000'000;
constexpr u32 kDnsTries = 3;
// Random source ports tried before giving up (the stack has 8 UDP sockets among 16384 ports).
constexpr u32 kDnsPortTries = 16;
constexpr u64 kDnsWaitNs = 2'000 * kMillisecond;
constexpr u32 kMaxPingTimeoutMs = 60'000;
constexpr u32 kPingPayload = 56;
constexpr u32 kPingInfoSize = 16;
constexpr u32 kNetStatusSize = 96;

Errno net_right(WasmkernCaller& caller, u32 resource)
{
    auto root = caller.handles->get(resource, ObjectType::Resource, object::rights::kNet);
    return root ? Errno::Success : root.error();
}

bool killed()
{
    auto* self = sched::current();
    return self && self->kill_requested();
}

u32 to_u32(Errno error) { return static_cast<u32>(error); }

template<typename T>
T random_value()
{
    T value;
    x86_64::fill_random(Bytes(reinterpret_cast<u8*>(&value), sizeof value));
    return value;
}

// A UDP socket of the stack on a random port of 49152..65535 (RFC 5452: the port is the
// query's second secret, beside its id). NFile when the stack's sockets are all open.
Errno open_dns_socket(net::Interface& interface, usize* socket)
{
    for (u32 tries = 0; tries < kDnsPortTries; ++tries) {
        u16 port = static_cast<u16>(net::TcpLayer::kFirstEphemeralPort + random_value<u16>() % 16384);
        NetworkLock lock;
        auto opened = interface.udp_open(port);
        if (opened) {
            *socket = *opened;
            return Errno::Success;
        }
        if (opened.error().kind() != ErrorKind::Invalid)
            return Errno::NFile; // all open; Invalid is a port in use: another try
    }
    return Errno::NFile;
}

// One query to the DHCP-given server and up to kDnsWaitNs for its answer, from `socket`.
// Success with *address, TimedOut when nothing came, or the answer's error.
Errno ask_dns(net::Interface& interface, usize socket, std::span<const u8> query, u32* address)
{
    u64 sent_at;
    {
        NetworkLock lock;
        sent_at = drivers::network_now_ns();
        if (!interface.udp_send(socket, interface.dns(), net::kDnsPort, query, sent_at))
            return Errno::NetUnreach;
    }
    u8 message[net::kMaxDnsMessage];
    while (drivers::network_now_ns() - sent_at < kDnsWaitNs) {
        {
            NetworkLock lock;
            while (auto datagram = interface.udp_receive(socket, message)) {
                if (datagram->from != interface.dns() || datagram->from_port != net::kDnsPort)
                    continue; // not from the server asked
                usize length = datagram->length < sizeof message ? datagram->length : sizeof message;
                auto answer = net::dns_parse_answer(query, std::span<const u8>(message, length));
                if (answer) {
                    *address = *answer;
                    return Errno::Success;
                }
                switch (answer.error().kind()) {
                case ErrorKind::Invalid:
                    continue; // an answer to an earlier query on this port, or a forgery
                case ErrorKind::OutOfRange:
                    return Errno::NoEnt;
                case ErrorKind::Malformed:
                    return Errno::BadMsg;
                default:
                    return Errno::Io;
                }
            }
        }
        if (killed())
            return Errno::Intr;
        sched::sleep_for(kMillisecond);
    }
    return Errno::TimedOut;
}

} // namespace

u32 sock_connect(WasmkernCaller& caller, u32 resource, u32 addr_ptr, u32 addr_len, u32 port, u32 fd_out)
{
    if (Errno denied = net_right(caller, resource); denied != Errno::Success)
        return to_u32(denied);
    return to_u32(caller.context->sock_connect(addr_ptr, addr_len, port, fd_out));
}

u32 udp_bind(WasmkernCaller& caller, u32 resource, u32 port, u32 fd_out)
{
    if (Errno denied = net_right(caller, resource); denied != Errno::Success)
        return to_u32(denied);
    return to_u32(caller.context->udp_bind(port, fd_out));
}

u32 udp_send_to(WasmkernCaller& caller, u32 fd, u32 addr_ptr, u32 addr_len, u32 port, u32 buf_ptr, u32 buf_len,
                u32 sent_out)
{
    return to_u32(caller.context->udp_send_to(fd, addr_ptr, addr_len, port, buf_ptr, buf_len, sent_out));
}

u32 udp_recv_from(WasmkernCaller& caller, u32 fd, u32 buf_ptr, u32 buf_len, u32 info_out)
{
    return to_u32(caller.context->udp_recv_from(fd, buf_ptr, buf_len, info_out));
}

u32 resolve(WasmkernCaller& caller, u32 resource, u32 name_ptr, u32 name_len, u32 addr_out)
{
    if (Errno denied = net_right(caller, resource); denied != Errno::Success)
        return to_u32(denied);
    auto memory = caller.context->memory();
    auto name = memory.bytes(name_ptr, name_len);
    if (!name || !memory.contains(addr_out, 4))
        return to_u32(Errno::Fault);
    u8 query[net::kMaxDnsMessage];
    std::span<const char> text(reinterpret_cast<const char*>(name->data()), name->size());
    auto built = net::dns_build_query(random_value<u16>(), text, query);
    if (!built)
        return to_u32(Errno::Inval);
    auto* interface = drivers::network_interface();
    if (!interface)
        return to_u32(Errno::NetDown);
    {
        NetworkLock lock;
        if (interface->address() == 0 || interface->dns() == 0)
            return to_u32(Errno::NetDown);
    }
    usize socket;
    if (Errno opened = open_dns_socket(*interface, &socket); opened != Errno::Success)
        return to_u32(opened);
    u32 address = 0;
    Errno result = Errno::TimedOut;
    for (u32 attempt = 0; attempt < kDnsTries && result == Errno::TimedOut; ++attempt)
        result = ask_dns(*interface, socket, std::span<const u8>(query, *built), &address);
    {
        NetworkLock lock;
        interface->udp_close(socket);
    }
    if (result != Errno::Success)
        return to_u32(result);
    u8 bytes[4] = { static_cast<u8>(address >> 24), static_cast<u8>(address >> 16), static_cast<u8>(address >> 8),
                    static_cast<u8>(address) };
    return to_u32(memory.write_bytes(addr_out, ReadonlyBytes(bytes, 4)));
}

u32 ping(WasmkernCaller& caller, u32 resource, u32 addr_ptr, u32 addr_len, u32 sequence, u32 timeout_ms, u32 info_out)
{
    if (Errno denied = net_right(caller, resource); denied != Errno::Success)
        return to_u32(denied);
    auto memory = caller.context->memory();
    auto address_bytes = memory.bytes(addr_ptr, addr_len);
    if (!address_bytes || !memory.contains(info_out, kPingInfoSize))
        return to_u32(Errno::Fault);
    if (addr_len != 4 || sequence > 0xFFFF || timeout_ms == 0 || timeout_ms > kMaxPingTimeoutMs)
        return to_u32(Errno::Inval);
    const u8* a = address_bytes->data();
    net::Ipv4Address to = net::ipv4(a[0], a[1], a[2], a[3]);
    if (to == 0 || to == net::kIpv4Broadcast || (to >> 28) == 0xE)
        return to_u32(Errno::Inval);
    auto* interface = drivers::network_interface();
    if (!interface)
        return to_u32(Errno::NetDown);
    u16 identifier = static_cast<u16>(0x5700 + caller.pid);
    u64 sent_at;
    {
        NetworkLock lock;
        sent_at = drivers::network_now_ns();
        if (!interface->send_echo_request(to, identifier, static_cast<u16>(sequence), kPingPayload, sent_at))
            return to_u32(interface->address() == 0 ? Errno::NetDown : Errno::NetUnreach);
    }
    // NOTE: the stack keeps one queue of echo replies for everyone; replies that are not this
    // request's are dropped here (two pings at once may lose each other's).
    while (drivers::network_now_ns() - sent_at < u64 { timeout_ms } * kMillisecond) {
        std::optional<net::EchoReply> reply;
        {
            NetworkLock lock;
            reply = interface->take_echo_reply();
        }
        if (reply && reply->identifier == identifier && reply->sequence == sequence && reply->from == to) {
            u32 info[4] = { static_cast<u32>((reply->received_ns - sent_at) / 1000), reply->ttl,
                            u32 { reply->payload_bytes } + 8, 0 };
            u8 bytes[kPingInfoSize];
            __builtin_memcpy(bytes, info, sizeof bytes);
            return to_u32(memory.write_bytes(info_out, ReadonlyBytes(bytes, sizeof bytes)));
        }
        if (reply)
            continue;
        if (killed())
            return to_u32(Errno::Intr);
        sched::sleep_for(kMillisecond);
    }
    return to_u32(Errno::TimedOut);
}

u32 net_status(WasmkernCaller& caller, u32 buffer, u32 length)
{
    auto memory = caller.context->memory();
    if (!memory.contains(buffer, length))
        return to_u32(Errno::Fault);
    if (length < kNetStatusSize)
        return to_u32(Errno::Inval);
    auto* interface = drivers::network_interface();
    if (!interface)
        return to_u32(Errno::NetDown);
    u8 record[kNetStatusSize] = {};
    {
        NetworkLock lock;
        __builtin_memcpy(record, interface->mac().bytes, 6);
        auto* device = drivers::network_device();
        record[6] = device && device->link_up() ? 1 : 0;
        u32 addresses[6] = { interface->address(), interface->netmask(), interface->gateway(), interface->dns(),
                             static_cast<u32>(interface->tcp().connections_in_use()), 0 };
        __builtin_memcpy(record + 8, addresses, sizeof addresses);
        const auto& c = interface->counters();
        const auto& t = interface->tcp().counters();
        u64 counters[8] = { c.frames_in, c.frames_out, c.frames_send_failed, c.ipv4_in, c.udp_in, c.icmp_in,
                            t.segments_in, t.segments_out };
        __builtin_memcpy(record + 32, counters, sizeof counters);
    }
    return to_u32(memory.write_bytes(buffer, ReadonlyBytes(record, sizeof record)));
}

} // namespace wk::kernel::sys::calls
