// Every call that takes a guest pointer, given one outside linear memory: Errno::Fault,
// no crash, and no backend effect for calls that would have changed something.
#include <gtest/gtest.h>

#include "tests/wasi/fake_system.h"

using namespace wk;
using namespace wk::engine::wasi;
using wk::engine::wasi::testing::Guest;

namespace {

constexpr u32 kFar = 0xFFFF'FFF0u;               // beyond the 64 KiB memory
constexpr u32 kStraddle = Guest::kMemorySize - 2; // a u32/u64 that crosses the end

bool backend_saw(const Guest& guest, std::string_view prefix)
{
    for (const auto& call : guest.system.calls) {
        if (call.starts_with(prefix))
            return true;
    }
    return false;
}

} // namespace

TEST(WasiFault, ArgsAndEnviron)
{
    Guest g;
    for (u32 bad : { kFar, kStraddle }) {
        EXPECT_EQ(g.context.args_sizes_get(bad, 0), Errno::Fault);
        EXPECT_EQ(g.context.args_sizes_get(0, bad), Errno::Fault);
        EXPECT_EQ(g.context.args_get(bad, 0), Errno::Fault);
        EXPECT_EQ(g.context.args_get(0, bad), Errno::Fault);
        EXPECT_EQ(g.context.environ_sizes_get(bad, 0), Errno::Fault);
        EXPECT_EQ(g.context.environ_get(0, bad), Errno::Fault);
        EXPECT_EQ(g.context.environ_get(bad, 0), Errno::Fault);
    }
    // The string area must hold every argument: one byte short faults.
    EXPECT_EQ(g.context.args_get(0, Guest::kMemorySize - 12), Errno::Fault);
    EXPECT_EQ(g.context.args_get(0, Guest::kMemorySize - 13), Errno::Success);
}

