#include <random>
#include <string>
#include <vector>

#include "engine/wasi/wasi_types.h"
#include "tests/unit/fs/fs_test_support.h"

namespace wk::kernel::fs::test {
namespace {

ReadonlyBytes bytes_of(std::string_view text) { return ReadonlyBytes(reinterpret_cast<const u8*>(text.data()), text.size()); }

File& as_file(const RefPtr<Inode>& inode) { return static_cast<File&>(*inode); }
Directory& as_directory(const RefPtr<Inode>& inode) { return static_cast<Directory&>(*inode); }

TEST_F(FsTest, CreateWriteReadAndStat)
{
    clock.set(5000);
    write_file("hello.txt", "hello, world");
    EXPECT_EQ(read_file("hello.txt"), "hello, world");
    auto stat = fs->stat(root(), "hello.txt");
    ASSERT_TRUE(stat);
    EXPECT_EQ(stat->type, InodeType::File);
    EXPECT_EQ(stat->size, 12u);
    EXPECT_EQ(stat->link_count, 1u);
    EXPECT_EQ(stat->modify_time, 5000u);
    EXPECT_NE(stat->inode, root().number());
    auto root_stat = fs->stat(root(), "/");
    ASSERT_TRUE(root_stat);
    EXPECT_EQ(root_stat->type, InodeType::Directory);
    EXPECT_EQ(root_stat->inode, root().number());
    EXPECT_EQ(fs->inode_count(), 2u);
}

TEST_F(FsTest, OpenFlags)
{
    EXPECT_EQ(error_of(fs->open(root(), "missing", {})), Errno::NoEnt);
    write_file("f", "abc");
    EXPECT_EQ(error_of(fs->open(root(), "f", OpenFlags { .create = true, .exclusive = true })), Errno::Exist);
    EXPECT_EQ(error_of(fs->open(root(), "f", OpenFlags { .directory = true })), Errno::NotDir);
    EXPECT_EQ(error_of(fs->open(root(), "f/", {})), Errno::NotDir);
    EXPECT_EQ(error_of(fs->open(root(), "new/", OpenFlags { .create = true })), Errno::IsDir);
    ASSERT_TRUE(fs->create_directory(root(), "d"));
    EXPECT_EQ(error_of(fs->open(root(), "d", OpenFlags { .truncate = true })), Errno::IsDir);
    auto truncated = must_open("f", OpenFlags { .truncate = true });
    EXPECT_EQ(truncated->size(), 0u);
    EXPECT_TRUE(must_open("d/", {})->is_directory());
    EXPECT_TRUE(must_open(".", OpenFlags { .directory = true })->is_directory());
}

TEST_F(FsTest, SparseGrowthReadsZeros)
{
    auto inode = must_open("sparse", OpenFlags { .create = true });
    File& file = as_file(inode);
    ASSERT_TRUE(fs->write(file, 3 * File::kChunkSize + 10, bytes_of("xyz")));
    EXPECT_EQ(file.size(), 3 * File::kChunkSize + 13);
    // Only the written chunk (and the chunk table) is stored.
    EXPECT_LT(file.storage_bytes(), 2 * File::kChunkSize);
    std::vector<u8> buffer(file.size() + 100, 0xee);
    EXPECT_EQ(file.read_at(0, Bytes(buffer.data(), buffer.size())), file.size());
    for (usize i = 0; i < 3 * File::kChunkSize + 10; ++i)
        ASSERT_EQ(buffer[i], 0) << i;
    EXPECT_EQ(buffer[3 * File::kChunkSize + 10], 'x');
    EXPECT_EQ(buffer[3 * File::kChunkSize + 12], 'z');
    EXPECT_EQ(buffer[3 * File::kChunkSize + 13], 0xee); // past the end: untouched

    ASSERT_TRUE(fs->set_size(file, 1ull << 30)); // a hole costs nothing
    EXPECT_LT(file.storage_bytes(), 2 * File::kChunkSize);
    u8 byte = 0xff;
    EXPECT_EQ(file.read_at((1ull << 30) - 1, Bytes(&byte, 1)), 1u);
    EXPECT_EQ(byte, 0);
    EXPECT_EQ(file.read_at(1ull << 30, Bytes(&byte, 1)), 0u);
}

// A fresh chunk is zeroed except where the write that made it lands: the bytes before the
// write inside the chunk, and after it up to the chunk's capacity (seen once the file grows).
TEST_F(FsTest, ChunkZeroingSkipsOnlyTheWrittenRange)
{
    allocator.poison_new_blocks = true;
    auto inode = must_open("f", OpenFlags { .create = true });
    File& file = as_file(inode);
    ASSERT_TRUE(fs->write(file, 5, bytes_of("ab")));   // chunk 0 small, bytes 0-4 a hole
    ASSERT_TRUE(fs->write(file, 100, bytes_of("cd"))); // chunk 0 grows: 7-99 a hole
    ASSERT_TRUE(fs->write(file, File::kChunkSize + 9, bytes_of("ef"))); // chunk 1 fresh
    ASSERT_TRUE(fs->set_size(file, 2 * File::kChunkSize));
    std::vector<u8> buffer(file.size(), 0xee);
    ASSERT_EQ(file.read_at(0, Bytes(buffer.data(), buffer.size())), file.size());
    std::string expected(file.size(), '\0');
    expected.replace(5, 2, "ab");
    expected.replace(100, 2, "cd");
    expected.replace(File::kChunkSize + 9, 2, "ef");
    for (usize i = 0; i < buffer.size(); ++i)
        ASSERT_EQ(buffer[i], static_cast<u8>(expected[i])) << i;
}

TEST_F(FsTest, ShrinkThenGrowReadsZeros)
{
    write_file("f", std::string(3 * File::kChunkSize, 'a'));
    auto inode = must_open("f");
    File& file = as_file(inode);
    ASSERT_TRUE(fs->set_size(file, 5));
    EXPECT_EQ(read_file("f"), "aaaaa");
    ASSERT_TRUE(fs->set_size(file, 2 * File::kChunkSize));
    std::string contents = read_file("f");
    EXPECT_EQ(contents.substr(0, 5), "aaaaa");
    EXPECT_EQ(contents.find('a', 5), std::string::npos);
    ASSERT_TRUE(fs->set_size(file, 0));
    EXPECT_EQ(file.storage_bytes(), 0u);
}

TEST_F(FsTest, LargeWritesRoundTripAcrossChunks)
{
    std::mt19937 random(7);
    std::string data(100000, '\0');
    for (char& c : data)
        c = static_cast<char>(random());
    auto inode = must_open("big", OpenFlags { .create = true });
    File& file = as_file(inode);
    // Write in uneven pieces, out of order.
    std::vector<std::pair<usize, usize>> pieces;
    for (usize offset = 0; offset < data.size();) {
        usize length = std::min<usize>(1 + random() % 9000, data.size() - offset);
        pieces.emplace_back(offset, length);
        offset += length;
    }
    std::shuffle(pieces.begin(), pieces.end(), random);
    for (auto [offset, length] : pieces)
        ASSERT_TRUE(fs->write(file, offset, bytes_of(std::string_view(data).substr(offset, length))));
    EXPECT_EQ(read_file("big"), data);
    for (int i = 0; i < 50; ++i) {
        usize offset = random() % data.size();
        usize length = random() % 10000;
        std::string part(length, '\0');
        usize count = file.read_at(offset, Bytes(reinterpret_cast<u8*>(part.data()), part.size()));
        EXPECT_EQ(count, std::min(length, data.size() - offset));
        EXPECT_EQ(part.substr(0, count), data.substr(offset, count));
    }
}

TEST_F(FsTest, OpenFileSurvivesUnlink)
{
    write_file("f", "still here");
    auto inode = must_open("f");
    auto open = OpenFile::create(inode, OpenMode { .read = true, .write = true });
    ASSERT_TRUE(open);
    inode = nullptr;
    ASSERT_TRUE(fs->unlink(root(), "f"));
    EXPECT_EQ(error_of(fs->resolve(root(), "f")), Errno::NoEnt);
    EXPECT_EQ((*open)->inode().link_count(), 0u);
    EXPECT_EQ(fs->inode_count(), 2u);
    char buffer[16] = {};
    auto count = (*open)->read(Bytes(reinterpret_cast<u8*>(buffer), sizeof buffer));
    ASSERT_TRUE(count);
    EXPECT_EQ(std::string(buffer, *count), "still here");
    EXPECT_TRUE((*open)->write(bytes_of("!")));
    EXPECT_EQ((*open)->inode().size(), 11u);
    *open = nullptr;
    EXPECT_EQ(fs->inode_count(), 1u);
    EXPECT_EQ(fs->bytes_used(), 0u);
}

TEST_F(FsTest, OpenFilePositionAppendAndRights)
{
    write_file("f", "0123456789");
    auto open = *OpenFile::create(must_open("f"), OpenMode { .read = true });
    u8 buffer[4];
    ASSERT_EQ(*open->read(Bytes(buffer, 4)), 4u);
    EXPECT_EQ(open->position(), 4u);
    EXPECT_EQ(*open->seek(-2, Whence::End), 8u);
    EXPECT_EQ(*open->read(Bytes(buffer, 4)), 2u);
    EXPECT_EQ(buffer[0], '8');
    EXPECT_EQ(error_of(open->seek(-1, Whence::Set)), Errno::Inval);
    EXPECT_EQ(*open->seek(100, Whence::Current), 110u);
    EXPECT_EQ(error_of(open->seek(INT64_MAX, Whence::Current)), Errno::Overflow);
    EXPECT_EQ(error_of(open->write(bytes_of("x"))), Errno::BadF);

    auto appender = *OpenFile::create(must_open("f"), OpenMode { .write = true, .append = true });
    ASSERT_TRUE(appender->write(bytes_of("ab")));
    EXPECT_EQ(appender->position(), 12u);
    EXPECT_EQ(error_of(appender->read(Bytes(buffer, 1))), Errno::BadF);
    EXPECT_EQ(read_file("f"), "0123456789ab");

    ASSERT_TRUE(fs->create_directory(root(), "d"));
    auto directory = *OpenFile::create(must_open("d"), OpenMode { .read = true });
    EXPECT_EQ(error_of(directory->read(Bytes(buffer, 1))), Errno::IsDir);
}

TEST_F(FsTest, DirectoriesAndTheirErrors)
{
    ASSERT_TRUE(fs->create_directory(root(), "a"));
    ASSERT_TRUE(fs->create_directory(root(), "a/b"));
    EXPECT_EQ(error_of(fs->create_directory(root(), "a")), Errno::Exist);
    EXPECT_EQ(error_of(fs->create_directory(root(), "x/y")), Errno::NoEnt);
    EXPECT_EQ(error_of(fs->create_directory(root(), ".")), Errno::Exist);
    write_file("a/file", "x");
    EXPECT_EQ(error_of(fs->create_directory(root(), "a/file/sub")), Errno::NotDir);
    EXPECT_EQ(error_of(fs->remove_directory(root(), "a")), Errno::NotEmpty);
    EXPECT_EQ(error_of(fs->remove_directory(root(), "a/file")), Errno::NotDir);
    EXPECT_EQ(error_of(fs->unlink(root(), "a/b")), Errno::IsDir);
    EXPECT_EQ(error_of(fs->remove_directory(root(), "a/b/.")), Errno::Inval);
    EXPECT_EQ(fs->stat(root(), "a")->link_count, 3u);
    EXPECT_EQ(root().link_count(), 3u);
    ASSERT_TRUE(fs->remove_directory(root(), "a/b"));
    EXPECT_EQ(fs->stat(root(), "a")->link_count, 2u);
    ASSERT_TRUE(fs->unlink(root(), "a/file"));
    ASSERT_TRUE(fs->remove_directory(root(), "a"));
    EXPECT_EQ(root().link_count(), 2u);
    EXPECT_EQ(fs->inode_count(), 1u);
    EXPECT_EQ(fs->bytes_used(), 0u);
}

TEST_F(FsTest, RemovedDirectoryRefusesNewEntries)
{
    auto directory = *fs->create_directory(root(), "gone");
    ASSERT_TRUE(fs->remove_directory(root(), "gone"));
    EXPECT_TRUE(directory->is_removed());
    EXPECT_EQ(error_of(fs->open_at(*directory, "f", OpenFlags { .create = true })), Errno::NoEnt);
    EXPECT_EQ(error_of(fs->create_directory_at(*directory, "d")), Errno::NoEnt);
    EXPECT_EQ(error_of(fs->symlink_at("x", *directory, "s")), Errno::NoEnt);
    EXPECT_EQ(error_of(fs->lookup_at(*directory, "..")), Errno::NoEnt);
    EXPECT_EQ(error_of(fs->resolve(*directory, "../x")), Errno::NoEnt);
    EXPECT_EQ(directory->link_count(), 0u);
}

TEST_F(FsTest, NamesAreChecked)
{
    EXPECT_EQ(error_of(fs->open_at(root(), "a/b", OpenFlags { .create = true })), Errno::Inval);
    EXPECT_EQ(error_of(fs->open_at(root(), "", OpenFlags { .create = true })), Errno::Inval);
    EXPECT_EQ(error_of(fs->open_at(root(), StringView("a\0b", 3), OpenFlags { .create = true })), Errno::Inval);
    std::string long_name(256, 'n');
    EXPECT_EQ(error_of(fs->open_at(root(), long_name, OpenFlags { .create = true })), Errno::NameTooLong);
    long_name.pop_back();
    EXPECT_TRUE(fs->open_at(root(), long_name, OpenFlags { .create = true }));
    std::string long_path;
    while (long_path.size() < kMaxPathLength)
        long_path += "./";
    EXPECT_EQ(error_of(fs->resolve(root(), long_path)), Errno::NameTooLong);
    EXPECT_EQ(error_of(fs->resolve(root(), "")), Errno::NoEnt);
}

struct Entry {
    u64 cookie;
    std::string name;
};

std::vector<Entry> read_entries(Directory& directory, u64 cookie, usize limit = ~usize { 0 })
{
    struct Collector final : DirectoryVisitor {
        std::vector<Entry> entries;
        usize limit;
        bool entry(u64 next, u64, InodeType, StringView name) override
        {
            entries.push_back({ next, std::string(name) });
            return entries.size() < limit;
        }
    } collector;
    collector.limit = limit;
    directory.read(cookie, collector);
    return collector.entries;
}

TEST_F(FsTest, ReaddirCookiesAreStable)
{
    for (const char* name : { "a", "b", "c", "d" })
        write_file(name, name);
    EXPECT_EQ(list(root()), (std::vector<std::string> { ".", "..", "a", "b", "c", "d" }));
    auto first = read_entries(root(), 0, 4); // ., .., a, b
    ASSERT_EQ(first.size(), 4u);
    EXPECT_EQ(first[3].name, "b");
    // Changes behind and ahead of the reader.
    ASSERT_TRUE(fs->unlink(root(), "a"));
    ASSERT_TRUE(fs->unlink(root(), "c"));
    write_file("e", "e");
    ASSERT_TRUE(fs->rename(root(), "e", "d")); // replaces d in place
    auto rest = read_entries(root(), first[3].cookie);
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].name, "d");
    EXPECT_EQ(read_file("d"), "e");
    EXPECT_TRUE(read_entries(root(), rest[0].cookie).empty());
    EXPECT_TRUE(read_entries(root(), ~u64 { 0 }).empty());
    auto dots = read_entries(root(), 1);
    ASSERT_FALSE(dots.empty());
    EXPECT_EQ(dots[0].name, "..");
}

