// The socket part of PosixWasiSystem (docs/wasi.md, "Sockets"): `--tcplisten` opens a Linux
// listening socket, the guest's sock_accept is accept4(2), its bytes go through recvmsg and
// sendmsg. Every descriptor is close-on-exec; SIGPIPE is ignored by `wasmkern run`, and
// sends say MSG_NOSIGNAL too, so a peer gone away is Errno::Pipe, never a signal.
#include <cerrno>
#include <cstring>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "hosted/wasi/posix_system.h"

namespace wk::hosted {

using namespace engine::wasi;

namespace {

Errno last_error() { return errno_from_posix(errno); }

int fd_of(HostHandle handle) { return static_cast<int>(handle); }

template<typename Slice>
std::vector<iovec> iovecs(Span<const Slice> slices)
{
    std::vector<iovec> vectors;
    vectors.reserve(slices.size());
    for (const Slice& slice : slices)
        vectors.push_back({ const_cast<u8*>(slice.data), slice.length });
    return vectors;
}

// As the kernel's stack: programs reach unicast addresses only.
bool unicast(u32 address) { return address != 0 && address != 0xFFFFFFFFu && (address >> 28) != 0xE; }

sockaddr_in ipv4(u32 address, u16 port)
{
    sockaddr_in socket_address {};
    socket_address.sin_family = AF_INET;
    socket_address.sin_port = htons(port);
    socket_address.sin_addr.s_addr = htonl(address);
    return socket_address;
}

} // namespace

Result<HostHandle> PosixWasiSystem::open_listener(const char* address_and_port, std::string& error)
{
    std::string text(address_and_port);
    usize colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
        error = "needs ADDRESS:PORT";
        return Error::from("bad --tcplisten", ErrorKind::Invalid);
    }
    std::string host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    std::string port = text.substr(colon + 1);
    addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (int result = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); result != 0) {
        error = gai_strerror(result);
        return Error::from("bad --tcplisten", ErrorKind::Invalid);
    }
    int listener = -1;
    for (addrinfo* at = found; at && listener < 0; at = at->ai_next) {
        listener = ::socket(at->ai_family, at->ai_socktype | SOCK_CLOEXEC, at->ai_protocol);
        if (listener < 0)
            continue;
        int on = 1;
        (void)::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (::bind(listener, at->ai_addr, at->ai_addrlen) < 0 || ::listen(listener, 128) < 0) {
            error = std::strerror(errno);
            ::close(listener);
            listener = -1;
        }
    }
    freeaddrinfo(found);
    if (listener < 0) {
        if (error.empty())
            error = std::strerror(errno);
        return Error::from("cannot listen", ErrorKind::Io);
    }
    return static_cast<HostHandle>(listener);
}

Expected<HostHandle> PosixWasiSystem::accept(HostHandle listener, u16 fdflags)
{
    int flags = SOCK_CLOEXEC | ((fdflags & fdflags::kNonblock) ? SOCK_NONBLOCK : 0);
    for (;;) {
        int connection = ::accept4(fd_of(listener), nullptr, nullptr, flags);
        if (connection >= 0)
            return static_cast<HostHandle>(connection);
        // A connection reset before we took it is not the listener's failure: wait for the next.
        if (errno != EINTR && errno != ECONNABORTED)
            return last_error();
    }
}

Expected<HostHandle> PosixWasiSystem::connect_tcp(u32 address, u16 port)
{
    if (!unicast(address))
        return Errno::Inval;
    int connection = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connection < 0)
        return last_error();
    sockaddr_in to = ipv4(address, port);
    int result = ::connect(connection, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    // An interrupted connect goes on in the background: wait for its outcome.
    if (result < 0 && errno == EINTR) {
        pollfd wait { connection, POLLOUT, 0 };
        while (::poll(&wait, 1, -1) < 0 && errno == EINTR) { }
        int error = 0;
        socklen_t length = sizeof error;
        (void)::getsockopt(connection, SOL_SOCKET, SO_ERROR, &error, &length);
        errno = error;
        result = error ? -1 : 0;
    }
    if (result < 0) {
        int error = errno;
        ::close(connection);
        return errno_from_posix(error);
    }
    return static_cast<HostHandle>(connection);
}

Expected<HostHandle> PosixWasiSystem::udp_bind(u16 port)
{
    int socket = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (socket < 0)
        return last_error();
    sockaddr_in local = ipv4(INADDR_ANY, port);
    if (::bind(socket, reinterpret_cast<const sockaddr*>(&local), sizeof local) < 0) {
        int error = errno;
        ::close(socket);
        return errno_from_posix(error);
    }
    return static_cast<HostHandle>(socket);
}

Expected<usize> PosixWasiSystem::udp_send_to(HostHandle handle, u32 address, u16 port, ReadonlyBytes data)
{
    if (!unicast(address))
        return Errno::Inval;
    if (data.size() > 1472)
        return Errno::MsgSize; // one unfragmented datagram, as the kernel's
    sockaddr_in to = ipv4(address, port);
    ssize_t sent;
    do
        sent = ::sendto(fd_of(handle), data.data(), data.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&to),
                        sizeof to);
    while (sent < 0 && errno == EINTR);
    if (sent < 0)
        return last_error();
    return static_cast<usize>(sent);
}

Expected<usize> PosixWasiSystem::udp_receive_from(HostHandle handle, Bytes out, Datagram& from)
{
    sockaddr_in sender {};
    socklen_t length = sizeof sender;
    ssize_t received;
    do
        received = ::recvfrom(fd_of(handle), out.data(), out.size(), MSG_TRUNC, reinterpret_cast<sockaddr*>(&sender),
                              &length);
    while (received < 0 && errno == EINTR);
    if (received < 0)
        return last_error();
    from.address = ntohl(sender.sin_addr.s_addr);
    from.port = ntohs(sender.sin_port);
    from.length = static_cast<usize>(received); // MSG_TRUNC: the datagram's whole length
    return from.length < out.size() ? from.length : out.size();
}

Expected<usize> PosixWasiSystem::receive(HostHandle handle, Span<const IoSlice> slices, u16 flags)
{
    auto vectors = iovecs(slices);
    msghdr message {};
    message.msg_iov = vectors.data();
    message.msg_iovlen = vectors.size();
    int how = ((flags & riflags::kPeek) ? MSG_PEEK : 0) | ((flags & riflags::kWaitall) ? MSG_WAITALL : 0);
    ssize_t count = ::recvmsg(fd_of(handle), &message, how);
    if (count < 0)
        return last_error();
    return static_cast<usize>(count);
}

Expected<usize> PosixWasiSystem::send(HostHandle handle, Span<const ConstIoSlice> slices)
{
    auto vectors = iovecs(slices);
    msghdr message {};
    message.msg_iov = vectors.data();
    message.msg_iovlen = vectors.size();
    ssize_t count = ::sendmsg(fd_of(handle), &message, MSG_NOSIGNAL);
    if (count < 0)
        return last_error();
    return static_cast<usize>(count);
}

Expected<void> PosixWasiSystem::shutdown(HostHandle handle, u8 how)
{
    bool read = how & sdflags::kRead, write = how & sdflags::kWrite;
    int which = read && write ? SHUT_RDWR : read ? SHUT_RD : SHUT_WR;
    if (::shutdown(fd_of(handle), which) < 0)
        return last_error();
    return {};
}

} // namespace wk::hosted
