#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

#include "base/string.h"
#include "kernel/fs/ustar.h"
#include "kernel/fs/ustar_writer.h"
#include "tests/unit/fs/fs_test_support.h"

namespace wk::kernel::fs::test {
namespace {

namespace stdfs = std::filesystem;

ReadonlyBytes bytes_of(std::string_view text) { return ReadonlyBytes(reinterpret_cast<const u8*>(text.data()), text.size()); }

std::string message_of(const UstarError& error)
{
    StringBuilder text;
    error.write_to(text);
    return std::string(text.view());
}

// A directory tree made on the host and archived with Debian's tar at test time.
class HostTree {
public:
    HostTree()
    {
        char pattern[] = "/tmp/wk-fs-test-XXXXXX";
        char* made = mkdtemp(pattern);
        EXPECT_NE(made, nullptr);
        m_root = made ? made : "/tmp";
    }
    ~HostTree() { stdfs::remove_all(m_root); }

    stdfs::path path(const std::string& relative) const { return m_root / "tree" / relative; }
    void file(const std::string& relative, const std::string& contents)
    {
        stdfs::create_directories(path(relative).parent_path());
        std::ofstream(path(relative), std::ios::binary) << contents;
    }
    void directory(const std::string& relative) { stdfs::create_directories(path(relative)); }
    void symlink(const std::string& target, const std::string& relative) { stdfs::create_symlink(target, path(relative)); }
    void hard_link(const std::string& existing, const std::string& relative) { stdfs::create_hard_link(path(existing), path(relative)); }

    // Runs tar over the tree with `options`; the archive's bytes.
    std::vector<u8> archive(const std::string& options) const
    {
        stdfs::path output = m_root / "archive.tar";
        std::string command = "tar " + options + " -C '" + (m_root / "tree").string() + "' -cf '" + output.string() + "' . 2>/dev/null";
        EXPECT_EQ(std::system(command.c_str()), 0) << command;
        std::ifstream input(output, std::ios::binary);
        return std::vector<u8>(std::istreambuf_iterator<char>(input), {});
    }

    stdfs::path root() const { return m_root; }

private:
    stdfs::path m_root;
};

class UstarTest : public FsTest {
protected:
    UstarResult load(Span<const u8> archive, Limits limits = {})
    {
        make(limits);
        log = StringBuilder();
        return load_ustar(*fs, root(), archive, &log);
    }

    std::string error_text(Span<const u8> archive)
    {
        auto result = load(archive);
        EXPECT_FALSE(result.has_value());
        return result ? "" : message_of(result.error());
    }

    void check_tree()
    {
        EXPECT_EQ(read_file("hello.txt"), "hello from tar\n");
        EXPECT_EQ(read_file("empty"), "");
        EXPECT_EQ(read_file("bin/big.wasm"), big_contents);
        EXPECT_EQ(read_file("a/b/c/deep.txt"), "deep");
        EXPECT_EQ(read_file("a/link_to_hello"), "hello from tar\n");
        auto target = fs->readlink(root(), "a/absolute_link");
        ASSERT_TRUE(target);
        EXPECT_EQ(*target, "/absolute/elsewhere");
        EXPECT_EQ(read_file("a/hard_hello"), "hello from tar\n");
        EXPECT_EQ(fs->stat(root(), "hello.txt")->link_count, 2u);
        EXPECT_EQ(fs->stat(root(), "empty_dir")->type, InodeType::Directory);
        std::string long_path = std::string(120, 'L') + "/" + std::string(150, 'n') + ".txt";
        EXPECT_EQ(read_file(long_path), "long name");
    }

