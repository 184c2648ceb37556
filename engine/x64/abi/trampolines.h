#pragma once

// The trampolines between the array-call convention (VMArrayCall: vmctx, VMVal*) and
// the wasm calling convention (docs/engine-abi.md).

#include "engine/x64/assembler.h"
#include "engine/x64/abi/call_layout.h"

namespace wk::engine::x64::abi {

// Host → wasm: array_call(vmctx, values) calls the function at relocation symbol
// `function_symbol` with values[0..params) and writes its results to values[0..).
// The caller (runtime::invoke) sets the callee's stack limit first.
void emit_array_entry(Assembler& masm, const CallLayout& layout, u32 function_symbol);

// Wasm → host: called like a wasm function with rdi = the callee's vmctx and
// rax = its VMFuncRef*; calls the funcref's array_call with a VMVal array.
void emit_array_trampoline(Assembler& masm, const CallLayout& layout, u32 retpoline_symbol);

// The retpoline thunk: `call`/`jmp` it with the target in r11 instead of an indirect
// call/jmp (docs/baseline-compiler.md, "Speculation"). The return it ends with is
// predicted from the return stack, which the thunk's own call points at a pause/lfence
// loop, so no branch-target-buffer entry another process trained is used.
void emit_retpoline(Assembler& masm);

// NOTE: contract of the stack check. The wasm → array-call trampoline has no check of
// its own (its vmctx may be a HostFunction, which has no limit), so every caller counts
// these bytes, from its stack pointer at the call (return address included), in its
// own prologue check (BaselineCompiler::note_below_frame).
u32 array_trampoline_stack_bytes(const CallLayout& layout);

// rax holds a non-null VMFuncRef*: calls (or tail-calls) its native code with its
// vmctx, or the wasm → array-call trampoline of the type when the callee has only an
// array entry; every transfer goes through the retpoline thunk. Both tiers' calls
// through funcrefs and to imports end here.
void emit_funcref_transfer(Assembler& masm, u32 trampoline_symbol, u32 retpoline_symbol, bool tail);

// Calls (or tail-calls) a defined function of this module, `symbol` (its code or its jump
// slot), with this function's vmctx. A tail transfer leaves the frame first (r14 and r15
// restored from its header). Both tiers' direct calls end here.
void emit_direct_transfer(Assembler& masm, u32 symbol, bool tail);

// Lazy compilation (docs/baseline-compiler.md, "Lazy compilation"): the jump slot of a
// function not compiled yet points at its lazy entry, `mov r11d, function_index; jmp
// stub` (16 bytes with padding), and every entry at the module's one lazy stub. The stub
// is reached like the function itself (rdi = the callee's vmctx, the wasm arguments in
// rsi, rdx, rcx, r8, r9, xmm0-xmm7 and above the return address); it makes an rbp frame,
// saves those registers, calls builtin(vmctx, function_index) (`builtin_external`, the
// relocation of compile::CodeHelper::LazyCompile), restores them and jumps through the
// retpoline to the address the builtin returned (the function's jump slot, now pointing
// at its code), so the function runs as if called directly. NOTE: contract of the stack
// check: the stub uses at most kLazyStubStackBytes below the caller's call, which the
// host-call reserve below every stack limit covers, as for any host call.
inline constexpr u32 kLazyEntryBytes = 16;
inline constexpr u32 kLazyStubStackBytes = 8 + 8 + 6 * 8 + 8 + 8 * 16 + 8;
void emit_lazy_compile_stub(Assembler& masm, u32 builtin_external, u32 retpoline_symbol);
void emit_lazy_entry(Assembler& masm, u32 function_index, Label& stub);

} // namespace wk::engine::x64::abi
