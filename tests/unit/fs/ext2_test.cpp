// The ext2 reader against small images built here byte by byte (1 KiB blocks, one group), so
// each test can damage exactly one field; kernel_storage_ext2 covers images made by mke2fs.
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "kernel/fs/ext2.h"
#include "kernel/fs/ext2_mount.h"
#include "tests/unit/fs/fs_test_support.h"

namespace wk::kernel::fs::test {
namespace {

using namespace ext2;

class MemoryDisk final : public drivers::BlockDevice {
public:
    explicit MemoryDisk(usize bytes)
        : m_bytes(bytes, 0)
    {
    }
    std::string_view name() const override { return "mem"; }
    u64 sector_count() const override { return m_bytes.size() / drivers::kSectorSize; }
    bool is_read_only() const override { return true; }
    Result<void> read_blocks(u64 first, std::span<u8> buffer) override
    {
        TRY(drivers::check_block_range(first, buffer.size(), sector_count()));
        std::memcpy(buffer.data(), m_bytes.data() + first * drivers::kSectorSize, buffer.size());
        ++reads;
        return {};
    }
    Result<void> write_blocks(u64, std::span<const u8>) override { return Error::from("read-only", ErrorKind::Unsupported); }
    Result<void> flush() override { return {}; }

    void put16(usize at, u32 value)
    {
        m_bytes[at] = static_cast<u8>(value);
        m_bytes[at + 1] = static_cast<u8>(value >> 8);
    }
    void put32(usize at, u32 value)
    {
        put16(at, value & 0xFFFF);
        put16(at + 2, value >> 16);
    }
    u8* at(usize offset) { return m_bytes.data() + offset; }
    u64 reads { 0 };

private:
    std::vector<u8> m_bytes;
};

// Layout: block 1 superblock, 2 descriptors, 3/4 bitmaps, 5..8 inode table (16 inodes of
// 256 bytes), data from 9. Root (inode 2) has one block (10): ".", "..", "file" (inode 12).
// File 12: 14 blocks long; blocks 0..11 at 20..31, an indirect block at 40 whose slot 0 is
// block 41 and slot 1 a hole.
constexpr u32 kBlock = 1024;
constexpr u32 kInodeTable = 5;
constexpr usize kRootDirBlock = 10;

usize inode_offset(u32 number) { return kInodeTable * kBlock + (number - 1) * 256; }

void put_entry(MemoryDisk& disk, usize block, usize offset, u32 inode, u32 rec_len, std::string_view name, u8 type)
{
    usize at = block * kBlock + offset;
    disk.put32(at, inode);
    disk.put16(at + 4, rec_len);
    *disk.at(at + 6) = static_cast<u8>(name.size());
    *disk.at(at + 7) = type;
    std::memcpy(disk.at(at + 8), name.data(), name.size());
}

MemoryDisk make_image()
{
    MemoryDisk disk(64 * kBlock);
    usize sb = 1024;
    disk.put32(sb + 0, 16);    // inodes
    disk.put32(sb + 4, 64);    // blocks
    disk.put32(sb + 20, 1);    // first data block
    disk.put32(sb + 24, 0);    // 1 KiB blocks
    disk.put32(sb + 32, 8192); // blocks per group
    disk.put32(sb + 40, 16);   // inodes per group
    disk.put16(sb + 56, kMagic);
    disk.put32(sb + 76, 1);    // revision
    disk.put32(sb + 84, 11);   // first inode
    disk.put16(sb + 88, 256);  // inode size
    disk.put32(sb + 96, kIncompatFiletype);
    disk.put32(2 * kBlock + 0, 3);
    disk.put32(2 * kBlock + 4, 4);
    disk.put32(2 * kBlock + 8, kInodeTable);

    usize root = inode_offset(2);
    disk.put16(root, 0x41ED);
    disk.put32(root + 4, kBlock);
    disk.put16(root + 26, 2);
    disk.put32(root + 28, 2);
    disk.put32(root + 40, kRootDirBlock);
    put_entry(disk, kRootDirBlock, 0, 2, 12, ".", 2);
    put_entry(disk, kRootDirBlock, 12, 2, 12, "..", 2);
    put_entry(disk, kRootDirBlock, 24, 12, kBlock - 24, "file", 1);

    usize file = inode_offset(12);
    disk.put16(file, 0x81A4);
    disk.put32(file + 4, 14 * kBlock);
    disk.put32(file + 16, 1700000000);
    disk.put16(file + 26, 1);
    disk.put32(file + 28, 2 * 14);
    for (u32 i = 0; i < 12; ++i)
        disk.put32(file + 40 + i * 4, 20 + i);
    disk.put32(file + 40 + 12 * 4, 40);
    disk.put32(40 * kBlock, 41);
    for (u32 block = 20; block < 32; ++block)
        std::memset(disk.at(block * kBlock), 'a' + (block - 20), kBlock);
    std::memset(disk.at(41 * kBlock), 'z', kBlock);
    return disk;
}

std::string message(const Error& error) { return error.message(); }

TEST(Ext2Superblock, MountReadsTheNumbers)
{
    auto disk = make_image();
    auto volume = Volume::mount(disk);
    ASSERT_TRUE(volume.has_value()) << message(volume.error());
    EXPECT_EQ(volume->superblock().block_size, 1024u);
    EXPECT_EQ(volume->superblock().blocks_count, 64u);
    EXPECT_EQ(volume->superblock().group_count, 1u);
    EXPECT_EQ(volume->superblock().inode_size, 256u);
}

TEST(Ext2Superblock, RefusesDamage)
{
    struct Case {
        usize offset;
        u32 value;
        bool wide;
        const char* expected;
    };
    const Case cases[] = {
        { 56, 0x1234, false, "ext2: no ext2 magic (0xEF53) in the superblock" },
        { 24, 3, true, "ext2: block size above 4 KiB" },
        { 4, 65, true, "ext2: block count larger than the disk" },
        { 96, 0x40 | kIncompatFiletype, true, "ext2: unknown INCOMPAT features" },
        { 0, 17, true, "ext2: inode count is not groups * inodes per group" },
        { 88, 100, false, "ext2: inode size not a power of two in 128..block size" },
        { 32, 0, true, "ext2: blocks per group not in 1..8 * block size" },
        { 20, 0, true, "ext2: first data block does not match the block size" },
    };
    for (auto& c : cases) {
        auto disk = make_image();
        if (c.wide)
            disk.put32(1024 + c.offset, c.value);
        else
            disk.put16(1024 + c.offset, c.value);
        auto volume = Volume::mount(disk);
        ASSERT_FALSE(volume.has_value()) << c.expected;
        EXPECT_EQ(message(volume.error()), c.expected);
    }
}

TEST(Ext2Superblock, RefusesADescriptorOutsideItsGroup)
{
    auto check = [](usize field, u32 block) {
        auto disk = make_image();
        disk.put32(2 * kBlock + field, block);
        auto volume = Volume::mount(disk);
        ASSERT_FALSE(volume.has_value()) << field << " " << block;
        EXPECT_EQ(message(volume.error()), "ext2: group descriptor points outside its group");
    };
    check(8, 62);     // an inode table of 4 blocks from 62 passes block 64
    check(0, 64);     // a block bitmap past the end
    check(4, 0);      // an inode bitmap in the boot block
    check(8, 0xFFFFFFFE);
}

TEST(Ext2Blocks, MapsDirectIndirectAndHoles)
{
    auto disk = make_image();
    auto volume = Volume::mount(disk);
    ASSERT_TRUE(volume.has_value());
    auto file = volume->read_inode(12);
    ASSERT_TRUE(file.has_value());
    EXPECT_EQ(file->type(), FileType::Regular);
    EXPECT_EQ(file->size, 14u * kBlock);
    EXPECT_EQ(*volume->map_block(*file, 0), 20u);
    EXPECT_EQ(*volume->map_block(*file, 11), 31u);
    EXPECT_EQ(*volume->map_block(*file, 12), 41u);
    u64 run = 0;
    EXPECT_EQ(*volume->map_block(*file, 13, &run), 0u);
    EXPECT_EQ(run, 1u); // a zero slot in the last level is one block
    // Double indirect: i_block[13] is 0, so the whole double span is one hole.
    EXPECT_EQ(*volume->map_block(*file, 12 + 256, &run), 0u);
    EXPECT_EQ(run, 256u * 256u);
    std::vector<u8> buffer(kBlock, 0xEE);
    ASSERT_TRUE(volume->read_file_block(*file, 13, Bytes(buffer.data(), buffer.size())).has_value());
    EXPECT_EQ(buffer[0], 0);
    ASSERT_TRUE(volume->read_file_block(*file, 12, Bytes(buffer.data(), buffer.size())).has_value());
    EXPECT_EQ(buffer[kBlock - 1], 'z');
}

TEST(Ext2Blocks, RefusesBadPointers)
{
    auto check = [](auto damage, u64 index, const char* expected) {
        auto disk = make_image();
        damage(disk);
        auto volume = Volume::mount(disk);
        ASSERT_TRUE(volume.has_value());
        auto file = volume->read_inode(12);
        ASSERT_TRUE(file.has_value());
        auto mapped = volume->map_block(*file, index);
        ASSERT_FALSE(mapped.has_value()) << expected;
        EXPECT_EQ(message(mapped.error()), expected);
    };
    check([](MemoryDisk& d) { d.put32(40 * kBlock, 40); }, 12, "ext2: indirect block points at itself");
    check([](MemoryDisk& d) { d.put32(inode_offset(12) + 40 + 48, 100000); }, 12, "ext2: indirect block outside the data area");
    check([](MemoryDisk& d) { d.put32(inode_offset(12) + 40 + 48, kInodeTable); }, 12, "ext2: indirect block outside the data area");
    check([](MemoryDisk& d) { d.put32(40 * kBlock, 64); }, 12, "ext2: data block outside the data area");
    check([](MemoryDisk& d) { d.put32(inode_offset(12) + 40, 2); }, 0, "ext2: data block outside the data area");
}

TEST(Ext2Blocks, RefusesInodeNumbersOutOfRange)
{
    auto disk = make_image();
    auto volume = Volume::mount(disk);
    ASSERT_TRUE(volume.has_value());
    EXPECT_FALSE(volume->read_inode(0).has_value());
    EXPECT_FALSE(volume->read_inode(17).has_value());
    EXPECT_TRUE(volume->read_inode(16).has_value());
}

TEST(Ext2Directory, WalksAndRefusesBadEntries)
{
    Superblock sb;
    sb.inodes_count = 16;
    sb.feature_incompat = kIncompatFiletype;
    auto walk = [&](std::vector<u8> block, std::vector<std::string>* names) {
        return walk_directory_block(ReadonlyBytes(block.data(), block.size()), sb, [&](const DirectoryEntry& entry) {
            if (names)
                names->emplace_back(reinterpret_cast<const char*>(entry.name.data()), entry.name.size());
            return true;
        });
    };
    auto entry = [](std::vector<u8>& block, usize at, u32 inode, u32 rec_len, std::string_view name) {
        block[at] = static_cast<u8>(inode);
        block[at + 4] = static_cast<u8>(rec_len);
        block[at + 5] = static_cast<u8>(rec_len >> 8);
        block[at + 6] = static_cast<u8>(name.size());
        std::memcpy(block.data() + at + 8, name.data(), name.size());
    };
    std::vector<u8> good(64, 0);
    entry(good, 0, 2, 16, "one");
    entry(good, 16, 0, 16, "gone"); // unused entry: skipped
    entry(good, 32, 3, 32, "three");
    std::vector<std::string> names;
    ASSERT_TRUE(walk(good, &names).has_value());
    EXPECT_EQ(names, (std::vector<std::string> { "one", "three" }));

    struct Case {
        u32 inode, rec_len;
        std::string_view name;
        const char* expected;
    };
    const Case cases[] = {
        { 2, 4, "a", "ext2: directory entry rec_len below 8 or not 4-aligned" },
        { 2, 0, "a", "ext2: directory entry rec_len below 8 or not 4-aligned" },
        { 2, 18, "a", "ext2: directory entry rec_len below 8 or not 4-aligned" },
        { 2, 68, "a", "ext2: directory entry rec_len overruns its block" },
        { 2, 12, "abcdefgh", "ext2: directory entry name_len exceeds rec_len" },
        { 17, 64, "a", "ext2: directory entry names an inode beyond the count" },
        { 2, 64, "", "ext2: directory entry with an empty name" },
    };
    for (auto& c : cases) {
        std::vector<u8> block(64, 0);
        entry(block, 0, c.inode, c.rec_len, c.name);
        auto walked = walk(block, nullptr);
        ASSERT_FALSE(walked.has_value()) << c.expected;
        EXPECT_EQ(message(walked.error()), c.expected);
    }
}

// The live mount (ext2::Mount, the Backend behind /data) on the hand-built image, through
// FileSystem as the WASI layer calls it. The device is read-only, so the volume is too.
class Ext2MountOnBuiltImage : public FsTest {
protected:
    // The disk moves into the fixture: the Mount's volume reads it until TearDown.
    ErrnoResult<ext2::Mount*> mount(MemoryDisk disk)
    {
        m_disk = std::make_unique<MemoryDisk>(std::move(disk));
        auto volume = Volume::mount(*m_disk);
        EXPECT_TRUE(volume.has_value()) << message(volume.error());
        if (!volume)
            return Errno::Io;
        auto mounted = ext2::Mount::create(*fs, std::move(*volume), root(), "data");
        if (mounted)
            m_mount = *mounted;
        return mounted;
    }
    // The tree (every node) goes first, then the Mount, which outlives its nodes.
    void TearDown() override
    {
        fs = nullptr;
        if (m_mount)
            ext2::Mount::destroy(m_mount);
    }
    // What the file (inode 12) holds: blocks 0..11 'a'..'l', block 12 (through the indirect
    // block) 'z', block 13 a hole.
    static std::string file_contents()
    {
        std::string expected;
        for (u32 block = 0; block < 12; ++block)
            expected.append(kBlock, static_cast<char>('a' + block));
        expected.append(kBlock, 'z');
        expected.append(kBlock, '\0');
        return expected;
    }
    std::string read_all(fs::Inode& inode)
    {
        std::string text(inode.size(), '\x55');
        auto got = static_cast<fs::File&>(inode).read_checked(0, Bytes(reinterpret_cast<u8*>(text.data()), text.size()));
        EXPECT_TRUE(got.has_value());
        EXPECT_EQ(got ? *got : 0, text.size());
        return text;
    }

