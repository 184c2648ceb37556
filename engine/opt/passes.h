#pragma once

// Passes over the IR (docs/optimizing-compiler.md). Each takes a verified function
// and leaves a verified function, returns how many changes it made, and allocates
// only per pass (scratch arrays), never per instruction.

#include "base/format_sink.h"
#include "base/result.h"
#include "engine/module.h"
#include "engine/opt/ir.h"

namespace wk::engine::opt {

// Constant folding with wasm's exact semantics: integer ops wrap, shift counts are
// masked, division and remainder fold only when they cannot trap (divisor not zero,
// not INT_MIN / -1), trapping float-to-int conversions only in range; float
// arithmetic folds only when the result is not a NaN (whose bits wasm leaves to the
// machine); sqrt, ceil, floor, trunc and nearest do not fold. Also: brif and switch
// on a constant become jumps (unreachable blocks are removed), select on a constant
// or between equal values becomes its operand, and integer identities (x+0, x-0,
// x|0, x^0, x*1, x&-1, shifts and rotations by 0 mod width) become x.
Result<u32> fold_constants(Function& function);

// Copy propagation: removes block parameters whose incoming arguments are all one
// value (or the parameter itself), repeating until none is left, and rewrites every
// use to the value it stands for. Work O(N log N) for N = parameters + edge arguments
// whatever the nesting (each parameter watches two of its arguments that differ, and
// is looked at again only when those merge; see simplify.cpp).
Result<u32> simplify_block_params(Function& function);

struct SimplifyStats {
    usize steps { 0 }; // edge arguments read and watcher nodes walked
    usize nodes { 0 }; // watcher nodes made
    usize size { 0 };  // parameters + edge arguments, blocks other than the entry
};
// The same, telling the tests how much work it did.
Result<u32> simplify_block_params(Function& function, SimplifyStats* stats);

// Dead code elimination: removes unreachable blocks, instructions without effects
// whose results are unused (transitively, through block parameters), and unused
// parameters of blocks other than the entry.
Result<u32> eliminate_dead_code(Function& function);

// Global value numbering over the dominator tree: an instruction equal to one that
// dominates it (same op, type, immediates and operands; operands of commutative ops
// in either order) is replaced by it. Only ops whose result depends on nothing but
// their operands take part (no loads, global reads or calls); trapping ones do, since
// the dominating copy traps first.
Result<u32> value_number(Function& function);

// Control-flow cleanup: a block with no parameters that only jumps on is bypassed
// (its predecessors' edges go to its target with its arguments), and a block whose
// only predecessor jumps to it is merged into that predecessor (its parameters
// become the jump's arguments).
Result<u32> simplify_cfg(Function& function);

// Loop preheaders, for the passes that hoist code out of loops; `outside` is the edges
// into `header` from outside its loop. The existing preheader is the source of the only
// outside edge when that source jumps nowhere else, else kNone. fill_preheader makes
// `block` (new and empty) the preheader: it gets the header's parameter types, the
// outside edges go to it, and it jumps to the header passing its parameters on.
Block existing_preheader(const Function& function, Span<const u32> outside);
Result<void> fill_preheader(Function& function, Block header, Span<const u32> outside, Block block);

// Strength reduction and algebraic simplification, integer ops only, exact for
// every operand: x*2^k -> x<<k, x*0 -> 0, x*-1 -> 0-x; unsigned div/rem by 2^k ->
// shr_u / and; signed div/rem by 2^k (1 <= k <= width-2) -> shifts with the rounding
// fix-up for negative dividends; x-x, x^x -> 0; x&x, x|x -> x; x&0 -> 0; x|-1 -> -1;
// comparisons of x with itself -> 0 or 1; eqz of an integer comparison -> the
// inverse comparison; eqz(eqz y) -> y when y is 0 or 1, else y != 0. Float ops are
// never touched (NaN bits and signed zeros).
Result<u32> reduce_strength(Function& function);

// Loop-invariant code motion: for each natural loop (back edges found with the
// dominator tree), innermost first, moves instructions that are pure and cannot trap
// (no division, trapping conversion, memory, table, global or call) and whose
// operands are all defined outside the loop to the loop's preheader: the only outside
// predecessor of the header if it jumps only there, else a new block between the
// outside predecessors and the header. A preheader is made only when something moves.
Result<u32> hoist_loop_invariants(Function& function);

// Bounds checks of memories without a guard region (memory64, small pages): puts a
// bounds_check in front of each such access (which then takes the check's result as
// its address, flagged kChecked), moves checks with a loop-invariant address out of
// loops when that cannot make a trap happen earlier (the rule in bounds.cpp), and
// removes a check dominated by one of the same memory and address whose end is at
// least as large (memory.grow only enlarges memories). Runs once, after LICM: the
// back end compiles only checked accesses of such memories.
Result<u32> optimize_bounds_checks(Function& function);

struct PipelineOptions {
    // Run the verifier after every pass (tests; the tier may leave it off).
    bool verify { false };
    // Given, the verifier also checks calls and globals against the module.
    const Module* module { nullptr };
    // Verifier details and, when verbose, one line per pass with its change count.
    FormatSink* log { nullptr };
    bool verbose { false };
};

// The middle end's pass order: simplify, fold, strength reduction, simplify, CFG
// cleanup, GVN, LICM, GVN, bounds checks, DCE.
Result<void> optimize(Function& function, const PipelineOptions& options = {});

} // namespace wk::engine::opt
