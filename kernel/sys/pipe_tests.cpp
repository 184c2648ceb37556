#include "base/string_view.h"
#include "kernel/debug/ktest.h"
#include "kernel/fs/file_system.h"
#include "kernel/mm/memory.h"
#include "kernel/sys/kernel_wasi_system.h"
#include "kernel/sys/pipe.h"
#include "kernel/sys/root_fs.h"

namespace wk::kernel::sys {

namespace {

namespace wasi = engine::wasi;
using wasi::Errno;
using HostHandle = wasi::HostHandle;

template<typename T>
u32 errno_of(const wasi::Expected<T>& result)
{
    return result ? 0u : static_cast<u32>(result.error());
}
constexpr u32 code(Errno error) { return static_cast<u32>(error); }

RefPtr<fs::FileSystem> make_file_system()
{
    fs::Limits limits;
    limits.max_bytes = 1 << 20;
    limits.max_inodes = 16;
    FsGuard guard;
    auto created = fs::FileSystem::create(limits);
    return created ? std::move(*created) : RefPtr<fs::FileSystem>();
}

void drop(RefPtr<fs::FileSystem>& file_system)
{
    FsGuard guard;
    file_system = nullptr;
}

wasi::Expected<usize> write_text(KernelWasiSystem& system, HostHandle handle, StringView text)
{
    wasi::ConstIoSlice slice { reinterpret_cast<const u8*>(text.data()), text.size() };
    return system.write(handle, Span<const wasi::ConstIoSlice>(&slice, 1));
}

wasi::Expected<usize> read_into(KernelWasiSystem& system, HostHandle handle, u8* buffer, usize size)
{
    wasi::IoSlice slice { buffer, size };
    return system.read(handle, Span<const wasi::IoSlice>(&slice, 1));
}

// A writer thread for the blocking test: writes kTotal bytes (byte i is i % 251) through
// the write end in 4 KiB calls, then closes it.
constexpr usize kBlockingTotal = 3 * Pipe::kCapacity + 1000;
struct WriterJob {
    KernelWasiSystem* system;
    HostHandle handle;
    usize written { 0 };
};

i64 write_pattern(void* argument)
{
    auto& job = *static_cast<WriterJob*>(argument);
    static u8 chunk[4096];
    while (job.written < kBlockingTotal) {
        usize length = kBlockingTotal - job.written < sizeof chunk ? kBlockingTotal - job.written : sizeof chunk;
        for (usize i = 0; i < length; ++i)
            chunk[i] = static_cast<u8>((job.written + i) % 251);
        wasi::ConstIoSlice slice { chunk, length };
        auto moved = job.system->write(job.handle, Span<const wasi::ConstIoSlice>(&slice, 1));
        if (!moved)
            return -1;
        job.written += *moved;
    }
    (void)job.system->close(job.handle);
    return 0;
}

} // namespace

KERNEL_TEST(sys_pipe_moves_bytes_then_end_of_file_and_epipe)
{
    usize heap_before = mm::heap_statistics().bytes_in_use;
    usize pipes_before = Pipe::live_count();
    auto file_system = make_file_system();
    {
        KernelWasiSystem system(*file_system);
        auto pipe = system.open_pipe();
        KEXPECT(pipe.has_value());
        KEXPECT_EQ(Pipe::live_count(), pipes_before + 1);
        KEXPECT_EQ(*write_text(system, pipe->write_end, "hello "), 6u);
        KEXPECT_EQ(*write_text(system, pipe->write_end, "pipe"), 4u);
        u8 buffer[64];
        KEXPECT_EQ(*read_into(system, pipe->read_end, buffer, 3), 3u);
        KEXPECT(StringView(reinterpret_cast<char*>(buffer), 3) == "hel");
        KEXPECT_EQ(*read_into(system, pipe->read_end, buffer, sizeof buffer), 7u);
        KEXPECT(StringView(reinterpret_cast<char*>(buffer), 7) == "lo pipe");
        // Wrong directions, and a pipe is no file.
        KEXPECT_EQ(errno_of(read_into(system, pipe->write_end, buffer, 1)), code(Errno::BadF));
        KEXPECT_EQ(errno_of(write_text(system, pipe->read_end, "x")), code(Errno::BadF));
        KEXPECT_EQ(errno_of(system.seek(pipe->read_end, 0, wasi::Whence::Set)), code(Errno::SPipe));
        KEXPECT(system.stat(pipe->read_end)->filetype == wasi::Filetype::Unknown);

        // A shared write end (spawn's stdio) keeps the pipe open until its last holder closes.
        KernelWasiSystem child(*file_system);
        wasi::Filetype filetype = wasi::Filetype::CharacterDevice;
        auto shared = system.share_into(pipe->write_end, child, filetype);
        KEXPECT(shared.has_value());
        KEXPECT(filetype == wasi::Filetype::Unknown);
        KEXPECT_EQ(errno_of(system.close(pipe->write_end)), 0u);
        KEXPECT_EQ(*write_text(child, *shared, "from child"), 10u);
        KEXPECT_EQ(*read_into(system, pipe->read_end, buffer, sizeof buffer), 10u);
        KEXPECT_EQ(errno_of(child.close(*shared)), 0u);
        // No writer left and nothing buffered: end of file, at once and again.
        KEXPECT_EQ(*read_into(system, pipe->read_end, buffer, sizeof buffer), 0u);
        KEXPECT_EQ(*read_into(system, pipe->read_end, buffer, sizeof buffer), 0u);

        // No reader left: the writer gets EPIPE.
        auto second = system.open_pipe();
        KEXPECT_EQ(errno_of(system.close(second->read_end)), 0u);
        KEXPECT_EQ(errno_of(write_text(system, second->write_end, "lost")), code(Errno::Pipe));
        // Both pipes go with their last ends (the system's destructor closes second's).
    }
    drop(file_system);
    KEXPECT_EQ(Pipe::live_count(), pipes_before);
    KEXPECT_EQ(mm::heap_statistics().bytes_in_use, heap_before);
}

KERNEL_TEST(sys_pipe_blocks_a_full_writer_until_the_reader_drains)
{
    auto file_system = make_file_system();
    {
        KernelWasiSystem system(*file_system);
        auto pipe = system.open_pipe();
        WriterJob job { &system, pipe->write_end };
        auto writer = sched::spawn("pipe-writer", write_pattern, &job);
        KEXPECT(writer.has_value());
        // Let the writer fill the pipe and block: it cannot have written more than fits.
        for (int i = 0; i < 20; ++i)
            sched::yield();
        KEXPECT(job.written <= Pipe::kCapacity);
        static u8 buffer[8192];
        usize total = 0;
        bool pattern_ok = true;
        for (;;) {
            auto count = read_into(system, pipe->read_end, buffer, sizeof buffer);
            KEXPECT(count.has_value());
            if (!count || *count == 0)
                break;
            for (usize i = 0; i < *count; ++i)
                pattern_ok = pattern_ok && buffer[i] == static_cast<u8>((total + i) % 251);
            total += *count;
        }
        KEXPECT_EQ(total, kBlockingTotal);
        KEXPECT(pattern_ok);
        KEXPECT_EQ(*sched::join(*writer), 0);
    }
    drop(file_system);
}

KERNEL_TEST(sys_pipe_count_is_bounded)
{
    usize pipes_before = Pipe::live_count();
    auto file_system = make_file_system();
    {
        KernelWasiSystem system(*file_system);
        usize created = 0;
        Errno refused = Errno::Success;
        for (usize i = 0; i < Pipe::kMaxPipes + 4; ++i) {
            auto pipe = system.open_pipe();
            if (!pipe) {
                refused = pipe.error();
                break;
            }
            ++created;
        }
        KEXPECT_EQ(created + pipes_before, Pipe::kMaxPipes);
        KEXPECT_EQ(code(refused), code(Errno::NFile));
    }
    drop(file_system);
    KEXPECT_EQ(Pipe::live_count(), pipes_before);
}

} // namespace wk::kernel::sys