TEST_F(FsTest, RenameFiles)
{
    write_file("a", "A");
    write_file("b", "B");
    auto held = must_open("b");
    ASSERT_TRUE(fs->rename(root(), "a", "b"));
    EXPECT_EQ(read_file("b"), "A");
    EXPECT_EQ(error_of(fs->resolve(root(), "a")), Errno::NoEnt);
    EXPECT_EQ(held->link_count(), 0u); // replaced but still open
    EXPECT_EQ(as_file(held).size(), 1u);
    EXPECT_EQ(error_of(fs->rename(root(), "missing", "x")), Errno::NoEnt);
    ASSERT_TRUE(fs->create_directory(root(), "d"));
    EXPECT_EQ(error_of(fs->rename(root(), "b", "d")), Errno::IsDir);
    ASSERT_TRUE(fs->rename(root(), "b", "d/moved"));
    EXPECT_EQ(read_file("d/moved"), "A");
    EXPECT_EQ(error_of(fs->rename(root(), "d/moved", "nowhere/x")), Errno::NoEnt);
    EXPECT_EQ(read_file("d/moved"), "A");
}

TEST_F(FsTest, RenameOntoAnotherNameOfTheSameFileDoesNothing)
{
    write_file("a", "A");
    ASSERT_TRUE(fs->link(root(), "a", "b"));
    ASSERT_TRUE(fs->rename(root(), "a", "b"));
    EXPECT_EQ(read_file("a"), "A");
    EXPECT_EQ(read_file("b"), "A");
    EXPECT_EQ(fs->stat(root(), "a")->link_count, 2u);
    ASSERT_TRUE(fs->rename(root(), "a", "a"));
    EXPECT_EQ(read_file("a"), "A");
}

