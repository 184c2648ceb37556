#include "kernel/sys/udp_socket.h"

#include <new>

#include "kernel/drivers/network.h"
#include "kernel/sched/thread.h"

namespace wk::kernel::sys {

namespace wasi = engine::wasi;
using drivers::NetworkLock;

namespace {

usize g_program_sockets = 0; // changed with interrupts off
constexpr u64 kPollNs = 1'000'000;

bool killed()
{
    auto* self = sched::current();
    return self && self->kill_requested();
}

} // namespace

wasi::Expected<RefPtr<UdpSocket>> UdpSocket::bind(u16 port)
{
    auto* interface = drivers::network_interface();
    if (!interface)
        return Errno::NetDown;
    NetworkLock lock;
    if (g_program_sockets == kMaxProgramSockets)
        return Errno::NFile;
    auto opened = interface->udp_open(port);
    if (!opened)
        return errno_of(opened.error(), Errno::AddrInUse, Errno::NFile);
    auto* socket = new (std::nothrow) UdpSocket(*opened);
    if (!socket) {
        interface->udp_close(*opened);
        return Errno::NoMem;
    }
    ++g_program_sockets;
    return adopt_ref(*socket);
}

UdpSocket::~UdpSocket()
{
    NetworkLock lock;
    --g_program_sockets;
    drivers::network_interface()->udp_close(m_index);
}

wasi::Expected<usize> UdpSocket::send_to(u32 address, u16 port, ReadonlyBytes data)
{
    if (address == 0 || address == net::kIpv4Broadcast || (address >> 28) == 0xE || port == 0)
        return Errno::Inval;
    if (data.size() > net::kMaxUdpPayload)
        return Errno::MsgSize;
    NetworkLock lock;
    auto* interface = drivers::network_interface();
    auto sent = interface->udp_send(m_index, address, port, std::span<const u8>(data.data(), data.size()),
                                    drivers::network_now_ns());
    if (!sent)
        return interface->address() == 0 ? Errno::NetDown : Errno::NetUnreach;
    return data.size();
}

wasi::Expected<usize> UdpSocket::receive_from(Bytes out, wasi::WasiSystem::Datagram& from)
{
    for (;;) {
        {
            NetworkLock lock;
            auto datagram = drivers::network_interface()->udp_receive(m_index, std::span<u8>(out.data(), out.size()));
            if (datagram) {
                from.address = datagram->from;
                from.port = datagram->from_port;
                from.length = datagram->length;
                return datagram->length < out.size() ? datagram->length : out.size();
            }
        }
        if (m_nonblocking)
            return Errno::Again;
        if (killed())
            return Errno::Intr;
        sched::sleep_for(kPollNs);
    }
}

wasi::Expected<usize> UdpSocket::read(Bytes out)
{
    wasi::WasiSystem::Datagram from;
    return receive_from(out, from);
}

wasi::Expected<usize> UdpSocket::write(ReadonlyBytes) { return Errno::DestAddrReq; }

bool UdpSocket::readable_now()
{
    NetworkLock lock;
    return drivers::network_interface()->udp_pending(m_index);
}

} // namespace wk::kernel::sys
