// The baseline's local register cache (engine/x64/baseline/local_cache.cpp): programs
// whose locals move between registers, slots, calls, merges, traps and handlers, each
// checked against the same computation in C++.

#include <gtest/gtest.h>

#include <string>

#include "engine/compile/code_object.h"
#include "engine/compile/compiled_module.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/spectest.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using namespace wk::engine::test_session;
using runtime::VMVal;

namespace {

u32 call_u32(Session& session, const char* name, std::initializer_list<VMVal> args)
{
    return static_cast<u32>(call_i64(session, name, args));
}

std::string num(u64 value) { return std::to_string(value); }

} // namespace

// 16 i32 and 10 f64 locals updated every iteration: more locals than registers, so the
// header keeps some, the body evicts and reloads the others.
TEST(RegisterCache, LoopWithMoreLocalsThanRegisters)
{
    std::string wat = R"((module (func (export "many") (param $n i32) (result i64))";
    for (u32 k = 0; k < 16; ++k)
        wat += " (local $a" + num(k) + " i32)";
    for (u32 k = 0; k < 10; ++k)
        wat += " (local $f" + num(k) + " f64)";
    wat += " (local $i i32)\n";
    for (u32 k = 0; k < 16; ++k)
        wat += " i32.const " + num(k * 7 + 1) + " local.set $a" + num(k);
    wat += "\n block $done loop $top local.get $i local.get $n i32.ge_u br_if $done\n";
    for (u32 k = 0; k < 16; ++k) {
        wat += " local.get $a" + num(k) + " i32.const 3 i32.mul local.get $a" + num((k + 1) % 16)
            + " i32.add local.get $i i32.add local.set $a" + num(k) + "\n";
    }
    for (u32 k = 0; k < 10; ++k) {
        wat += " local.get $f" + num(k) + " f64.const 0.5 f64.mul local.get $a" + num(k)
            + " f64.convert_i32_u f64.add local.set $f" + num(k) + "\n";
    }
    wat += " local.get $i i32.const 1 i32.add local.set $i br $top end end\n i64.const 0";
    for (u32 k = 0; k < 16; ++k)
        wat += " local.get $a" + num(k) + " i64.extend_i32_u i64.add";
    for (u32 k = 0; k < 10; ++k)
        wat += " local.get $f" + num(k) + " i64.trunc_f64_s i64.add";
    wat += "))";
    auto s = instantiate(wat);
    ASSERT_TRUE(s);

    auto reference = [](u32 n) {
        u32 a[16];
        double f[10] = {};
        for (u32 k = 0; k < 16; ++k)
            a[k] = k * 7 + 1;
        for (u32 i = 0; i < n; ++i) {
            for (u32 k = 0; k < 16; ++k)
                a[k] = a[k] * 3 + a[(k + 1) % 16] + i;
            for (u32 k = 0; k < 10; ++k)
                f[k] = f[k] * 0.5 + static_cast<double>(a[k]);
        }
        u64 sum = 0;
        for (u32 k = 0; k < 16; ++k)
            sum += a[k];
        for (u32 k = 0; k < 10; ++k)
            sum += static_cast<u64>(static_cast<i64>(f[k]));
        return sum;
    };
    for (u32 n : { 0u, 1u, 2u, 17u, 1000u })
        EXPECT_EQ(static_cast<u64>(call_i64(*s, "many", { VMVal::from_i32(static_cast<i32>(n)) })), reference(n)) << n;
}