TEST_F(FsTest, RenameDirectories)
{
    ASSERT_TRUE(fs->create_directory(root(), "src"));
    ASSERT_TRUE(fs->create_directory(root(), "src/inner"));
    write_file("src/inner/f", "deep");
    ASSERT_TRUE(fs->create_directory(root(), "empty"));
    ASSERT_TRUE(fs->create_directory(root(), "full"));
    write_file("full/x", "x");
    write_file("file", "");

    EXPECT_EQ(error_of(fs->rename(root(), "src", "src/inner/here")), Errno::Inval);
    EXPECT_EQ(error_of(fs->rename(root(), "src", "src/here")), Errno::Inval);
    EXPECT_EQ(error_of(fs->rename(root(), "src", "full")), Errno::NotEmpty);
    EXPECT_EQ(error_of(fs->rename(root(), "src", "file")), Errno::NotDir);
    EXPECT_EQ(error_of(fs->rename(root(), "src/.", "x")), Errno::Inval);

    auto empty = must_open("empty");
    ASSERT_TRUE(fs->rename(root(), "src", "empty")); // atomic replace of an empty directory
    EXPECT_TRUE(as_directory(empty).is_removed());
    EXPECT_EQ(read_file("empty/inner/f"), "deep");
    EXPECT_EQ(error_of(fs->resolve(root(), "src")), Errno::NoEnt);
    EXPECT_EQ(root().link_count(), 2u + 2u); // empty (was src) and full

    ASSERT_TRUE(fs->rename(root(), "empty", "full/moved"));
    auto moved = must_open("full/moved");
    EXPECT_EQ(as_directory(moved).parent(), fs->resolve(root(), "full")->get());
    EXPECT_EQ(read_file("full/moved/inner/../inner/f"), "deep");
    EXPECT_EQ(fs->stat(root(), "full")->link_count, 3u);
    EXPECT_EQ(root().link_count(), 3u);
    auto up = fs->resolve(as_directory(moved), "..");
    ASSERT_TRUE(up);
    EXPECT_EQ(up->get(), fs->resolve(root(), "full")->get());
}

