// Spectre v1 clamps (docs/baseline-compiler.md, "Speculation"): after every bounds check
// that guards an access, a conditional move on the compare's flags clamps the index, so a
// mispredicted branch cannot reach past the table, jump table or memory. The compiled code
// is disassembled with llvm-mc; behaviour at and past the bounds is checked by running it.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "engine/compile/code_object.h"
#include "engine/compile/compiled_module.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;

namespace {

struct Compiled {
    compile::CompiledModule module;
    RefPtr<runtime::Store> store;
    RefPtr<runtime::Instance> instance;
};

std::unique_ptr<Compiled> compile_wat(const char* wat)
{
    auto wasm = text::wat_to_wasm(StringView(wat, __builtin_strlen(wat)));
    EXPECT_FALSE(wasm.is_error()) << wasm.error().message();
    if (wasm.is_error())
        return nullptr;
    auto compiled = compile::load_and_compile(wasm.release_value());
    EXPECT_FALSE(compiled.is_error()) << compiled.error().message();
    if (compiled.is_error())
        return nullptr;
    auto result = std::make_unique<Compiled>();
    result->module = compiled.release_value();
    result->store = MUST(runtime::Store::create());
    runtime::Linker linker;
    auto instance = result->store->instantiate(*result->module.module, linker);
    EXPECT_FALSE(instance.is_error()) << instance.error().message();
    if (instance.is_error())
        return nullptr;
    result->instance = instance.release_value();
    return result;
}

// The module's code as llvm-mc disassembles it: one "mnemonic operands" per instruction.
std::vector<std::string> disassemble(const compile::CodeObject& code)
{
    std::vector<std::string> lines;
    char input[] = "/tmp/wk_speculation_XXXXXX";
    int fd = mkstemp(input);
    if (fd < 0)
        return lines;
    {
        std::ostringstream bytes;
        for (usize i = 0; i < code.size(); ++i) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x ", code.base()[i]);
            bytes << hex;
        }
        std::string text = bytes.str();
        (void)!::write(fd, text.data(), text.size());
        ::close(fd);
    }
    std::string command = std::string(WK_LLVM_MC) + " --disassemble -triple=x86_64 -output-asm-variant=1 " + input
        + " 2>/dev/null";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe) {
        char line[512];
        while (std::fgets(line, sizeof line, pipe)) {
            std::string text(line);
            size_t start = text.find_first_not_of(" \t");
            if (start == std::string::npos || text[start] == '.')
                continue;
            text = text.substr(start);
            while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
                text.pop_back();
            for (char& c : text) {
                if (c == '\t')
                    c = ' ';
            }
            lines.push_back(text);
        }
        ::pclose(pipe);
    }
    ::unlink(input);
    return lines;
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// How many `jump` instructions there are, and how many of them are followed within
// `window` instructions by a `clamp` (both mnemonics, e.g. "jae" and "cmovae").
std::pair<int, int> clamped_jumps(const std::vector<std::string>& lines, const std::string& jump,
                                  const std::string& clamp, int window)
{
    int jumps = 0;
    int clamped = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (!starts_with(lines[i], jump + " "))
            continue;
        ++jumps;
        for (size_t k = i + 1; k < lines.size() && k <= i + static_cast<size_t>(window); ++k) {
            if (starts_with(lines[k], clamp + " ")) {
                ++clamped;
                break;
            }
        }
    }
    return { jumps, clamped };
}

bool have_llvm_mc() { return WK_LLVM_MC[0] != '\0' && ::access(WK_LLVM_MC, X_OK) == 0; }

compile::CallOutcome call(Compiled& c, const char* name, std::initializer_list<VMVal> args)
{
    auto outcome = compile::invoke_export(*c.instance, StringView(name, __builtin_strlen(name)),
                                          Span<const VMVal>(args.begin(), args.size()));
    EXPECT_FALSE(outcome.is_error());
    return outcome.release_value();
}

TrapKind trap_of(const compile::CallOutcome& outcome) { return outcome.trap ? outcome.trap->kind : TrapKind::None; }