// Locals live across direct and indirect calls of a function that fills every register
// with its own locals.
TEST(RegisterCache, LocalsLiveAcrossCalls)
{
    std::string clobber = R"((func $clobber (param $p i32) (result i32))";
    for (u32 k = 0; k < 12; ++k)
        clobber += " (local $l" + num(k) + " i32)";
    for (u32 k = 0; k < 6; ++k)
        clobber += " (local $g" + num(k) + " f64)";
    for (u32 k = 0; k < 12; ++k)
        clobber += " local.get $p i32.const " + num(k + 1) + " i32.mul i32.const " + num(k) + " i32.add local.set $l" + num(k);
    for (u32 k = 0; k < 6; ++k)
        clobber += " local.get $p f64.convert_i32_s f64.const " + num(k) + " f64.add local.set $g" + num(k);
    clobber += " i32.const 0";
    for (u32 k = 0; k < 12; ++k)
        clobber += " local.get $l" + num(k) + " i32.xor";
    for (u32 k = 0; k < 6; ++k)
        clobber += " local.get $g" + num(k) + " i32.trunc_f64_s i32.add";
    clobber += ")\n";
    std::string wat = "(module (type $t (func (param i32) (result i32))) (table 1 funcref) (elem (i32.const 0) $clobber)\n" + clobber
        + R"((func (export "across") (param $n i32) (result i64)
              (local $i i32) (local $a i32) (local $b i32) (local $c i32) (local $x i64) (local $d f64)
              loop $top
                local.get $a local.get $i i32.add local.set $a
                local.get $b local.get $a call $clobber i32.xor local.set $b
                local.get $c local.get $b i32.add
                local.get $a i32.const 1 i32.add i32.const 0 call_indirect (type $t)
                i32.add local.set $c
                local.get $d f64.const 1.5 f64.add local.set $d
                local.get $x local.get $a i64.extend_i32_u i64.add local.set $x
                local.get $i i32.const 1 i32.add local.tee $i local.get $n i32.lt_u br_if $top
              end
              local.get $x local.get $b i64.extend_i32_u i64.add local.get $c i64.extend_i32_u i64.add
              local.get $d i64.trunc_f64_s i64.add)))";
    auto s = instantiate(wat);
    ASSERT_TRUE(s);

    auto clobber_reference = [](u32 p) {
        u32 result = 0;
        for (u32 k = 0; k < 12; ++k)
            result ^= p * (k + 1) + k;
        for (u32 k = 0; k < 6; ++k)
            result += static_cast<u32>(static_cast<i32>(static_cast<double>(static_cast<i32>(p)) + k));
        return result;
    };
    auto reference = [&](u32 n) {
        u32 i = 0, a = 0, b = 0, c = 0;
        u64 x = 0;
        double d = 0;
        do {
            a += i;
            b ^= clobber_reference(a);
            c = c + b + clobber_reference(a + 1);
            d += 1.5;
            x += a;
            ++i;
        } while (i < n);
        return x + b + c + static_cast<u64>(static_cast<i64>(d));
    };
    for (u32 n : { 1u, 2u, 5u, 300u })
        EXPECT_EQ(static_cast<u64>(call_i64(*s, "across", { VMVal::from_i32(static_cast<i32>(n)) })), reference(n)) << n;
}

// br_table, br_if and if/else arms that change different locals (and force evictions
// through division and shifts, which need rax, rdx and rcx) merge into one state.
TEST(RegisterCache, MergesWithLocalsInDifferentRegisters)
{
    auto s = instantiate(R"((module (func (export "merge") (param $n i32) (result i32)
        (local $i i32) (local $a i32) (local $b i32) (local $c i32) (local $x f64)
        loop $top
          block $b3 block $b2 block $b1 block $b0
            local.get $i i32.const 3 i32.and
            br_table $b0 $b1 $b2 $b3
          end
            local.get $a i32.const 5 i32.add local.set $a
            br $b3
          end
            local.get $b local.get $a i32.xor local.set $b
            local.get $i i32.const 1 i32.and br_if $b3
            i32.const 999 local.set $a
          end
            local.get $c i32.const 7 i32.mul local.get $i i32.add local.set $c
            local.get $a local.set $b
        end
        local.get $i i32.const 5 i32.rem_u
        if
          local.get $a local.get $c i32.add local.set $a
          local.get $x f64.const 0.25 f64.add local.set $x
        else
          local.get $b i32.const 1 i32.shl local.set $b
          local.get $c local.get $b local.get $i i32.shr_u i32.sub local.set $c
        end
        local.get $i i32.const 1 i32.add local.tee $i
        local.get $n i32.lt_u br_if $top
        end
        local.get $a local.get $b i32.add local.get $c i32.add local.get $x i32.trunc_f64_s i32.add)))");
    ASSERT_TRUE(s);
    auto reference = [](u32 n) {
        u32 i = 0, a = 0, b = 0, c = 0;
        double x = 0;
        do {
            switch (i & 3) {
            case 0: a += 5; break;
            case 1:
                b ^= a;
                if ((i & 1) == 0)
                    a = 999;
                break;
            case 2:
                c = c * 7 + i;
                b = a;
                break;
            default: break;
            }
            if (i % 5) {
                a += c;
                x += 0.25;
            } else {
                b <<= 1;
                c -= b >> (i & 31);
            }
            ++i;
        } while (i < n);
        return a + b + c + static_cast<u32>(static_cast<i32>(x));
    };
    for (u32 n : { 1u, 3u, 4u, 9u, 1000u })
        EXPECT_EQ(call_u32(*s, "merge", { VMVal::from_i32(static_cast<i32>(n)) }), reference(n)) << n;
}

