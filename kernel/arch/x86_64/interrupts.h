#pragma once

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

// Loads the GDT (with a TSS whose IST stacks serve #DF, NMI and #PF), the IDT, and decides
// how interrupt entry saves the vector state (XSAVE when the CPU has it). Interrupts stay off.
void initialize_descriptors();
void enable_vector_state();

using InterruptHandler = void (*)(InterruptFrame&);
void set_interrupt_handler(u8 vector, InterruptHandler handler);

// Asked first about an invalid opcode (#UD) before it is taken for a wasm trap or a kernel
// bug; returns true when it dealt with the fault (kernel/proc/process_stack.h: the stack
// check of a process whose stack can still grow).
using FaultFilter = bool (*)(InterruptFrame&);
void set_invalid_opcode_filter(FaultFilter filter);

const char* exception_name(u64 vector);

} // namespace wk::kernel::x86_64
