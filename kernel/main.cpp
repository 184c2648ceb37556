#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/boot_constants.h"
#include "base/hash.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/entropy.h"
#include "kernel/arch/x86_64/interrupts.h"
#include "kernel/arch/x86_64/ioapic.h"
#include "kernel/arch/x86_64/power.h"
#include "kernel/arch/x86_64/smp.h"
#include "kernel/boot/boot_info.h"
#include "kernel/boot/boot_phases.h"
#include "kernel/console/console.h"
#include "kernel/console/process_commands.h"
#include "kernel/debug/ktest.h"
#include "kernel/debug/panic.h"
#include "kernel/debug/symbols.h"
#include "kernel/drivers/network.h"
#include "kernel/drivers/storage.h"
#include "kernel/drivers/uart16550.h"
#include "kernel/mm/memory.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_stack.h"
#include "kernel/sched/thread.h"
#include "kernel/spec/spec_suite.h"
#include "kernel/sys/root_fs.h"
#include "kernel/time/clock.h"
#include "kernel/time/rtc.h"

extern "C" {
using Constructor = void (*)();
extern Constructor __init_array_start[], __init_array_end[];
}

namespace wk::kernel {

namespace {

constexpr u32 kTimerHz = 1000;
// The first process: the shell, when the initrd has one.
constexpr std::string_view kInitPath = "/bin/sh";

void run_global_constructors()
{
    for (Constructor* constructor = __init_array_start; constructor < __init_array_end; ++constructor)
        (*constructor)();
}

// `loglevel=debug|info|warn|error` on the command line sets the console's log level.
void configure_logging(const boot::BootInfo& info)
{
    struct Level {
        std::string_view option;
        debug::LogLevel level;
    };
    static constexpr Level kLevels[] = {
        { "loglevel=debug", debug::LogLevel::Debug },
        { "loglevel=info", debug::LogLevel::Info },
        { "loglevel=warn", debug::LogLevel::Warn },
        { "loglevel=error", debug::LogLevel::Error },
    };
    for (auto& level : kLevels) {
        if (info.has_option(level.option))
            debug::set_minimum_log_level(level.level);
    }
}

// `tier=baseline|optimized|tiered`, `tier-threshold=N`, `tier-osr=on|off` and `compile=lazy|eager` on the command
// line: how processes (and the `spec` run) compile their modules (kernel/proc/process.h,
// set_compile_options).
void configure_compiler(const boot::BootInfo& info)
{
    auto tier = engine::compile::Tier::Tiered;
    i32 threshold = 1000;
    bool osr = true;
    bool lazy = true;
    std::string_view line = info.command_line_view();
    while (!line.empty()) {
        usize end = line.find(' ');
        std::string_view word = line.substr(0, end);
        line = end == std::string_view::npos ? std::string_view() : line.substr(end + 1);
        constexpr std::string_view kTier = "tier=";
        constexpr std::string_view kThreshold = "tier-threshold=";
        if (word.starts_with(kTier)) {
            if (auto parsed = engine::compile::parse_tier(word.substr(kTier.size())))
                tier = *parsed;
            else
                debug::warn("boot: unknown tier in \"{}\"", word);
        } else if (word == "tier-osr=on" || word == "tier-osr=off") {
            osr = word == "tier-osr=on";
        } else if (word == "compile=lazy" || word == "compile=eager") {
            lazy = word == "compile=lazy";
        } else if (word.starts_with(kThreshold)) {
            if (auto parsed = engine::compile::parse_tier_threshold(word.substr(kThreshold.size())))
                threshold = *parsed;
            else
                debug::warn("boot: bad tier threshold in \"{}\"", word);
        }
    }
    proc::set_compile_options(tier, threshold, osr, lazy);
    debug::info("compiler: processes compile {} (tier-up threshold {}, OSR {}, {})", engine::compile::tier_name(tier), threshold,
                osr ? "on" : "off", lazy ? "lazy" : "eager");
}

// SMP (docs/boot-and-machine-state.md, "SMP"): INIT goes to the APs at once; a thread sleeps
// the SDM's 10 ms away while boot goes on, then starts them. Joined before anything that
// needs every CPU up (the in-kernel tests) and before the kernel console.
sched::Thread* g_smp_thread;

// Sleeps rather than spins, so that the boot thread runs meanwhile (the start-up's waits are
// minimums; a sleep ends at a timer tick).
void sleep_at_least(u64 nanoseconds)
{
    if (nanoseconds)
        sched::sleep_for(nanoseconds);
}

i64 start_cpus_thread(void*)
{
    x86_64::start_prepared_application_processors(sleep_at_least);
    boot::mark_boot_phase(boot::BootPhase::Smp);
    return 0;
}

void begin_starting_cpus(const boot::BootInfo& info)
{
    // `nosmp` on the command line: the other CPUs are left waiting for a start-up IPI.
    if (info.has_option("nosmp")) {
        debug::info("smp: nosmp on the command line; 1 CPU online");
        boot::mark_boot_phase(boot::BootPhase::Smp);
        return;
    }
    if (x86_64::prepare_application_processors(info) == 0) {
        boot::mark_boot_phase(boot::BootPhase::Smp);
        return;
    }
    auto thread = sched::spawn("smp-start", start_cpus_thread, nullptr);
    if (!thread) {
        debug::warn("smp: no thread to start the CPUs in ({}); starting them now", thread.error().message());
        x86_64::start_prepared_application_processors();
        boot::mark_boot_phase(boot::BootPhase::Smp);
        return;
    }
    g_smp_thread = *thread;
}

void finish_starting_cpus()
{
    if (!g_smp_thread)
        return;
    (void)sched::join(g_smp_thread);
    g_smp_thread = nullptr;
}

template<typename T>
T must_succeed(Result<T> result, const char* what)
{
    if (!result)
        debug::panic("{}: {}", what, result.error().message());
    if constexpr (!std::is_void_v<T>)
        return std::move(*result);
}

} // namespace

[[noreturn]] void kernel_main(u32 protocol, u64 info_physical, u64 first_tsc)
{
    x86_64::initialize_boot_cpu();
    drivers::com1().initialize();
    run_global_constructors();
    x86_64::enable_vector_state();

    // NOTE: memory comes before the clock so that the local APIC (reached through the direct
    // map) exists when the TSC is calibrated: the PIT windows then measure the APIC timer too,
    // which saves the 1 ms window of its own on every boot (docs/boot-and-machine-state.md, "Boot
    // phases"). Until the clock is calibrated, log lines carry time 0; the memory lines are
    // logged after it.
    auto boot_info = boot::parse_boot_info(protocol, info_physical);
    configure_logging(boot_info);
    x86_64::set_acpi_rsdp(boot_info.rsdp_physical);
    must_succeed(mm::initialize_frames(boot_info), "frame allocator");
    must_succeed(mm::initialize_address_space(boot_info), "kernel address space");
    mm::initialize_heap(x86_64::boot_entropy());
    add_hash_entropy(x86_64::boot_entropy());
    boot::mark_boot_phase(boot::BootPhase::Memory);
    x86_64::initialize_local_apic();
    auto apic_counter = x86_64::apic_timer_counter();
    u64 apic_hz = time::calibrate_tsc(first_tsc, &apic_counter);
    boot::mark_boot_phase(boot::BootPhase::Clock);
    time::read_wall_clock_at_boot();
    debug::info("Wasmkern starting: {} boot, command line \"{}\"", boot_info.protocol_name(),
                boot_info.command_line_view());
    debug::info("clock: TSC {} kHz ({})", time::tsc_frequency_hz() / 1000, time::calibration_source_name());
    debug::info("memory: {} MiB usable in {} ranges", mm::total_frame_count() / 256, boot_info.usable_count);
    for (auto& range : boot_info.usable_ranges())
        debug::dbgln("memory: usable {:#x}..{:#x}", range.base, range.base + range.length);

    x86_64::initialize_descriptors();
    sched::initialize();
    x86_64::set_timer_tick_callback(proc::on_timer_tick);
    x86_64::set_invalid_opcode_filter(proc::grow_at_stack_check);
    x86_64::start_apic_timer(kTimerHz, apic_hz);
    x86_64::sti();
    boot::mark_boot_phase(boot::BootPhase::Timer);
    debug::info("timer: local APIC at {} kHz, {} Hz tick; {} kernel symbols",
                x86_64::apic_timer_frequency_hz() / 1000, kTimerHz, debug::symbol_count());
    begin_starting_cpus(boot_info);

    configure_compiler(boot_info);
    if (boot_info.has_option("probe"))
        x86_64::power_off_success();
    // The I/O APICs, all inputs masked, for devices without MSI-X (INTx).
    x86_64::initialize_io_apics();
    // `storage=poll` on the command line: disks poll for completions instead of taking interrupts.
    drivers::initialize_storage(!boot_info.has_option("storage=poll"));
    boot::mark_boot_phase(boot::BootPhase::Storage);
    sys::mount_root(boot_info);
    boot::mark_boot_phase(boot::BootPhase::Root);
    sys::mount_data();
    drivers::initialize_network();
    // `test` runs every in-kernel test; `test=TEXT` those whose name contains TEXT.
    std::string_view test_filter = boot_info.option_value("test=");
    if (boot_info.has_option("test") || !test_filter.empty()) {
        finish_starting_cpus();
        auto summary = debug::run_kernel_tests(test_filter);
        if (summary.failed == 0 && summary.passed > 0)
            x86_64::power_off_success();
        x86_64::power_off_failure();
    }
    // `spec`: run the spec scripts listed in /spec/files.txt (tests/kernel/spec-in-kernel.sh).
    if (boot_info.has_option("spec")) {
        finish_starting_cpus();
        if (spec::run_suite("/spec/files.txt"))
            x86_64::power_off_success();
        x86_64::power_off_failure();
    }

    u64 boot_ns = time::nanoseconds_since_boot();
    // `console` on the command line skips the shell and goes straight to the kernel console.
    if (!boot_info.has_option("console")) {
        debug::info("boot: first instruction to init in {}.{:03} ms", boot_ns / 1000000, (boot_ns / 1000) % 1000);
        boot::mark_boot_phase(boot::BootPhase::Init);
        console::run_first_process(kInitPath);
        boot_ns = time::nanoseconds_since_boot();
    }
    finish_starting_cpus();
    debug::info("boot: first instruction to console prompt in {}.{:03} ms", boot_ns / 1000000, (boot_ns / 1000) % 1000);
    debug::print("Wasmkern kernel console. Type help for the commands.\n");
    console::run();
}

} // namespace wk::kernel

extern "C" [[noreturn]] void kernel_main(wk::u32 protocol, wk::u64 info_physical, wk::u64 first_tsc)
{
    wk::kernel::kernel_main(protocol, info_physical, first_tsc);
}
