// ABI register hints in the optimising tier's allocator (regalloc.h, compute_abi_hints):
// call arguments, call results and returned values prefer the registers the calling
// convention moves them to or from. The locations are checked on the allocator itself;
// the results of many call and loop shapes must equal the baseline's.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/opt/builder.h"
#include "engine/opt/passes.h"
#include "engine/text/wat.h"
#include "engine/x64/opt/optimizing_compiler.h"
#include "engine/x64/opt/regalloc.h"
#include "tests/unit/opt/codegen_harness.h"

namespace wk::engine::opt {

namespace {

// $g calls itself, so the inliner leaves it alone and $f's calls stay calls.
constexpr const char* kHintShapes = R"(
(module
  (type $t (func (param i64 i64) (result i64)))
  (table 1 funcref)
  (elem (i32.const 0) $g)
  (func $g (type $t)
    (if (i64.eq (local.get 0) (i64.const 12345)) (then (return (call $g (i64.const 1) (local.get 1)))))
    (i64.add (i64.rotl (local.get 0) (i64.const 9)) (local.get 1)))
  (func $f (param $a i64) (param $b i64) (param $i i32) (result i64)
    (local $x i64) (local $z i64)
    (local.set $x (call $g (local.get $a) (local.get $b)))
    (local.set $z (call_indirect (type $t) (i64.mul (local.get $x) (local.get $x)) (local.get $b)
                                 (i32.xor (local.get $i) (i32.const 1))))
    (i64.sub (local.get $b) (local.get $z)))
  (func $h (param $p f64) (param $q f64) (result f64)
    (f64.sub (local.get $q) (local.get $p)))
  (func $fib (param $n i32) (result i64) (local $acc i64)
    (block $done (loop $l
      (br_if $done (i32.lt_u (local.get $n) (i32.const 2)))
      (local.set $acc (i64.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (local.get $acc)))
      (local.set $n (i32.sub (local.get $n) (i32.const 2)))
      (br $l)))
    (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n))))
)
)";

using x64::Gpr;
using x64::Xmm;
using x64::number;

} // namespace

