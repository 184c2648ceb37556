// ext2 writes against images made by the host's mke2fs (e2fsprogs): each test writes through
// ext2::Volume into a file-backed disk, then the host's e2fsck -fn must find the image clean
// and debugfs must show what was written. Skipped when e2fsprogs is not installed.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "kernel/fs/ext2.h"
#include "tests/unit/fs/ext2_host.h"

namespace wk::kernel::fs::test {
namespace {

using namespace ext2;

std::string pattern(usize size, u32 seed)
{
    std::string text(size, '\0');
    u32 state = seed * 2654435761u + 1;
    for (auto& c : text) {
        state = state * 1103515245u + 12345u;
        c = static_cast<char>(state >> 16);
    }
    return text;
}

ReadonlyBytes bytes_of(const std::string& text) { return ReadonlyBytes(reinterpret_cast<const u8*>(text.data()), text.size()); }

u32 g_time = 1700000000;
u32 test_clock() { return g_time; }

class Ext2Write : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!have_e2fsprogs())
            GTEST_SKIP() << "e2fsprogs (mke2fs, e2fsck, debugfs) not installed";
        char dir[] = "/tmp/ext2-write-XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        m_dir = dir;
        m_image = m_dir + "/disk.img";
    }
    void TearDown() override
    {
        m_volume.reset();
        m_disk.reset();
        if (!m_dir.empty())
            run("rm -rf '" + m_dir + "'");
    }
    // mke2fs -t ext2 with `options`, then mounts it.
    void make(const std::string& options, const std::string& size = "16M", u32 cache_blocks = BlockCache::kDefaultCapacity)
    {
        auto made = run("mke2fs -q -F -t ext2 " + options + " '" + m_image + "' " + size);
        ASSERT_EQ(made.status, 0) << made.output;
        mount(cache_blocks);
    }
    void mount(u32 cache_blocks = BlockCache::kDefaultCapacity)
    {
        m_volume.reset();
        m_disk = std::make_unique<FileDisk>(m_image);
        auto volume = Volume::mount(*m_disk, cache_blocks);
        ASSERT_TRUE(volume.has_value()) << volume.error().message();
        m_volume = std::make_unique<Volume>(std::move(*volume));
        m_volume->set_clock(test_clock);
    }
    Volume& volume() { return *m_volume; }
    // Flushes and checks the image from the host: e2fsck -fn must exit 0.
    void expect_clean()
    {
        ASSERT_TRUE(volume().flush().has_value()) << volume().last_error().message();
        auto check = run("e2fsck -fn '" + m_image + "'");
        EXPECT_EQ(check.status, 0) << check.output;
    }
    std::string debugfs(const std::string& request) { return run("debugfs -R '" + request + "' '" + m_image + "' 2>/dev/null").output; }
    std::string host_cat(const std::string& path)
    {
        auto file = m_dir + "/out";
        run("debugfs -R 'dump " + path + " " + file + "' '" + m_image + "'");
        FILE* f = std::fopen(file.c_str(), "rb");
        if (!f)
            return "<missing>";
        std::string text;
        char buffer[65536];
        usize got;
        while ((got = std::fread(buffer, 1, sizeof buffer, f)) > 0)
            text.append(buffer, got);
        std::fclose(f);
        ::unlink(file.c_str());
        return text;
    }
    u32 resolve(std::initializer_list<const char*> path)
    {
        u32 number = kRootInode;
        for (auto* name : path) {
            auto directory = volume().read_inode(number);
            EXPECT_TRUE(directory.has_value());
            auto found = volume().lookup(*directory, name);
            EXPECT_TRUE(found.has_value()) << name << ": " << describe(found.error());
            if (!found)
                return 0;
            number = *found;
        }
        return number;
    }
    std::string read_back(u32 number)
    {
        auto inode = volume().read_inode(number);
        EXPECT_TRUE(inode.has_value());
        std::string text(inode->size, '\0');
        auto got = volume().read(*inode, 0, Bytes(reinterpret_cast<u8*>(text.data()), text.size()));
        EXPECT_TRUE(got.has_value());
        return text;
    }
    void write_new(u32 directory, const char* name, const std::string& contents, u64 offset = 0, u32* number = nullptr)
    {
        auto file = volume().create_file(directory, name, 0644);
        ASSERT_TRUE(file.has_value()) << name << ": " << describe(file.error()) << " " << volume().last_error().message();
        auto wrote = volume().write(*file, offset, bytes_of(contents));
        ASSERT_TRUE(wrote.has_value()) << describe(wrote.error()) << " " << volume().last_error().message();
        ASSERT_EQ(*wrote, contents.size());
        if (number)
            *number = file->number;
    }

    std::string m_dir;
    std::string m_image;
    std::unique_ptr<FileDisk> m_disk;
    std::unique_ptr<Volume> m_volume;
};

