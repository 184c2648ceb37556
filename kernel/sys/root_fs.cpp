#include "kernel/sys/root_fs.h"

#include "kernel/arch/x86_64/paging.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/drivers/storage.h"
#include "kernel/fs/ext2_import.h"
#include "kernel/fs/ustar.h"
#include "kernel/mm/memory.h"
#include "kernel/sched/thread.h"
#include "kernel/proc/process.h"
#include "kernel/time/clock.h"
#include "kernel/time/rtc.h"

namespace wk::kernel::sys {

namespace {

constinit SpinLock g_lock;
RefPtr<fs::FileSystem> g_root;
InitrdSummary g_summary;
DataSummary g_data;

// Inode times: the wall clock (nanoseconds since the Unix epoch, from the CMOS clock read at
// boot), as WASI's realtime clock gives them, so that a file's times compare with `date`.
class WallClock final : public fs::Clock {
public:
    u64 now() override { return time::realtime_nanoseconds(); }
};
constinit WallClock g_clock;

constexpr u64 kOwnerShare = 4;

fs::Limits root_limits()
{
    // Half of free memory, at most 1 GiB: files cannot starve the rest of the kernel. The
    // files one process creates hold at most a quarter of that (DQuot beyond).
    fs::Limits limits;
    limits.max_bytes = mm::half_of_free_memory(u64 { 1 } << 30);
    limits.max_bytes_per_owner = limits.max_bytes / kOwnerShare;
    return limits;
}

RefPtr<fs::FileSystem> create_empty()
{
    auto created = fs::FileSystem::create(root_limits(), &g_clock);
    if (!created)
        debug::panic("root file system: {}", describe(created.error()));
    (*created)->set_file_observer(proc::forget_cached_module);
    (*created)->set_owner_source(proc::current_pid);
    return std::move(*created);
}

// Frees each frame that a module touches and that is still allocated (a frame shared by two
// modules is freed once; frames shared with reserved memory were never allocated).
u64 free_module_frames(const boot::BootInfo& info)
{
    u64 freed = 0;
    for (auto& module : info.module_list()) {
        u64 first = module.physical & ~(mm::kFrameSize - 1);
        u64 end = module.physical + module.size;
        for (u64 frame = first; frame < end; frame += mm::kFrameSize) {
            if (mm::frames().is_allocated(frame)) {
                mm::free_frame(frame);
                ++freed;
            }
        }
    }
    return freed;
}

} // namespace

FsGuard::FsGuard() { g_lock.lock(); }
FsGuard::~FsGuard() { g_lock.unlock(); }

void read_in_steps(fs::File& file, Bytes buffer)
{
    constexpr usize kStepBytes = 64 * 1024;
    for (usize at = 0; at < buffer.size(); at += kStepBytes) {
        usize length = buffer.size() - at < kStepBytes ? buffer.size() - at : kStepBytes;
        {
            FsGuard guard;
            file.read_at(at, buffer.subspan(at, length));
        }
        sched::preemption_point();
    }
}

fs::FileSystem& root_fs()
{
    if (!g_root)
        debug::panic("root file system used before mount_root");
    return *g_root;
}

const InitrdSummary& initrd_summary() { return g_summary; }
const DataSummary& data_summary() { return g_data; }

void mount_data()
{
    auto disks = drivers::disks();
    if (disks.empty()) {
        debug::info("ext2: no disk; /data not mounted");
        return;
    }
    drivers::BlockDevice& disk = *disks[0];
    // NOTE: runs before the first process, so nothing else uses the root file system yet; the
    // copy is not under the FsGuard because waiting for the disk needs interrupts.
    auto volume = fs::ext2::Volume::mount(disk);
    if (!volume) {
        debug::warn("ext2: {} not mounted: {}", disk.name(), volume.error().message());
        return;
    }
    auto& sb = volume->superblock();
    debug::write_log_prefix(debug::LogLevel::Info);
    format_to(debug::log_sink(), "ext2: {}: {} blocks of {} bytes ({} free), {} inodes ({} free), {} groups, revision {}, ",
              disk.name(), sb.blocks_count, sb.block_size, sb.free_blocks, sb.inodes_count, sb.free_inodes, sb.group_count,
              sb.revision);
    fs::ext2::write_features(debug::log_sink(), sb);
    debug::log_sink().write("\n");
    if ((sb.feature_ro_compat & ~fs::ext2::kKnownRoCompat) != 0)
        debug::warn("ext2: {}: unknown RO_COMPAT features (read-only; every mount is read-only today)", disk.name());
    auto made = g_root->create_directory_at(g_root->root(), "data");
    if (!made) {
        debug::warn("ext2: cannot create /data: {}", describe(made.error()));
        return;
    }
    auto copied = fs::import_ext2(*volume, *g_root, **made, &debug::console_sink());
    if (!copied) {
        debug::error("ext2: {}: copy into /data stopped: {}", disk.name(), copied.error().message());
        return;
    }
    g_data.mounted = true;
    g_data.files = copied->files;
    g_data.bytes = copied->file_bytes;
    debug::info("ext2: {} at /data (read-only snapshot in memory; changes are not written back): {} files, {} bytes, "
                "{} directories, {} symlinks, {} hard links, {} skipped ({} damaged)",
                disk.name(), copied->files, copied->file_bytes, copied->directories, copied->symlinks, copied->hard_links,
                copied->skipped, copied->damaged);
}

void mount_root(const boot::BootInfo& info)
{
    FsGuard guard;
    g_root = create_empty();
    if (info.modules_rejected > 0)
        debug::warn("boot modules: {} refused (empty, outside usable memory, or too many)", info.modules_rejected);
    if (info.module_count == 0) {
        debug::info("initrd: none (boot with -initrd FILE); the root is empty");
        return;
    }
    auto& module = info.modules[0];
    g_summary.present = true;
    g_summary.archive_size = module.size;
    ReadonlyBytes archive(static_cast<const u8*>(x86_64::phys_to_virt(module.physical)), module.size);
    auto result = fs::load_ustar(*g_root, g_root->root(), archive, &debug::console_sink());
    if (result) {
        g_summary.loaded = true;
        g_summary.files = result->files;
        g_summary.bytes = result->file_bytes;
        debug::info("initrd: {} files, {} bytes ({} directories, {} symlinks, {} skipped)", result->files,
                    result->file_bytes, result->directories, result->symlinks, result->skipped);
    } else {
        debug::write_log_prefix(debug::LogLevel::Error);
        format_to(debug::log_sink(), "initrd: refused ({} bytes at {:#x}): ", module.size, module.physical);
        result.error().write_to(debug::log_sink());
        debug::log_sink().write("\n");
        debug::error("initrd: the root file system is empty");
        // Drop what was unpacked before the bad entry: a half-loaded image is not the image.
        g_root = nullptr;
        g_root = create_empty();
    }
    g_summary.frames_freed = free_module_frames(info);
    debug::info("initrd: {} KiB of boot modules returned to the frame allocator", g_summary.frames_freed * 4);
}

} // namespace wk::kernel::sys
