#include "kernel/fs/ustar.h"
#include "kernel/fs/string_slice.h"

#include <optional>

#include "base/checked.h"
#include "base/format.h"

namespace wk::kernel::fs {

namespace {

constexpr usize kBlock = 512;
// Longest GNU long-name or pax header the loader reads; real ones are far smaller.
constexpr u64 kMaxExtendedHeader = 64 * 1024;

// Header field offsets and sizes (POSIX ustar).
struct Field {
    usize offset;
    usize size;
};
constexpr Field kName { 0, 100 };
constexpr Field kSize { 124, 12 };
constexpr Field kMtime { 136, 12 };
constexpr Field kChecksum { 148, 8 };
constexpr usize kTypeflag = 156;
constexpr Field kLinkname { 157, 100 };
constexpr Field kMagic { 257, 6 };
constexpr Field kVersion { 263, 2 };
constexpr Field kPrefix { 345, 155 };

// A field's text up to its first NUL; a field filled to the end has no NUL at all.
StringView text_of(const u8* header, Field field)
{
    const char* start = reinterpret_cast<const char*>(header + field.offset);
    usize length = 0;
    while (length < field.size && start[length] != '\0')
        ++length;
    return StringView(start, length);
}

// An octal number (leading spaces, then digits, ended by NUL, space or the field's end) or
// GNU base-256 (first byte 0x80, big-endian, non-negative). nullopt when malformed or above
// 2^63.
std::optional<u64> number_of(const u8* header, Field field)
{
    const u8* bytes = header + field.offset;
    if (bytes[0] & 0x80) {
        if (bytes[0] != 0x80)
            return std::nullopt; // negative (0xff) or a form we do not know
        u64 value = 0;
        for (usize i = 1; i < field.size; ++i) {
            if (value >> 55)
                return std::nullopt;
            value = (value << 8) | bytes[i];
        }
        return value;
    }
    usize i = 0;
    while (i < field.size && bytes[i] == ' ')
        ++i;
    usize digits = 0;
    u64 value = 0;
    for (; i < field.size && bytes[i] >= '0' && bytes[i] <= '7'; ++i, ++digits) {
        if (value >> 60)
            return std::nullopt;
        value = value * 8 + (bytes[i] - '0');
    }
    if (digits == 0)
        return std::nullopt;
    for (; i < field.size; ++i) {
        if (bytes[i] != ' ' && bytes[i] != '\0')
            return std::nullopt;
    }
    return value;
}

bool is_zero_block(const u8* block)
{
    for (usize i = 0; i < kBlock; ++i) {
        if (block[i] != 0)
            return false;
    }
    return true;
}

// The stored checksum is the sum of the header bytes with the checksum field read as
// spaces; historic tars summed signed chars, so both sums are accepted.
bool checksum_matches(const u8* header)
{
    auto stored = number_of(header, kChecksum);
    if (!stored)
        return false;
    u64 unsigned_sum = 0;
    i64 signed_sum = 0;
    for (usize i = 0; i < kBlock; ++i) {
        bool in_field = i >= kChecksum.offset && i < kChecksum.offset + kChecksum.size;
        u8 byte = in_field ? u8 { ' ' } : header[i];
        unsigned_sum += byte;
        signed_sum += static_cast<i8>(byte);
    }
    return *stored == unsigned_sum || static_cast<i64>(*stored) == signed_sum;
}

bool has_ustar_magic(const u8* header)
{
    auto magic = StringView(reinterpret_cast<const char*>(header + kMagic.offset), kMagic.size);
    auto version = StringView(reinterpret_cast<const char*>(header + kVersion.offset), kVersion.size);
    if (magic == StringView("ustar\0", 6))
        return version == "00";
    return magic == "ustar " && version == StringView(" \0", 2); // GNU
}

bool is_posix_ustar(const u8* header)
{
    return StringView(reinterpret_cast<const char*>(header + kMagic.offset), kMagic.size) == StringView("ustar\0", 6);
}

// A path split into its components; "." and empty components dropped.
class RelativePath {
public:

    explicit RelativePath(StringView path)
        : m_path(path)
    {
    }