    void fill_tree(HostTree& tree)
    {
        std::mt19937 random(99);
        big_contents.assign(200000, '\0');
        for (char& c : big_contents)
            c = static_cast<char>(random());
        tree.file("hello.txt", "hello from tar\n");
        tree.file("empty", "");
        tree.file("bin/big.wasm", big_contents);
        tree.file("a/b/c/deep.txt", "deep");
        tree.directory("empty_dir");
        tree.symlink("../hello.txt", "a/link_to_hello");
        tree.symlink("/absolute/elsewhere", "a/absolute_link");
        tree.hard_link("hello.txt", "a/hard_hello");
        tree.file(std::string(120, 'L') + "/" + std::string(150, 'n') + ".txt", "long name");
    }

    std::string big_contents;

    StringBuilder log;
};

TEST_F(UstarTest, LoadsWhatGnuTarWrites)
{
    HostTree tree;
    fill_tree(tree);
    ASSERT_EQ(mkfifo(tree.path("a/fifo").c_str(), 0644), 0);
    for (const char* format : { "--format=gnu", "--format=pax", "--format=posix" }) {
        SCOPED_TRACE(format);
        auto archive = tree.archive(format);
        ASSERT_GT(archive.size(), 200000u);
        auto result = load(archive);
        ASSERT_TRUE(result.has_value()) << message_of(result.error());
        check_tree();
        EXPECT_EQ(result->hard_links, 1u);
        EXPECT_EQ(result->symlinks, 2u);
        EXPECT_EQ(result->skipped, 1u); // the fifo
        EXPECT_NE(std::string(log.view()).find("fifo"), std::string::npos) << std::string(log.view());
        EXPECT_GE(result->file_bytes, 200000u);
    }
}

TEST_F(UstarTest, LoadsPlainUstarAndKeepsTimes)
{
    HostTree tree;
    tree.file("x/y.txt", "why");
    tree.file(std::string(90, 'p') + "/" + std::string(90, 'q'), "split by prefix");
    ASSERT_EQ(std::system(("touch -d @1700000000 '" + tree.path("x/y.txt").string() + "'").c_str()), 0);
    auto archive = tree.archive("--format=ustar");
    auto result = load(archive);
    ASSERT_TRUE(result.has_value()) << message_of(result.error());
    EXPECT_EQ(read_file("x/y.txt"), "why");
    EXPECT_EQ(read_file(std::string(90, 'p') + "/" + std::string(90, 'q')), "split by prefix");
    EXPECT_EQ(fs->stat(root(), "x/y.txt")->modify_time, 1700000000ull * 1000000000);
}

TEST_F(UstarTest, WriterRoundTrip)
{
    UstarWriter writer;
    ASSERT_TRUE(writer.add_directory("etc", 5));
    ASSERT_TRUE(writer.add_file("etc/motd", bytes_of("welcome\n"), 7));
    ASSERT_TRUE(writer.add_symlink("motd", "etc/motd"));
    ASSERT_TRUE(writer.add_hard_link("etc/again", "etc/motd"));
    ASSERT_TRUE(writer.add_file("implicit/parents/file", bytes_of("p")));
    ASSERT_TRUE(writer.finish());
    auto result = load(writer.bytes());
    ASSERT_TRUE(result.has_value()) << message_of(result.error());
    EXPECT_EQ(read_file("motd"), "welcome\n");
    EXPECT_EQ(read_file("etc/again"), "welcome\n");
    EXPECT_EQ(read_file("implicit/parents/file"), "p");
    EXPECT_EQ(fs->stat(root(), "etc/motd")->modify_time, 7000000000u);
    EXPECT_EQ(result->files, 2u);
    EXPECT_EQ(result->directories, 3u); // etc and two implicit parents
}

TEST_F(UstarTest, DuplicateEntries)
{
    UstarWriter writer;
    ASSERT_TRUE(writer.add_file("f", bytes_of("first")));
    ASSERT_TRUE(writer.add_file("f", bytes_of("second")));
    ASSERT_TRUE(writer.add_directory("d"));
    ASSERT_TRUE(writer.add_directory("d/"));
    ASSERT_TRUE(writer.add_symlink("d/s", "f"));
    ASSERT_TRUE(writer.add_file("d/s", bytes_of("file replaces symlink")));
    ASSERT_TRUE(writer.add_hard_link("f", "f"));
    ASSERT_TRUE(writer.finish());
    auto result = load(writer.bytes());
    ASSERT_TRUE(result.has_value()) << message_of(result.error());
    EXPECT_EQ(read_file("f"), "second");
    EXPECT_EQ(read_file("d/s"), "file replaces symlink");
    EXPECT_EQ(fs->stat(root(), "f")->link_count, 1u);

    UstarWriter conflict;
    ASSERT_TRUE(conflict.add_file("x", bytes_of("file")));
    ASSERT_TRUE(conflict.add_directory("x"));
    ASSERT_TRUE(conflict.finish());
    EXPECT_EQ(error_text(conflict.bytes()), "entry 'x' at offset 1024: directory entry where an earlier entry made a non-directory");

    UstarWriter reverse;
    ASSERT_TRUE(reverse.add_directory("x"));
    ASSERT_TRUE(reverse.add_file("x", bytes_of("file")));
    ASSERT_TRUE(reverse.finish());
    EXPECT_EQ(error_text(reverse.bytes()), "entry 'x' at offset 512: non-directory entry where an earlier entry made a directory");
}

TEST_F(UstarTest, PathsThatWouldEscapeAreRejected)
{
    struct Case {
        const char* path;
        const char* message;
    } cases[] = {
        { "../evil", "entry path has a '..' component" },
        { "a/../../evil", "entry path has a '..' component" },
        { "/etc/passwd", "entry has an absolute path" },
        { "", "entry has an empty name" },
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.path);
        UstarWriter writer;
        ASSERT_TRUE(writer.add_file(c.path, bytes_of("x")));
        ASSERT_TRUE(writer.finish());
        std::string text = error_text(writer.bytes());
        EXPECT_NE(text.find(c.message), std::string::npos) << text;
        EXPECT_NE(text.find("offset 0"), std::string::npos) << text;
        EXPECT_EQ(fs->inode_count(), 1u);
    }

