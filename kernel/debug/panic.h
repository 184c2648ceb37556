#pragma once

#include "kernel/debug/log.h"

namespace wk::kernel::debug {

// Starts a panic. Returns false when a panic is already in progress: the caller must then
// stop at once (panic_recursive_halt), so that a fault inside the panic path cannot recurse.
bool panic_begin();
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
