#pragma once

#include "base/result.h"
#include "base/types.h"

namespace wk::kernel::x86_64 {

// The stack layout interrupts.S builds: general registers, then what the CPU pushed.
struct InterruptFrame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8;
    u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vector;
    u64 error_code;
    u64 rip, cs, rflags, rsp, ss;
};

constexpr u8 kTimerVector = 32;
constexpr u8 kSpuriousVector = 0xFF;

// Loads the boot CPU's GDT (with a TSS whose IST stacks serve #DF, NMI and #PF) and the IDT,
// which every CPU shares. Interrupts stay off.
void initialize_descriptors();
// Decides how interrupt entry saves the vector state (XSAVE when the CPU has it) and enables
// it on the boot CPU; enable_vector_state_on_this_cpu does the same on another CPU afterwards.
void enable_vector_state();
void enable_vector_state_on_this_cpu();

// Another CPU's GDT and TSS, with IST stacks of its own (kernel/arch/x86_64/smp.h).
struct CpuDescriptors;
Result<CpuDescriptors*> create_cpu_descriptors();
// Only for descriptors no running CPU uses (an AP that never answered or took no ping, since
// sent INIT).
void destroy_cpu_descriptors(CpuDescriptors* descriptors);
// Loads `descriptors` and the shared IDT on the calling CPU.
void load_cpu_descriptors(const CpuDescriptors& descriptors);

using InterruptHandler = void (*)(InterruptFrame&);
void set_interrupt_handler(u8 vector, InterruptHandler handler);

// Asked first about an invalid opcode (#UD) before it is taken for a wasm trap or a kernel
// bug; returns true when it dealt with the fault (kernel/proc/process_stack.h: the stack
// check of a process whose stack can still grow).
using FaultFilter = bool (*)(InterruptFrame&);
void set_invalid_opcode_filter(FaultFilter filter);

const char* exception_name(u64 vector);

} // namespace wk::kernel::x86_64
