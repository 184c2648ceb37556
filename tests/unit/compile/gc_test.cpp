// The GC heap and its collector (docs/gc.md) under compiled code: what globals, tables and
// host-held values reach survives a collection, the rest (cycles too) is freed and its
// bytes return to the heap and the store's budget; separate invocations that allocate run
// in bounded memory; the heap limit is a clean trap.
#include <gtest/gtest.h>

#include "engine/runtime/gc_heap.h"
#include "engine/runtime/store.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;

namespace {

// $node: a linked list cell (32 bytes with its header). keep(n) prepends n nodes to the
// list in $list; garbage(n) allocates n nodes and drops them; sum() walks $list; cycle()
// makes two nodes that point at each other and drops them; make() returns a fresh node;
// stash() puts one in table 0; big(n) allocates an i64 array of n elements.
const char* const kModule = R"(
(module
  (type $node (struct (field $value i32) (field $next (mut (ref null $node)))))
  (type $bytes (array (mut i64)))
  (global $list (mut (ref null $node)) (ref.null $node))
  (table 1 anyref)
  (func (export "keep") (param $n i32)
    (loop $again
      (if (local.get $n)
        (then
          (global.set $list (struct.new $node (local.get $n) (global.get $list)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $again)))))
  (func (export "garbage") (param $n i32)
    (loop $again
      (if (local.get $n)
        (then
          (drop (struct.new $node (local.get $n) (ref.null $node)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $again)))))
  (func (export "sum") (result i64) (local $p (ref null $node)) (local $s i64)
    (local.set $p (global.get $list))
    (block $done
      (loop $again
        (br_if $done (ref.is_null (local.get $p)))
        (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (struct.get $node $value (local.get $p)))))
        (local.set $p (struct.get $node $next (local.get $p)))
        (br $again)))
    (local.get $s))
  (func (export "drop_list") (global.set $list (ref.null $node)))
  (func (export "cycle") (local $a (ref null $node)) (local $b (ref null $node))
    (local.set $a (struct.new $node (i32.const 1) (ref.null $node)))
    (local.set $b (struct.new $node (i32.const 2) (local.get $a)))
    (struct.set $node $next (local.get $a) (local.get $b)))
  (func (export "make") (result anyref) (struct.new $node (i32.const 7) (ref.null $node)))
  (func (export "stash") (table.set (i32.const 0) (struct.new $node (i32.const 9) (ref.null $node))))
  (func (export "unstash") (table.set (i32.const 0) (ref.null any)))
  (func (export "big") (param $n i32) (result i32) (array.len (array.new_default $bytes (local.get $n)))))
)";

constexpr u64 kNodeBytes = 32 + runtime::GcHeap::kObjectOverhead;

runtime::GcHeap& heap(test_session::Session& session) { return session.store->gc_heap(); }

bool collect(test_session::Session& session) { return session.store->collect_garbage(); }

} // namespace

TEST(GcHeapTest, ReachableFromAGlobalSurvivesAndUnreachableIsFreed)
{
    auto session = test_session::instantiate(kModule);
    ASSERT_TRUE(session);
    test_session::call(*session, "keep", { VMVal::from_u32(1000) });
    test_session::call(*session, "garbage", { VMVal::from_u32(3000) });
    EXPECT_EQ(heap(*session).object_count(), 4000u);
    EXPECT_EQ(heap(*session).live_bytes(), 4000 * kNodeBytes);
    u64 budget_before = session->store->memory_budget().used();
    ASSERT_TRUE(collect(*session));
    EXPECT_EQ(heap(*session).object_count(), 1000u);
    EXPECT_EQ(heap(*session).live_bytes(), 1000 * kNodeBytes);
    EXPECT_EQ(session->store->memory_budget().used(), budget_before - 3000 * kNodeBytes);
    EXPECT_EQ(test_session::call_i64(*session, "sum", {}), 1000 * 1001 / 2);

    // The freed bytes are available again: the heap grows only by what is live.
    test_session::call(*session, "garbage", { VMVal::from_u32(3000) });
    ASSERT_TRUE(collect(*session));
    EXPECT_EQ(heap(*session).live_bytes(), 1000 * kNodeBytes);

    test_session::call(*session, "drop_list", {});
    ASSERT_TRUE(collect(*session));
    EXPECT_EQ(heap(*session).object_count(), 0u);
    EXPECT_EQ(heap(*session).live_bytes(), 0u);
}