    std::unique_ptr<MemoryDisk> m_disk;
    ext2::Mount* m_mount { nullptr };
};

TEST_F(Ext2MountOnBuiltImage, ReadsThroughDirectIndirectAndHoleBlocksAndARootNamedInsideItself)
{
    auto disk = make_image();
    // A second name of the root directory inside itself: a loop for any walk of the tree.
    put_entry(disk, kRootDirBlock, 24, 12, 12, "file", 1);
    put_entry(disk, kRootDirBlock, 36, 2, kBlock - 36, "again", 2);
    ASSERT_TRUE(mount(std::move(disk)).has_value());
    EXPECT_FALSE(m_mount->volume().is_writable());
    auto file = must_open("/data/again/again/file");
    ASSERT_TRUE(file);
    EXPECT_EQ(file->size(), 14u * kBlock);
    EXPECT_EQ(file->modify_time(), 1700000000ull * 1000000000ull);
    EXPECT_EQ(read_all(*file), file_contents());
    auto data = fs->resolve(root(), "/data");
    ASSERT_TRUE(data.has_value());
    std::vector<std::string> names = list(static_cast<fs::Directory&>(**data));
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), (std::set<std::string> { ".", "..", "file", "again" }));
    // The root reached through its second name is the same node: ".." leads out of the mount.
    auto again = fs->resolve(root(), "/data/again/again");
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->get(), data->get());
    auto up = fs->resolve(root(), "/data/again/again/..");
    ASSERT_TRUE(up.has_value());
    EXPECT_EQ(up->get(), &root());
    EXPECT_EQ(error_of(fs->open(root(), "/data/new", OpenFlags { .create = true })), Errno::RoFs);
    file = nullptr;
    data = nullptr;
    again = nullptr;
    up = nullptr;
    EXPECT_EQ(m_mount->node_count(), 1u); // the mount's root only: the loop holds nothing
}

