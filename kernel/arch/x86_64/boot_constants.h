#pragma once

// Shared by assembly and C++: keep to plain #defines.
#define KERNEL_VMA 0xFFFFFFFF80000000
#define DIRECT_MAP_BASE 0xFFFF800000000000
#define KERNEL_STACK_SIZE (32 * 1024)

#define BOOT_PROTOCOL_NONE 0
#define BOOT_PROTOCOL_PVH 1
#define BOOT_PROTOCOL_MULTIBOOT2 2