// Twelve locals read in a different order on each br_table arm, so that evictions leave
// them in different registers per arm; after the merge every local is read again.
TEST(RegisterCache, ArmsLeaveLocalsInDifferentRegisters)
{
    constexpr u32 kLocals = 12;
    auto target = [](u32 arm, u32 k) { return (k * 5 + arm * 3) % kLocals; };
    std::string wat = R"((module (func (export "shuffle") (param $n i32) (result i32) (local $i i32) (local $s i32))";
    for (u32 k = 0; k < kLocals; ++k)
        wat += " (local $v" + num(k) + " i32)";
    for (u32 k = 0; k < kLocals; ++k)
        wat += " i32.const " + num(k * 13 + 7) + " local.set $v" + num(k);
    wat += "\n loop $top block $join block $a3 block $a2 block $a1 block $a0 local.get $i i32.const 3 i32.and br_table $a0 $a1 $a2 $a3 end\n";
    for (u32 arm = 0; arm < 4; ++arm) {
        for (u32 k = 0; k < kLocals; ++k) {
            u32 t = target(arm, k);
            wat += " local.get $v" + num(t) + " local.get $v" + num((t + 1) % kLocals) + " i32.const " + num(arm + 1)
                + " i32.mul i32.add local.set $v" + num(t);
        }
        wat += arm < 3 ? " br $join end\n" : " end\n";
    }
    wat += " local.get $s";
    for (u32 k = 0; k < kLocals; ++k)
        wat += " local.get $v" + num(k) + " i32.add";
    wat += " i32.const 1 i32.rotl local.set $s";
    wat += " local.get $i i32.const 1 i32.add local.tee $i local.get $n i32.lt_u br_if $top end local.get $s))";
    auto s = instantiate(wat);
    ASSERT_TRUE(s);
    auto reference = [&](u32 n) {
        u32 v[kLocals];
        for (u32 k = 0; k < kLocals; ++k)
            v[k] = k * 13 + 7;
        u32 i = 0, sum = 0;
        do {
            u32 arm = i & 3;
            for (u32 k = 0; k < kLocals; ++k) {
                u32 t = target(arm, k);
                v[t] = v[t] + v[(t + 1) % kLocals] * (arm + 1);
            }
            u32 total = sum;
            for (u32 k = 0; k < kLocals; ++k)
                total += v[k];
            sum = (total << 1) | (total >> 31);
            ++i;
        } while (i < n);
        return sum;
    };
    for (u32 n : { 1u, 2u, 4u, 5u, 333u })
        EXPECT_EQ(call_u32(*s, "shuffle", { VMVal::from_i32(static_cast<i32>(n)) }), reference(n)) << n;
}

