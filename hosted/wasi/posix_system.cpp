#include "hosted/wasi/posix_system.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace wk::hosted {

using namespace engine::wasi;

Errno errno_from_posix(int error)
{
    switch (error) {
    case 0: return Errno::Success;
    case E2BIG: return Errno::TooBig;
    case EACCES: return Errno::Access;
    case EADDRINUSE: return Errno::AddrInUse;
    case EADDRNOTAVAIL: return Errno::AddrNotAvail;
    case EAFNOSUPPORT: return Errno::AfNoSupport;
    case EAGAIN: return Errno::Again;
    case EALREADY: return Errno::Already;
    case EBADF: return Errno::BadF;
    case EBADMSG: return Errno::BadMsg;
    case EBUSY: return Errno::Busy;
    case ECANCELED: return Errno::Canceled;
    case ECHILD: return Errno::Child;
    case ECONNABORTED: return Errno::ConnAborted;
    case ECONNREFUSED: return Errno::ConnRefused;
    case ECONNRESET: return Errno::ConnReset;
    case EDEADLK: return Errno::DeadLk;
    case EDESTADDRREQ: return Errno::DestAddrReq;
    case EDOM: return Errno::Dom;
    case EDQUOT: return Errno::DQuot;
    case EEXIST: return Errno::Exist;
    case EFAULT: return Errno::Fault;
    case EFBIG: return Errno::FBig;
    case EHOSTUNREACH: return Errno::HostUnreach;
    case EIDRM: return Errno::IdRm;
    case EILSEQ: return Errno::IlSeq;
    case EINPROGRESS: return Errno::InProgress;
    case EINTR: return Errno::Intr;
    case EINVAL: return Errno::Inval;
    case EIO: return Errno::Io;
    case EISCONN: return Errno::IsConn;
    case EISDIR: return Errno::IsDir;
    case ELOOP: return Errno::Loop;
    case EMFILE: return Errno::MFile;
    case EMLINK: return Errno::MLink;
    case EMSGSIZE: return Errno::MsgSize;
    case EMULTIHOP: return Errno::Multihop;
    case ENAMETOOLONG: return Errno::NameTooLong;
    case ENETDOWN: return Errno::NetDown;
    case ENETRESET: return Errno::NetReset;
    case ENETUNREACH: return Errno::NetUnreach;
    case ENFILE: return Errno::NFile;
    case ENOBUFS: return Errno::NoBufs;
    case ENODEV: return Errno::NoDev;
    case ENOENT: return Errno::NoEnt;
    case ENOEXEC: return Errno::NoExec;
    case ENOLCK: return Errno::NoLck;
    case ENOLINK: return Errno::NoLink;
    case ENOMEM: return Errno::NoMem;
    case ENOMSG: return Errno::NoMsg;
    case ENOPROTOOPT: return Errno::NoProtoOpt;
    case ENOSPC: return Errno::NoSpc;
    case ENOSYS: return Errno::NoSys;
    case ENOTCONN: return Errno::NotConn;
    case ENOTDIR: return Errno::NotDir;
    case ENOTEMPTY: return Errno::NotEmpty;
    case ENOTRECOVERABLE: return Errno::NotRecoverable;
    case ENOTSOCK: return Errno::NotSock;
    case ENOTSUP: return Errno::NotSup;
    case ENOTTY: return Errno::NotTy;
    case ENXIO: return Errno::NxIo;
    case EOVERFLOW: return Errno::Overflow;
    case EOWNERDEAD: return Errno::OwnerDead;
    case EPERM: return Errno::Perm;
    case EPIPE: return Errno::Pipe;
    case EPROTO: return Errno::Proto;
    case EPROTONOSUPPORT: return Errno::ProtoNoSupport;
    case EPROTOTYPE: return Errno::ProtoType;
    case ERANGE: return Errno::Range;
    case EROFS: return Errno::RoFs;
    case ESPIPE: return Errno::SPipe;
    case ESRCH: return Errno::Srch;
    case ESTALE: return Errno::Stale;
    case ETIMEDOUT: return Errno::TimedOut;
    case ETXTBSY: return Errno::TxtBsy;
    case EXDEV: return Errno::XDev;
    default: return Errno::Io;
    }
}