TEST_F(FsTest, HardLinks)
{
    write_file("a", "shared");
    ASSERT_TRUE(fs->link(root(), "a", "b"));
    EXPECT_EQ(fs->stat(root(), "b")->link_count, 2u);
    EXPECT_EQ(fs->stat(root(), "a")->inode, fs->stat(root(), "b")->inode);
    EXPECT_EQ(error_of(fs->link(root(), "a", "b")), Errno::Exist);
    ASSERT_TRUE(fs->create_directory(root(), "d"));
    EXPECT_EQ(error_of(fs->link(root(), "d", "d2")), Errno::Perm);
    ASSERT_TRUE(fs->unlink(root(), "a"));
    EXPECT_EQ(read_file("b"), "shared");
    EXPECT_EQ(fs->stat(root(), "b")->link_count, 1u);
}

TEST_F(FsTest, SymlinksResolveAndReadlink)
{
    ASSERT_TRUE(fs->create_directory(root(), "dir"));
    write_file("dir/target", "T");
    ASSERT_TRUE(fs->symlink("dir/target", root(), "rel"));
    ASSERT_TRUE(fs->symlink("/dir", root(), "abs"));
    ASSERT_TRUE(fs->symlink("../dir/target", root(), "dir/up"));
    ASSERT_TRUE(fs->symlink("nowhere", root(), "dangling"));
    EXPECT_EQ(read_file("rel"), "T");
    EXPECT_EQ(read_file("abs/target"), "T");
    EXPECT_EQ(read_file("dir/up"), "T");
    EXPECT_EQ(read_file("abs/up"), "T");
    EXPECT_EQ(*fs->readlink(root(), "rel"), "dir/target");
    EXPECT_EQ(error_of(fs->readlink(root(), "dir/target")), Errno::Inval);
    EXPECT_EQ(error_of(fs->resolve(root(), "dangling")), Errno::NoEnt);
    EXPECT_EQ(fs->stat(root(), "rel", ResolveOptions { .follow_final = false })->type, InodeType::Symlink);
    EXPECT_EQ(fs->stat(root(), "rel")->type, InodeType::File);
    EXPECT_TRUE(fs->stat(root(), "abs/")->type == InodeType::Directory);
    EXPECT_EQ(error_of(fs->open_at(root(), "rel", {})), Errno::Loop);
    // Creating through a dangling symlink creates its target.
    ASSERT_TRUE(fs->open(root(), "dangling", OpenFlags { .create = true }));
    EXPECT_TRUE(fs->resolve(root(), "nowhere"));
    EXPECT_EQ(error_of(fs->open(root(), "rel", OpenFlags { .create = true, .exclusive = true })), Errno::Exist);
    EXPECT_EQ(error_of(fs->symlink("", root(), "empty")), Errno::NoEnt);
    EXPECT_EQ(error_of(fs->symlink("x", root(), "rel")), Errno::Exist);
    // unlink removes the link, not the target.
    ASSERT_TRUE(fs->unlink(root(), "rel"));
    EXPECT_EQ(read_file("dir/target"), "T");
}

