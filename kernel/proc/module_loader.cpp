#include "kernel/proc/module_loader.h"

#include "base/leb128.h"
#include "kernel/sched/thread.h"
#include "kernel/sys/root_fs.h"

namespace wk::kernel::proc {

namespace wasi = engine::wasi;
using wasi::Errno;

namespace {

constexpr u64 kHeaderBytes = 8; // magic and version
constexpr u8 kCustomSection = 0;
constexpr u8 kCodeSection = 10;

bool is_skippable_name(ReadonlyBytes name)
{
    if (name.size() == 4 && __builtin_memcmp(name.data(), "name", 4) == 0)
        return false;
    for (u8 byte : name) {
        if (byte < 0x20 || byte > 0x7e)
            return false;
    }
    return true;
}

Errno keep(ModuleLayout& layout, u64 offset, u64 length)
{
    if (length == 0)
        return Errno::Success;
    layout.kept_bytes += length;
    if (!layout.kept.is_empty()) {
        ByteRange& last = layout.kept[layout.kept.size() - 1];
        if (last.offset + last.length == offset) {
            last.length += length;
            return Errno::Success;
        }
    }
    return layout.kept.try_append(ByteRange { offset, length }) ? Errno::Success : Errno::NoMem;
}

} // namespace

wasi::Expected<ModuleLayout> plan_module(u64 size, ModuleSource& source)
{
    ModuleLayout layout;
    u64 offset = size < kHeaderBytes ? size : kHeaderBytes;
    if (Errno error = keep(layout, 0, offset); error != Errno::Success)
        return error;
    for (usize sections = 0; offset < size && sections < kMaxScannedSections; ++sections) {
        // id, a u32 LEB (at most 5 bytes), and for a custom section its name's length and name.
        u8 header[1 + 5 + 5 + kMaxSkippedName];
        usize got = source.read(offset, Bytes(header, sizeof(header)));
        ReadonlyBytes view(header, got < sizeof(header) ? got : sizeof(header));
        usize cursor = 1;
        if (view.size() < 2)
            break;
        auto length = read_leb_u32(view, cursor);
        if (!length || *length > size - offset - cursor)
            break;
        u64 end = offset + cursor + *length;
        bool skip = false;
        if (header[0] == kCustomSection) {
            usize name_start = cursor;
            auto name_length = read_leb_u32(view, cursor);
            skip = name_length && *name_length <= kMaxSkippedName && cursor - name_start + *name_length <= *length
                && cursor + *name_length <= view.size()
                && is_skippable_name(view.subspan(cursor, *name_length));
        }
        if (header[0] == kCodeSection) {
            layout.code_bytes += *length;
            // A count that does not parse is the decoder's to report; its bytes still count.
            // A body takes at least 3 bytes: a larger count is malformed, not expensive.
            if (auto count = read_leb_u32(view, cursor))
                layout.function_count += *count < *length / 3 ? *count : *length / 3;
        }
        Errno error = skip ? Errno::Success : keep(layout, offset, end - offset);
        if (error != Errno::Success)
            return error;
        if (skip)
            layout.skipped_bytes += end - offset;
        offset = end;
    }
    if (Errno error = keep(layout, offset, size - offset); error != Errno::Success)
        return error;
    return layout;
}

u64 compile_estimate(const ModuleLayout& layout)
{
    // Each term is below 2^32 times a small constant: no overflow.
    return kCompileBaseBytes + layout.kept_bytes + layout.code_bytes * kCompileBytesPerCodeByte
         + layout.function_count * kCompileBytesPerFunction;
}

wasi::Expected<ModuleBytes> read_module(RefPtr<fs::Inode>& inode, const ModuleIdentity& identity, u64 compile_limit,
                                        u64& needed)
{
    auto& file = static_cast<fs::File&>(*inode);
    struct FileSource final : ModuleSource {
        explicit FileSource(fs::File& file)
            : file(file)
        {
        }
        usize read(u64 offset, Bytes buffer) override { return file.read_at(offset, buffer); }
        fs::File& file;
    } source(file);
    ModuleBytes result;
    {
        sys::FsGuard guard;
        auto layout = plan_module(identity.size, source);
        if (!layout) {
            inode = nullptr;
            return layout.error();
        }
        result.layout = std::move(*layout);
        needed = compile_estimate(result.layout);
        if (needed > compile_limit) {
            inode = nullptr;
            return Errno::NoMem;
        }
    }
    if (!result.bytes.try_resize(static_cast<usize>(result.layout.kept_bytes))) {
        sys::FsGuard guard;
        inode = nullptr;
        return Errno::NoMem;
    }
    // NOTE: one FsGuard hold per 64 KiB step (docs/boot-and-machine-state.md, "Scheduling, long calls and
    // the file-system lock"). A file changed meanwhile reads short (zeros stay): the decoder
    // judges it, and `unchanged`, taken after the last step, keeps it out of the cache.
    constexpr u64 kStepBytes = 64 * 1024;
    u64 out = 0;
    for (const ByteRange& range : result.layout.kept) {
        for (u64 done = 0; done < range.length; done += kStepBytes) {
            u64 length = range.length - done < kStepBytes ? range.length - done : kStepBytes;
            {
                sys::FsGuard guard;
                (void)file.read_at(range.offset + done, result.bytes.span().subspan(static_cast<usize>(out + done), static_cast<usize>(length)));
            }
            sched::preemption_point();
        }
        out += range.length;
    }
    sys::FsGuard guard;
    auto stat = inode->stat();
    result.unchanged = ModuleIdentity { stat.inode, stat.size, stat.modify_time, stat.change_time } == identity;
    inode = nullptr;
    return result;
}

} // namespace wk::kernel::proc
