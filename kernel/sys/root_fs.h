#pragma once

#include "base/lock.h"
#include "base/ref_ptr.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/boot/boot_info.h"
#include "kernel/fs/file_system.h"

// The kernel's root file system: one in-memory fs::FileSystem, filled from the initrd at boot.
namespace wk::kernel::sys {

// Serialises every call into the root file system, including dropping inode and OpenFile
// references (kernel/fs does not lock). Interrupts stay off while it is held, so a thread
// holding it is never preempted by another thread that would spin on it (one CPU for now).
// NOTE: the only way to take the lock; never nested.
class FsGuard {
public:
    FsGuard();
    ~FsGuard();
    FsGuard(const FsGuard&) = delete;
    FsGuard& operator=(const FsGuard&) = delete;

private:
    x86_64::InterruptDisabler m_interrupts;
};

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

} // namespace wk::kernel::sys
