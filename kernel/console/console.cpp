#include "kernel/console/console.h"
#include "kernel/console/arguments.h"
#include "kernel/console/process_commands.h"
#include "kernel/console/ext2_commands.h"
#include "kernel/console/net_commands.h"
#include "kernel/console/storage_commands.h"

#include <string_view>

#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/power.h"
#include "kernel/arch/x86_64/smp.h"
#include "kernel/debug/log.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/open_file.h"
#include "kernel/mm/memory.h"
#include "kernel/object/kernel_object.h"
#include "kernel/sched/thread.h"
#include "kernel/sys/root_fs.h"
#include "kernel/sys/stream.h"
#include "kernel/time/clock.h"

namespace wk::kernel::console {

using debug::print;
namespace fs = kernel::fs;

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
    u64 total = mm::total_frame_count();
    u64 free = mm::free_frame_count();
    auto heap = mm::heap_statistics();
    print("frames: {} total, {} used, {} free (4 KiB each; {} MiB free)\n", total, total - free, free, free / 256);
    print("heap: {} bytes in use, {} pages held\n", heap.bytes_in_use, heap.pages_held);
    print("objects: {} live\n", object::KernelObject::live_count());
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
    if (arguments.starts_with("cpu ")) {
        u64 index = 0;
        auto* cpu = parse_number(arguments.substr(4), x86_64::kMaxCpus, index) ? x86_64::cpu_at(index) : nullptr;
        if (!cpu || cpu == &x86_64::Cpu::current()) {
            print("fault cpu: no other CPU with index {} ({} online)\n", arguments.substr(4), x86_64::online_cpu_count());
            return;
        }
        print("writing to address 0 on CPU {} on purpose...\n", index);
        bool sent = x86_64::call_on_cpu(*cpu, [](void*) {
            volatile u64* null_pointer = nullptr;
            asm volatile("" : "+r"(null_pointer));
            *null_pointer = 0xDEAD;
        }, nullptr);
        if (!sent)
            print("fault cpu: CPU {} did not take the call\n", index);
        return;
    }
    if (!arguments.empty()) {
        print("usage: fault [stack | cpu N]\n");
        return;
    }
    print("writing to address 0 on purpose...\n");
    volatile u64* null_pointer = nullptr;
    asm volatile("" : "+r"(null_pointer));
    *null_pointer = 0xDEAD;
}

const char* type_name(fs::InodeType type)
{
    switch (type) {
    case fs::InodeType::File: return "file";
    case fs::InodeType::Directory: return "dir";
    case fs::InodeType::Symlink: return "link";
    }
    return "?";
}

// Prints a name from the file system: printable ASCII as is, other bytes as '?', so a hostile
// name in an archive cannot drive the terminal.
void print_safe(std::string_view text)
{
    for (char c : text)
        print("{:c}", (c >= 0x20 && c < 0x7F) ? c : '?');
}

// At most this many entries and bytes per command, so a huge directory or file cannot keep the
// console printing for minutes.
constexpr usize kMaxListedEntries = 1000;
constexpr u64 kMaxCatBytes = 64 * 1024;

// NOTE: the file system is read under sys::FsGuard (interrupts off) a batch at a time and
// printed after the guard is gone, so a slow UART never holds the lock.

struct ListedEntry {
    fs::InodeType type;
    u64 size;
    u8 name_length;
    char name[kMaxNameLength];
};

// Collects up to kBatch entries (without "." and "..") starting at a cookie.
class ListBatch final : public fs::DirectoryVisitor {
public:
    static constexpr usize kBatch = 8;

    explicit ListBatch(fs::Directory& directory)
        : m_directory(directory)
    {
    }
    bool entry(u64 next_cookie, u64, fs::InodeType type, std::string_view name) override
    {
        if (m_count == kBatch) {
            m_full = true;
            return false;
        }
        m_next_cookie = next_cookie;
        if (name == "." || name == "..")
            return true;
        auto& entry = m_entries[m_count++];
        entry.type = type;
        // NOTE: called under the FsGuard; the reference goes before it is released.
        auto inode = sys::root_fs().find_ref(m_directory, name);
        entry.size = inode ? inode->size() : 0;
        usize length = name.size() < sizeof entry.name ? name.size() : sizeof entry.name;
        __builtin_memcpy(entry.name, name.data(), length);
        entry.name_length = static_cast<u8>(length);
        return true;
    }

