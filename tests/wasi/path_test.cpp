// Path resolution over the real POSIX backend in a temporary directory: the backend
// would follow anything, so containment here is the marshalling layer's alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "base/path_walk.h"
#include "engine/wasi/path_resolver.h"
#include "engine/wasi/wasi_context.h"
#include "hosted/wasi/posix_system.h"

using namespace wk;
using namespace wk::engine::wasi;
namespace fs = std::filesystem;

namespace {

class PosixGuest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/wasi_path_test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        root = pattern;
        fs::create_directories(root / "sandbox" / "sub" / "deep");
        std::ofstream(root / "secret.txt") << "outside";
        std::ofstream(root / "sandbox" / "inside.txt") << "inside";
        std::ofstream(root / "sandbox" / "sub" / "deep" / "leaf.txt") << "leaf";
        fs::create_symlink("../secret.txt", root / "sandbox" / "up_link");
        fs::create_symlink("/etc/passwd", root / "sandbox" / "abs_link");
        fs::create_symlink("sub/../inside.txt", root / "sandbox" / "good_link");
        fs::create_symlink("sub", root / "sandbox" / "dir_link");
        fs::create_symlink("loop_b", root / "sandbox" / "loop_a");
        fs::create_symlink("loop_a", root / "sandbox" / "loop_b");
        fs::create_symlink("../../..", root / "sandbox" / "sub" / "deep" / "far_up");
        fs::create_symlink("..", root / "sandbox" / "sub" / "parent");

        vm.base = bytes.data();
        vm.bound_bytes = bytes.size();
        context.bind_memory(&vm);
        auto dir = hosted::PosixWasiSystem::open_directory((root / "sandbox").c_str());
        ASSERT_TRUE(dir.has_value());
        ASSERT_EQ(*context.add_preopen(*dir, "/sandbox"), 3u);
    }
    void TearDown() override { fs::remove_all(root); }

    // Places the path at 1000 and returns its length.
    u32 path(std::string_view text)
    {
        std::memcpy(bytes.data() + 1000, text.data(), text.size());
        return static_cast<u32>(text.size());
    }
    Errno open(std::string_view text, u32 lookup = lookupflags::kSymlinkFollow, u32 open_flags = 0,
               u64 rights = rights::kFdRead | rights::kFdReaddir)
    {
        return context.path_open(3, lookup, 1000, path(text), open_flags, rights, rights::kAll, 0, 2000);
    }
    Errno stat(std::string_view text, u32 lookup = lookupflags::kSymlinkFollow)
    {
        return context.path_filestat_get(3, lookup, 1000, path(text), 3000);
    }
    std::string read_fd(u32 fd)
    {
        u32 iov[2] = { 4000, 100 };
        std::memcpy(bytes.data() + 3500, iov, 8);
        if (context.fd_read(fd, 3500, 1, 3600) != Errno::Success)
            return "<error>";
        u32 count;
        std::memcpy(&count, bytes.data() + 3600, 4);
        return std::string(reinterpret_cast<const char*>(bytes.data() + 4000), count);
    }
    // path_symlink(target, 3, name).
    Errno make_link(std::string_view target, std::string_view name)
    {
        std::memcpy(bytes.data() + 6000, target.data(), target.size());
        return context.path_symlink(6000, static_cast<u32>(target.size()), 3, 1000, path(name));
    }
    u32 opened_fd() const
    {
        u32 fd;
        std::memcpy(&fd, bytes.data() + 2000, 4);
        return fd;
    }

    fs::path root;
    std::vector<u8> bytes = std::vector<u8>(65536);
    engine::runtime::VMMemory vm;
    hosted::PosixWasiSystem system;
    WasiContext context { system };
};

} // namespace

TEST_F(PosixGuest, OpensFilesInside)
{
    ASSERT_EQ(open("inside.txt"), Errno::Success);
    EXPECT_EQ(read_fd(opened_fd()), "inside");
    ASSERT_EQ(open("sub/deep/../../sub/deep/leaf.txt"), Errno::Success);
    EXPECT_EQ(read_fd(opened_fd()), "leaf");
    ASSERT_EQ(open("./sub//deep/./leaf.txt"), Errno::Success);
    EXPECT_EQ(read_fd(opened_fd()), "leaf");
}

