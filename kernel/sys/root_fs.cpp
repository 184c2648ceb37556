#include "kernel/sys/root_fs.h"

#include "kernel/arch/x86_64/paging.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/drivers/storage.h"
#include "kernel/fs/ext2_mount.h"
#include "kernel/fs/ustar.h"
#include "kernel/mm/memory.h"
#include "kernel/sched/thread.h"
#include "kernel/proc/process.h"
#include "kernel/time/clock.h"
#include "kernel/time/rtc.h"

namespace wk::kernel::sys {

namespace {

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
            if (mm::is_frame_allocated(frame)) {
                mm::free_frame(frame);
                ++freed;
            }
        }
    }
    return freed;
}

} // namespace

constinit x86_64::IrqSpinLock g_fs_lock;

FsGuard::FsGuard() { m_state = g_fs_lock.lock(); }
FsGuard::~FsGuard() { g_fs_lock.unlock(m_state); }

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

namespace {

fs::ext2::Mount* g_mount;
drivers::BlockDevice* g_data_disk;

u32 wall_clock_seconds() { return static_cast<u32>(time::realtime_nanoseconds() / 1'000'000'000); }

} // namespace

void mount_data()
{
    auto disks = drivers::disks();
    if (disks.empty()) {
        debug::info("ext2: no disk; /data not mounted");
        return;
    }
    drivers::BlockDevice& disk = *disks[0];
    // NOTE: runs before the first process, so nothing else uses the root file system yet; not
    // under the FsGuard because waiting for the disk needs interrupts.
    auto volume = fs::ext2::Volume::mount(disk);
    if (!volume) {
        debug::warn("ext2: {} not mounted: {}", disk.name(), volume.error().message());
        return;
    }
    auto& sb = volume->superblock();
    {
        debug::LogLine line(debug::LogLevel::Info);
        format_to(line, "ext2: {}: {} blocks of {} bytes ({} free), {} inodes ({} free), {} groups, revision {}, ",
                  disk.name(), sb.blocks_count, sb.block_size, sb.free_blocks, sb.inodes_count, sb.free_inodes,
                  sb.group_count, sb.revision);
        fs::ext2::write_features(line, sb);
    }
    // Read-write only when the image is clean and every feature is understood (Volume::mount
    // decides the latter, and a read-only device); otherwise read-only with the reason.
    if (volume->is_writable() && (sb.state & fs::ext2::kStateValid) == 0)
        volume->set_read_only(Error::from("ext2: not cleanly unmounted (run e2fsck)", ErrorKind::Unsupported));
    bool writable = volume->is_writable();
    if (!writable)
        debug::warn("ext2: {} read-only: {}", disk.name(), volume->last_error().message());
    volume->set_clock(wall_clock_seconds);
    auto mount = fs::ext2::Mount::create(*g_root, std::move(*volume), g_root->root(), "data");
    if (!mount) {
        debug::error("ext2: {}: cannot mount at /data: {}", disk.name(), describe(mount.error()));
        return;
    }
    g_mount = *mount;
    g_mount->set_damage_reporter([](const Error& error) {
        debug::error("ext2: /data is read-only from now on: {}", error.message());
    });
    g_data_disk = &disk;
    g_data.mounted = true;
    g_data.writable = writable;
    debug::info("ext2: {} at /data ({}, live: changes go to the disk)", disk.name(), writable ? "read-write" : "read-only");
}

fs::ext2::Mount* data_mount() { return g_mount; }
drivers::BlockDevice* data_disk() { return g_data_disk; }

void unmount_data()
{
    if (!g_mount)
        return;
    FsGuard guard;
    if (!g_mount->volume().is_writable())
        return;
    if (auto done = g_mount->unmount(); !done) {
        debug::error("ext2: unmount of /data failed: {} ({})", describe(done.error()),
                     g_mount->volume().last_error().message());
        return;
    }
    debug::print("ext2: /data written back and marked clean\n");
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
        {
            debug::LogLine line(debug::LogLevel::Error);
            format_to(line, "initrd: refused ({} bytes at {:#x}): ", module.size, module.physical);
            result.error().write_to(line);
        }
        debug::error("initrd: the root file system is empty");
        // Drop what was unpacked before the bad entry: a half-loaded image is not the image.
        g_root = nullptr;
        g_root = create_empty();
    }
    g_summary.frames_freed = free_module_frames(info);
    debug::info("initrd: {} KiB of boot modules returned to the frame allocator", g_summary.frames_freed * 4);
}

} // namespace wk::kernel::sys
