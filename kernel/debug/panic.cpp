#include "kernel/debug/panic.h"

#include <atomic>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/arch/x86_64/power.h"
#include "kernel/arch/x86_64/smp.h"
#include "kernel/debug/symbols.h"

namespace wk::kernel::debug {

namespace {

constexpr u32 kNobody = ~0u;
// The index of the CPU that is panicking, kNobody before.
std::atomic<u32> g_panicking_cpu { kNobody };

void write_raw(const char* text)
{
    while (*text)
        console_sink().write(std::string_view(text++, 1));
}

} // namespace

bool panic_begin()
{
    u32 self = x86_64::Cpu::current().index;
    u32 expected = kNobody;
    if (g_panicking_cpu.compare_exchange_strong(expected, self)) {
        x86_64::stop_other_cpus();
        return true;
    }
    if (expected != self)
        x86_64::halt_forever();
    return false;
}

bool panic_in_progress() { return g_panicking_cpu.load() != kNobody; }

void panic_recursive_halt(const char* what)
{
    write_raw("\n*** fault during panic (");
    write_raw(what);
    write_raw("); halting\n");
    x86_64::power_off_failure();
}

void print_backtrace(u64 first_pc, u64 frame_pointer, usize max_frames)
{
    print("backtrace:\n");
    usize index = 0;
    auto print_frame = [&](u64 pc) {
        auto symbol = symbolize(pc);
        if (symbol.name.empty())
            print("  #{} {:#018x} ??\n", index, pc);
        else
            print("  #{} {:#018x} {}+{:#x}\n", index, pc, symbol.name, symbol.offset);
        ++index;
    };
    if (first_pc)
        print_frame(first_pc);
    u64 fp = frame_pointer;
    while (index < max_frames && fp && x86_64::is_readable(fp) && x86_64::is_readable(fp + 8)) {
        u64 return_address = reinterpret_cast<const u64*>(fp)[1];
        u64 next = reinterpret_cast<const u64*>(fp)[0];
        if (return_address == 0)
            break;
        // The call instruction is just before the return address.
        print_frame(return_address - 1);
        if (next <= fp)
            break; // frames move up the stack; anything else is corruption
        fp = next;
    }
}

void panic_end(u64 first_pc, u64 frame_pointer)
{
    print_backtrace(first_pc, frame_pointer);
    print("*** system halted\n");
    x86_64::power_off_failure();
}

} // namespace wk::kernel::debug

namespace wk {

void assertion_failed(const char* expression, const char* file, int line)
{
    kernel::debug::panic("assertion failed: {} at {}:{}", expression, file, line);
}

} // namespace wk