class Ext2WriteBlockSize : public Ext2Write, public ::testing::WithParamInterface<u32> { };

TEST_P(Ext2WriteBlockSize, FilesThroughEveryIndirectionLevelAreCleanAndReadable)
{
    u32 block_size = GetParam();
    make("-b " + std::to_string(block_size), "32M");
    ASSERT_TRUE(volume().is_writable()) << volume().last_error().message();
    u64 p = block_size / 4;
    auto dir = volume().create_directory(kRootInode, "a", 0755);
    ASSERT_TRUE(dir.has_value()) << describe(dir.error());
    // Direct, single and double indirect: (12 + p + 20) blocks, an odd tail.
    std::string big = pattern((12 + p + 20) * block_size + 123, 1);
    write_new(dir->number, "big", big);
    // Sparse: one run in the triple indirect range, so only its blocks are allocated.
    u64 triple = (12 + p + p * p) * block_size;
    std::string tail = pattern(3 * block_size + 7, 2);
    u32 sparse = 0;
    write_new(kRootInode, "sparse", tail, triple + 1000, &sparse);
    std::string small = "hello, ext2\n";
    write_new(dir->number, "small", small);
    expect_clean();

    EXPECT_EQ(host_cat("/a/big"), big);
    EXPECT_EQ(host_cat("/a/small"), small);
    EXPECT_NE(debugfs("stat /sparse").find("Size: " + std::to_string(triple + 1000 + tail.size())), std::string::npos) << debugfs("stat /sparse");
    auto sparse_inode = volume().read_inode(sparse);
    ASSERT_TRUE(sparse_inode.has_value());
    // 4 data blocks (the run straddles a block edge) and 3 indirect ones (1 KiB: 5).
    EXPECT_LE(sparse_inode->sectors, 8u * (block_size / 512));
    std::string got(tail.size(), '\0');
    ASSERT_EQ(*volume().read(*sparse_inode, triple + 1000, Bytes(reinterpret_cast<u8*>(got.data()), got.size())), tail.size());
    EXPECT_EQ(got, tail);
    std::string hole(100, 'x');
    ASSERT_EQ(*volume().read(*sparse_inode, triple - 100, Bytes(reinterpret_cast<u8*>(hole.data()), hole.size())), 100u);
    EXPECT_EQ(hole, std::string(100, '\0'));
    if (triple + 1000 + tail.size() >= (1ull << 31))
        EXPECT_NE(volume().superblock().feature_ro_compat & kRoCompatLargeFile, 0u);

    // A new mount reads it all back.
    mount();
    EXPECT_EQ(read_back(resolve({ "a", "big" })), big);
    EXPECT_EQ(read_back(resolve({ "a", "small" })), small);
}

TEST_P(Ext2WriteBlockSize, TruncationFreesEveryBlockAndKeepsTheRest)
{
    u32 block_size = GetParam();
    make("-b " + std::to_string(block_size), "32M");
    u32 free_before = volume().superblock().free_blocks;
    u64 p = block_size / 4;
    std::string big = pattern((12 + p + 2 * p + 5) * block_size, 3);
    u32 number = 0;
    write_new(kRootInode, "f", big, 0, &number);
    auto inode = *volume().read_inode(number);
    // Into the middle of the double indirect range, at an odd byte.
    u64 cut = (12 + p + p + 3) * block_size + 17;
    ASSERT_TRUE(volume().set_size(inode, cut).has_value()) << volume().last_error().message();
    expect_clean();
    EXPECT_EQ(host_cat("/f"), big.substr(0, cut));
    // Growing again reads zeros past the old cut, not the old bytes.
    ASSERT_TRUE(volume().set_size(inode, cut + 100).has_value());
    std::string grown(100, 'x');
    ASSERT_EQ(*volume().read(inode, cut, Bytes(reinterpret_cast<u8*>(grown.data()), grown.size())), 100u);
    EXPECT_EQ(grown, std::string(100, '\0'));
    // Into the direct range, then to nothing: every block comes back.
    ASSERT_TRUE(volume().set_size(inode, 5 * block_size + 1).has_value());
    expect_clean();
    EXPECT_EQ(host_cat("/f"), big.substr(0, 5 * block_size + 1));
    ASSERT_TRUE(volume().set_size(inode, 0).has_value());
    EXPECT_EQ(inode.sectors, 0u);
    ASSERT_TRUE(volume().unlink(kRootInode, "f").has_value());
    expect_clean();
    EXPECT_EQ(volume().superblock().free_blocks, free_before);
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, Ext2WriteBlockSize, ::testing::Values(1024u, 4096u));

