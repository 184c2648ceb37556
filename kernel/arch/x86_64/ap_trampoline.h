#pragma once

// The application processors' start-up trampoline (ap_trampoline.S), shared by assembly and
// C++: keep to plain #defines. smp.cpp copies the code to a page below 1 MiB (the start-up IPI
// names it) and writes the data block behind it. Offsets are from the trampoline's start.
// Pages of the 16 KiB window: the trampoline, then the temporary PML4, PDPT and page
// directory (identity map of the first 2 MiB plus the kernel's upper half).
#define AP_WINDOW_SIZE 0x4000
#define AP_PML4_OFFSET 0x1000
#define AP_PDPT_OFFSET 0x2000
#define AP_PD_OFFSET 0x3000

#define AP_DATA_GDT 0x200         /* null, 32-bit code (0x08), data (0x10), 64-bit code (0x18) */
#define AP_DATA_GDT_POINTER 0x220 /* u16 limit, u32 base */
#define AP_DATA_FAR32 0x228       /* u32 offset, u16 selector: protected mode */
#define AP_DATA_FAR64 0x230       /* u32 offset, u16 selector: long mode */
#define AP_DATA_TEMP_CR3 0x238    /* u32: the temporary PML4 */
#define AP_DATA_STAGE 0x23C       /* u32 the AP writes: 1 real mode, 2 protected, 3 long mode */
#define AP_DATA_KERNEL_CR3 0x240
#define AP_DATA_CR4 0x248         /* the boot CPU's CR4 and CR0, copied */
#define AP_DATA_CR0 0x250
#define AP_DATA_STACK 0x258       /* the AP's kernel stack top */
#define AP_DATA_CPU 0x260         /* its Cpu, ap_main's argument */
#define AP_DATA_ENTRY 0x268       /* ap_entry64, in the kernel's text */
#define AP_DATA_END 0x270

#define AP_SELECTOR_CODE32 0x08
#define AP_SELECTOR_DATA 0x10
#define AP_SELECTOR_CODE64 0x18
