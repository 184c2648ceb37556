// The write order of ext2 writes against a machine cut off at any moment: every request the
// volume writes during a scenario is logged, and for each prefix of that log (the disk as it
// is when the machine stops after that request) the image is rebuilt from the state before
// the scenario. The host's `e2fsck -fp` must repair it without asking (status 0 or 1), `e2fsck
// -fn` must then find it clean, and what the scenario promises must hold (a renamed-over file
// is the old or the new one, never neither; an unlinked file is gone or intact). Small
// caches force write-backs in the middle of operations. Skipped without e2fsprogs.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel/fs/ext2.h"
#include "tests/unit/fs/ext2_host.h"

namespace wk::kernel::fs::test {
namespace {

using namespace ext2;

std::string text_of(char letter, usize size, u32 seed)
{
    std::string text(size, letter);
    for (usize i = 0; i < size; i += 97)
        text[i] = static_cast<char>('a' + (i / 97 + seed) % 26);
    return text;
}

ReadonlyBytes bytes_of(const std::string& text) { return ReadonlyBytes(reinterpret_cast<const u8*>(text.data()), text.size()); }

u32 test_clock() { return 1700000000; }

std::vector<u8> read_file(const std::string& path)
{
    std::vector<u8> bytes;
    FILE* file = std::fopen(path.c_str(), "rb");
    if (!file)
        return bytes;
    u8 buffer[65536];
    usize got;
    while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0)
        bytes.insert(bytes.end(), buffer, buffer + got);
    std::fclose(file);
    return bytes;
}

// A file-backed disk that logs each request it writes while `logging` is set. The volume
// waits for each request before the next, so the order of the log is the order on the disk.
class LoggingDisk final : public drivers::BlockDevice {
public:
    struct Write {
        u64 offset;
        std::vector<u8> bytes;
    };
    explicit LoggingDisk(const std::string& path)
        : m_disk(path)
    {
    }
    std::string_view name() const override { return "logging"; }
    u64 sector_count() const override { return m_disk.sector_count(); }
    bool is_read_only() const override { return false; }
    Result<void> read_blocks(u64 first, std::span<u8> buffer) override { return m_disk.read_blocks(first, buffer); }
    Result<void> write_blocks(u64 first, std::span<const u8> buffer) override
    {
        TRY(m_disk.write_blocks(first, buffer));
        if (logging)
            log.push_back({ first * drivers::kSectorSize, std::vector<u8>(buffer.begin(), buffer.end()) });
        return {};
    }
    Result<void> flush() override { return m_disk.flush(); }

    bool logging { false };
    std::vector<Write> log;

private:
    FileDisk m_disk;
};

class Ext2Crash : public ::testing::TestWithParam<u32> {
protected:
    void SetUp() override
    {
        if (!have_e2fsprogs())
            GTEST_SKIP() << "e2fsprogs (mke2fs, e2fsck, debugfs) not installed";
        char dir[] = "/tmp/ext2-crash-XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        m_dir = dir;
        m_image = m_dir + "/disk.img";
        auto made = run("mke2fs -q -F -t ext2 -b 1024 -N 256 '" + m_image + "' 4M");
        ASSERT_EQ(made.status, 0) << made.output;
        m_disk = std::make_unique<LoggingDisk>(m_image);
        auto volume = Volume::mount(*m_disk, GetParam());
        ASSERT_TRUE(volume.has_value()) << volume.error().message();
        m_volume = std::make_unique<Volume>(std::move(*volume));
        m_volume->set_clock(test_clock);
    }
    void TearDown() override
    {
        m_volume.reset();
        m_disk.reset();
        if (!m_dir.empty())
            run("rm -rf '" + m_dir + "'");
    }
    Volume& volume() { return *m_volume; }