TEST_F(Ext2Write, NamesLinksSymlinksRenamesAndRemovals)
{
    make("-b 1024");
    auto d1 = *volume().create_directory(kRootInode, "d1", 0755);
    auto d2 = *volume().create_directory(kRootInode, "d2", 0700);
    u32 file = 0;
    write_new(d1.number, "file", "contents\n", 0, &file);
    ASSERT_TRUE(volume().link(file, d2.number, "hard").has_value());
    EXPECT_EQ(volume().create_file(d1.number, "file", 0644).error(), Errno::Exist);
    EXPECT_EQ(volume().link(d1.number, kRootInode, "dirlink").error(), Errno::Perm);
    std::string fast = "../d1/file";
    std::string slow = std::string(200, 'x') + "/target";
    ASSERT_TRUE(volume().create_symlink(kRootInode, "fast", fast).has_value());
    ASSERT_TRUE(volume().create_symlink(kRootInode, "slow", slow).has_value());
    // 300 names: several directory blocks; then every other one removed, some renamed.
    for (int i = 0; i < 300; ++i)
        write_new(d2.number, ("entry-with-a-longer-name-" + std::to_string(i)).c_str(), std::to_string(i));
    for (int i = 0; i < 300; i += 2)
        ASSERT_TRUE(volume().unlink(d2.number, "entry-with-a-longer-name-" + std::to_string(i)).has_value());
    for (int i = 1; i < 100; i += 2) {
        auto renamed = volume().rename(d2.number, "entry-with-a-longer-name-" + std::to_string(i), d1.number, "r" + std::to_string(i));
        ASSERT_TRUE(renamed.has_value()) << describe(renamed.error());
    }
    // Rename over an existing file, a directory into another, and refusals.
    write_new(kRootInode, "victim", "old");
    ASSERT_TRUE(volume().rename(d1.number, "r1", kRootInode, "victim").has_value());
    auto sub = *volume().create_directory(d1.number, "sub", 0755);
    ASSERT_TRUE(volume().rename(d1.number, "sub", d2.number, "moved").has_value());
    EXPECT_EQ(volume().rename(kRootInode, "d2", sub.number, "loop").error(), Errno::Inval);
    EXPECT_EQ(volume().remove_directory(kRootInode, "d2").error(), Errno::NotEmpty);
    EXPECT_EQ(volume().unlink(kRootInode, "d1").error(), Errno::IsDir);
    auto empty = *volume().create_directory(kRootInode, "empty", 0755);
    (void)empty;
    ASSERT_TRUE(volume().rename(d2.number, "moved", kRootInode, "empty").has_value()); // over an empty directory
    auto gone = *volume().create_directory(kRootInode, "gone", 0755);
    (void)gone;
    ASSERT_TRUE(volume().remove_directory(kRootInode, "gone").has_value());
    expect_clean();

    EXPECT_EQ(host_cat("/d2/hard"), "contents\n");
    EXPECT_EQ(host_cat("/victim"), "1");
    EXPECT_EQ(host_cat("/d1/r99"), "99");
    EXPECT_EQ(host_cat("/d2/entry-with-a-longer-name-299"), "299");
    EXPECT_EQ(host_cat("/d2/entry-with-a-longer-name-100"), "<missing>");
    EXPECT_NE(debugfs("stat /fast").find("Fast link dest: \"" + fast + "\""), std::string::npos) << debugfs("stat /fast");
    EXPECT_NE(debugfs("stat /slow").find("Size: " + std::to_string(slow.size())), std::string::npos);
    EXPECT_NE(debugfs("stat /d1/file").find("Links: 2"), std::string::npos);
    EXPECT_NE(debugfs("stat /empty").find("Links: 2"), std::string::npos);
    // Times come from the volume's clock (1700000000 = 0x6553f100).
    EXPECT_NE(debugfs("stat /d1/file").find("mtime: 0x6553f100"), std::string::npos) << debugfs("stat /d1/file");

    mount();
    auto slow_inode = *volume().read_inode(resolve({ "slow" }));
    Vector<u8> target;
    ASSERT_TRUE(volume().read_symlink(slow_inode, target).has_value());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(target.data()), target.size()), slow);
    EXPECT_EQ(read_back(resolve({ "d2", "hard" })), "contents\n");
}