TEST_F(FsTest, SymlinkLoopsEndInLoop)
{
    ASSERT_TRUE(fs->symlink("self", root(), "self"));
    ASSERT_TRUE(fs->symlink("b", root(), "a"));
    ASSERT_TRUE(fs->symlink("a", root(), "b"));
    ASSERT_TRUE(fs->symlink("loop/loop/loop", root(), "loop"));
    ASSERT_TRUE(fs->symlink(".", root(), "dot"));
    EXPECT_EQ(error_of(fs->resolve(root(), "self")), Errno::Loop);
    EXPECT_EQ(error_of(fs->resolve(root(), "a")), Errno::Loop);
    EXPECT_EQ(error_of(fs->resolve(root(), "a/x")), Errno::Loop);
    EXPECT_EQ(error_of(fs->resolve(root(), "loop")), Errno::Loop);
    EXPECT_EQ(error_of(fs->open(root(), "a", OpenFlags { .create = true })), Errno::Loop);
    // A chain of exactly kMaxSymlinkExpansions links resolves; one more does not.
    write_file("end", "end");
    std::string previous = "end";
    for (u32 i = 0; i < kMaxSymlinkExpansions; ++i) {
        std::string name = "chain" + std::to_string(i);
        ASSERT_TRUE(fs->symlink(previous, root(), name));
        previous = name;
    }
    EXPECT_EQ(read_file(previous), "end");
    ASSERT_TRUE(fs->symlink(previous, root(), "too_far"));
    EXPECT_EQ(error_of(fs->resolve(root(), "too_far")), Errno::Loop);
    // Growing expansions end in NameTooLong or Loop, never run away.
    std::string dots = "dot";
    for (int i = 0; i < 30; ++i)
        dots += "/dot";
    EXPECT_TRUE(fs->resolve(root(), dots));
    ASSERT_TRUE(fs->symlink("grow/grow/grow/grow", root(), "grow"));
    auto grown = fs->resolve(root(), "grow");
    EXPECT_TRUE(!grown && (grown.error() == Errno::Loop || grown.error() == Errno::NameTooLong));
}

