// Tail calls (return_call, return_call_indirect, return_call_ref) and throw/throw_ref in the optimising
// tier against the baseline: the same results and traps, and real tail calls (a
// million-deep chain of them runs in constant stack).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/text/wat.h"
#include "tests/unit/opt/codegen_harness.h"

namespace wk::engine::opt {

namespace {

// $wide takes 10 i64 (4 on the stack) and so do its tail callers; $grow and $grow2
// need more stack arguments than "narrow", "narrow2" and "narrow_indirect" received
// (their tail calls run as a call and a return).
constexpr const char* kTailModule = R"(
(module
  (type $ii (func (param i64) (result i64)))
  (type $pair (func (param i64 i64) (result i64 i64)))
  (table 4 funcref)
  (elem (i32.const 0) $down $twice $swap)
  (func $even (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n)) (then (local.get $acc))
      (else (return_call $odd (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (i64.const 3))))))
  (func $odd (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n)) (then (i64.sub (i64.const 0) (local.get $acc)))
      (else (return_call $even (i64.sub (local.get $n) (i64.const 1)) (i64.mul (local.get $acc) (i64.const 5))))))
  (func (export "parity") (param i64) (result i64) (return_call $even (local.get 0) (i64.const 1)))
  (func $wide (param $n i64) (param i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (i64.add (i64.add (i64.add (local.get 1) (local.get 2)) (i64.add (local.get 3) (local.get 4)))
                     (i64.add (i64.add (local.get 5) (i64.mul (local.get 6) (i64.const 3)))
                              (i64.add (i64.mul (local.get 7) (i64.const 5)) (i64.add (i64.mul (local.get 8) (i64.const 7)) (i64.mul (local.get 9) (i64.const 11)))))))
      (else (return_call $wide (i64.sub (local.get $n) (i64.const 1))
        (local.get 9) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5) (local.get 6) (local.get 7)
        (i64.add (local.get 8) (local.get $n))))))
  (func (export "wide") (param $n i64) (param $a i64) (param i64 i64 i64 i64 i64 i64 i64 i64) (result i64)
    (return_call $wide (local.get $n) (local.get $a) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5)
      (i64.const 6) (i64.const 7) (i64.const 8) (i64.const 9)))
  (func $down (type $ii)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 42))
      (else (return_call_indirect (type $ii) (i64.sub (local.get 0) (i64.const 1)) (i32.const 0)))))
  (func $twice (type $ii) (i64.shl (local.get 0) (i64.const 1)))
  (func $swap (type $pair) (local.get 1) (local.get 0))
  (func (export "indirect") (param $slot i32) (param $v i64) (result i64)
    (return_call_indirect (type $ii) (local.get $v) (local.get $slot)))
  (func (export "pair") (param $a i64) (param $b i64) (result i64 i64)
    (return_call_ref $pair (local.get $a) (local.get $b) (ref.func $swap)))
  (func (export "null_ref") (param $a i64) (result i64)
    (return_call_ref $ii (local.get $a) (ref.null $ii)))
  (func (export "by_ref") (param $a i64) (result i64)
    (return_call_ref $ii (local.get $a) (ref.func $twice)))
  (func $grow (param i64 i64 i64 i64 i64 i64 i64 i64) (result i64)
    (i64.add (local.get 0) (local.get 7)))
  (func (export "narrow") (param $a i64) (result i64)
    (return_call $grow (local.get $a) (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5)
      (i64.const 6) (i64.const 7)))
  (type $g2 (func (param i64 i64 i64 i64 i64 i64 i64 i64) (result i64 i64 i64)))
  (func $grow2 (type $g2)
    (i64.add (local.get 0) (local.get 7)) (i64.mul (local.get 6) (local.get 5)) (local.get 0))
  (elem declare func $grow2)
  (func (export "narrow2") (param $a i64) (result i64 i64 i64)
    (return_call $grow2 (local.get $a) (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5)
      (i64.const 6) (i64.const 7)))
  (func (export "narrow_ref") (param $a i64) (result i64 i64 i64)
    (return_call_ref $g2 (local.get $a) (i64.const 10) (i64.const 20) (i64.const 30) (i64.const 40) (i64.const 50)
      (i64.const 60) (local.get $a) (ref.func $grow2)))
)
)";

} // namespace