// A loop with a parameter whose back edge carries a value that must move (an extra value
// below it), while a lazily read local is overwritten; locals swapped through the stack.
TEST(RegisterCache, LoopParametersAndSwaps)
{
    auto s = instantiate(R"((module
        (func (export "loopparam") (param $n i32) (result i32) (local $i i32) (local $acc i32) (local $tmp i32)
          i32.const 0
          loop $top (param i32) (result i32)
            local.get $i i32.add local.set $tmp
            local.get $acc
            local.get $tmp local.get $i i32.const 3 i32.mul i32.xor
            local.get $acc local.get $tmp i32.add local.set $acc
            local.get $i i32.const 1 i32.add local.tee $i local.get $n i32.lt_u
            br_if $top
            i32.add
          end)
        (func (export "swap") (param $n i32) (param $a i32) (param $b i32) (result i32) (local $i i32) (local $p f64) (local $q f64)
          f64.const 1 local.set $p f64.const 2 local.set $q
          loop $top
            local.get $a local.get $b local.set $a local.set $b
            local.get $q local.get $p local.set $q local.set $p
            local.get $a local.get $i i32.add local.set $a
            local.get $p f64.const 3 f64.mul local.set $p
            local.get $i i32.const 1 i32.add local.tee $i local.get $n i32.lt_u br_if $top
          end
          local.get $a i32.const 1000 i32.mul local.get $b i32.add
          local.get $p local.get $q f64.sub i32.trunc_f64_s i32.add)))");
    ASSERT_TRUE(s);
    auto loopparam = [](u32 n) {
        u32 v = 0, i = 0, acc = 0;
        for (;;) {
            v += i;
            u32 tmp = v;
            u32 extra = acc;
            u32 next = tmp ^ (i * 3);
            acc += tmp;
            ++i;
            if (i < n) {
                v = next;
                continue;
            }
            return extra + next;
        }
    };
    auto swap = [](u32 n, u32 a, u32 b) {
        u32 i = 0;
        double p = 1, q = 2;
        do {
            u32 t = a;
            a = b;
            b = t;
            double u = p;
            p = q;
            q = u;
            a += i;
            p *= 3;
            ++i;
        } while (i < n);
        return a * 1000 + b + static_cast<u32>(static_cast<i32>(p - q));
    };
    for (u32 n : { 1u, 2u, 7u, 50u })
        EXPECT_EQ(call_u32(*s, "loopparam", { VMVal::from_i32(static_cast<i32>(n)) }), loopparam(n)) << n;
    for (u32 n : { 1u, 2u, 3u, 10u })
        EXPECT_EQ(call_u32(*s, "swap", { VMVal::from_i32(static_cast<i32>(n)), VMVal::from_i32(5), VMVal::from_i32(9) }),
                  swap(n, 5, 9))
            << n;
}

// A handler sees the locals as they were at the throw: changed just before a throw in
// the same function, and before a call whose callee throws.
TEST(RegisterCache, HandlersSeeLocalsAsOfTheThrow)
{
    auto s = instantiate(R"((module
        (tag $e (param i32))
        (func $thrower (param i32) local.get 0 i32.const 7 i32.eq if local.get 0 throw $e end)
        (func (export "exc") (param $n i32) (result i32) (local $i i32) (local $a i32) (local $b i32) (local $caught i32)
          loop $top
            block $done
              block $h (result i32)
                try_table (catch $e $h)
                  local.get $a local.get $i i32.add local.set $a
                  local.get $i call $thrower
                  local.get $b i32.const 3 i32.add local.set $b
                  local.get $i i32.const 11 i32.eq
                  if
                    local.get $a i32.const 2 i32.mul local.set $a
                    local.get $b i32.const 100 i32.add local.set $b
                    local.get $a throw $e
                  end
                end
                br $done
              end
              local.get $a i32.add local.get $b i32.mul local.get $caught i32.add local.set $caught
            end
            local.get $i i32.const 1 i32.add local.tee $i local.get $n i32.lt_u br_if $top
          end
          local.get $a i32.const 31 i32.mul local.get $b i32.const 7 i32.mul i32.add local.get $caught i32.add)))");
    ASSERT_TRUE(s);
    auto reference = [](u32 n) {
        u32 i = 0, a = 0, b = 0, caught = 0;
        do {
            a += i;
            bool thrown = false;
            u32 value = 0;
            if (i == 7) {
                thrown = true;
                value = i;
            } else {
                b += 3;
                if (i == 11) {
                    a *= 2;
                    b += 100;
                    thrown = true;
                    value = a;
                }
            }
            if (thrown)
                caught = (value + a) * b + caught;
            ++i;
        } while (i < n);
        return a * 31 + b * 7 + caught;
    };
    for (u32 n : { 1u, 8u, 12u, 40u })
        EXPECT_EQ(call_u32(*s, "exc", { VMVal::from_i32(static_cast<i32>(n)) }), reference(n)) << n;
}