TEST_F(Ext2MountOnBuiltImage, ReadsThroughTheBlockMapWhateverIBlocksSays)
{
    // i_blocks says 4 blocks where 13 are mapped. The mount reads through the block map and
    // stops at the size, so a wrong count bounds nothing and hides nothing.
    auto disk = make_image();
    disk.put32(inode_offset(12) + 28, 2 * 4);
    ASSERT_TRUE(mount(std::move(disk)).has_value());
    auto file = must_open("/data/file");
    ASSERT_TRUE(file);
    EXPECT_EQ(read_all(*file), file_contents());
}

TEST_F(Ext2MountOnBuiltImage, ABadPointerFailsOnlyTheReadsThatReachIt)
{
    auto disk = make_image();
    disk.put32(40 * kBlock, 40); // the indirect block names itself
    ASSERT_TRUE(mount(std::move(disk)).has_value());
    auto file = must_open("/data/file");
    ASSERT_TRUE(file);
    auto& data = static_cast<fs::File&>(*file);
    std::string block(kBlock, '\0');
    auto direct = data.read_checked(11 * kBlock, Bytes(reinterpret_cast<u8*>(block.data()), block.size()));
    ASSERT_TRUE(direct.has_value());
    EXPECT_EQ(block, std::string(kBlock, 'l'));
    auto indirect = data.read_checked(12 * kBlock, Bytes(reinterpret_cast<u8*>(block.data()), block.size()));
    EXPECT_EQ(error_of(indirect), Errno::Io);
    EXPECT_NE(message(m_mount->volume().last_error()).find("indirect block points at itself"), std::string::npos)
        << message(m_mount->volume().last_error());
    EXPECT_TRUE(fs->stat(root(), "/data/file").has_value());
}

TEST_F(Ext2MountOnBuiltImage, RefusesARootThatIsNotADirectory)
{
    auto disk = make_image();
    disk.put16(inode_offset(2), 0x81A4);
    auto mounted = mount(std::move(disk));
    ASSERT_FALSE(mounted.has_value());
    EXPECT_EQ(mounted.error(), Errno::NotDir);
    EXPECT_EQ(error_of(fs->resolve(root(), "/data")), Errno::NoEnt); // nothing at the mount point
}

} // namespace
} // namespace wk::kernel::fs::test
