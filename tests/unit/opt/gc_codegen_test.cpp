// GC instructions in the optimising tier (lower_gc.cpp, docs/gc.md): each tier compiles
// the same module, every function of it optimised, and the results and traps agree;
// a struct.get in a loop stays one load there (no load is merged across a store or a
// call, none is hoisted), array.len merges, and a null check traps with the spec's
// message.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/platform.h"
#include "tests/unit/opt/codegen_harness.h"
#include "tests/unit/opt/opt_support.h"

namespace wk::engine::opt {

namespace {

constexpr const char* kModule = R"(
(module
  (type $point (struct (field $x (mut i32)) (field $y (mut i64)) (field $b (mut i8)) (field $h (mut i16))
                       (field $f (mut f32)) (field $d (mut f64)) (field $v (mut v128)) (field $r (mut anyref))))
  (type $bytes (array (mut i8)))
  (type $shorts (array (mut i16)))
  (type $longs (array (mut i64)))
  (type $doubles (array (mut f64)))
  (type $vectors (array (mut v128)))
  (type $refs (array (mut anyref)))
  (type $funcs (array funcref))
  (type $base (sub (struct (field i32))))
  (type $derived (sub $base (struct (field i32) (field i64))))
  (data $seg "\01\02\03\04\05\06\07\08\09\0a")
  (elem $fns func $make $sum_fields)
  (func $make (param $a i64) (result (ref $point))
    (struct.new $point (i32.wrap_i64 (local.get $a)) (i64.mul (local.get $a) (i64.const 3))
      (i32.const 0x1ff) (i32.const 0x18000) (f32.convert_i64_s (local.get $a)) (f64.convert_i64_s (local.get $a))
      (i64x2.splat (local.get $a)) (ref.i31 (i32.wrap_i64 (local.get $a)))))
  (func $sum_fields (export "fields") (param $a i64) (result i64) (local $p (ref null $point))
    (local.set $p (call $make (local.get $a)))
    (struct.set $point $b (local.get $p) (i32.add (struct.get_u $point $b (local.get $p)) (i32.const 1)))
    (i64.add (i64.extend_i32_s (struct.get $point $x (local.get $p)))
      (i64.add (struct.get $point $y (local.get $p))
        (i64.add (i64.extend_i32_s (struct.get_s $point $b (local.get $p)))
          (i64.add (i64.extend_i32_u (struct.get_s $point $h (local.get $p)))
            (i64.add (i64.trunc_f32_s (struct.get $point $f (local.get $p)))
              (i64.add (i64.trunc_f64_s (struct.get $point $d (local.get $p)))
                (i64.add (i64x2.extract_lane 1 (struct.get $point $v (local.get $p)))
                  (i64.extend_i32_s (i31.get_s (ref.cast (ref i31) (struct.get $point $r (local.get $p)))))))))))))
  (func (export "default_struct") (result i64)
    (struct.get $point $y (struct.new_default $point)))
  (func (export "null_get") (result i32)
    (struct.get $point $x (ref.null $point)))
  (func (export "null_set")
    (struct.set $point $x (ref.null $point) (i32.const 1)))
  ;; Sums a[i] for every i of an array of n elements (i8: filled, then copied, in part).
  (func (export "bytes") (param $n i64) (param $fill i64) (result i64) (local $a (ref null $bytes)) (local $i i32) (local $s i64)
    (local.set $a (array.new $bytes (i32.wrap_i64 (local.get $fill)) (i32.wrap_i64 (local.get $n))))
    (array.set $bytes (local.get $a) (i32.const 0) (i32.const -3))
    (array.fill $bytes (local.get $a) (i32.const 1) (i32.const 200) (i32.const 2))
    (array.copy $bytes $bytes (local.get $a) (i32.const 3) (local.get $a) (i32.const 0) (i32.const 2))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (array.len (local.get $a))))
      (local.set $s (i64.add (i64.mul (local.get $s) (i64.const 7))
                             (i64.add (i64.extend_i32_u (array.get_u $bytes (local.get $a) (local.get $i)))
                                      (i64.extend_i32_s (array.get_s $bytes (local.get $a) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $s))
  (func (export "elements") (param $k i32) (param $v i64) (result i64)
    (local $s (ref $shorts)) (local $l (ref $longs)) (local $d (ref $doubles)) (local $w (ref $vectors)) (local $r (ref $refs))
    (local.set $s (array.new_fixed $shorts 3 (i32.const 0x12345) (i32.const -1) (i32.const 7)))
    (local.set $l (array.new_default $longs (i32.const 4)))
    (local.set $d (array.new $doubles (f64.const 2.5) (i32.const 3)))
    (local.set $w (array.new_fixed $vectors 2 (v128.const i64x2 1 2) (i64x2.splat (local.get $v))))
    (local.set $r (array.new $refs (ref.i31 (i32.const 9)) (i32.const 2)))
    (array.set $longs (local.get $l) (local.get $k) (local.get $v))
    (array.set $doubles (local.get $d) (i32.const 1) (f64.convert_i64_s (local.get $v)))
    (array.set $doubles (local.get $d) (i32.const 2) (f64.const -7.25))
    (array.set $vectors (local.get $w) (i32.const 0) (i64x2.splat (i64.const 5)))
    (array.set $refs (local.get $r) (i32.const 1) (ref.i31 (i32.wrap_i64 (local.get $v))))
    (i64.add (i64.extend_i32_s (array.get_s $shorts (local.get $s) (local.get $k)))
      (i64.add (array.get $longs (local.get $l) (local.get $k))
        (i64.add (i64.trunc_f64_s (f64.add (array.get $doubles (local.get $d) (i32.const 2)) (f64.add (array.get $doubles (local.get $d) (i32.const 0)) (array.get $doubles (local.get $d) (i32.const 1)))))
          (i64.add (i64x2.extract_lane 0 (array.get $vectors (local.get $w) (i32.const 0)))
            (i64.add (i64x2.extract_lane 1 (array.get $vectors (local.get $w) (i32.const 1)))
              (i64.extend_i32_u (i31.get_u (ref.cast (ref i31) (array.get $refs (local.get $r) (i32.const 1)))))))))))
  (func (export "segments") (param $off i32) (param $len i32) (result i64) (local $a (ref $bytes)) (local $f (ref $funcs))
    (local.set $a (array.new_data $bytes $seg (local.get $off) (local.get $len)))
    (array.init_data $bytes $seg (local.get $a) (i32.const 0) (i32.const 8) (i32.const 1))
    (local.set $f (array.new_elem $funcs $fns (i32.const 0) (i32.const 2)))
    (i64.add (i64.extend_i32_u (array.len (local.get $a)))
      (i64.add (i64.extend_i32_u (array.get_u $bytes (local.get $a) (i32.const 0)))
        (i64.extend_i32_u (ref.is_null (array.get $funcs (local.get $f) (i32.const 1)))))))
  (func (export "null_array") (result i32) (array.len (ref.null $bytes)))
  (func (export "i31") (param $v i32) (result i64)
    (i64.add (i64.extend_i32_u (i31.get_u (ref.i31 (local.get $v))))
             (i64.shl (i64.extend_i32_s (i31.get_s (ref.i31 (local.get $v)))) (i64.const 32))))
  (func (export "null_i31") (result i32) (i31.get_s (ref.null i31)))
  ;; Casts: 0 for an i31, 1 for a $base, 2 for a $derived, 3 for null, through each form.
  (func $object (param $k i32) (result anyref)
    (if (result anyref) (i32.eqz (local.get $k)) (then (ref.i31 (i32.const 5)))
      (else (if (result anyref) (i32.eq (local.get $k) (i32.const 1)) (then (struct.new $base (i32.const 1)))
        (else (if (result anyref) (i32.eq (local.get $k) (i32.const 2)) (then (struct.new $derived (i32.const 2) (i64.const 3)))
          (else (ref.null any))))))))
  (func (export "classify") (param $k i32) (result i32) (local $o anyref) (local $d (ref null $derived))
    (local.set $o (call $object (local.get $k)))
    (if (ref.is_null (local.get $o))
      (then (return (i32.add (i32.const 3000) (ref.test (ref null $derived) (local.get $o))))))
    (local.set $d
      (block $derived (result (ref $derived))
        (local.set $o
          (block $not_base (result anyref)
            (br_on_cast $derived anyref (ref $derived) (local.get $o))
            (br_on_cast_fail $not_base anyref (ref $base))
            (struct.get $base 0)
            (i32.const 100)
            (i32.add)
            (return)))
        (return (i32.add (i32.const 1000) (ref.test (ref i31) (local.get $o))))))
    (i32.add (i32.const 2000) (struct.get $base 0 (ref.cast (ref null $base) (local.get $d)))))
  (func (export "bad_cast") (param $k i32) (result i32)
    (struct.get $derived 0 (ref.cast (ref $derived) (call $object (local.get $k)))))
  (func (export "eq") (param $a i32) (param $b i32) (result i32) (local $s (ref $base))
    (local.set $s (struct.new $base (i32.const 0)))
    (i32.add (ref.eq (ref.i31 (local.get $a)) (ref.i31 (local.get $b)))
      (i32.add (i32.shl (ref.eq (local.get $s) (local.get $s)) (i32.const 1))
        (i32.shl (ref.eq (local.get $s) (struct.new $base (i32.const 0))) (i32.const 2)))))
  (func (export "extern") (param $a i32) (result i32)
    (i31.get_s (ref.cast (ref i31) (any.convert_extern (extern.convert_any (ref.i31 (local.get $a)))))))
  (func (export "bounds") (param $i i32) (result i64)
    (array.get $longs (array.new $longs (i64.const 4) (i32.const 3)) (local.get $i)))
  (func (export "fill_bounds") (param $i i32) (param $n i32)
    (array.fill $longs (array.new_default $longs (i32.const 3)) (local.get $i) (i64.const 1) (local.get $n)))
)
)";

TEST(OptGc, AgreesWithTheBaseline)
{
    auto [baseline, optimized] = instantiate_both(kModule);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.baseline_fallbacks, 0u);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    std::vector<ExportCall> calls = {
        { "fields", { 5 } }, { "fields", { ~u64 { 0 } } }, { "fields", { 0x1234'5678'9ABC } },
        { "default_struct", {} }, { "null_get", {} }, { "null_set", {} },
        { "bytes", { 6, 0x181 } }, { "bytes", { 1, 0 } }, { "bytes", { 3, 9 } }, { "bytes", { 0, 9 } },
        { "elements", { 0, 11 } }, { "elements", { 2, ~u64 { 0 } } }, { "elements", { 3, 1 } },
        { "segments", { 2, 5 } }, { "segments", { 0, 10 } }, { "segments", { 8, 3 } }, { "segments", { 0, 0 } },
        { "null_array", {} }, { "i31", { 0x7FFF'FFFF } }, { "i31", { 0xC000'0001 } }, { "i31", { 3 } }, { "null_i31", {} },
        { "classify", { 0 } }, { "classify", { 1 } }, { "classify", { 2 } }, { "classify", { 3 } },
        { "bad_cast", { 2 } }, { "bad_cast", { 1 } }, { "bad_cast", { 0 } }, { "bad_cast", { 3 } },
        { "eq", { 1, 1 } }, { "eq", { 1, 0x8000'0001 } }, { "eq", { 1, 2 } }, { "extern", { 0xFFFF'FFFF } },
        { "bounds", { 2 } }, { "bounds", { 3 } }, { "bounds", { 0xFFFF'FFFF } },
        { "fill_bounds", { 1, 2 } }, { "fill_bounds", { 2, 2 } }, { "fill_bounds", { 4, 0 } },
    };
    for (const ExportCall& call : calls) {
        std::string expected = run_text(*baseline, call.name, call.args);
        EXPECT_EQ(run_text(*optimized, call.name, call.args), expected)
            << call.name << " " << (call.args.empty() ? 0 : call.args[0]);
    }
    // The spec's trap messages, not only the same kinds as the baseline.
    auto message = [&](const char* name, std::vector<u64> args) {
        auto outcome = invoke_u64(*optimized, name, args);
        if (outcome.is_error() || !outcome->trap)
            return std::string("no trap");
        return std::string(trap_message(outcome->trap->kind));
    };
    EXPECT_EQ(message("null_get", {}), "null structure reference");
    EXPECT_EQ(message("null_set", {}), "null structure reference");
    EXPECT_EQ(message("null_array", {}), "null array reference");
    EXPECT_EQ(message("null_i31", {}), "null i31 reference");
    EXPECT_EQ(message("bounds", { 3 }), "out of bounds array access");
    EXPECT_EQ(message("fill_bounds", { 2, 2 }), "out of bounds array access");
    EXPECT_EQ(message("bad_cast", { 1 }), "cast failure");
    EXPECT_EQ(message("segments", { 8, 3 }), "out of bounds memory access");
}

// The optimised IR of function `index`: how many instructions of `op` it has, and how
// many of them are in a loop.
struct OpCount {
    u32 total { 0 };
    u32 in_loops { 0 };
};

OpCount count_after_pipeline(const char* wat, u32 index, Op op)
{
    auto built = testing::build(wat, index);
    if (!built->ok)
        return { ~0u, ~0u };
    PipelineOptions options;
    options.verify = true;
    options.module = &built->loaded->module;
    auto result = optimize(built->function, options);
    EXPECT_FALSE(result.is_error()) << testing::to_string(built->function);
    std::vector<u32> depth = testing::loop_depths(built->function);
    OpCount count;
    for (Block b : built->function.layout()) {
        for (Inst i : built->function.insts(b)) {
            if (built->function.inst(i).op != op)
                continue;
            ++count.total;
            count.in_loops += depth[b] != 0;
        }
    }
    return count;
}

constexpr const char* kLoops = R"(
(module
  (type $cell (struct (field $v (mut i64))))
  (type $row (array (mut i64)))
  (func $g)
  ;; One struct.get per iteration: it stays in the loop (the field is mutable and the
  ;; loop stores to it), and the read after the store is not the one before.
  (func (param $c (ref $cell)) (param $n i32) (result i64) (local $i i32) (local $s i64)
    (loop $l
      (local.set $s (i64.add (local.get $s) (struct.get $cell $v (local.get $c))))
      (struct.set $cell $v (local.get $c) (i64.add (struct.get $cell $v (local.get $c)) (i64.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  ;; array.len twice with a call between: the length never changes, one is left.
  (func (param $a (ref $row)) (result i32)
    (array.len (local.get $a))
    (call $g)
    (array.len (local.get $a))
    (i32.add))
  ;; Two allocations of equal operands are two objects.
  (func (result i32)
    (ref.eq (struct.new $cell (i64.const 1)) (struct.new $cell (i64.const 1))))
)
)";

TEST(OptGc, LoadsStayInTheirLoopAndAllocationsStaySeparate)
{
    OpCount gets = count_after_pipeline(kLoops, 1, Op::StructGet);
    EXPECT_EQ(gets.total, 2u);
    EXPECT_EQ(gets.in_loops, 2u);
    EXPECT_EQ(count_after_pipeline(kLoops, 1, Op::StructSet).in_loops, 1u);
    EXPECT_EQ(count_after_pipeline(kLoops, 2, Op::ArrayLen).total, 1u);
    EXPECT_EQ(count_after_pipeline(kLoops, 3, Op::StructNew).total, 2u);
}

// A loop reading one field: its optimised IR has exactly one struct.get (one null
// check and one load), in the loop, and gives the baseline's result and null trap.
TEST(OptGc, StructGetInALoopIsOneLoad)
{
    constexpr const char* wat = R"(
(module
  (type $cell (struct (field $v (mut i64))))
  (func $sum (param $c (ref null $cell)) (param $n i32) (result i64) (local $i i32) (local $s i64)
    (loop $l
      (local.set $s (i64.add (local.get $s) (struct.get $cell $v (local.get $c))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  (func (export "run") (param $n i32) (param $v i64) (result i64)
    (call $sum (struct.new $cell (local.get $v)) (local.get $n)))
  (func (export "null") (result i64)
    (call $sum (ref.null $cell) (i32.const 3)))
)
)";
    OpCount gets = count_after_pipeline(wat, 0, Op::StructGet);
    EXPECT_EQ(gets.total, 1u);
    EXPECT_EQ(gets.in_loops, 1u);
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.baseline_fallbacks, 0u);
    for (u64 n : { 1, 10, 1000 })
        EXPECT_EQ(run_text(*optimized, "run", { n, 7 }), run_text(*baseline, "run", { n, 7 }));
    EXPECT_EQ(run_text(*optimized, "run", { 1000, 7 }), "7000 ");
    EXPECT_EQ(run_text(*optimized, "null", {}), trap_text(TrapKind::NullStructureReference));
}

} // namespace

} // namespace wk::engine::opt
