// Dead ends in the optimising tier's allocator (regalloc.cpp, mark_cold_blocks): a block
// that ends in a trap, such as an error report followed by `unreachable` inside an
// interpreter's dispatch loop, reads the values it uses from their slots (stored on the
// edges into it), so those values hold no register across the rest of the loop and the
// calls of the dead end weigh nothing against registers; code with dead ends computes what the baseline does,
// on the paths that reach them too.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/opt/builder.h"
#include "engine/opt/passes.h"
#include "engine/text/wat.h"
#include "engine/x64/opt/optimizing_compiler.h"
#include "engine/x64/opt/regalloc.h"
#include "tests/unit/opt/allocated.h"
#include "tests/unit/opt/codegen_harness.h"

namespace wk::engine::opt {

namespace {

// A dispatch loop over `code` in memory: a switch on each opcode, whose default reports
// the opcode, its position and values of every type to $report (which records them in
// globals) and ends in `unreachable`. $report calls itself, so it is not inlined.
constexpr const char* kDispatch = R"(
(module
  (memory 1)
  (global $op (mut i32) (i32.const -1))
  (global $pc (mut i32) (i32.const -1))
  (global $d (mut f64) (f64.const 0))
  (global $v (mut i64) (i64.const 0))
  (func $report (param $op i32) (param $pc i32) (param $d f64) (param $v v128)
    (if (i32.eq (local.get $op) (i32.const 12345))
      (then (call $report (i32.const 0) (i32.const 0) (local.get $d) (local.get $v))))
    (global.set $op (local.get $op))
    (global.set $pc (local.get $pc))
    (global.set $d (local.get $d))
    (global.set $v (i64.xor (i64x2.extract_lane 0 (local.get $v)) (i64x2.extract_lane 1 (local.get $v)))))
  (func (export "put") (param $at i32) (param $op i32)
    (i32.store8 (local.get $at) (local.get $op)))
  (func (export "op") (result i32) (global.get $op))
  (func (export "pc") (result i32) (global.get $pc))
  (func (export "d") (result i64) (i64.reinterpret_f64 (global.get $d)))
  (func (export "v") (result i64) (global.get $v))
  (func (export "run") (param $n i32) (param $seed i64) (result i64)
    (local $pc i32) (local $op i32) (local $acc i64) (local $d f64) (local $v v128)
    (local.set $d (f64.convert_i64_s (local.get $seed)))
    (local.set $v (i64x2.splat (i64.mul (local.get $seed) (i64.const 3))))
    (loop $next
      (local.set $op (i32.load8_u (local.get $pc)))
      (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
      (block $bad
        (block $halt
          (block $mul
            (block $sub
              (block $add
                (br_table $add $sub $mul $halt $bad (local.get $op)))
              (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $pc))))
              (br $next))
            (local.set $acc (i64.sub (local.get $acc) (local.get $seed)))
            (br $next))
          (local.set $acc (i64.mul (local.get $acc) (i64.const 3)))
          (br_if $next (i32.lt_u (local.get $pc) (local.get $n)))
          (return (local.get $acc)))
        (return (local.get $acc)))
      (call $report (local.get $op) (local.get $pc) (local.get $d) (local.get $v))
      (unreachable))
    (local.get $acc))
)
)";

} // namespace

TEST(DeadEnds, ValuesReadOnlyInADeadEndHoldNoRegisterThere)
{
    auto allocated = testing::allocate(kDispatch, 6);
    ASSERT_TRUE(allocated);
    const Function& f = allocated->function;
    const x64::opt::Allocator& allocator = allocated->allocator;
    // The dead end: the block that calls $report and traps.
    Block dead = kNone;
    Inst report = kNone;
    for (Block b : f.layout()) {
        Span<const u32> insts = f.insts(b);
        if (f.inst(insts.back()).op != Op::Trap)
            continue;
        for (Inst i : insts) {
            if (f.inst(i).op == Op::Call) {
                dead = b;
                report = i;
            }
        }
    }
    ASSERT_NE(dead, kNone);
    Span<const Value> args = f.args(report);
    ASSERT_EQ(args.size(), 4u);
    u32 in_registers = 0;
    for (Value v : args) {
        x64::opt::Loc own = allocator.loc(v);
        x64::opt::Loc there = allocator.loc_in(v, dead);
        // Read from a slot in the dead end, whatever the value has elsewhere.
        EXPECT_EQ(there.kind, x64::opt::LocKind::Slot) << v;
        if (own.kind != x64::opt::LocKind::Reg)
            continue;
        ++in_registers;
        // A value with a register: its interval stays out of the dead end, and the slot
        // it is read from there is the one the edges into the dead end store it to.
        EXPECT_NE(allocator.cold_slot(v), kNone) << v;
        EXPECT_EQ(there.slot, allocator.cold_slot(v)) << v;
        bool stored_on_entry = false;
        for (Value stored : allocator.cold_values(dead))
            stored_on_entry = stored_on_entry || stored == v;
        EXPECT_TRUE(stored_on_entry) << v;
        EXPECT_FALSE(allocator.saves_at_definition(v)) << v;
        ASSERT_TRUE(allocator.has_interval(v));
        const x64::opt::Interval& interval = allocator.interval(v);
        u32 at = allocator.position(report);
        EXPECT_FALSE(interval.start <= at && at <= interval.end) << v;
    }
    // The opcode and the position are used on the hot path too: they have registers.
    EXPECT_GE(in_registers, 2u);
}

TEST(DeadEnds, CodeWithDeadEndsAgreesWithTheBaseline)
{
    TierPair tiers = instantiate_both(kDispatch);
    ASSERT_TRUE(tiers.baseline && tiers.optimized);
    // Programs: opcodes 0 (add), 1 (sub), 2 (mul, loops while pc < n), 3 (halt), other
    // values reach the dead end, at several positions and after several iterations.
    std::vector<std::vector<u8>> programs = {
        { 0, 1, 2, 0, 0, 2, 3 },
        { 0, 0, 9 },
        { 7 },
        { 1, 2, 1, 1, 0, 200, 3 },
        { 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 4 },
    };
    for (const auto& program : programs) {
        for (TieredInstance* t : { tiers.baseline.get(), tiers.optimized.get() }) {
            for (u32 k = 0; k < program.size(); ++k)
                ASSERT_EQ(run_text(*t, "put", { k, program[k] }), "");
            for (u32 k = static_cast<u32>(program.size()); k < 32; ++k)
                ASSERT_EQ(run_text(*t, "put", { k, 0 }), "");
        }
        for (u64 n : { 0ull, 3ull, 6ull, 40ull }) {
            for (u64 seed : { 5ull, ~0ull, 1ull << 40 }) {
                std::string expected = run_text(*tiers.baseline, "run", { n, seed });
                EXPECT_EQ(run_text(*tiers.optimized, "run", { n, seed }), expected) << n << " " << seed;
                for (const char* name : { "op", "pc", "d", "v" })
                    EXPECT_EQ(run_text(*tiers.optimized, name, {}), run_text(*tiers.baseline, name, {})) << name;
            }
        }
    }
    // The dead end was reached, with the opcode it reports.
    EXPECT_EQ(run_text(*tiers.optimized, "op", {}), "4 ");
}

} // namespace wk::engine::opt