TEST_F(PosixGuest, DotDotCannotLeave)
{
    EXPECT_EQ(open(".."), Errno::NotCapable);
    EXPECT_EQ(open("../secret.txt"), Errno::NotCapable);
    EXPECT_EQ(open("sub/../../secret.txt"), Errno::NotCapable);
    EXPECT_EQ(open("sub/deep/../../../sandbox/inside.txt"), Errno::NotCapable);
    EXPECT_EQ(stat("../secret.txt"), Errno::NotCapable);
    EXPECT_EQ(context.path_create_directory(3, 1000, path("../escaped")), Errno::NotCapable);
    EXPECT_FALSE(fs::exists(root / "escaped"));
    EXPECT_EQ(context.path_unlink_file(3, 1000, path("../secret.txt")), Errno::NotCapable);
    EXPECT_TRUE(fs::exists(root / "secret.txt"));
}

TEST_F(PosixGuest, AbsolutePathsAreRefused)
{
    EXPECT_EQ(open("/etc/passwd"), Errno::NotCapable);
    EXPECT_EQ(open("/sandbox/inside.txt"), Errno::NotCapable);
    EXPECT_EQ(open(""), Errno::NoEnt);
}

TEST_F(PosixGuest, SymlinksPointingOutAreRefused)
{
    EXPECT_EQ(open("up_link"), Errno::NotCapable);
    EXPECT_EQ(open("abs_link"), Errno::NotCapable);
    EXPECT_EQ(open("sub/deep/far_up/etc/passwd"), Errno::NotCapable);
    EXPECT_EQ(stat("up_link"), Errno::NotCapable);
    EXPECT_EQ(open("sub/parent/../secret.txt"), Errno::NotCapable);
    // Without symlink_follow, the last component is the link itself: opening it fails
    // (O_NOFOLLOW), stat describes the link.
    EXPECT_EQ(open("up_link", 0), Errno::Loop);
    ASSERT_EQ(stat("up_link", 0), Errno::Success);
    EXPECT_EQ(bytes[3000 + 16], static_cast<u8>(Filetype::SymbolicLink));
    // An intermediate symlink is always followed, and contained.
    EXPECT_EQ(open("up_link/x", 0), Errno::NotCapable);
}

// The limits are the kernel file system's (base/path_walk.h): a chain of exactly
// kMaxSymlinkExpansions links resolves, one more is Loop; a path of kMaxPathLength bytes is
// NameTooLong, one byte shorter is looked up.
TEST_F(PosixGuest, SymlinkChainAndPathLimitsAreTheKernels)
{
    for (u32 i = 0; i < kMaxSymlinkExpansions; ++i)
        fs::create_symlink(i == 0 ? std::string("inside.txt") : "chain" + std::to_string(i - 1),
                           root / "sandbox" / ("chain" + std::to_string(i)));
    ASSERT_EQ(open("chain" + std::to_string(kMaxSymlinkExpansions - 1)), Errno::Success);
    EXPECT_EQ(read_fd(opened_fd()), "inside");
    fs::create_symlink("chain" + std::to_string(kMaxSymlinkExpansions - 1), root / "sandbox" / "chain_over");
    EXPECT_EQ(open("chain_over"), Errno::Loop);

    std::string longest = "./";
    while (longest.size() + std::string("inside.txt").size() < kMaxPathLength)
        longest += "/";
    EXPECT_EQ(open(longest + "inside.txt"), Errno::NameTooLong);
    longest.resize(kMaxPathLength - 1 - std::string("inside.txt").size());
    EXPECT_EQ(open(longest + "inside.txt"), Errno::Success);
}

