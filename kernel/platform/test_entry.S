// test_enter_wasm(Activation* activation, void (*code)()) -> u32 trap kind (0: returned)
// A minimal entry trampoline for the in-kernel platform tests, following the contract of
// engine/platform.h: it records rsp/rbp/landing in the activation before calling the code;
// a trap resumes at the landing with rsp/rbp restored and eax = the trap kind.
    .text
    .globl test_enter_wasm
test_enter_wasm:
    push %rbp
    mov %rsp, %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    sub $8, %rsp
    mov %rsp, 0(%rdi)
    mov %rbp, 8(%rdi)
    lea 1f(%rip), %rax
    mov %rax, 16(%rdi)
    call *%rsi
    xor %eax, %eax
1:  add $8, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
