#include "kernel/sys/kernel_wasi_system.h"

#include "kernel/arch/x86_64/entropy.h"
#include "kernel/fs/inode.h"
#include "kernel/sched/thread.h"
#include "kernel/sys/root_fs.h"
#include "kernel/time/clock.h"
#include "kernel/time/rtc.h"

namespace wk::kernel::sys {

namespace wasi = engine::wasi;
using wasi::Errno;

namespace {

wasi::Filetype filetype_of(fs::InodeType type)
{
    switch (type) {
    case fs::InodeType::File: return wasi::Filetype::RegularFile;
    case fs::InodeType::Directory: return wasi::Filetype::Directory;
    case fs::InodeType::Symlink: return wasi::Filetype::SymbolicLink;
    }
    return wasi::Filetype::Unknown;
}

wasi::FileStat file_stat(const fs::Stat& stat)
{
    wasi::FileStat result;
    result.device = stat.device;
    result.inode = stat.inode;
    result.filetype = filetype_of(stat.type);
    result.link_count = stat.link_count;
    result.size = stat.size;
    result.access_time = stat.access_time;
    result.modify_time = stat.modify_time;
    result.change_time = stat.change_time;
    return result;
}

fs::TimeUpdate time_update(wasi::TimeUpdate update)
{
    fs::TimeUpdate result;
    result.nanoseconds = update.nanoseconds;
    switch (update.kind) {
    case wasi::TimeUpdate::Kind::Omit: result.kind = fs::TimeUpdate::Kind::Omit; break;
    case wasi::TimeUpdate::Kind::Now: result.kind = fs::TimeUpdate::Kind::Now; break;
    case wasi::TimeUpdate::Kind::Set: result.kind = fs::TimeUpdate::Kind::Set; break;
    }
    return result;
}

// Guest-sized work is cut into steps: each takes the FsGuard (interrupts off) for at most
// kStepBytes of copying, and between two steps the caller may be preempted or killed.
constexpr usize kStepBytes = 64 * 1024;
// Console output leaves in smaller steps: every byte is a port write (slow under emulation).
constexpr usize kConsoleStepBytes = 4 * 1024;
// Directory entries handed to the sink per FsGuard hold.
constexpr usize kDirectoryStepEntries = 256;
// A shrinking file frees at most this much of its stored range per FsGuard hold.
constexpr u64 kShrinkStepBytes = 256 * fs::File::kChunkSize;

bool killed()
{
    auto* self = sched::current();
    return self && self->kill_requested();
}

// Moves the slices in steps of at most `step_bytes`: `step(data, length, done)` moves one
// (taking the FsGuard itself when it needs it) and returns the bytes moved, until one comes up
// short. An error after some bytes moved reports the bytes, as POSIX readv/writev do; so does
// a kill, noticed before each step (Intr when nothing moved). Between steps no lock is held,
// so the scheduler may run others (sched::preemption_point).
template<typename Slice, typename Step>
wasi::Expected<usize> transfer_in_steps(Span<const Slice> slices, usize step_bytes, Step step)
{
    usize total = 0;
    for (auto& slice : slices) {
        for (usize at = 0; at < slice.length;) {
            if (killed())
                return total > 0 ? wasi::Expected<usize>(total) : Errno::Intr;
            usize length = slice.length - at < step_bytes ? slice.length - at : step_bytes;
            wasi::Expected<usize> moved = step(slice.data + at, length, total);
            if (!moved)
                return total > 0 ? wasi::Expected<usize>(total) : moved.error();
            total += *moved;
            at += *moved;
            if (*moved < length)
                return total;
            sched::preemption_point();
        }
    }
    return total;
}

// Drops `inode`, a reference the caller took. When that is the last reference to a file
// that no link and no open file reaches, its storage is first freed in steps of
// kShrinkStepBytes (nobody can see it shrink), so that the final free under the guard stays
// small. Called without the guard.
void release_in_steps(RefPtr<fs::Inode> inode)
{
    for (;;) {
        {
            FsGuard guard;
            bool unreachable = inode->is_file() && inode->ref_count() == 1 && inode->link_count() == 0;
            auto& file = static_cast<fs::File&>(*inode);
            if (!unreachable || file.stored_end() <= kShrinkStepBytes
                || file.stored_end() - kShrinkStepBytes >= file.size()) {
                inode = nullptr;
                return;
            }
            (void)file.file_system().set_size(file, file.stored_end() - kShrinkStepBytes);
        }
        sched::preemption_point();
    }
}

// Hands at most kDirectoryStepEntries entries to the sink, then stops; `resume()` is the
// cookie to read the next step from.
class StepSinkAdapter final : public fs::DirectoryVisitor {
public:
    StepSinkAdapter(wasi::DirectorySink& sink, u64 cookie)
        : m_sink(sink)
        , m_resume(cookie)
    {
    }
    bool entry(u64 next_cookie, u64 inode, fs::InodeType type, StringView name) override
    {
        if (m_delivered == kDirectoryStepEntries) {
            m_step_full = true;
            return false;
        }
        ++m_delivered;
        m_resume = next_cookie;
        if (!m_sink.entry(next_cookie, inode, filetype_of(type), name)) {
            m_sink_full = true;
            return false;
        }
        return true;
    }
    // Starts the next step; false when the last one ended the listing (the directory's end,
    // or the sink wants no more).
    bool next_step()
    {
        if (m_sink_full || !m_step_full)
            return false;
        m_delivered = 0;
        m_step_full = false;
        return true;
    }
    u64 resume() const { return m_resume; }

private:
    wasi::DirectorySink& m_sink;
    u64 m_resume;
    usize m_delivered { 0 };
    bool m_step_full { false };
    bool m_sink_full { false };
};

} // namespace

KernelWasiSystem::KernelWasiSystem(fs::FileSystem& file_system)
    : m_fs(file_system)
{
}

KernelWasiSystem::~KernelWasiSystem()
{
    // One by one, so that a large unlinked file is freed in steps (close).
    for (usize i = 0; i < m_slots.size(); ++i) {
        if (m_slots[i].in_use())
            (void)close(static_cast<HostHandle>(i));
    }
    FsGuard guard;
    m_slots.clear();
}

usize KernelWasiSystem::open_handle_count() const
{
    usize count = 0;
    for (auto& slot : m_slots)
        count += slot.in_use() ? 1 : 0;
    return count;
}

wasi::Expected<wasi::HostHandle> KernelWasiSystem::install(Slot slot)
{
    for (usize i = 0; i < m_slots.size(); ++i) {
        if (!m_slots[i].in_use()) {
            m_slots[i] = std::move(slot);
            return static_cast<HostHandle>(i);
        }
    }
    if (m_slots.size() >= kMaxHandles)
        return Errno::NFile;
    if (!m_slots.try_append(std::move(slot)))
        return Errno::NoMem;
    return static_cast<HostHandle>(m_slots.size() - 1);
}

wasi::Expected<KernelWasiSystem::Slot*> KernelWasiSystem::slot_locked(HostHandle handle)
{
    if (handle < 0 || static_cast<u64>(handle) >= m_slots.size() || !m_slots[static_cast<usize>(handle)].in_use())
        return Errno::BadF;
    return &m_slots[static_cast<usize>(handle)];
}

wasi::Expected<fs::Directory*> KernelWasiSystem::directory_locked(HostHandle handle)
{
    Slot* slot = TRY(slot_locked(handle));
    if (!slot->file || !slot->file->inode().is_directory())
        return Errno::NotDir;
    return &static_cast<fs::Directory&>(slot->file->inode());
}

wasi::Expected<fs::OpenFile*> KernelWasiSystem::file_locked(HostHandle handle)
{
    Slot* slot = TRY(slot_locked(handle));
    if (!slot->file)
        return Errno::SPipe;
    return slot->file.get();
}

wasi::Expected<wasi::HostHandle> KernelWasiSystem::open_directory(StringView path)
{
    FsGuard guard;
    auto inode = m_fs.resolve(m_fs.root(), path);
    if (!inode)
        return inode.error();
    if (!(*inode)->is_directory())
        return Errno::NotDir;
    auto file = fs::OpenFile::create(std::move(*inode), { .read = true });
    if (!file)
        return file.error();
    Slot slot;
    slot.file = std::move(*file);
    return install(std::move(slot));
}

wasi::Expected<wasi::HostHandle> KernelWasiSystem::open_stream(Stream& stream)
{
    FsGuard guard;
    Slot slot;
    slot.stream = &stream;
    return install(std::move(slot));
}

wasi::Expected<KernelWasiSystem::PipeHandles> KernelWasiSystem::open_pipe()
{
    auto pair = PipeEnd::create_pipe();
    if (!pair)
        return pair.error();
    FsGuard guard; // the ends are dropped here on failure: allowed under the guard (pipe.h)
    Slot read_slot;
    read_slot.stream = pair->read_end.get();
    read_slot.pipe = std::move(pair->read_end);
    Slot write_slot;
    write_slot.stream = pair->write_end.get();
    write_slot.pipe = std::move(pair->write_end);
    PipeHandles handles;
    handles.read_end = TRY(install(std::move(read_slot)));
    auto write_end = install(std::move(write_slot));
    if (!write_end) {
        m_slots[static_cast<usize>(handles.read_end)] = Slot {};
        return write_end.error();
    }
    handles.write_end = *write_end;
    return handles;
}

wasi::Expected<wasi::HostHandle> KernelWasiSystem::share_into(HostHandle handle, KernelWasiSystem& target,
                                                              wasi::Filetype& filetype)
{
    FsGuard guard;
    Slot* slot = TRY(slot_locked(handle));
    Slot copy;
    copy.file = slot->file;
    copy.stream = slot->stream;
    copy.pipe = slot->pipe;
    copy.socket = slot->socket;
    copy.udp = slot->udp;
    // A socket counts for the process it is handed to as well (socket_quota.h).
    if (slot->counted) {
        if (Errno refused = target.m_quota.take(slot->kind); refused != Errno::Success)
            return refused;
        copy.counted = true;
        copy.kind = slot->kind;
    }
    if (copy.socket)
        filetype = wasi::Filetype::SocketStream;
    else if (copy.udp)
        filetype = wasi::Filetype::SocketDgram;
    else if (copy.file)
        filetype = filetype_of(copy.file->inode().type());
    else if (copy.pipe)
        filetype = wasi::Filetype::Unknown; // WASI preview1 has no FIFO type (as wasmtime)
    else
        filetype = wasi::Filetype::CharacterDevice;
    bool counted = copy.counted;
    SocketKind kind = copy.kind;
    auto installed = target.install(std::move(copy));
    if (!installed) {
        if (counted)
            target.m_quota.give_back(kind);
        return installed.error();
    }
    return *installed;
}

wasi::Expected<void> KernelWasiSystem::close(HostHandle handle)
{
    RefPtr<fs::Inode> last;
    {
        FsGuard guard;
        Slot* slot = TRY(slot_locked(handle));
        if (slot->file && slot->file->ref_count() == 1)
            last = slot->file->inode_ref();
        slot->file = nullptr; // dropping a reference may free an unlinked file: under the guard
        slot->stream = nullptr;
        slot->pipe = nullptr; // the last reference to an end wakes the other side (pipe.h)
        slot->socket = nullptr; // the last reference closes the connection (tcp_socket.h)
        slot->udp = nullptr;
        if (slot->counted)
            m_quota.give_back(slot->kind);
        slot->counted = false;
    }
    if (last)
        release_in_steps(std::move(last));
    return {};
}

// NOTE: the transfers below look the handle up once and keep the raw OpenFile across steps.
// That is safe: the slot holds a reference, and only this system's own thread (the process)
// can close or replace its slots. Other processes may change the file between steps, so a
// transfer larger than kStepBytes is not atomic (docs/boot-and-machine-state.md, "Long calls").
wasi::Expected<usize> KernelWasiSystem::read(HostHandle handle, Span<const wasi::IoSlice> slices)
{
    fs::OpenFile* file = nullptr;
    Stream* stream = nullptr;
    {
        FsGuard guard;
        Slot* slot = TRY(slot_locked(handle));
        file = slot->file.get();
        stream = slot->stream;
    }
    if (file) {
        return transfer_in_steps(slices, kStepBytes, [&](u8* data, usize length, usize) {
            FsGuard guard;
            return file->read(Bytes(data, length));
        });
    }
    // A stream blocks outside the guard (interrupts on): one read into the first non-empty slice.
    for (auto& slice : slices) {
        if (slice.length > 0)
            return stream->read(Bytes(slice.data, slice.length));
    }
    return 0;
}

wasi::Expected<usize> KernelWasiSystem::pread(HostHandle handle, Span<const wasi::IoSlice> slices, u64 offset)
{
    fs::OpenFile* file = nullptr;
    {
        FsGuard guard;
        file = TRY(file_locked(handle));
    }
    return transfer_in_steps(slices, kStepBytes, [&](u8* data, usize length, usize done) -> wasi::Expected<usize> {
        if (offset + done < offset)
            return Errno::Overflow;
        FsGuard guard;
        return file->read_at(offset + done, Bytes(data, length));
    });
}

wasi::Expected<usize> KernelWasiSystem::write(HostHandle handle, Span<const wasi::ConstIoSlice> slices)
{
    fs::OpenFile* file = nullptr;
    Stream* stream = nullptr;
    {
        FsGuard guard;
        Slot* slot = TRY(slot_locked(handle));
        file = slot->file.get();
        stream = slot->stream;
    }
    if (file) {
        return transfer_in_steps(slices, kStepBytes, [&](const u8* data, usize length, usize) {
            FsGuard guard;
            return file->write(ReadonlyBytes(data, length));
        });
    }
    return transfer_in_steps(slices, kConsoleStepBytes, [&](const u8* data, usize length, usize) {
        return stream->write(ReadonlyBytes(data, length));
    });
}

wasi::Expected<usize> KernelWasiSystem::pwrite(HostHandle handle, Span<const wasi::ConstIoSlice> slices, u64 offset)
{
    fs::OpenFile* file = nullptr;
    {
        FsGuard guard;
        file = TRY(file_locked(handle));
    }
    return transfer_in_steps(slices, kStepBytes, [&](const u8* data, usize length, usize done) -> wasi::Expected<usize> {
        if (offset + done < offset)
            return Errno::FBig;
        FsGuard guard;
        return file->write_at(offset + done, ReadonlyBytes(data, length));
    });
}

wasi::Expected<u64> KernelWasiSystem::seek(HostHandle handle, i64 offset, wasi::Whence whence)
{
    FsGuard guard;
    fs::OpenFile* file = TRY(file_locked(handle));
    if (file->inode().is_directory())
        return Errno::BadF;
    fs::Whence fs_whence;
    switch (whence) {
    case wasi::Whence::Set: fs_whence = fs::Whence::Set; break;
    case wasi::Whence::Cur: fs_whence = fs::Whence::Current; break;
    case wasi::Whence::End: fs_whence = fs::Whence::End; break;
    default: return Errno::Inval;
    }
    auto position = file->seek(offset, fs_whence);
    if (!position)
        return position.error();
    return *position;
}

wasi::Expected<u16> KernelWasiSystem::get_fdflags(HostHandle handle)
{
    FsGuard guard;
    Slot* slot = TRY(slot_locked(handle));
    if (slot->file && slot->file->mode().append)
        return wasi::fdflags::kAppend;
    if ((slot->socket && slot->socket->nonblocking()) || (slot->udp && slot->udp->nonblocking()))
        return wasi::fdflags::kNonblock;
    return u16 { 0 };
}

wasi::Expected<void> KernelWasiSystem::set_fdflags(HostHandle handle, u16 fdflags)
{
    FsGuard guard;
    Slot* slot = TRY(slot_locked(handle));
    if (fdflags & ~wasi::fdflags::kAll)
        return Errno::Inval;
    // The sync flags ask for nothing in memory; nonblock has no meaning for files.
    if (slot->file && !slot->file->inode().is_directory())
        slot->file->set_append((fdflags & wasi::fdflags::kAppend) != 0);
    if (slot->socket)
        slot->socket->set_nonblocking((fdflags & wasi::fdflags::kNonblock) != 0);
    if (slot->udp)
        slot->udp->set_nonblocking((fdflags & wasi::fdflags::kNonblock) != 0);
    return {};
}

wasi::Expected<wasi::FileStat> KernelWasiSystem::stat(HostHandle handle)
{
    FsGuard guard;
    Slot* slot = TRY(slot_locked(handle));
    if (!slot->file) {
        wasi::FileStat result;
        result.device = kDevice;
        result.filetype = slot->pipe ? wasi::Filetype::Unknown : wasi::Filetype::CharacterDevice;
        result.link_count = 1;
        return result;
    }
    return file_stat(slot->file->inode().stat());
}

wasi::Expected<void> KernelWasiSystem::set_size(HostHandle handle, u64 size)
{
    fs::OpenFile* file = nullptr;
    {
        FsGuard guard;
        file = TRY(file_locked(handle));
    }
    // Growing is one step (a hole). Shrinking frees storage, so it goes down in steps of at
    // most kShrinkStepBytes of the stored range; another process sees the size fall meanwhile.
    for (;;) {
        {
            FsGuard guard;
            u64 target = size;
            if (file->inode().is_file() && size < file->inode().size()) {
                auto& inode = static_cast<fs::File&>(file->inode());
                u64 stored_end = inode.stored_end();
                if (stored_end > size + kShrinkStepBytes)
                    target = stored_end - kShrinkStepBytes;
            }
            if (auto result = file->set_size(target); !result)
                return result.error();
            if (target == size)
                return {};
        }
        if (killed())
            return Errno::Intr;
        sched::preemption_point();
    }
}

wasi::Expected<void> KernelWasiSystem::set_times(HostHandle handle, wasi::TimeUpdate access, wasi::TimeUpdate modify)
{
    FsGuard guard;
    Slot* slot = TRY(slot_locked(handle));
    if (!slot->file)
        return {};
    return m_fs.set_times(slot->file->inode(), time_update(access), time_update(modify));
}

wasi::Expected<void> KernelWasiSystem::sync(HostHandle handle)
{
    // A file on a disk (/data): everything dirty is written and flushed to stable storage
    // before this returns (docs/storage.md, "Persistence rules"). NOTE: under the guard, the
    // disk is polled; the cache holds at most 128 dirty blocks, so the hold is bounded.
    FsGuard guard;
    Slot* slot = TRY(slot_locked(handle));
    if (slot->file)
        return m_fs.sync(slot->file->inode());
    return {};
}

wasi::Expected<void> KernelWasiSystem::datasync(HostHandle handle) { return sync(handle); }

wasi::Expected<void> KernelWasiSystem::advise(HostHandle handle, u64, u64, wasi::Advice)
{
    FsGuard guard;
    TRY(file_locked(handle));
    return {};
}

wasi::Expected<void> KernelWasiSystem::allocate(HostHandle handle, u64 offset, u64 length)
{
    FsGuard guard;
    fs::OpenFile* file = TRY(file_locked(handle));
    if (file->inode().is_directory())
        return Errno::BadF;
    if (offset + length < offset)
        return Errno::FBig;
    if (offset + length <= file->inode().size())
        return {};
    return file->set_size(offset + length);
}

wasi::Expected<void> KernelWasiSystem::read_directory(HostHandle handle, u64 cookie, wasi::DirectorySink& sink)
{
    fs::Directory* directory = nullptr;
    {
        FsGuard guard;
        directory = TRY(directory_locked(handle));
    }
    // In steps (cookies stay valid while entries come and go, see fs::Directory).
    StepSinkAdapter adapter(sink, cookie);
    for (;;) {
        {
            FsGuard guard;
            if (auto read = m_fs.read_directory(*directory, adapter.resume(), adapter); !read)
                return read.error();
        }
        if (!adapter.next_step())
            return {};
        if (killed())
            return Errno::Intr;
        sched::preemption_point();
    }
}

wasi::Expected<wasi::HostHandle> KernelWasiSystem::open_at(HostHandle directory_handle, StringView name,
                                                           const wasi::OpenRequest& request)
{
    FsGuard guard;
    fs::Directory* directory = TRY(directory_locked(directory_handle));
    fs::OpenFlags flags { .create = request.create, .exclusive = request.exclusive, .truncate = request.truncate,
                          .directory = request.directory };
    // A directory cannot be opened for writing (POSIX EISDIR); check before create/truncate act.
    if (request.write || request.truncate) {
        if (auto existing = m_fs.lookup_at(*directory, name); existing && (*existing)->is_directory())
            return Errno::IsDir;
    }
    auto inode = m_fs.open_at(*directory, name, flags);
    if (!inode)
        return inode.error();
    fs::OpenMode mode { .read = request.read, .write = request.write,
                        .append = (request.fdflags & wasi::fdflags::kAppend) != 0 };
    auto file = fs::OpenFile::create(std::move(*inode), mode);
    if (!file)
        return file.error();
    Slot slot;
    slot.file = std::move(*file);
    return install(std::move(slot));
}

wasi::Expected<wasi::FileStat> KernelWasiSystem::stat_at(HostHandle directory_handle, StringView name)
{
    FsGuard guard;
    fs::Directory* directory = TRY(directory_locked(directory_handle));
    auto stat = m_fs.stat_at(*directory, name);
    if (!stat)
        return stat.error();
    return file_stat(*stat);
}

wasi::Expected<void> KernelWasiSystem::set_times_at(HostHandle directory_handle, StringView name,
                                                    wasi::TimeUpdate access, wasi::TimeUpdate modify)
{
    FsGuard guard;
    fs::Directory* directory = TRY(directory_locked(directory_handle));
    auto inode = m_fs.lookup_at(*directory, name);
    if (!inode)
        return inode.error();
    return m_fs.set_times(**inode, time_update(access), time_update(modify));
}

wasi::Expected<void> KernelWasiSystem::create_directory_at(HostHandle directory_handle, StringView name)
{
    FsGuard guard;
    fs::Directory* directory = TRY(directory_locked(directory_handle));
    TRY(m_fs.create_directory_at(*directory, name));
    return {};
}

wasi::Expected<void> KernelWasiSystem::remove_directory_at(HostHandle directory_handle, StringView name)
{
    FsGuard guard;
    fs::Directory* directory = TRY(directory_locked(directory_handle));
    return m_fs.remove_directory_at(*directory, name);
}

wasi::Expected<void> KernelWasiSystem::unlink_file_at(HostHandle directory_handle, StringView name)
{
    RefPtr<fs::Inode> victim; // held past the unlink, to free a large file in steps
    {
        FsGuard guard;
        fs::Directory* directory = TRY(directory_locked(directory_handle));
        if (auto found = m_fs.lookup_at(*directory, name))
            victim = std::move(*found);
        if (auto result = m_fs.unlink_at(*directory, name); !result) {
            victim = nullptr;
            return result.error();
        }
    }
    if (victim)
        release_in_steps(std::move(victim));
    return {};
}

wasi::Expected<void> KernelWasiSystem::rename_at(HostHandle from_handle, StringView from, HostHandle to_handle, StringView to)
{
    RefPtr<fs::Inode> replaced; // what `to` named, held to free a large file in steps
    {
        FsGuard guard;
        fs::Directory* from_directory = TRY(directory_locked(from_handle));
        fs::Directory* to_directory = TRY(directory_locked(to_handle));
        if (auto found = m_fs.lookup_at(*to_directory, to))
            replaced = std::move(*found);
        if (auto result = m_fs.rename_at(*from_directory, from, *to_directory, to); !result) {
            replaced = nullptr;
            return result.error();
        }
    }
    if (replaced)
        release_in_steps(std::move(replaced));
    return {};
}

wasi::Expected<void> KernelWasiSystem::link_at(HostHandle from_handle, StringView from, HostHandle to_handle, StringView to)
{
    FsGuard guard;
    fs::Directory* from_directory = TRY(directory_locked(from_handle));
    fs::Directory* to_directory = TRY(directory_locked(to_handle));
    return m_fs.link_at(*from_directory, from, *to_directory, to);
}

wasi::Expected<void> KernelWasiSystem::symlink_at(StringView target, HostHandle directory_handle, StringView name)
{
    FsGuard guard;
    fs::Directory* directory = TRY(directory_locked(directory_handle));
    TRY(m_fs.symlink_at(target, *directory, name));
    return {};
}

wasi::Expected<String> KernelWasiSystem::readlink_at(HostHandle directory_handle, StringView name)
{
    FsGuard guard;
    fs::Directory* directory = TRY(directory_locked(directory_handle));
    auto target = m_fs.readlink_at(*directory, name);
    if (!target)
        return target.error();
    return std::move(*target);
}

wasi::Expected<u64> KernelWasiSystem::clock_time(wasi::ClockId clock)
{
    switch (clock) {
    case wasi::ClockId::Realtime:
        return time::realtime_nanoseconds();
    case wasi::ClockId::Monotonic:
    case wasi::ClockId::ProcessCputime:
    case wasi::ClockId::ThreadCputime:
        return time::nanoseconds_since_boot();
    }
    return Errno::Inval;
}

wasi::Expected<u64> KernelWasiSystem::clock_resolution(wasi::ClockId clock)
{
    TRY(clock_time(clock));
    u64 hz = time::tsc_frequency_hz();
    if (hz >= 1'000'000'000 || hz == 0)
        return u64 { 1 };
    return (1'000'000'000 + hz - 1) / hz;
}

wasi::Expected<void> KernelWasiSystem::random(Bytes buffer)
{
    for (usize at = 0; at < buffer.size(); at += kStepBytes) {
        if (at > 0) {
            if (killed())
                return Errno::Intr;
            sched::preemption_point();
        }
        usize count = buffer.size() - at < kStepBytes ? buffer.size() - at : kStepBytes;
        x86_64::fill_random(buffer.subspan(at, count));
    }
    return {};
}

void KernelWasiSystem::yield() { sched::yield(); }

bool KernelWasiSystem::cancelled() { return killed(); }

void KernelWasiSystem::sleep(u64 nanoseconds)
{
    // In slices, so that a kill ends the sleep (request_kill also wakes a sleeping thread).
    constexpr u64 kSlice = 100'000'000;
    u64 end = time::nanoseconds_since_boot() + nanoseconds;
    for (;;) {
        auto* self = sched::current();
        if (self && self->kill_requested())
            return;
        u64 now = time::nanoseconds_since_boot();
        if (now >= end)
            return;
        sched::sleep_for(end - now < kSlice ? end - now : kSlice);
    }
}

wasi::Expected<void> KernelWasiSystem::poll(Span<wasi::PollRequest> requests, std::optional<u64> timeout)
{
    u64 start = time::nanoseconds_since_boot();
    for (;;) {
        bool any = false;
        {
            FsGuard guard;
            for (auto& request : requests) {
                request.ready = false;
                request.hangup = false;
                request.available_bytes = 0;
                auto slot = slot_locked(request.handle);
                if (!slot) {
                    request.ready = true; // an error to report: POLLNVAL counts as ready
                    request.hangup = true;
                } else if ((*slot)->file) {
                    // Files are always ready (as POSIX poll says of regular files).
                    request.ready = true;
                    auto& inode = (*slot)->file->inode();
                    u64 position = (*slot)->file->position();
                    if (request.want_read && inode.is_file() && inode.size() > position)
                        request.available_bytes = inode.size() - position;
                } else {
                    Stream& stream = *(*slot)->stream;
                    request.ready = (request.want_read && stream.readable_now()) || (request.want_write && stream.writable());
                }
                any = any || request.ready;
            }
        }
        if (any)
            return {};
        if (auto* self = sched::current(); self && self->kill_requested())
            return Errno::Intr;
        u64 elapsed = time::nanoseconds_since_boot() - start;
        if (timeout && elapsed >= *timeout)
            return {};
        // Nothing to wake us per stream yet: look again each millisecond. With no descriptors
        // to watch (a plain sleep) only the timeout or a kill (which wakes a sleeper) ends
        // the wait, so sleep in long stretches.
        u64 nap = requests.empty() ? 100'000'000 : 1'000'000;
        if (timeout && *timeout - elapsed < nap)
            nap = *timeout - elapsed;
        sched::sleep_for(nap);
    }
}

} // namespace wk::kernel::sys
