#include "kernel/debug/ktest.h"
#include "kernel/fs/file_system.h"
#include "kernel/fs/open_file.h"
#include "kernel/fs/ustar.h"
#include "kernel/fs/ustar_writer.h"
#include "kernel/mm/memory.h"

namespace wk::kernel::fs {

namespace {

ReadonlyBytes bytes_of(StringView text) { return ReadonlyBytes(reinterpret_cast<const u8*>(text.data()), text.size()); }

class TestClock final : public Clock {
public:
    u64 now() override { return ++m_ticks; }

private:
    u64 m_ticks { 0 };
};

Result<void> build_archive(UstarWriter& writer)
{
    TRY(writer.add_directory("bin", 1));
    static u8 program[10000]; // not on the kernel stack
    for (usize i = 0; i < sizeof program; ++i)
        program[i] = static_cast<u8>(i * 7);
    TRY(writer.add_file("bin/program.wasm", ReadonlyBytes(program, sizeof program), 2));
    TRY(writer.add_file("etc/motd", bytes_of("welcome to wasmkern\n"), 3));
    TRY(writer.add_symlink("home", "/etc"));
    TRY(writer.add_hard_link("etc/motd.again", "etc/motd"));
    TRY(writer.add_entry('6', "fifo", {}, {}));
    return writer.finish();
}

} // namespace

KERNEL_TEST(fs_loads_an_in_memory_ustar_archive)
{
    usize heap_before = mm::heap_statistics().bytes_in_use;
    {
        TestClock clock;
        UstarWriter writer;
        KEXPECT(build_archive(writer).has_value());
        auto made = FileSystem::create(Limits {}, &clock);
        KEXPECT(made.has_value());
        if (!made)
            return;
        RefPtr<FileSystem> fs = std::move(*made);
        auto loaded = load_ustar(*fs, fs->root(), writer.bytes(), &debug::console_sink());
        if (!loaded) {
            debug::print("    ");
            loaded.error().write_to(debug::console_sink());
            debug::print("\n");
        }
        KEXPECT(loaded.has_value());
        if (!loaded)
            return;
        KEXPECT_EQ(loaded->files, 2u);
        KEXPECT_EQ(loaded->symlinks, 1u);
        KEXPECT_EQ(loaded->hard_links, 1u);
        KEXPECT_EQ(loaded->skipped, 1u);

        auto motd = fs->open(fs->root(), "/home/motd", OpenFlags {});
        KEXPECT(motd.has_value());
        if (motd) {
            auto open = OpenFile::create(*motd, OpenMode { .read = true });
            KEXPECT(open.has_value());
            char text[64] = {};
            auto count = (*open)->read(Bytes(reinterpret_cast<u8*>(text), sizeof text));
            KEXPECT(count.has_value() && *count == 20);
            KEXPECT(StringView(text, 20) == "welcome to wasmkern\n");
        }
        auto program = fs->resolve(fs->root(), "bin/program.wasm");
        KEXPECT(program.has_value());
        if (program) {
            auto& file = static_cast<File&>(**program);
            KEXPECT_EQ(file.size(), 10000u);
            u8 byte = 0;
            KEXPECT_EQ(file.read_at(9999, Bytes(&byte, 1)), 1u);
            KEXPECT_EQ(byte, static_cast<u8>(9999 * 7));
        }
        auto stat = fs->stat(fs->root(), "etc/motd.again");
        KEXPECT(stat.has_value() && stat->link_count == 2);
        KEXPECT(fs->bytes_used() > 10000);
    }
    // Everything the archive and the file system took went back to the heap.
    KEXPECT_EQ(mm::heap_statistics().bytes_in_use, heap_before);
}

KERNEL_TEST(fs_rejects_a_corrupt_archive_and_stays_usable)
{
    UstarWriter writer;
    KEXPECT(build_archive(writer).has_value());
    Vector<u8>& bytes = writer.buffer();
    bytes[512 + 20] ^= 0x40; // inside the second header's name: its checksum no longer matches
    auto made = FileSystem::create(Limits { .max_bytes = 1 << 20, .max_inodes = 16 });
    KEXPECT(made.has_value());
    if (!made)
        return;
    RefPtr<FileSystem> fs = std::move(*made);
    auto loaded = load_ustar(*fs, fs->root(), writer.bytes());
    KEXPECT(!loaded.has_value());
    if (!loaded) {
        KEXPECT_EQ(loaded.error().offset, 512u);
        KEXPECT(StringView(loaded.error().error.message()) == "header checksum does not match");
    }
    // The entry before the bad one is there, and the file system still works.
    KEXPECT(fs->resolve(fs->root(), "bin").has_value());
    KEXPECT(fs->create_directory(fs->root(), "tmp").has_value());
    auto tmp = fs->resolve(fs->root(), "tmp");
    KEXPECT(tmp.has_value());
    if (!tmp)
        return;
    auto& directory = static_cast<Directory&>(**tmp);
    // The inode limit ends creation with NoSpc, not a crash.
    u64 created = 0;
    char name[3] = { 'f', 'a', 'a' };
    for (u64 i = 0; i < 100; ++i, ++created) {
        name[1] = static_cast<char>('a' + i / 26);
        name[2] = static_cast<char>('a' + i % 26);
        auto more = fs->open_at(directory, StringView(name, 3), OpenFlags { .create = true });
        if (!more) {
            KEXPECT(more.error() == Errno::NoSpc);
            break;
        }
    }
    KEXPECT(created > 0 && created < 16);
}

} // namespace wk::kernel::fs