namespace {

Errno last_error() { return errno_from_posix(errno); }

Expected<void> check(int result)
{
    if (result < 0)
        return last_error();
    return {};
}

// posix_fadvise and posix_fallocate return the error instead of setting errno.
Expected<void> check_returned(int error)
{
    if (error != 0)
        return errno_from_posix(error);
    return {};
}

std::string text(StringView view) { return std::string(view.data(), view.size()); }

int fd_of(HostHandle handle) { return static_cast<int>(handle); }

Filetype filetype_of(mode_t mode)
{
    if (S_ISREG(mode))
        return Filetype::RegularFile;
    if (S_ISDIR(mode))
        return Filetype::Directory;
    if (S_ISLNK(mode))
        return Filetype::SymbolicLink;
    if (S_ISCHR(mode))
        return Filetype::CharacterDevice;
    if (S_ISBLK(mode))
        return Filetype::BlockDevice;
    if (S_ISSOCK(mode))
        return Filetype::SocketStream;
    return Filetype::Unknown;
}

u64 nanoseconds(const timespec& time)
{
    return static_cast<u64>(time.tv_sec) * 1'000'000'000u + static_cast<u64>(time.tv_nsec);
}

FileStat file_stat(const struct stat& st)
{
    FileStat stat;
    stat.device = st.st_dev;
    stat.inode = st.st_ino;
    stat.filetype = filetype_of(st.st_mode);
    stat.link_count = st.st_nlink;
    stat.size = static_cast<u64>(st.st_size);
    stat.access_time = nanoseconds(st.st_atim);
    stat.modify_time = nanoseconds(st.st_mtim);
    stat.change_time = nanoseconds(st.st_ctim);
    return stat;
}

timespec timespec_of(TimeUpdate update)
{
    timespec time {};
    switch (update.kind) {
    case TimeUpdate::Kind::Omit: time.tv_nsec = UTIME_OMIT; break;
    case TimeUpdate::Kind::Now: time.tv_nsec = UTIME_NOW; break;
    case TimeUpdate::Kind::Set:
        time.tv_sec = static_cast<time_t>(update.nanoseconds / 1'000'000'000u);
        time.tv_nsec = static_cast<long>(update.nanoseconds % 1'000'000'000u);
        break;
    }
    return time;
}

std::vector<iovec> iovecs(Span<const IoSlice> slices)
{
    std::vector<iovec> result;
    result.reserve(slices.size());
    for (const IoSlice& slice : slices)
        result.push_back({ slice.data, slice.length });
    return result;
}

std::vector<iovec> iovecs(Span<const ConstIoSlice> slices)
{
    std::vector<iovec> result;
    result.reserve(slices.size());
    for (const ConstIoSlice& slice : slices)
        result.push_back({ const_cast<u8*>(slice.data), slice.length });
    return result;
}

// NOTE: a measurement knob (bench/README.md, "Measuring on a loaded machine"): with
// WASMKERN_MONOTONIC_IS_THREAD_CPU=1 in the host environment the guest's monotonic
// clock is the calling thread's CPU time, so that a program timing its own work with it
// does not count the time it waited for a CPU on a shared machine.
bool monotonic_is_thread_cpu()
{
    static const bool enabled = [] {
        const char* value = std::getenv("WASMKERN_MONOTONIC_IS_THREAD_CPU");
        return value != nullptr && value[0] == '1' && value[1] == '\0';
    }();
    return enabled;
}

clockid_t posix_clock(ClockId id)
{
    switch (id) {
    case ClockId::Realtime: return CLOCK_REALTIME;
    case ClockId::Monotonic: return monotonic_is_thread_cpu() ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
    case ClockId::ProcessCputime: return CLOCK_PROCESS_CPUTIME_ID;
    case ClockId::ThreadCputime: return CLOCK_THREAD_CPUTIME_ID;
    }
    return CLOCK_MONOTONIC;
}

} // namespace

Result<HostHandle> PosixWasiSystem::open_directory(const char* host_path)
{
    int fd = ::open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return Error::from("cannot open the preopened directory", ErrorKind::Io);
    return HostHandle { fd };
}

namespace {
// Which of fds 0-2 reserve_standard_descriptors() found closed.
bool g_started_without[3] = { false, false, false };
}

bool PosixWasiSystem::reserve_standard_descriptors()
{
    for (int fd = 0; fd < 3; ++fd) {
        if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        g_started_without[fd] = true;
        // NOTE: open returns the lowest free descriptor, which is `fd` itself.
        int null = ::open("/dev/null", O_RDWR);
        if (null != fd) {
            if (null >= 0)
                ::close(null);
            return false;
        }
    }
    return true;
}

Result<HostHandle> PosixWasiSystem::duplicate_stdio(int fd, Filetype& filetype)
{
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0)
        return Error::from("cannot duplicate a standard descriptor", ErrorKind::Io);
    // As wasmtime reports stdio: a terminal is a character device, anything else an
    // unknown stream (never a seekable regular file).
    filetype = ::isatty(copy) ? Filetype::CharacterDevice : Filetype::Unknown;
    return HostHandle { copy };
}

Result<void> PosixWasiSystem::install_stdio(WasiContext& context)
{
    for (int fd = 0; fd < 3; ++fd) {
        // A descriptor this process was started without stays closed for the guest.
        if (g_started_without[fd] || (::fcntl(fd, F_GETFD) < 0 && errno == EBADF))
            continue;
        Filetype filetype;
        HostHandle handle = TRY(duplicate_stdio(fd, filetype));
        TRY(context.set_stdio_stream(static_cast<u32>(fd), handle, filetype));
    }
    return {};
}

Expected<void> PosixWasiSystem::close(HostHandle handle)
{
    forget_directory_stream(handle);
    return check(::close(fd_of(handle)));
}

Expected<usize> PosixWasiSystem::read(HostHandle handle, Span<const IoSlice> slices)
{
    auto vectors = iovecs(slices);
    ssize_t count = ::readv(fd_of(handle), vectors.data(), static_cast<int>(vectors.size()));
    if (count < 0)
        return last_error();
    return static_cast<usize>(count);
}

Expected<usize> PosixWasiSystem::pread(HostHandle handle, Span<const IoSlice> slices, u64 offset)
{
    auto vectors = iovecs(slices);
    ssize_t count = ::preadv(fd_of(handle), vectors.data(), static_cast<int>(vectors.size()), static_cast<off_t>(offset));
    if (count < 0)
        return last_error();
    return static_cast<usize>(count);
}

Expected<usize> PosixWasiSystem::write(HostHandle handle, Span<const ConstIoSlice> slices)
{
    auto vectors = iovecs(slices);
    ssize_t count = ::writev(fd_of(handle), vectors.data(), static_cast<int>(vectors.size()));
    if (count < 0)
        return last_error();
    return static_cast<usize>(count);
}

Expected<usize> PosixWasiSystem::pwrite(HostHandle handle, Span<const ConstIoSlice> slices, u64 offset)
{
    auto vectors = iovecs(slices);
    ssize_t count = ::pwritev(fd_of(handle), vectors.data(), static_cast<int>(vectors.size()), static_cast<off_t>(offset));
    if (count < 0)
        return last_error();
    return static_cast<usize>(count);
}

Expected<u64> PosixWasiSystem::seek(HostHandle handle, i64 offset, Whence whence)
{
    int how = whence == Whence::Set ? SEEK_SET : whence == Whence::Cur ? SEEK_CUR : SEEK_END;
    off_t position = ::lseek(fd_of(handle), static_cast<off_t>(offset), how);
    if (position < 0)
        return last_error();
    return static_cast<u64>(position);
}

Expected<u16> PosixWasiSystem::get_fdflags(HostHandle handle)
{
    int flags = ::fcntl(fd_of(handle), F_GETFL);
    if (flags < 0)
        return last_error();
    u16 result = 0;
    if (flags & O_APPEND)
        result |= fdflags::kAppend;
    if (flags & O_NONBLOCK)
        result |= fdflags::kNonblock;
    if ((flags & O_SYNC) == O_SYNC)
        result |= fdflags::kSync;
    else if (flags & O_DSYNC)
        result |= fdflags::kDsync;
    return result;
}

Expected<void> PosixWasiSystem::set_fdflags(HostHandle handle, u16 flags)
{
    // NOTE: Linux cannot change the synchronisation flags of an open file.
    if (flags & (fdflags::kDsync | fdflags::kRsync | fdflags::kSync))
        return Errno::NotSup;
    int current = ::fcntl(fd_of(handle), F_GETFL);
    if (current < 0)
        return last_error();
    int next = current & ~(O_APPEND | O_NONBLOCK);
    if (flags & fdflags::kAppend)
        next |= O_APPEND;
    if (flags & fdflags::kNonblock)
        next |= O_NONBLOCK;
    return check(::fcntl(fd_of(handle), F_SETFL, next));
}

Expected<FileStat> PosixWasiSystem::stat(HostHandle handle)
{
    struct stat st;
    if (::fstat(fd_of(handle), &st) < 0)
        return last_error();
    return file_stat(st);
}

Expected<void> PosixWasiSystem::set_size(HostHandle handle, u64 size)
{
    return check(::ftruncate(fd_of(handle), static_cast<off_t>(size)));
}

Expected<void> PosixWasiSystem::set_times(HostHandle handle, TimeUpdate access, TimeUpdate modify)
{
    timespec times[2] = { timespec_of(access), timespec_of(modify) };
    return check(::futimens(fd_of(handle), times));
}

Expected<void> PosixWasiSystem::sync(HostHandle handle) { return check(::fsync(fd_of(handle))); }

Expected<void> PosixWasiSystem::datasync(HostHandle handle) { return check(::fdatasync(fd_of(handle))); }

Expected<void> PosixWasiSystem::advise(HostHandle handle, u64 offset, u64 length, Advice advice)
{
    int how = POSIX_FADV_NORMAL;
    switch (advice) {
    case Advice::Normal: how = POSIX_FADV_NORMAL; break;
    case Advice::Sequential: how = POSIX_FADV_SEQUENTIAL; break;
    case Advice::Random: how = POSIX_FADV_RANDOM; break;
    case Advice::WillNeed: how = POSIX_FADV_WILLNEED; break;
    case Advice::DontNeed: how = POSIX_FADV_DONTNEED; break;
    case Advice::NoReuse: how = POSIX_FADV_NOREUSE; break;
    }
    if (static_cast<i64>(offset) < 0 || static_cast<i64>(length) < 0)
        return Errno::Inval;
    return check_returned(::posix_fadvise(fd_of(handle), static_cast<off_t>(offset), static_cast<off_t>(length), how));
}

Expected<void> PosixWasiSystem::allocate(HostHandle handle, u64 offset, u64 length)
{
    if (static_cast<i64>(offset) < 0 || static_cast<i64>(length) <= 0)
        return Errno::Inval;
    return check_returned(::posix_fallocate(fd_of(handle), static_cast<off_t>(offset), static_cast<off_t>(length)));
}

PosixWasiSystem::~PosixWasiSystem()
{
    for (auto& [handle, directory] : m_directory_streams)
        ::closedir(directory.stream);
}

Expected<PosixWasiSystem::DirectoryStream*> PosixWasiSystem::directory_stream(HostHandle handle)
{
    if (auto found = m_directory_streams.find(handle); found != m_directory_streams.end())
        return &found->second;
    // NOTE: a private descriptor of the directory, so the stream's position is its own.
    int copy = ::openat(fd_of(handle), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (copy < 0)
        return last_error();
    DIR* stream = ::fdopendir(copy);
    if (!stream) {
        ::close(copy);
        return last_error();
    }
    return &m_directory_streams.emplace(handle, DirectoryStream { stream, 0 }).first->second;
}

void PosixWasiSystem::forget_directory_stream(HostHandle handle)
{
    auto found = m_directory_streams.find(handle);
    if (found == m_directory_streams.end())
        return;
    ::closedir(found->second.stream);
    m_directory_streams.erase(found);
}

Expected<void> PosixWasiSystem::read_directory(HostHandle handle, u64 cookie, DirectorySink& sink)
{
    // A cookie is the index of the next entry in the stream's order. Reading on from
    // where the last call stopped (the usual loop) continues the kept stream; cookie 0
    // rewinds it (and sees the directory as it is now); any other cookie behind the
    // stream rewinds and skips. The entry a call stops at is read again by the next
    // call (it may not have fit the guest's buffer), so the stream is left before it.
    auto opened = directory_stream(handle);
    if (!opened)
        return opened.error();
    DirectoryStream* directory = *opened;
    if (cookie == 0 || cookie < directory->next_cookie) {
        ::rewinddir(directory->stream);
        directory->next_cookie = 0;
    }
    for (;;) {
        long before = ::telldir(directory->stream);
        errno = 0;
        dirent* entry = ::readdir(directory->stream);
        ++m_directory_entries_read;
        if (!entry) {
            if (errno != 0)
                return last_error();
            return {};
        }
        u64 index = ++directory->next_cookie;
        if (index <= cookie)
            continue;
        Filetype type = Filetype::Unknown;
        switch (entry->d_type) {
        case DT_REG: type = Filetype::RegularFile; break;
        case DT_DIR: type = Filetype::Directory; break;
        case DT_LNK: type = Filetype::SymbolicLink; break;
        case DT_CHR: type = Filetype::CharacterDevice; break;
        case DT_BLK: type = Filetype::BlockDevice; break;
        case DT_SOCK: type = Filetype::SocketStream; break;
        default: break;
        }
        if (!sink.entry(index, entry->d_ino, type, StringView(entry->d_name, std::strlen(entry->d_name)))) {
            ::seekdir(directory->stream, before);
            directory->next_cookie = index - 1;
            return {};
        }
    }
}

Expected<HostHandle> PosixWasiSystem::open_at(HostHandle directory, StringView name, const OpenRequest& request)
{
    int flags = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
    if (request.read && request.write)
        flags |= O_RDWR;
    else if (request.write)
        flags |= O_WRONLY;
    else
        flags |= O_RDONLY;
    if (request.create)
        flags |= O_CREAT;
    if (request.exclusive)
        flags |= O_EXCL;
    if (request.truncate)
        flags |= O_TRUNC;
    if (request.directory)
        flags |= O_DIRECTORY;
    if (request.fdflags & fdflags::kAppend)
        flags |= O_APPEND;
    if (request.fdflags & fdflags::kNonblock)
        flags |= O_NONBLOCK;
    if (request.fdflags & (fdflags::kSync | fdflags::kRsync))
        flags |= O_SYNC;
    else if (request.fdflags & fdflags::kDsync)
        flags |= O_DSYNC;
    int fd = ::openat(fd_of(directory), text(name).c_str(), flags, 0666);
    if (fd < 0)
        return last_error();
    return HostHandle { fd };
}

Expected<FileStat> PosixWasiSystem::stat_at(HostHandle directory, StringView name)
{
    struct stat st;
    if (::fstatat(fd_of(directory), text(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return last_error();
    return file_stat(st);
}

Expected<void> PosixWasiSystem::set_times_at(HostHandle directory, StringView name, TimeUpdate access, TimeUpdate modify)
{
    timespec times[2] = { timespec_of(access), timespec_of(modify) };
    return check(::utimensat(fd_of(directory), text(name).c_str(), times, AT_SYMLINK_NOFOLLOW));
}

Expected<void> PosixWasiSystem::create_directory_at(HostHandle directory, StringView name)
{
    return check(::mkdirat(fd_of(directory), text(name).c_str(), 0777));
}

Expected<void> PosixWasiSystem::remove_directory_at(HostHandle directory, StringView name)
{
    return check(::unlinkat(fd_of(directory), text(name).c_str(), AT_REMOVEDIR));
}

Expected<void> PosixWasiSystem::unlink_file_at(HostHandle directory, StringView name)
{
    return check(::unlinkat(fd_of(directory), text(name).c_str(), 0));
}

Expected<void> PosixWasiSystem::rename_at(HostHandle from_directory, StringView from, HostHandle to_directory, StringView to)
{
    return check(::renameat(fd_of(from_directory), text(from).c_str(), fd_of(to_directory), text(to).c_str()));
}

Expected<void> PosixWasiSystem::link_at(HostHandle from_directory, StringView from, HostHandle to_directory, StringView to)
{
    return check(::linkat(fd_of(from_directory), text(from).c_str(), fd_of(to_directory), text(to).c_str(), 0));
}

Expected<void> PosixWasiSystem::symlink_at(StringView target, HostHandle directory, StringView name)
{
    return check(::symlinkat(text(target).c_str(), fd_of(directory), text(name).c_str()));
}

Expected<String> PosixWasiSystem::readlink_at(HostHandle directory, StringView name)
{
    std::string path = text(name);
    std::vector<char> buffer(256);
    for (;;) {
        ssize_t length = ::readlinkat(fd_of(directory), path.c_str(), buffer.data(), buffer.size());
        if (length < 0)
            return last_error();
        if (static_cast<usize>(length) < buffer.size()) {
            auto result = String::try_create(StringView(buffer.data(), static_cast<usize>(length)));
            if (!result)
                return Errno::NoMem;
            return std::move(*result);
        }
        if (buffer.size() >= 65536)
            return Errno::NameTooLong;
        buffer.resize(buffer.size() * 2);
    }
}

Expected<u64> PosixWasiSystem::clock_time(ClockId id)
{
    timespec time;
    if (::clock_gettime(posix_clock(id), &time) < 0)
        return last_error();
    return nanoseconds(time);
}

Expected<u64> PosixWasiSystem::clock_resolution(ClockId id)
{
    timespec time;
    if (::clock_getres(posix_clock(id), &time) < 0)
        return last_error();
    return nanoseconds(time);
}

Expected<void> PosixWasiSystem::random(Bytes buffer)
{
    usize done = 0;
    while (done < buffer.size()) {
        ssize_t count = ::getrandom(buffer.data() + done, buffer.size() - done, 0);
        if (count < 0) {
            if (errno == EINTR)
                continue;
            return last_error();
        }
        done += static_cast<usize>(count);
    }
    return {};
}

void PosixWasiSystem::yield() { ::sched_yield(); }

void PosixWasiSystem::sleep(u64 duration)
{
    timespec request { static_cast<time_t>(duration / 1'000'000'000u), static_cast<long>(duration % 1'000'000'000u) };
    timespec remaining;
    while (::nanosleep(&request, &remaining) < 0 && errno == EINTR)
        request = remaining;
}

Expected<void> PosixWasiSystem::poll(Span<PollRequest> requests, std::optional<u64> timeout)
{
    std::vector<pollfd> fds;
    fds.reserve(requests.size());
    for (const PollRequest& request : requests) {
        short events = 0;
        if (request.want_read)
            events |= POLLIN;
        if (request.want_write)
            events |= POLLOUT;
        fds.push_back({ fd_of(request.handle), events, 0 });
    }
    // Milliseconds left, rounded up without overflow: a timeout near 2^64 waits (in
    // slices of poll's INT_MAX) rather than wrapping to zero and firing at once.
    std::optional<u64> remaining;
    if (timeout)
        remaining = *timeout / 1'000'000 + (*timeout % 1'000'000 != 0 ? 1 : 0);
    int result;
    for (;;) {
        int milliseconds = !remaining ? -1 : *remaining > INT_MAX ? INT_MAX : static_cast<int>(*remaining);
        result = ::poll(fds.data(), fds.size(), milliseconds);
        if (result < 0 && errno == EINTR)
            continue;
        if (result == 0 && remaining && *remaining > INT_MAX) {
            *remaining -= INT_MAX;
            continue;
        }
        break;
    }
    if (result < 0)
        return last_error();
    for (usize i = 0; i < requests.size(); ++i) {
        PollRequest& request = requests[i];
        short revents = fds[i].revents;
        request.ready = (revents & (POLLIN | POLLOUT | POLLERR)) != 0;
        request.hangup = (revents & POLLHUP) != 0;
        int available = 0;
        if (request.want_read && request.ready && ::ioctl(fds[i].fd, FIONREAD, &available) == 0 && available > 0)
            request.available_bytes = static_cast<u64>(available);
    }
    return {};
}

} // namespace wk::hosted