// The kernel's own walk is not contained: "..", absolute paths and symlinks go where they
// lead ("/.." is "/"). Containment is the WASI layer's (tests/wasi/path_test.cpp).
TEST_F(FsTest, PathsLeaveTheStartingDirectory)
{
    ASSERT_TRUE(fs->create_directory(root(), "outside"));
    write_file("outside/secret", "secret");
    auto jail = *fs->create_directory(root(), "jail");
    ASSERT_TRUE(fs->symlink("../outside/secret", root(), "jail/up"));
    ASSERT_TRUE(fs->symlink("/outside/secret", root(), "jail/absolute"));
    EXPECT_EQ(read_file("jail/up"), "secret");
    EXPECT_TRUE(fs->resolve(*jail, "..//../../outside/secret"));
    EXPECT_TRUE(fs->resolve(*jail, "/outside/secret"));
    auto absolute = fs->resolve(*jail, "absolute");
    ASSERT_TRUE(absolute);
    EXPECT_TRUE((*absolute)->is_file());
}

TEST_F(FsTest, ResolveParentNames)
{
    ASSERT_TRUE(fs->create_directory(root(), "a"));
    auto parent = fs->resolve_parent(root(), "a/b/");
    ASSERT_TRUE(parent);
    EXPECT_EQ(parent->name, "b");
    EXPECT_TRUE(parent->must_be_directory);
    parent = fs->resolve_parent(root(), "a/..");
    ASSERT_TRUE(parent);
    EXPECT_EQ(parent->name, ".");
    EXPECT_EQ(parent->directory.get(), &root());
    parent = fs->resolve_parent(root(), "//");
    ASSERT_TRUE(parent);
    EXPECT_EQ(parent->name, ".");
    EXPECT_EQ(parent->directory.get(), &root());
    EXPECT_EQ(error_of(fs->resolve_parent(root(), "missing/x")), Errno::NoEnt);
    // ".." at the root stays at the root.
    EXPECT_EQ(fs->resolve(root(), "/../../a")->get(), fs->resolve(root(), "a")->get());
}

// The kernel's own path operations answer a trailing slash as Linux does (the table in
// docs/wasi.md): "name/" is a directory; creating or removing acts on a final link.
TEST_F(FsTest, TrailingSlashAnswersAsLinux)
{
    ASSERT_TRUE(fs->create_directory(root(), "d"));
    ASSERT_TRUE(fs->create_directory(root(), "d2"));
    write_file("f", "F");
    write_file("f2", "G");
    ASSERT_TRUE(fs->symlink("f", root(), "sl"));
    ASSERT_TRUE(fs->symlink("d", root(), "sd"));
    ASSERT_TRUE(fs->symlink("missing", root(), "dl"));
    auto exists = [&](StringView path) { return fs->stat(root(), path, ResolveOptions { .follow_final = false }).has_value(); };

    EXPECT_EQ(error_of(fs->open(root(), "f/", {})), Errno::NotDir);
    EXPECT_EQ(error_of(fs->open(root(), "sl/", {})), Errno::NotDir);
    EXPECT_TRUE(fs->open(root(), "sd/", {}));
    for (const char* path : { "missing/", "f/", "dl/", "d/" })
        EXPECT_EQ(error_of(fs->open(root(), path, OpenFlags { .create = true })), Errno::IsDir) << path;
    EXPECT_FALSE(exists("missing"));

    EXPECT_EQ(error_of(fs->create_directory(root(), "dl/")), Errno::Exist);
    EXPECT_FALSE(exists("missing"));
    ASSERT_TRUE(fs->create_directory(root(), "new/"));
    EXPECT_EQ(error_of(fs->remove_directory(root(), "sd/")), Errno::NotDir);
    EXPECT_TRUE(exists("d"));
    EXPECT_EQ(error_of(fs->remove_directory(root(), "f/")), Errno::NotDir);
    ASSERT_TRUE(fs->remove_directory(root(), "new/"));
    EXPECT_EQ(error_of(fs->unlink(root(), "sd/")), Errno::NotDir);
    EXPECT_EQ(error_of(fs->unlink(root(), "f/")), Errno::NotDir);

    EXPECT_EQ(error_of(fs->rename(root(), "f", "g/")), Errno::NotDir);
    EXPECT_EQ(error_of(fs->rename(root(), "sd/", "x")), Errno::NotDir);
    EXPECT_EQ(error_of(fs->rename(root(), "d2", "sd/")), Errno::NotDir);
    EXPECT_FALSE(exists("g"));
    EXPECT_FALSE(exists("x"));
    ASSERT_TRUE(fs->rename(root(), "d2/", "nd/"));
    EXPECT_TRUE(exists("nd"));

    EXPECT_EQ(error_of(fs->link(root(), "f", "link/")), Errno::NoEnt);
    EXPECT_FALSE(exists("link"));
    EXPECT_EQ(error_of(fs->link(root(), "f", "f2/")), Errno::Exist);
    EXPECT_EQ(error_of(fs->link(root(), "f", "dl/")), Errno::Exist);
    EXPECT_EQ(error_of(fs->link(root(), "f/", "l2")), Errno::NotDir);
    EXPECT_EQ(error_of(fs->link(root(), "sl/", "l2")), Errno::NotDir);
    EXPECT_EQ(error_of(fs->link(root(), "d/", "l2")), Errno::Perm);
    EXPECT_FALSE(exists("l2"));
    EXPECT_EQ(error_of(fs->symlink("f", root(), "s/")), Errno::NoEnt);
    EXPECT_EQ(error_of(fs->symlink("f", root(), "dl/")), Errno::Exist);
    EXPECT_FALSE(exists("missing"));
    EXPECT_EQ(error_of(fs->readlink(root(), "sl/")), Errno::NotDir);
    EXPECT_EQ(error_of(fs->readlink(root(), "sd/")), Errno::Inval);
    EXPECT_EQ(error_of(fs->stat(root(), "sl/", ResolveOptions { .follow_final = false })), Errno::NotDir);
}