    // nullptr when fine, else what is wrong.
    const char* check() const
    {
        if (m_path.empty())
            return "entry has an empty name";
        if (m_path.front() == '/')
            return "entry has an absolute path";
        if (m_path.size() >= kMaxPathLength)
            return "entry name is too long";
        for (char c : m_path) {
            if (c == '\0')
                return "entry name contains a NUL byte";
        }
        for (usize position = 0; auto component = next(position);) {
            if (*component == "..")
                return "entry path has a '..' component";
            if (component->size() > kMaxNameLength)
                return "entry path has a component longer than 255 bytes";
        }
        return nullptr;
    }

    // The next component from `position`, skipping empty ones and ".".
    std::optional<StringView> next(usize& position) const
    {
        while (position < m_path.size()) {
            usize start = position;
            while (position < m_path.size() && m_path[position] != '/')
                ++position;
            StringView component = slice(m_path, start, position - start);
            while (position < m_path.size() && m_path[position] == '/')
                ++position;
            if (!component.empty() && component != ".")
                return component;
        }
        return std::nullopt;
    }

private:
    StringView m_path;
};

class Loader {
public:
    Loader(FileSystem& fs, Directory& destination, ReadonlyBytes archive, FormatSink* log)
        : m_fs(fs)
        , m_destination(destination)
        , m_archive(archive)
        , m_log(log)
        , m_long_name(&fs.allocator())
        , m_long_link(&fs.allocator())
    {
    }

    UstarResult run();

private:
    UstarError fail(const char* message, ErrorKind kind = ErrorKind::Malformed);
    UstarError fail_fs(Errno);
    void set_entry(StringView name);
    std::optional<UstarError> read_pax(ReadonlyBytes data);
    std::optional<UstarError> apply(char type, StringView path, StringView link, ReadonlyBytes data, u64 mtime);
    ErrnoResult<RefPtr<Directory>> enter_parent(StringView path, StringView& last, const char*& problem);
    ErrnoResult<RefPtr<Directory>> find_existing(StringView path, StringView& last, const char*& problem);

