// The optimising tier's x86-64 back end against the baseline: the same module, compiled
// once by each tier, must compute the same bits and trap with the same kinds. The
// numeric ops run on edge-case and pseudo-random operands in three shapes: operands in
// registers, a constant right operand (immediates, rematerialised constants, the
// division special cases), and under register pressure (more live values than
// registers, across a call, so values are spilled, saved and reloaded). A second test
// covers control flow, calls and memory.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/text/wat.h"
#include "tests/unit/opt/codegen_harness.h"
#include "tests/unit/opt/numeric_ops.h"

namespace wk::engine::opt {

namespace {

// The result bits (masked to the type) or the trap kind, as text for messages.
std::string run(TieredInstance& tiered, const std::string& name, std::vector<u64> args, Type result)
{
    auto outcome = invoke_u64(tiered, name, args);
    if (outcome.is_error())
        return std::string("error ") + outcome.error().message();
    if (outcome->trap)
        return "trap " + std::to_string(static_cast<u32>(outcome->trap->kind));
    std::string text;
    for (const runtime::VMVal& value : outcome->results) {
        u64 bits = value.u64_value();
        if (result == Type::I32 || result == Type::F32)
            bits &= 0xFFFF'FFFFu;
        text += std::to_string(bits) + " ";
    }
    return text;
}

std::string hex(u64 bits)
{
    char text[24];
    __builtin_snprintf(text, sizeof text, "%#llx", static_cast<unsigned long long>(bits));
    return text;
}

std::string constant(Type type, u64 bits)
{
    std::string name = wat_type(type);
    if (type == Type::F32)
        return "(f32.reinterpret_i32 (i32.const " + hex(bits & 0xFFFF'FFFFu) + "))";
    if (type == Type::F64)
        return "(f64.reinterpret_i64 (i64.const " + hex(bits) + "))";
    return "(" + name + ".const " + hex(bits) + ")";
}

constexpr u32 kPressureInts = 14;
constexpr u32 kPressureFloats = 18;

// Functions per op i: p<i>(a, b) plain; s<i>(a, b) under register pressure; c<i>_<k>(a)
// with operand k of the second type as a constant.
std::string module_wat(const std::vector<Candidate>& ops)
{
    std::string wat = "(module\n (global $seed (mut i64) (i64.const 0x1234))\n (global $sink (mut i64) (i64.const 0))\n"
                      " (func $opaque)\n (func (export \"sink\") (result i64) (global.get $sink))\n";
    for (usize i = 0; i < ops.size(); ++i) {
        const Candidate& c = ops[i];
        std::string op = op_name(c.op);
        std::string params = std::string("(param ") + wat_type(c.params[0]) + (c.arity == 2 ? std::string(" ") + wat_type(c.params[1]) : "") + ")";
        std::string result = std::string("(result ") + wat_type(c.result) + ")";
        std::string operand_text = c.arity == 2 ? "(local.get 0) (local.get 1)" : "(local.get 0)";
        std::string id = std::to_string(i);
        wat += " (func (export \"p" + id + "\") " + params + " " + result + " (" + op + " " + operand_text + "))\n";

        // Pressure: many values live across a call and the op, used after it.
        wat += " (func (export \"s" + id + "\") " + params + " " + result + " (local $r " + wat_type(c.result) + ")";
        for (u32 k = 0; k < kPressureInts; ++k)
            wat += " (local $k" + std::to_string(k) + " i64)";
        for (u32 k = 0; k < kPressureFloats; ++k)
            wat += " (local $f" + std::to_string(k) + " f64)";
        for (u32 k = 0; k < kPressureInts; ++k)
            wat += " (local.set $k" + std::to_string(k) + " (i64.add (global.get $seed) (i64.const " + std::to_string(k * 0x1111 + 1) + ")))";
        for (u32 k = 0; k < kPressureFloats; ++k)
            wat += " (local.set $f" + std::to_string(k) + " (f64.convert_i64_s (i64.mul (global.get $seed) (i64.const " + std::to_string(k + 3) + "))))";
        wat += " (call $opaque) (local.set $r (" + op + " " + operand_text + ")) (call $opaque)";
        std::string ints = "(local.get $k0)";
        for (u32 k = 1; k < kPressureInts; ++k)
            ints = "(i64.add " + ints + " (local.get $k" + std::to_string(k) + "))";
        std::string floats = "(local.get $f0)";
        for (u32 k = 1; k < kPressureFloats; ++k)
            floats = "(f64.add " + floats + " (local.get $f" + std::to_string(k) + "))";
        wat += " (global.set $sink (i64.xor " + ints + " (i64.reinterpret_f64 " + floats + "))) (local.get $r))\n";

        if (c.arity == 2) {
            std::vector<u64> values = operands(c.params[1]);
            for (usize k = 0; k < values.size(); ++k) {
                wat += " (func (export \"c" + id + "_" + std::to_string(k) + "\") (param " + wat_type(c.params[0]) + ") " + result
                    + " (" + op + " (local.get 0) " + constant(c.params[1], values[k]) + "))\n";
            }
        }
    }
    return wat + ")\n";
}

} // namespace

TEST(OptCodegen, NumericOpsAgreeWithTheBaseline)
{
    std::vector<Candidate> ops = numeric_ops();
    ASSERT_GT(ops.size(), 100u);
    std::string wat = module_wat(ops);
    auto baseline = instantiate_tiered(wat, false);
    ASSERT_TRUE(baseline);
    // Both instruction-form paths: the machine's (AVX, LZCNT, BMI1 where present) and
    // the baseline x86-64 forms.
    for (bool baseline_isa : { false, true }) {
    SCOPED_TRACE(baseline_isa ? "baseline ISA" : "machine ISA");
    auto optimized = instantiate_tiered(wat, true, baseline_isa);
    ASSERT_TRUE(optimized);
    // Every function of the module is within the tier's reach: none fell back.
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    EXPECT_EQ(baseline->statistics.optimized_functions, 0u);

    usize checked = 0;
    std::vector<std::string> mismatches;
    auto compare = [&](const std::string& name, std::vector<u64> args, Type result, bool with_sink) {
        std::string expected = run(*baseline, name, args, result);
        std::string actual = run(*optimized, name, args, result);
        if (with_sink) {
            expected += "sink " + run(*baseline, "sink", {}, Type::I64);
            actual += "sink " + run(*optimized, "sink", {}, Type::I64);
        }
        ++checked;
        if (expected != actual && mismatches.size() < 40) {
            std::string line = name + "(";
            for (u64 a : args)
                line += hex(a) + " ";
            mismatches.push_back(line + "): baseline " + expected + ", optimised " + actual);
        }
    };
    for (usize i = 0; i < ops.size(); ++i) {
        const Candidate& c = ops[i];
        std::vector<u64> first = operands(c.params[0]);
        std::vector<u64> second = c.arity == 2 ? operands(c.params[1]) : std::vector<u64> { 0 };
        std::string id = std::to_string(i);
        for (u64 a : first) {
            for (usize k = 0; k < second.size(); ++k) {
                std::vector<u64> args = { a };
                if (c.arity == 2)
                    args.push_back(second[k]);
                compare("p" + id, args, c.result, false);
                compare("s" + id, args, c.result, true);
                if (c.arity == 2)
                    compare("c" + id + "_" + std::to_string(k), { a }, c.result, false);
            }
        }
    }
    for (const std::string& line : mismatches)
        ADD_FAILURE() << line;
    EXPECT_GT(checked, 50000u);
    }
}

// Control flow, calls and memory: loop-carried values that rotate (cycles in the
// parallel moves), a br_table with moves on its edges, recursion, calls with stack
// arguments of both classes and several results, call_indirect with a type mismatch,
// loads and stores, memory.grow.
TEST(OptCodegen, ControlFlowAndCallsAgreeWithTheBaseline)
{
    const char* wat = R"(
(module
  (type $ii (func (param i64) (result i64)))
  (type $ff (func (param f64) (result f64)))
  (memory 1)
  (table 4 funcref)
  (elem (i32.const 0) $inc $dbl $fneg)
  (func $inc (type $ii) (i64.add (local.get 0) (i64.const 1)))
  (func $dbl (type $ii) (i64.shl (local.get 0) (i64.const 1)))
  (func $fneg (type $ff) (f64.neg (local.get 0)))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "rotate") (param $n i32) (param $a i64) (param $b i64) (param $c i64) (result i64)
    (local $t i64) (local $x f64) (local $y f64)
    (local.set $x (f64.const 1.5)) (local.set $y (f64.const -2.25))
    (block $done (loop $again
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $t (local.get $a)) (local.set $a (local.get $b)) (local.set $b (local.get $c)) (local.set $c (local.get $t))
      (local.set $x (f64.add (local.get $y) (local.get $x)))
      (local.set $y (f64.sub (local.get $x) (local.get $y)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $again)))
    (i64.xor (i64.xor (local.get $a) (i64.mul (local.get $b) (i64.const 3)))
             (i64.xor (i64.mul (local.get $c) (i64.const 7)) (i64.trunc_sat_f64_s (f64.add (local.get $x) (local.get $y))))))
  (func (export "switch") (param $i i32) (param $v i64) (result i64)
    (local $acc i64)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $c $a $b $d (local.get $i)))
      (local.set $acc (i64.add (local.get $v) (i64.const 10))) (br $d))
      (local.set $acc (i64.mul (local.get $v) (local.get $v))) (br $d))
      (local.set $acc (i64.sub (i64.const 0) (local.get $v))))
    (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
  (func $many (param i32 i64 i32 i64 i32 i64 i32 f64 f32 f64 f32 f64 f32 f64 f32 f64 f32 f64) (result i64 f64 i32)
    (i64.add (i64.extend_i32_u (local.get 0)) (i64.add (local.get 1) (i64.add (local.get 5) (i64.extend_i32_u (local.get 6)))))
    (f64.add (local.get 7) (f64.add (local.get 17) (f64.promote_f32 (local.get 16))))
    (i32.add (local.get 2) (local.get 4)))
  (func (export "many") (param $k i32) (result i64)
    (local $r i64) (local $f f64) (local $j i32)
    (call $many (local.get $k) (i64.const -5) (i32.const 3) (i64.const 4) (i32.const 5) (i64.const 0x100000000) (local.get $k)
      (f64.const 0.5) (f32.const 1) (f64.const 2) (f32.const 3) (f64.const 4) (f32.const 5) (f64.const 6) (f32.const 7)
      (f64.const 8) (f32.const 9.5) (f64.convert_i32_s (local.get $k)))
    (local.set $j) (local.set $f) (local.set $r)
    (i64.add (local.get $r) (i64.add (i64.extend_i32_s (local.get $j)) (i64.trunc_f64_s (local.get $f)))))
  (func (export "indirect") (param $slot i32) (param $v i64) (result i64)
    (call_indirect (type $ii) (local.get $v) (local.get $slot)))
  (func (export "memory") (param $n i32) (result i64)
    (local $i i32) (local $sum i64)
    (drop (memory.grow (i32.const 1)))
    (block $done (loop $fill
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i64.store offset=8 (i32.shl (local.get $i) (i32.const 3)) (i64.mul (i64.extend_i32_u (local.get $i)) (i64.const 0x10001)))
      (i32.store8 offset=100000 (local.get $i) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fill)))
    (local.set $i (i32.const 0))
    (block $done (loop $sum
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $sum (i64.add (local.get $sum)
        (i64.add (i64.load offset=8 (i32.shl (local.get $i) (i32.const 3))) (i64.load8_s offset=100000 (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sum)))
    (i64.add (local.get $sum) (i64.extend_i32_u (memory.size))))
)
)";
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    std::vector<ExportCall> calls = {
        { "fib", { 0 } }, { "fib", { 1 } }, { "fib", { 15 } },
        { "rotate", { 0, 1, 2, 3 } }, { "rotate", { 1, 1, 2, 3 } }, { "rotate", { 7, 11, 0xFFFF'0000'0000, ~u64 { 0 } } },
        { "rotate", { 1000, 5, 6, 7 } },
        { "many", { 0 } }, { "many", { 9 } }, { "many", { 0xFFFF'FFFF } },
        { "indirect", { 0, 41 } }, { "indirect", { 1, 41 } }, { "indirect", { 2, 41 } }, { "indirect", { 3, 41 } },
        { "indirect", { 4, 41 } }, { "indirect", { 0xFFFF'FFFF, 41 } },
        { "memory", { 0 } }, { "memory", { 100 } }, { "memory", { 8000 } }, { "memory", { 200000 } },
    };
    for (u64 i = 0; i < 8; ++i) {
        calls.push_back({ "switch", { i, 12345 } });
        calls.push_back({ "switch", { 0xFFFF'FFF0 + i, 7 } });
    }
    for (const ExportCall& call : calls) {
        std::string expected = run(*baseline, call.name, call.args, Type::I64);
        std::string actual = run(*optimized, call.name, call.args, Type::I64);
        EXPECT_EQ(expected, actual) << call.name << " " << (call.args.empty() ? 0 : call.args[0]);
    }
    // The type mismatch and the out-of-range slot trap in both tiers.
    EXPECT_EQ(run(*optimized, "indirect", { 2, 41 }, Type::I64), "trap " + std::to_string(static_cast<u32>(TrapKind::IndirectCallTypeMismatch)));
    EXPECT_EQ(run(*optimized, "indirect", { 4, 41 }, Type::I64), "trap " + std::to_string(static_cast<u32>(TrapKind::UndefinedElement)));
}

// Small direct callees inlined by the optimising tier (engine/opt/inline.h): results
// and traps equal the baseline's; a trap inside an inlined copy is reported with its
// own kind, in the caller's frame (the backtrace has no frame for the callee).
TEST(OptCodegen, InlinedCalleesAgreeWithTheBaseline)
{
    const char* wat = R"(
(module
  (memory 1)
  (global $count (mut i32) (i32.const 0))
  (func $div (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $peek (param i32) (result i64) (i64.load offset=16 (local.get 0)))
  (func $poke (param i32 i64) (i64.store offset=16 (local.get 0) (local.get 1)))
  (func $tick (result i32) (global.set $count (i32.add (global.get $count) (i32.const 1))) (global.get $count))
  (func $clamp (param i32) (result i32)
    (if (i32.lt_s (local.get 0) (i32.const 0)) (then (return (i32.const 0))))
    (select (i32.const 100) (local.get 0) (i32.gt_s (local.get 0) (i32.const 100))))
  (func $split (param i64) (result i32 i32) (i32.wrap_i64 (local.get 0)) (i32.wrap_i64 (i64.shr_u (local.get 0) (i64.const 32))))
  (func $never (param i32) (result i32) (if (local.get 0) (then (unreachable))) (local.get 0))
  (func (export "divide") (param i32 i32) (result i64)
    (i64.extend_i32_s (i32.add (call $div (local.get 0) (local.get 1)) (call $tick))))
  (func (export "memory") (param $at i32) (param $v i64) (result i64)
    (call $poke (local.get $at) (local.get $v))
    (i64.add (call $peek (local.get $at)) (i64.extend_i32_u (call $tick))))
  (func (export "loop") (param $n i32) (result i64)
    (local $i i32) (local $sum i64) (local $lo i32) (local $hi i32)
    (block $done (loop $again
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (call $split (i64.mul (i64.extend_i32_u (local.get $i)) (i64.const 0x1_0000_0003)))
      (local.set $hi) (local.set $lo)
      (local.set $sum (i64.add (local.get $sum)
        (i64.extend_i32_u (i32.add (call $clamp (i32.sub (local.get $lo) (i32.const 50))) (local.get $hi)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $again)))
    (local.get $sum))
  (func (export "never") (param i32) (result i64) (i64.extend_i32_u (i32.mul (call $never (local.get 0)) (i32.const 3))))
)
)";
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    const u64 kMinusOne = 0xFFFF'FFFF;
    const u64 kIntMin = 0x8000'0000;
    std::vector<ExportCall> calls = {
        { "divide", { 7, 2 } }, { "divide", { 7, 0 } }, { "divide", { kIntMin, kMinusOne } }, { "divide", { kMinusOne, 3 } },
        { "memory", { 0, 42 } }, { "memory", { 65536 - 24, 5 } }, { "memory", { 65536 - 23, 5 } }, { "memory", { kMinusOne, 1 } },
        { "loop", { 0 } }, { "loop", { 1 } }, { "loop", { 200 } },
        { "never", { 0 } }, { "never", { 1 } },
    };
    for (const ExportCall& call : calls) {
        std::string expected = run(*baseline, call.name, call.args, Type::I64);
        std::string actual = run(*optimized, call.name, call.args, Type::I64);
        EXPECT_EQ(expected, actual) << call.name << " " << call.args[0];
    }
    EXPECT_EQ(run(*optimized, "divide", { 7, 0 }, Type::I64), "trap " + std::to_string(static_cast<u32>(TrapKind::IntegerDivideByZero)));
    EXPECT_EQ(run(*optimized, "divide", { kIntMin, kMinusOne }, Type::I64), "trap " + std::to_string(static_cast<u32>(TrapKind::IntegerOverflow)));
    EXPECT_EQ(run(*optimized, "memory", { kMinusOne, 1 }, Type::I64), "trap " + std::to_string(static_cast<u32>(TrapKind::MemoryOutOfBounds)));
    EXPECT_EQ(run(*optimized, "never", { 1 }, Type::I64), "trap " + std::to_string(static_cast<u32>(TrapKind::Unreachable)));

    // The baseline's backtrace starts in $div (function 0); the optimised one in the
    // exported caller (function 7), where $div was inlined.
    std::vector<runtime::VMVal> args = { runtime::VMVal::from_u64(1), runtime::VMVal::from_u64(0) };
    auto base_trap = compile::invoke_export(*baseline->instance, "divide", Span<const runtime::VMVal>(args.data(), args.size()));
    auto opt_trap = compile::invoke_export(*optimized->instance, "divide", Span<const runtime::VMVal>(args.data(), args.size()));
    ASSERT_FALSE(base_trap.is_error() || opt_trap.is_error());
    ASSERT_TRUE(base_trap->trap && opt_trap->trap);
    ASSERT_FALSE(base_trap->backtrace.is_empty() || opt_trap->backtrace.is_empty());
    EXPECT_EQ(base_trap->backtrace[0], 0u);
    EXPECT_EQ(opt_trap->backtrace[0], 7u);
}

// More block arguments than the move orderer takes (moves.cpp, kMaxOrderedMoves): 40 i64
// and 40 f64 loop-carried values rotate each iteration, so the edge moves are one long
// cycle per class, resolved through staging slots.
TEST(OptCodegen, WideRotationsAgreeWithTheBaseline)
{
    constexpr u32 kCount = 40;
    std::string wat = "(module (func (export \"wide\") (param $n i32) (result i64) (local $t i64) (local $g f64)";
    for (u32 k = 0; k < kCount; ++k)
        wat += " (local $i" + std::to_string(k) + " i64) (local $f" + std::to_string(k) + " f64)";
    for (u32 k = 0; k < kCount; ++k)
        wat += " (local.set $i" + std::to_string(k) + " (i64.const " + std::to_string(k * 7 + 1) + "))"
            + " (local.set $f" + std::to_string(k) + " (f64.const " + std::to_string(k) + ".5))";
    wat += " (block $done (loop $again (br_if $done (i32.eqz (local.get $n)))";
    wat += " (local.set $t (local.get $i0)) (local.set $g (local.get $f" + std::to_string(kCount - 1) + "))";
    for (u32 k = 0; k + 1 < kCount; ++k)
        wat += " (local.set $i" + std::to_string(k) + " (local.get $i" + std::to_string(k + 1) + "))";
    wat += " (local.set $i" + std::to_string(kCount - 1) + " (i64.add (local.get $t) (i64.const 3)))";
    for (u32 k = kCount - 1; k > 0; --k)
        wat += " (local.set $f" + std::to_string(k) + " (local.get $f" + std::to_string(k - 1) + "))";
    wat += " (local.set $f0 (local.get $g))";
    wat += " (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $again)))";
    std::string sum = "(i64.const 0)";
    for (u32 k = 0; k < kCount; ++k)
        sum = "(i64.add (i64.mul " + sum + " (i64.const 31)) (i64.add (local.get $i" + std::to_string(k)
            + ") (i64.trunc_f64_s (f64.mul (local.get $f" + std::to_string(k) + ") (f64.const " + std::to_string(k + 1) + ")))))";
    wat += " " + sum + "))";
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, 1u);
    for (u64 n : { 0, 1, 2, 39, 40, 41, 1000 })
        EXPECT_EQ(run(*baseline, "wide", { n }, Type::I64), run(*optimized, "wide", { n }, Type::I64)) << n;
}

} // namespace wk::engine::opt
