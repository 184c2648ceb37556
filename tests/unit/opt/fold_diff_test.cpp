// Constant folding against the engine itself: every one-to-one numeric op of
// engine/opt/ops.def with one or two operands runs, compiled by the baseline tier, on
// edge-case and pseudo-random operands; the folder, given the same operands as
// constants, must either leave the op alone or produce exactly the bits the engine
// computes, and must never fold an operation that traps.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/compile/compiled_module.h"
#include "engine/opt/passes.h"
#include "engine/opt/verifier.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"
#include "tests/unit/opt/numeric_ops.h"

namespace wk::engine::opt {

namespace {

// Folds `op` of constants; returns the folded bits, or nothing if the op remained.
std::optional<u64> fold_once(const Candidate& candidate, const u64* args)
{
    Function f;
    Block entry = MUST(f.create_block());
    f.set_entry(entry);
    MUST(f.set_result_types(Span<const Type>(&candidate.result, 1)));
    Value values[2];
    for (u32 k = 0; k < candidate.arity; ++k) {
        Inst constant = MUST(f.append_inst(entry, Op::Const, {}, candidate.params[k]));
        f.inst(constant).imm = args[k];
        values[k] = f.result(constant);
    }
    Inst inst = MUST(f.append_inst(entry, candidate.op, Span<const Value>(values, candidate.arity), candidate.result));
    Value result = f.result(inst);
    MUST(f.append_terminator(entry, Op::Return, Span<const Value>(&result, 1), {}));
    MUST(f.append_to_layout(entry));
    EXPECT_FALSE(verify(f).is_error());
    MUST(fold_constants(f));
    EXPECT_FALSE(verify(f).is_error());
    Value returned = f.resolve(f.args(f.terminator(entry))[0]);
    const InstData& def = f.inst(f.value(returned).def);
    if (f.value(returned).kind != ValueKind::Result || def.op != Op::Const)
        return std::nullopt;
    return def.imm;
}

std::string module_wat(const std::vector<Candidate>& ops)
{
    std::string wat = "(module";
    for (usize i = 0; i < ops.size(); ++i) {
        wat += " (func (export \"f" + std::to_string(i) + "\") (param";
        for (u32 k = 0; k < ops[i].arity; ++k)
            wat += std::string(" ") + wat_type(ops[i].params[k]);
        wat += std::string(") (result ") + wat_type(ops[i].result) + ") local.get 0";
        if (ops[i].arity == 2)
            wat += " local.get 1";
        wat += std::string(" ") + op_name(ops[i].op) + ")";
    }
    return wat + ")";
}

// Strength reduction of `op x, c` (or `op x, x` when c is absent), then folding with
// x a constant: returns whether reduction changed anything and the folded bits, if the
// reduced code folds to a constant.
struct Reduced {
    bool changed { false };
    std::optional<u64> bits;
};

Reduced reduce_then_fold(const Candidate& candidate, std::optional<u64> c, u64 x)
{
    Function f;
    Block entry = MUST(f.create_block());
    f.set_entry(entry);
    MUST(f.set_result_types(Span<const Type>(&candidate.result, 1)));
    Value param = MUST(f.append_param(entry, candidate.params[0]));
    Value right = param;
    if (c) {
        Inst constant = MUST(f.append_inst(entry, Op::Const, {}, candidate.params[1]));
        f.inst(constant).imm = *c;
        right = f.result(constant);
    }
    Value args[2] = { param, right };
    Inst inst = MUST(f.append_inst(entry, candidate.op, Span<const Value>(args, 2), candidate.result));
    Value result = f.result(inst);
    MUST(f.append_terminator(entry, Op::Return, Span<const Value>(&result, 1), {}));
    MUST(f.append_to_layout(entry));
    Reduced reduced;
    reduced.changed = MUST(reduce_strength(f)) != 0;
    EXPECT_FALSE(verify(f).is_error());
    // x as a constant at the start of the entry block, in place of the parameter.
    Inst x_const = MUST(f.append_inst(entry, Op::Const, {}, candidate.params[0]));
    f.inst(x_const).imm = x;
    Span<u32> insts = f.lists().span(f.block(entry).insts);
    for (usize k = insts.size() - 1; k > 0; --k)
        insts[k] = insts[k - 1];
    insts[0] = x_const;
    for (Inst i : f.insts(entry)) {
        for (u32& arg : f.lists().span(f.inst(i).args))
            arg = arg == param ? f.result(x_const) : arg;
    }
    EXPECT_FALSE(verify(f).is_error());
    MUST(fold_constants(f));
    Value returned = f.resolve(f.args(f.terminator(entry))[0]);
    if (f.value(returned).kind == ValueKind::Result && f.inst(f.value(returned).def).op == Op::Const)
        reduced.bits = f.inst(f.value(returned).def).imm;
    return reduced;
}

} // namespace

TEST(OptFoldDifferential, FolderAgreesWithTheEngine)
{
    std::vector<Candidate> ops = numeric_ops();
    ASSERT_GT(ops.size(), 100u);
    std::string wat = module_wat(ops);
    auto bytes = text::wat_to_wasm(StringView(wat.data(), wat.size()));
    ASSERT_FALSE(bytes.is_error()) << bytes.error().message();
    auto compiled = compile::load_and_compile(bytes.release_value());
    ASSERT_FALSE(compiled.is_error()) << compiled.error().message();
    auto store = MUST(runtime::Store::create());
    runtime::Linker linker;
    auto instance = store->instantiate(*compiled->module, linker);
    ASSERT_FALSE(instance.is_error()) << instance.error().message();

    usize folded = 0, left = 0, trapped = 0;
    std::vector<std::string> mismatches;
    for (usize i = 0; i < ops.size(); ++i) {
        const Candidate& candidate = ops[i];
        std::vector<u64> first = operands(candidate.params[0]);
        std::vector<u64> second = candidate.arity == 2 ? operands(candidate.params[1]) : std::vector<u64> { 0 };
        std::string name = "f" + std::to_string(i);
        for (u64 a : first) {
            for (u64 b : second) {
                u64 args[2] = { a, b };
                runtime::VMVal vm_args[2] = { runtime::VMVal::from_u64(a), runtime::VMVal::from_u64(b) };
                auto outcome = compile::invoke_export(**instance, StringView(name.data(), name.size()),
                                                      Span<const runtime::VMVal>(vm_args, candidate.arity));
                ASSERT_FALSE(outcome.is_error()) << outcome.error().message();
                std::optional<u64> result = fold_once(candidate, args);
                bool traps = outcome->trap.has_value();
                trapped += traps;
                if (!result) {
                    ++left;
                    continue;
                }
                ++folded;
                u64 expected = traps ? 0 : outcome->results[0].u64_value();
                if (candidate.result == Type::I32 || candidate.result == Type::F32)
                    expected &= 0xFFFF'FFFFu;
                if (traps || *result != expected) {
                    char line[160];
                    __builtin_snprintf(line, sizeof line, "%s(%#llx, %#llx): folded %#llx, engine %s%#llx",
                                       op_name(candidate.op), static_cast<unsigned long long>(a),
                                       static_cast<unsigned long long>(b), static_cast<unsigned long long>(*result),
                                       traps ? "trapped " : "", static_cast<unsigned long long>(expected));
                    mismatches.push_back(line);
                }
            }
        }
    }
    std::string listing;
    for (usize i = 0; i < mismatches.size() && i < 30; ++i)
        listing += mismatches[i] + "\n";
    EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " mismatches:\n" << listing;
    std::printf("%zu ops: %zu folded and equal to the engine, %zu left alone (%zu of all runs trapped)\n", ops.size(),
                folded, left, trapped);
    EXPECT_GT(folded, left); // the folder does fold most of these
}

// Strength reduction against the engine: every integer op with two operands, with
// each edge-case constant as its right operand (and the same value on both sides),
// reduced first and then folded with each edge-case left operand, must give exactly
// the engine's bits (or not fold, where the engine traps).
TEST(OptFoldDifferential, StrengthReductionAgreesWithTheEngine)
{
    std::vector<Candidate> ops;
    for (const Candidate& candidate : numeric_ops()) {
        if (candidate.arity == 2 && candidate.params[0] == candidate.params[1]
            && (candidate.params[0] == Type::I32 || candidate.params[0] == Type::I64))
            ops.push_back(candidate);
    }
    ASSERT_GT(ops.size(), 40u);
    std::string wat = module_wat(ops);
    auto bytes = text::wat_to_wasm(StringView(wat.data(), wat.size()));
    ASSERT_FALSE(bytes.is_error()) << bytes.error().message();
    auto compiled = compile::load_and_compile(bytes.release_value());
    ASSERT_FALSE(compiled.is_error()) << compiled.error().message();
    auto store = MUST(runtime::Store::create());
    runtime::Linker linker;
    auto instance = store->instantiate(*compiled->module, linker);
    ASSERT_FALSE(instance.is_error()) << instance.error().message();

    usize reduced_forms = 0, checked = 0;
    std::vector<std::string> mismatches;
    for (usize i = 0; i < ops.size(); ++i) {
        const Candidate& candidate = ops[i];
        std::string name = "f" + std::to_string(i);
        std::vector<u64> values = operands(candidate.params[0]);
        std::vector<std::optional<u64>> rights(values.begin(), values.end());
        rights.push_back(std::nullopt); // x op x
        for (std::optional<u64> c : rights) {
            bool changed = false;
            for (u64 x : values) {
                Reduced reduced = reduce_then_fold(candidate, c, x);
                changed = reduced.changed;
                if (!reduced.changed || !reduced.bits)
                    continue;
                u64 b = c ? *c : x;
                runtime::VMVal vm_args[2] = { runtime::VMVal::from_u64(x), runtime::VMVal::from_u64(b) };
                auto outcome = compile::invoke_export(**instance, StringView(name.data(), name.size()),
                                                      Span<const runtime::VMVal>(vm_args, 2));
                ASSERT_FALSE(outcome.is_error()) << outcome.error().message();
                ++checked;
                bool traps = outcome->trap.has_value();
                u64 expected = traps ? 0 : outcome->results[0].u64_value();
                if (candidate.result == Type::I32)
                    expected &= 0xFFFF'FFFFu;
                if (traps || *reduced.bits != expected) {
                    char line[160];
                    __builtin_snprintf(line, sizeof line, "%s(%#llx, %#llx): reduced %#llx, engine %s%#llx",
                                       op_name(candidate.op), static_cast<unsigned long long>(x),
                                       static_cast<unsigned long long>(b),
                                       static_cast<unsigned long long>(*reduced.bits), traps ? "trapped " : "",
                                       static_cast<unsigned long long>(expected));
                    mismatches.push_back(line);
                }
            }
            reduced_forms += changed;
        }
    }
    std::string listing;
    for (usize i = 0; i < mismatches.size() && i < 30; ++i)
        listing += mismatches[i] + "\n";
    EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " mismatches:\n" << listing;
    std::printf("%zu integer ops: %zu (op, constant) forms reduced, %zu results checked against the engine\n",
                ops.size(), reduced_forms, checked);
    EXPECT_GT(reduced_forms, 60u);
    EXPECT_GT(checked, 1000u);
}

} // namespace wk::engine::opt