TEST(AbiHints, CallArgumentsResultsAndReturnsTakeTheirAbiRegisters)
{
    auto bytes = text::wat_to_wasm(StringView(kHintShapes));
    ASSERT_FALSE(bytes.is_error()) << bytes.error().message();
    Vector<u8> wasm = bytes.release_value();
    auto module = decode_module(wasm.span());
    ASSERT_FALSE(module.is_error());
    ASSERT_FALSE(validate_module(*module).is_error());

    auto allocate = [&](u32 index, Function& function, x64::opt::Allocator& allocator, Span<const u8> entry) {
        Builder builder(*module);
        ASSERT_FALSE(builder.build(index, function).is_error());
        ASSERT_FALSE(optimize(function).is_error());
        Vector<u8> hints;
        ASSERT_FALSE(x64::opt::compute_abi_hints(*module, function, hints).is_error());
        ASSERT_FALSE(allocator.run(function, entry, hints.span()).is_error());
    };
    auto gpr_at = [](const x64::opt::Allocator& allocator, Value v) {
        x64::opt::Loc loc = allocator.loc(v);
        return loc.kind == x64::opt::LocKind::Reg ? static_cast<int>(loc.reg) : -1;
    };

    // $f: the first call's result, the product passed as the call_indirect's first
    // argument, the table index and the returned difference.
    Function f;
    x64::opt::Allocator fa;
    const u8 f_entry[] = { number(Gpr::rsi), number(Gpr::rdx), number(Gpr::rcx) };
    allocate(1, f, fa, Span<const u8>(f_entry, 3));
    Value call_result = kNone;
    Value product = kNone;
    Value index = kNone;
    Value returned = kNone;
    for (Block b : f.layout()) {
        for (Inst inst : f.insts(b)) {
            const InstData& data = f.inst(inst);
            if (data.op == Op::Call)
                call_result = f.result(inst);
            if (data.op == Op::CallIndirect) {
                product = f.args(inst)[0];
                index = f.args(inst)[2];
            }
            if (data.op == Op::Return)
                returned = f.args(inst)[0];
        }
    }
    ASSERT_NE(call_result, kNone);
    ASSERT_NE(product, kNone);
    ASSERT_NE(returned, kNone);
    EXPECT_EQ(f.inst(f.value(product).def).op, Op::I64Mul);
    EXPECT_EQ(f.inst(f.value(index).def).op, Op::I32Xor);
    Span<const u32> params = f.params(f.entry());
    EXPECT_EQ(gpr_at(fa, params[0]), number(Gpr::rsi));
    EXPECT_EQ(gpr_at(fa, call_result), number(Gpr::rax));
    EXPECT_EQ(gpr_at(fa, product), number(Gpr::rsi));
    EXPECT_EQ(gpr_at(fa, index), number(Gpr::rax));
    EXPECT_EQ(gpr_at(fa, returned), number(Gpr::rax));

    // $h: the difference's first operand is $q (xmm1), but it is returned in xmm0.
    Function h;
    x64::opt::Allocator ha;
    const u8 h_entry[] = { number(Xmm::xmm0), number(Xmm::xmm1) };
    allocate(2, h, ha, Span<const u8>(h_entry, 2));
    Inst ret = h.terminator(h.layout()[h.layout().size() - 1]);
    ASSERT_EQ(h.inst(ret).op, Op::Return);
    x64::opt::Loc loc = ha.loc(h.args(ret)[0]);
    EXPECT_EQ(loc.kind, x64::opt::LocKind::Reg);
    EXPECT_EQ(loc.reg, number(Xmm::xmm0));

    // $fib (a loop around one recursive call, as clang leaves fib): the loop-carried $n
    // and $acc stay out of rax and rsi, which the call's result and argument want.
    Function fib;
    x64::opt::Allocator fiba;
    const u8 fib_entry[] = { number(Gpr::rsi) };
    allocate(3, fib, fiba, Span<const u8>(fib_entry, 1));
    u32 calls = 0;
    for (Block b : fib.layout()) {
        for (Inst inst : fib.insts(b)) {
            if (fib.inst(inst).op != Op::Call)
                continue;
            ++calls;
            EXPECT_EQ(gpr_at(fiba, fib.args(inst)[0]), number(Gpr::rsi));
            EXPECT_EQ(gpr_at(fiba, fib.result(inst)), number(Gpr::rax));
        }
    }
    EXPECT_EQ(calls, 1u);
}

