#pragma once

// Exception handling for compiled code (docs/baseline-compiler.md, "Exceptions").
//
// `throw` and `throw_ref` call the Throw builtin (compile::CodeHelper::Throw), an assembly
// entry that records the callee-saved registers and the caller's frame, then walks the
// wasm frames outwards (rbp chain) from the throw site. In each frame it asks the
// frame's CodeObject for the innermost try_table range around the call site
// (CodeObject::handler_at); the first one found is resumed at its landing pad with the
// exception in rax, rsp = rbp - frame size, r14 = that frame's vmctx (the callee's
// saved r14) and r15 = its memory 0 base. The walk stops at the first frame that is
// not a compiled function (an entry trampoline: the activation's boundary); the builtin
// then returns TrapKind::UncaughtException, which the throw site raises as a trap, so
// the activation ends like a trapping one. Frames skipped by a resume are wasm frames
// and the builtin's own, which own nothing.

namespace wk::engine::compile {

// The Throw builtin's entry:
//   u32 (VMContext*, const void* tag_or_exception, const VMVal* first_value, u64 count,
//        u64 rethrow)
// rethrow 0: a new exception of tag identity `tag_or_exception` with `count` values,
// value k at first_value - 16 * k (operand-stack home slots grow downwards); rethrow 1:
// throw the VMException `tag_or_exception` again (non-null). A new exception is an object
// of the store's GC heap, and its allocation a collection safe point (docs/gc.md): the
// throw site has a stack map in both tiers. Returns only when nothing catches it:
// TrapKind::UncaughtException, or TrapKind::GcHeapExhausted when the heap cannot hold
// another exception.
const void* throw_entry();

} // namespace wk::engine::compile
