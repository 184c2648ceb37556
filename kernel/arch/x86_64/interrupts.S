// Interrupt and exception entry. Every vector has a stub that pushes an error code (a zero
// when the CPU pushes none) and the vector number, then joins interrupt_common, which saves
// the general registers and the whole vector state (XSAVE, or FXSAVE without it: kernel C++
// and wasm code both use SSE/AVX, see docs/boot-and-machine-state.md) and calls interrupt_dispatch(frame).

    .text
    .code64

.macro STUB vector
    .balign 16
isr_stub_\vector:
    .if (\vector == 8) || (\vector == 10) || (\vector == 11) || (\vector == 12) || (\vector == 13) || (\vector == 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
    .else
    pushq $0
    .endif
    pushq $\vector
    jmp interrupt_common
.endm

    .altmacro
.set vector, 0
.rept 256
    STUB %vector
    .set vector, vector + 1
.endr

    .balign 16
interrupt_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    cld
    mov %rsp, %rbx                      // the InterruptFrame; rbx survives the call
    sub vector_state_size(%rip), %rsp
    and $-64, %rsp
    mov $-1, %eax
    mov $-1, %edx
    cmpb $0, vector_state_uses_xsave(%rip)
    je 1f
    // XSAVE writes only XSTATE_BV of the header; XRSTOR faults unless the rest is zero.
    movq $0, 512(%rsp)
    movq $0, 520(%rsp)
    movq $0, 528(%rsp)
    movq $0, 536(%rsp)
    movq $0, 544(%rsp)
    movq $0, 552(%rsp)
    movq $0, 560(%rsp)
    movq $0, 568(%rsp)
    xsave64 (%rsp)
    jmp 2f
1:  fxsave64 (%rsp)
2:  mov %rbx, %rdi
    call interrupt_dispatch
    mov $-1, %eax
    mov $-1, %edx
    cmpb $0, vector_state_uses_xsave(%rip)
    je 3f
    xrstor64 (%rsp)
    jmp 4f
3:  fxrstor64 (%rsp)
4:  mov %rbx, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp                       // vector and error code
    iretq

    .section .rodata
    .balign 8
    .globl isr_stub_table
isr_stub_table:
.macro STUB_ADDRESS vector
    .quad isr_stub_\vector
.endm
.set vector, 0
.rept 256
    STUB_ADDRESS %vector
    .set vector, vector + 1
.endr
