// Generated programs against the stack maps (docs/gc.md, "Stack maps"): each seed makes a
// function with eight reference locals and four i32 locals, a loop of nested ifs that
// allocate (through a call that also makes garbage), link, drop and read nodes, so that
// references are live across calls on some paths and not others, under register pressure
// (split ranges, evictions, save slots, spill slots). Its result (a checksum of every
// value read and of the lists left) must be the same in the baseline without collections
// inside the call and in each tier with a collection at every allocation: a reference
// missing from a map is freed while live and read after (or reused by a later node), a map
// naming a slot that does not hold a reference makes the collector read garbage.
#include <gtest/gtest.h>

#include <string>

#include "engine/runtime/gc_heap.h"
#include "engine/runtime/store.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;

namespace {

constexpr u32 kRefs = 8;
constexpr u32 kInts = 4;

class Generator {
public:
    explicit Generator(u64 seed)
        : m_state(seed * 0x9E37'79B9'7F4A'7C15ull + 1)
    {
    }

    std::string module()
    {
        // One allocation on every path, so every run collects at least once.
        std::string body = "(local.set $r0 (call $alloc (local.get $t)))\n";
        statements(body, 0, 6);
        std::string text = R"((module
  (type $node (struct (field $value (mut i32)) (field $next (mut (ref null $node)))))
)" + std::string(test_session::kGarbageFunction) + R"(
  (func $alloc (param $v i32) (result (ref $node))
    (if (i32.gt_u (local.get $v) (i32.const 0x7FFFFFFF)) (then (return (call $alloc (i32.const 0)))))
    (drop (call $garbage (i32.const 2)))
    (struct.new $node (local.get $v) (ref.null $node)))
  (func $value (param $p (ref null $node)) (result i32)
    (if (result i32) (ref.is_null (local.get $p)) (then (i32.const 0)) (else (struct.get $node $value (local.get $p)))))
  (func $list (param $p (ref null $node)) (result i32) (local $s i32) (local $k i32)
    (block $done
      (loop $again
        (br_if $done (ref.is_null (local.get $p)))
        (br_if $done (i32.ge_u (local.get $k) (i32.const 16)))
        (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 31)) (struct.get $node $value (local.get $p))))
        (local.set $p (struct.get $node $next (local.get $p)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $again)))
    (local.get $s))
  (func (export "run") (param $n i32) (result i32)
    (local $r0 (ref null $node)) (local $r1 (ref null $node)) (local $r2 (ref null $node)) (local $r3 (ref null $node))
    (local $r4 (ref null $node)) (local $r5 (ref null $node)) (local $r6 (ref null $node)) (local $r7 (ref null $node))
    (local $i0 i32) (local $i1 i32) (local $i2 i32) (local $i3 i32) (local $t i32)
    (loop $again
)";
        text += body;
        text += R"(      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $t) (local.get $n))))
    (i32.add (i32.add (local.get $i0) (local.get $i1)) (i32.add (local.get $i2) (local.get $i3)))
)";
        for (u32 r = 0; r < kRefs; ++r)
            text += "    (i32.add (call $list (local.get $r" + std::to_string(r) + ")))\n";
        text += "  )\n)\n";
        return text;
    }

private:
    u32 next(u32 bound)
    {
        m_state = m_state * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<u32>((m_state >> 33) % bound);
    }
    std::string ref() { return "$r" + std::to_string(next(kRefs)); }
    std::string integer() { return "$i" + std::to_string(next(kInts)); }
    std::string value()
    {
        switch (next(3)) {
        case 0: return "(local.get " + integer() + ")";
        case 1: return "(local.get $t)";
        default: return "(call $value (local.get " + ref() + "))";
        }
    }

    void statements(std::string& out, u32 depth, u32 count)
    {
        for (u32 k = 0; k < count; ++k)
            statement(out, depth);
    }

    void statement(std::string& out, u32 depth)
    {
        std::string r = ref();
        switch (next(depth < 2 ? 8 : 6)) {
        case 0:
        case 1:
            out += "(local.set " + r + " (call $alloc (i32.and (i32.add " + value() + " (i32.const " + std::to_string(next(100)) + ")) (i32.const 0xFFFF))))\n";
            break;
        case 2: {
            std::string i = integer();
            out += "(local.set " + i + " (i32.add (i32.mul (local.get " + i + ") (i32.const 3)) " + value() + "))\n";
            break;
        }
        case 3:
            out += "(if (i32.eqz (ref.is_null (local.get " + r + "))) (then (struct.set $node $next (local.get " + r + ") (local.get " + ref() + "))))\n";
            break;
        case 4:
            out += next(2) ? "(local.set " + r + " (ref.null $node))\n"
                           : "(if (i32.eqz (ref.is_null (local.get " + r + "))) (then (local.set " + r + " (struct.get $node $next (local.get " + r + ")))))\n";
            break;
        case 5:
            out += "(local.set " + integer() + " (i32.add " + value() + " (call $garbage (i32.const 1))))\n";
            break;
        default:
            out += "(if (i32.and " + value() + " (i32.const " + std::to_string(1 + next(7)) + ")) (then\n";
            statements(out, depth + 1, 1 + next(3));
            out += ") (else\n";
            statements(out, depth + 1, next(3));
            out += "))\n";
            break;
        }
    }

    u64 m_state;
};

compile::CompileOptions options_for(compile::Tier tier) { return test_session::tier_options(tier, 3); }

} // namespace

TEST(GcStackMapRandomTest, GeneratedProgramsAgreeWithACollectionAtEveryAllocation)
{
    for (u64 seed = 1; seed <= 200; ++seed) {
        SCOPED_TRACE(seed);
        std::string text = Generator(seed).module();
        auto reference = test_session::instantiate(text, options_for(compile::Tier::Baseline));
        ASSERT_TRUE(reference);
        i64 expected = test_session::call_i64(*reference, "run", { VMVal::from_u32(12) });
        runtime::RuntimeLimits limits;
        limits.gc_collect_at_every_allocation = true;
        for (compile::Tier tier : { compile::Tier::Baseline, compile::Tier::Optimized, compile::Tier::Tiered }) {
            SCOPED_TRACE(std::string(compile::tier_name(tier)));
            auto session = test_session::instantiate(text, options_for(tier), limits);
            ASSERT_TRUE(session);
            if (tier == compile::Tier::Optimized)
                EXPECT_EQ(session->statistics.baseline_fallbacks, 0u);
            u64 before = session->store->gc_heap().collections();
            EXPECT_EQ(test_session::call_i64(*session, "run", { VMVal::from_u32(12) }), expected);
            // Every iteration calls $garbage at least through the loop's allocations or
            // calls; at least one collection ran inside the call in every tier.
            EXPECT_GT(session->store->gc_heap().collections(), before);
        }
    }
}