TEST(GcHeapTest, ACycleIsFreed)
{
    auto session = test_session::instantiate(kModule);
    ASSERT_TRUE(session);
    test_session::call(*session, "cycle", {});
    test_session::call(*session, "cycle", {});
    EXPECT_EQ(heap(*session).object_count(), 4u);
    ASSERT_TRUE(collect(*session));
    EXPECT_EQ(heap(*session).object_count(), 0u);
}

TEST(GcHeapTest, TablesAndHostValuesAreRoots)
{
    auto session = test_session::instantiate(kModule);
    ASSERT_TRUE(session);
    test_session::call(*session, "stash", {});
    auto made = test_session::call(*session, "make", {});
    ASSERT_EQ(made.results.size(), 1u);
    VMVal held = made.results[0];
    ValType anyref = ValType::ref(HeapKind::Any, true);
    ASSERT_TRUE(session->store->collect_garbage(Span<const VMVal>(&held, 1), Span<const ValType>(&anyref, 1)));
    EXPECT_EQ(heap(*session).object_count(), 2u);
    // The survivor is intact: its field is still 7.
    u32 value;
    __builtin_memcpy(&value, static_cast<u8*>(held.ref()) + runtime::kGcHeaderBytes, 4);
    EXPECT_EQ(value, 7u);
    ASSERT_TRUE(collect(*session));
    EXPECT_EQ(heap(*session).object_count(), 1u); // the table's
    test_session::call(*session, "unstash", {});
    ASSERT_TRUE(collect(*session));
    EXPECT_EQ(heap(*session).object_count(), 0u);
}

TEST(GcHeapTest, NoCollectionWhileWasmRuns)
{
    auto session = test_session::instantiate(kModule);
    ASSERT_TRUE(session);
    session->store->enter_wasm();
    EXPECT_FALSE(collect(*session));
    session->store->leave_wasm();
    EXPECT_TRUE(collect(*session));
}

TEST(GcHeapTest, AllocationLoopAcrossInvocationsRunsInBoundedMemory)
{
    runtime::RuntimeLimits limits;
    limits.max_store_gc_bytes = 8 << 20;
    auto session = test_session::instantiate(kModule, {}, limits);
    ASSERT_TRUE(session);
    // 400 calls of 10000 nodes: 128 MB allocated in all, 16 times the limit.
    u64 peak = 0;
    for (u32 i = 0; i < 400; ++i) {
        auto outcome = test_session::call(*session, "garbage", { VMVal::from_u32(10000) });
        ASSERT_FALSE(outcome.trap.has_value()) << "call " << i << ": " << trap_message(outcome.trap->kind);
        peak = std::max(peak, heap(*session).live_bytes());
    }
    EXPECT_LE(peak, limits.max_store_gc_bytes);
    EXPECT_GE(heap(*session).collections(), 10u);
}

TEST(GcHeapTest, TheHeapLimitIsACleanTrap)
{
    runtime::RuntimeLimits limits;
    limits.max_store_gc_bytes = 1 << 20;
    auto session = test_session::instantiate(kModule, {}, limits);
    ASSERT_TRUE(session);
    // One call keeps more than the limit alive.
    auto outcome = test_session::call(*session, "keep", { VMVal::from_u32(100000) });
    ASSERT_TRUE(outcome.trap.has_value());
    EXPECT_EQ(outcome.trap->kind, TrapKind::GcHeapExhausted);
    EXPECT_LE(heap(*session).live_bytes(), limits.max_store_gc_bytes);
    // An array beyond the limit is refused before it is allocated; the largest u32
    // length is refused too.
    outcome = test_session::call(*session, "big", { VMVal::from_u32(1 << 20) });
    ASSERT_TRUE(outcome.trap.has_value());
    EXPECT_EQ(outcome.trap->kind, TrapKind::GcHeapExhausted);
    outcome = test_session::call(*session, "big", { VMVal::from_u32(0xFFFF'FFFFu) });
    ASSERT_TRUE(outcome.trap.has_value());
    EXPECT_EQ(outcome.trap->kind, TrapKind::GcHeapExhausted);
    // The store still works once the list is dropped and collected.
    test_session::call(*session, "drop_list", {});
    ASSERT_TRUE(collect(*session));
    EXPECT_EQ(heap(*session).live_bytes(), 0u);
    EXPECT_EQ(test_session::call_i64(*session, "big", { VMVal::from_u32(100) }) & 0xFFFF'FFFF, 100);
}
