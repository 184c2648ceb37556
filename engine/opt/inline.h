#pragma once

// Inlining of small direct callees (docs/optimizing-compiler.md, "Inlining"): a
// `call` of a defined function whose body is small is replaced by a copy of the
// callee's IR, built by the same Builder and optimised by the same pipeline, with
// the call's arguments passed to the copy's entry block and each `return` a jump to
// a continuation block that holds the rest of the calling block.
//
// Only one level is inlined: the copy is the callee's own IR, whose calls stay calls,
// so inlining can form no cycle and every call that remains still checks the stack
// (recursion is never inlined: a callee that calls itself or the caller is refused).
// Growth per caller is bounded (InlineLimits), so hostile modules stay linear: each
// function grows by at most its own size plus a constant.

#include "base/result.h"
#include "base/vector.h"
#include "engine/module.h"
#include "engine/opt/builder.h"
#include "engine/opt/dominators.h"
#include "engine/opt/ir.h"

namespace wk::engine::opt {

struct InlineLimits {
    // Bodies larger than this (wasm bytes, locals included) are never built as callees.
    u32 max_body_bytes { 96 };
    // Instructions of the callee after its own pipeline (constants, jumps and returns not
    // counted, here and in the growth budget).
    u32 max_callee_insts { 24 };
    // Instructions a caller may gain: its own count plus this.
    u32 growth_base { 256 };
};

class Inliner {
public:
    // `module` must have passed validate_module and outlive the inliner.
    explicit Inliner(const Module& module, InlineLimits limits = {});

    // Inlines the calls of `function` to small direct callees; returns how many.
    // Leaves a verified function verified (unreachable blocks removed, aliases resolved).
    Result<u32> run(Function& function);

    // Whether `function_index` would be inlined into a caller other than itself
    // (builds it, once per function; the verdict is cached).
    Result<bool> is_candidate(u32 function_index);

private:
    enum class Verdict : u8 { Unknown, No, Yes };
    // Builds and optimises the callee into m_callee (unless it is there already).
    Result<bool> prepare(u32 function_index);
    Result<void> inline_site(Function& function, Inst call);
    static u32 counted_insts(const Function& function);

    const Module& m_module;
    InlineLimits m_limits;
    Builder m_builder;
    Function m_callee;
    u32 m_callee_index { kNone };
    DominatorTree m_dominators;
    Vector<Verdict> m_verdicts;

    // Scratch, kept from call to call.
    Vector<Inst> m_sites;
    Vector<u32> m_block_map;
    Vector<u32> m_value_map;
    Vector<u32> m_tail;
    Vector<Value> m_call_args;
    Vector<Value> m_args;
    Vector<Value> m_edge_args;
    Vector<u32> m_edge_arg_start;
    Vector<EdgeSpec> m_edges;
    Vector<Type> m_types;
    // Blocks to lay out right after a split block: its copy of the callee, then its
    // continuation (which may be split again); per block a range of m_follow.
    Vector<u32> m_follow_start;
    Vector<u32> m_follow_count;
    Vector<Block> m_follow;
    Vector<Block> m_layout;
};

} // namespace wk::engine::opt
