#include "engine/wasi/wasi_context.h"

namespace wk::engine::wasi {

WasiContext::~WasiContext()
{
    for (FdEntry& entry : m_descriptors) {
        if (entry.open)
            (void)m_system.close(entry.handle);
    }
}

GuestMemory WasiContext::memory() const
{
    if (!m_memory)
        return {};
    u64 bound = __atomic_load_n(&m_memory->bound_bytes, __ATOMIC_ACQUIRE);
    return GuestMemory(m_memory->base, bound);
}

const FdEntry* WasiContext::entry(u32 fd) const
{
    const FdEntry* entry = m_descriptors.at(fd);
    return entry && entry->open ? entry : nullptr;
}

void WasiContext::write_diagnostic(StringView text)
{
    const FdEntry* stderr_entry = entry(2);
    if (!stderr_entry || text.empty())
        return;
    ConstIoSlice slice { reinterpret_cast<const u8*>(text.data()), text.size() };
    (void)m_system.write(stderr_entry->handle, Span<const ConstIoSlice>(&slice, 1));
}

// ---- setup ------------------------------------------------------------------------

namespace {

Result<void> append_string(Vector<String>& list, StringView text)
{
    String copy = TRY(String::try_create(text));
    TRY(list.try_append(std::move(copy)));
    return {};
}

} // namespace

Result<void> WasiContext::add_argument(StringView text) { return append_string(m_arguments, text); }

Result<void> WasiContext::add_environment(StringView text) { return append_string(m_environment, text); }

Result<void> WasiContext::set_stdio(u32 fd, HostHandle handle, Filetype filetype, u64 rights)
{
    if (fd > 2)
        return Error::from("stdio descriptor must be 0, 1 or 2", ErrorKind::OutOfRange);
    if (m_descriptors.size() < 3)
        TRY(m_descriptors.try_resize(3));
    FdEntry& entry = m_descriptors[fd];
    if (entry.open)
        (void)m_system.close(entry.handle);
    entry = FdEntry {};
    entry.open = true;
    entry.handle = handle;
    entry.filetype = filetype;
    entry.rights_base = rights;
    entry.rights_inheriting = 0;
    return {};
}

Result<void> WasiContext::set_stdio_stream(u32 fd, HostHandle handle, Filetype filetype)
{
    TRY(set_stdio(fd, handle, filetype, fd == 0 ? rights::kInputStream : rights::kOutputStream));
    m_descriptors[fd].is_stream = true;
    return {};
}

Expected<u32> WasiContext::add_descriptor(HostHandle handle, Filetype filetype, u64 rights)
{
    if (m_descriptors.size() < 3 && !m_descriptors.try_resize(3))
        return Errno::NoMem;
    auto allocated = allocate_descriptor();
    if (!allocated)
        return allocated.error();
    u32 fd = *allocated;
    FdEntry& entry = m_descriptors[fd];
    entry = FdEntry {};
    entry.open = true;
    entry.handle = handle;
    entry.filetype = filetype;
    entry.rights_base = rights;
    entry.is_stream = true;
    return fd;
}

Result<u32> WasiContext::add_preopen(HostHandle directory, StringView guest_name)
{
    if (m_descriptors.size() < 3)
        TRY(m_descriptors.try_resize(3));
    if (m_descriptors.size() >= kMaxDescriptors)
        return Error::from("too many descriptors", ErrorKind::OutOfRange);
    FdEntry entry;
    entry.open = true;
    entry.handle = directory;
    entry.filetype = Filetype::Directory;
    entry.rights_base = rights::kDirectory;
    entry.rights_inheriting = rights::kAll;
    entry.is_preopen = true;
    entry.preopen_name = TRY(String::try_create(guest_name));
    TRY(m_descriptors.try_append(std::move(entry)));
    return static_cast<u32>(m_descriptors.size() - 1);
}

// ---- helpers ----------------------------------------------------------------------

Expected<FdEntry*> WasiContext::descriptor(u32 fd, u64 required)
{
    FdEntry* entry = m_descriptors.at(fd);
    if (!entry || !entry->open)
        return Errno::BadF;
    if ((entry->rights_base & required) != required)
        return Errno::NotCapable;
    return entry;
}

Expected<u32> WasiContext::allocate_descriptor()
{
    for (usize fd = 0; fd < m_descriptors.size(); ++fd) {
        if (!m_descriptors[fd].open)
            return static_cast<u32>(fd);
    }
    if (m_descriptors.size() >= kMaxDescriptors)
        return Errno::MFile;
    if (!m_descriptors.try_append(FdEntry {}))
        return Errno::NoMem;
    return static_cast<u32>(m_descriptors.size() - 1);
}

template<typename Slice>
Expected<void> WasiContext::read_iovecs(const GuestMemory& memory, u32 iovs, u32 count, IovecList<Slice>& out)
{
    if (count > kMaxIovecs)
        return Errno::Inval;
    if (!memory.contains(iovs, u64 { count } * layout::kIovecSize))
        return Errno::Fault;
    Slice* slices = out.inline_slices;
    if (count > IovecList<Slice>::kInline) {
        if (!out.heap.try_resize(count))
            return Errno::NoMem;
        slices = out.heap.data();
    }
    u64 total = 0;
    for (u32 i = 0; i < count; ++i) {
        u64 at = iovs + u64 { i } * layout::kIovecSize;
        u32 buffer = *memory.read_u32(at);
        u32 length = *memory.read_u32(at + 4);
        auto bytes = memory.bytes(buffer, length);
        if (!bytes)
            return bytes.error();
        // NOTE: the byte count returned to the guest is a u32.
        total += length;
        if (total > 0xFFFF'FFFFu)
            return Errno::Inval;
        slices[i] = Slice { bytes->data(), bytes->size() };
    }
    out.slices = Span<const Slice>(slices, count);
    return {};
}

template Expected<void> WasiContext::read_iovecs(const GuestMemory&, u32, u32, IovecList<IoSlice>&);
template Expected<void> WasiContext::read_iovecs(const GuestMemory&, u32, u32, IovecList<ConstIoSlice>&);

Errno WasiContext::write_filestat(const GuestMemory& memory, u32 address, const FileStat& stat)
{
    u8 record[layout::kFilestatSize] = {};
    auto put64 = [&](u32 offset, u64 value) { __builtin_memcpy(record + offset, &value, 8); };
    put64(0, stat.device);
    put64(8, stat.inode);
    record[16] = static_cast<u8>(stat.filetype);
    put64(24, stat.link_count);
    put64(32, stat.size);
    put64(40, stat.access_time);
    put64(48, stat.modify_time);
    put64(56, stat.change_time);
    return memory.write_bytes(address, ReadonlyBytes(record, sizeof(record)));
}

// ---- args and environ -------------------------------------------------------------

Errno WasiContext::string_list_sizes(const Vector<String>& list, u32 count_out, u32 size_out)
{
    GuestMemory guest = memory();
    if (!guest.contains(count_out, 4) || !guest.contains(size_out, 4))
        return Errno::Fault;
    u64 bytes = 0;
    for (const String& text : list)
        bytes += text.length() + 1;
    if (bytes > 0xFFFF'FFFFu)
        return Errno::Overflow;
    (void)guest.write_u32(count_out, static_cast<u32>(list.size()));
    (void)guest.write_u32(size_out, static_cast<u32>(bytes));
    return Errno::Success;
}

Errno WasiContext::write_string_list(const Vector<String>& list, u32 pointers, u32 buffer)
{
    GuestMemory guest = memory();
    u64 bytes = 0;
    for (const String& text : list)
        bytes += text.length() + 1;
    if (!guest.contains(pointers, u64 { list.size() } * 4) || !guest.contains(buffer, bytes))
        return Errno::Fault;
    u64 at = buffer;
    for (usize i = 0; i < list.size(); ++i) {
        (void)guest.write_u32(pointers + u64 { i } * 4, static_cast<u32>(at));
        StringView text = list[i].view();
        (void)guest.write_bytes(at, ReadonlyBytes(reinterpret_cast<const u8*>(text.data()), text.size()));
        (void)guest.write_u8(at + text.size(), 0);
        at += text.size() + 1;
    }
    return Errno::Success;
}

Errno WasiContext::args_get(u32 argv, u32 argv_buf) { return write_string_list(m_arguments, argv, argv_buf); }

Errno WasiContext::args_sizes_get(u32 argc_out, u32 argv_buf_size_out)
{
    return string_list_sizes(m_arguments, argc_out, argv_buf_size_out);
}

Errno WasiContext::environ_get(u32 environ, u32 environ_buf)
{
    return write_string_list(m_environment, environ, environ_buf);
}

Errno WasiContext::environ_sizes_get(u32 count_out, u32 buf_size_out)
{
    return string_list_sizes(m_environment, count_out, buf_size_out);
}

// ---- clocks, random, process ------------------------------------------------------

Errno WasiContext::clock_res_get(u32 id, u32 resolution_out)
{
    if (id > static_cast<u32>(ClockId::ThreadCputime))
        return Errno::Inval;
    GuestMemory guest = memory();
    if (!guest.contains(resolution_out, 8))
        return Errno::Fault;
    auto resolution = m_system.clock_resolution(static_cast<ClockId>(id));
    if (!resolution)
        return resolution.error();
    return guest.write_u64(resolution_out, *resolution);
}

Errno WasiContext::clock_time_get(u32 id, u64, u32 time_out)
{
    if (id > static_cast<u32>(ClockId::ThreadCputime))
        return Errno::Inval;
    GuestMemory guest = memory();
    if (!guest.contains(time_out, 8))
        return Errno::Fault;
    auto time = m_system.clock_time(static_cast<ClockId>(id));
    if (!time)
        return time.error();
    return guest.write_u64(time_out, *time);
}

Errno WasiContext::random_get(u32 buf, u32 buf_len)
{
    auto bytes = memory().bytes(buf, buf_len);
    if (!bytes)
        return bytes.error();
    auto filled = m_system.random(*bytes);
    return filled ? Errno::Success : filled.error();
}

void WasiContext::proc_exit(u32 status)
{
    u64 word = kExitSet | status;
    if (threaded()) {
        // The first status wins when threads exit at once (wasi-threads).
        u64 unset = 0;
        __atomic_compare_exchange_n(&m_exit_word, &unset, word, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    } else {
        __atomic_store_n(&m_exit_word, word, __ATOMIC_RELEASE);
    }
    if (m_exit_hook)
        m_exit_hook(m_exit_hook_data, status);
}

Errno WasiContext::proc_raise(u32 signal)
{
    if (signal > kMaxSignal)
        return Errno::Inval;
    // NOTE: a signal would terminate or be ignored by the host process, which a guest
    // must not control; the call is refused (as wasmtime does).
    return Errno::NotSup;
}

Errno WasiContext::sched_yield()
{
    m_system.yield();
    return Errno::Success;
}

// ---- sockets: none are ever handed out --------------------------------------------

} // namespace wk::engine::wasi