TEST_F(PosixGuest, SymlinksInsideWork)
{
    ASSERT_EQ(open("good_link"), Errno::Success);
    EXPECT_EQ(read_fd(opened_fd()), "inside");
    ASSERT_EQ(open("dir_link/deep/leaf.txt", 0), Errno::Success);
    EXPECT_EQ(read_fd(opened_fd()), "leaf");
    ASSERT_EQ(open("sub/parent/inside.txt"), Errno::Success);
    EXPECT_EQ(read_fd(opened_fd()), "inside");
    EXPECT_EQ(open("loop_a"), Errno::Loop);
    // readlink reports the text, truncated to the buffer.
    ASSERT_EQ(context.path_readlink(3, 1000, path("up_link"), 5000, 5, 5100), Errno::Success);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes.data() + 5000), 5), "../se");
}

TEST_F(PosixGuest, SymlinksThatWouldEscapeAreNotCreated)
{
    EXPECT_EQ(make_link("../../../../etc", "made_link"), Errno::NotCapable);
    EXPECT_EQ(make_link("/etc", "made_link"), Errno::NotCapable);
    EXPECT_EQ(make_link("sub/../../x", "made_link"), Errno::NotCapable);
    EXPECT_FALSE(fs::is_symlink(root / "sandbox" / "made_link"));
    // Guest links only descend: even up-and-back-inside ("..") is refused, since what it
    // names depends on where the link sits.
    EXPECT_EQ(make_link("../inside.txt", "sub/made_link"), Errno::NotCapable);
    EXPECT_EQ(make_link("deep/..", "sub/made_link"), Errno::NotCapable);
    EXPECT_FALSE(fs::is_symlink(root / "sandbox" / "sub" / "made_link"));
    ASSERT_EQ(make_link("./deep//leaf.txt", "sub/made_link"), Errno::Success);
    ASSERT_EQ(open("sub/made_link"), Errno::Success);
    EXPECT_EQ(read_fd(opened_fd()), "leaf");
    // A link that a rename by the host turns into an escape is still contained.
    fs::create_symlink("../../secret.txt", root / "sandbox" / "sub" / "deep" / "moved");
    fs::rename(root / "sandbox" / "sub" / "deep" / "moved", root / "sandbox" / "moved");
    EXPECT_EQ(open("moved"), Errno::NotCapable);
}

// Each way around the old rule (a link's text read lexically from where it is made),
// tried as the guest would; afterwards every link in the sandbox, followed by the host
// as any tool would (weakly_canonical), still lands inside it.
TEST_F(PosixGuest, GuestSymlinksStayInsideWhenChainedRenamedOrLinked)
{
    // Chaining: "sub/s" -> ".." was inside from sub; "t" -> "sub/s/.." then climbed
    // out through it.
    EXPECT_EQ(make_link("..", "sub/s"), Errno::NotCapable);
    EXPECT_EQ(make_link("sub/s/..", "t"), Errno::NotCapable);
    EXPECT_EQ(make_link("dir_link/parent/..", "t"), Errno::NotCapable);
    // A descending chain is fine and stays fine.
    ASSERT_EQ(make_link("deep", "sub/s"), Errno::Success);
    ASSERT_EQ(make_link("sub/s/leaf.txt", "t"), Errno::Success);
    ASSERT_EQ(open("t"), Errno::Success);
    EXPECT_EQ(read_fd(opened_fd()), "leaf");
    // Renaming or hard-linking a link into a shallower directory: "../../inside.txt" was
    // inside from sub/deep and outside from the top.
    EXPECT_EQ(make_link("../../inside.txt", "sub/deep/l"), Errno::NotCapable);
    fs::create_symlink("../../inside.txt", root / "sandbox" / "sub" / "deep" / "host_link");
    std::memcpy(bytes.data() + 7000, "host_link", 9);
    EXPECT_EQ(context.path_rename(3, 1000, path("sub/deep/host_link"), 3, 7000, 9), Errno::NotCapable);
    EXPECT_EQ(context.path_link(3, 0, 1000, path("sub/deep/host_link"), 3, 7000, 9), Errno::NotCapable);
    EXPECT_FALSE(fs::is_symlink(root / "sandbox" / "host_link"));
    // A guest link moves and links freely: it descends wherever it is.
    std::memcpy(bytes.data() + 7000, "sub/deep/t2", 11);
    ASSERT_EQ(context.path_rename(3, 1000, path("t"), 3, 7000, 11), Errno::Success);
    std::memcpy(bytes.data() + 7000, "sub/t3", 6);
    ASSERT_EQ(context.path_link(3, 0, 1000, path("sub/s"), 3, 7000, 6), Errno::Success);
    ASSERT_EQ(open("sub/t3/leaf.txt"), Errno::Success);
    EXPECT_EQ(read_fd(opened_fd()), "leaf");

    // The host's own links up (far_up, parent, up_link, abs_link, host_link) are the
    // host's business; every link the guest made must resolve inside.
    fs::path sandbox = fs::canonical(root / "sandbox");
    for (const char* name : { "sub/s", "sub/t3", "sub/deep/t2", "sub/made_link" }) {
        fs::path link = root / "sandbox" / name;
        if (!fs::is_symlink(link))
            continue;
        std::string resolved = fs::weakly_canonical(link).string();
        EXPECT_TRUE(resolved.starts_with(sandbox.string() + "/")) << name << " -> " << resolved;
    }
}

