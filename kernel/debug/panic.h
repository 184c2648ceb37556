#pragma once

#include "kernel/debug/log.h"

namespace wk::kernel::debug {

// Starts a panic and stops the other CPUs (an NMI each). Returns false when this CPU is
// already panicking: the caller must then stop at once (panic_recursive_halt), so that a fault
// inside the panic path cannot recurse. When another CPU is panicking, this one halts here
// silently, so that a panic prints once.
bool panic_begin();
// True once any CPU has begun a panic (the NMI handler of the others then halts).
bool panic_in_progress();
[[noreturn]] void panic_recursive_halt(const char* what);
// Prints the backtrace from `frame_pointer` (with `first_pc` first if non-zero) and stops:
// under QEMU through isa-debug-exit with a failure status, else by halting.
[[noreturn]] void panic_end(u64 first_pc, u64 frame_pointer);

template<typename... Args>
[[noreturn]] void panic(std::string_view format, const Args&... args)
{
    asm volatile("cli" ::: "memory");
    if (!panic_begin())
        panic_recursive_halt("panic");
    console_sink().write("\n*** KERNEL PANIC: ");
    format_to(console_sink(), format, args...);
    console_sink().write("\n");
    panic_end(0, reinterpret_cast<u64>(__builtin_frame_address(0)));
}

// Prints "  #N 0xADDRESS function+0xOFFSET" lines by walking saved frame pointers, checking
// every frame is mapped before reading it.
void print_backtrace(u64 first_pc, u64 frame_pointer, usize max_frames = 32);

} // namespace wk::kernel::debug