TEST(WasiFault, ClocksAndRandom)
{
    Guest g;
    EXPECT_EQ(g.context.clock_time_get(0, 0, kFar), Errno::Fault);
    EXPECT_EQ(g.context.clock_time_get(1, 0, Guest::kMemorySize - 4), Errno::Fault);
    EXPECT_EQ(g.context.clock_res_get(0, kStraddle), Errno::Fault);
    EXPECT_EQ(g.context.random_get(kFar, 4), Errno::Fault);
    EXPECT_EQ(g.context.random_get(Guest::kMemorySize - 4, 5), Errno::Fault);
    EXPECT_EQ(g.context.random_get(0, 0xFFFF'FFFFu), Errno::Fault);
    EXPECT_FALSE(backend_saw(g, "random"));
    EXPECT_EQ(g.context.random_get(Guest::kMemorySize - 4, 4), Errno::Success);
    EXPECT_EQ(g.bytes[Guest::kMemorySize - 1], 0xAB);
}

TEST(WasiFault, DescriptorCalls)
{
    Guest g;
    g.put_iovec(0, 64, 8);
    EXPECT_EQ(g.context.fd_fdstat_get(1, kFar), Errno::Fault);
    EXPECT_EQ(g.context.fd_fdstat_get(1, Guest::kMemorySize - 23), Errno::Fault);
    EXPECT_EQ(g.context.fd_filestat_get(1, Guest::kMemorySize - 63), Errno::Fault);
    EXPECT_EQ(g.context.fd_prestat_get(3, kStraddle - 4), Errno::Fault);
    EXPECT_EQ(g.context.fd_prestat_dir_name(3, kFar, 8), Errno::Fault);
    EXPECT_EQ(g.context.fd_prestat_dir_name(3, Guest::kMemorySize - 4, 8), Errno::Fault);
    EXPECT_EQ(g.context.fd_seek(1, 0, 0, kStraddle), Errno::Fault);
    EXPECT_EQ(g.context.fd_tell(1, kFar), Errno::Fault);
    EXPECT_EQ(g.context.fd_readdir(3, kFar, 100, 0, 0), Errno::Fault);
    EXPECT_EQ(g.context.fd_readdir(3, 0, 100, 0, kStraddle), Errno::Fault);
    EXPECT_EQ(g.context.poll_oneoff(kFar, 0, 1, 0), Errno::Fault);
    EXPECT_EQ(g.context.poll_oneoff(0, kFar, 1, 0), Errno::Fault);
    EXPECT_EQ(g.context.poll_oneoff(0, 100, 1, kStraddle), Errno::Fault);
    EXPECT_EQ(g.context.poll_oneoff(Guest::kMemorySize - 47, 0, 1, 0), Errno::Fault);
    EXPECT_FALSE(backend_saw(g, "seek"));
    EXPECT_FALSE(backend_saw(g, "read_directory"));
    EXPECT_FALSE(backend_saw(g, "sleep"));
}

TEST(WasiFault, ReadAndWriteCalls)
{
    Guest g;
    // iovec array itself outside memory, buffer outside memory, result pointer outside.
    g.put_iovec(0, kFar, 4);
    g.put_iovec(8, 64, 4);
    g.put_iovec(16, Guest::kMemorySize - 3, 4);
    EXPECT_EQ(g.context.fd_write(1, kFar, 1, 100), Errno::Fault);
    EXPECT_EQ(g.context.fd_write(1, Guest::kMemorySize - 4, 1, 100), Errno::Fault);
    EXPECT_EQ(g.context.fd_write(1, 0, 1, 100), Errno::Fault);
    EXPECT_EQ(g.context.fd_write(1, 16, 1, 100), Errno::Fault);
    EXPECT_EQ(g.context.fd_write(1, 8, 2, 100), Errno::Fault); // second iovec bad
    EXPECT_EQ(g.context.fd_write(1, 8, 1, kStraddle), Errno::Fault);
    EXPECT_EQ(g.context.fd_pwrite(1, 0, 1, 0, 100), Errno::Fault);
    EXPECT_EQ(g.context.fd_pwrite(1, 8, 1, 0, kFar), Errno::Fault);
    EXPECT_FALSE(backend_saw(g, "write"));
    EXPECT_FALSE(backend_saw(g, "pwrite"));
    EXPECT_EQ(g.context.fd_read(0, 0, 1, 100), Errno::Fault);
    EXPECT_EQ(g.context.fd_read(0, 8, 1, kFar), Errno::Fault);
    EXPECT_EQ(g.context.fd_pread(0, 16, 1, 0, 100), Errno::Fault);
    EXPECT_FALSE(backend_saw(g, "read"));
    EXPECT_FALSE(backend_saw(g, "pread"));
    // The same call with good pointers reaches the backend.
    g.put(64, "abcd");
    EXPECT_EQ(g.context.fd_write(1, 8, 1, 100), Errno::Success);
    EXPECT_EQ(g.get_u32(100), 4u);
}

TEST(WasiFault, PathCalls)
{
    Guest g;
    g.put(200, "file");
    g.put(300, "dnew");
    EXPECT_EQ(g.context.path_open(3, 0, kFar, 4, 0, rights::kFdRead, 0, 0, 400), Errno::Fault);
    EXPECT_EQ(g.context.path_open(3, 0, Guest::kMemorySize - 2, 4, 0, rights::kFdRead, 0, 0, 400), Errno::Fault);
    EXPECT_EQ(g.context.path_open(3, 0, 200, 4, oflags::kCreat, rights::kFdRead, 0, 0, kStraddle), Errno::Fault);
    EXPECT_EQ(g.context.path_create_directory(3, kFar, 4), Errno::Fault);
    EXPECT_EQ(g.context.path_remove_directory(3, kFar, 4), Errno::Fault);
    EXPECT_EQ(g.context.path_unlink_file(3, 200, 0xFFFF'FFFFu), Errno::Fault);
    EXPECT_EQ(g.context.path_filestat_get(3, 0, kFar, 4, 400), Errno::Fault);
    EXPECT_EQ(g.context.path_filestat_get(3, 0, 200, 4, Guest::kMemorySize - 8), Errno::Fault);
    EXPECT_EQ(g.context.path_filestat_set_times(3, 0, kFar, 4, 0, 0, 0), Errno::Fault);
    EXPECT_EQ(g.context.path_rename(3, kFar, 4, 3, 300, 4), Errno::Fault);
    EXPECT_EQ(g.context.path_rename(3, 200, 4, 3, kFar, 4), Errno::Fault);
    EXPECT_EQ(g.context.path_link(3, 0, 200, 4, 3, kFar, 4), Errno::Fault);
    EXPECT_EQ(g.context.path_link(3, 0, kFar, 4, 3, 300, 4), Errno::Fault);
    EXPECT_EQ(g.context.path_symlink(kFar, 4, 3, 300, 4), Errno::Fault);
    EXPECT_EQ(g.context.path_symlink(200, 4, 3, kFar, 4), Errno::Fault);
    EXPECT_EQ(g.context.path_readlink(3, kFar, 4, 400, 10, 500), Errno::Fault);
    EXPECT_EQ(g.context.path_readlink(3, 200, 4, Guest::kMemorySize - 5, 10, 500), Errno::Fault);
    EXPECT_EQ(g.context.path_readlink(3, 200, 4, 400, 10, kStraddle), Errno::Fault);
    for (const auto& call : g.system.calls)
        ADD_FAILURE() << "backend reached after a fault: " << call;
}

TEST(WasiFault, UnboundMemory)
{
    wk::engine::wasi::testing::FakeSystem system;
    WasiContext context(system);
    ASSERT_TRUE(context.set_stdio(1, system.make_handle(), Filetype::CharacterDevice));
    EXPECT_EQ(context.fd_write(1, 0, 0, 0), Errno::Fault);
    EXPECT_EQ(context.args_sizes_get(0, 4), Errno::Fault);
    EXPECT_EQ(context.random_get(0, 0), Errno::Success);
}
