// Live-range splitting in the optimising tier's allocator (split.cpp): a value that
// stays in its slot for its whole interval (it crosses more calls than it is used) gets
// a register inside a call-free loop where it is used, and code with such pieces
// computes what the baseline computes.
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

struct Shape {
    const char* type;
    const char* make;   // the value, from the parameters
    const char* use;    // the accumulator's next value, from it and $i
    const char* use2;   // another one, from it and $k (not a common subexpression of use)
    const char* result; // the accumulator as an i64
};

// Per type; every use varies with the loop, so that none is hoisted out of it.
// Reference values are covered by SplitRangesAgreeWithTheBaseline.
constexpr Shape kShapes[] = {
    { "i64", "(i64.mul (local.get $a) (local.get $b))",
      "(i64.add (local.get $acc) (i64.xor (local.get $x) (i64.extend_i32_u (local.get $i))))",
      "(i64.sub (local.get $acc) (i64.rotl (local.get $x) (local.get $k)))", "(local.get $acc)" },
    { "i32", "(i32.wrap_i64 (i64.mul (local.get $a) (local.get $b)))",
      "(i32.add (local.get $acc) (i32.xor (local.get $x) (local.get $i)))",
      "(i32.sub (local.get $acc) (i32.rotl (local.get $x) (i32.wrap_i64 (local.get $k))))",
      "(i64.extend_i32_u (local.get $acc))" },
    { "f64", "(f64.convert_i64_s (i64.mul (local.get $a) (local.get $b)))",
      "(f64.add (local.get $acc) (f64.mul (local.get $x) (f64.convert_i32_u (local.get $i))))",
      "(f64.sub (local.get $acc) (f64.add (local.get $x) (f64.convert_i64_u (local.get $k))))",
      "(i64.reinterpret_f64 (local.get $acc))" },
    { "f32", "(f32.convert_i64_s (i64.mul (local.get $a) (local.get $b)))",
      "(f32.add (local.get $acc) (f32.mul (local.get $x) (f32.convert_i32_u (local.get $i))))",
      "(f32.sub (local.get $acc) (f32.add (local.get $x) (f32.convert_i64_u (local.get $k))))",
      "(i64.extend_i32_u (i32.reinterpret_f32 (local.get $acc)))" },
    { "v128", "(i64x2.splat (i64.mul (local.get $a) (local.get $b)))",
      "(i64x2.add (local.get $acc) (i64x2.add (local.get $x) (i64x2.splat (i64.extend_i32_u (local.get $i)))))",
      "(i64x2.sub (local.get $acc) (v128.xor (local.get $x) (i64x2.splat (local.get $k))))",
      "(i64.xor (i64x2.extract_lane 0 (local.get $acc)) (i64x2.extract_lane 1 (local.get $acc)))" },
};

// $x crosses three calls per iteration of the first loop and is used once per
// iteration of the second, which has no call (with `call_in_hot`, one call every
// iteration there too, and a second use of $x: two outweigh the load after the call).
// $g calls itself, so it is not inlined.
std::string split_module(const Shape& shape, bool call_in_hot)
{
    std::string type = shape.type;
    std::string use2 = std::string("(local.set $acc ") + shape.use2 + ")";
    std::string hot_call = call_in_hot ? "(local.set $k (i64.add (local.get $k) (call $g (local.get $k))))" + use2 : "";
    return "(module (func $g (param i64) (result i64)"
           " (if (i64.eq (local.get 0) (i64.const 12345)) (then (return (call $g (i64.const 1)))))"
           " (i64.rotl (local.get 0) (i64.const 7)))"
           " (func $f (export \"f\") (param $n i32) (param $a i64) (param $b i64) (result i64)"
           " (local $i i32) (local $k i64) (local $x " + type + ") (local $acc " + type + ")"
        + " (local.set $x " + shape.make + ")"
        + " (loop $calls (local.set $k (call $g (call $g (call $g (local.get $k)))))"
          " (local.set $i (i32.add (local.get $i) (i32.const 1)))"
          " (br_if $calls (i32.lt_u (local.get $i) (local.get $n))))"
          " (local.set $i (i32.const 0))"
          " (loop $hot (local.set $acc " + shape.use + ") " + hot_call
        + " (local.set $i (i32.add (local.get $i) (i32.const 1)))"
          " (br_if $hot (i32.lt_u (local.get $i) (local.get $n))))"
          " (i64.add (local.get $k) " + shape.result + ")))";
}

