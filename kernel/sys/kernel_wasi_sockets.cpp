// The socket part of KernelWasiSystem (docs/networking.md, "Sockets for programs"): handles on
// TcpSocket and UdpSocket objects, each counted against the process's SocketQuota before the
// stack is asked (so a refused process never touches the system's tables). A socket blocks
// outside the FsGuard, like a stream.
#include "kernel/sys/kernel_wasi_system.h"
#include "kernel/sys/root_fs.h"

namespace wk::kernel::sys {

namespace wasi = engine::wasi;

wasi::Expected<void> KernelWasiSystem::take_quota(SocketKind kind)
{
    FsGuard guard;
    if (Errno refused = m_quota.take(kind); refused != Errno::Success)
        return refused;
    return {};
}

void KernelWasiSystem::give_back_quota(SocketKind kind)
{
    FsGuard guard;
    m_quota.give_back(kind);
}

wasi::Expected<wasi::HostHandle> KernelWasiSystem::install_socket_locked(Slot slot, SocketKind kind)
{
    slot.counted = true;
    slot.kind = kind;
    auto installed = install(std::move(slot));
    if (!installed)
        m_quota.give_back(kind); // the socket is dropped here: allowed under the guard (tcp_socket.h)
    return installed;
}

wasi::Expected<wasi::HostHandle> KernelWasiSystem::open_tcp_listener(u16 port, u16 backlog)
{
    TRY(take_quota(SocketKind::Listener));
    auto socket = TcpSocket::listen(port, backlog);
    if (!socket) {
        give_back_quota(SocketKind::Listener);
        return socket.error();
    }
    FsGuard guard;
    Slot slot;
    slot.stream = socket->get();
    slot.socket = std::move(*socket);
    return install_socket_locked(std::move(slot), SocketKind::Listener);
}

wasi::Expected<wasi::HostHandle> KernelWasiSystem::connect_tcp(u32 address, u16 port)
{
    TRY(take_quota(SocketKind::Outbound));
    auto socket = TcpSocket::connect(address, port);
    if (!socket) {
        give_back_quota(SocketKind::Outbound);
        return socket.error();
    }
    FsGuard guard;
    Slot slot;
    slot.stream = socket->get();
    slot.socket = std::move(*socket);
    return install_socket_locked(std::move(slot), SocketKind::Outbound);
}

wasi::Expected<wasi::HostHandle> KernelWasiSystem::udp_bind(u16 port)
{
    TRY(take_quota(SocketKind::Datagram));
    auto socket = UdpSocket::bind(port);
    if (!socket) {
        give_back_quota(SocketKind::Datagram);
        return socket.error();
    }
    FsGuard guard;
    Slot slot;
    slot.stream = socket->get();
    slot.udp = std::move(*socket);
    return install_socket_locked(std::move(slot), SocketKind::Datagram);
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
    if (!socket->is_listener())
        return Errno::NotSup;
    // NOTE: a process at its quota is refused before it waits; the connection stays in the
    // listener's backlog until the process closes another.
    TRY(take_quota(SocketKind::Accepted));
    auto connection = socket->accept((fdflags & wasi::fdflags::kNonblock) != 0);
    if (!connection) {
        give_back_quota(SocketKind::Accepted);
        return connection.error();
    }
    FsGuard guard;
    Slot slot;
    slot.stream = connection->get();
    slot.socket = std::move(*connection);
    return install_socket_locked(std::move(slot), SocketKind::Accepted);
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