    ListedEntry m_entries[kBatch];
    usize m_count { 0 };
    u64 m_next_cookie { 0 };
    bool m_full { false }; // stopped before the end: read on from m_next_cookie

private:
    fs::Directory& m_directory;
};

void print_entry(const ListedEntry& entry)
{
    print("  {:<4} {:>10}  ", type_name(entry.type), entry.size);
    print_safe(std::string_view(entry.name, entry.name_length));
    print(entry.type == fs::InodeType::Directory ? "/\n" : "\n");
}

void print_path_error(const char* command, std::string_view path, Errno error)
{
    print("{}: ", command);
    print_safe(path);
    print(": {}\n", describe(error));
}

// Resolves `path` from the root; the reference must be dropped under the guard too.
ErrnoResult<RefPtr<fs::Inode>> resolve_locked(std::string_view path)
{
    auto& file_system = sys::root_fs();
    return file_system.resolve(file_system.root(), path);
}

void release(RefPtr<fs::Inode>& inode)
{
    sys::FsGuard guard;
    inode = nullptr;
}

void command_ls(std::string_view arguments)
{
    std::string_view path = arguments.empty() ? std::string_view("/") : arguments;
    RefPtr<fs::Inode> inode;
    Errno error = Errno::NoEnt;
    fs::InodeType type = fs::InodeType::File;
    u64 size = 0;
    {
        sys::FsGuard guard;
        auto resolved = resolve_locked(path);
        if (resolved) {
            inode = std::move(*resolved);
            type = inode->type();
            size = inode->size();
        } else {
            error = resolved.error();
        }
    }
    if (!inode) {
        print_path_error("ls", path, error);
        return;
    }
    if (type != fs::InodeType::Directory) {
        print("  {:<4} {:>10}  ", type_name(type), size);
        print_safe(path);
        print("\n");
        release(inode);
        return;
    }
    auto& directory = static_cast<fs::Directory&>(*inode);
    usize listed = 0;
    u64 cookie = 0;
    bool truncated = false;
    for (;;) {
        ListBatch batch(directory);
        {
            sys::FsGuard guard;
            directory.read(cookie, batch);
        }
        for (usize i = 0; i < batch.m_count && !truncated; ++i) {
            if (listed == kMaxListedEntries) {
                truncated = true;
                break;
            }
            print_entry(batch.m_entries[i]);
            ++listed;
        }
        if (truncated || !batch.m_full)
            break;
        cookie = batch.m_next_cookie;
    }
    release(inode);
    if (truncated)
        print("  ... (listing stopped after {} entries)\n", kMaxListedEntries);
    else
        print("{} entries\n", listed);
}

void command_cat(std::string_view arguments)
{
    if (arguments.empty()) {
        print("usage: cat PATH\n");
        return;
    }
    RefPtr<fs::Inode> inode;
    Errno error = Errno::NoEnt;
    {
        sys::FsGuard guard;
        auto resolved = resolve_locked(arguments);
        if (resolved)
            inode = std::move(*resolved);
        else
            error = resolved.error();
    }
    if (!inode) {
        print_path_error("cat", arguments, error);
        return;
    }
    if (!inode->is_file()) {
        release(inode);
        print_path_error("cat", arguments, Errno::IsDir);
        return;
    }
    auto& file = static_cast<fs::File&>(*inode);
    u8 buffer[256];
    bool ends_with_newline = true;
    u64 offset = 0;
    u64 size = 0;
    for (;;) {
        usize got;
        {
            sys::FsGuard guard;
            size = file.size();
            u64 limit = size < kMaxCatBytes ? size : kMaxCatBytes;
            usize want = offset >= limit ? 0 : (limit - offset < sizeof(buffer) ? static_cast<usize>(limit - offset) : sizeof(buffer));
            got = want == 0 ? 0 : file.read_at(offset, Bytes(buffer, want));
        }
        if (got == 0)
            break;
        for (usize i = 0; i < got; ++i) {
            char c = static_cast<char>(buffer[i]);
            // Text as is; other control bytes as '.', so binary files cannot drive the terminal.
            if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7F))
                print("{:c}", c);
            else
                print(".");
            ends_with_newline = c == '\n';
        }
        offset += got;
    }
    release(inode);
    if (!ends_with_newline)
        print("\n");
    if (offset < size)
        print("cat: stopped after {} of {} bytes\n", offset, size);
}

