#include "kernel/fs/ext2_import.h"

#include "base/format.h"
#include "base/hash_map.h"

namespace wk::kernel::fs {

namespace {

constexpr u64 kNanosecondsPerSecond = 1000000000;
// Directory sizes above this are refused as damage (a real one this large would hold
// hundreds of thousands of entries).
constexpr u64 kMaxDirectoryBytes = 64ull << 20;
// Consecutive disk blocks of a file read in one device request.
constexpr u64 kRunBytes = 64 * 1024;
// Lines of damage reported before the rest are only counted.
constexpr u64 kMaxLoggedProblems = 16;

StringView as_name(ReadonlyBytes bytes) { return StringView(reinterpret_cast<const char*>(bytes.data()), bytes.size()); }

struct PendingDirectory {
    u32 inode { 0 };
    RefPtr<Directory> directory;
    u32 depth { 0 };
};

// The first name seen of an inode with several links: later names become hard links to it.
struct FirstName {
    RefPtr<Directory> directory;
    String name;
};

class Importer {
public:
    Importer(ext2::Volume& volume, FileSystem& fs, FormatSink* log)
        : m_volume(volume)
        , m_fs(fs)
        , m_log(log)
        , m_entered(&fs.allocator())
        , m_first_names(&fs.allocator())
        , m_stack(&fs.allocator())
        , m_directory_block(&fs.allocator())
        , m_file_block(&fs.allocator())
    {
    }

    Result<Ext2ImportStats> run(Directory& destination);

private:
    // An entry-level problem: logged, counted, the entry skipped.
    void damaged(u32 parent, StringView name, u32 inode, const Error& error)
    {
        ++m_stats.skipped;
        ++m_stats.damaged;
        if (!m_log || m_stats.damaged > kMaxLoggedProblems)
            return;
        format_to(*m_log, "ext2: skipped '{}' (inode {} in directory inode {}): {}", name, inode, parent, error.message());
        if (error.has_offset())
            format_to(*m_log, " (at {})", error.offset());
        m_log->write("\n");
    }
    void set_times(Inode& target, const ext2::Inode& source)
    {
        target.set_access_time(u64 { source.access_time } * kNanosecondsPerSecond);
        target.set_modify_time(u64 { source.modify_time } * kNanosecondsPerSecond);
        target.set_change_time(u64 { source.change_time } * kNanosecondsPerSecond);
    }
    // Fills an empty directory; pushes its subdirectories. Errors are the fatal ones.
    Result<void> read_directory(const PendingDirectory&);
    Result<void> add_entry(const PendingDirectory&, const ext2::DirectoryEntry&);
    // Copies the data of `source` into `file`; an Error with the image's fault.
    Result<void> copy_file(File&, const ext2::Inode& source);