// Traps inside loops with cached locals (an address and a divisor in registers), and
// what the loop stored before the trap.
TEST(RegisterCache, TrapsWithCachedLocals)
{
    auto s = instantiate(R"((module (memory 1)
        (func (export "fill") (param $start i32) (param $step i32) (result i32) (local $p i32) (local $i i32)
          local.get $start local.set $p
          loop $top
            local.get $p local.get $i i32.store
            local.get $p local.get $step i32.add local.set $p
            local.get $i i32.const 1 i32.add local.set $i
            br $top
          end
          unreachable)
        (func (export "load") (param i32) (result i32) local.get 0 i32.load)
        (func (export "divs") (param $n i32) (param $k i32) (result i32) (local $i i32) (local $s i32)
          loop $top
            local.get $s i32.const 1000 local.get $k local.get $i i32.sub i32.div_u i32.add local.set $s
            local.get $i i32.const 1 i32.add local.tee $i local.get $n i32.lt_u br_if $top
          end
          local.get $s)))");
    ASSERT_TRUE(s);
    auto outcome = call(*s, "fill", { VMVal::from_i32(65536 - 4 * 100), VMVal::from_i32(4) });
    ASSERT_TRUE(outcome.trap);
    EXPECT_EQ(outcome.trap->kind, TrapKind::MemoryOutOfBounds);
    for (u32 k : { 0u, 1u, 57u, 99u })
        EXPECT_EQ(call_u32(*s, "load", { VMVal::from_i32(static_cast<i32>(65536 - 4 * 100 + 4 * k)) }), k);

    auto divs = [](u32 n, u32 k) {
        u32 sum = 0;
        for (u32 i = 0; i < n; ++i)
            sum += 1000 / (k - i);
        return sum;
    };
    EXPECT_EQ(call_u32(*s, "divs", { VMVal::from_i32(5), VMVal::from_i32(10) }), divs(5, 10));
    auto trapped = call(*s, "divs", { VMVal::from_i32(20), VMVal::from_i32(10) });
    ASSERT_TRUE(trapped.trap);
    EXPECT_EQ(trapped.trap->kind, TrapKind::IntegerDivideByZero);
    EXPECT_EQ(call_u32(*s, "divs", { VMVal::from_i32(9), VMVal::from_i32(10) }), divs(9, 10));
}

// Loops nested thousands deep, each reading locals: the header scans share a budget
// linear in the body, and the result is still right.
TEST(RegisterCache, DeepLoopNest)
{
    constexpr u32 kDepth = 3000;
    std::string wat = R"((module (func (export "deep") (param $x i32) (result i32) (local $a i32) (local $b i32))";
    for (u32 k = 0; k < kDepth; ++k)
        wat += " loop local.get $a local.get $x i32.add local.set $a";
    for (u32 k = 0; k < kDepth; ++k)
        wat += " local.get $b i32.const 1 i32.add local.set $b end";
    wat += " local.get $a local.get $b i32.xor))";
    auto s = instantiate(wat);
    ASSERT_TRUE(s);
    u32 x = 12345;
    EXPECT_EQ(call_u32(*s, "deep", { VMVal::from_i32(static_cast<i32>(x)) }), (x * kDepth) ^ kDepth);
}