// Lets background processes run for a while (boot tests use it to reach a known state).
void command_sleep(std::string_view arguments)
{
    u64 milliseconds = 0;
    bool valid = !arguments.empty() && arguments.size() <= 6;
    for (char c : arguments) {
        valid = valid && c >= '0' && c <= '9';
        milliseconds = milliseconds * 10 + static_cast<u64>(c - '0');
    }
    if (!valid) {
        print("usage: sleep MILLISECONDS (at most 999999)\n");
        return;
    }
    sched::sleep_for(milliseconds * 1000000);
}

void command_cpus(std::string_view)
{
    for (usize i = 0; i < x86_64::online_cpu_count(); ++i) {
        auto* cpu = x86_64::cpu_at(i);
        print("CPU {}: APIC ID {}, {}, {} pings\n", cpu->index, cpu->apic_id, i == 0 ? "runs the threads" : "idle",
              cpu->pings.load());
    }
}

void command_poweroff(std::string_view)
{
    print("powering off\n");
    sys::unmount_data();
    x86_64::power_off_success();
}

constexpr Command kCommands[] = {
    { "help", "list the commands", command_help },
    { "mem", "show free and used physical frames and the heap", command_mem },
    { "uptime", "show the time since boot", command_uptime },
    { "cpus", "list the CPUs that are online", command_cpus },
    { "sleep", "wait a number of milliseconds (`sleep MS`)", command_sleep },
    { "fault", "write to a null pointer (or `fault stack`: overflow the stack; `fault cpu N`: on CPU N) to show the fault report", command_fault },
    { "ls", "list a directory of the file system (`ls [PATH]`, default /)", command_ls },
    { "cat", "print a file (`cat PATH`; at most 64 KiB, control bytes as '.')", command_cat },
    { "run", "run a program and wait for it (`run PATH [ARGS...]`)", command_run },
    { "spawn", "start a program in the background (`spawn PATH [ARGS...]`)", command_spawn },
    { "wait", "wait for a process started with spawn (`wait PID`)", command_wait },
    { "kill", "kill a process (`kill PID`)", command_kill },
    { "ps", "list the processes", command_ps },
    { "cache", "show the compiled-module cache and tier-up (`cache drop` empties it, `cache idle` waits for tier-up compiles)", command_cache },
    { "spawnbench", "time spawns of a program (`spawnbench N PATH [ARGS...]`)", command_spawnbench },
    { "lspci", "list the PCI functions and their BARs", command_lspci },
    { "disk", "list disks; `disk write|verify NAME SECTOR COUNT SEED`, `disk flush NAME`, `disk bench NAME SECTOR MIB`", command_disk },
    { "ext2", "change an ext2 disk directly: `ext2 write|mkdir|rm|mv|ln|bench DISK ...` (not seen in /data until reboot)", command_ext2 },
    { "net", "show the network interface and its counters (`net wait SECONDS`: wait for a DHCP address)", command_net },
    { "ping", "send ICMP echo requests (`ping ADDRESS [COUNT]`)", command_ping },
    { "udpecho", "echo UDP datagrams (`udpecho PORT COUNT [SECONDS]`)", command_udpecho },
    { "udpsend", "send a UDP datagram and print the reply (`udpsend ADDRESS PORT TEXT`)", command_udpsend },
    { "tcpecho", "echo TCP connections (`tcpecho PORT COUNT [SECONDS]`)", command_tcpecho },
    { "poweroff", "turn the machine off", command_poweroff },
};

void command_help(std::string_view)
{
    for (auto& command : kCommands)
        print("  {:<10} {}\n", command.name, command.help);
}

u8 read_byte()
{
    for (;;) {
        if (auto byte = sys::take_console_byte())
            return *byte;
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