TEST(AbiHints, CallAndLoopShapesAgreeWithTheBaseline)
{
    // Call results carried around loops, arguments in every register position and on
    // the stack, floats, a division and a variable shift whose fixed registers (rax,
    // rdx, rcx) are also argument and result registers, call_indirect, multi-value
    // results, a tail call, and values live across calls.
    std::string wat = R"(
(module
  (type $t2 (func (param i64 i64) (result i64)))
  (type $t7 (func (param i64 i32 i64 i32 i64 i32 i64) (result i64)))
  (table 3 funcref)
  (elem (i32.const 0) $g2 $k2 $g7)
  (func $g2 (type $t2)
    (if (i64.eq (local.get 0) (i64.const 12345)) (then (return (call $g2 (i64.const 1) (local.get 1)))))
    (i64.xor (i64.rotl (local.get 0) (i64.const 9)) (local.get 1)))
  (func $k2 (type $t2)
    (if (i64.eq (local.get 0) (i64.const 54321)) (then (return (call $k2 (i64.const 2) (local.get 1)))))
    (i64.sub (i64.mul (local.get 0) (i64.const 31)) (local.get 1)))
  (func $g7 (type $t7)
    (if (i64.eq (local.get 0) (i64.const 777)) (then (return (call $g7 (i64.const 1) (local.get 1) (local.get 2)
        (local.get 3) (local.get 4) (local.get 5) (local.get 6)))))
    (i64.add (i64.add (i64.mul (local.get 0) (i64.const 3)) (i64.extend_i32_u (local.get 1)))
      (i64.add (i64.xor (local.get 2) (i64.extend_i32_s (local.get 3)))
        (i64.add (i64.rotl (local.get 4) (i64.extend_i32_u (local.get 5))) (local.get 6)))))
  (func $fd (param f64 f32 f64) (result f64)
    (if (f64.eq (local.get 0) (f64.const 12345)) (then (return (call $fd (f64.const 1) (local.get 1) (local.get 2)))))
    (f64.sub (f64.mul (local.get 2) (f64.promote_f32 (local.get 1))) (local.get 0)))
  (func $two (param i64 i64) (result i64 i64)
    (if (i64.eq (local.get 0) (i64.const 999)) (then (return (call $two (i64.const 1) (local.get 1)))))
    (i64.add (local.get 0) (local.get 1)) (i64.sub (local.get 0) (local.get 1)))
  (func (export "loop") (param $n i32) (param $a i64) (param $b i64) (result i64)
    (local $i i32) (local $x i64) (local $y i64) (local $q i64) (local $f f64)
    (local.set $x (local.get $a))
    (local.set $y (local.get $b))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (call $g2 (local.get $y) (local.get $x)))
      (local.set $q (i64.div_u (local.get $x) (i64.or (local.get $y) (i64.const 1))))
      (local.set $y (call_indirect (type $t2) (i64.shl (local.get $q) (local.get $y)) (local.get $x)
                     (i32.and (local.get $i) (i32.const 1))))
      (local.set $x (i64.add (local.get $x)
        (call $g7 (local.get $y) (local.get $i) (local.get $x) (i32.wrap_i64 (local.get $q))
                  (local.get $b) (i32.wrap_i64 (local.get $y)) (local.get $a))))
      (local.set $f (call $fd (f64.convert_i64_s (local.get $x)) (f32.convert_i32_u (local.get $i)) (local.get $f)))
      (call $two (local.get $x) (local.get $y))
      (local.set $q)
      (local.set $y (i64.xor (local.get $q)))
      (local.set $x (i64.add (local.get $x) (i64.rem_u (local.get $x) (i64.or (local.get $a) (i64.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i64.add (i64.add (local.get $x) (local.get $y)) (i64.trunc_sat_f64_s (local.get $f))))
  (func (export "tail") (param $n i64) (param $m i64) (result i64)
    (if (i64.eqz (local.get $n)) (then (return (local.get $m))))
    (return_call_indirect (type $t2) (i64.sub (local.get $n) (i64.const 1))
      (call $g2 (local.get $m) (local.get $n)) (i32.const 1)))
  (func $fib (export "fib") (param $n i32) (result i64)
    (if (result i64) (i32.lt_u (local.get $n) (i32.const 2)) (then (i64.extend_i32_u (local.get $n)))
      (else (i64.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "leaf") (param i64 i64) (result i64)
    (i64.sub (local.get 1) (local.get 0)))
)
)";
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    std::vector<ExportCall> calls = {
        { "loop", { 0, 5, 7 } }, { "loop", { 1, 5, 7 } }, { "loop", { 300, 0x1234'5678'9ABC, ~u64 { 0 } } },
        { "loop", { 57, 999, 3 } }, { "tail", { 0, 4 } }, { "tail", { 40, 0xFEDC'BA98 } },
        { "fib", { 0 } }, { "fib", { 1 } }, { "fib", { 20 } },
        { "leaf", { 3, 100 } }, { "leaf", { 100, 3 } },
    };
    for (const ExportCall& call : calls)
        EXPECT_EQ(run_text(*baseline, call.name, call.args), run_text(*optimized, call.name, call.args))
            << call.name << " " << call.args[0];
    EXPECT_EQ(run_text(*optimized, "fib", { 20 }), "6765 ");
}

} // namespace wk::engine::opt
