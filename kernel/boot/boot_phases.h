#pragma once

// Boot-phase timestamps (docs/boot-and-machine-state.md, "Boot phases"): the kernel marks the end of each
// phase of the way from its first instruction to the shell's first prompt, and writes them all
// as one line when the shell first reads the console. NOTE: one line, at debug level (the log
// ring, `dmesg`), because every line on the serial console costs about a millisecond under
// emulation.

#include "base/types.h"

namespace wk::kernel::boot {

enum class BootPhase : u8 {
    Memory,       // frames, kernel address space, heap
    Clock,        // TSC and local APIC timer calibrated (the same PIT windows)
    Timer,        // descriptors, scheduler, local APIC timer started
    Smp,          // the other CPUs started (kernel/arch/x86_64/smp.h)
    Storage,      // PCI enumerated, disks probed
    Root,         // root file system mounted from the initrd
    Init,         // the first process about to be spawned
    Read,         // its module read from the file system
    Compiled,     // decoded, validated and compiled
    Started,      // its thread running
    Instantiated, // its instance made (memory, tables, data); _start follows
    Prompt,       // the first console read (the shell at its prompt)
    Count,
};

// Records the time of `phase` the first time it is marked; later marks are ignored (so the
// first process's spawn marks Read to Started, not later spawns).
void mark_boot_phase(BootPhase phase);

// Marks Prompt and logs every phase at debug level, once: "boot: phases (ms since the first
// instruction): clock 1.234, memory ..., prompt 20.123".
void log_boot_phases();

} // namespace wk::kernel::boot
