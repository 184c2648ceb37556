#include "base/string_view.h"
#include "kernel/debug/ktest.h"
#include "kernel/fs/file_system.h"
#include "kernel/mm/memory.h"
#include "kernel/sys/kernel_wasi_system.h"
#include "kernel/sys/root_fs.h"
#include "kernel/time/rtc.h"

namespace wk::kernel::sys {

namespace {

namespace wasi = engine::wasi;
using wasi::Errno;
using HostHandle = wasi::HostHandle;

// The errno of a result (0 for success), printable by KEXPECT_EQ.
template<typename T>
u32 errno_of(const wasi::Expected<T>& result)
{
    return result ? 0u : static_cast<u32>(result.error());
}
constexpr u32 code(Errno error) { return static_cast<u32>(error); }

wasi::ConstIoSlice text_slice(StringView text) { return { reinterpret_cast<const u8*>(text.data()), text.size() }; }

RefPtr<fs::FileSystem> make_file_system(u64 max_bytes = 1 << 20, u64 max_inodes = 64)
{
    fs::Limits limits;
    limits.max_bytes = max_bytes;
    limits.max_inodes = max_inodes;
    FsGuard guard;
    auto created = fs::FileSystem::create(limits);
    return created ? std::move(*created) : RefPtr<fs::FileSystem>();
}

void drop(RefPtr<fs::FileSystem>& file_system)
{
    FsGuard guard;
    file_system = nullptr;
}

class NameCollector final : public wasi::DirectorySink {
public:
    bool entry(u64 cookie, u64, wasi::Filetype type, StringView name) override
    {
        for (char c : name) {
            if (m_length + 2 < sizeof m_text)
                m_text[m_length++] = c;
        }
        if (m_length + 1 < sizeof m_text)
            m_text[m_length++] = type == wasi::Filetype::Directory ? '/' : ' '; // "a " "dir/"
        m_last_cookie = cookie;
        ++m_count;
        return m_count < m_stop_after;
    }
    StringView text() const { return StringView(m_text, m_length); }
    usize m_count { 0 };
    usize m_stop_after { ~usize { 0 } };
    u64 m_last_cookie { 0 };

private:
    char m_text[256] {};
    usize m_length { 0 };
};

class CaptureStream final : public Stream {
public:
    wasi::Expected<usize> read(Bytes buffer) override
    {
        usize count = 0;
        while (count < buffer.size() && m_input_at < m_input.size())
            buffer[count++] = static_cast<u8>(m_input[m_input_at++]);
        return count;
    }
    wasi::Expected<usize> write(ReadonlyBytes data) override
    {
        for (u8 byte : data) {
            if (m_length < sizeof m_output)
                m_output[m_length++] = static_cast<char>(byte);
        }
        return data.size();
    }
    bool readable_now() override { return m_input_at < m_input.size(); }
    bool writable() const override { return true; }
    StringView output() const { return StringView(m_output, m_length); }
    StringView m_input;
    usize m_input_at { 0 };

private:
    char m_output[128] {};
    usize m_length { 0 };
};

} // namespace

KERNEL_TEST(sys_wasi_files_write_read_back_and_stat)
{
    usize heap_before = mm::heap_statistics().bytes_in_use;
    auto file_system = make_file_system();
    KEXPECT(file_system);
    {
        KernelWasiSystem system(*file_system);
        auto root = system.open_directory("/");
        KEXPECT_EQ(errno_of(root), 0u);
        wasi::OpenRequest create { .read = true, .write = true, .create = true };
        auto file = system.open_at(*root, "notes.txt", create);
        KEXPECT_EQ(errno_of(file), 0u);
        wasi::ConstIoSlice pieces[] = { text_slice("hello "), text_slice(""), text_slice("kernel") };
        auto written = system.write(*file, pieces);
        KEXPECT_EQ(errno_of(written), 0u);
        KEXPECT_EQ(*written, 12u);

        u8 buffer[32] {};
        wasi::IoSlice into[] = { { buffer, 5 }, { buffer + 5, 20 } };
        auto read = system.pread(*file, into, 6);
        KEXPECT_EQ(*read, 6u);
        KEXPECT(StringView(reinterpret_cast<char*>(buffer), 6) == "kernel");
        // The position is at the end after write; seek back and read through the position.
        KEXPECT_EQ(errno_of(system.read(*file, into)), 0u);
        KEXPECT_EQ(*system.read(*file, into), 0u);
        KEXPECT_EQ(*system.seek(*file, -6, wasi::Whence::End), 6u);
        KEXPECT_EQ(*system.read(*file, into), 6u);
        KEXPECT_EQ(errno_of(system.seek(*file, -100, wasi::Whence::Cur)), code(Errno::Inval));

        auto stat = system.stat(*file);
        KEXPECT_EQ(stat->size, 12u);
        KEXPECT(stat->filetype == wasi::Filetype::RegularFile);
        KEXPECT_EQ(stat->device, KernelWasiSystem::kDevice);
        KEXPECT_EQ(stat->link_count, 1u);
        auto stat_at = system.stat_at(*root, "notes.txt");
        KEXPECT_EQ(stat_at->inode, stat->inode);

        // Append mode: writes go to the end whatever the position.
        KEXPECT_EQ(errno_of(system.set_fdflags(*file, wasi::fdflags::kAppend)), 0u);
        KEXPECT_EQ(*system.get_fdflags(*file), wasi::fdflags::kAppend);
        KEXPECT_EQ(*system.seek(*file, 0, wasi::Whence::Set), 0u);
        wasi::ConstIoSlice tail[] = { text_slice("!") };
        KEXPECT_EQ(*system.write(*file, tail), 1u);
        KEXPECT_EQ(system.stat(*file)->size, 13u);
        KEXPECT_EQ(errno_of(system.allocate(*file, 100, 28)), 0u);
        KEXPECT_EQ(system.stat(*file)->size, 128u);
        KEXPECT_EQ(errno_of(system.set_size(*file, 5)), 0u);
        KEXPECT_EQ(system.stat(*file)->size, 5u);

        KEXPECT_EQ(errno_of(system.close(*file)), 0u);
        KEXPECT_EQ(errno_of(system.close(*file)), code(Errno::BadF));
        KEXPECT_EQ(errno_of(system.read(*file, into)), code(Errno::BadF));
        KEXPECT_EQ(errno_of(system.stat(-1)), code(Errno::BadF));
        KEXPECT_EQ(errno_of(system.stat(1 << 30)), code(Errno::BadF));
        KEXPECT_EQ(errno_of(system.close(*root)), 0u);
        KEXPECT_EQ(system.open_handle_count(), 0u);
    }
    drop(file_system);
    KEXPECT_EQ(mm::heap_statistics().bytes_in_use, heap_before);
}

KERNEL_TEST(sys_wasi_directories_readdir_rename_unlink)
{
    usize heap_before = mm::heap_statistics().bytes_in_use;
    auto file_system = make_file_system();
    {
        KernelWasiSystem system(*file_system);
        HostHandle root = *system.open_directory("/");
        KEXPECT_EQ(errno_of(system.create_directory_at(root, "dir")), 0u);
        KEXPECT_EQ(errno_of(system.create_directory_at(root, "dir")), code(Errno::Exist));
        wasi::OpenRequest create { .write = true, .create = true };
        HostHandle a = *system.open_at(root, "a", create);
        wasi::ConstIoSlice data[] = { text_slice("payload") };
        KEXPECT_EQ(*system.write(a, data), 7u);

        NameCollector names;
        KEXPECT_EQ(errno_of(system.read_directory(root, 0, names)), 0u);
        KEXPECT(names.text() == "./../dir/a ");
        // Reading on from a cookie continues after the entry it came from.
        NameCollector first_three;
        first_three.m_stop_after = 3;
        system.read_directory(root, 0, first_three);
        NameCollector rest;
        system.read_directory(root, first_three.m_last_cookie, rest);
        KEXPECT(rest.text() == "a ");

        HostHandle dir = *system.open_at(root, "dir", { .read = true, .directory = true });
        KEXPECT_EQ(errno_of(system.rename_at(root, "a", dir, "b")), 0u);
        KEXPECT_EQ(errno_of(system.stat_at(root, "a")), code(Errno::NoEnt));
        KEXPECT_EQ(system.stat_at(dir, "b")->size, 7u);
        // The open file description follows the inode across the rename.
        KEXPECT_EQ(system.stat(a)->size, 7u);

        // Errors map to the WASI errnos.
        KEXPECT_EQ(errno_of(system.open_at(root, "dir", { .write = true })), code(Errno::IsDir));
        KEXPECT_EQ(errno_of(system.open_at(root, "missing", { .read = true })), code(Errno::NoEnt));
        KEXPECT_EQ(errno_of(system.open_at(dir, "b", { .read = true, .create = true, .exclusive = true })), code(Errno::Exist));
        KEXPECT_EQ(errno_of(system.open_at(dir, "b", { .read = true, .directory = true })), code(Errno::NotDir));
        KEXPECT_EQ(errno_of(system.open_at(a, "x", { .read = true })), code(Errno::NotDir));
        KEXPECT_EQ(errno_of(system.unlink_file_at(root, "dir")), code(Errno::IsDir));
        KEXPECT_EQ(errno_of(system.remove_directory_at(root, "dir")), code(Errno::NotEmpty));
        KEXPECT_EQ(errno_of(system.rename_at(root, "dir", dir, "inside")), code(Errno::Inval));
        KEXPECT_EQ(errno_of(system.link_at(root, "dir", root, "dir2")), code(Errno::Perm));
        KEXPECT_EQ(errno_of(system.create_directory_at(root, "a/b")), code(Errno::Inval));

        KEXPECT_EQ(errno_of(system.symlink_at("dir/b", root, "link")), 0u);
        KEXPECT_EQ(errno_of(system.open_at(root, "link", { .read = true })), code(Errno::Loop));
        auto target = system.readlink_at(root, "link");
        KEXPECT(target && target->view() == "dir/b");
        KEXPECT_EQ(errno_of(system.readlink_at(dir, "b")), code(Errno::Inval));
        KEXPECT_EQ(system.stat_at(root, "link")->filetype == wasi::Filetype::SymbolicLink, true);

        KEXPECT_EQ(errno_of(system.link_at(dir, "b", root, "hard")), 0u);
        KEXPECT_EQ(system.stat(a)->link_count, 2u);
        KEXPECT_EQ(errno_of(system.unlink_file_at(dir, "b")), 0u);
        KEXPECT_EQ(errno_of(system.unlink_file_at(root, "hard")), 0u);
        // Unlinked but still open: readable through the handle, gone from the tree.
        KEXPECT_EQ(system.stat(a)->link_count, 0u);
        u8 buffer[8];
        wasi::IoSlice into[] = { { buffer, sizeof buffer } };
        KEXPECT_EQ(errno_of(system.pread(a, into, 0)), code(Errno::BadF)); // opened write-only
        KEXPECT_EQ(errno_of(system.remove_directory_at(root, "dir")), 0u);
        KEXPECT_EQ(errno_of(system.create_directory_at(dir, "late")), code(Errno::NoEnt));
        KEXPECT_EQ(errno_of(system.unlink_file_at(root, "link")), 0u);

        NameCollector after;
        system.read_directory(root, 0, after);
        KEXPECT(after.text() == "./../");
        KEXPECT_EQ(errno_of(system.read_directory(a, 0, after)), code(Errno::NotDir));
    }
    drop(file_system);
    KEXPECT_EQ(mm::heap_statistics().bytes_in_use, heap_before);
}

KERNEL_TEST(sys_wasi_limits_and_handle_table)
{
    usize heap_before = mm::heap_statistics().bytes_in_use;
    auto file_system = make_file_system(8192);
    {
        KernelWasiSystem system(*file_system);
        HostHandle root = *system.open_directory("/");
        HostHandle big = *system.open_at(root, "big", { .write = true, .create = true });
        static u8 chunk[4096];
        wasi::ConstIoSlice data[] = { { chunk, sizeof chunk } };
        usize total = 0;
        Errno last = Errno::Success;
        for (int i = 0; i < 8; ++i) {
            auto written = system.write(big, data);
            if (!written) {
                last = written.error();
                break;
            }
            total += *written;
        }
        KEXPECT(total < 8 * sizeof chunk);
        KEXPECT_EQ(code(last), code(Errno::NoSpc));
        KEXPECT_EQ(errno_of(system.open_directory("/big")), code(Errno::NotDir));
        KEXPECT_EQ(errno_of(system.open_directory("/nowhere")), code(Errno::NoEnt));

        // The table stops at kMaxHandles; a closed slot is reused.
        usize opened = 2;
        Errno refused = Errno::Success;
        for (usize i = 0; i < KernelWasiSystem::kMaxHandles + 10; ++i) {
            auto handle = system.open_at(root, ".", { .read = true, .directory = true });
            if (!handle) {
                refused = handle.error();
                break;
            }
            ++opened;
        }
        KEXPECT_EQ(opened, KernelWasiSystem::kMaxHandles);
        KEXPECT_EQ(code(refused), code(Errno::NFile));
        KEXPECT_EQ(errno_of(system.close(big)), 0u);
        auto reused = system.open_at(root, ".", { .read = true });
        KEXPECT_EQ(*reused, big);
    }
    drop(file_system);
    KEXPECT_EQ(mm::heap_statistics().bytes_in_use, heap_before);
}

KERNEL_TEST(sys_wasi_streams_clocks_random_poll)
{
    auto file_system = make_file_system();
    {
        KernelWasiSystem system(*file_system);
        CaptureStream stream;
        stream.m_input = "typed";
        HostHandle out = *system.open_stream(stream);
        wasi::ConstIoSlice text[] = { text_slice("hi "), text_slice("there") };
        KEXPECT_EQ(*system.write(out, text), 8u);
        KEXPECT(stream.output() == "hi there");
        u8 buffer[16];
        wasi::IoSlice into[] = { { buffer, 0 }, { buffer, sizeof buffer } };
        KEXPECT_EQ(*system.read(out, into), 5u);
        KEXPECT(StringView(reinterpret_cast<char*>(buffer), 5) == "typed");
        KEXPECT_EQ(errno_of(system.seek(out, 0, wasi::Whence::Set)), code(Errno::SPipe));
        KEXPECT_EQ(errno_of(system.pread(out, into, 0)), code(Errno::SPipe));
        KEXPECT(system.stat(out)->filetype == wasi::Filetype::CharacterDevice);
        KEXPECT_EQ(errno_of(system.open_at(out, "x", {})), code(Errno::NotDir));

        HostHandle root = *system.open_directory("/");
        wasi::PollRequest requests[] = { { .handle = out, .want_read = true, .want_write = false },
                                         { .handle = root, .want_read = true, .want_write = false },
                                         { .handle = 999, .want_read = true, .want_write = false } };
        KEXPECT_EQ(errno_of(system.poll(requests, 0)), 0u);
        KEXPECT(!requests[0].ready); // input used up
        KEXPECT(requests[1].ready);
        KEXPECT(requests[2].ready && requests[2].hangup);
        // Nothing ready: the timeout ends the wait.
        wasi::PollRequest waiting[] = { { .handle = out, .want_read = true, .want_write = false } };
        u64 before = *system.clock_time(wasi::ClockId::Monotonic);
        KEXPECT_EQ(errno_of(system.poll(waiting, 3'000'000)), 0u);
        u64 after = *system.clock_time(wasi::ClockId::Monotonic);
        KEXPECT(!waiting[0].ready);
        KEXPECT(after - before >= 3'000'000);
        KEXPECT(*system.clock_resolution(wasi::ClockId::Realtime) >= 1);
        KEXPECT_EQ(errno_of(system.clock_time(static_cast<wasi::ClockId>(7))), code(Errno::Inval));

        u8 first[37] {}, second[37] {};
        KEXPECT_EQ(errno_of(system.random(Bytes(first, sizeof first))), 0u);
        KEXPECT_EQ(errno_of(system.random(Bytes(second, sizeof second))), 0u);
        KEXPECT(__builtin_memcmp(first, second, sizeof first) != 0);
    }
    drop(file_system);
}

// The root file system the boot mounted is what the console shows: reachable through the system.
u64 bytes_used(fs::FileSystem& file_system)
{
    FsGuard guard;
    return file_system.bytes_used();
}

// Transfers, listings and frees larger than one step (64 KiB, 256 directory entries, 256
// chunks) give what one hold would have given.
KERNEL_TEST(sys_wasi_long_calls_in_steps)
{
    usize heap_before = mm::heap_statistics().bytes_in_use;
    auto file_system = make_file_system(16 << 20, 1024);
    KEXPECT(file_system);
    constexpr usize kSize = 3 << 20;
    auto* data = new u8[kSize];
    auto* back = new u8[kSize + 100];
    for (usize i = 0; i < kSize; ++i)
        data[i] = static_cast<u8>(i * 7 + (i >> 12));
    {
        KernelWasiSystem system(*file_system);
        auto root = system.open_directory("/");
        KEXPECT_EQ(errno_of(root), 0u);
        u64 used_empty = bytes_used(*file_system);
        wasi::OpenRequest create { .read = true, .write = true, .create = true };
        auto file = system.open_at(*root, "big", create);
        KEXPECT_EQ(errno_of(file), 0u);
        wasi::ConstIoSlice out[] = { { data, kSize / 3 }, { data + kSize / 3, kSize - kSize / 3 } };
        KEXPECT_EQ(*system.pwrite(*file, out, 0), kSize);
        wasi::IoSlice in[] = { { back, 1000 }, { back + 1000, kSize + 100 - 1000 } };
        KEXPECT_EQ(*system.pread(*file, in, 0), kSize); // short at the end of the file
        KEXPECT(__builtin_memcmp(back, data, kSize) == 0);
        KEXPECT_EQ(*system.seek(*file, 0, wasi::Whence::Set), 0u);
        KEXPECT_EQ(*system.read(*file, in), kSize);
        KEXPECT(__builtin_memcmp(back, data, kSize) == 0);

        // Shrinking frees storage (in steps); an unlinked open file is freed at its close.
        u64 used_full = bytes_used(*file_system);
        KEXPECT(used_full > used_empty + kSize);
        KEXPECT_EQ(errno_of(system.set_size(*file, 1 << 20)), 0u);
        KEXPECT_EQ(system.stat(*file)->size, u64 { 1 << 20 });
        KEXPECT(bytes_used(*file_system) < used_full - (1 << 20));
        KEXPECT_EQ(errno_of(system.unlink_file_at(*root, "big")), 0u);
        KEXPECT(bytes_used(*file_system) > used_empty + (1 << 20) - 4096);
        KEXPECT_EQ(errno_of(system.close(*file)), 0u);
        KEXPECT_EQ(bytes_used(*file_system), used_empty);

        // A listing longer than one step: every entry once, and a cookie resumes it.
        KEXPECT_EQ(errno_of(system.create_directory_at(*root, "many")), 0u);
        wasi::OpenRequest open_directory { .read = true, .directory = true };
        auto many = system.open_at(*root, "many", open_directory);
        KEXPECT_EQ(errno_of(many), 0u);
        char name[8] = { 'f', 0, 0, 0, 0 };
        for (u32 i = 0; i < 600; ++i) {
            name[1] = static_cast<char>('0' + i / 100);
            name[2] = static_cast<char>('0' + i / 10 % 10);
            name[3] = static_cast<char>('0' + i % 10);
            auto created = system.open_at(*many, StringView(name, 4), create);
            KEXPECT_EQ(errno_of(created), 0u);
            if (created)
                (void)system.close(*created);
        }
        NameCollector all;
        KEXPECT_EQ(errno_of(system.read_directory(*many, 0, all)), 0u);
        KEXPECT_EQ(all.m_count, 602u); // ".", "..", 600 files
        NameCollector first;
        first.m_stop_after = 300;
        KEXPECT_EQ(errno_of(system.read_directory(*many, 0, first)), 0u);
        KEXPECT_EQ(first.m_count, 300u);
        NameCollector rest;
        KEXPECT_EQ(errno_of(system.read_directory(*many, first.m_last_cookie, rest)), 0u);
        KEXPECT_EQ(rest.m_count, 302u);
        (void)system.close(*many);
        (void)system.close(*root);
    }
    delete[] data;
    delete[] back;
    drop(file_system);
    KEXPECT_EQ(mm::heap_statistics().bytes_in_use, heap_before);
}

// Inodes get the wall clock's time (WASI realtime), not the time since boot.
KERNEL_TEST(sys_root_file_system_times_are_wall_clock)
{
    auto& fs = root_fs();
    u64 before = time::realtime_nanoseconds();
    RefPtr<fs::Directory> file;
    {
        FsGuard guard;
        auto created = fs.create_directory_at(fs.root(), "ktest-wall-clock");
        KEXPECT(created.has_value());
        if (created)
            file = *created;
    }
    u64 after = time::realtime_nanoseconds();
    if (file) {
        KEXPECT(file->modify_time() >= before);
        KEXPECT(file->modify_time() <= after);
        FsGuard guard;
        KEXPECT(fs.remove_directory_at(fs.root(), "ktest-wall-clock").has_value());
    }
}

KERNEL_TEST(sys_root_file_system_is_mounted)
{
    KernelWasiSystem system(root_fs());
    auto root = system.open_directory("/");
    KEXPECT_EQ(errno_of(root), 0u);
    NameCollector names;
    KEXPECT_EQ(errno_of(system.read_directory(*root, 0, names)), 0u);
    KEXPECT(names.m_count >= 2);
    KEXPECT_EQ(errno_of(system.close(*root)), 0u);
}

} // namespace wk::kernel::sys
