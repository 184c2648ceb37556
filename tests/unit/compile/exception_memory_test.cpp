// Exception memory (docs/engine-abi.md, "Exception objects: lifetime"): an exception no
// catch_ref, catch_all_ref, legacy rethrow or delegate can keep is freed at the store's
// next throw, so a loop that throws and catches runs in bounded memory; kept ones (exnref
// values, legacy clauses that rethrow) stay valid while other exceptions come and go.
#include <gtest/gtest.h>

#include "engine/runtime/store.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;

namespace {

// catch_loop(n) and legacy_loop(n): n throws of $e(i), each caught by a try_table catch
// or a legacy try/catch (in a callee, so the unwinder walks a frame), summing the
// payloads. keep_then_loop(n): keeps one exception as an exnref, throws and catches n
// others, then throws the kept one again and returns its payload. rethrow_after(n): a
// legacy catch throws and catches n others in its body, then rethrows its own.
const char* const kModule = R"(
(module
  (tag $e (param i32))
  (global $kept (mut exnref) (ref.null noexn))
  (func $thrower (param i32) (throw $e (local.get 0)))
  (func (export "catch_loop") (param $n i32) (result i64) (local $sum i64)
    (loop $again
      (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u
        (block $caught (result i32)
          (try_table (catch $e $caught) (call $thrower (local.get $n)))
          (unreachable)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (local.get $sum))
  (func (export "legacy_loop") (param $n i32) (result i64) (local $sum i64) (local $v i32)
    (loop $again
      (try
        (do (call $thrower (local.get $n)))
        (catch $e
          (local.set $v)
          (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $v))))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (local.get $sum))
  (func (export "keep_then_loop") (param $n i32) (result i32)
    (block $k (result i32 exnref) (try_table (catch_ref $e $k) (call $thrower (i32.const 77))) (unreachable))
    (global.set $kept)
    (drop)
    (drop (call 1 (local.get $n)))
    (block $caught (result i32)
      (try_table (catch $e $caught) (throw_ref (global.get $kept)))
      (unreachable)))
  (func (export "rethrow_after") (param $n i32) (result i32)
    (block $outer (result i32)
      (try_table (catch $e $outer)
        (try
          (do (call $thrower (i32.const 55)))
          (catch $e
            (drop)
            (drop (call 1 (local.get $n)))
            (rethrow 0))))
      (unreachable)))
  (func (export "keep_loop") (param $n i32)
    (loop $again
      (global.set $kept
        (block $k (result exnref) (try_table (catch_all_ref $k) (call $thrower (local.get $n))) (unreachable)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n))))
)
)";

} // namespace

TEST(ExceptionMemoryTest, TenMillionCaughtExceptionsRunInBoundedMemory)
{
    auto session = test_session::instantiate(kModule);
    ASSERT_TRUE(session);
    // 10^7 exceptions of 32 bytes are 320 MB: five times the 64 MiB per-store cap, which
    // once trapped after 2,097,152 of them.
    constexpr u64 kCount = 10'000'000;
    auto outcome = test_session::call(*session, "catch_loop", { VMVal::from_u32(kCount) });
    ASSERT_FALSE(outcome.trap.has_value()) << trap_message(outcome.trap->kind);
    ASSERT_EQ(outcome.results.size(), 1u);
    EXPECT_EQ(outcome.results[0].u64_value(), kCount * (kCount + 1) / 2);
    // At most the last one is left.
    EXPECT_LE(session->store->exception_bytes(), 32u);
}

TEST(ExceptionMemoryTest, LegacyCatchWithoutRethrowRunsInBoundedMemory)
{
    auto session = test_session::instantiate(kModule);
    ASSERT_TRUE(session);
    constexpr u64 kCount = 3'000'000;
    auto outcome = test_session::call(*session, "legacy_loop", { VMVal::from_u32(kCount) });
    ASSERT_FALSE(outcome.trap.has_value()) << trap_message(outcome.trap->kind);
    EXPECT_EQ(outcome.results[0].u64_value(), kCount * (kCount + 1) / 2);
    EXPECT_LE(session->store->exception_bytes(), 32u);
}

TEST(ExceptionMemoryTest, KeptExceptionsStayValid)
{
    auto session = test_session::instantiate(kModule);
    ASSERT_TRUE(session);
    EXPECT_EQ(test_session::call_i64(*session, "keep_then_loop", { VMVal::from_u32(1000) }) & 0xFFFF'FFFF, 77);
    EXPECT_EQ(test_session::call_i64(*session, "rethrow_after", { VMVal::from_u32(1000) }) & 0xFFFF'FFFF, 55);
}

TEST(ExceptionMemoryTest, KeepingEveryExceptionStillHitsTheCap)
{
    runtime::RuntimeLimits limits;
    limits.max_store_exception_bytes = 1 << 20;
    auto session = test_session::instantiate(kModule, {}, limits);
    ASSERT_TRUE(session);
    auto outcome = test_session::call(*session, "keep_loop", { VMVal::from_u32(100'000) });
    ASSERT_TRUE(outcome.trap.has_value());
    EXPECT_EQ(outcome.trap->kind, TrapKind::ExceptionMemoryExhausted);
    EXPECT_LE(session->store->exception_bytes(), limits.max_store_exception_bytes);
}