    // The set-up is on the disk; from here on every block written is logged.
    void begin()
    {
        ASSERT_TRUE(volume().flush().has_value()) << volume().last_error().message();
        m_base = read_file(m_image);
        ASSERT_FALSE(m_base.empty());
        m_disk->log.clear();
        m_disk->logging = true;
    }
    void end()
    {
        ASSERT_TRUE(volume().flush().has_value()) << volume().last_error().message();
        m_disk->logging = false;
        ASSERT_FALSE(m_disk->log.empty());
    }
    // For the disk cut off after each logged write: repairs a copy and calls check(crash).
    template<typename Check>
    void crash_everywhere(Check check)
    {
        std::string crash = m_dir + "/crash.img";
        for (usize cut = 0; cut <= m_disk->log.size(); ++cut) {
            std::vector<u8> image = m_base;
            for (usize i = 0; i < cut; ++i) {
                auto& write = m_disk->log[i];
                ASSERT_LE(write.offset + write.bytes.size(), image.size());
                std::memcpy(image.data() + write.offset, write.bytes.data(), write.bytes.size());
            }
            FILE* file = std::fopen(crash.c_str(), "wb");
            ASSERT_NE(file, nullptr);
            ASSERT_EQ(std::fwrite(image.data(), 1, image.size(), file), image.size());
            std::fclose(file);
            auto repair = run("e2fsck -fp '" + crash + "'");
            ASSERT_LE(repair.status, 1) << "cut after " << cut << " of " << m_disk->log.size() << " writes:\n" << repair.output;
            auto clean = run("e2fsck -fn '" + crash + "'");
            ASSERT_EQ(clean.status, 0) << "cut after " << cut << " writes, after the repair:\n" << clean.output;
            check(crash, cut);
        }
    }
    // A file's contents in `image` from the host's debugfs, "<missing>" when there is none.
    std::string host_cat(const std::string& image, const std::string& path)
    {
        if (run("debugfs -R 'stat " + path + "' '" + image + "' 2>&1 | grep -q 'Inode:'").status != 0)
            return "<missing>";
        std::string out = m_dir + "/out";
        run("debugfs -R 'dump " + path + " " + out + "' '" + image + "'");
        auto bytes = read_file(out);
        ::unlink(out.c_str());
        return std::string(bytes.begin(), bytes.end());
    }
    u32 make_file(u32 directory, const char* name, const std::string& contents)
    {
        auto file = volume().create_file(directory, name, 0644);
        EXPECT_TRUE(file.has_value()) << name << ": " << volume().last_error().message();
        if (!file)
            return 0;
        auto wrote = volume().write(*file, 0, bytes_of(contents));
        EXPECT_TRUE(wrote.has_value() && *wrote == contents.size()) << volume().last_error().message();
        return file->number;
    }
    u32 lookup(u32 directory, const char* name)
    {
        auto inode = volume().read_inode(directory);
        EXPECT_TRUE(inode.has_value());
        auto found = inode ? volume().lookup(*inode, name) : ErrnoResult<u32>(Errno::Io);
        EXPECT_TRUE(found.has_value()) << name;
        return found ? *found : 0;
    }
    u32 make_directory(u32 parent, const char* name)
    {
        auto made = volume().create_directory(parent, name, 0755);
        EXPECT_TRUE(made.has_value()) << name << ": " << volume().last_error().message();
        return made ? made->number : 0;
    }