i64 result_of(const compile::CallOutcome& outcome)
{
    EXPECT_FALSE(outcome.trap.has_value());
    return outcome.results.is_empty() ? -1 : outcome.results[0].i64_value();
}

} // namespace

TEST(Speculation, CallIndirectClampsTheElementIndex)
{
    auto c = compile_wat(R"wat((module
        (type $i (func (result i32)))
        (table 2 funcref)
        (elem (i32.const 0) $seven $eight)
        (func $seven (type $i) i32.const 7)
        (func $eight (type $i) i32.const 8)
        (func (export "pick") (param i32) (result i32) local.get 0 call_indirect (type $i))))wat");
    ASSERT_TRUE(c);
    EXPECT_EQ(result_of(call(*c, "pick", { VMVal::from_i32(1) })), 8);
    EXPECT_EQ(trap_of(call(*c, "pick", { VMVal::from_i32(2) })), TrapKind::UndefinedElement);
    if (!have_llvm_mc())
        GTEST_SKIP() << "llvm-mc not found";
    auto lines = disassemble(*c->module.code);
    auto [jumps, clamped] = clamped_jumps(lines, "jae", "cmovae", 1);
    EXPECT_EQ(jumps, 1);
    EXPECT_EQ(clamped, 1);
}

TEST(Speculation, TableGetAndSetClampTheIndex)
{
    auto c = compile_wat(R"wat((module
        (table 3 externref)
        (func (export "get") (param i32) (result i32) local.get 0 table.get 0 ref.is_null)
        (func (export "set") (param i32) local.get 0 ref.null extern table.set 0)))wat");
    ASSERT_TRUE(c);
    EXPECT_EQ(result_of(call(*c, "get", { VMVal::from_i32(2) })), 1);
    EXPECT_EQ(trap_of(call(*c, "get", { VMVal::from_i32(3) })), TrapKind::TableOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "set", { VMVal::from_i32(2) })), TrapKind::None);
    EXPECT_EQ(trap_of(call(*c, "set", { VMVal::from_i32(-1) })), TrapKind::TableOutOfBounds);
    if (!have_llvm_mc())
        GTEST_SKIP() << "llvm-mc not found";
    auto lines = disassemble(*c->module.code);
    auto [jumps, clamped] = clamped_jumps(lines, "jae", "cmovae", 1);
    EXPECT_EQ(jumps, 2);
    EXPECT_EQ(clamped, 2);
}

TEST(Speculation, BrTableClampsTheJumpTableIndex)
{
    // More entries than a compare tree takes: a jump table.
    std::string entries;
    for (u32 i = 0; i < 70; ++i)
        entries += std::to_string(i % 3) + " ";
    std::string text = R"wat((module
        (func (export "switch") (param i32) (result i32)
          (block (block (block (block
            (br_table )wat" + entries + R"wat(3 (local.get 0)))
            (return (i32.const 10)))
            (return (i32.const 11)))
            (return (i32.const 12)))
          (i32.const 13))))wat";
    auto c = compile_wat(text.c_str());
    ASSERT_TRUE(c);
    EXPECT_EQ(result_of(call(*c, "switch", { VMVal::from_i32(0) })), 10);
    EXPECT_EQ(result_of(call(*c, "switch", { VMVal::from_i32(2) })), 12);
    EXPECT_EQ(result_of(call(*c, "switch", { VMVal::from_i32(68) })), 12);
    EXPECT_EQ(result_of(call(*c, "switch", { VMVal::from_i32(69) })), 10);
    EXPECT_EQ(result_of(call(*c, "switch", { VMVal::from_i32(70) })), 13); // the default
    EXPECT_EQ(result_of(call(*c, "switch", { VMVal::from_i32(-1) })), 13);
    if (!have_llvm_mc())
        GTEST_SKIP() << "llvm-mc not found";
    auto lines = disassemble(*c->module.code);
    auto [jumps, clamped] = clamped_jumps(lines, "jae", "cmovae", 1);
    EXPECT_EQ(jumps, 1);
    EXPECT_EQ(clamped, 1);
}