    ext2::Volume& m_volume;
    FileSystem& m_fs;
    FormatSink* m_log;
    Ext2ImportStats m_stats;
    HashMap<u32, bool> m_entered;
    HashMap<u32, FirstName> m_first_names;
    Vector<PendingDirectory> m_stack;
    Vector<u8> m_directory_block;
    Vector<u8> m_file_block;
    bool m_has_fatal { false };
};

Error fs_error(Errno error) { return to_error(error); }

bool is_fatal(Errno error) { return error == Errno::NoSpc || error == Errno::NoMem || error == Errno::DQuot; }

Result<Ext2ImportStats> Importer::run(Directory& destination)
{
    u32 block_size = m_volume.superblock().block_size;
    TRY(m_directory_block.try_resize(block_size));
    TRY(m_file_block.try_resize(kRunBytes));
    auto root = TRY(m_volume.read_inode(ext2::kRootInode));
    if (root.type() != ext2::FileType::Directory)
        return Error::malformed("ext2: the root inode is not a directory");
    set_times(destination, root);
    TRY(m_entered.try_set(ext2::kRootInode, true));
    TRY(m_stack.try_append(PendingDirectory { ext2::kRootInode, RefPtr<Directory>(destination), 0 }));
    // Each directory inode is pushed at most once (m_entered), so this ends.
    while (!m_stack.is_empty()) {
        PendingDirectory next = std::move(m_stack.last());
        TRY(m_stack.try_resize(m_stack.size() - 1));
        if (auto read = read_directory(next); !read) {
            if (next.inode == ext2::kRootInode || m_has_fatal)
                return read.error();
            damaged(next.inode, "(its entries)", next.inode, read.error());
        }
    }
    return m_stats;
}

Result<void> Importer::read_directory(const PendingDirectory& pending)
{
    auto inode = TRY(m_volume.read_inode(pending.inode));
    if (inode.size % m_volume.superblock().block_size != 0 || inode.size > kMaxDirectoryBytes)
        return Error::malformed("ext2: directory size is not a whole number of blocks or too large", pending.inode);
    u64 blocks = inode.size / m_volume.superblock().block_size;
    for (u64 index = 0; index < blocks; ++index) {
        u32 block = TRY(m_volume.map_block(inode, index));
        if (block == 0)
            return Error::malformed("ext2: hole in a directory", pending.inode);
        TRY(m_volume.read_file_block(inode, index, m_directory_block.span()));
        Result<void> problem {};
        TRY(ext2::walk_directory_block(m_directory_block.span(), m_volume.superblock(), [&](const ext2::DirectoryEntry& entry) {
            problem = add_entry(pending, entry);
            return problem.has_value();
        }));
        TRY(std::move(problem));
    }
    return {};
}

Result<void> Importer::add_entry(const PendingDirectory& parent, const ext2::DirectoryEntry& entry)
{
    StringView name = as_name(entry.name);
    if (name == "." || name == "..")
        return {};
    if (auto valid = FileSystem::check_new_name(name); !valid) {
        damaged(parent.inode, "(a bad name)", entry.inode, fs_error(valid.error()));
        return {};
    }
    Directory& directory = *parent.directory;
    auto fail = [&](Errno error) -> Result<void> {
        if (is_fatal(error)) {
            m_has_fatal = true;
            return fs_error(error);
        }
        damaged(parent.inode, name, entry.inode, fs_error(error));
        return {};
    };
    auto source = m_volume.read_inode(entry.inode);
    if (!source) {
        damaged(parent.inode, name, entry.inode, source.error());
        return {};
    }
    switch (source->type()) {
    case ext2::FileType::Directory: {
        // ext2 gives a directory one name; a second one (or one naming an ancestor) is a loop.
        if (m_entered.contains(entry.inode)) {
            damaged(parent.inode, name, entry.inode, Error::malformed("ext2: a second name of a directory (a loop)"));
            return {};
        }
        if (parent.depth + 1 > kExt2MaxDepth) {
            damaged(parent.inode, name, entry.inode, Error::malformed("ext2: directories nested too deep"));
            return {};
        }
        auto made = m_fs.create_directory_at(directory, name);
        if (!made)
            return fail(made.error());
        set_times(**made, *source);
        TRY(m_entered.try_set(entry.inode, true));
        TRY(m_stack.try_append(PendingDirectory { entry.inode, std::move(*made), parent.depth + 1 }));
        ++m_stats.directories;
        return {};
    }
    case ext2::FileType::Symlink: {
        Vector<u8> target(&m_fs.allocator());
        if (auto read = m_volume.read_symlink(*source, target); !read) {
            damaged(parent.inode, name, entry.inode, read.error());
            return {};
        }
        auto made = m_fs.symlink_at(as_name(target.span()), directory, name);
        if (!made)
            return fail(made.error());
        set_times(**made, *source);
        ++m_stats.symlinks;
        return {};
    }
    case ext2::FileType::Regular: {
        if (auto* first = m_first_names.get(entry.inode)) {
            auto linked = m_fs.link_at(*first->directory, first->name.view(), directory, name);
            if (!linked)
                return fail(linked.error());
            ++m_stats.hard_links;
            return {};
        }
        auto made = m_fs.open_at(directory, name, OpenFlags { .create = true, .exclusive = true });
        if (!made)
            return fail(made.error());
        auto& file = static_cast<File&>(**made);
        if (auto copied = copy_file(file, *source); !copied) {
            (void)m_fs.unlink_at(directory, name);
            if (m_has_fatal)
                return copied.error();
            damaged(parent.inode, name, entry.inode, copied.error());
            return {};
        }
        set_times(file, *source);
        ++m_stats.files;
        m_stats.file_bytes += source->size;
        if (source->link_count > 1) {
            auto kept = TRY(String::try_create(name, &m_fs.allocator()));
            TRY(m_first_names.try_set(entry.inode, FirstName { RefPtr<Directory>(directory), std::move(kept) }));
        }
        return {};
    }
    case ext2::FileType::Unknown:
        damaged(parent.inode, name, entry.inode, Error::malformed("ext2: entry names an unused inode"));
        return {};
    case ext2::FileType::Other:
        ++m_stats.skipped;
        return {};
    }
    return {};
}

Result<void> Importer::copy_file(File& file, const ext2::Inode& source)
{
    u64 block_size = m_volume.superblock().block_size;
    if (source.size > m_volume.max_file_size())
        return Error::malformed("ext2: file size beyond what the block size allows");
    u64 blocks = (source.size + block_size - 1) / block_size;
    // Allocated blocks cannot outnumber the sectors i_blocks counts; a file claiming more is
    // damaged (this also bounds the copy by the image's real contents).
    u64 allowed = u64 { source.sectors } * drivers::kSectorSize / block_size;
    u64 seen = 0;
    u64 run_limit = kRunBytes / block_size;
    for (u64 index = 0; index < blocks;) {
        u64 hole_run = 0;
        u32 block = TRY(m_volume.map_block(source, index, &hole_run));
        if (block == 0) {
            index += hole_run;
            continue;
        }
        // Gather the blocks that follow on the disk too: one request instead of one per block.
        u64 count = 1;
        while (count < run_limit && index + count < blocks) {
            u32 next = TRY(m_volume.map_block(source, index + count));
            if (next != block + count)
                break;
            ++count;
        }
        seen += count;
        if (seen > allowed)
            return Error::malformed("ext2: file has more blocks than its block count says");
        Bytes buffer = m_file_block.span().first(count * block_size);
        TRY(m_volume.read_blocks(block, static_cast<u32>(count), buffer));
        u64 offset = index * block_size;
        u64 length = source.size - offset < buffer.size() ? source.size - offset : buffer.size();
        auto written = m_fs.write(file, offset, ReadonlyBytes(buffer).first(length));
        if (!written || *written != length) {
            Errno error = written ? Errno::NoSpc : written.error();
            m_has_fatal = is_fatal(error);
            return fs_error(error);
        }
        index += count;
    }
    if (auto sized = m_fs.set_size(file, source.size); !sized) {
        m_has_fatal = is_fatal(sized.error());
        return fs_error(sized.error());
    }
    return {};
}

} // namespace

Result<Ext2ImportStats> import_ext2(ext2::Volume& volume, FileSystem& fs, Directory& destination, FormatSink* log)
{
    Importer importer(volume, fs, log);
    auto result = importer.run(destination);
    if (result && log && result->damaged > kMaxLoggedProblems)
        format_to(*log, "ext2: {} more damaged entries skipped\n", result->damaged - kMaxLoggedProblems);
    return result;
}

} // namespace wk::kernel::fs
