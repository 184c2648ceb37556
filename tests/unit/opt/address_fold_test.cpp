// Address folding (regalloc.h, Allocator::address_fold; engine/opt/ranges.h): an access
// whose address is a shift and/or an added constant reads [memory + x * 2^k + c] only when
// the address provably does not wrap around 2^32; results and traps equal the baseline's,
// in particular where a wrapped address lands inside the memory.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/opt/builder.h"
#include "engine/opt/passes.h"
#include "engine/opt/ranges.h"
#include "engine/text/wat.h"
#include "engine/x64/opt/regalloc.h"
#include "tests/unit/opt/allocated.h"
#include "tests/unit/opt/codegen_harness.h"

namespace wk::engine::opt {

namespace {

struct Case {
    const char* name;
    const char* body; // the address, from the i32 parameter $x
    bool folds;
};

// clang-format off
const Case kCases[] = {
    // A 256-entry table of i32 at 1024: folded, scale 4.
    { "table", "(i32.add (i32.shl (i32.and (local.get $x) (i32.const 255)) (i32.const 2)) (i32.const 1024))", true },
    // The constant first, a byte index (shr) scaled by 8.
    { "bytes", "(i32.add (i32.const 64) (i32.shl (i32.shr_u (local.get $x) (i32.const 24)) (i32.const 3)))", true },
    // A shift alone.
    { "shift", "(i32.shl (i32.and (local.get $x) (i32.const 0x3fff)) (i32.const 2))", true },
    // An add alone, of a loaded byte.
    { "loaded", "(i32.add (i32.load8_u (local.get $x)) (i32.const 100))", true },
    // A remainder, then an add: with the offset just below 2^31, the largest displacement.
    { "edge", "(i32.add (i32.rem_u (local.get $x) (i32.const 16)) (i32.const 0x7ffffff0))", true },
    // Unbounded x: x * 4 + 1024 wraps for x >= 2^30 - 256, and lands at 0 for x = 0x3fffff00.
    { "wraps", "(i32.add (i32.shl (local.get $x) (i32.const 2)) (i32.const 1024))", false },
    // Bounded but too large: (x & 0x3fffffff) * 4 + 1024 can wrap.
    { "wide", "(i32.add (i32.shl (i32.and (local.get $x) (i32.const 0x3fffffff)) (i32.const 2)) (i32.const 1024))", false },
    // Fits 32 bits but not the signed displacement.
    { "far", "(i32.add (i32.and (local.get $x) (i32.const 0xff)) (i32.const 0x80000000))", false },
    // A shift by 4: no scale for it.
    { "scale16", "(i32.shl (i32.and (local.get $x) (i32.const 0xff)) (i32.const 4))", false },
};
// clang-format on

std::string module_text()
{
    std::string wat = "(module (memory 1)";
    for (const Case& c : kCases) {
        wat += std::string(" (func (export \"load_") + c.name + "\") (param $x i32) (result i32) (i32.load offset=4 "
            + c.body + "))";
        wat += std::string(" (func (export \"store_") + c.name + "\") (param $x i32) (param $v i32) (i32.store16 offset=4 "
            + c.body + " (local.get $v)))";
    }
    // Fills memory with a pattern to read back.
    wat += " (func (export \"fill\") (local $i i32) (loop $l (i32.store8 (local.get $i) (i32.mul (local.get $i)"
           " (i32.const 7))) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i)"
           " (i32.const 65536)))))";
    return wat + ")";
}

using testing::Allocated;
using testing::allocate;

u32 count_folded(const Allocated& a, bool loads_only)
{
    u32 folded = 0;
    for (Value v = 0; v < a.function.value_count(); ++v) {
        if (a.function.value(v).kind == ValueKind::Result)
            folded += loads_only ? a.allocator.is_folded_load(a.function, v) : a.allocator.is_folded(v);
    }
    return folded;
}

} // namespace

TEST(AddressFold, UpperBoundsOfI32Values)
{
    struct Bound {
        const char* expr;
        u32 max;
    };
    const Bound bounds[] = {
        { "(i32.and (local.get $x) (i32.const 0x1f0))", 0x1f0 },
        { "(i32.shr_u (local.get $x) (i32.const 20))", 0xfff },
        { "(i32.load8_u (local.get $x))", 0xff },
        { "(i32.load16_u (local.get $x))", 0xffff },
        { "(i32.add (i32.and (local.get $x) (i32.const 0xff)) (i32.const 10))", 265 },
        { "(i32.or (i32.and (local.get $x) (i32.const 0x40)) (i32.const 3))", 0x7f },
        { "(i32.rem_u (local.get $x) (i32.const 10))", 9 },
        { "(i32.mul (i32.load8_u (local.get $x)) (i32.const 3))", 765 },
        { "(i32.lt_u (local.get $x) (i32.const 3))", 1 },
        { "(i32.popcnt (local.get $x))", 32 },
        { "(i32.shl (i32.and (local.get $x) (i32.const 0xffff)) (i32.const 20))", 0xffffffff },
        { "(i32.add (local.get $x) (i32.const 1))", 0xffffffff },
        { "(local.get $x)", 0xffffffff },
    };
    for (const Bound& b : bounds) {
        std::string wat = std::string("(module (memory 1) (func (param $x i32) (result i32) ") + b.expr + "))";
        auto built = allocate(wat, 0, false);
        ASSERT_TRUE(built);
        const Function& function = built->function;
        Value returned = kNone;
        for (Block block : function.layout()) {
            Inst term = function.terminator(block);
            if (function.inst(term).op == Op::Return)
                returned = function.args(term)[0];
        }
        ASSERT_NE(returned, kNone) << b.expr;
        EXPECT_EQ(max_u32(function, function.resolve(returned)), b.max) << b.expr;
    }
}

TEST(AddressFold, FoldsOnlyAddressesThatCannotWrap)
{
    std::string wat = module_text();
    for (u32 index = 0; index < 2 * std::size(kCases); ++index) {
        const Case& c = kCases[index / 2];
        auto allocated = allocate(wat, index);
        ASSERT_TRUE(allocated);
        const Function& function = allocated->function;
        const x64::opt::Allocator& allocator = allocated->allocator;
        u32 folds = 0;
        u32 folded_values = 0;
        for (Block block : function.layout()) {
            for (Inst inst : function.insts(block)) {
                Op op = function.inst(inst).op;
                if (op != Op::I32Load && op != Op::I32Store16)
                    continue;
                const x64::opt::Allocator::AddressFold* fold = allocator.address_fold(inst);
                if (!fold)
                    continue;
                ++folds;
                EXPECT_GE(fold->displacement, 4) << c.name;
            }
        }
        folded_values = count_folded(*allocated, false);
        EXPECT_EQ(folds, c.folds ? 1u : 0u) << c.name << (index % 2 ? " store" : " load");
        // A folded address and its folded shift get no register.
        if (c.folds)
            EXPECT_GE(folded_values, 1u) << c.name;
    }

    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    ASSERT_EQ(run_text(*baseline, "fill", {}), run_text(*optimized, "fill", {}));
    const u64 xs[] = { 0, 1, 5, 255, 256, 0x3fff, 0xfff0, 0xfffc, 0xffff, 0x10000, 0x3fffff00, 0x3fffff01, 0x40000000,
                       0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff };
    u32 traps = 0;
    for (const Case& c : kCases) {
        for (u64 x : xs) {
            std::string load = std::string("load_") + c.name;
            std::string expected = run_text(*baseline, load, { x });
            EXPECT_EQ(run_text(*optimized, load, { x }), expected) << load << " " << x;
            traps += expected == trap_text(TrapKind::MemoryOutOfBounds);
            std::string store = std::string("store_") + c.name;
            std::string stored = run_text(*baseline, store, { x, 0xbeef });
            EXPECT_EQ(run_text(*optimized, store, { x, 0xbeef }), stored) << store << " " << x;
            // Both tiers stored the same bytes at the same place: the loads still agree.
            if (stored.find("trap") == std::string::npos) {
                EXPECT_EQ(run_text(*baseline, load, { x }), run_text(*optimized, load, { x })) << load << " after " << x;
            }
        }
    }
    EXPECT_GT(traps, 10u);
}

// (x + (y << k)) ± c and (x + y) ± c are one lea (folding.cpp, fold_lea_operands): the
// inner sum and its shift get no register. Exact under wrapping, i32 and i64 alike.
TEST(AddressFold, SumsWithAConstantAreOneLea)
{
    std::string wat = "(module";
    const char* forms[] = {
        "(T.add (T.add (local.get $x) (T.shl (local.get $y) (T.const 3))) (T.const 2256))",
        "(T.sub (T.add (local.get $x) (local.get $y)) (T.const 100))",
        "(T.add (T.const -7) (T.add (T.shl (local.get $y) (T.const 1)) (local.get $x)))",
        "(T.add (T.add (local.get $x) (local.get $y)) (T.const 0x7fffffff))",
    };
    u32 functions = 0;
    for (const char* type : { "i32", "i64" }) {
        for (const char* form : forms) {
            std::string body = form;
            for (usize at = body.find("T."); at != std::string::npos; at = body.find("T.", at))
                body.replace(at, 1, type);
            wat += std::string(" (func (export \"f") + std::to_string(functions++) + "\") (param $x " + type + ") (param $y "
                + type + ") (result " + type + ") " + body + ")";
        }
    }
    wat += ")";
    for (u32 index = 0; index < functions; ++index) {
        auto allocated = allocate(wat, index);
        ASSERT_TRUE(allocated);
        u32 folded = count_folded(*allocated, false);
        // The inner sum, and its shift where there is one.
        u32 form = index % 4;
        EXPECT_EQ(folded, form == 0 || form == 2 ? 2u : 1u) << "function " << index;
    }
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    const u64 values[] = { 0, 1, 7, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff, ~u64 { 0 } };
    u32 compared = 0;
    for (u32 index = 0; index < functions; ++index) {
        u64 mask = index < 4 ? 0xffffffffu : ~u64 { 0 };
        std::string name = "f" + std::to_string(index);
        for (u64 x : values) {
            for (u64 y : values) {
                EXPECT_EQ(run_text(*optimized, name, { x & mask, y & mask }), run_text(*baseline, name, { x & mask, y & mask }))
                    << name << " " << x << " " << y;
                ++compared;
            }
        }
    }
    EXPECT_EQ(compared, functions * 81);
}

// A full-width load whose only use is an ALU op later in its block, with only pure
// instructions between, is that op's memory operand (folding.cpp, fold_loads); not
// across a division that may trap, so which trap comes first is unchanged.
TEST(AddressFold, LoadsAreMemoryOperands)
{
    std::string wat = "(module (memory 1)"
        " (func (export \"xor\") (param $p i32) (param $v i32) (result i32)"
        "   (i32.xor (local.get $v) (i32.load (local.get $p))))"
        " (func (export \"sub\") (param $p i32) (param $v i64) (result i64)"
        "   (i64.sub (local.get $v) (i64.load offset=8 (i32.and (local.get $p) (i32.const 0xfff0)))))"
        " (func (export \"first\") (param $p i32) (param $v i32) (result i32)"
        "   (i32.add (i32.load (local.get $p)) (i32.mul (local.get $v) (i32.const 3))))"
        " (func (export \"across\") (param $p i32) (param $v i32) (result i32)"
        "   (i32.add (i32.load (local.get $p)) (i32.div_u (i32.const 100) (local.get $v))))"
        " (func (export \"constant\") (param $p i32) (param $v i32) (result i32)"
        "   (i32.mul (i32.const -32) (i32.load offset=22 (i32.and (local.get $p) (i32.const 0xfff0)))))"
        " (func (export \"narrow\") (param $p i32) (param $v i32) (result i32)"
        "   (i32.or (local.get $v) (i32.load8_u (local.get $p))))"
        // A load, a compare, the load's sum with a constant, the branch: the compare is
        // fused early and the add between is a lea, so the load stays a load of its own.
        " (func (export \"window\") (param $p i32) (param $v i32) (result i32) (local $w i32) (local $c i32)"
        "   (local.set $w (i32.load (local.get $p))) (local.set $c (i32.lt_u (local.get $v) (i32.const 7)))"
        "   (block $b (result i32) (i32.add (local.get $w) (i32.const 5)) (br_if $b (local.get $c)) (i32.const 1)"
        "     (i32.add)))"
        " (func (export \"fill\") (local $i i32) (loop $l (i32.store8 (local.get $i) (i32.mul (local.get $i)"
        "   (i32.const 13))) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i)"
        "   (i32.const 65536)))))"
        ")";
    const bool expected[] = { true, true, true, false, false, false, false };
    for (u32 index = 0; index < 7; ++index) {
        auto allocated = allocate(wat, index);
        ASSERT_TRUE(allocated);
        u32 folded = count_folded(*allocated, true);
        EXPECT_EQ(folded, expected[index] ? 1u : 0u) << "function " << index;
    }
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    ASSERT_EQ(run_text(*baseline, "fill", {}), run_text(*optimized, "fill", {}));
    u32 traps = 0;
    for (const char* name : { "xor", "sub", "first", "across", "constant", "narrow", "window" }) {
        for (u64 p : { 0ull, 4ull, 65532ull, 65533ull, 65536ull, 0xfffffffcull }) {
            for (u64 v : { 0ull, 1ull, 0xffffffffull }) {
                std::string want = run_text(*baseline, name, { p, v });
                EXPECT_EQ(run_text(*optimized, name, { p, v }), want) << name << " " << p << " " << v;
                traps += want.find("trap") != std::string::npos;
            }
        }
    }
    // across: a load out of bounds and a division by zero in one call trap on the load.
    EXPECT_EQ(run_text(*optimized, "across", { 65536, 0 }), trap_text(TrapKind::MemoryOutOfBounds));
    EXPECT_GT(traps, 10u);
}

} // namespace wk::engine::opt