// The first instruction result of type `type` that the allocator split (the loop
// bound, a parameter, may be split too), and a block where it has a register.
struct SplitFound {
    Value value { kNone };
    Block inside { kNone };
};

SplitFound find_split(const Function& f, const x64::opt::Allocator& allocator, const char* type)
{
    for (Block b : f.layout()) {
        for (const x64::opt::Split& split : allocator.splits(b)) {
            const ValueData& data = f.value(split.value);
            if (data.kind == ValueKind::Result && std::string(type_name(data.type)) == type)
                return SplitFound { split.value, b };
        }
    }
    return {};
}

} // namespace

TEST(Splitting, ALoopValueCrossingCallsElsewhereLivesInARegisterInsideTheLoop)
{
    for (const Shape& shape : kShapes) {
        for (bool call_in_hot : { false, true }) {
            std::string wat = split_module(shape, call_in_hot);
            auto allocated = testing::allocate(wat, 1);
            ASSERT_TRUE(allocated);
            Function& function = allocated->function;
            x64::opt::Allocator& allocator = allocated->allocator;
            SplitFound found = find_split(function, allocator, shape.type);
            ASSERT_NE(found.value, kNone) << shape.type << " call in hot loop: " << call_in_hot;
            // The value: defined by the instruction that makes it, in its slot outside
            // the hot loop (the entry, where it is defined) and in a register inside.
            const ValueData& data = function.value(found.value);
            ASSERT_EQ(data.kind, ValueKind::Result);
            Type type = data.type;
            EXPECT_STREQ(type_name(type), shape.type);
            EXPECT_EQ(allocator.loc(found.value).kind, x64::opt::LocKind::Slot);
            EXPECT_EQ(allocator.loc_in(found.value, function.entry()).kind, x64::opt::LocKind::Slot);
            x64::opt::Loc inside = allocator.loc_in(found.value, found.inside);
            EXPECT_EQ(inside.kind, x64::opt::LocKind::Reg);
            // Inside the loop no other value has that register: its intervals never
            // reach the loop's blocks.
            x64::opt::RegClass cls = x64::opt::class_of(type);
            for (const x64::opt::Interval& interval : allocator.assigned(cls, inside.reg)) {
                EXPECT_FALSE(interval.start <= allocator.block_start(found.inside) + 1
                             && interval.end >= allocator.block_start(found.inside))
                    << shape.type;
            }
            // Only the hot loop's blocks: the first loop (of calls) keeps it in its slot.
            u32 blocks_with_piece = 0;
            for (Block b : function.layout()) {
                if (allocator.loc_in(found.value, b).kind == x64::opt::LocKind::Reg)
                    ++blocks_with_piece;
                for (Inst inst : function.insts(b)) {
                    if (function.inst(inst).op == Op::Call && !call_in_hot)
                        EXPECT_EQ(allocator.loc_in(found.value, b).kind, x64::opt::LocKind::Slot);
                }
            }
            EXPECT_GE(blocks_with_piece, 1u);
            EXPECT_LT(blocks_with_piece, function.layout().size());
        }
    }
}

