#include "kernel/console/ext2_commands.h"

#include "base/vector.h"
#include "kernel/console/arguments.h"
#include "kernel/debug/log.h"
#include "kernel/drivers/storage.h"
#include "kernel/fs/ext2.h"
#include "kernel/time/clock.h"
#include "kernel/time/rtc.h"
#include "kernel/sys/root_fs.h"

namespace wk::kernel::console {

using debug::print;
namespace ext2 = fs::ext2;

namespace {

u32 wall_seconds() { return static_cast<u32>(time::realtime_nanoseconds() / 1000000000); }

// Splits an absolute PATH into its parent directory's inode and the last name.
ErrnoResult<u32> walk_parent(ext2::Volume& volume, std::string_view path, std::string_view& last)
{
    if (path.empty() || path.front() != '/')
        return Errno::Inval;
    u32 directory = ext2::kRootInode;
    path.remove_prefix(1);
    while (true) {
        usize slash = path.find('/');
        if (slash == std::string_view::npos) {
            last = path;
            return directory;
        }
        auto inode = volume.read_inode(directory);
        if (!inode)
            return Errno::Io;
        directory = TRY(volume.lookup(*inode, path.substr(0, slash)));
        path.remove_prefix(slash + 1);
    }
}

ErrnoResult<void> discard(ErrnoResult<ext2::Inode> result)
{
    if (!result)
        return result.error();
    return {};
}

void report(ext2::Volume& volume, const char* what, ErrnoResult<void> result)
{
    if (result) {
        print("ext2: {} done\n", what);
        return;
    }
    if (result.error() == Errno::Io)
        print("ext2: {}: {} ({})\n", what, describe(result.error()), volume.last_error().message());
    else
        print("ext2: {}: {}\n", what, describe(result.error()));
}

ErrnoResult<void> write_file(ext2::Volume& volume, std::string_view path, std::string_view text)
{
    std::string_view name;
    u32 parent = TRY(walk_parent(volume, path, name));
    auto directory = volume.read_inode(parent);
    if (!directory)
        return Errno::Io;
    ext2::Inode inode;
    if (auto existing = volume.lookup(*directory, name)) {
        auto read = volume.read_inode(*existing);
        if (!read)
            return Errno::Io;
        inode = *read;
        TRY(volume.set_size(inode, 0));
    } else {
        inode = TRY(volume.create_file(parent, name, 0644));
    }
    TRY(volume.write(inode, 0, ReadonlyBytes(reinterpret_cast<const u8*>(text.data()), text.size())));
    u8 newline = '\n';
    TRY(volume.write(inode, text.size(), ReadonlyBytes(&newline, 1)));
    return {};
}

ErrnoResult<void> remove(ext2::Volume& volume, std::string_view path)
{
    std::string_view name;
    u32 parent = TRY(walk_parent(volume, path, name));
    auto result = volume.unlink(parent, name);
    if (!result && result.error() == Errno::IsDir)
        return volume.remove_directory(parent, name);
    return result;
}

ErrnoResult<void> rename(ext2::Volume& volume, std::string_view from, std::string_view to)
{
    std::string_view from_name;
    std::string_view to_name;
    u32 from_parent = TRY(walk_parent(volume, from, from_name));
    u32 to_parent = TRY(walk_parent(volume, to, to_name));
    return volume.rename(from_parent, from_name, to_parent, to_name);
}

void bench(ext2::Volume& volume, u64 mebibytes)
{
    Vector<u8> buffer;
    if (mebibytes == 0 || mebibytes > 1024 || !buffer.try_resize(1 << 20)) {
        print("ext2: bench: 1..1024 MiB\n");
        return;
    }
    for (usize i = 0; i < buffer.size(); ++i)
        buffer[i] = static_cast<u8>(i * 7 + i / 4096);
    auto created = volume.create_file(ext2::kRootInode, "bench", 0644);
    if (!created) {
        report(volume, "bench", created.error());
        return;
    }
    auto rate = [](u64 bytes, u64 ns) { return ns == 0 ? 0 : bytes * 1000 / ns; };
    u64 start = time::nanoseconds_since_boot();
    for (u64 i = 0; i < mebibytes; ++i) {
        auto wrote = volume.write(*created, i << 20, buffer.span());
        if (!wrote || *wrote != buffer.size()) {
            report(volume, "bench write", wrote ? ErrnoResult<void>(Errno::NoSpc) : ErrnoResult<void>(wrote.error()));
            return;
        }
    }
    auto flushed = volume.flush();
    u64 written = time::nanoseconds_since_boot();
    if (!flushed) {
        report(volume, "bench flush", flushed);
        return;
    }
    u64 mismatches = 0;
    for (u64 i = 0; i < mebibytes; ++i) {
        auto got = volume.read(*created, i << 20, buffer.span());
        if (!got || *got != buffer.size()) {
            report(volume, "bench read", got ? ErrnoResult<void>(Errno::Io) : ErrnoResult<void>(got.error()));
            return;
        }
        for (usize j = 0; j < buffer.size(); ++j)
            mismatches += buffer[j] != static_cast<u8>(j * 7 + j / 4096) ? 1 : 0;
    }
    u64 read = time::nanoseconds_since_boot();
    auto stats = volume.cache_stats();
    print("ext2: bench {} MiB: write+flush {} ms ({} MB/s), read {} ms ({} MB/s), {} bytes differ, {} write requests for {} blocks\n",
          mebibytes, (written - start) / 1000000, rate(mebibytes << 20, written - start), (read - written) / 1000000,
          rate(mebibytes << 20, read - written), mismatches, stats.write_requests, stats.blocks_written);
    report(volume, "bench remove", volume.unlink(ext2::kRootInode, "bench"));
}

} // namespace

void command_ext2(std::string_view arguments)
{
    std::string_view verb = next_word(arguments);
    drivers::BlockDevice* disk = drivers::find_disk(next_word(arguments));
    if (verb.empty() || !disk) {
        print("usage: ext2 write|mkdir|rm|mv|ln|bench DISK ... (see `help`); a disk from `disk`\n");
        return;
    }
    if (disk == sys::data_disk()) {
        // A second Volume on the disk would fight the live mount's cache.
        print("ext2: {} is mounted at /data: change it through the files there\n", disk->name());
        return;
    }
    auto mounted = ext2::Volume::mount(*disk);
    if (!mounted) {
        print("ext2: {}: {}\n", disk->name(), mounted.error().message());
        return;
    }
    auto& volume = *mounted;
    volume.set_clock(wall_seconds);
    if (!volume.is_writable()) {
        print("ext2: {} is read-only: {}\n", disk->name(), volume.last_error().message());
        return;
    }
    std::string_view first = next_word(arguments);
    if (verb == "write") {
        report(volume, "write", write_file(volume, first, arguments));
    } else if (verb == "mkdir") {
        std::string_view name;
        auto parent = walk_parent(volume, first, name);
        report(volume, "mkdir", parent ? discard(volume.create_directory(*parent, name, 0755)) : ErrnoResult<void>(parent.error()));
    } else if (verb == "rm") {
        report(volume, "rm", remove(volume, first));
    } else if (verb == "mv") {
        report(volume, "mv", rename(volume, first, next_word(arguments)));
    } else if (verb == "ln") {
        std::string_view name;
        auto parent = walk_parent(volume, next_word(arguments), name);
        report(volume, "ln", parent ? discard(volume.create_symlink(*parent, name, first)) : ErrnoResult<void>(parent.error()));
    } else if (verb == "bench") {
        u64 mebibytes = 0;
        if (!parse_number(first, ~u64 { 0 }, mebibytes))
            mebibytes = 0; // bench() says what it takes
        bench(volume, mebibytes);
    } else {
        print("ext2: unknown subcommand {}\n", verb);
        return;
    }
    report(volume, "unmount", volume.unmount());
}

} // namespace wk::kernel::console