TEST_F(Ext2Write, IndexedDirectoriesStayClean)
{
    // A hash-indexed directory (e2fsck -D makes one); changing it clears the flag.
    std::string tree = "/tmp/ext2-write-tree-" + std::to_string(::getpid());
    run("rm -rf " + tree + " && mkdir -p " + tree + "/big && cd " + tree +
        "/big && for i in $(seq 0 399); do printf x > name-$i-padding-padding-padding; done");
    make("-b 1024 -d " + tree);
    run("rm -rf " + tree);
    // e2fsck -D builds the hash tree.
    m_volume.reset();
    run("e2fsck -fyD '" + m_image + "'");
    mount();
    u32 big = resolve({ "big" });
    auto inode = *volume().read_inode(big);
    ASSERT_NE(inode.flags & kIndexFlag, 0u) << "mke2fs did not index the directory";
    write_new(big, "added", "y");
    ASSERT_TRUE(volume().unlink(big, "name-7-padding-padding-padding").has_value());
    expect_clean();
    EXPECT_EQ(host_cat("/big/added"), "y");
    EXPECT_EQ(host_cat("/big/name-8-padding-padding-padding"), "x");
    EXPECT_EQ(volume().read_inode(big)->flags & kIndexFlag, 0u);
}

TEST_F(Ext2Write, ASmallCacheWritesInBatchesAndFlushReachesTheDevice)
{
    make("-b 1024", "16M", 32);
    std::string data = pattern(2 << 20, 4);
    write_new(kRootInode, "two-mib", data);
    u64 flushes = m_disk->flushes;
    EXPECT_GT(volume().cache_stats().blocks_written, 0u); // evictions wrote before any flush
    ASSERT_TRUE(volume().flush().has_value());
    EXPECT_EQ(m_disk->flushes, flushes + 1);
    // Consecutive dirty blocks go out together: far fewer requests than blocks.
    EXPECT_LT(volume().cache_stats().write_requests * 2, volume().cache_stats().blocks_written);
    expect_clean();
    EXPECT_EQ(host_cat("/two-mib"), data);
}

TEST_F(Ext2Write, AFullDiskGivesAShortWriteThenNoSpc)
{
    make("-b 1024 -m 0", "4M");
    auto file = *volume().create_file(kRootInode, "fill", 0644);
    std::string chunk = pattern(1 << 20, 5);
    u64 total = 0;
    Errno last = Errno::Success;
    for (int i = 0; i < 8; ++i) {
        auto wrote = volume().write(file, total, bytes_of(chunk));
        if (!wrote) {
            last = wrote.error();
            break;
        }
        total += *wrote;
    }
    EXPECT_EQ(last, Errno::NoSpc);
    EXPECT_GT(total, 3u << 20);
    EXPECT_EQ(volume().superblock().free_blocks, 0u);
    expect_clean();
    ASSERT_TRUE(volume().unlink(kRootInode, "fill").has_value());
    expect_clean();
}

