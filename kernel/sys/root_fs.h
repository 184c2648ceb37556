#pragma once

#include "base/ref_ptr.h"
#include "kernel/arch/x86_64/irq_spin_lock.h"
#include "kernel/boot/boot_info.h"
#include "kernel/fs/file_system.h"
#include "kernel/fs/ext2_mount.h"

// The kernel's root file system: one in-memory fs::FileSystem, filled from the initrd at boot.
namespace wk::kernel::sys {

// The root file system's lock (an IrqSpinLock: interrupts stay off while it is held, so a
// thread holding it is never preempted by another thread that would spin on it).
extern x86_64::IrqSpinLock g_fs_lock;

// Serialises every call into the root file system, including dropping inode and OpenFile
// references (kernel/fs does not lock).
// NOTE: the only way to take g_fs_lock; never nested; nothing else is taken under it but the
// kernel heap, the frame allocator and the log ring. Contract: a hold does bounded work. Work a
// guest sizes (bytes to copy or zero, entries to list, storage to free) is cut into steps of
// at most 64 KiB (or 256 directory entries, or 256 file chunks), with the guard released
// between steps, where the caller checks for a kill and offers the CPU
// (sched::preemption_point). See docs/boot-and-machine-state.md, "Long calls".
class WK_SCOPED_CAPABILITY FsGuard {
public:
    FsGuard() WK_ACQUIRE(g_fs_lock);
    ~FsGuard() WK_RELEASE();
    FsGuard(const FsGuard&) = delete;
    FsGuard& operator=(const FsGuard&) = delete;

private:
    x86_64::InterruptState m_state;
};

// Reads buffer.size() bytes of `file` from offset 0 into `buffer`, one FsGuard hold per
// 64 KiB (a process's module, say). The caller holds a reference to the file and not the guard.
void read_in_steps(fs::File& file, Bytes buffer);

// Creates the root file system and unpacks boot module 0 (the initrd, a tar archive) into
// it; logs "initrd: N files, M bytes" or, for an archive it refuses, the loader's error and
// leaves the root empty. Frees every boot module's frames afterwards (the file system holds
// copies). Panics only when an empty file system cannot be created.
void mount_root(const boot::BootInfo&);

// The root file system; valid after mount_root(). Use under an FsGuard.
fs::FileSystem& root_fs();

// What mount_root() found, for the console and tests.
struct InitrdSummary {
    bool present { false };
    bool loaded { false };
    u64 files { 0 };
    u64 bytes { 0 };
    u64 archive_size { 0 };
    u64 frames_freed { 0 };
};
const InitrdSummary& initrd_summary();

// Mounts the ext2 file system of the first disk at /data, if it has one, live: every change
// goes to the disk (fs::ext2::Mount; docs/storage.md, "Live mount"). Read-write when the
// image is clean and its features are understood, read-only with a logged reason otherwise.
// Logs the superblock's numbers and features, then how it is mounted, or why it is not.
// NOTE: call once after mount_root() and drivers::initialize_storage(), before the first
// process starts, without holding the FsGuard (the disk reads need interrupts).
void mount_data();
// Before power-off: writes every dirty block of /data, flushes and marks it clean; the
// volume is read-only afterwards. Takes the FsGuard.
void unmount_data();
// The live mount and its disk (nullptr when /data is not mounted).
fs::ext2::Mount* data_mount();
drivers::BlockDevice* data_disk();

struct DataSummary {
    bool mounted { false };
    bool writable { false };
};
const DataSummary& data_summary();

} // namespace wk::kernel::sys
