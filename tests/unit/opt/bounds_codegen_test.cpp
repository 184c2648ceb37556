// Bounds-checked memories (memory64, small pages) in the optimising tier against the
// baseline: the same module compiled by each tier must give the same results, the
// same traps and, after a trap, the same memory contents (a check hoisted out of a
// loop must not trap before a store the original program made first). Also the
// inline table accesses (table.get, table.set, table.size).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/text/wat.h"
#include "tests/unit/opt/codegen_harness.h"

namespace wk::engine::opt {

namespace {

// Memory 0: i64 addresses, 1 page (65536 bytes). Memory 1: i32 addresses, 1-byte
// pages, 100 bytes. Memory 2: i64 addresses, 1-byte pages, 40 bytes.
constexpr const char* kModule = R"(
(module
  (memory $w i64 1 4)
  (memory $s 100 200 (pagesize 1))
  (memory $t i64 40 (pagesize 1))
  (func $g)
  (func (export "load64") (param $p i64) (result i64) (i64.load (local.get $p)))
  (func (export "load64_off") (param $p i64) (result i64) (i64.load offset=65528 (local.get $p)))
  (func (export "load64_huge") (param $p i64) (result i64) (i64.load offset=0xFFFFFFFFFFFFFFF0 (local.get $p)))
  (func (export "load64_big") (param $p i64) (result i64) (i64.load offset=0x100000000 (local.get $p)))
  (func (export "narrow") (param $p i64) (result i64)
    (i64.store8 (local.get $p) (i64.const 0x1ff))
    (i64.store16 offset=2 (local.get $p) (i64.const -2))
    (i64.store32 offset=4 (local.get $p) (i64.const 0x12345678))
    (i64.add (i64.add (i64.load8_s (local.get $p)) (i64.load16_u offset=2 (local.get $p)))
             (i64.add (i64.load32_s offset=4 (local.get $p)) (i64.load offset=0 (local.get $p)))))
  (func (export "floats") (param $p i64) (param $x f64) (result f64)
    (f64.store offset=16 (local.get $p) (local.get $x))
    (f32.store offset=24 (local.get $p) (f32.demote_f64 (local.get $x)))
    (f64.add (f64.load offset=16 (local.get $p)) (f64.promote_f32 (f32.load offset=24 (local.get $p)))))
  (func (export "small") (param $a i32) (result i32)
    (i32.store16 $s offset=2 (local.get $a) (i32.const 0xbeef))
    (i32.add (i32.load $s (local.get $a)) (i32.load8_u $s offset=3 (local.get $a))))
  (func (export "small64") (param $a i64) (result i64)
    (i64.store $t (local.get $a) (i64.const 77))
    (i64.load $t (local.get $a)))
  (func (export "small_grow") (param $d i32) (param $a i32) (result i32)
    (drop (memory.grow $s (local.get $d)))
    (i32.store8 $s (local.get $a) (i32.const 9))
    (i32.add (i32.load8_u $s (local.get $a)) (memory.size $s)))
  ;; An invariant address loaded in a loop (the check moves to the preheader).
  (func (export "sum") (param $p i64) (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (block $skip
      (br_if $skip (i32.eqz (local.get $n)))
      (loop $l
        (local.set $acc (i64.add (local.get $acc) (i64.load offset=8 (local.get $p))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
    (local.get $acc))
  ;; A store in the loop before an out-of-bounds load: the store must happen first.
  (func (export "store_then_load") (param $q i64) (param $p i64) (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (loop $l
      (i64.store (local.get $q) (i64.add (local.get $acc) (i64.const 5)))
      (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  ;; A call before the load: the callee's effect (a global) is not checked here, but
  ;; the trap must still come from inside the loop.
  (func (export "call_then_load") (param $p i64) (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (loop $l
      (call $g)
      (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  ;; memory.grow inside the loop makes a later iteration's access in bounds.
  (func (export "grow_loop") (param $p i64) (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (loop $l
      (if (i32.eq (local.get $i) (i32.const 2)) (then (drop (memory.grow $w (i64.const 1)))))
      (if (i32.ge_u (local.get $i) (i32.const 2))
        (then (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i64.add (local.get $acc) (memory.size $w)))
  ;; A walk over an array (the address changes every iteration).
  (func (export "walk") (param $p i64) (param $n i64) (result i64) (local $acc i64) (local $end i64)
    (local.set $end (i64.add (local.get $p) (i64.shl (local.get $n) (i64.const 3))))
    (block $done (loop $l
      (br_if $done (i64.ge_u (local.get $p) (local.get $end)))
      (i64.store (local.get $p) (i64.mul (local.get $p) (i64.const 3)))
      (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))
      (local.set $p (i64.add (local.get $p) (i64.const 8)))
      (br $l)))
    (local.get $acc))
  ;; Many checked addresses live at once (spilled check results).
  (func (export "pressure") (param $p i64) (result i64)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64) (local $e i64) (local $f i64) (local $h i64)
    (local $j i64) (local $k i64) (local $l i64) (local $m i64) (local $o i64) (local $r i64)
    (local.set $a (i64.add (local.get $p) (i64.const 8)))
    (local.set $b (i64.add (local.get $p) (i64.const 16)))
    (local.set $c (i64.add (local.get $p) (i64.const 24)))
    (local.set $d (i64.add (local.get $p) (i64.const 32)))
    (local.set $e (i64.add (local.get $p) (i64.const 40)))
    (local.set $f (i64.add (local.get $p) (i64.const 48)))
    (local.set $h (i64.add (local.get $p) (i64.const 56)))
    (local.set $j (i64.add (local.get $p) (i64.const 64)))
    (local.set $k (i64.add (local.get $p) (i64.const 72)))
    (local.set $l (i64.add (local.get $p) (i64.const 80)))
    (local.set $m (i64.add (local.get $p) (i64.const 88)))
    (local.set $o (i64.add (local.get $p) (i64.const 96)))
    (i64.store (local.get $a) (i64.const 1)) (i64.store (local.get $b) (i64.const 2))
    (i64.store (local.get $c) (i64.const 3)) (i64.store (local.get $d) (i64.const 4))
    (i64.store (local.get $e) (i64.const 5)) (i64.store (local.get $f) (i64.const 6))
    (i64.store (local.get $h) (i64.const 7)) (i64.store (local.get $j) (i64.const 8))
    (i64.store (local.get $k) (i64.const 9)) (i64.store (local.get $l) (i64.const 10))
    (i64.store (local.get $m) (i64.const 11)) (i64.store (local.get $o) (i64.const 12))
    (call $g)
    (local.set $r (i64.add (i64.load (local.get $a)) (i64.load (local.get $b))))
    (local.set $r (i64.add (local.get $r) (i64.add (i64.load (local.get $c)) (i64.load (local.get $d)))))
    (local.set $r (i64.add (local.get $r) (i64.add (i64.load (local.get $e)) (i64.load (local.get $f)))))
    (local.set $r (i64.add (local.get $r) (i64.add (i64.load (local.get $h)) (i64.load (local.get $j)))))
    (local.set $r (i64.add (local.get $r) (i64.add (i64.load (local.get $k)) (i64.load (local.get $l)))))
    (i64.add (local.get $r) (i64.add (i64.load (local.get $m)) (i64.load (local.get $o)))))
  (func (export "peek") (param $p i64) (result i64) (i64.load (local.get $p)))
)
)";

} // namespace

TEST(OptBoundsCodegen, CheckedMemoriesAgreeWithTheBaseline)
{
    auto [baseline, optimized] = instantiate_both(kModule);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    constexpr u64 kPage = 65536;
    std::vector<ExportCall> calls;
    for (u64 p : { u64 { 0 }, u64 { 8 }, kPage - 9, kPage - 8, kPage - 7, kPage - 1, kPage, kPage + 1, u64 { 1 } << 32,
                   ~u64 { 0 } - 7, ~u64 { 0 } }) {
        calls.push_back({ "load64", { p } });
        calls.push_back({ "load64_off", { p } });
        calls.push_back({ "load64_huge", { p } });
        calls.push_back({ "load64_big", { p } });
        calls.push_back({ "narrow", { p } });
        calls.push_back({ "small64", { p } });
        calls.push_back({ "pressure", { p } });
        calls.push_back({ "sum", { p, 0 } });
        calls.push_back({ "sum", { p, 5 } });
        calls.push_back({ "walk", { p, 3 } });
        calls.push_back({ "walk", { p, 0 } });
    }
    for (u64 a : { u64 { 0 }, u64 { 95 }, u64 { 96 }, u64 { 97 }, u64 { 99 }, u64 { 100 }, u64 { 0xFFFF'FFFF } })
        calls.push_back({ "small", { a } });
    calls.push_back({ "floats", { 0, 0x4009'21FB'5444'2D18 } });
    calls.push_back({ "floats", { kPage - 28, 0x4009'21FB'5444'2D18 } });
    calls.push_back({ "floats", { kPage - 27, 0x4009'21FB'5444'2D18 } });
    calls.push_back({ "small_grow", { 0, 99 } });
    calls.push_back({ "small_grow", { 0, 100 } });
    calls.push_back({ "small_grow", { 1, 100 } });
    calls.push_back({ "small_grow", { 1, 101 } });
    calls.push_back({ "grow_loop", { kPage, 4 } });     // in bounds once grown (i = 2)
    calls.push_back({ "grow_loop", { 3 * kPage, 4 } }); // out of bounds even then
    calls.push_back({ "call_then_load", { kPage, 3 } });
    calls.push_back({ "call_then_load", { 8, 3 } });
    for (const ExportCall& call : calls) {
        std::string expected = run_text(*baseline, call.name, call.args);
        std::string actual = run_text(*optimized, call.name, call.args);
        EXPECT_EQ(expected, actual) << call.name << " " << call.args[0];
    }
    // Both outcomes occur at the edges (a fresh instance: the calls above grew memories).
    auto fresh = instantiate_tiered(kModule, true);
    ASSERT_TRUE(fresh);
    std::string oob = trap_text(TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(run_text(*fresh, "load64", { kPage - 7 }), oob);
    EXPECT_NE(run_text(*fresh, "load64", { kPage - 8 }), oob);
    EXPECT_EQ(run_text(*fresh, "load64_huge", { 0 }), oob);
    EXPECT_EQ(run_text(*fresh, "sum", { kPage, 0 }), "0 ");
    EXPECT_EQ(run_text(*fresh, "sum", { kPage, 1 }), oob);
    EXPECT_EQ(run_text(*fresh, "small", { 97 }), oob);
    EXPECT_NE(run_text(*fresh, "small", { 96 }), oob);
    EXPECT_EQ(run_text(*fresh, "small64", { 33 }), oob);
    EXPECT_EQ(run_text(*fresh, "small64", { 32 }), "77 ");
    // In bounds only once grown (at i = 2): zeros read, then memory.size 2.
    EXPECT_EQ(run_text(*fresh, "grow_loop", { kPage, 4 }), "2 ");
}

TEST(OptBoundsCodegen, AStoreBeforeATrappingLoadInALoopHappens)
{
    for (bool optimized : { false, true }) {
        auto made = instantiate_tiered(kModule, optimized);
        ASSERT_TRUE(made);
        // The load of $p traps in the first iteration, after the store to $q.
        EXPECT_EQ(run_text(*made, "store_then_load", { 64, 65536, 3 }), trap_text(TrapKind::MemoryOutOfBounds))
            << optimized;
        EXPECT_EQ(run_text(*made, "peek", { 64 }), "5 ") << optimized;
        // In bounds, loading what was just stored: acc 5, 15, 35; the last store 20.
        EXPECT_EQ(run_text(*made, "store_then_load", { 64, 64, 3 }), "35 ") << optimized;
        EXPECT_EQ(run_text(*made, "peek", { 64 }), "20 ") << optimized;
    }
}

TEST(OptBoundsCodegen, TableAccessesAgreeWithTheBaseline)
{
    const char* wat = R"(
(module
  (type $ii (func (param i64) (result i64)))
  (table $f 3 10 (ref null $ii))
  (table $e 2 externref)
  (table $w i64 4 (ref null $ii))
  (elem (table $f) (i32.const 0) (ref null $ii) (item ref.func $one) (item ref.func $two))
  (func $one (type $ii) (i64.add (local.get 0) (i64.const 1)))
  (func $two (type $ii) (i64.add (local.get 0) (i64.const 2)))
  (func (export "get_call") (param $i i32) (param $v i64) (result i64)
    (call_ref $ii (local.get $v) (ref.as_non_null (table.get $f (local.get $i)))))
  (func (export "is_null") (param $i i32) (result i32) (ref.is_null (table.get $f (local.get $i))))
  (func (export "copy") (param $from i32) (param $to i32) (result i32)
    (table.set $f (local.get $to) (table.get $f (local.get $from)))
    (i32.add (table.size $f) (ref.is_null (table.get $f (local.get $to)))))
  (func (export "clear") (param $i i32) (result i32)
    (table.set $f (local.get $i) (ref.null $ii))
    (ref.is_null (table.get $f (local.get $i))))
  (func (export "extern") (param $i i32) (result i32)
    (table.set $e (local.get $i) (table.get $e (i32.sub (i32.const 1) (local.get $i))))
    (i32.add (table.size $e) (ref.is_null (table.get $e (local.get $i)))))
  (func (export "wide") (param $i i64) (param $v i64) (result i64)
    (table.set $w (local.get $i) (table.get $f (i32.const 1)))
    (i64.add (table.size $w) (call_ref $ii (local.get $v) (ref.as_non_null (table.get $w (local.get $i))))))
  (func (export "grow") (param $n i32) (result i32)
    (drop (table.grow $f (ref.func $two) (local.get $n)))
    (table.size $f))
)
)";
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    std::vector<ExportCall> calls;
    for (u64 i : { u64 { 0 }, u64 { 1 }, u64 { 2 }, u64 { 3 }, u64 { 4 }, u64 { 0xFFFF'FFFF } }) {
        calls.push_back({ "get_call", { i, 40 } });
        calls.push_back({ "is_null", { i } });
        calls.push_back({ "extern", { i } });
        calls.push_back({ "wide", { i, 7 } });
    }
    calls.push_back({ "wide", { u64 { 1 } << 32, 7 } });
    calls.push_back({ "copy", { 0, 2 } });
    calls.push_back({ "copy", { 2, 3 } });
    calls.push_back({ "clear", { 0 } });
    calls.push_back({ "get_call", { 0, 40 } });
    calls.push_back({ "grow", { 2 } });
    calls.push_back({ "copy", { 1, 4 } });
    calls.push_back({ "get_call", { 4, 40 } });
    calls.push_back({ "clear", { 5 } });
    for (const ExportCall& call : calls) {
        std::string expected = run_text(*baseline, call.name, call.args);
        std::string actual = run_text(*optimized, call.name, call.args);
        EXPECT_EQ(expected, actual) << call.name << " " << call.args[0];
    }
    auto fresh = instantiate_tiered(wat, true);
    ASSERT_TRUE(fresh);
    EXPECT_EQ(run_text(*fresh, "get_call", { 1, 40 }), "42 ");
    EXPECT_EQ(run_text(*fresh, "get_call", { 3, 40 }), trap_text(TrapKind::TableOutOfBounds));
    EXPECT_EQ(run_text(*fresh, "copy", { 1, 3 }), trap_text(TrapKind::TableOutOfBounds));
    EXPECT_EQ(run_text(*fresh, "copy", { 1, 2 }), "3 ");
    EXPECT_EQ(run_text(*fresh, "get_call", { 2, 40 }), "42 ");
    EXPECT_EQ(run_text(*fresh, "wide", { 3, 7 }), "13 ");
}

} // namespace wk::engine::opt