    std::string m_dir;
    std::string m_image;
    std::vector<u8> m_base;
    std::unique_ptr<LoggingDisk> m_disk;
    std::unique_ptr<Volume> m_volume;
};

// dbtest's commit: append to a log, write index.new, rename it over index; twice.
TEST_P(Ext2Crash, RenameOverIsTheOldOrTheNewFile)
{
    u32 db = make_directory(kRootInode, "db");
    make_file(db, "log", text_of('L', 3000, 1));
    std::string first = "count=1 bytes=3000\n";
    make_file(db, "index", first);
    begin();
    std::vector<std::string> versions { first };
    for (u32 round = 2; round <= 3; ++round) {
        auto log = volume().read_inode(lookup(db, "log"));
        ASSERT_TRUE(log.has_value());
        ASSERT_TRUE(volume().write(*log, log->size, bytes_of(text_of('M', 700, round))).has_value());
        versions.push_back("count=" + std::to_string(round) + " bytes=" + std::to_string(log->size) + "\n");
        make_file(db, "index.new", versions.back());
        ASSERT_TRUE(volume().rename(db, "index.new", db, "index").has_value()) << volume().last_error().message();
    }
    end();
    crash_everywhere([&](const std::string& crash, usize cut) {
        auto index = host_cat(crash, "/db/index");
        EXPECT_TRUE(index == versions[0] || index == versions[1] || index == versions[2]) << "cut " << cut << ": index is '" << index << "'";
        EXPECT_NE(host_cat(crash, "/db/log"), "<missing>") << "cut " << cut;
    });
}

// An unlinked file is intact or gone, however its blocks were handed out again after.
TEST_P(Ext2Crash, UnlinkedFileIsIntactOrGone)
{
    std::string a = text_of('A', 14000, 2); // 12 direct blocks and an indirect one
    std::string b = text_of('B', 14000, 3);
    make_file(kRootInode, "a", a);
    make_file(kRootInode, "b", b);
    begin();
    ASSERT_TRUE(volume().unlink(kRootInode, "a").has_value()) << volume().last_error().message();
    make_file(kRootInode, "c", text_of('C', 14000, 4));
    end();
    crash_everywhere([&](const std::string& crash, usize cut) {
        auto got = host_cat(crash, "/a");
        EXPECT_TRUE(got == "<missing>" || got == a) << "cut " << cut << ": /a has " << got.size() << " bytes";
        EXPECT_EQ(host_cat(crash, "/b"), b) << "cut " << cut;
    });
}

// Renames whose names lie in different blocks and directories: the file keeps a name.
TEST_P(Ext2Crash, RenameAcrossBlocksKeepsAName)
{
    u32 from = make_directory(kRootInode, "from");
    u32 to = make_directory(kRootInode, "to");
    // Long names fill several directory blocks, so the moving names sit in later blocks.
    for (u32 i = 0; i < 40; ++i) {
        std::string name = "padding-name-long-enough-to-fill-directory-blocks-quickly-" + std::to_string(i);
        make_file(from, name.c_str(), "");
    }
    std::string moving = text_of('V', 14000, 5);
    std::string old_target = text_of('T', 5000, 6);
    std::string other = text_of('O', 3000, 7);
    make_file(from, "moving", moving);
    make_file(to, "target", old_target);
    make_file(from, "other", other);
    begin();
    ASSERT_TRUE(volume().rename(from, "moving", to, "target").has_value()) << volume().last_error().message();
    ASSERT_TRUE(volume().rename(from, "other", to, "other-moved").has_value()) << volume().last_error().message();
    end();
    crash_everywhere([&](const std::string& crash, usize cut) {
        auto target = host_cat(crash, "/to/target");
        auto source = host_cat(crash, "/from/moving");
        EXPECT_TRUE(target == moving || source == moving) << "cut " << cut << ": the renamed file has no name";
        EXPECT_TRUE(target == moving || target == old_target || target == "<missing>") << "cut " << cut;
        EXPECT_TRUE(host_cat(crash, "/from/other") == other || host_cat(crash, "/to/other-moved") == other) << "cut " << cut;
    });
}

// Blocks freed by a truncation and handed to another file at once never end up in both.
TEST_P(Ext2Crash, TruncatedBlocksAreNotSharedAfterACrash)
{
    make_file(kRootInode, "shrinks", text_of('S', 14000, 8));
    u32 grows = make_file(kRootInode, "grows", "x");
    u32 shrinks = lookup(kRootInode, "shrinks");
    begin();
    auto inode = volume().read_inode(shrinks);
    ASSERT_TRUE(inode.has_value());
    ASSERT_TRUE(volume().set_size(*inode, 0).has_value());
    auto other = volume().read_inode(grows);
    ASSERT_TRUE(other.has_value());
    ASSERT_TRUE(volume().write(*other, 1, bytes_of(text_of('G', 14000, 9))).has_value());
    ASSERT_TRUE(volume().create_directory(kRootInode, "made", 0755).has_value());
    ASSERT_TRUE(volume().remove_directory(kRootInode, "made").has_value());
    end();
    crash_everywhere([](const std::string&, usize) { });
}

INSTANTIATE_TEST_SUITE_P(CacheBlocks, Ext2Crash, ::testing::Values(8u, BlockCache::kDefaultCapacity),
                         [](const ::testing::TestParamInfo<u32>& info) { return "cache" + std::to_string(info.param); });

} // namespace
} // namespace wk::kernel::fs::test
