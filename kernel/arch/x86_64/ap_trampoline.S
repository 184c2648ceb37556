// Start-up code of the application processors (docs/boot-and-machine-state.md, "SMP").
// A start-up IPI begins an AP in real mode at CS = page << 8, IP = 0, with the code below
// copied to that page (smp.cpp) and the data block (ap_trampoline.h) written behind it. The
// code knows nothing of its address: real mode addresses through CS, and from protected mode
// on %ebx holds the page's physical address. It goes to protected mode, then to long mode on
// temporary page tables (the first 2 MiB identity-mapped, the kernel's upper half), and jumps
// to ap_entry64 in the kernel, which takes the kernel's page tables and calls ap_main(cpu).

#include "kernel/arch/x86_64/ap_trampoline.h"

    .section .rodata
    .balign 16
    .globl ap_trampoline_start
    .globl ap_trampoline_end
    .globl ap_trampoline_protected_mode
    .globl ap_trampoline_long_mode
    .code16
ap_trampoline_start:
    cli
    cld
    mov %cs, %ax
    mov %ax, %ds
    movzwl %ax, %ebx
    shl $4, %ebx                        // the page's physical address
    movl $1, AP_DATA_STAGE
    lgdtl AP_DATA_GDT_POINTER
    mov %cr0, %eax
    or $1, %eax                         // protected mode
    mov %eax, %cr0
    ljmpl *AP_DATA_FAR32

    .code32
ap_trampoline_protected_mode:
    mov $AP_SELECTOR_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    movl $2, AP_DATA_STAGE(%ebx)
    mov %cr4, %eax
    or $(1 << 5), %eax                  // PAE
    mov %eax, %cr4
    mov AP_DATA_TEMP_CR3(%ebx), %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx               // EFER: long mode, no-execute
    rdmsr
    or $((1 << 8) | (1 << 11)), %eax
    wrmsr
    mov %cr0, %eax
    and $~((1 << 30) | (1 << 29)), %eax // caches on: INIT leaves CD and NW set
    or $((1 << 31) | (1 << 16)), %eax   // paging, write protect
    mov %eax, %cr0
    ljmpl *AP_DATA_FAR64(%ebx)

    .code64
ap_trampoline_long_mode:
    movl $3, AP_DATA_STAGE(%rbx)
    mov AP_DATA_KERNEL_CR3(%rbx), %rax
    mov AP_DATA_CR4(%rbx), %rdx
    mov AP_DATA_CR0(%rbx), %rsi
    mov AP_DATA_STACK(%rbx), %rsp
    mov AP_DATA_CPU(%rbx), %rdi
    mov AP_DATA_ENTRY(%rbx), %rcx
    jmp *%rcx
ap_trampoline_end:

    .text
    .globl ap_entry64
// %rax = the kernel's CR3, %rdx = CR4, %rsi = CR0, %rdi = the Cpu, %rsp = its stack top.
ap_entry64:
    mov %rax, %cr3                      // running in the upper half, mapped alike in both
    mov %rdx, %cr4
    mov %rsi, %cr0
    fninit
    xor %ebp, %ebp                      // end of the frame-pointer chain
    call ap_main
1:  cli
    hlt
    jmp 1b