// Random writes, truncations, creations, removals and renames against a model (a map of
// names to contents) with a 16-block cache, so evictions interleave with everything; the
// host then dumps the whole tree and every file must equal the model.
TEST_F(Ext2Write, RandomOperationsMatchAModel)
{
    make("-b 1024", "32M", 16);
    std::map<std::string, std::string> model;
    u32 state = 12345;
    auto next = [&](u32 bound) {
        state = state * 1103515245u + 12345u;
        return (state >> 8) % bound;
    };
    for (int step = 0; step < 400; ++step) {
        std::string name = "f" + std::to_string(next(24));
        bool exists = model.contains(name);
        u32 what = next(10);
        if (!exists || what < 5) {
            u32 number = 0;
            if (!exists) {
                auto made = volume().create_file(kRootInode, name, 0644);
                ASSERT_TRUE(made.has_value()) << describe(made.error());
                model[name] = "";
                number = made->number;
            } else {
                number = resolve({ name.c_str() });
            }
            auto inode = *volume().read_inode(number);
            // Mostly dense below 100 KiB; a third up to 600 KiB: direct, single and double
            // indirect, with holes.
            u32 where = next(6);
            u64 offset = where == 0 ? model[name].size() : where < 3 ? next(600 * 1024) : next(100 * 1024);
            std::string data = pattern(1 + next(next(4) == 0 ? 70000 : 10000), step);
            auto wrote = volume().write(inode, offset, bytes_of(data));
            ASSERT_TRUE(wrote.has_value()) << describe(wrote.error()) << " " << volume().last_error().message();
            auto& text = model[name];
            if (text.size() < offset + data.size())
                text.resize(offset + data.size(), '\0');
            text.replace(offset, data.size(), data);
        } else if (what < 7) {
            auto inode = *volume().read_inode(resolve({ name.c_str() }));
            u64 size = next(4) == 0 ? next(700 * 1024) : next(120 * 1024);
            ASSERT_TRUE(volume().set_size(inode, size).has_value()) << volume().last_error().message();
            model[name].resize(size, '\0');
            // Growing right after a cut: the cut-off tail of the last block must read as zeros.
            if (next(2) == 0) {
                size += next(3000);
                ASSERT_TRUE(volume().set_size(inode, size).has_value());
                model[name].resize(size, '\0');
            }
        } else if (what < 8) {
            ASSERT_TRUE(volume().unlink(kRootInode, name).has_value());
            model.erase(name);
        } else {
            std::string to = "f" + std::to_string(next(24));
            ASSERT_TRUE(volume().rename(kRootInode, name, kRootInode, to).has_value());
            if (to != name) {
                model[to] = model[name];
                model.erase(name);
            }
        }
    }
    expect_clean();
    std::string out = m_dir + "/dump";
    run("mkdir -p '" + out + "' && debugfs -R 'rdump / " + out + "' '" + m_image + "'");
    for (auto& [name, contents] : model) {
        FILE* f = std::fopen((out + "/" + name).c_str(), "rb");
        ASSERT_NE(f, nullptr) << name;
        std::string text(contents.size() + 1, '\0');
        usize got = std::fread(text.data(), 1, text.size(), f);
        std::fclose(f);
        text.resize(got);
        EXPECT_TRUE(text == contents) << name << ": " << got << " bytes, expected " << contents.size();
    }
}

TEST_F(Ext2Write, DamagedBitmapsRefuseWritesWithAMessage)
{
    make("-b 1024");
    u32 bitmap = volume().group(0).block_bitmap;
    m_volume.reset();
    // Zero group 0's block bitmap: it now says the superblock and inode table are free.
    {
        std::vector<char> zeros(1024, 0);
        FILE* f = std::fopen(m_image.c_str(), "r+b");
        ASSERT_NE(f, nullptr);
        std::fseek(f, static_cast<long>(bitmap) * 1024, SEEK_SET);
        std::fwrite(zeros.data(), 1, zeros.size(), f);
        std::fclose(f);
    }
    mount();
    auto file = *volume().create_file(kRootInode, "f", 0644);
    auto wrote = volume().write(file, 0, bytes_of(std::string("data")));
    ASSERT_FALSE(wrote.has_value());
    EXPECT_EQ(wrote.error(), Errno::Io);
    EXPECT_NE(std::string(volume().last_error().message()).find("bitmap"), std::string::npos) << volume().last_error().message();
    EXPECT_FALSE(volume().is_writable());
    EXPECT_EQ(volume().create_file(kRootInode, "g", 0644).error(), Errno::RoFs);
}

class MemoryImage final : public drivers::BlockDevice {
public:
    explicit MemoryImage(std::vector<u8> bytes)
        : m_bytes(std::move(bytes))
    {
    }
    std::string_view name() const override { return "memory"; }
    u64 sector_count() const override { return m_bytes.size() / drivers::kSectorSize; }
    bool is_read_only() const override { return false; }
    Result<void> read_blocks(u64 first, std::span<u8> buffer) override
    {
        TRY(drivers::check_block_range(first, buffer.size(), sector_count()));
        std::memcpy(buffer.data(), m_bytes.data() + first * drivers::kSectorSize, buffer.size());
        return {};
    }
    Result<void> write_blocks(u64 first, std::span<const u8> buffer) override
    {
        TRY(drivers::check_block_range(first, buffer.size(), sector_count()));
        std::memcpy(m_bytes.data() + first * drivers::kSectorSize, buffer.data(), buffer.size());
        return {};
    }
    Result<void> flush() override { return {}; }

private:
    std::vector<u8> m_bytes;
};

