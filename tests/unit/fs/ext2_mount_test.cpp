// The live ext2 mount (fs::ext2::Mount) through FileSystem's operations, on images made by the
// host's mke2fs: the same calls the WASI layer makes, then e2fsck -fn must find the image
// clean and debugfs must show the result. Skipped without e2fsprogs.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel/fs/ext2_mount.h"
#include "kernel/fs/file_system.h"
#include "kernel/fs/open_file.h"
#include "tests/unit/fs/ext2_host.h"

namespace wk::kernel::fs::test {
namespace {

u32 mount_clock() { return 1800000000; }

ReadonlyBytes text_bytes(const std::string& text) { return ReadonlyBytes(reinterpret_cast<const u8*>(text.data()), text.size()); }

class Ext2Mount : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!have_e2fsprogs())
            GTEST_SKIP() << "e2fsprogs (mke2fs, e2fsck, debugfs) not installed";
        char dir[] = "/tmp/ext2-mount-XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        m_dir = dir;
        m_image = m_dir + "/disk.img";
        auto made = run("mke2fs -q -F -t ext2 -b 1024 '" + m_image + "' 8M");
        ASSERT_EQ(made.status, 0) << made.output;
        mount();
    }
    void TearDown() override
    {
        unmount();
        if (!m_dir.empty())
            run("rm -rf '" + m_dir + "'");
    }
    void mount()
    {
        m_disk = std::make_unique<FileDisk>(m_image);
        auto volume = ext2::Volume::mount(*m_disk);
        ASSERT_TRUE(volume.has_value()) << volume.error().message();
        volume->set_clock(mount_clock);
        auto created = FileSystem::create();
        ASSERT_TRUE(created.has_value());
        m_fs = std::move(*created);
        auto mounted = ext2::Mount::create(*m_fs, std::move(*volume), m_fs->root(), "data");
        ASSERT_TRUE(mounted.has_value()) << describe(mounted.error());
        m_mount = *mounted;
    }
    // Drops the tree (every node), then the Mount (which outlives its nodes).
    void unmount()
    {
        if (!m_fs)
            return;
        (void)m_mount->volume().flush();
        m_fs = nullptr;
        ext2::Mount::destroy(m_mount);
        m_mount = nullptr;
        m_disk.reset();
    }
    void expect_clean()
    {
        ASSERT_TRUE(m_mount->volume().flush().has_value()) << m_mount->volume().last_error().message();
        auto check = run("e2fsck -fn '" + m_image + "'");
        EXPECT_EQ(check.status, 0) << check.output;
    }
    std::string debugfs(const std::string& request) { return run("debugfs -R '" + request + "' '" + m_image + "' 2>/dev/null").output; }
    RefPtr<Inode> create(const std::string& path, const std::string& contents)
    {
        auto inode = m_fs->open(m_fs->root(), path.c_str(), { .create = true, .truncate = true });
        EXPECT_TRUE(inode.has_value()) << path << ": " << (inode ? "" : describe(inode.error()));
        if (!inode)
            return nullptr;
        auto& file = static_cast<File&>(**inode);
        auto wrote = m_fs->write(file, 0, text_bytes(contents));
        EXPECT_TRUE(wrote.has_value());
        return std::move(*inode);
    }
    std::string read(Inode& inode)
    {
        std::string text(inode.size(), '\0');
        auto got = static_cast<File&>(inode).read_checked(0, Bytes(reinterpret_cast<u8*>(text.data()), text.size()));
        EXPECT_TRUE(got.has_value());
        return text;
    }

    std::string m_dir;
    std::string m_image;
    std::unique_ptr<FileDisk> m_disk;
    RefPtr<FileSystem> m_fs;
    ext2::Mount* m_mount { nullptr };
};

class Names final : public DirectoryVisitor {
public:
    explicit Names(usize stop_after = ~usize { 0 })
        : m_stop_after(stop_after)
    {
    }
    bool entry(u64 next_cookie, u64, InodeType, StringView name) override
    {
        names.push_back(std::string(name.data(), name.size()));
        cookie = next_cookie;
        return names.size() < m_stop_after;
    }
    std::vector<std::string> names;
    u64 cookie { 0 };

private:
    usize m_stop_after;
};

