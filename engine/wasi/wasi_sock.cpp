// The socket calls of preview1 (docs/wasi.md, "Sockets"): accept on a listening socket the
// embedder handed over, then bytes, flags and shutdown on the connections. Preview1 cannot
// open, bind or connect a socket; the system does the work (WasiSystem's socket section).
#include "engine/wasi/wasi_context.h"

namespace wk::engine::wasi {

Result<u32> WasiContext::add_listening_socket(HostHandle listener)
{
    if (m_descriptors.size() < 3)
        TRY(m_descriptors.try_resize(3));
    auto fd = allocate_descriptor();
    if (!fd)
        return Error::from("too many descriptors", ErrorKind::OutOfRange);
    FdEntry& entry = m_descriptors[*fd];
    entry = FdEntry {};
    entry.open = true;
    entry.handle = listener;
    entry.filetype = Filetype::SocketStream;
    entry.rights_base = rights::kListeningSocket;
    entry.is_socket = true;
    return *fd;
}

Errno WasiContext::add_socket(HostHandle socket, Filetype filetype, const GuestMemory& guest, u32 fd_out)
{
    auto added = add_descriptor(socket, filetype, rights::kConnectedSocket);
    if (!added) {
        (void)m_system.close(socket);
        return added.error();
    }
    FdEntry& entry = m_descriptors[*added];
    entry.is_stream = false;
    entry.is_socket = true;
    return guest.write_u32(fd_out, *added);
}

namespace {

// `entry` when it is a socket holding `required`: NotSock for anything else, then
// NotCapable (a socket is told apart before its rights, so that a file is always NotSock).
Expected<FdEntry*> socket_with(Expected<FdEntry*> entry, u64 required)
{
    if (!entry)
        return entry.error();
    if (!(*entry)->is_socket)
        return Errno::NotSock;
    if (((*entry)->rights_base & required) != required)
        return Errno::NotCapable;
    return *entry;
}

} // namespace

Errno WasiContext::sock_accept(u32 fd, u32 flags, u32 fd_out)
{
    auto entry = socket_with(descriptor(fd, 0), rights::kSockAccept);
    if (!entry)
        return entry.error();
    if ((flags & ~u32 { fdflags::kNonblock }) != 0)
        return Errno::Inval;
    GuestMemory guest = memory();
    if (!guest.contains(fd_out, 4))
        return Errno::Fault;
    auto connection = m_system.accept((*entry)->handle, static_cast<u16>(flags));
    if (!connection)
        return connection.error();
    return add_socket(*connection, Filetype::SocketStream, guest, fd_out);
}

Errno WasiContext::sock_recv(u32 fd, u32 ri_data, u32 ri_data_len, u32 ri_flags, u32 ro_datalen_out,
                             u32 ro_flags_out)
{
    auto entry = socket_with(descriptor(fd, 0), rights::kFdRead);
    if (!entry)
        return entry.error();
    if ((ri_flags & ~u32 { riflags::kAll }) != 0)
        return Errno::Inval;
    GuestMemory guest = memory();
    IovecList<IoSlice> slices;
    if (auto checked = read_iovecs(guest, ri_data, ri_data_len, slices); !checked)
        return checked.error();
    if (!guest.contains(ro_datalen_out, 4) || !guest.contains(ro_flags_out, 2))
        return Errno::Fault;
    auto count = m_system.receive((*entry)->handle, slices.slices, static_cast<u16>(ri_flags));
    if (!count)
        return count.error();
    // roflags: only RECV_DATA_TRUNCATED is defined, for datagrams; a stream never truncates.
    (void)guest.write_u16(ro_flags_out, 0);
    return guest.write_u32(ro_datalen_out, static_cast<u32>(*count));
}

Errno WasiContext::sock_send(u32 fd, u32 si_data, u32 si_data_len, u32 si_flags, u32 so_datalen_out)
{
    auto entry = socket_with(descriptor(fd, 0), rights::kFdWrite);
    if (!entry)
        return entry.error();
    if (si_flags != 0) // preview1 defines no siflags
        return Errno::Inval;
    GuestMemory guest = memory();
    IovecList<ConstIoSlice> slices;
    if (auto checked = read_iovecs(guest, si_data, si_data_len, slices); !checked)
        return checked.error();
    if (!guest.contains(so_datalen_out, 4))
        return Errno::Fault;
    auto count = m_system.send((*entry)->handle, slices.slices);
    if (!count)
        return count.error();
    return guest.write_u32(so_datalen_out, static_cast<u32>(*count));
}

Errno WasiContext::sock_connect(u32 addr_ptr, u32 addr_len, u32 port, u32 fd_out)
{
    GuestMemory guest = memory();
    auto address = guest.bytes(addr_ptr, addr_len);
    if (!address || !guest.contains(fd_out, 4))
        return Errno::Fault;
    if (addr_len == 16)
        return Errno::AfNoSupport; // IPv6: the stack has none
    if (addr_len != 4 || port == 0 || port > 0xFFFF)
        return Errno::Inval;
    const u8* a = address->data();
    u32 ipv4 = (u32 { a[0] } << 24) | (u32 { a[1] } << 16) | (u32 { a[2] } << 8) | a[3];
    // Room first: a connection made for a full table would be reset at once.
    if (auto room = allocate_descriptor(); !room)
        return room.error();
    auto connection = m_system.connect_tcp(ipv4, static_cast<u16>(port));
    if (!connection)
        return connection.error();
    return add_socket(*connection, Filetype::SocketStream, guest, fd_out);
}

namespace {

// An IPv4 address of `length` bytes at `address` in guest memory, as sock_connect takes it.
Expected<u32> guest_ipv4(const GuestMemory& guest, u32 address, u32 length)
{
    auto bytes = guest.bytes(address, length);
    if (!bytes)
        return Errno::Fault;
    if (length == 16)
        return Errno::AfNoSupport;
    if (length != 4)
        return Errno::Inval;
    const u8* a = bytes->data();
    return (u32 { a[0] } << 24) | (u32 { a[1] } << 16) | (u32 { a[2] } << 8) | a[3];
}

constexpr u32 kDatagramInfoSize = 16;

} // namespace

Errno WasiContext::udp_bind(u32 port, u32 fd_out)
{
    GuestMemory guest = memory();
    if (!guest.contains(fd_out, 4))
        return Errno::Fault;
    if (port > 0xFFFF)
        return Errno::Inval;
    if (auto room = allocate_descriptor(); !room)
        return room.error();
    auto socket = m_system.udp_bind(static_cast<u16>(port));
    if (!socket)
        return socket.error();
    return add_socket(*socket, Filetype::SocketDgram, guest, fd_out);
}

Errno WasiContext::udp_send_to(u32 fd, u32 addr_ptr, u32 addr_len, u32 port, u32 buf_ptr, u32 buf_len, u32 sent_out)
{
    auto entry = socket_with(descriptor(fd, 0), rights::kFdWrite);
    if (!entry)
        return entry.error();
    GuestMemory guest = memory();
    auto address = guest_ipv4(guest, addr_ptr, addr_len);
    auto data = guest.bytes(buf_ptr, buf_len);
    if (!data || !guest.contains(sent_out, 4))
        return Errno::Fault;
    if (!address)
        return address.error();
    if (port == 0 || port > 0xFFFF)
        return Errno::Inval;
    auto sent = m_system.udp_send_to((*entry)->handle, *address, static_cast<u16>(port), *data);
    if (!sent)
        return sent.error();
    return guest.write_u32(sent_out, static_cast<u32>(*sent));
}

Errno WasiContext::udp_recv_from(u32 fd, u32 buf_ptr, u32 buf_len, u32 info_out)
{
    auto entry = socket_with(descriptor(fd, 0), rights::kFdRead);
    if (!entry)
        return entry.error();
    GuestMemory guest = memory();
    auto buffer = guest.bytes(buf_ptr, buf_len);
    if (!buffer || !guest.contains(info_out, kDatagramInfoSize))
        return Errno::Fault;
    WasiSystem::Datagram from;
    auto copied = m_system.udp_receive_from((*entry)->handle, Bytes(buffer->data(), buffer->size()), from);
    if (!copied)
        return copied.error();
    u8 info[kDatagramInfoSize] = {};
    u32 counts[2] = { static_cast<u32>(*copied), static_cast<u32>(from.length) };
    __builtin_memcpy(info, counts, sizeof counts);
    info[8] = static_cast<u8>(from.address >> 24);
    info[9] = static_cast<u8>(from.address >> 16);
    info[10] = static_cast<u8>(from.address >> 8);
    info[11] = static_cast<u8>(from.address);
    __builtin_memcpy(info + 12, &from.port, 2);
    return guest.write_bytes(info_out, ReadonlyBytes(info, sizeof info));
}

Errno WasiContext::sock_shutdown(u32 fd, u32 how)
{
    auto entry = socket_with(descriptor(fd, 0), rights::kSockShutdown);
    if (!entry)
        return entry.error();
    if (how == 0 || (how & ~u32 { sdflags::kRead | sdflags::kWrite }) != 0)
        return Errno::Inval;
    auto result = m_system.shutdown((*entry)->handle, static_cast<u8>(how));
    return result ? Errno::Success : result.error();
}

} // namespace wk::engine::wasi