TEST_F(FsTest, TimesFollowTheClock)
{
    clock.set(100);
    write_file("f", "x");
    auto inode = must_open("f");
    EXPECT_EQ(inode->modify_time(), 100u);
    clock.set(200);
    ASSERT_TRUE(fs->write(as_file(inode), 1, bytes_of("y")));
    EXPECT_EQ(inode->modify_time(), 200u);
    EXPECT_EQ(inode->access_time(), 100u);
    EXPECT_EQ(root().modify_time(), 100u);
    clock.set(300);
    ASSERT_TRUE(fs->set_times(*inode, TimeUpdate { TimeUpdate::Kind::Set, 42 }, TimeUpdate { TimeUpdate::Kind::Now }));
    EXPECT_EQ(inode->access_time(), 42u);
    EXPECT_EQ(inode->modify_time(), 300u);
    EXPECT_EQ(inode->change_time(), 300u);
    clock.set(400);
    write_file("g", "");
    EXPECT_EQ(root().modify_time(), 400u);
}

TEST_F(FsTest, InodeLimitIsNoSpc)
{
    make(Limits { .max_bytes = 1 << 20, .max_inodes = 4 });
    write_file("a", "");
    ASSERT_TRUE(fs->create_directory(root(), "b"));
    ASSERT_TRUE(fs->symlink("a", root(), "c"));
    EXPECT_EQ(error_of(fs->open(root(), "d", OpenFlags { .create = true })), Errno::NoSpc);
    EXPECT_EQ(error_of(fs->create_directory(root(), "d")), Errno::NoSpc);
    EXPECT_EQ(error_of(fs->symlink("a", root(), "d")), Errno::NoSpc);
    EXPECT_EQ(error_of(fs->resolve(root(), "d")), Errno::NoEnt);
    ASSERT_TRUE(fs->link(root(), "a", "d")); // a link needs no inode
    ASSERT_TRUE(fs->unlink(root(), "c"));
    EXPECT_TRUE(fs->symlink("a", root(), "c"));
}

TEST_F(FsTest, ByteLimitIsNoSpcAndRecovers)
{
    make(Limits { .max_bytes = 64 * 1024, .max_inodes = 100 });
    auto inode = must_open("f", OpenFlags { .create = true });
    std::string chunk(1000, 'z');
    usize total = 0;
    while (true) {
        auto written = fs->write(as_file(inode), total, bytes_of(chunk));
        if (!written) {
            EXPECT_EQ(written.error(), Errno::NoSpc);
            break;
        }
        total += *written;
        ASSERT_LT(total, 64u * 1024);
    }
    EXPECT_GT(total, 50u * 1024);
    EXPECT_LE(fs->bytes_used(), 64u * 1024);
    EXPECT_EQ(as_file(inode).size(), total); // a failed write does not change the size
    EXPECT_EQ(error_of(fs->write(as_file(inode), 1ull << 39, bytes_of("x"))), Errno::NoSpc); // chunk table too big
    EXPECT_EQ(error_of(fs->write(as_file(inode), (1ull << 40) - 1, bytes_of("xy"))), Errno::FBig);
    EXPECT_EQ(error_of(fs->write(as_file(inode), ~u64 { 0 }, bytes_of("x"))), Errno::FBig);
    EXPECT_EQ(error_of(fs->set_size(as_file(inode), (1ull << 40) + 1)), Errno::FBig);
    // Names cost bytes too: many links cannot exceed the limit.
    ASSERT_TRUE(fs->set_size(as_file(inode), 0));
    int links = 0;
    while (fs->link(root(), "f", "link" + std::to_string(links)))
        ++links;
    EXPECT_GT(links, 100);
    EXPECT_LE(fs->bytes_used(), 64u * 1024);
    inode = nullptr;
    for (int i = 0; i < links; ++i)
        ASSERT_TRUE(fs->unlink(root(), "link" + std::to_string(i)));
    ASSERT_TRUE(fs->unlink(root(), "f"));
    EXPECT_EQ(fs->bytes_used(), 0u);
    EXPECT_EQ(fs->inode_count(), 1u);
}

