#include "kernel/fs/ustar_writer.h"
#include "kernel/fs/string_slice.h"

namespace wk::kernel::fs {

namespace {

void put_text(u8* header, usize offset, usize size, StringView text)
{
    for (usize i = 0; i < text.size() && i < size; ++i)
        header[offset + i] = static_cast<u8>(text[i]);
}

// Octal, zero-padded to size - 1 digits and NUL-terminated.
void put_octal(u8* header, usize offset, usize size, u64 value)
{
    header[offset + size - 1] = 0;
    for (usize i = size - 1; i-- > 0;) {
        header[offset + i] = static_cast<u8>('0' + (value & 7));
        value >>= 3;
    }
}

} // namespace

void UstarWriter::fix_checksum(Span<u8> archive, usize offset)
{
    u8* header = archive.data() + offset;
    for (usize i = 148; i < 156; ++i)
        header[i] = ' ';
    u64 sum = 0;
    for (usize i = 0; i < kBlock; ++i)
        sum += header[i];
    put_octal(header, 148, 7, sum);
    header[155] = ' ';
}

Result<void> UstarWriter::add_entry(char type, StringView path, StringView link, ReadonlyBytes contents, u64 mtime)
{
    StringView prefix;
    StringView name = path;
    if (path.size() > 100) {
        usize split = path.rfind('/', 155);
        if (split == StringView::npos || path.size() - split - 1 > 100 || split == 0)
            return Error::invalid("path does not fit a ustar header");
        prefix = slice(path, 0, split);
        name = slice(path, split + 1);
    }
    if (link.size() > 100)
        return Error::invalid("link target does not fit a ustar header");

    usize padded = (contents.size() + kBlock - 1) / kBlock * kBlock;
    usize start = m_bytes.size();
    TRY(m_bytes.try_resize(start + kBlock + padded, 0));
    u8* header = m_bytes.data() + start;
    put_text(header, 0, 100, name);
    put_octal(header, 100, 8, type == '5' ? 0755 : 0644);
    put_octal(header, 108, 8, 0);
    put_octal(header, 116, 8, 0);
    put_octal(header, 124, 12, contents.size());
    put_octal(header, 136, 12, mtime);
    header[156] = static_cast<u8>(type);
    put_text(header, 157, 100, link);
    put_text(header, 257, 6, StringView("ustar\0", 6));
    put_text(header, 263, 2, "00");
    put_text(header, 265, 32, "root");
    put_text(header, 297, 32, "root");
    put_text(header, 345, 155, prefix);
    if (!contents.empty())
        __builtin_memcpy(header + kBlock, contents.data(), contents.size());
    fix_checksum(m_bytes.span(), start);
    return {};
}

Result<void> UstarWriter::add_file(StringView path, ReadonlyBytes contents, u64 mtime)
{
    return add_entry('0', path, {}, contents, mtime);
}

Result<void> UstarWriter::add_directory(StringView path, u64 mtime) { return add_entry('5', path, {}, {}, mtime); }

Result<void> UstarWriter::add_symlink(StringView path, StringView target) { return add_entry('2', path, target, {}); }

Result<void> UstarWriter::add_hard_link(StringView path, StringView target) { return add_entry('1', path, target, {}); }

Result<void> UstarWriter::finish() { return m_bytes.try_resize(m_bytes.size() + 2 * kBlock, 0); }

} // namespace wk::kernel::fs
