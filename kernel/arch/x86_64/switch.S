// switch_context(u64* save_rsp, u64 load_rsp): saves the callee-saved state of the running
// thread on its stack, stores its stack pointer in *save_rsp, and resumes the thread whose
// stack pointer is load_rsp. Vector registers are caller-saved in the SysV ABI, so a voluntary
// switch keeps only MXCSR and the x87 control word; a preempted thread's full vector state
// is already in the interrupt frame on its stack (interrupts.S).
    .text
    .globl switch_context
switch_context:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    sub $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    add $8, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

// A new thread's first switch returns here with its Thread* in r12.
    .globl thread_entry_trampoline
thread_entry_trampoline:
    xor %ebp, %ebp                      // the end of the frame-pointer chain
    and $-16, %rsp                      // SysV: rsp is 16-byte aligned at the call
    mov %r12, %rdi
    call thread_entry
    ud2
