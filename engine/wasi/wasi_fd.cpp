// The fd_* calls of wasi_snapshot_preview1.
#include "engine/wasi/wasi_context.h"

namespace wk::engine::wasi {

namespace {

Expected<TimeUpdate> decode_time(u64 value, u32 flags, u32 set_flag, u32 now_flag)
{
    bool set = (flags & set_flag) != 0;
    bool now = (flags & now_flag) != 0;
    if (set && now)
        return Errno::Inval;
    TimeUpdate update;
    if (now)
        update.kind = TimeUpdate::Kind::Now;
    else if (set) {
        update.kind = TimeUpdate::Kind::Set;
        update.nanoseconds = value;
    }
    return update;
}

} // namespace

Expected<TimeUpdates> decode_times(u64 atim, u64 mtim, u32 fst_flags)
{
    if (fst_flags > fstflags::kAll)
        return Errno::Inval;
    auto access = decode_time(atim, fst_flags, fstflags::kAtim, fstflags::kAtimNow);
    auto modify = decode_time(mtim, fst_flags, fstflags::kMtim, fstflags::kMtimNow);
    if (!access || !modify)
        return Errno::Inval;
    return TimeUpdates { *access, *modify };
}

Errno WasiContext::fd_advise(u32 fd, u64 offset, u64 length, u32 advice)
{
    auto entry = descriptor(fd, rights::kFdAdvise);
    if (!entry)
        return entry.error();
    if (advice > static_cast<u32>(Advice::NoReuse))
        return Errno::Inval;
    auto result = m_system.advise((*entry)->handle, offset, length, static_cast<Advice>(advice));
    return result ? Errno::Success : result.error();
}

Errno WasiContext::fd_allocate(u32 fd, u64 offset, u64 length)
{
    auto entry = descriptor(fd, rights::kFdAllocate);
    if (!entry)
        return entry.error();
    auto result = m_system.allocate((*entry)->handle, offset, length);
    return result ? Errno::Success : result.error();
}

Errno WasiContext::fd_close(u32 fd)
{
    auto entry = descriptor(fd, 0);
    if (!entry)
        return entry.error();
    HostHandle handle = (*entry)->handle;
    **entry = FdEntry {};
    // NOTE: the descriptor is free even when the backend reports an error (as POSIX).
    auto result = m_system.close(handle);
    return result ? Errno::Success : result.error();
}

Errno WasiContext::fd_datasync(u32 fd)
{
    auto entry = descriptor(fd, rights::kFdDatasync);
    if (!entry)
        return entry.error();
    auto result = m_system.datasync((*entry)->handle);
    return result ? Errno::Success : result.error();
}

Errno WasiContext::fd_sync(u32 fd)
{
    auto entry = descriptor(fd, rights::kFdSync);
    if (!entry)
        return entry.error();
    auto result = m_system.sync((*entry)->handle);
    return result ? Errno::Success : result.error();
}

Errno WasiContext::fd_fdstat_get(u32 fd, u32 fdstat_out)
{
    auto entry = descriptor(fd, 0);
    if (!entry)
        return entry.error();
    GuestMemory guest = memory();
    if (!guest.contains(fdstat_out, layout::kFdstatSize))
        return Errno::Fault;
    // NOTE: a shared stream's flags belong to the parent's open file description.
    auto flags = (*entry)->is_stream ? Expected<u16>(0) : m_system.get_fdflags((*entry)->handle);
    if (!flags)
        return flags.error();
    u8 record[layout::kFdstatSize] = {};
    record[0] = static_cast<u8>((*entry)->filetype);
    __builtin_memcpy(record + 2, &*flags, 2);
    __builtin_memcpy(record + 8, &(*entry)->rights_base, 8);
    __builtin_memcpy(record + 16, &(*entry)->rights_inheriting, 8);
    return guest.write_bytes(fdstat_out, ReadonlyBytes(record, sizeof(record)));
}

Errno WasiContext::fd_fdstat_set_flags(u32 fd, u32 flags)
{
    auto entry = descriptor(fd, rights::kFdFdstatSetFlags);
    if (!entry)
        return entry.error();
    if (flags > fdflags::kAll)
        return Errno::Inval;
    auto result = m_system.set_fdflags((*entry)->handle, static_cast<u16>(flags));
    return result ? Errno::Success : result.error();
}

Errno WasiContext::fd_fdstat_set_rights(u32 fd, u64 rights_base, u64 rights_inheriting)
{
    auto entry = descriptor(fd, 0);
    if (!entry)
        return entry.error();
    FdEntry& e = **entry;
    // Rights only ever shrink.
    if ((rights_base & ~e.rights_base) != 0 || (rights_inheriting & ~e.rights_inheriting) != 0)
        return Errno::NotCapable;
    e.rights_base = rights_base;
    e.rights_inheriting = rights_inheriting;
    return Errno::Success;
}

Errno WasiContext::fd_filestat_get(u32 fd, u32 filestat_out)
{
    auto entry = descriptor(fd, rights::kFdFilestatGet);
    if (!entry)
        return entry.error();
    GuestMemory guest = memory();
    if (!guest.contains(filestat_out, layout::kFilestatSize))
        return Errno::Fault;
    if ((*entry)->is_stream || (*entry)->is_socket) {
        FileStat stream;
        stream.filetype = (*entry)->filetype;
        return write_filestat(guest, filestat_out, stream);
    }
    auto stat = m_system.stat((*entry)->handle);
    if (!stat)
        return stat.error();
    return write_filestat(guest, filestat_out, *stat);
}

Errno WasiContext::fd_filestat_set_size(u32 fd, u64 size)
{
    auto entry = descriptor(fd, rights::kFdFilestatSetSize);
    if (!entry)
        return entry.error();
    if (size > u64 { 0x7FFF'FFFF'FFFF'FFFF })
        return Errno::FBig;
    auto result = m_system.set_size((*entry)->handle, size);
    return result ? Errno::Success : result.error();
}

Errno WasiContext::fd_filestat_set_times(u32 fd, u64 atim, u64 mtim, u32 fst_flags)
{
    auto entry = descriptor(fd, rights::kFdFilestatSetTimes);
    if (!entry)
        return entry.error();
    auto times = decode_times(atim, mtim, fst_flags);
    if (!times)
        return times.error();
    auto result = m_system.set_times((*entry)->handle, times->access, times->modify);
    return result ? Errno::Success : result.error();
}

template<typename Slice, typename Io>
Errno WasiContext::transfer(u32 fd, u64 required, u32 iovs, u32 iovs_len, u32 count_out, Io io)
{
    auto entry = descriptor(fd, required);
    if (!entry)
        return entry.error();
    GuestMemory guest = memory();
    IovecList<Slice> slices;
    auto checked = read_iovecs(guest, iovs, iovs_len, slices);
    if (!checked)
        return checked.error();
    if (!guest.contains(count_out, 4))
        return Errno::Fault;
    auto count = io((*entry)->handle, slices.slices);
    if (!count)
        return count.error();
    return guest.write_u32(count_out, static_cast<u32>(*count));
}

namespace {
constexpr u64 kMaxFileOffset = 0x7FFF'FFFF'FFFF'FFFF;
}

Errno WasiContext::fd_read(u32 fd, u32 iovs, u32 iovs_len, u32 nread_out)
{
    return transfer<IoSlice>(fd, rights::kFdRead, iovs, iovs_len, nread_out,
                             [&](auto handle, auto slices) { return m_system.read(handle, slices); });
}

Errno WasiContext::fd_pread(u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nread_out)
{
    if (offset > kMaxFileOffset) {
        if (auto entry = descriptor(fd, rights::kFdRead | rights::kFdSeek); !entry)
            return entry.error();
        return Errno::Inval;
    }
    return transfer<IoSlice>(fd, rights::kFdRead | rights::kFdSeek, iovs, iovs_len, nread_out,
                             [&](auto handle, auto slices) { return m_system.pread(handle, slices, offset); });
}

Errno WasiContext::fd_write(u32 fd, u32 iovs, u32 iovs_len, u32 nwritten_out)
{
    return transfer<ConstIoSlice>(fd, rights::kFdWrite, iovs, iovs_len, nwritten_out,
                                  [&](auto handle, auto data) { return m_system.write(handle, data); });
}

Errno WasiContext::fd_pwrite(u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nwritten_out)
{
    if (offset > kMaxFileOffset) {
        if (auto entry = descriptor(fd, rights::kFdWrite | rights::kFdSeek); !entry)
            return entry.error();
        return Errno::Inval;
    }
    return transfer<ConstIoSlice>(fd, rights::kFdWrite | rights::kFdSeek, iovs, iovs_len, nwritten_out,
                                  [&](auto handle, auto data) { return m_system.pwrite(handle, data, offset); });
}

Errno WasiContext::fd_seek(u32 fd, u64 offset, u32 whence, u32 newoffset_out)
{
    // A seek that only asks for the position needs fd_tell, anything else fd_seek.
    u64 required = (offset == 0 && whence == static_cast<u32>(Whence::Cur)) ? rights::kFdTell : rights::kFdSeek;
    auto entry = descriptor(fd, required);
    if (!entry)
        return entry.error();
    if (whence > static_cast<u32>(Whence::End))
        return Errno::Inval;
    GuestMemory guest = memory();
    if (!guest.contains(newoffset_out, 8))
        return Errno::Fault;
    auto position = m_system.seek((*entry)->handle, static_cast<i64>(offset), static_cast<Whence>(whence));
    if (!position)
        return position.error();
    return guest.write_u64(newoffset_out, *position);
}

Errno WasiContext::fd_tell(u32 fd, u32 offset_out)
{
    auto entry = descriptor(fd, rights::kFdTell);
    if (!entry)
        return entry.error();
    GuestMemory guest = memory();
    if (!guest.contains(offset_out, 8))
        return Errno::Fault;
    auto position = m_system.seek((*entry)->handle, 0, Whence::Cur);
    if (!position)
        return position.error();
    return guest.write_u64(offset_out, *position);
}

Errno WasiContext::fd_prestat_get(u32 fd, u32 prestat_out)
{
    auto entry = descriptor(fd, 0);
    if (!entry)
        return entry.error();
    if (!(*entry)->is_preopen)
        return Errno::BadF;
    GuestMemory guest = memory();
    if (!guest.contains(prestat_out, layout::kPrestatSize))
        return Errno::Fault;
    u8 record[layout::kPrestatSize] = {};
    record[0] = kPreopenTypeDir;
    u32 length = static_cast<u32>((*entry)->preopen_name.length());
    __builtin_memcpy(record + 4, &length, 4);
    return guest.write_bytes(prestat_out, ReadonlyBytes(record, sizeof(record)));
}

Errno WasiContext::fd_prestat_dir_name(u32 fd, u32 path, u32 path_len)
{
    auto entry = descriptor(fd, 0);
    if (!entry)
        return entry.error();
    if (!(*entry)->is_preopen)
        return Errno::BadF;
    StringView name = (*entry)->preopen_name.view();
    GuestMemory guest = memory();
    if (!guest.contains(path, path_len))
        return Errno::Fault;
    if (path_len < name.size())
        return Errno::NameTooLong;
    return guest.write_bytes(path, ReadonlyBytes(reinterpret_cast<const u8*>(name.data()), name.size()));
}

Errno WasiContext::fd_readdir(u32 fd, u32 buf, u32 buf_len, u64 cookie, u32 bufused_out)
{
    auto entry = descriptor(fd, rights::kFdReaddir);
    if (!entry)
        return entry.error();
    GuestMemory guest = memory();
    auto buffer = guest.bytes(buf, buf_len);
    if (!buffer)
        return buffer.error();
    if (!guest.contains(bufused_out, 4))
        return Errno::Fault;

    // Fills the guest buffer with dirent headers and names; the last entry is cut off
    // where the buffer ends, which tells the guest to retry with a larger one.
    class Writer final : public DirectorySink {
    public:
        explicit Writer(Bytes buffer)
            : m_buffer(buffer)
        {
        }
        bool entry(u64 next, u64 inode, Filetype type, StringView name) override
        {
            u8 header[layout::kDirentSize] = {};
            u32 length = static_cast<u32>(name.size());
            __builtin_memcpy(header, &next, 8);
            __builtin_memcpy(header + 8, &inode, 8);
            __builtin_memcpy(header + 16, &length, 4);
            header[20] = static_cast<u8>(type);
            put(header, sizeof(header));
            put(reinterpret_cast<const u8*>(name.data()), name.size());
            return used < m_buffer.size();
        }
        usize used { 0 };

    private:
        void put(const u8* data, usize length)
        {
            usize room = m_buffer.size() - used;
            usize count = length < room ? length : room;
            if (count)
                __builtin_memcpy(m_buffer.data() + used, data, count);
            used += count;
        }
        Bytes m_buffer;
    };

    Writer writer(*buffer);
    if (buf_len > 0) {
        auto result = m_system.read_directory((*entry)->handle, cookie, writer);
        if (!result)
            return result.error();
    }
    return guest.write_u32(bufused_out, static_cast<u32>(writer.used));
}

Errno WasiContext::fd_renumber(u32 fd, u32 to)
{
    auto from_entry = descriptor(fd, 0);
    if (!from_entry)
        return from_entry.error();
    auto to_entry = descriptor(to, 0);
    if (!to_entry)
        return to_entry.error();
    if (fd == to)
        return Errno::Success;
    (void)m_system.close((*to_entry)->handle);
    **to_entry = std::move(**from_entry);
    **from_entry = FdEntry {};
    return Errno::Success;
}

} // namespace wk::engine::wasi
