#include "kernel/console/console.h"

#include <string_view>

#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/power.h"
#include "kernel/debug/log.h"
#include "kernel/drivers/uart16550.h"
#include "kernel/mm/memory.h"
#include "kernel/time/clock.h"

namespace wk::kernel::console {

using debug::print;

namespace {

constexpr usize kMaxLine = 256;
constexpr std::string_view kPrompt = "wasmkern> ";

struct Command {
    std::string_view name;
    std::string_view help;
    void (*run)(std::string_view arguments);
};

void command_help(std::string_view);

void command_mem(std::string_view)
{
    auto& frames = mm::frames();
    auto heap = mm::heap_statistics();
    print("frames: {} total, {} used, {} free (4 KiB each; {} MiB free)\n", frames.total_frames(),
          frames.used_frames(), frames.free_frames(), frames.free_frames() / 256);
    print("heap: {} bytes in use, {} pages held\n", heap.bytes_in_use, heap.pages_held);
}

void command_uptime(std::string_view)
{
    u64 micros = time::nanoseconds_since_boot() / 1000;
    print("up {}.{:06} s ({} timer ticks at {} Hz; TSC {} MHz from {})\n", micros / 1000000, micros % 1000000,
          x86_64::timer_ticks(), x86_64::timer_hz(), time::tsc_frequency_hz() / 1000000,
          time::calibration_source_name());
}

// Recurses until the stack's guard page stops it; the page fault runs on its own IST stack.
[[gnu::noinline]] u64 overflow_stack(u64 depth)
{
    volatile u8 frame[512];
    frame[0] = static_cast<u8>(depth);
    if (depth == ~u64 { 0 })
        return frame[0];
    return overflow_stack(depth + 1) + frame[0];
}

[[gnu::noinline]] void command_fault(std::string_view arguments)
{
    if (arguments == "stack") {
        print("overflowing the kernel stack on purpose...\n");
        overflow_stack(0);
        return;
    }
    if (!arguments.empty()) {
        print("usage: fault [stack]\n");
        return;
    }
    print("writing to address 0 on purpose...\n");
    volatile u64* null_pointer = nullptr;
    asm volatile("" : "+r"(null_pointer));
    *null_pointer = 0xDEAD;
}

void command_poweroff(std::string_view)
{
    print("powering off\n");
    x86_64::power_off_success();
}

constexpr Command kCommands[] = {
    { "help", "list the commands", command_help },
    { "mem", "show free and used physical frames and the heap", command_mem },
    { "uptime", "show the time since boot", command_uptime },
    { "fault", "write to a null pointer (or `fault stack`: overflow the stack) to show the fault report", command_fault },
    { "poweroff", "turn the machine off", command_poweroff },
};

void command_help(std::string_view)
{
    for (auto& command : kCommands)
        print("  {:<10} {}\n", command.name, command.help);
}

u8 read_byte()
{
    auto& uart = drivers::com1();
    for (;;) {
        {
            x86_64::InterruptDisabler guard;
            if (auto byte = uart.try_read_byte())
                return *byte;
        }
        // The timer interrupt wakes us at least once per tick to poll again.
        x86_64::sti_hlt();
    }
}

// Reads one line with echo and backspace; returns its length. Bytes past kMaxLine are dropped
// with a bell rather than silently: the user sees the line stop growing.
usize read_line(char (&line)[kMaxLine])
{
    usize length = 0;
    static bool last_was_cr = false;
    for (;;) {
        u8 c = read_byte();
        if (c == '\n' && last_was_cr) {
            last_was_cr = false;
            continue; // the LF of a CRLF pair
        }
        last_was_cr = c == '\r';
        if (c == '\r' || c == '\n') {
            print("\n");
            return length;
        }
        if (c == 0x08 || c == 0x7F) {
            if (length > 0) {
                --length;
                print("\b \b");
            }
            continue;
        }
        if (c < 0x20 || c >= 0x7F)
            continue;
        if (length + 1 >= kMaxLine) {
            print("\a");
            continue;
        }
        line[length++] = static_cast<char>(c);
        print("{:c}", static_cast<char>(c));
    }
}

std::string_view trim(std::string_view text)
{
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ')
        text.remove_suffix(1);
    return text;
}

void execute(std::string_view line)
{
    line = trim(line);
    if (line.empty())
        return;
    usize space = line.find(' ');
    std::string_view name = line.substr(0, space);
    std::string_view arguments = space == std::string_view::npos ? std::string_view {} : trim(line.substr(space));
    for (auto& command : kCommands) {
        if (command.name == name) {
            command.run(arguments);
            return;
        }
    }
    print("unknown command: {} (type help)\n", name);
}

} // namespace

void run()
{
    char line[kMaxLine];
    for (;;) {
        print("{}", kPrompt);
        usize length = read_line(line);
        execute(std::string_view(line, length));
    }
}

} // namespace wk::kernel::console