TEST(Speculation, SmallBrTableIsACompareTree)
{
    auto c = compile_wat(R"wat((module
        (func (export "switch") (param i32) (result i32)
          (block (block (block (block
            (br_table 0 1 2 0 1 2 0 1 2 3 (local.get 0)))
            (return (i32.const 10)))
            (return (i32.const 11)))
            (return (i32.const 12)))
          (i32.const 13))))wat");
    ASSERT_TRUE(c);
    EXPECT_EQ(result_of(call(*c, "switch", { VMVal::from_i32(0) })), 10);
    EXPECT_EQ(result_of(call(*c, "switch", { VMVal::from_i32(2) })), 12);
    EXPECT_EQ(result_of(call(*c, "switch", { VMVal::from_i32(5) })), 12);
    EXPECT_EQ(result_of(call(*c, "switch", { VMVal::from_i32(9) })), 13); // the default
    EXPECT_EQ(result_of(call(*c, "switch", { VMVal::from_i32(-1) })), 13);
    if (!have_llvm_mc())
        GTEST_SKIP() << "llvm-mc not found";
    auto lines = disassemble(*c->module.code);
    // Compares and conditional branches only: no jump table to clamp, no indirect jump.
    int equal_branches = 0;
    for (const std::string& line : lines) {
        if (starts_with(line, "je "))
            ++equal_branches;
        EXPECT_FALSE(starts_with(line, "cmovae ")) << line;
    }
    EXPECT_GE(equal_branches, 5);
}

TEST(Speculation, ExplicitMemoryChecksClampTheAddress)
{
    auto c = compile_wat(R"wat((module
        (memory i64 1)
        (func (export "load") (param i64) (result i32) local.get 0 i32.load offset=4)
        (func (export "store") (param i64 i32) local.get 0 local.get 1 i32.store offset=0x100000000)))wat");
    ASSERT_TRUE(c);
    EXPECT_EQ(result_of(call(*c, "load", { VMVal::from_i64(65528) })), 0);
    EXPECT_EQ(trap_of(call(*c, "load", { VMVal::from_i64(65529) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "load", { VMVal::from_i64(-4) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "store", { VMVal::from_i64(0), VMVal::from_i32(1) })), TrapKind::MemoryOutOfBounds);
    if (!have_llvm_mc())
        GTEST_SKIP() << "llvm-mc not found";
    auto lines = disassemble(*c->module.code);
    // The bound (ja) and, for a 64-bit address, the wrap (jb) are each clamped.
    auto [bounds, bounds_clamped] = clamped_jumps(lines, "ja", "cmova", 4);
    EXPECT_EQ(bounds, 2);
    EXPECT_EQ(bounds_clamped, 2);
    // (The other jb are the prologues' stack checks.)
    auto [wraps, wraps_clamped] = clamped_jumps(lines, "jb", "cmovb", 2);
    EXPECT_GE(wraps, 2);
    EXPECT_EQ(wraps_clamped, 2);
}

TEST(Speculation, IndirectBranchesGoThroughTheRetpoline)
{
    auto c = compile_wat(R"wat((module
        (type $i (func (result i32)))
        (table 2 funcref)
        (elem (i32.const 0) $seven $eight)
        (elem declare func $seven)
        (memory 1)
        (func $seven (type $i) i32.const 7)
        (func $eight (type $i) i32.const 8)
        (func (export "run") (param i32) (result i32)
          (memory.fill (i32.const 0) (i32.const 1) (i32.const 16))
          (block (block (br_table 0 1 (local.get 0))) (return (call_ref $i (ref.func $seven))))
          (call_indirect (type $i) (local.get 0)))))wat");
    ASSERT_TRUE(c);
    EXPECT_EQ(result_of(call(*c, "run", { VMVal::from_i32(0) })), 7);
    EXPECT_EQ(result_of(call(*c, "run", { VMVal::from_i32(1) })), 8);
    if (!have_llvm_mc())
        GTEST_SKIP() << "llvm-mc not found";
    auto lines = disassemble(*c->module.code);
    int indirect = 0;
    int returns = 0;
    for (const std::string& line : lines) {
        // llvm-mc shows a direct call or jump with its relative target (a number); an
        // indirect one names a register or a memory operand.
        for (const char* mnemonic : { "call ", "jmp " }) {
            if (!starts_with(line, mnemonic))
                continue;
            char first = line[__builtin_strlen(mnemonic)];
            if (first != '-' && (first < '0' || first > '9'))
                ++indirect;
        }
        if (starts_with(line, "ret"))
            ++returns;
    }
    EXPECT_EQ(indirect, 0);
    EXPECT_GE(returns, 1); // the thunk's
}