TEST_F(PosixGuest, OpenedDirectoryIsItsOwnCapability)
{
    ASSERT_EQ(open("sub", 0, oflags::kDirectory, rights::kDirectory), Errno::Success);
    u32 sub = opened_fd();
    // `..` from an opened directory may not climb above it, even into the preopen.
    u32 length = path("../inside.txt");
    EXPECT_EQ(context.path_open(sub, 0, 1000, length, 0, rights::kFdRead, 0, 0, 2000), Errno::NotCapable);
    length = path("deep/leaf.txt");
    ASSERT_EQ(context.path_open(sub, 0, 1000, length, 0, rights::kFdRead, 0, 0, 2000), Errno::Success);
    EXPECT_EQ(read_fd(opened_fd()), "leaf");
}

// Property: whatever symlinks and paths are made of "..", ".", "/" and names, a resolution
// (the one contained walk of the system: the kernel's WASI uses it too) either fails or ends
// in a directory at or below the one it started in, with a last name that cannot climb.
TEST(ResolvedPathProperty, NeverEscapesRandomSymlinks)
{
    char pattern[] = "/tmp/wasi_path_property.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    fs::path root = fs::canonical(pattern);
    std::string jail_path = (root / "jail").string();
    std::mt19937 random(31337);
    const char* parts[] = { "..", ".", "a", "b", "l1", "l2", "l3", "out", "" };
    auto random_path = [&] {
        std::string path = random() % 6 == 0 ? "/" : "";
        int count = 1 + random() % 5;
        for (int i = 0; i < count; ++i) {
            if (i > 0)
                path += random() % 5 == 0 ? "//" : "/";
            path += parts[random() % std::size(parts)];
        }
        return path;
    };
    hosted::PosixWasiSystem system;
    int resolved = 0;
    int refused = 0;
    for (int round = 0; round < 200; ++round) {
        fs::remove_all(root / "jail");
        fs::create_directories(root / "jail" / "a" / "b");
        fs::create_directories(root / "out");
        std::ofstream(root / "out" / "secret") << "s";
        for (const char* link : { "jail/l1", "jail/a/l2", "jail/a/b/l3" }) {
            std::string target = random_path();
            fs::create_symlink(target.empty() ? "." : target, root / link);
        }
        auto jail = hosted::PosixWasiSystem::open_directory(jail_path.c_str());
        ASSERT_TRUE(jail.has_value());
        for (int probe = 0; probe < 50; ++probe) {
            std::string path = random_path();
            if (path.empty())
                continue;
            ResolvedPath resolution(system);
            auto result = resolution.resolve(*jail, StringView(path.data(), path.size()), random() % 2 == 0);
            if (!result) {
                refused += result.error() == Errno::NotCapable;
                continue;
            }
            ++resolved;
            EXPECT_NE(resolution.name(), "..") << path;
            std::string fd_link = "/proc/self/fd/" + std::to_string(resolution.directory());
            std::string directory = fs::read_symlink(fd_link).string();
            EXPECT_TRUE(directory == jail_path || directory.starts_with(jail_path + "/")) << path << " escaped to " << directory;
        }
        ASSERT_TRUE(system.close(*jail).has_value());
    }
    // Both outcomes are common: the walk is really tried on ways out, not only on ways in.
    EXPECT_GT(resolved, 1000);
    EXPECT_GT(refused, 1000);
    fs::remove_all(root);
}

