// Boot entry for both boot protocols, from 32-bit protected mode to the higher half.
//   PVH (QEMU -kernel): entry from the XEN_ELFNOTE_PHYS32_ENTRY note, %ebx = hvm_start_info.
//   Multiboot2 (GRUB):  entry from the header's entry tag, %eax = magic, %ebx = boot information.
// Both arrive with paging off and no usable stack. We build temporary page tables that map
// the first 4 GiB at 0 (identity, dropped later) and at the direct-map base, and the first
// 2 GiB at the kernel base; then enter long mode and call kernel_main(protocol, info, tsc).

#include "kernel/arch/x86_64/boot_constants.h"

#define BOOT_PHYS(symbol) ((symbol) - KERNEL_VMA)

    .section .multiboot2, "a"
    .balign 8
multiboot2_header:
    .long 0xE85250D6                    // magic
    .long 0                             // architecture: i386 protected mode
    .long multiboot2_header_end - multiboot2_header
    .long -(0xE85250D6 + 0 + (multiboot2_header_end - multiboot2_header))
    .balign 8
    .short 3                            // entry address tag
    .short 0
    .long 12
    .long multiboot2_entry
    .balign 8
    .short 0                            // end tag
    .short 0
    .long 8
multiboot2_header_end:

    .section .note.Xen, "a", @note
    .balign 4
    .long 4                             // name size
    .long 4                             // descriptor size
    .long 18                            // XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .long pvh_entry

    .section .boot.text, "ax"
    .code32
    .globl pvh_entry
pvh_entry:
    cli
    mov $BOOT_PROTOCOL_PVH, %edi
    jmp boot32_common

    .globl multiboot2_entry
multiboot2_entry:
    cli
    mov $BOOT_PROTOCOL_NONE, %edi
    cmp $0x36D76289, %eax
    jne 1f
    mov $BOOT_PROTOCOL_MULTIBOOT2, %edi
1:  jmp boot32_common

boot32_common:
    mov %ebx, %esi                      // boot information, physical
    rdtsc                               // first timestamp: boot time is measured from here
    mov %eax, boot_tsc
    mov %edx, boot_tsc + 4
    mov $boot_stack32_top, %esp

    // Long mode is required.
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    test $(1 << 29), %edx
    jz no_long_mode

    // Zero the boot page tables (7 pages, contiguous).
    push %edi
    mov $boot_pml4, %edi
    mov $(7 * 4096 / 4), %ecx
    xor %eax, %eax
    rep stosl
    pop %edi

    // Four page directories of 2 MiB pages: physical 0..4 GiB.
    mov $boot_pd, %ebx
    xor %ecx, %ecx                      // index of the 2 MiB page, 0..2047
2:  mov %ecx, %eax
    shl $21, %eax                       // low 32 bits of the physical address
    or $0x83, %eax                      // present, writable, 2 MiB
    mov %eax, (%ebx, %ecx, 8)
    mov %ecx, %eax
    shr $11, %eax                       // high bits of the address (bit 32 and up)
    mov %eax, 4(%ebx, %ecx, 8)
    inc %ecx
    cmp $2048, %ecx
    jne 2b

    // Low PDPT: four entries, one per page directory.
    mov $boot_pdpt_low, %ebx
    mov $boot_pd, %eax
    or $0x3, %eax
    mov %eax, 0(%ebx)
    add $4096, %eax
    mov %eax, 8(%ebx)
    add $4096, %eax
    mov %eax, 16(%ebx)
    add $4096, %eax
    mov %eax, 24(%ebx)

    // High PDPT: entries 510 and 511 map the first 2 GiB at KERNEL_VMA.
    mov $boot_pdpt_high, %ebx
    mov $boot_pd, %eax
    or $0x3, %eax
    mov %eax, (510 * 8)(%ebx)
    add $4096, %eax
    mov %eax, (511 * 8)(%ebx)

    // PML4: identity (0), direct map (256), kernel (511).
    mov $boot_pml4, %ebx
    mov $boot_pdpt_low, %eax
    or $0x3, %eax
    mov %eax, 0(%ebx)
    mov %eax, (256 * 8)(%ebx)
    mov $boot_pdpt_high, %eax
    or $0x3, %eax
    mov %eax, (511 * 8)(%ebx)

    mov %ebx, %cr3
    mov %cr4, %eax
    or $(1 << 5), %eax                  // PAE
    mov %eax, %cr4
    mov $0xC0000080, %ecx               // EFER
    rdmsr
    or $((1 << 8) | (1 << 11)), %eax    // long mode, no-execute
    wrmsr
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16) | 1), %eax // paging, write protect, protected mode
    mov %eax, %cr0

    lgdt boot_gdt_pointer
    ljmp $0x08, $boot64_low

no_long_mode:
    // Say why on COM1 and stop: without long mode nothing else can run.
    mov $no_long_mode_message, %esi
3:  lodsb
    test %al, %al
    jz 4f
    mov $0x3F8, %dx
    out %al, %dx
    jmp 3b
4:  hlt
    jmp 4b

    .code64
boot64_low:
    movabs $boot64_high, %rax
    jmp *%rax

    .section .boot.data, "aw"
no_long_mode_message:
    .asciz "wasmkern: this CPU has no long mode (x86-64); halting\r\n"
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF            // 0x08: 64-bit code
    .quad 0x00CF92000000FFFF            // 0x10: data
boot_gdt_end:
boot_gdt_pointer:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt
    .globl boot_tsc
    .balign 8
boot_tsc:
    .quad 0

    .section .boot.bss, "aw", @nobits
    .balign 4096
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4 * 4096
boot_stack32:   .skip 1024
boot_stack32_top:

    .text
    .code64
boot64_high:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $boot_stack_top, %rsp
    xor %ebp, %ebp                      // end of the frame-pointer chain

    // x87/SSE for kernel C++ (docs/boot-and-machine-state.md): CR0.EM and TS off, MP and NE on;
    // CR4.OSFXSR and OSXMMEXCPT.
    mov %cr0, %rax
    and $~((1 << 2) | (1 << 3)), %rax
    or $((1 << 1) | (1 << 5)), %rax
    mov %rax, %cr0
    mov %cr4, %rax
    or $((1 << 9) | (1 << 10)), %rax
    mov %rax, %cr4
    fninit

    mov %edi, %edi                      // protocol (zero-extend)
    mov %esi, %esi                      // boot information, physical
    movabs $boot_tsc, %rax
    mov (%rax), %rdx                    // third argument: TSC at the first instruction
    call kernel_main
5:  cli
    hlt
    jmp 5b

    .section .bss.boot_stack, "aw", @nobits
    .balign 4096
    .globl boot_stack_guard
boot_stack_guard:
    .skip 4096                          // left unmapped by the kernel page tables
    .globl boot_stack_bottom
boot_stack_bottom:
    .skip KERNEL_STACK_SIZE
    .globl boot_stack_top
boot_stack_top:
