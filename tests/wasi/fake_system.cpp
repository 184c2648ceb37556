#include "tests/wasi/fake_system.h"

#include <cstring>

namespace wk::engine::wasi::testing {

namespace {

std::string text(StringView view) { return std::string(view.data(), view.size()); }

Filetype type_of_name(StringView name)
{
    if (name == "." || (!name.empty() && name[0] == 'd'))
        return Filetype::Directory;
    if (!name.empty() && name[0] == 'l')
        return Filetype::SymbolicLink;
    return Filetype::RegularFile;
}

} // namespace

Expected<void> FakeSystem::close(HostHandle handle)
{
    calls.push_back("close");
    open_handles.erase(handle);
    return {};
}

Expected<usize> FakeSystem::read(HostHandle, Span<const IoSlice> slices)
{
    calls.push_back("read");
    usize total = 0;
    for (const IoSlice& slice : slices) {
        if (slice.length)
            std::memset(slice.data, 'x', slice.length);
        total += slice.length;
    }
    return total;
}

Expected<usize> FakeSystem::pread(HostHandle handle, Span<const IoSlice> slices, u64)
{
    calls.push_back("pread");
    return read(handle, slices);
}

Expected<usize> FakeSystem::write(HostHandle handle, Span<const ConstIoSlice> slices)
{
    calls.push_back("write");
    usize total = 0;
    for (const ConstIoSlice& slice : slices) {
        written[handle].append(reinterpret_cast<const char*>(slice.data), slice.length);
        total += slice.length;
    }
    return total;
}

Expected<usize> FakeSystem::pwrite(HostHandle handle, Span<const ConstIoSlice> slices, u64)
{
    calls.push_back("pwrite");
    return write(handle, slices);
}

Expected<u64> FakeSystem::seek(HostHandle, i64 offset, Whence)
{
    calls.push_back("seek");
    return static_cast<u64>(offset);
}

Expected<u16> FakeSystem::get_fdflags(HostHandle)
{
    calls.push_back("get_fdflags");
    return u16 { 0 };
}

Expected<void> FakeSystem::set_fdflags(HostHandle, u16)
{
    calls.push_back("set_fdflags");
    return {};
}

Expected<FileStat> FakeSystem::stat(HostHandle handle)
{
    calls.push_back("stat");
    FileStat stat;
    stat.filetype = Filetype::RegularFile;
    stat.size = 42;
    stat.inode = static_cast<u64>(handle);
    return stat;
}

Expected<void> FakeSystem::set_size(HostHandle, u64)
{
    calls.push_back("set_size");
    return {};
}

Expected<void> FakeSystem::set_times(HostHandle, TimeUpdate, TimeUpdate)
{
    calls.push_back("set_times");
    return {};
}

Expected<void> FakeSystem::sync(HostHandle)
{
    calls.push_back("sync");
    return {};
}

Expected<void> FakeSystem::datasync(HostHandle)
{
    calls.push_back("datasync");
    return {};
}

Expected<void> FakeSystem::advise(HostHandle, u64, u64, Advice)
{
    calls.push_back("advise");
    return {};
}

Expected<void> FakeSystem::allocate(HostHandle, u64, u64)
{
    calls.push_back("allocate");
    return {};
}

Expected<void> FakeSystem::read_directory(HostHandle, u64 cookie, DirectorySink& sink)
{
    calls.push_back("read_directory");
    const char* names[] = { "alpha", "beta", "gamma" };
    for (u64 i = cookie; i < 3; ++i) {
        if (!sink.entry(i + 1, 1000 + i, Filetype::RegularFile, StringView(names[i])))
            break;
    }
    return {};
}

Expected<HostHandle> FakeSystem::open_at(HostHandle, StringView name, const OpenRequest& request)
{
    calls.push_back("open_at " + text(name));
    if (type_of_name(name) == Filetype::SymbolicLink)
        return Errno::Loop;
    if (request.directory && type_of_name(name) != Filetype::Directory)
        return Errno::NotDir;
    return make_handle();
}

Expected<FileStat> FakeSystem::stat_at(HostHandle, StringView name)
{
    calls.push_back("stat_at " + text(name));
    if (type_of_name(name) == Filetype::SymbolicLink && !links.contains(text(name)))
        return Errno::NoEnt;
    FileStat stat;
    stat.filetype = type_of_name(name);
    return stat;
}

Expected<void> FakeSystem::set_times_at(HostHandle, StringView name, TimeUpdate, TimeUpdate)
{
    calls.push_back("set_times_at " + text(name));
    return {};
}

Expected<void> FakeSystem::create_directory_at(HostHandle, StringView name)
{
    calls.push_back("create_directory_at " + text(name));
    return {};
}

Expected<void> FakeSystem::remove_directory_at(HostHandle, StringView name)
{
    calls.push_back("remove_directory_at " + text(name));
    return {};
}

Expected<void> FakeSystem::unlink_file_at(HostHandle, StringView name)
{
    calls.push_back("unlink_file_at " + text(name));
    return {};
}

Expected<void> FakeSystem::rename_at(HostHandle, StringView from, HostHandle, StringView to)
{
    calls.push_back("rename_at " + text(from) + " " + text(to));
    return {};
}

Expected<void> FakeSystem::link_at(HostHandle, StringView from, HostHandle, StringView to)
{
    calls.push_back("link_at " + text(from) + " " + text(to));
    return {};
}

Expected<void> FakeSystem::symlink_at(StringView target, HostHandle, StringView name)
{
    calls.push_back("symlink_at " + text(target) + " " + text(name));
    return {};
}

Expected<String> FakeSystem::readlink_at(HostHandle, StringView name)
{
    calls.push_back("readlink_at " + text(name));
    auto found = links.find(text(name));
    if (found == links.end())
        return Errno::Inval;
    return std::move(*String::try_create(StringView(found->second)));
}

Expected<u64> FakeSystem::clock_time(ClockId id)
{
    calls.push_back("clock_time");
    return id == ClockId::Realtime ? u64 { 1'700'000'000'000'000'000 } : u64 { 5'000'000'000 };
}

Expected<u64> FakeSystem::clock_resolution(ClockId)
{
    calls.push_back("clock_resolution");
    return u64 { 1000 };
}

Expected<void> FakeSystem::random(Bytes bytes)
{
    calls.push_back("random");
    if (!bytes.empty())
        std::memset(bytes.data(), 0xAB, bytes.size());
    return {};
}

void FakeSystem::yield() { calls.push_back("yield"); }

void FakeSystem::sleep(u64) { calls.push_back("sleep"); }

Expected<void> FakeSystem::poll(Span<PollRequest> requests, std::optional<u64>)
{
    calls.push_back("poll");
    for (PollRequest& request : requests)
        request.ready = true;
    return {};
}

Expected<HostHandle> FakeSystem::accept(HostHandle, u16 fdflags)
{
    calls.push_back("accept");
    last_flags = fdflags;
    return make_handle();
}

Expected<HostHandle> FakeSystem::connect_tcp(u32 address, u16 port)
{
    calls.push_back("connect " + std::to_string(address) + " " + std::to_string(port));
    if (connect_error != Errno::Success)
        return connect_error;
    return make_handle();
}

Expected<HostHandle> FakeSystem::udp_bind(u16 port)
{
    calls.push_back("udp_bind " + std::to_string(port));
    return make_handle();
}

Expected<usize> FakeSystem::udp_send_to(HostHandle, u32 address, u16 port, ReadonlyBytes data)
{
    calls.push_back("udp_send " + std::to_string(address) + " " + std::to_string(port) + " " + std::to_string(data.size()));
    return data.size();
}

Expected<usize> FakeSystem::udp_receive_from(HostHandle, Bytes out, Datagram& from)
{
    calls.push_back("udp_receive");
    static const char kEcho[] = "echo";
    usize count = out.size() < 4 ? out.size() : 4;
    std::memcpy(out.data(), kEcho, count);
    from = Datagram { 0x0A000202u, 53, 4 };
    return count;
}

Expected<usize> FakeSystem::receive(HostHandle handle, Span<const IoSlice> slices, u16 riflags)
{
    last_flags = riflags;
    auto count = read(handle, slices);
    calls.back() = "receive";
    return count;
}

Expected<usize> FakeSystem::send(HostHandle handle, Span<const ConstIoSlice> slices)
{
    auto count = write(handle, slices);
    calls.back() = "send";
    return count;
}

Expected<void> FakeSystem::shutdown(HostHandle, u8 how)
{
    calls.push_back("shutdown " + std::to_string(how));
    return {};
}

Guest::Guest()
{
    vm.base = bytes.data();
    vm.bound_bytes = kMemorySize;
    context.bind_memory(&vm);
    for (u32 fd = 0; fd < 3; ++fd)
        (void)context.set_stdio(fd, system.make_handle(), Filetype::CharacterDevice);
    (void)context.add_preopen(system.make_handle(), "/sandbox");
    (void)context.add_argument("prog");
    (void)context.add_argument("arg one");
    (void)context.add_environment("HOME=/sandbox");
}

u32 Guest::put(u32 address, std::string_view value)
{
    std::memcpy(bytes.data() + address, value.data(), value.size());
    return address;
}

u32 Guest::put_u32(u32 address, u32 value)
{
    std::memcpy(bytes.data() + address, &value, 4);
    return address;
}

u32 Guest::get_u32(u32 address) const
{
    u32 value;
    std::memcpy(&value, bytes.data() + address, 4);
    return value;
}

u64 Guest::get_u64(u32 address) const
{
    u64 value;
    std::memcpy(&value, bytes.data() + address, 8);
    return value;
}

u32 Guest::put_iovec(u32 address, u32 buffer, u32 length)
{
    put_u32(address, buffer);
    put_u32(address + 4, length);
    return address;
}

} // namespace wk::engine::wasi::testing