// Every allocation the file system makes may fail; each failure must surface as an error
// and leave nothing leaked (CheckingAllocator checks at the end of the test).
TEST_F(FsTest, AllocationFailuresAtEveryStep)
{
    auto scenario = [&](FileSystem& system) -> bool {
        Directory& top = system.root();
        bool ok = true;
        ok &= bool(system.create_directory(top, "d"));
        auto file = system.open(top, "d/f", OpenFlags { .create = true });
        ok &= bool(file);
        if (file) {
            std::string data(3 * File::kChunkSize, 'q');
            ok &= bool(system.write(as_file(*file), 10, bytes_of(data)));
            ok &= bool(system.set_size(as_file(*file), 5));
        }
        ok &= bool(system.symlink("d/f", top, "s"));
        ok &= bool(system.link(top, "d/f", "h"));
        ok &= bool(system.rename(top, "h", "d/h2"));
        ok &= bool(system.resolve(top, "s"));
        ok &= bool(system.readlink(top, "s"));
        ok &= bool(system.unlink(top, "d/h2"));
        return ok;
    };
    bool completed = false;
    for (usize budget = 0; budget < 500 && !completed; ++budget) {
        fs = nullptr;
        allocator.allow_all();
        auto made = FileSystem::create({}, &clock, &allocator);
        allocator.fail_after(budget);
        if (!made)
            continue;
        RefPtr<FileSystem> system = std::move(*made);
        completed = scenario(*system);
        allocator.allow_all();
        system = nullptr;
        EXPECT_EQ(allocator.live_blocks(), 0u) << "budget " << budget;
    }
    EXPECT_TRUE(completed);
    allocator.allow_all();
    make();
}

TEST_F(FsTest, DeepTreeTearsDownWithoutRecursion)
{
    make(Limits { .max_bytes = 1ull << 30, .max_inodes = 1ull << 20 });
    RefPtr<Directory> directory = fs->root_ref();
    for (int depth = 0; depth < 100000; ++depth) {
        auto child = fs->create_directory_at(*directory, "d");
        ASSERT_TRUE(child);
        directory = std::move(*child);
    }
    write_file("d/d/d/f", "f");
    directory = nullptr;
    EXPECT_EQ(fs->inode_count(), 100002u);
    fs = nullptr; // would overflow the stack if destruction recursed
}

TEST_F(FsTest, RandomOperationsKeepAccountingConsistent)
{
    make(Limits { .max_bytes = 256 * 1024, .max_inodes = 64 });
    std::mt19937 random(1234);
    const char* names[] = { "a", "b", "c", "d/a", "d/b", "e/f/g", "d", "e", "e/f", "s" };
    for (int step = 0; step < 20000; ++step) {
        StringView x = names[random() % std::size(names)];
        StringView y = names[random() % std::size(names)];
        switch (random() % 9) {
        case 0: (void)fs->create_directory(root(), x); break;
        case 1: (void)fs->remove_directory(root(), x); break;
        case 2: (void)fs->unlink(root(), x); break;
        case 3: (void)fs->rename(root(), x, y); break;
        case 4: (void)fs->link(root(), x, y); break;
        case 5: (void)fs->symlink(y, root(), x); break;
        case 6: {
            auto file = fs->open(root(), x, OpenFlags { .create = true });
            if (file && (*file)->is_file()) {
                std::string data(random() % 20000, 'w');
                (void)fs->write(as_file(*file), random() % 30000, bytes_of(data));
                if (random() % 4 == 0)
                    (void)fs->set_size(as_file(*file), random() % 50000);
            }
            break;
        }
        case 7: (void)fs->resolve(root(), x); break;
        case 8: (void)fs->resolve(root(), "d/../e/./f/../../s/x"); break;
        }
        ASSERT_LE(fs->bytes_used(), 256u * 1024);
        ASSERT_LE(fs->inode_count(), 64u);
    }
}

TEST(ErrnoTest, GenericErrorsCarryAKindAndText)
{
    EXPECT_EQ(to_error(Errno::NoSpc).kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(to_error(Errno::Inval).kind(), ErrorKind::Invalid);
    EXPECT_EQ(to_error(Errno::NameTooLong).kind(), ErrorKind::OutOfRange);
    EXPECT_EQ(to_error(Errno::NoEnt).kind(), ErrorKind::Io);
    EXPECT_STREQ(to_error(Errno::NoEnt).message(), "no such file or directory");
}

} // namespace
} // namespace wk::kernel::fs::test