// Hostile images for the writer: a small populated image with random bytes changed in its
// first 160 blocks (superblock, descriptors, bitmaps, inode table, directory and indirect
// blocks), then a fixed series of changes. Each must succeed or fail with an errno; none
// may crash or hang (this runs under ASan/UBSan too).
TEST_F(Ext2Write, RandomlyDamagedImagesNeverCrashTheWriter)
{
    make("-b 1024 -N 64", "1M");
    auto d = *volume().create_directory(kRootInode, "d", 0755);
    for (int i = 0; i < 20; ++i)
        write_new(d.number, ("f" + std::to_string(i)).c_str(), pattern(i * 900, i));
    write_new(kRootInode, "big", pattern(300 * 1024, 7));
    ASSERT_TRUE(volume().create_symlink(d.number, "s", std::string(100, 'y')).has_value());
    expect_clean();
    m_volume.reset();
    std::vector<u8> original;
    {
        FILE* f = std::fopen(m_image.c_str(), "rb");
        ASSERT_NE(f, nullptr);
        original.resize(1 << 20);
        ASSERT_EQ(std::fread(original.data(), 1, original.size(), f), original.size());
        std::fclose(f);
    }
    u32 state = 99;
    auto next = [&](u32 bound) {
        state = state * 1103515245u + 12345u;
        return (state >> 8) % bound;
    };
    int mounted = 0;
    int refused_changes = 0;
    for (int round = 0; round < 200; ++round) {
        auto bytes = original;
        for (u32 flips = 1 + next(12); flips > 0; --flips)
            bytes[1024 + next(160 * 1024)] = static_cast<u8>(next(256));
        MemoryImage disk(std::move(bytes));
        auto mounted_volume = Volume::mount(disk, 8);
        if (!mounted_volume)
            continue;
        ++mounted;
        auto& v = *mounted_volume;
        auto count = [&](auto result) { refused_changes += result.has_value() ? 0 : 1; };
        auto root = v.read_inode(kRootInode);
        if (!root)
            continue;
        if (auto file = v.create_file(kRootInode, "new", 0644)) {
            count(v.write(*file, 5000, bytes_of(pattern(20000, round))));
            count(v.set_size(*file, 100));
        }
        count(v.create_directory(kRootInode, "nd", 0755));
        if (auto inner = v.lookup(*root, "d")) {
            count(v.rename(*inner, "f3", kRootInode, "moved"));
            count(v.unlink(*inner, "f4"));
            count(v.rename(kRootInode, "nd", *inner, "nd2"));
            count(v.remove_directory(*inner, "nd2"));
            count(v.unlink(*inner, "s"));
        }
        if (auto big = v.lookup(*root, "big")) {
            if (auto inode = v.read_inode(*big)) {
                std::vector<u8> buffer(4096);
                count(v.read(*inode, 200 * 1024, Bytes(buffer.data(), buffer.size())));
                count(v.set_size(*inode, 13 * 1024 + 5));
            }
        }
        count(v.remove_directory(kRootInode, "d"));
        count(v.unmount());
    }
    // Most damage lands in places a mount does not check; some changes must have been refused.
    EXPECT_GT(mounted, 50);
    std::printf("damaged images: %d of 200 mounted, %d changes refused\n", mounted, refused_changes);
    EXPECT_GT(refused_changes, 0);
}

TEST_F(Ext2Write, ImagesWithErrorsMountReadOnly)
{
    make("-b 1024");
    m_volume.reset();
    {
        FILE* f = std::fopen(m_image.c_str(), "r+b");
        ASSERT_NE(f, nullptr);
        std::fseek(f, 1024 + 58, SEEK_SET);
        unsigned char state[2] = { 2, 0 }; // EXT2_ERROR_FS
        std::fwrite(state, 1, 2, f);
        std::fclose(f);
    }
    mount();
    EXPECT_FALSE(volume().is_writable());
    EXPECT_EQ(volume().create_file(kRootInode, "f", 0644).error(), Errno::RoFs);
}

} // namespace
} // namespace wk::kernel::fs::test