TEST_F(Ext2Mount, FilesDirectoriesLinksAndSymlinksReachTheDisk)
{
    ASSERT_TRUE(m_fs->create_directory(m_fs->root(), "/data/notes").has_value());
    create("/data/notes/a.txt", "hello, disk");
    ASSERT_TRUE(m_fs->link(m_fs->root(), "/data/notes/a.txt", "/data/second").has_value());
    ASSERT_TRUE(m_fs->symlink("notes/b.txt", m_fs->root(), "/data/link").has_value());
    ASSERT_TRUE(m_fs->rename(m_fs->root(), "/data/notes/a.txt", "/data/notes/b.txt").has_value());
    // Through the symlink, and ".." out of the mount back into the RAM tree.
    auto through = m_fs->resolve(m_fs->root(), "/data/link");
    ASSERT_TRUE(through.has_value());
    EXPECT_EQ(read(**through), "hello, disk");
    auto up = m_fs->resolve(m_fs->root(), "/data/notes/../..");
    ASSERT_TRUE(up.has_value());
    EXPECT_EQ(up->get(), &m_fs->root());
    auto stat = m_fs->stat(m_fs->root(), "/data/second");
    ASSERT_TRUE(stat.has_value());
    EXPECT_EQ(stat->device, ext2::Mount::kDevice);
    EXPECT_EQ(stat->link_count, 2u);
    EXPECT_EQ(stat->size, 11u);
    EXPECT_EQ(stat->modify_time, u64 { 1800000000 } * 1'000'000'000);
    // Across mounts: XDev; the mount point itself stays.
    create("/ram.txt", "in memory");
    EXPECT_EQ(m_fs->rename(m_fs->root(), "/ram.txt", "/data/ram.txt").error(), Errno::XDev);
    EXPECT_EQ(m_fs->link(m_fs->root(), "/data/second", "/second").error(), Errno::XDev);
    EXPECT_EQ(m_fs->remove_directory(m_fs->root(), "/data").error(), Errno::Busy);
    through = nullptr;
    up = nullptr;
    expect_clean();
    std::string contents = debugfs("cat /notes/b.txt"); // after debugfs's version line
    EXPECT_EQ(contents.substr(contents.find('\n') + 1), "hello, disk");
    EXPECT_NE(debugfs("stat /link").find("Fast link dest: \"notes/b.txt\""), std::string::npos);
    EXPECT_NE(debugfs("stat /second").find("Links: 2"), std::string::npos);
}

TEST_F(Ext2Mount, ReaddirCookiesStayValidWhileEntriesComeAndGo)
{
    ASSERT_TRUE(m_fs->create_directory(m_fs->root(), "/data/d").has_value());
    std::set<std::string> originals;
    for (int i = 0; i < 200; ++i) {
        std::string name = "file-with-a-longish-name-" + std::to_string(i);
        create("/data/d/" + name, "x");
        originals.insert(name);
    }
    auto directory = m_fs->resolve(m_fs->root(), "/data/d");
    ASSERT_TRUE(directory.has_value());
    auto& dir = static_cast<Directory&>(**directory);
    Names first(50);
    ASSERT_TRUE(m_fs->read_directory(dir, 0, first).has_value());
    ASSERT_EQ(first.names.size(), 50u);
    // Meanwhile: entries not yet read go, new ones come.
    for (int i = 150; i < 200; ++i) {
        std::string name = "file-with-a-longish-name-" + std::to_string(i);
        ASSERT_TRUE(m_fs->unlink(m_fs->root(), ("/data/d/" + name).c_str()).has_value());
        originals.erase(name);
    }
    for (int i = 0; i < 30; ++i)
        create("/data/d/new-" + std::to_string(i), "y");
    Names rest;
    ASSERT_TRUE(m_fs->read_directory(dir, first.cookie, rest).has_value());
    std::multiset<std::string> seen(first.names.begin(), first.names.end());
    seen.insert(rest.names.begin(), rest.names.end());
    for (auto& name : originals)
        EXPECT_EQ(seen.count(name), 1u) << name;
    EXPECT_EQ(seen.count("."), 1u);
    EXPECT_EQ(seen.count(".."), 1u);
    for (auto& name : seen)
        EXPECT_LE(seen.count(name), 1u) << name << " seen twice";
    directory = nullptr;
    expect_clean();
}

TEST_F(Ext2Mount, AFileUnlinkedOrReplacedWhileOpenLivesUntilItsLastReference)
{
    std::string big(300 * 1024, 'b');
    auto held = create("/data/big", big);
    auto replaced = create("/data/target", "old contents");
    create("/data/source", "new contents");
    u64 free_before = m_mount->volume().superblock().free_blocks;
    ASSERT_TRUE(m_fs->unlink(m_fs->root(), "/data/big").has_value());
    ASSERT_TRUE(m_fs->rename(m_fs->root(), "/data/source", "/data/target").has_value());
    EXPECT_EQ(read(*held), big);
    EXPECT_EQ(read(*replaced), "old contents");
    EXPECT_EQ(held->link_count(), 0u);
    auto now = m_fs->resolve(m_fs->root(), "/data/target");
    ASSERT_TRUE(now.has_value());
    EXPECT_EQ(read(**now), "new contents");
    now = nullptr;
    held = nullptr; // the last reference: the blocks come back
    replaced = nullptr;
    EXPECT_EQ(m_mount->node_count(), 1u); // the root
    EXPECT_GT(m_mount->volume().superblock().free_blocks, free_before + 290);
    expect_clean();
    EXPECT_NE(debugfs("stat /big").find("File not found"), std::string::npos);
}

TEST_F(Ext2Mount, UnmountWithAnUnlinkedFileStillOpenLeavesACleanDisk)
{
    auto held = create("/data/open", std::string(50 * 1024, 'o'));
    ASSERT_TRUE(m_fs->unlink(m_fs->root(), "/data/open").has_value());
    ASSERT_TRUE(m_mount->unmount().has_value());
    EXPECT_FALSE(m_mount->volume().is_writable());
    auto check = run("e2fsck -fn '" + m_image + "'");
    EXPECT_EQ(check.status, 0) << check.output;
    EXPECT_NE(debugfs("stats").find("clean"), std::string::npos);
    held = nullptr;
}

TEST_F(Ext2Mount, TruncationTimesAndSyncReachTheDevice)
{
    auto file = create("/data/f", std::string(5000, 'z'));
    ASSERT_TRUE(m_fs->set_size(static_cast<File&>(*file), 100).has_value());
    EXPECT_EQ(file->size(), 100u);
    TimeUpdate modify { TimeUpdate::Kind::Set, u64 { 1234567890 } * 1'000'000'000 };
    ASSERT_TRUE(m_fs->set_times(*file, {}, modify).has_value());
    EXPECT_EQ(file->modify_time(), u64 { 1234567890 } * 1'000'000'000);
    u64 flushes = m_disk->flushes;
    ASSERT_TRUE(m_fs->sync(*file).has_value());
    EXPECT_GT(m_disk->flushes, flushes);
    file = nullptr;
    expect_clean();
    auto stat = debugfs("stat /f");
    EXPECT_NE(stat.find("Size: 100"), std::string::npos) << stat;
    EXPECT_NE(stat.find("mtime: 0x499602d2"), std::string::npos) << stat;
}

TEST_F(Ext2Mount, ADirectoryLinkedBelowItselfNeitherLoopsNorLeaks)
{
    ASSERT_TRUE(m_fs->create_directory(m_fs->root(), "/data/dir").has_value());
    ASSERT_TRUE(m_fs->create_directory(m_fs->root(), "/data/dir/sub").has_value());
    ASSERT_TRUE(m_mount->volume().flush().has_value());
    unmount();
    // A hostile image: /dir/sub/up names /dir (and /dir/self names /dir itself).
    auto linked = run("debugfs -w -R 'ln /dir /dir/sub/up' '" + m_image + "' && debugfs -w -R 'ln /dir /dir/self' '" + m_image + "'");
    ASSERT_EQ(linked.status, 0) << linked.output;
    mount();
    auto deep = m_fs->resolve(m_fs->root(), "/data/dir/sub/up/self/sub/up/sub");
    ASSERT_TRUE(deep.has_value());
    // The ancestor keeps its parent: ".." of /dir is still the mount's root, whatever path
    // reached it.
    auto up = m_fs->resolve(m_fs->root(), "/data/dir/sub/up/..");
    ASSERT_TRUE(up.has_value());
    auto root = m_fs->resolve(m_fs->root(), "/data");
    ASSERT_TRUE(root.has_value());
    EXPECT_EQ(up->get(), root->get());
    deep = nullptr;
    up = nullptr;
    root = nullptr;
    EXPECT_EQ(m_mount->node_count(), 1u); // every node but the mount's root is gone: no cycle
}

TEST_F(Ext2Mount, DamageFoundWhileWritingMakesTheMountReadOnlyOnce)
{
    u32 bitmap = m_mount->volume().group(0).block_bitmap;
    unmount();
    {
        std::vector<char> zeros(1024, 0);
        FILE* f = std::fopen(m_image.c_str(), "r+b");
        ASSERT_NE(f, nullptr);
        std::fseek(f, static_cast<long>(bitmap) * 1024, SEEK_SET);
        std::fwrite(zeros.data(), 1, zeros.size(), f);
        std::fclose(f);
    }
    mount();
    static int reports = 0;
    reports = 0;
    m_mount->set_damage_reporter([](const Error&) { ++reports; });
    auto inode = m_fs->open(m_fs->root(), "/data/f", { .create = true });
    ASSERT_TRUE(inode.has_value());
    auto wrote = m_fs->write(static_cast<File&>(**inode), 0, text_bytes("data"));
    ASSERT_FALSE(wrote.has_value());
    EXPECT_EQ(wrote.error(), Errno::Io);
    EXPECT_EQ(reports, 1);
    EXPECT_EQ(m_fs->create_directory(m_fs->root(), "/data/g").error(), Errno::RoFs);
    EXPECT_EQ(reports, 1);
}

} // namespace
} // namespace wk::kernel::fs::test