    FileSystem& m_fs;
    Directory& m_destination;
    ReadonlyBytes m_archive;
    FormatSink* m_log;
    UstarStats m_stats;
    u64 m_offset { 0 };
    String m_entry;
    // Pending extended values for the next entry (GNU 'L'/'K' and pax 'x').
    StringBuilder m_long_name;
    StringBuilder m_long_link;
    bool m_has_long_name { false };
    bool m_has_long_link { false };
    std::optional<u64> m_pax_size;
    std::optional<u64> m_pax_mtime;
};

void Loader::set_entry(StringView name)
{
    constexpr usize kShown = 256;
    StringBuilder shown(&m_fs.allocator());
    for (usize i = 0; i < name.size() && i < kShown; ++i) {
        char c = name[i];
        shown.append_char(c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (name.size() > kShown)
        shown.append("...");
    auto text = shown.to_string();
    m_entry = text ? std::move(*text) : String();
}

UstarError Loader::fail(const char* message, ErrorKind kind)
{
    return UstarError { Error::from(message, kind, m_offset), m_offset, std::move(m_entry) };
}

UstarError Loader::fail_fs(Errno error)
{
    switch (error) {
    case Errno::NoSpc:
        return fail("the file system is full (its byte or inode limit)", ErrorKind::OutOfMemory);
    case Errno::NoMem:
        return fail("out of memory", ErrorKind::OutOfMemory);
    case Errno::FBig:
        return fail("file is larger than the file system allows", ErrorKind::OutOfMemory);
    case Errno::MLink:
        return fail("too many links to one inode", ErrorKind::Invalid);
    default:
        return fail(describe(error), ErrorKind::Invalid);
    }
}

// Parses pax records "<length> <key>=<value>\n" and keeps the ones the loader uses.
std::optional<UstarError> Loader::read_pax(ReadonlyBytes data)
{
    auto text = StringView(reinterpret_cast<const char*>(data.data()), data.size());
    usize position = 0;
    while (position < text.size()) {
        if (text[position] == '\0')
            break; // NUL padding after the last record
        usize length = 0;
        usize digits = 0;
        while (position + digits < text.size() && text[position + digits] >= '0' && text[position + digits] <= '9') {
            if (length > text.size())
                return fail("pax record length is larger than the header");
            length = length * 10 + static_cast<usize>(text[position + digits] - '0');
            ++digits;
        }
        if (digits == 0 || length <= digits + 1 || length > text.size() - position)
            return fail("malformed pax record length");
        StringView record = slice(text, position, length);
        if (record[digits] != ' ' || record.back() != '\n')
            return fail("malformed pax record");
        StringView body = slice(record, digits + 1, record.size() - digits - 2);
        usize equals = body.find('=');
        if (equals == StringView::npos || equals == 0)
            return fail("pax record without key=value");
        StringView key = slice(body, 0, equals);
        StringView value = slice(body, equals + 1);
        auto decimal = [](StringView digits_text) -> std::optional<u64> {
            if (digits_text.empty())
                return std::nullopt;
            u64 number = 0;
            for (char c : digits_text) {
                if (c < '0' || c > '9' || number > (~u64 { 0 } - 9) / 10)
                    return std::nullopt;
                number = number * 10 + static_cast<u64>(c - '0');
            }
            return number;
        };
        if (key == "path") {
            m_long_name.clear();
            m_long_name.append(value);
            if (m_long_name.has_failed())
                return fail("out of memory", ErrorKind::OutOfMemory);
            m_has_long_name = true;
        } else if (key == "linkpath") {
            m_long_link.clear();
            m_long_link.append(value);
            if (m_long_link.has_failed())
                return fail("out of memory", ErrorKind::OutOfMemory);
            m_has_long_link = true;
        } else if (key == "size") {
            m_pax_size = decimal(value);
            if (!m_pax_size)
                return fail("pax size is not a decimal number");
        } else if (key == "mtime") {
            usize dot = value.find('.');
            if (value.starts_with('-'))
                m_pax_mtime = u64 { 0 }; // before the epoch: clamp
            else if (!(m_pax_mtime = decimal(slice(value, 0, dot))))
                return fail("pax mtime is not a decimal number");
        }
        position += length;
    }
    return std::nullopt;
}

// Walks every component of `path` but the last from the destination, creating missing
// directories and never following a symlink. `last` receives the final component.
ErrnoResult<RefPtr<Directory>> Loader::enter_parent(StringView path, StringView& last, const char*& problem)
{
    RelativePath relative(path);
    RefPtr<Directory> directory(m_destination);
    usize position = 0;
    auto component = relative.next(position);
    WK_ASSERT(component.has_value());
    while (true) {
        usize after = position;
        auto following = relative.next(after);
        if (!following) {
            last = *component;
            return directory;
        }
        Inode* inode = directory->find(*component);
        if (!inode) {
            directory = TRY(m_fs.create_directory_at(*directory, *component));
            ++m_stats.directories;
        } else if (inode->is_directory()) {
            directory = RefPtr<Directory>(static_cast<Directory&>(*inode));
        } else {
            problem = inode->is_symlink() ? "a parent of the entry is a symbolic link" : "a parent of the entry is not a directory";
            return Errno::NotDir;
        }
        component = following;
        position = after;
    }
}

// The directory holding an existing entry of the archive and the entry's name, found without
// following symlinks.
ErrnoResult<RefPtr<Directory>> Loader::find_existing(StringView path, StringView& last, const char*& problem)
{
    RelativePath relative(path);
    if (auto reason = relative.check()) {
        problem = reason;
        return Errno::Inval;
    }
    RefPtr<Directory> directory(m_destination);
    usize position = 0;
    auto component = relative.next(position);
    if (!component) {
        problem = "hard link to the archive's root";
        return Errno::Inval;
    }
    while (true) {
        Inode* child = directory->find(*component);
        if (!child) {
            problem = "hard link target is not in the archive before the link";
            return Errno::NoEnt;
        }
        usize after = position;
        auto following = relative.next(after);
        if (!following) {
            last = *component;
            return directory;
        }
        if (!child->is_directory()) {
            problem = "hard link target path goes through a non-directory";
            return Errno::NotDir;
        }
        directory = RefPtr<Directory>(static_cast<Directory&>(*child));
        component = following;
        position = after;
    }
}

std::optional<UstarError> Loader::apply(char type, StringView path, StringView link, ReadonlyBytes data, u64 mtime)
{
    RelativePath relative(path);
    if (const char* reason = relative.check())
        return fail(reason);
    usize probe = 0;
    bool names_destination = !relative.next(probe).has_value();
    if (names_destination) {
        if (type != '5')
            return fail("entry names the archive's root but is not a directory");
        m_destination.set_modify_time(mtime);
        return std::nullopt;
    }

    const char* problem = nullptr;
    StringView name;
    auto parent = enter_parent(path, name, problem);
    if (!parent)
        return problem ? fail(problem) : fail_fs(parent.error());
    Directory& directory = **parent;
    Inode* existing = directory.find(name);

    if (type == '5') {
        if (existing && !existing->is_directory())
            return fail("directory entry where an earlier entry made a non-directory");
        if (!existing) {
            auto made = m_fs.create_directory_at(directory, name);
            if (!made)
                return fail_fs(made.error());
            existing = made->get();
        }
        existing->set_modify_time(mtime);
        ++m_stats.directories;
        return std::nullopt;
    }

    if (existing && existing->is_directory())
        return fail("non-directory entry where an earlier entry made a directory");

    RefPtr<Directory> link_directory;
    StringView link_name;
    if (type == '1') {
        auto target = find_existing(link, link_name, problem);
        if (!target)
            return problem ? fail(problem) : fail_fs(target.error());
        link_directory = std::move(*target);
        Inode* linked = link_directory->find(link_name);
        if (linked->is_directory())
            return fail("hard link to a directory");
        if (existing == linked)
            return std::nullopt; // a link to its own name (or another name of the same file)
    }

    if (existing) {
        if (auto removed = m_fs.unlink_at(directory, name); !removed)
            return fail_fs(removed.error());
    }

    switch (type) {
    case '1': {
        if (auto linked = m_fs.link_at(*link_directory, link_name, directory, name); !linked)
            return fail_fs(linked.error());
        ++m_stats.hard_links;
        return std::nullopt;
    }
    case '2': {
        if (link.empty())
            return fail("symbolic link without a target");
        auto made = m_fs.symlink_at(link, directory, name);
        if (!made)
            return fail_fs(made.error());
        (*made)->set_modify_time(mtime);
        ++m_stats.symlinks;
        return std::nullopt;
    }
    default: {
        auto made = m_fs.open_at(directory, name, OpenFlags { .create = true, .exclusive = true });
        if (!made)
            return fail_fs(made.error());
        auto& file = static_cast<File&>(**made);
        auto written = m_fs.write(file, 0, data);
        if (!written)
            return fail_fs(written.error());
        if (*written != data.size())
            return fail_fs(Errno::NoSpc);
        file.set_modify_time(mtime);
        ++m_stats.files;
        m_stats.file_bytes += data.size();
        return std::nullopt;
    }
    }
}

UstarResult Loader::run()
{
    bool pending_extension = false;
    while (true) {
        m_entry = String();
        if (m_offset == m_archive.size())
            return fail("archive ends without an end-of-archive block");
        if (m_archive.size() - m_offset < kBlock)
            return fail("archive ends inside a header");
        const u8* header = m_archive.data() + m_offset;
        if (is_zero_block(header)) {
            if (pending_extension)
                return fail("extended header without an entry after it");
            return m_stats;
        }

        set_entry(text_of(header, kName));
        if (!checksum_matches(header))
            return fail("header checksum does not match");
        if (!has_ustar_magic(header))
            return fail("not a ustar header (bad magic)");
        auto header_size = number_of(header, kSize);
        if (!header_size)
            return fail("size field is not a number");
        auto mtime_seconds = number_of(header, kMtime);
        if (!mtime_seconds)
            return fail("mtime field is not a number");
        char type = static_cast<char>(header[kTypeflag]);

        u64 size = *header_size;
        if (m_pax_size && type != 'x' && type != 'g' && type != 'L' && type != 'K')
            size = *m_pax_size;
        u64 available = m_archive.size() - m_offset - kBlock;
        auto padded = checked_align_up<u64>(size, kBlock);
        if (!padded || size > available)
            return fail("entry data runs past the end of the archive");
        ReadonlyBytes data(m_archive.data() + m_offset + kBlock, static_cast<usize>(size));
        u64 next_offset = m_offset + kBlock + (*padded <= available ? *padded : available);

        if (type == 'L' || type == 'K' || type == 'x') {
            if (size > kMaxExtendedHeader)
                return fail("extended header is too large");
            if (type == 'x') {
                if (auto failure = read_pax(data))
                    return std::move(*failure);
            } else {
                auto text = StringView(reinterpret_cast<const char*>(data.data()), data.size());
                usize nul = text.find('\0');
                if (nul != StringView::npos)
                    text = slice(text, 0, nul);
                StringBuilder& target = type == 'L' ? m_long_name : m_long_link;
                target.clear();
                target.append(text);
                if (target.has_failed())
                    return fail("out of memory", ErrorKind::OutOfMemory);
                (type == 'L' ? m_has_long_name : m_has_long_link) = true;
            }
            pending_extension = true;
            m_offset = next_offset;
            continue;
        }

        // The entry's full name: extension, else prefix/name.
        StringBuilder path(&m_fs.allocator());
        if (m_has_long_name) {
            path.append(m_long_name.view());
        } else {
            StringView prefix = is_posix_ustar(header) ? text_of(header, kPrefix) : StringView();
            if (!prefix.empty()) {
                path.append(prefix);
                path.append_char('/');
            }
            path.append(text_of(header, kName));
        }
        StringBuilder link(&m_fs.allocator());
        link.append(m_has_long_link ? m_long_link.view() : text_of(header, kLinkname));
        if (path.has_failed() || link.has_failed())
            return fail("out of memory", ErrorKind::OutOfMemory);
        set_entry(path.view());

        u64 mtime = m_pax_mtime.value_or(*mtime_seconds);
        auto mtime_ns = checked_mul<u64>(mtime, 1000000000);
        m_has_long_name = false;
        m_has_long_link = false;
        m_pax_size.reset();
        m_pax_mtime.reset();
        pending_extension = false;

        switch (type) {
        case '0':
        case '\0':
        case '7':
        case '1':
        case '2':
        case '5': {
            if ((type == '1' || type == '2') && size != 0)
                return fail("link entry has data");
            ReadonlyBytes contents = type == '5' ? ReadonlyBytes() : data;
            if (auto failure = apply(type == '\0' || type == '7' ? '0' : type, path.view(), link.view(), contents, mtime_ns.value_or(~u64 { 0 })))
                return std::move(*failure);
            break;
        }
        default: {
            ++m_stats.skipped;
            if (m_log) {
                const char* reason = "unsupported entry type";
                switch (type) {
                case '3': reason = "character device"; break;
                case '4': reason = "block device"; break;
                case '6': reason = "fifo"; break;
                case 'g': reason = "pax global header"; break;
                case 'S': reason = "GNU sparse file"; break;
                default: break;
                }
                format_to(*m_log, "ustar: skipped '{}' at offset {}: {} (type {:#x})\n", m_entry.view(), m_offset, reason,
                          static_cast<u8>(type));
            }
            break;
        }
        }
        m_offset = next_offset;
    }
}

} // namespace

void UstarError::write_to(FormatSink& sink) const
{
    if (entry.is_empty())
        format_to(sink, "header at offset {}: {}", offset, error.message());
    else
        format_to(sink, "entry '{}' at offset {}: {}", entry.view(), offset, error.message());
}

UstarResult load_ustar(FileSystem& fs, Directory& destination, ReadonlyBytes archive, FormatSink* log)
{
    Loader loader(fs, destination, archive, log);
    return loader.run();
}

} // namespace wk::kernel::fs