// A loop that iterates, under register pressure, inside 70 loops: past the pool of cache
// states (64) its header caches nothing, which its back edge must then respect.
TEST(RegisterCache, LoopDeeperThanTheStatePool)
{
    constexpr u32 kOuter = 70;
    constexpr u32 kLocals = 12;
    std::string wat = R"((module (func (export "inner") (param $n i32) (result i32) (local $i i32))";
    for (u32 k = 0; k < kLocals; ++k)
        wat += " (local $v" + num(k) + " i32)";
    for (u32 k = 0; k < kLocals; ++k)
        wat += " i32.const " + num(k * 5 + 1) + " local.set $v" + num(k);
    for (u32 k = 0; k < kOuter; ++k)
        wat += " loop";
    wat += " loop $in";
    for (u32 k = 0; k < kLocals; ++k) {
        wat += " local.get $v" + num(k) + " local.get $v" + num((k + 7) % kLocals) + " i32.add local.get $i i32.add local.set $v"
            + num(k);
    }
    wat += " local.get $i i32.const 1 i32.add local.tee $i local.get $n i32.lt_u br_if $in end";
    for (u32 k = 0; k < kOuter; ++k)
        wat += " end";
    wat += " i32.const 0";
    for (u32 k = 0; k < kLocals; ++k)
        wat += " local.get $v" + num(k) + " i32.const " + num(k + 1) + " i32.mul i32.add";
    wat += "))";
    auto s = instantiate(wat);
    ASSERT_TRUE(s);
    auto reference = [&](u32 n) {
        u32 v[kLocals];
        for (u32 k = 0; k < kLocals; ++k)
            v[k] = k * 5 + 1;
        u32 i = 0;
        do {
            for (u32 k = 0; k < kLocals; ++k)
                v[k] = v[k] + v[(k + 7) % kLocals] + i;
            ++i;
        } while (i < n);
        u32 sum = 0;
        for (u32 k = 0; k < kLocals; ++k)
            sum += v[k] * (k + 1);
        return sum;
    };
    for (u32 n : { 1u, 2u, 3u, 100u })
        EXPECT_EQ(call_u32(*s, "inner", { VMVal::from_i32(static_cast<i32>(n)) }), reference(n)) << n;
}

// If/else and blocks nested deeper than the compiler's pool of cache states (64), with a
// cached local changed on every level and branches out of the deepest levels.
TEST(RegisterCache, IfNestDeeperThanTheStatePool)
{
    constexpr u32 kDepth = 200;
    std::string wat = R"((module (func (export "nest") (param $x i32) (result i32) (local $a i32) block $out)";
    for (u32 k = 0; k < kDepth; ++k) {
        wat += " local.get $a local.get $x i32.add local.set $a local.get $x i32.const " + num(k) + " i32.gt_u if";
        if (k == kDepth - 10)
            wat += " local.get $a i32.const 100000 i32.gt_u br_if $out";
    }
    for (u32 k = 0; k < kDepth; ++k)
        wat += " else local.get $a i32.const 3 i32.add local.set $a end";
    wat += " end local.get $a))";
    auto s = instantiate(wat);
    ASSERT_TRUE(s);
    // Level k adds x and enters the next level while x > k, else adds 3 and unwinds.
    auto reference = [&](u32 x) {
        u32 a = 0;
        for (u32 k = 0; k < kDepth; ++k) {
            a += x;
            if (!(x > k))
                return a + 3;
            if (k == kDepth - 10 && a > 100000)
                return a;
        }
        return a;
    };
    for (u32 x : { 0u, 1u, 5u, 63u, 64u, 65u, 150u, 195u, 250u, 1000u })
        EXPECT_EQ(call_u32(*s, "nest", { VMVal::from_i32(static_cast<i32>(x)) }), reference(x)) << x;
}
