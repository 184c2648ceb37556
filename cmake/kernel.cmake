# Flags for freestanding x86-64 kernel code (DESIGN.md, "Freestanding C++").
# NOTE: kernel C++ may use SSE; interrupt entry saves the vector state (docs/boot-and-machine-state.md).
set(WK_KERNEL_FLAGS
  --target=x86_64-linux-gnu -ffreestanding -fno-exceptions -fno-rtti -nostdlib
  -mcmodel=kernel -mno-red-zone -fno-pic -fno-pie -fno-stack-protector
  -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-asynchronous-unwind-tables
  -fno-threadsafe-statics -fno-builtin -fno-stack-check
  # Spectre v2: every process runs at ring 0 in this address space, so IBRS/eIBRS (which
  # separate privilege modes) do not keep one from steering another's indirect branches;
  # retpolines do (docs/baseline-compiler.md, "Speculation").
  -mretpoline
  -Wall -Wextra -Wno-unused-parameter)

# Compiles TARGET's sources for the kernel.
function(wk_kernel_target target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${WK_KERNEL_FLAGS}>
    $<$<COMPILE_LANGUAGE:C>:${WK_KERNEL_FLAGS}>
    $<$<COMPILE_LANGUAGE:ASM>:--target=x86_64-linux-gnu>)
  target_compile_definitions(${target} PRIVATE WK_KERNEL=1)
endfunction()