TEST_F(PosixGuest, NulInPathIsRefused)
{
    std::memcpy(bytes.data() + 1000, "inside.txt\0../x", 15);
    EXPECT_EQ(context.path_open(3, 0, 1000, 15, 0, rights::kFdRead, 0, 0, 2000), Errno::IlSeq);
}

TEST_F(PosixGuest, DirectoryOperationsHaveTheirEffects)
{
    ASSERT_EQ(context.path_create_directory(3, 1000, path("made")), Errno::Success);
    EXPECT_TRUE(fs::is_directory(root / "sandbox" / "made"));
    EXPECT_EQ(context.path_create_directory(3, 1000, path("made")), Errno::Exist);
    ASSERT_EQ(open("made/new.txt", 0, oflags::kCreat | oflags::kExcl, rights::kFdWrite), Errno::Success);
    EXPECT_EQ(open("made/new.txt", 0, oflags::kCreat | oflags::kExcl, rights::kFdWrite), Errno::Exist);
    EXPECT_TRUE(fs::is_regular_file(root / "sandbox" / "made" / "new.txt"));
    EXPECT_EQ(context.path_remove_directory(3, 1000, path("made")), Errno::NotEmpty);
    std::memcpy(bytes.data() + 7000, "made/renamed.txt", 16);
    ASSERT_EQ(context.path_rename(3, 1000, path("made/new.txt"), 3, 7000, 16), Errno::Success);
    EXPECT_TRUE(fs::exists(root / "sandbox" / "made" / "renamed.txt"));
    ASSERT_EQ(context.path_unlink_file(3, 1000, path("made/renamed.txt")), Errno::Success);
    EXPECT_EQ(context.path_unlink_file(3, 1000, path("made")), Errno::IsDir);
    ASSERT_EQ(context.path_remove_directory(3, 1000, path("made")), Errno::Success);
    EXPECT_FALSE(fs::exists(root / "sandbox" / "made"));
    // Renaming onto a name outside: refused before anything moves.
    std::memcpy(bytes.data() + 7000, "../stolen.txt", 13);
    EXPECT_EQ(context.path_rename(3, 1000, path("inside.txt"), 3, 7000, 13), Errno::NotCapable);
    EXPECT_TRUE(fs::exists(root / "sandbox" / "inside.txt"));
}

TEST_F(PosixGuest, ReaddirListsTheDirectory)
{
    ASSERT_EQ(open("sub/deep", 0, oflags::kDirectory), Errno::Success);
    u32 fd = opened_fd();
    ASSERT_EQ(context.fd_readdir(fd, 8000, 4096, 0, 7900), Errno::Success);
    u32 used;
    std::memcpy(&used, bytes.data() + 7900, 4);
    std::vector<std::string> names;
    for (u32 at = 0; at + 24 <= used;) {
        u32 length;
        std::memcpy(&length, bytes.data() + 8000 + at + 16, 4);
        names.emplace_back(reinterpret_cast<const char*>(bytes.data() + 8000 + at + 24), length);
        at += 24 + length;
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string> { ".", "..", "far_up", "leaf.txt" }));
}