// The bulk memory and table builtins check in C++ and clamp after their checks
// (engine/runtime/speculation.h, tests/unit/runtime/speculation_clamp_test.cpp); here
// they run from compiled code at and past their bounds, and a refused call writes nothing
// (in particular not at offset 0, where a clamped access lands).
TEST(Speculation, BulkMemoryBuiltinsAtAndPastTheBound)
{
    auto c = compile_wat(R"wat((module
        (memory 1)
        (data $d "wxyz")
        (func (export "fill") (param i32 i32 i32) (result i32)
            local.get 0 local.get 1 local.get 2 memory.fill i32.const 0)
        (func (export "copy") (param i32 i32 i32) (result i32)
            local.get 0 local.get 1 local.get 2 memory.copy i32.const 0)
        (func (export "init") (param i32 i32 i32) (result i32)
            local.get 0 local.get 1 local.get 2 memory.init $d i32.const 0)
        (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u)))wat");
    ASSERT_TRUE(c);
    auto arg = [](i64 value) { return VMVal::from_i32(static_cast<i32>(value)); };
    constexpr i64 kSize = 65536;
    EXPECT_EQ(trap_of(call(*c, "fill", { arg(kSize - 2), arg(0xAB), arg(2) })), TrapKind::None);
    EXPECT_EQ(trap_of(call(*c, "fill", { arg(kSize - 1), arg(0xCD), arg(2) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "fill", { arg(kSize), arg(0xCD), arg(0) })), TrapKind::None);
    EXPECT_EQ(trap_of(call(*c, "fill", { arg(kSize + 1), arg(0xCD), arg(0) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "fill", { arg(0), arg(0xCD), arg(-1) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(result_of(call(*c, "load", { arg(kSize - 1) })), 0xAB);
    EXPECT_EQ(result_of(call(*c, "load", { arg(0) })), 0);

    EXPECT_EQ(trap_of(call(*c, "init", { arg(kSize - 4), arg(0), arg(4) })), TrapKind::None);
    EXPECT_EQ(trap_of(call(*c, "init", { arg(kSize - 3), arg(0), arg(4) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "init", { arg(0), arg(1), arg(4) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "init", { arg(0), arg(4), arg(0) })), TrapKind::None);
    EXPECT_EQ(result_of(call(*c, "load", { arg(kSize - 4) })), 'w');
    EXPECT_EQ(result_of(call(*c, "load", { arg(kSize - 1) })), 'z');
    EXPECT_EQ(result_of(call(*c, "load", { arg(0) })), 0);

    EXPECT_EQ(trap_of(call(*c, "copy", { arg(8), arg(kSize - 4), arg(4) })), TrapKind::None);
    EXPECT_EQ(trap_of(call(*c, "copy", { arg(kSize - 3), arg(8), arg(4) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "copy", { arg(0), arg(kSize - 3), arg(4) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "copy", { arg(0), arg(-1), arg(-1) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(result_of(call(*c, "load", { arg(8) })), 'w');
    EXPECT_EQ(result_of(call(*c, "load", { arg(11) })), 'z');
    EXPECT_EQ(result_of(call(*c, "load", { arg(0) })), 0);
}

TEST(Speculation, Memory64BulkRangesThatWrapTrap)
{
    auto c = compile_wat(R"wat((module
        (memory i64 1)
        (func (export "fill") (param i64 i64) (result i32)
            local.get 0 i32.const 7 local.get 1 memory.fill i32.const 0)
        (func (export "copy") (param i64 i64 i64) (result i32)
            local.get 0 local.get 1 local.get 2 memory.copy i32.const 0)
        (func (export "load") (param i64) (result i32) local.get 0 i32.load8_u)))wat");
    ASSERT_TRUE(c);
    auto i64v = [](i64 value) { return VMVal::from_i64(value); };
    EXPECT_EQ(trap_of(call(*c, "fill", { i64v(-1), i64v(2) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "fill", { i64v(2), i64v(-1) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "copy", { i64v(0), i64v(-1), i64v(2) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "copy", { i64v(-2), i64v(0), i64v(2) })), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(result_of(call(*c, "load", { i64v(0) })), 0);
    EXPECT_EQ(trap_of(call(*c, "fill", { i64v(65535), i64v(1) })), TrapKind::None);
    EXPECT_EQ(result_of(call(*c, "load", { i64v(65535) })), 7);
}

TEST(Speculation, BulkTableBuiltinsAtAndPastTheBound)
{
    auto c = compile_wat(R"wat((module
        (type $i (func (result i32)))
        (table $t 4 8 funcref)
        (func $one (type $i) i32.const 1)
        (func $two (type $i) i32.const 2)
        (elem $e func $two $two)
        (elem declare func $one)
        (func (export "is_null") (param i32) (result i32) local.get 0 table.get $t ref.is_null)
        (func (export "fill") (param i32 i32) (result i32)
            local.get 0 ref.func $one local.get 1 table.fill $t i32.const 0)
        (func (export "copy") (param i32 i32 i32) (result i32)
            local.get 0 local.get 1 local.get 2 table.copy $t $t i32.const 0)
        (func (export "init") (param i32 i32 i32) (result i32)
            local.get 0 local.get 1 local.get 2 table.init $t $e i32.const 0)
        (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow $t)
        (func (export "call") (param i32) (result i32) local.get 0 call_indirect $t (type $i))))wat");
    ASSERT_TRUE(c);
    auto arg = [](i64 value) { return VMVal::from_i32(static_cast<i32>(value)); };
    EXPECT_EQ(trap_of(call(*c, "fill", { arg(3), arg(1) })), TrapKind::None);
    EXPECT_EQ(trap_of(call(*c, "fill", { arg(3), arg(2) })), TrapKind::TableOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "fill", { arg(4), arg(0) })), TrapKind::None);
    EXPECT_EQ(trap_of(call(*c, "fill", { arg(5), arg(0) })), TrapKind::TableOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "fill", { arg(-1), arg(2) })), TrapKind::TableOutOfBounds);
    EXPECT_EQ(result_of(call(*c, "call", { arg(3) })), 1);

    EXPECT_EQ(trap_of(call(*c, "init", { arg(2), arg(0), arg(2) })), TrapKind::None);
    EXPECT_EQ(trap_of(call(*c, "init", { arg(3), arg(0), arg(2) })), TrapKind::TableOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "init", { arg(0), arg(1), arg(2) })), TrapKind::TableOutOfBounds);
    EXPECT_EQ(result_of(call(*c, "call", { arg(3) })), 2);

    EXPECT_EQ(trap_of(call(*c, "copy", { arg(1), arg(3), arg(1) })), TrapKind::None);
    EXPECT_EQ(trap_of(call(*c, "copy", { arg(3), arg(0), arg(2) })), TrapKind::TableOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "copy", { arg(0), arg(3), arg(2) })), TrapKind::TableOutOfBounds);
    EXPECT_EQ(trap_of(call(*c, "copy", { arg(0), arg(-1), arg(-1) })), TrapKind::TableOutOfBounds);
    EXPECT_EQ(result_of(call(*c, "call", { arg(1) })), 2);
    // Element 0, where a clamped access would land, was never written.
    EXPECT_EQ(result_of(call(*c, "is_null", { arg(0) })), 1);

    EXPECT_EQ(static_cast<i32>(result_of(call(*c, "grow", { arg(5) }))), -1); // past the maximum (8)
    EXPECT_EQ(result_of(call(*c, "grow", { arg(4) })), 4);
    EXPECT_EQ(result_of(call(*c, "is_null", { arg(7) })), 1);
    EXPECT_EQ(trap_of(call(*c, "is_null", { arg(8) })), TrapKind::TableOutOfBounds);
}
