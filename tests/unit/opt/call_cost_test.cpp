// Cheaper calls in the optimising tier: values that cross calls more often than they are
// used stay in their spill slots (regalloc.h), and leaf functions of pure ops run without
// a frame (optimizing_compiler.h). Results, traps and backtraces must equal the baseline's.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/opt/builder.h"
#include "engine/opt/passes.h"
#include "engine/text/wat.h"
#include "engine/x64/opt/regalloc.h"
#include "tests/unit/opt/allocated.h"
#include "tests/unit/opt/codegen_harness.h"

namespace wk::engine::opt {

namespace {

// Results, or the trap kind and the backtrace's function indices.
std::string run(TieredInstance& compiled, const char* name, std::vector<u64> args)
{
    auto outcome = invoke_u64(compiled, name, args);
    if (outcome.is_error())
        return std::string("error ") + outcome.error().message();
    std::string text;
    if (outcome->trap) {
        text = "trap " + std::to_string(static_cast<u32>(outcome->trap->kind)) + " at";
        // Deep recursion's backtraces are long; their first frames tell enough.
        for (usize k = 0; k < outcome->backtrace.size() && k < 4; ++k)
            text += " " + std::to_string(outcome->backtrace[k]);
        return text;
    }
    for (const runtime::VMVal& value : outcome->results)
        text += std::to_string(value.u64_value()) + " ";
    return text;
}

} // namespace

// A value defined outside a loop of calls and used only after it is kept in its slot
// (no save and reload at each call); without the call it gets a register.
TEST(CallCost, ValuesCrossingCallsInALoopStayInTheirSlots)
{
    auto make = [](bool with_call) {
        std::string callee = with_call ? "(call $g (local.get $s))" : "(i64.mul (local.get $s) (i64.const 3))";
        return "(module (func $g (param i64) (result i64) (i64.rotl (local.get 0) (i64.const 7)))"
               " (func $f (param $n i32) (param $a i64) (param $b i64) (result i64) (local $i i32) (local $s i64)"
               " (loop $l (local.set $s (i64.add (local.get $s) " + callee + "))"
               " (local.set $i (i32.add (local.get $i) (i32.const 1)))"
               " (br_if $l (i32.lt_u (local.get $i) (local.get $n))))"
               " (i64.add (local.get $s) (i64.mul (local.get $a) (local.get $b)))))";
    };
    for (bool with_call : { true, false }) {
        std::string wat = make(with_call);
        auto allocated = testing::allocate(wat, 1);
        ASSERT_TRUE(allocated);
        Function& function = allocated->function;
        x64::opt::Allocator& allocator = allocated->allocator;
        Span<const u32> params = function.params(function.entry());
        ASSERT_EQ(params.size(), 3u);
        x64::opt::LocKind expected = with_call ? x64::opt::LocKind::Slot : x64::opt::LocKind::Reg;
        EXPECT_EQ(allocator.loc(params[1]).kind, expected) << with_call;
        EXPECT_EQ(allocator.loc(params[2]).kind, expected) << with_call;
    }
}

TEST(CallCost, FramelessLeavesAndCallCrossingSlotsAgreeWithTheBaseline)
{
    // $mix is a pure leaf too large to inline (it runs frameless); $mix_i is called
    // through the table; $deep recurses through a frame that calls the leaf at each
    // level, until the stack runs out; "after_leaf" traps right after a leaf call, so
    // its backtrace must still be the caller's.
    std::string mix = "(local.get 0)";
    for (u32 k = 0; k < 30; ++k)
        mix = "(i64.xor (i64.rotl " + mix + " (i64.const " + std::to_string(k % 7 + 1) + ")) (i64.add (local.get 1) (i64.const " + std::to_string(k * 977) + ")))";
    std::string wat = R"(
(module
  (type $t (func (param i64 i64) (result i64)))
  (type $u (func (param i64) (result i64)))
  (table 3 funcref)
  (elem (i32.const 0) $mix $mix_f $after_leaf)
  (func $mix (type $t) )" + mix + R"()
  (func $mix_f (type $t) (i64.trunc_sat_f64_s (f64.mul (f64.convert_i64_s (local.get 0)) (f64.convert_i64_s (local.get 1)))))
  (func (export "loop") (param $n i32) (param $a i64) (param $b i64) (result i64)
    (local $i i32) (local $x i64) (local $c f64) (local $d i64)
    (local.set $c (f64.convert_i64_s (local.get $b)))
    (local.set $d (i64.mul (local.get $a) (i64.const 3)))
    (local.set $x (local.get $a))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (call_indirect (type $t) (local.get $x) (i64.extend_i32_u (local.get $i))
                       (i32.and (local.get $i) (i32.const 1))))
      (local.set $x (call $mix (local.get $x) (local.get $d)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i64.add (local.get $x) (i64.add (local.get $d) (i64.add (local.get $b) (i64.trunc_sat_f64_s (local.get $c))))))
  (func $deep (export "deep") (param $n i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n)) (then (i64.const 1))
      (else (i64.add (call $mix (local.get $n) (i64.const 5)) (call $deep (i64.sub (local.get $n) (i64.const 1)))))))
  (func $after_leaf (type $u)
    (drop (call $mix (local.get 0) (local.get 0)))
    (if (i64.eqz (local.get 0)) (then (unreachable)))
    (local.get 0))
  (func (export "after_leaf") (param i64) (result i64)
    (i64.add (call_indirect (type $u) (local.get 0) (i32.const 2)) (i64.const 1)))
)
)";
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    std::vector<ExportCall> calls = {
        { "loop", { 0, 5, 7 } }, { "loop", { 1, 5, 7 } }, { "loop", { 1000, 0x1234'5678'9ABC, ~u64 { 0 } } },
        { "deep", { 0 } }, { "deep", { 100 } },
        { "after_leaf", { 3 } }, { "after_leaf", { 0 } },
    };
    for (const ExportCall& call : calls)
        EXPECT_EQ(run(*baseline, call.name, call.args), run(*optimized, call.name, call.args)) << call.name << " " << call.args[0];

    // $mix (function 0) has no trap site in the optimised code, not even a stack check:
    // it runs frameless. The baseline's has its stack check; $deep has one in both.
    auto trap_sites_in = [](const TieredInstance& compiled, u32 function) {
        u32 count = 0;
        const compile::CodeObject& code = *compiled.compiled.code;
        for (const TrapEntry& entry : code.traps()) {
            if (code.function_at(reinterpret_cast<uptr>(code.address(entry.code_offset))) == function)
                ++count;
        }
        return count;
    };
    EXPECT_EQ(trap_sites_in(*optimized, 0), 0u);
    EXPECT_GE(trap_sites_in(*baseline, 0), 1u);
    EXPECT_GE(trap_sites_in(*optimized, 3), 1u);
    // Unbounded recursion exhausts the stack in both tiers. The baseline notices it in
    // the entry of $mix or $deep (function 0 or 3), the optimised code only in $deep's:
    // the frameless leaf has no stack check (its caller's covered its return address).
    std::string exhausted = "trap " + std::to_string(static_cast<u32>(TrapKind::StackExhausted)) + " at ";
    EXPECT_EQ(run(*baseline, "deep", { 1'000'000'000 }).rfind(exhausted, 0), 0u);
    EXPECT_EQ(run(*optimized, "deep", { 1'000'000'000 }), exhausted + "3 3 3 3");
    EXPECT_EQ(run(*optimized, "after_leaf", { 0 }), "trap " + std::to_string(static_cast<u32>(TrapKind::Unreachable)) + " at 4 5");
}

} // namespace wk::engine::opt

namespace wk::engine::opt {

namespace {

// $f: $k (an i64 parameter), $c (f64, defined before the loops) and $p (a parameter of
// the outer loop's header) are used in the inner loop, so they get registers, and
// cross the call of the outer loop, one level deeper than their definitions. $g calls
// itself, so it is not inlined.
constexpr const char* kDeeperCalls = R"(
(module
  (func $g (param i64) (result i64)
    (if (i64.eq (local.get 0) (i64.const 12345)) (then (return (call $g (i64.const 1)))))
    (i64.rotl (local.get 0) (i64.const 9)))
  (func $f (export "f") (param $n i32) (param $k i64) (result i64)
    (local $i i32) (local $j i32) (local $s i64) (local $c f64) (local $p i64)
    (local.set $c (f64.convert_i64_s (local.get $k)))
    (loop $outer
      (local.set $p (i64.add (local.get $s) (i64.const 3)))
      (local.set $s (i64.xor (local.get $s) (call $g (local.get $s))))
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $s (i64.add (local.get $s)
          (i64.add (i64.mul (local.get $k) (local.get $p))
            (i64.trunc_sat_f64_s (f64.add (local.get $c) (f64.convert_i32_u (local.get $j)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $inner (i32.lt_u (local.get $j) (i32.const 3))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
    (i64.add (local.get $s) (i64.add (local.get $k) (i64.trunc_sat_f64_s (local.get $c)))))
)
)";

} // namespace

// A value in a register that crosses a call in a deeper loop than its definition is
// stored to its save slot where it is defined, not before each call.
TEST(CallCost, ValuesCrossingDeeperCallsAreSavedWhereDefined)
{
    auto allocated = testing::allocate(kDeeperCalls, 1);
    ASSERT_TRUE(allocated);
    Function& function = allocated->function;
    x64::opt::Allocator& allocator = allocated->allocator;
    Span<const u32> params = function.params(function.entry());
    ASSERT_EQ(params.size(), 2u);
    // $k and $n: in registers, saved where defined (the entry).
    EXPECT_EQ(allocator.loc(params[1]).kind, x64::opt::LocKind::Reg);
    EXPECT_TRUE(allocator.saves_at_definition(params[1]));
    EXPECT_TRUE(allocator.saves_at_definition(params[0]));
    // The f64 $c, defined before the loops, and no value defined inside the outer loop
    // (the call's depth: $p and the inner loop's values are saved around the call, or
    // cross none).
    u32 saved_floats = 0;
    for (Block b : function.layout()) {
        for (Inst inst : function.insts(b)) {
            const InstData& data = function.inst(inst);
            for (u32 r = 0; r < data.result_count; ++r) {
                Value v = function.result(inst, r);
                if (function.value(v).type == Type::F64 && allocator.saves_at_definition(v))
                    ++saved_floats;
            }
        }
    }
    EXPECT_EQ(saved_floats, 1u);
}

TEST(CallCost, ValuesSavedWhereDefinedAgreeWithTheBaseline)
{
    auto [baseline, optimized] = instantiate_both(kDeeperCalls);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    std::vector<ExportCall> calls = {
        { "f", { 0, 5 } }, { "f", { 1, 5 } }, { "f", { 100, 0x1234'5678'9abc } }, { "f", { 7, ~u64 { 0 } } },
    };
    for (const ExportCall& call : calls)
        EXPECT_EQ(run_text(*baseline, call.name, call.args), run_text(*optimized, call.name, call.args)) << call.args[0];
}

} // namespace wk::engine::opt
