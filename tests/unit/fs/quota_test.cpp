#include <algorithm>
#include <string>
#include <vector>

#include "tests/unit/fs/fs_test_support.h"

namespace wk::kernel::fs::test {
namespace {

u32 g_owner;
u32 current_owner() { return g_owner; }

std::vector<u64> g_changed;
void record_change(u64 inode) { g_changed.push_back(inode); }

File& as_file(const RefPtr<Inode>& inode) { return static_cast<File&>(*inode); }

RefPtr<Inode> create_as(FileSystem& fs, StringView path, u32 owner)
{
    g_owner = owner;
    auto inode = fs.open(fs.root(), path, OpenFlags { .create = true });
    g_owner = 0;
    EXPECT_TRUE(inode.has_value());
    return inode ? std::move(*inode) : RefPtr<Inode>();
}

class QuotaTest : public FsTest {
protected:
    void SetUp() override
    {
        Limits limits;
        limits.max_bytes_per_owner = 64 * 1024;
        make(limits);
        fs->set_owner_source(current_owner);
        g_owner = 0;
        g_changed.clear();
    }
};

TEST_F(QuotaTest, AWriterStopsAtItsQuotaAndGetsItBackOnUnlink)
{
    auto big = create_as(*fs, "big", 7);
    ASSERT_TRUE(big);
    EXPECT_EQ(as_file(big).owner(), 7u);
    std::vector<u8> data(100 * 1024, 'q');
    auto written = fs->write(as_file(big), 0, ReadonlyBytes(data.data(), data.size()));
    ASSERT_TRUE(written.has_value());
    EXPECT_LT(*written, data.size()); // a short write
    EXPECT_GT(*written, 32u * 1024);
    EXPECT_EQ(error_of(fs->write(as_file(big), *written, ReadonlyBytes(data.data(), data.size()))), Errno::DQuot);
    EXPECT_LE(fs->owner_bytes(7), 64u * 1024);
    EXPECT_EQ(fs->owner_bytes(7), as_file(big).storage_bytes());

    // Another owner has its own quota; the kernel (owner 0) only the file system's limit.
    auto other = create_as(*fs, "other", 8);
    ASSERT_TRUE(other);
    auto other_written = fs->write(as_file(other), 0, ReadonlyBytes(data.data(), 40 * 1024));
    EXPECT_TRUE(other_written && *other_written == 40u * 1024);
    write_file("kernel", std::string(100 * 1024, 'k'));

    big = nullptr;
    ASSERT_TRUE(fs->unlink(root(), "big"));
    EXPECT_EQ(fs->owner_bytes(7), 0u);
    // Whoever writes, the file's owner pays: owner 7 writing into owner 8's file charges 8.
    g_owner = 7;
    auto more = fs->write(as_file(other), 40 * 1024, ReadonlyBytes(data.data(), 40 * 1024));
    g_owner = 0;
    EXPECT_TRUE(more.has_value() && *more < 40u * 1024);
    EXPECT_EQ(fs->owner_bytes(7), 0u);
    EXPECT_LE(fs->owner_bytes(8), 64u * 1024);
}

TEST_F(QuotaTest, HolesCostOnlyTheirChunkTable)
{
    auto sparse = create_as(*fs, "sparse", 7);
    ASSERT_TRUE(sparse);
    // 1 MiB in: a table of 261 slots (2 KiB) and one chunk (4 KiB).
    auto written = fs->write(as_file(sparse), 1 << 20, ReadonlyBytes(reinterpret_cast<const u8*>("x"), 1));
    EXPECT_TRUE(written && *written == 1);
    EXPECT_EQ(as_file(sparse).size(), (1u << 20) + 1);
    EXPECT_LT(fs->owner_bytes(7), 8u * 1024);
    // Growing by set_size costs nothing at all.
    u64 before = fs->owner_bytes(7);
    EXPECT_TRUE(fs->set_size(as_file(sparse), 200u << 20));
    EXPECT_EQ(fs->owner_bytes(7), before);
    // Truncating gives everything back.
    EXPECT_TRUE(fs->set_size(as_file(sparse), 0));
    EXPECT_EQ(fs->owner_bytes(7), 0u);
}

TEST_F(QuotaTest, TheObserverSeesEveryChangeOfAFile)
{
    fs->set_file_observer(record_change);
    write_file("a", "first");
    u64 a = fs->stat(root(), "a")->inode;
    EXPECT_FALSE(g_changed.empty());
    EXPECT_EQ(g_changed.back(), a);
    g_changed.clear();
    ASSERT_TRUE(fs->rename(root(), "a", "b"));
    EXPECT_EQ(g_changed, std::vector<u64> { a });
    write_file("c", "other");
    u64 c = fs->stat(root(), "c")->inode;
    g_changed.clear();
    ASSERT_TRUE(fs->rename(root(), "b", "c")); // c is replaced, a moves
    EXPECT_EQ(g_changed.size(), 2u);
    EXPECT_NE(std::find(g_changed.begin(), g_changed.end(), c), g_changed.end());
    EXPECT_NE(std::find(g_changed.begin(), g_changed.end(), a), g_changed.end());
    g_changed.clear();
    ASSERT_TRUE(fs->unlink(root(), "c"));
    EXPECT_EQ(g_changed, std::vector<u64> { a });
    // Directories are not reported.
    g_changed.clear();
    ASSERT_TRUE(fs->create_directory(root(), "d"));
    ASSERT_TRUE(fs->rename(root(), "d", "e"));
    EXPECT_TRUE(g_changed.empty());
}

} // namespace
} // namespace wk::kernel::fs::test
