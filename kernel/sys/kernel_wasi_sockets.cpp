// The socket part of KernelWasiSystem (docs/networking.md, "Sockets for programs"): handles on
// TcpSocket objects. A socket blocks outside the FsGuard, like a stream.
#include "kernel/sys/kernel_wasi_system.h"
#include "kernel/sys/root_fs.h"

namespace wk::kernel::sys {

namespace wasi = engine::wasi;

wasi::Expected<wasi::HostHandle> KernelWasiSystem::open_tcp_listener(u16 port, u16 backlog)
{
    auto socket = TcpSocket::listen(port, backlog);
    if (!socket)
        return socket.error();
    FsGuard guard; // the socket is dropped here on failure: allowed under the guard (tcp_socket.h)
    Slot slot;
    slot.stream = socket->get();
    slot.socket = std::move(*socket);
    return install(std::move(slot));
}

wasi::Expected<wasi::HostHandle> KernelWasiSystem::connect_tcp(u32 address, u16 port)
{
    auto socket = TcpSocket::connect(address, port);
    if (!socket)
        return socket.error();
    FsGuard guard;
    Slot slot;
    slot.stream = socket->get();
    slot.socket = std::move(*socket);
    return install(std::move(slot));
}

wasi::Expected<wasi::HostHandle> KernelWasiSystem::udp_bind(u16 port)
{
    auto socket = UdpSocket::bind(port);
    if (!socket)
        return socket.error();
    FsGuard guard;
    Slot slot;
    slot.stream = socket->get();
    slot.udp = std::move(*socket);
    return install(std::move(slot));
}

wasi::Expected<RefPtr<UdpSocket>> KernelWasiSystem::udp_of(HostHandle handle)
{
    FsGuard guard;
    Slot* slot = TRY(slot_locked(handle));
    if (!slot->udp)
        return Errno::NotSock;
    return slot->udp;
}

wasi::Expected<usize> KernelWasiSystem::udp_send_to(HostHandle handle, u32 address, u16 port, ReadonlyBytes data)
{
    RefPtr<UdpSocket> socket = TRY(udp_of(handle));
    return socket->send_to(address, port, data);
}

wasi::Expected<usize> KernelWasiSystem::udp_receive_from(HostHandle handle, Bytes out, Datagram& from)
{
    RefPtr<UdpSocket> socket = TRY(udp_of(handle));
    return socket->receive_from(out, from);
}

wasi::Expected<RefPtr<TcpSocket>> KernelWasiSystem::socket_of(HostHandle handle)
{
    FsGuard guard;
    Slot* slot = TRY(slot_locked(handle));
    if (!slot->socket)
        return Errno::NotSock;
    return slot->socket;
}

wasi::Expected<wasi::HostHandle> KernelWasiSystem::accept(HostHandle listener, u16 fdflags)
{
    RefPtr<TcpSocket> socket = TRY(socket_of(listener));
    auto connection = socket->accept((fdflags & wasi::fdflags::kNonblock) != 0);
    if (!connection)
        return connection.error();
    FsGuard guard;
    Slot slot;
    slot.stream = connection->get();
    slot.socket = std::move(*connection);
    return install(std::move(slot));
}

wasi::Expected<usize> KernelWasiSystem::receive(HostHandle handle, Span<const wasi::IoSlice> slices, u16 riflags)
{
    RefPtr<TcpSocket> socket = TRY(socket_of(handle));
    // NOTE: the stack copies received bytes out as it hands them over; it cannot peek yet.
    if (riflags & wasi::riflags::kPeek)
        return Errno::NotSup;
    if (!(riflags & wasi::riflags::kWaitall))
        return read(handle, slices);
    usize total = 0;
    for (auto& slice : slices) {
        for (usize at = 0; at < slice.length;) {
            auto count = socket->read(Bytes(slice.data + at, slice.length - at));
            if (!count)
                return total > 0 ? wasi::Expected<usize>(total) : count.error();
            if (*count == 0)
                return total;
            at += *count;
            total += *count;
        }
    }
    return total;
}

wasi::Expected<usize> KernelWasiSystem::send(HostHandle handle, Span<const wasi::ConstIoSlice> slices)
{
    TRY(socket_of(handle));
    return write(handle, slices);
}

wasi::Expected<void> KernelWasiSystem::shutdown(HostHandle handle, u8 how)
{
    RefPtr<TcpSocket> socket = TRY(socket_of(handle));
    if (socket->is_listener())
        return Errno::NotConn;
    socket->shutdown(how);
    return {};
}

} // namespace wk::kernel::sys
