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

} // namespace wk::engine::x64::abi