TEST_F(PosixGuest, FileDescriptorOperationsOnTheBackend)
{
    ASSERT_EQ(open("data.bin", 0, oflags::kCreat | oflags::kTrunc, rights::kFile), Errno::Success);
    u32 fd = opened_fd();
    auto put_iovec = [&](u32 at, u32 buffer, u32 length) {
        u32 iov[2] = { buffer, length };
        std::memcpy(bytes.data() + at, iov, 8);
    };
    auto u64_at = [&](u32 at) {
        u64 value;
        std::memcpy(&value, bytes.data() + at, 8);
        return value;
    };
    std::memcpy(bytes.data() + 4000, "0123456789", 10);
    put_iovec(3500, 4000, 10);
    ASSERT_EQ(context.fd_write(fd, 3500, 1, 3600), Errno::Success);
    ASSERT_EQ(context.fd_tell(fd, 3700), Errno::Success);
    EXPECT_EQ(u64_at(3700), 10u);
    ASSERT_EQ(context.fd_seek(fd, static_cast<u64>(-4), static_cast<u32>(Whence::End), 3700), Errno::Success);
    EXPECT_EQ(u64_at(3700), 6u);
    EXPECT_EQ(read_fd(fd), "6789");
    EXPECT_EQ(context.fd_seek(fd, static_cast<u64>(-100), static_cast<u32>(Whence::Cur), 3700), Errno::Inval);
    // pwrite/pread at an offset leave the position alone.
    std::memcpy(bytes.data() + 4000, "AB", 2);
    put_iovec(3500, 4000, 2);
    ASSERT_EQ(context.fd_pwrite(fd, 3500, 1, 3, 3600), Errno::Success);
    put_iovec(3500, 4100, 5);
    ASSERT_EQ(context.fd_pread(fd, 3500, 1, 1, 3600), Errno::Success);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes.data() + 4100), 5), "12AB5");
    ASSERT_EQ(context.fd_tell(fd, 3700), Errno::Success);
    EXPECT_EQ(u64_at(3700), 10u);
    // Size, times, allocation, advice, sync.
    ASSERT_EQ(context.fd_filestat_set_size(fd, 4), Errno::Success);
    ASSERT_EQ(context.fd_filestat_get(fd, 3000), Errno::Success);
    EXPECT_EQ(bytes[3000 + 16], static_cast<u8>(Filetype::RegularFile));
    EXPECT_EQ(u64_at(3000 + 32), 4u);
    ASSERT_EQ(context.fd_filestat_set_times(fd, 1'000'000'000ull * 1000, 1'000'000'000ull * 2000,
                                            fstflags::kAtim | fstflags::kMtim),
              Errno::Success);
    ASSERT_EQ(context.path_filestat_get(3, 0, 1000, path("data.bin"), 3000), Errno::Success);
    EXPECT_EQ(u64_at(3000 + 48), 1'000'000'000ull * 2000);
    EXPECT_EQ(u64_at(3000 + 40), 1'000'000'000ull * 1000);
    ASSERT_EQ(context.fd_allocate(fd, 0, 8192), Errno::Success);
    ASSERT_EQ(context.fd_filestat_get(fd, 3000), Errno::Success);
    EXPECT_EQ(u64_at(3000 + 32), 8192u);
    EXPECT_EQ(context.fd_advise(fd, 0, 100, static_cast<u32>(Advice::Sequential)), Errno::Success);
    EXPECT_EQ(context.fd_sync(fd), Errno::Success);
    EXPECT_EQ(context.fd_datasync(fd), Errno::Success);
    // Append mode through fdstat flags.
    ASSERT_EQ(context.fd_fdstat_set_flags(fd, fdflags::kAppend), Errno::Success);
    ASSERT_EQ(context.fd_fdstat_get(fd, 3000), Errno::Success);
    u16 flags;
    std::memcpy(&flags, bytes.data() + 3002, 2);
    EXPECT_EQ(flags, fdflags::kAppend);
    EXPECT_EQ(context.fd_fdstat_set_flags(fd, fdflags::kSync), Errno::NotSup);
    ASSERT_EQ(context.fd_close(fd), Errno::Success);
    EXPECT_EQ(fs::file_size(root / "sandbox" / "data.bin"), 8192u);
}

TEST_F(PosixGuest, PollWaitsForAClock)
{
    std::memset(bytes.data(), 0, 48);
    bytes[8] = 0;
    u32 clock = 1;
    std::memcpy(bytes.data() + 16, &clock, 4);
    u64 timeout = 20'000'000;
    std::memcpy(bytes.data() + 24, &timeout, 8);
    auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(context.poll_oneoff(0, 100, 1, 200), Errno::Success);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
    u32 events;
    std::memcpy(&events, bytes.data() + 200, 4);
    EXPECT_EQ(events, 1u);
}

// Reading a large directory with a small buffer, cookie after cookie as wasi-libc
// does: every entry exactly once, and one readdir(3) per entry (plus one per call), not
// a re-read from the start each time (quadratic: 1 M entries took ~20 minutes).
TEST_F(PosixGuest, ReaddirWithCookiesIsLinear)
{
    constexpr int kFiles = 3000;
    fs::create_directory(root / "sandbox" / "many");
    for (int i = 0; i < kFiles; ++i)
        std::ofstream(root / "sandbox" / "many" / ("file" + std::to_string(i)));
    ASSERT_EQ(open("many", 0, oflags::kDirectory), Errno::Success);
    u32 fd = opened_fd();
    u64 before = system.directory_entries_read();
    std::vector<std::string> names;
    u64 cookie = 0;
    u32 calls = 0;
    constexpr u32 kBuffer = 200; // a handful of entries, the last one usually cut off
    for (;;) {
        ++calls;
        ASSERT_EQ(context.fd_readdir(fd, 8000, kBuffer, cookie, 7900), Errno::Success);
        u32 used;
        std::memcpy(&used, bytes.data() + 7900, 4);
        u32 at = 0;
        while (at + 24 <= used) {
            u64 next;
            u32 length;
            std::memcpy(&next, bytes.data() + 8000 + at, 8);
            std::memcpy(&length, bytes.data() + 8000 + at + 16, 4);
            if (at + 24 + length > used)
                break;
            names.emplace_back(reinterpret_cast<const char*>(bytes.data() + 8000 + at + 24), length);
            cookie = next;
            at += 24 + length;
        }
        if (used < kBuffer)
            break;
        ASSERT_LT(calls, 10u * kFiles) << "no progress";
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names.size(), kFiles + 2u);
    EXPECT_EQ(std::unique(names.begin(), names.end()), names.end());
    EXPECT_LE(system.directory_entries_read() - before, u64 { kFiles } + 2 + 2 * calls);
    // Cookie 0 starts over; an earlier cookie goes back.
    ASSERT_EQ(context.fd_readdir(fd, 8000, kBuffer, 0, 7900), Errno::Success);
    u64 first_next;
    std::memcpy(&first_next, bytes.data() + 8000, 8);
    EXPECT_EQ(first_next, 1u);
    ASSERT_EQ(context.fd_readdir(fd, 8000, kBuffer, 5, 7900), Errno::Success);
    std::memcpy(&first_next, bytes.data() + 8000, 8);
    EXPECT_EQ(first_next, 6u);
}

// A clock timeout near 2^64 ns must not wrap into "now": with a pipe that becomes
// readable later, the event is the read, not the clock.
TEST_F(PosixGuest, PollWithAHugeTimeoutWaitsForTheDescriptor)
{
    int ends[2];
    ASSERT_EQ(::pipe(ends), 0);
    ASSERT_TRUE(context.set_stdio_stream(0, ends[0], Filetype::Unknown).has_value());
    std::memset(bytes.data(), 0, 96);
    u32 clock = 1;
    std::memcpy(bytes.data() + 16, &clock, 4);
    u64 timeout = ~u64 { 0 } - 1;
    std::memcpy(bytes.data() + 24, &timeout, 8);
    bytes[48 + 8] = static_cast<u8>(EventType::FdRead);
    u32 stdin_fd = 0;
    std::memcpy(bytes.data() + 48 + 16, &stdin_fd, 4);
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        EXPECT_EQ(::write(ends[1], "x", 1), 1);
    });
    ASSERT_EQ(context.poll_oneoff(0, 200, 2, 400), Errno::Success);
    writer.join();
    ::close(ends[1]);
    u32 events;
    std::memcpy(&events, bytes.data() + 400, 4);
    ASSERT_EQ(events, 1u);
    EXPECT_EQ(bytes[200 + 10], static_cast<u8>(EventType::FdRead));
}
