#include "kernel/arch/x86_64/interrupts.h"

#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/smp.h"
#include "engine/platform.h"
#include "kernel/debug/panic.h"

namespace wk::kernel::x86_64 {

namespace {

InterruptHandler g_handlers[256];
FaultFilter g_invalid_opcode_filter;

void print_registers(const InterruptFrame& f)
{
    using debug::print;
    print("  rip={:#018x} rsp={:#018x} rflags={:#010x}\n", f.rip, f.rsp, f.rflags);
    print("  rax={:#018x} rbx={:#018x} rcx={:#018x}\n", f.rax, f.rbx, f.rcx);
    print("  rdx={:#018x} rsi={:#018x} rdi={:#018x}\n", f.rdx, f.rsi, f.rdi);
    print("  rbp={:#018x} r8 ={:#018x} r9 ={:#018x}\n", f.rbp, f.r8, f.r9);
    print("  r10={:#018x} r11={:#018x} r12={:#018x}\n", f.r10, f.r11, f.r12);
    print("  r13={:#018x} r14={:#018x} r15={:#018x}\n", f.r13, f.r14, f.r15);
    print("  cs={:#06x} ss={:#06x} cr2={:#018x} cr3={:#018x}\n", f.cs, f.ss, read_cr2(), read_cr3());
}

[[noreturn]] void kernel_exception(const InterruptFrame& f)
{
    if (!debug::panic_begin())
        debug::panic_recursive_halt(exception_name(f.vector));
    debug::print("\n*** KERNEL PANIC: CPU exception {} ({}) in kernel mode, error code {:#x}\n", f.vector,
                 exception_name(f.vector), f.error_code);
    if (online_cpu_count() > 1)
        debug::print("  on CPU {} (APIC ID {})\n", Cpu::current().index, Cpu::current().apic_id);
    if (f.vector == 14) {
        u64 address = read_cr2();
        // A not-present fault right at the stack pointer is a push into a guard page.
        bool stack_overflow = !(f.error_code & 1) && address + 4096 > f.rsp && address < f.rsp + 4096;
        debug::print("  faulting address: {:#018x} ({} {}{})\n", address,
                     (f.error_code & 2) ? "write" : ((f.error_code & 16) ? "instruction fetch" : "read"),
                     (f.error_code & 1) ? "protection violation" : "page not present",
                     address < 4096 ? ", null pointer" : (stack_overflow ? ", kernel stack overflow" : ""));
    }
    print_registers(f);
    debug::panic_end(f.rip, f.rbp);
}

// A divide error, invalid opcode (ud2), page fault or general protection fault at a trap site
// of wasm code becomes a trap: the frame is rewritten to resume at the activation's landing.
bool redirect_wasm_fault(InterruptFrame& f)
{
    if (f.vector != 0 && f.vector != 6 && f.vector != 13 && f.vector != 14)
        return false;
    engine::FaultState state {
        .pc = f.rip,
        .sp = f.rsp,
        .fp = f.rbp,
        .fault_address = f.vector == 14 ? read_cr2() : 0,
        .rax = f.rax,
    };
    if (!engine::redirect_fault_to_trap(state))
        return false;
    f.rip = state.pc;
    f.rsp = state.sp;
    f.rbp = state.fp;
    f.rax = state.rax;
    return true;
}

} // namespace

const char* exception_name(u64 vector)
{
    static constexpr const char* kNames[32] = {
        "divide error", "debug", "non-maskable interrupt", "breakpoint", "overflow",
        "bound range exceeded", "invalid opcode", "device not available", "double fault",
        "coprocessor segment overrun", "invalid TSS", "segment not present", "stack-segment fault",
        "general protection fault", "page fault", "reserved", "x87 floating-point error",
        "alignment check", "machine check", "SIMD floating-point error", "virtualization exception",
        "control protection exception", "reserved", "reserved", "reserved", "reserved", "reserved",
        "reserved", "hypervisor injection", "VMM communication", "security exception", "reserved",
    };
    return vector < 32 ? kNames[vector] : "interrupt";
}

void set_interrupt_handler(u8 vector, InterruptHandler handler) { g_handlers[vector] = handler; }

void set_invalid_opcode_filter(FaultFilter filter) { g_invalid_opcode_filter = filter; }

} // namespace wk::kernel::x86_64

extern "C" void interrupt_dispatch(wk::kernel::x86_64::InterruptFrame* frame)
{
    using namespace wk::kernel::x86_64;
    if (auto handler = g_handlers[frame->vector & 0xFF]) {
        handler(*frame);
        return;
    }
    if (frame->vector < 32) {
        // Another CPU's panic stops this one (x86_64::stop_other_cpus).
        if (frame->vector == 2 && wk::kernel::debug::panic_in_progress())
            halt_forever();
        if (frame->vector == 6 && g_invalid_opcode_filter && g_invalid_opcode_filter(*frame))
            return;
        if (redirect_wasm_fault(*frame))
            return;
        kernel_exception(*frame);
    }
    if (frame->vector == kSpuriousVector)
        return;
    wk::kernel::debug::warn("unexpected interrupt vector {}", frame->vector);
    local_apic_end_of_interrupt();
}