    // A symlink pointing out, then an entry through it.
    UstarWriter writer;
    ASSERT_TRUE(writer.add_symlink("escape", "/tmp"));
    ASSERT_TRUE(writer.add_file("escape/owned", bytes_of("x")));
    ASSERT_TRUE(writer.finish());
    EXPECT_EQ(error_text(writer.bytes()), "entry 'escape/owned' at offset 512: a parent of the entry is a symbolic link");

    UstarWriter through_file;
    ASSERT_TRUE(through_file.add_file("plain", bytes_of("x")));
    ASSERT_TRUE(through_file.add_file("plain/child", bytes_of("x")));
    ASSERT_TRUE(through_file.finish());
    EXPECT_NE(error_text(through_file.bytes()).find("a parent of the entry is not a directory"), std::string::npos);
}

TEST_F(UstarTest, HardLinkErrors)
{
    UstarWriter missing;
    ASSERT_TRUE(missing.add_hard_link("link", "nothing"));
    ASSERT_TRUE(missing.finish());
    EXPECT_NE(error_text(missing.bytes()).find("not in the archive before the link"), std::string::npos);

    UstarWriter directory;
    ASSERT_TRUE(directory.add_directory("d"));
    ASSERT_TRUE(directory.add_hard_link("link", "d"));
    ASSERT_TRUE(directory.finish());
    EXPECT_NE(error_text(directory.bytes()).find("hard link to a directory"), std::string::npos);

    UstarWriter escape;
    ASSERT_TRUE(escape.add_hard_link("link", "../outside"));
    ASSERT_TRUE(escape.finish());
    EXPECT_NE(error_text(escape.bytes()).find("'..'"), std::string::npos);
}

std::vector<u8> small_archive()
{
    UstarWriter writer;
    EXPECT_TRUE(writer.add_file("name", bytes_of("contents")));
    EXPECT_TRUE(writer.finish());
    return std::vector<u8>(writer.bytes().begin(), writer.bytes().end());
}

TEST_F(UstarTest, MalformedHeaders)
{
    auto archive = small_archive();
    EXPECT_EQ(error_text(Span<const u8>()), "header at offset 0: archive ends without an end-of-archive block");
    EXPECT_EQ(error_text(Span<const u8>(archive.data(), 100)), "header at offset 0: archive ends inside a header");
    EXPECT_EQ(error_text(Span<const u8>(archive.data(), 1024)), "header at offset 1024: archive ends without an end-of-archive block");
    EXPECT_EQ(error_text(Span<const u8>(archive.data(), 515)), "entry 'name' at offset 0: entry data runs past the end of the archive");

    auto bad = archive;
    bad[0] = 'N';
    EXPECT_EQ(error_text(bad), "entry 'Name' at offset 0: header checksum does not match");

    bad = archive;
    bad[257] = 'X';
    UstarWriter::fix_checksum(bad, 0);
    EXPECT_EQ(error_text(bad), "entry 'name' at offset 0: not a ustar header (bad magic)");

    bad = archive;
    bad[124] = '9';
    UstarWriter::fix_checksum(bad, 0);
    EXPECT_EQ(error_text(bad), "entry 'name' at offset 0: size field is not a number");

    bad = archive;
    for (usize i = 124; i < 136; ++i)
        bad[i] = '7'; // 8 GiB - 1, far past the end
    UstarWriter::fix_checksum(bad, 0);
    EXPECT_EQ(error_text(bad), "entry 'name' at offset 0: entry data runs past the end of the archive");

    bad = archive;
    bad[124] = 0x80; // base-256: 2^88 - 1 does not fit
    for (usize i = 125; i < 136; ++i)
        bad[i] = 0xff;
    UstarWriter::fix_checksum(bad, 0);
    EXPECT_EQ(error_text(bad), "entry 'name' at offset 0: size field is not a number");

    bad = archive;
    bad[124] = 0xff; // negative base-256
    UstarWriter::fix_checksum(bad, 0);
    EXPECT_EQ(error_text(bad), "entry 'name' at offset 0: size field is not a number");

    // A name that fills its field has no NUL; it ends at the field.
    bad = archive;
    for (usize i = 0; i < 100; ++i)
        bad[i] = 'n';
    UstarWriter::fix_checksum(bad, 0);
    auto result = load(bad);
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(read_file(std::string(100, 'n')), "contents");

    // Control bytes in a name are shown as '?'.
    bad = archive;
    bad[1] = 0x1b;
    bad[257] = 'X';
    UstarWriter::fix_checksum(bad, 0);
    EXPECT_EQ(error_text(bad), "entry 'n?me' at offset 0: not a ustar header (bad magic)");
}

TEST_F(UstarTest, ExtendedHeaders)
{
    auto with_pax = [](std::string records) {
        UstarWriter writer;
        EXPECT_TRUE(writer.add_entry('x', "PaxHeaders/f", {}, bytes_of(records)));
        EXPECT_TRUE(writer.add_file("short", bytes_of("data")));
        EXPECT_TRUE(writer.finish());
        return std::vector<u8>(writer.bytes().begin(), writer.bytes().end());
    };
    auto result = load(with_pax("25 path=a/very/long/name\n"));
    ASSERT_TRUE(result.has_value()) << message_of(result.error());
    EXPECT_EQ(read_file("a/very/long/name"), "data");

    EXPECT_NE(error_text(with_pax("99 path=x\n")).find("malformed pax record length"), std::string::npos);
    EXPECT_NE(error_text(with_pax("99999999999999999999999 path=x\n")).find("pax record"), std::string::npos);
    EXPECT_NE(error_text(with_pax("11 path=x\n")).find("malformed pax record"), std::string::npos);
    EXPECT_NE(error_text(with_pax("8 pathx\n")).find("key=value"), std::string::npos);
    EXPECT_NE(error_text(with_pax("11 size=1x\n")).find("pax size"), std::string::npos);
    EXPECT_NE(error_text(with_pax("16 path=../../x\n")).find("'..'"), std::string::npos);
    // A pax size larger than the archive.
    EXPECT_NE(error_text(with_pax("16 size=9999999\n")).find("runs past the end"), std::string::npos);

    UstarWriter dangling;
    ASSERT_TRUE(dangling.add_entry('L', "././@LongLink", {}, bytes_of("long")));
    ASSERT_TRUE(dangling.finish());
    EXPECT_NE(error_text(dangling.bytes()).find("extended header without an entry"), std::string::npos);

    UstarWriter huge;
    std::string name(100000, 'h');
    ASSERT_TRUE(huge.add_entry('L', "././@LongLink", {}, bytes_of(name)));
    ASSERT_TRUE(huge.add_file("x", {}));
    ASSERT_TRUE(huge.finish());
    EXPECT_NE(error_text(huge.bytes()).find("extended header is too large"), std::string::npos);
}

TEST_F(UstarTest, SymlinkLoopsLoadAndFailOnlyWhenFollowed)
{
    UstarWriter writer;
    ASSERT_TRUE(writer.add_symlink("a", "b"));
    ASSERT_TRUE(writer.add_symlink("b", "a"));
    ASSERT_TRUE(writer.add_symlink("self", "self"));
    ASSERT_TRUE(writer.add_symlink("d/x", "../d"));
    ASSERT_TRUE(writer.finish());
    auto result = load(writer.bytes());
    ASSERT_TRUE(result.has_value()) << message_of(result.error());
    EXPECT_EQ(result->symlinks, 4u);
    EXPECT_EQ(error_of(fs->resolve(root(), "a")), Errno::Loop);
    EXPECT_EQ(error_of(fs->resolve(root(), "self/x")), Errno::Loop);
    // d/x leads back to d: each step is one expansion, and the 41st is one too many.
    auto back = fs->resolve(root(), "d/x/x/x");
    ASSERT_TRUE(back);
    EXPECT_TRUE((*back)->is_directory());
    std::string long_walk = "d";
    for (u32 i = 0; i <= kMaxSymlinkExpansions; ++i)
        long_walk += "/x";
    EXPECT_EQ(error_of(fs->resolve(root(), long_walk)), Errno::Loop);
    EXPECT_EQ(*fs->readlink(root(), "a"), "b");
}

TEST_F(UstarTest, HugeNumbersAreRejected)
{
    auto with_pax = [](std::string records) {
        UstarWriter writer;
        EXPECT_TRUE(writer.add_entry('x', "PaxHeaders/f", {}, bytes_of(records)));
        EXPECT_TRUE(writer.add_file("f", bytes_of("data")));
        EXPECT_TRUE(writer.finish());
        return std::vector<u8>(writer.bytes().begin(), writer.bytes().end());
    };
    EXPECT_NE(error_text(with_pax("32 size=18446744073709551616000\n")).find("pax size is not a decimal number"), std::string::npos);
    EXPECT_NE(error_text(with_pax("28 size=9223372036854775808\n")).find("runs past the end"), std::string::npos);
    EXPECT_NE(error_text(with_pax("30 mtime=99999999999999999999\n")).find("pax mtime"), std::string::npos);
    // An mtime too large for nanoseconds is clamped, not wrapped.
    auto result = load(with_pax("29 mtime=9999999999999999999\n"));
    ASSERT_TRUE(result.has_value()) << message_of(result.error());
    EXPECT_EQ(fs->stat(root(), "f")->modify_time, ~u64 { 0 });
}

TEST_F(UstarTest, OtherTypesAreSkippedWithAReason)
{
    UstarWriter writer;
    ASSERT_TRUE(writer.add_entry('3', "dev/tty", {}, {}));
    ASSERT_TRUE(writer.add_entry('Z', "weird", {}, bytes_of("skipped data")));
    ASSERT_TRUE(writer.add_file("after", bytes_of("ok")));
    ASSERT_TRUE(writer.finish());
    auto result = load(writer.bytes());
    ASSERT_TRUE(result.has_value()) << message_of(result.error());
    EXPECT_EQ(result->skipped, 2u);
    EXPECT_EQ(read_file("after"), "ok");
    std::string text(log.view());
    EXPECT_NE(text.find("skipped 'dev/tty' at offset 0: character device"), std::string::npos) << text;
    EXPECT_NE(text.find("skipped 'weird' at offset 512: unsupported entry type (type 0x5a)"), std::string::npos) << text;
    EXPECT_EQ(error_of(fs->resolve(root(), "dev/tty")), Errno::NoEnt);
}

TEST_F(UstarTest, LimitsStopHugeArchives)
{
    UstarWriter writer;
    for (int i = 0; i < 1000; ++i)
        ASSERT_TRUE(writer.add_file("f" + std::to_string(i), bytes_of("x")));
    ASSERT_TRUE(writer.finish());
    auto result = load(writer.bytes(), Limits { .max_bytes = 1 << 20, .max_inodes = 100 });
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().error.kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(message_of(result.error()), "entry 'f99' at offset 101376: the file system is full (its byte or inode limit)");

    UstarWriter big;
    ASSERT_TRUE(big.add_file("big", bytes_of(std::string(100000, 'b'))));
    ASSERT_TRUE(big.finish());
    result = load(big.bytes(), Limits { .max_bytes = 50000 });
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(message_of(result.error()).find("the file system is full"), std::string::npos);
}

// Recomputes the checksum of every block that looks like a ustar header, so that flipped
// bytes reach the parser past the checksum check.
void fix_all_checksums(std::vector<u8>& archive)
{
    for (usize offset = 0; offset + 512 <= archive.size(); offset += 512) {
        if (std::memcmp(archive.data() + offset + 257, "ustar", 5) == 0)
            UstarWriter::fix_checksum(archive, offset);
    }
}

TEST_F(UstarTest, RandomByteFlipsNeverCrash)
{
    HostTree tree;
    tree.file("hello.txt", "hello");
    tree.file("dir/sub/file", std::string(3000, 'f'));
    tree.symlink("../hello.txt", "dir/link");
    tree.symlink("loop", "dir/loop");
    tree.hard_link("hello.txt", "dir/hard");
    tree.file(std::string(110, 'l') + "/x", "long");
    ASSERT_EQ(mkfifo(tree.path("fifo").c_str(), 0644), 0);
    for (const char* format : { "--format=gnu", "--format=pax" }) {
        auto original = tree.archive(format);
        ASSERT_TRUE(load(original).has_value());
        std::mt19937 random(2024);
        int loaded = 0;
        for (int round = 0; round < 3000; ++round) {
            auto archive = original;
            int flips = 1 + random() % 8;
            for (int i = 0; i < flips; ++i) {
                usize position = random() % archive.size();
                // Mostly headers (the first bytes of blocks), where the structure is.
                if (random() % 2)
                    position = (position & ~usize { 511 }) + random() % 345;
                archive[position % archive.size()] ^= static_cast<u8>(1 + random() % 255);
            }
            if (random() % 4 != 0)
                fix_all_checksums(archive);
            usize length = random() % 8 == 0 ? random() % archive.size() : archive.size();
            auto result = load(Span<const u8>(archive.data(), length), Limits { .max_bytes = 1 << 20, .max_inodes = 200 });
            if (result) {
                ++loaded;
            } else {
                EXPECT_NE(result.error().error.message(), nullptr);
                EXPECT_FALSE(message_of(result.error()).empty());
            }
            // Whatever was created resolves without crashing.
            (void)fs->resolve(root(), "dir/link");
            (void)fs->resolve(root(), "dir/loop");
        }
        EXPECT_GT(loaded, 0);
    }
}

} // namespace
} // namespace wk::kernel::fs::test
