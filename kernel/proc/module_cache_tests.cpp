#include "kernel/debug/ktest.h"
#include "kernel/fs/file_system.h"
#include "kernel/fs/inode.h"
#include "kernel/proc/module_cache.h"
#include "kernel/proc/module_loader.h"
#include "kernel/proc/process.h"
#include "kernel/sys/root_fs.h"

namespace wk::kernel::proc {

namespace {

namespace wasi = engine::wasi;

// (module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
//         (func (export "_start") (call 0 (i32.const 5))))
// then a custom section "pad" of kPadding zero bytes.
constexpr usize kPadding = 12000; // its size fits a two-byte LEB
constexpr u8 kExitModule[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x08, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00,
    0x02, 0x24, 0x01, 0x16, 'w', 'a', 's', 'i', '_', 's', 'n', 'a', 'p', 's', 'h', 'o', 't', '_', 'p', 'r', 'e',
    'v', 'i', 'e', 'w', '1', 0x09, 'p', 'r', 'o', 'c', '_', 'e', 'x', 'i', 't', 0x00, 0x00,
    0x03, 0x02, 0x01, 0x01,
    0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x01,
    0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x05, 0x10, 0x00, 0x0b,
};
// Section id 0, size kPadding + 4 as a two-byte LEB, name "pad".
constexpr u8 kPadHeader[] = { 0x00, 0x80 | ((kPadding + 4) & 0x7f), (kPadding + 4) >> 7, 0x03, 'p', 'a', 'd' };
// A custom section "name" (kept: backtraces read it) with an empty payload.
constexpr u8 kNameSection[] = { 0x00, 0x05, 0x04, 'n', 'a', 'm', 'e' };

struct Buffer final : ModuleSource {
    explicit Buffer(ReadonlyBytes bytes)
        : bytes(bytes)
    {
    }
    usize read(u64 offset, Bytes buffer) override
    {
        if (offset >= bytes.size())
            return 0;
        usize count = bytes.size() - offset < buffer.size() ? bytes.size() - offset : buffer.size();
        __builtin_memcpy(buffer.data(), bytes.data() + offset, count);
        return count;
    }
    ReadonlyBytes bytes;
};

// The exit module with (optionally) the pad section after its type section and a name
// section at the end.
bool build(Vector<u8>& out, bool pad, bool name)
{
    constexpr usize kTypeEnd = 18;
    bool ok = out.try_extend(ReadonlyBytes(kExitModule, kTypeEnd)).has_value();
    if (pad) {
        ok = ok && out.try_extend(ReadonlyBytes(kPadHeader, sizeof(kPadHeader))).has_value();
        for (usize i = 0; i < kPadding && ok; ++i)
            ok = out.try_append(0).has_value();
    }
    ok = ok && out.try_extend(ReadonlyBytes(kExitModule + kTypeEnd, sizeof(kExitModule) - kTypeEnd)).has_value();
    if (name)
        ok = ok && out.try_extend(ReadonlyBytes(kNameSection, sizeof(kNameSection))).has_value();
    return ok;
}

bool write_file(StringView path, ReadonlyBytes contents)
{
    sys::FsGuard guard;
    auto& file_system = sys::root_fs();
    (void)file_system.create_directory(file_system.root(), "/ktest-cache");
    fs::OpenFlags flags;
    flags.create = true;
    flags.truncate = true;
    auto inode = file_system.open(file_system.root(), path, flags);
    if (!inode || !(*inode)->is_file())
        return false;
    auto written = file_system.write(static_cast<fs::File&>(**inode), 0, contents);
    bool ok = written && *written == contents.size();
    *inode = nullptr;
    return ok;
}

u32 run(StringView path)
{
    SpawnRequest request;
    request.path = path;
    request.arguments = Span<const StringView>(&path, 1);
    for (auto& source : request.stdio)
        source.null = true;
    auto pid = spawn(request);
    if (!pid)
        return 1000 + static_cast<u32>(pid.error());
    auto status = wait(*pid, 0);
    return status ? *status : 2000;
}

} // namespace

KERNEL_TEST(proc_plan_skips_custom_sections_but_name)
{
    Vector<u8> module;
    KEXPECT(build(module, true, true));
    Buffer source(module.span());
    auto layout = plan_module(module.size(), source);
    KEXPECT(layout.has_value());
    if (!layout)
        return;
    KEXPECT_EQ(layout->skipped_bytes, static_cast<u64>(sizeof(kPadHeader) + kPadding));
    KEXPECT_EQ(layout->kept_bytes, static_cast<u64>(sizeof(kExitModule) + sizeof(kNameSection)));
    KEXPECT_EQ(layout->kept.size(), 2u); // before and after the pad
    KEXPECT_EQ(layout->code_bytes, 8u);
    // A malformed section size: everything from there is kept for the decoder to refuse.
    module[19] = 0xff;
    module[20] = 0xff;
    auto broken = plan_module(module.size(), source);
    KEXPECT(broken.has_value() && broken->kept_bytes + broken->skipped_bytes == module.size());
    // A custom section whose name is not printable ASCII is kept (the decoder checks UTF-8).
    Vector<u8> odd;
    KEXPECT(build(odd, true, false));
    odd[18 + 4] = 0xc3;
    Buffer odd_source(odd.span());
    auto kept = plan_module(odd.size(), odd_source);
    KEXPECT(kept.has_value() && kept->skipped_bytes == 0 && kept->kept_bytes == odd.size());
}

// A padded module runs, is cached without its padding, and leaves the cache when its file is
// removed, rewritten or renamed over.
KERNEL_TEST(proc_cache_drops_modules_whose_file_changed)
{
    Vector<u8> module;
    KEXPECT(build(module, true, true));
    drop_module_cache();
    KEXPECT(write_file("/ktest-cache/padded", module.span()));
    KEXPECT_EQ(run("/ktest-cache/padded"), 5u);
    auto statistics = module_cache_statistics();
    KEXPECT_EQ(statistics.entries, 1u);
    // Its bytes without the pad, and its code (with the tier space it reserves for tier-up).
    u64 tier_space = 0;
    module_cache().for_each_module([&](const engine::compile::CompiledModule& cached) { tier_space += cached.code->tier_space_bytes(); });
    KEXPECT(statistics.bytes > sizeof(kExitModule) + tier_space && statistics.bytes < kPadding + tier_space);
    KEXPECT(module_cache().bytes() > sizeof(kExitModule) + tier_space && module_cache().bytes() < kPadding + tier_space);
    {
        sys::FsGuard guard;
        KEXPECT(sys::root_fs().unlink(sys::root_fs().root(), "/ktest-cache/padded").has_value());
    }
    statistics = module_cache_statistics();
    KEXPECT_EQ(statistics.entries, 0u);
    KEXPECT_EQ(statistics.bytes, 0u);

    // Rewritten in place: the old entry goes at the write.
    KEXPECT(write_file("/ktest-cache/padded", module.span()));
    KEXPECT_EQ(run("/ktest-cache/padded"), 5u);
    KEXPECT_EQ(module_cache_statistics().entries, 1u);
    KEXPECT(write_file("/ktest-cache/padded", module.span()));
    KEXPECT_EQ(module_cache_statistics().entries, 0u);

    // Renamed over.
    KEXPECT_EQ(run("/ktest-cache/padded"), 5u);
    KEXPECT(write_file("/ktest-cache/other", module.span()));
    KEXPECT_EQ(module_cache_statistics().entries, 1u);
    {
        sys::FsGuard guard;
        KEXPECT(sys::root_fs().rename(sys::root_fs().root(), "/ktest-cache/other", "/ktest-cache/padded").has_value());
        (void)sys::root_fs().unlink(sys::root_fs().root(), "/ktest-cache/padded");
    }
    KEXPECT_EQ(module_cache_statistics().entries, 0u);
    KEXPECT_EQ(module_cache_statistics().bytes, 0u);
}

} // namespace wk::kernel::proc