// The same shapes with every type, returning what they accumulated, against the baseline;
// plus nested loops, a branch from an inner loop to its outer loop's header, a br_table
// into a loop, and references.
TEST(Splitting, SplitRangesAgreeWithTheBaseline)
{
    std::string wat = R"(
(module
  (type $t (func (param i64) (result i64)))
  (table 2 funcref)
  (table $kept 2 funcref)
  (elem (i32.const 0) $g $g)
  (func $g (type $t)
    (if (i64.eq (local.get 0) (i64.const 12345)) (then (return (call $g (i64.const 1)))))
    (i64.rotl (local.get 0) (i64.const 7)))
  (func (export "all") (param $n i32) (param $a i64) (param $b i64) (result i64)
    (local $i i32) (local $j i32) (local $k i64)
    (local $x32 i32) (local $x64 i64) (local $xf f32) (local $xd f64) (local $xv v128) (local $r funcref)
    (local $a32 i32) (local $a64 i64) (local $af f32) (local $ad f64) (local $av v128)
    (local.set $x32 (i32.wrap_i64 (i64.mul (local.get $a) (local.get $b))))
    (local.set $x64 (i64.sub (local.get $a) (local.get $b)))
    (local.set $xf (f32.convert_i64_s (local.get $a)))
    (local.set $xd (f64.convert_i64_u (local.get $b)))
    (local.set $xv (i32x4.splat (i32.wrap_i64 (local.get $b))))
    (local.set $r (table.get (i32.wrap_i64 (i64.and (local.get $a) (i64.const 1)))))
    (loop $calls
      (local.set $k (call $g (call $g (call $g (call $g (local.get $k))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $calls (i32.lt_u (local.get $i) (local.get $n))))
    ;; br_table into the hot loop (and past it).
    (block $skip
      (block $enter
        (br_table $enter $skip $enter (i32.and (local.get $n) (i32.const 3))))
      (local.set $i (i32.const 0))
      (loop $hot
        (local.set $a32 (i32.add (local.get $a32) (i32.xor (local.get $x32) (local.get $i))))
        (local.set $a64 (i64.add (local.get $a64) (i64.mul (local.get $x64) (i64.extend_i32_u (local.get $i)))))
        (local.set $af (f32.add (local.get $af) (local.get $xf)))
        (local.set $ad (f64.add (local.get $ad) (local.get $xd)))
        (local.set $av (i32x4.add (local.get $av) (local.get $xv)))
        (table.set $kept (i32.and (local.get $i) (i32.const 1)) (local.get $r))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $hot (i32.lt_u (local.get $i) (local.get $n)))))
    ;; An outer loop with calls around an inner loop without; the inner one branches
    ;; to the outer header with a new $j.
    (local.set $j (i32.const 0))
    (loop $outer
      (local.set $k (call_indirect (type $t) (local.get $k) (i32.and (local.get $j) (i32.const 1))))
      (local.set $k (call $g (call $g (call $g (local.get $k)))))
      (local.set $i (i32.const 0))
      (loop $inner
        (local.set $a64 (i64.add (local.get $a64) (i64.extend_i32_u (local.get $j))))
        (local.set $ad (f64.add (local.get $ad) (f64.mul (local.get $xd) (f64.const 0.25))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.eq (local.get $i) (i32.const 5))
          (then (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br_if $outer (i32.lt_u (local.get $j) (local.get $n)))))
        (br_if $inner (i32.lt_u (local.get $i) (i32.const 9))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $j) (local.get $n))))
    (i64.add (i64.add (i64.add (local.get $k) (local.get $a64)) (i64.extend_i32_u (i32.add (local.get $a32) (ref.is_null (table.get $kept (i32.const 1))))))
      (i64.add (i64.add (i64.reinterpret_f64 (local.get $ad)) (i64.extend_i32_u (i32.reinterpret_f32 (local.get $af))))
        (i64.add (i64x2.extract_lane 0 (local.get $av)) (i64x2.extract_lane 1 (local.get $av))))))
)
)";
    // Every type of value in "all" is split somewhere (the pieces are what is tested).
    {
        auto allocated = testing::allocate(wat, 1);
        ASSERT_TRUE(allocated);
        Function& function = allocated->function;
        x64::opt::Allocator& allocator = allocated->allocator;
        std::string types;
        for (Block b : function.layout()) {
            for (const x64::opt::Split& split : allocator.splits(b)) {
                std::string name = std::string(type_name(function.value(split.value).type)) + " ";
                if (types.find(name) == std::string::npos)
                    types += name;
            }
        }
        for (const char* type : { "i32 ", "i64 ", "f32 ", "f64 ", "v128 ", "funcref " })
            EXPECT_NE(types.find(type), std::string::npos) << type << "not split; split: " << types;
    }
    TierPair tiers = instantiate_both(wat);
    ASSERT_TRUE(tiers.baseline && tiers.optimized);
    std::vector<std::vector<u64>> cases = { { 0, 3, 4 }, { 1, 5, 7 }, { 2, 0, 9 }, { 3, 11, 2 }, { 7, ~u64 { 0 }, 3 },
                                            { 20, 1u << 20, 99 }, { 33, 123456789, 987654321 } };
    for (const auto& args : cases) {
        std::string expected = run_text(*tiers.baseline, "all", args);
        EXPECT_EQ(run_text(*tiers.optimized, "all", args), expected) << args[0];
        EXPECT_EQ(expected.rfind("error", 0), std::string::npos) << expected;
    }
    for (const Shape& shape : kShapes) {
        for (bool call_in_hot : { false, true }) {
            std::string module = split_module(shape, call_in_hot);
            TierPair pair = instantiate_both(module);
            ASSERT_TRUE(pair.baseline && pair.optimized) << module;
            for (const auto& args : cases)
                EXPECT_EQ(run_text(*pair.optimized, "f", args), run_text(*pair.baseline, "f", args)) << shape.type;
        }
    }
}

} // namespace wk::engine::opt