TEST(OptTailCalls, AgreeWithTheBaselineAndRunInConstantStack)
{
    auto [baseline, optimized] = instantiate_both(kTailModule);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.baseline_fallbacks, 0u);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    std::vector<ExportCall> calls = {
        { "parity", { 0 } }, { "parity", { 1 } }, { "parity", { 7 } }, { "parity", { 1000 } },
        { "wide", { 0, 1 } }, { "wide", { 1, 1 } }, { "wide", { 9, 100 } }, { "wide", { 1000, 17 } },
        { "indirect", { 0, 5 } }, { "indirect", { 1, 5 } }, { "indirect", { 2, 5 } }, { "indirect", { 3, 5 } },
        { "indirect", { 4, 5 } }, { "pair", { 3, 4 } }, { "null_ref", { 1 } }, { "by_ref", { 21 } },
        { "narrow", { 10 } }, { "narrow2", { 10 } }, { "narrow_ref", { 3 } },
    };
    for (const ExportCall& call : calls) {
        std::string expected = run_text(*baseline, call.name, call.args);
        std::string actual = run_text(*optimized, call.name, call.args);
        EXPECT_EQ(expected, actual) << call.name << " " << call.args[0];
    }
    EXPECT_EQ(run_text(*optimized, "pair", { 3, 4 }), "4 3 ");
    EXPECT_EQ(run_text(*optimized, "null_ref", { 1 }), "trap " + std::to_string(static_cast<u32>(TrapKind::NullFunctionReference)));
    EXPECT_EQ(run_text(*optimized, "indirect", { 2, 5 }), "trap " + std::to_string(static_cast<u32>(TrapKind::IndirectCallTypeMismatch)));
    EXPECT_EQ(run_text(*optimized, "by_ref", { 21 }), "42 ");
    EXPECT_EQ(run_text(*optimized, "narrow", { 10 }), "17 ");
    EXPECT_EQ(run_text(*optimized, "narrow2", { 10 }), "17 30 10 ");
    EXPECT_EQ(run_text(*optimized, "narrow_ref", { 3 }), "6 3000 3 ");
    // A million frames would exhaust any stack: these chains only run as tail calls
    // (direct with register and stack arguments, and through the table).
    EXPECT_EQ(run_text(*optimized, "parity", { 1'000'000 }), run_text(*baseline, "parity", { 1'000'000 }));
    EXPECT_EQ(run_text(*optimized, "wide", { 1'000'000, 3 }), run_text(*baseline, "wide", { 1'000'000, 3 }));
    EXPECT_EQ(run_text(*optimized, "indirect", { 0, 1'000'000 }), "42 ");
    EXPECT_EQ(run_text(*optimized, "wide", { 1'000'000, 3 }).rfind("trap", 0), std::string::npos);
}

} // namespace wk::engine::opt

namespace wk::engine::opt {

// throw and throw_ref compiled by the optimising tier, caught by try_tables (whose
// functions the tier still leaves to the baseline) in their callers.
TEST(OptExceptions, ThrowsFromOptimisedCodeAreCaughtAsFromTheBaseline)
{
    const char* wat = R"(
(module
  (tag $t (param i32 i64 f32 f64))
  (tag $e)
  (func $thrower (param $k i32) (param $v i64)
    (local $x i64)
    (local.set $x (i64.mul (local.get $v) (i64.const 3)))
    (if (i32.eqz (local.get $k)) (then (return)))
    (if (i32.eq (local.get $k) (i32.const 1))
      (then (throw $t (local.get $k) (local.get $x) (f32.const 2.5) (f64.convert_i64_s (local.get $v)))))
    (throw $e))
  (func $rethrow (param $x exnref) (throw_ref (local.get $x)))
  (func (export "catch") (param $k i32) (param $v i64) (result i64)
    (local $a i32) (local $b i64) (local $c f32) (local $d f64)
    (block $none
      (block $got (result i32 i64 f32 f64)
        (try_table (catch $t $got) (call $thrower (local.get $k) (local.get $v)))
        (br $none))
      (local.set $d) (local.set $c) (local.set $b) (local.set $a)
      (return (i64.add (i64.add (i64.extend_i32_u (local.get $a)) (local.get $b))
                       (i64.add (i64.trunc_f32_s (local.get $c)) (i64.trunc_f64_s (local.get $d))))))
    (i64.const -1))
  (func (export "uncaught") (param $k i32) (result i64)
    (call $thrower (local.get $k) (i64.const 7)) (i64.const 5))
  (func (export "rethrown") (param $k i32) (result i32) (local $x exnref)
    (local.set $x (block $outer (result exnref)
      (try_table (catch_all_ref $outer) (call $thrower (local.get $k) (i64.const 1)))
      (return (i32.const 0))))
    (block $again
      (try_table (catch $e $again) (call $rethrow (local.get $x)))
      (return (i32.const 1)))
    (i32.const 2))
  (func (export "null_ref") (result i32) (call $rethrow (ref.null exn)) (i32.const 0))
)
)";
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    // $thrower, $rethrow, "uncaught" and "null_ref" optimised; the try_tables not yet.
    EXPECT_EQ(optimized->statistics.optimized_functions, 4u);
    EXPECT_EQ(optimized->statistics.baseline_fallbacks, 2u);
    std::vector<ExportCall> calls = {
        { "catch", { 0, 10 } }, { "catch", { 1, 10 } }, { "catch", { 2, 10 } }, { "catch", { 1, ~u64 { 0 } } },
        { "uncaught", { 0 } }, { "uncaught", { 1 } }, { "uncaught", { 2 } },
        { "rethrown", { 0 } }, { "rethrown", { 1 } }, { "rethrown", { 2 } }, { "null_ref", {} },
    };
    for (const ExportCall& call : calls) {
        std::string expected = run_text(*baseline, call.name, call.args);
        std::string actual = run_text(*optimized, call.name, call.args);
        EXPECT_EQ(expected, actual) << call.name << " " << (call.args.empty() ? 0 : call.args[0]);
    }
    // 1 + 30 + 2 + 10
    EXPECT_EQ(run_text(*optimized, "catch", { 1, 10 }), "43 ");
    EXPECT_EQ(run_text(*optimized, "catch", { 0, 10 }), std::to_string(~u64 { 0 }) + " ");
    EXPECT_EQ(run_text(*optimized, "uncaught", { 2 }), "trap " + std::to_string(static_cast<u32>(TrapKind::UncaughtException)));
    EXPECT_EQ(run_text(*optimized, "rethrown", { 2 }), "2 ");
    EXPECT_EQ(run_text(*optimized, "null_ref", {}), "trap " + std::to_string(static_cast<u32>(TrapKind::NullExceptionReference)));
}

} // namespace wk::engine::opt
