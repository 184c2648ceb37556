// Code alignment (engine/x64/code_alignment.h, docs/optimizing-compiler.md "Code
// alignment"): the optimising tier emits a function once, then places the header of each
// innermost loop by x64::loop_header_padding from the loop as emitted (fewer than
// x64::kSlowLineInstructions of its header block's instructions in the header's 64-byte
// line, then the fewest lines, then the least padding). The emitted code is read back
// with GNU objdump: the target of each loop's back edge is the header, and the bytes in
// front of it must decode as NOPs up to the previous real instruction.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "engine/compile/compiled_module.h"
#include "engine/opt/builder.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"
#include "engine/x64/code_alignment.h"
#include "engine/x64/opt/optimizing_compiler.h"

using namespace wk;
using namespace wk::engine;

namespace {

struct Instruction {
    u32 offset;
    u32 length;
    std::string text; // mnemonic and operands as llvm-mc prints them
};

std::string run(const std::string& command)
{
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe)
        return output;
    char buffer[65536];
    usize count;
    while ((count = fread(buffer, 1, sizeof buffer, pipe)) > 0)
        output.append(buffer, count);
    pclose(pipe);
    return output;
}

// Each instruction of `code` with its offset (GNU objdump over the raw bytes: it prints
// each instruction's own offset, where llvm-mc prints its re-encoding of it).
std::vector<Instruction> disassemble(const u8* code, usize size)
{
    std::string path = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + std::string("/wk_align_XXXXXX.bin");
    int fd = mkstemps(path.data(), 4);
    if (fd < 0)
        return {};
    close(fd);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(code), static_cast<std::streamsize>(size));
    std::string output = run(std::string(WK_OBJDUMP) + " -D -b binary -mi386:x86-64 " + path + " 2>&1");
    std::remove(path.c_str());
    // "  offset:\tbytes\tmnemonic operands"; a long instruction's further bytes follow on
    // lines without the third field.
    std::vector<Instruction> instructions;
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        usize colon = line.find(":\t");
        if (colon == std::string::npos)
            continue;
        usize tab = line.find('\t', colon + 2);
        if (tab == std::string::npos)
            continue;
        char* end = nullptr;
        unsigned long offset = std::strtoul(line.c_str(), &end, 16);
        if (end != line.c_str() + colon)
            continue;
        instructions.push_back({ static_cast<u32>(offset), 0, line.substr(tab + 1) });
    }
    for (usize k = 0; k < instructions.size(); ++k)
        instructions[k].length = (k + 1 < instructions.size() ? instructions[k + 1].offset : static_cast<u32>(size)) - instructions[k].offset;
    EXPECT_FALSE(instructions.empty()) << output;
    for (const Instruction& instruction : instructions)
        EXPECT_EQ(instruction.text.find("(bad)"), std::string::npos) << output;
    return instructions;
}

// A back edge: a jump to an earlier instruction (objdump prints the target offset).
struct BackEdge {
    u32 from;
    u32 target;
};

std::vector<BackEdge> back_edges(const std::vector<Instruction>& instructions)
{
    std::vector<BackEdge> edges;
    for (const Instruction& instruction : instructions) {
        if (instruction.text[0] != 'j')
            continue;
        usize at = instruction.text.find("0x");
        if (at == std::string::npos)
            continue;
        u32 target = static_cast<u32>(std::strtoul(instruction.text.c_str() + at, nullptr, 16));
        if (target <= instruction.offset)
            edges.push_back({ instruction.offset, target });
    }
    return edges;
}

// sum(n): one loop. nest(n): a loop in a loop; the inner one is the innermost.
const char* const kLoops = R"wat((module
    (memory 1)
    (func $sum (export "sum") (param i32) (result i32) (local i32 i32)
        i32.const 12 i32.load local.set 1
        loop $l
            local.get 1 local.get 2 i32.load i32.add local.set 1
            local.get 2 i32.const 4 i32.add i32.const 0xFFFC i32.and local.set 2
            local.get 0 i32.const 1 i32.sub local.tee 0
            br_if $l
        end
        local.get 1)
    (func $nest (export "nest") (param i32) (result i32) (local i32 i32 i32)
        loop $outer
            local.get 0 local.set 2
            loop $inner
                local.get 1 local.get 2 i32.mul local.get 3 i32.xor local.set 1
                local.get 2 i32.const 1 i32.sub local.tee 2
                br_if $inner
            end
            local.get 3 i32.const 1 i32.add local.tee 3
            local.get 0 i32.lt_u
            br_if $outer
        end
        local.get 1)
    (func $last (export "last") (result i32) i32.const 7))
)wat";

TEST(LoopAlignment, InnermostLoopHeadersStartOnTheBoundaryAfterNops)
{
    if (std::strlen(WK_OBJDUMP) == 0)
        GTEST_SKIP() << "objdump (binutils) not found at configure time";
    auto wasm = MUST(text::wat_to_wasm(StringView(kLoops, std::strlen(kLoops))));
    compile::CompileOptions options;
    options.tier = compile::Tier::Optimized;
    options.deterministic_layout = true; // index order: each function ends where the next starts
    compile::CompileStatistics statistics;
    auto compiled = MUST(compile::load_and_compile(std::move(wasm), Features {}, options, &statistics));
    ASSERT_EQ(statistics.optimized_functions, 3u);
    runtime::LoadedModule& module = *compiled.module;

    u32 padded = 0;
    for (u32 index = 0; index < 2; ++index) {
        auto* start = static_cast<const u8*>(module.entries_of(index).native_code);
        auto* next = static_cast<const u8*>(module.entries_of(index + 1).native_code);
        ASSERT_LT(start, next);
        EXPECT_EQ(reinterpret_cast<uptr>(start) % x64::kFunctionAlignment, 0u);
        std::vector<Instruction> instructions = disassemble(start, static_cast<usize>(next - start));
        std::vector<BackEdge> edges = back_edges(instructions);
        ASSERT_GE(edges.size(), index == 0 ? 1u : 2u) << "function " << index;
        // The innermost loop's back edge spans the fewest bytes (a stub jumping back
        // from the end of the function spans more).
        BackEdge inner = edges[0];
        for (const BackEdge& edge : edges) {
            if (edge.from - edge.target < inner.from - inner.target)
                inner = edge;
        }
        // These loops are shorter than a line and hold fewer than 13 instructions: the
        // whole loop (header to the end of its back edge) lies in one line, in the
        // function and in memory, and the least padding that gets it there moves the
        // header to the start of the next line.
        u32 end = 0;
        for (const Instruction& instruction : instructions) {
            if (instruction.offset == inner.from)
                end = instruction.offset + instruction.length;
        }
        uptr header_address = reinterpret_cast<uptr>(start) + inner.target;
        EXPECT_EQ(inner.target / x64::kLoopAlignment, (end - 1) / x64::kLoopAlignment) << "function " << index;
        EXPECT_EQ(header_address / x64::kLoopAlignment, (header_address + (end - inner.target) - 1) / x64::kLoopAlignment);
        // What lies between the previous real instruction and the header is NOPs, fewer
        // than a line, and the header is an instruction boundary.
        u32 nop_bytes = 0;
        bool at_boundary = false;
        for (usize k = 0; k < instructions.size(); ++k) {
            if (instructions[k].offset != inner.target)
                continue;
            at_boundary = true;
            for (usize j = k; j-- > 0 && instructions[j].text.starts_with("nop");)
                nop_bytes += instructions[j].length;
        }
        EXPECT_TRUE(at_boundary) << "function " << index;
        EXPECT_LT(nop_bytes, x64::kLoopAlignment);
        if (nop_bytes > 0)
            EXPECT_EQ(inner.target % x64::kLoopAlignment, 0u) << "function " << index;
        padded += nop_bytes;
    }
    // At least one header needed padding, so the NOPs were decoded (not only an already
    // aligned header seen).
    EXPECT_GT(padded, 0u);

    // And the code still computes the same.
    auto store = MUST(runtime::Store::create());
    runtime::Linker linker;
    auto instance = MUST(store->instantiate(module, linker));
    runtime::VMVal five = runtime::VMVal::from_i32(5);
    auto sum = MUST(compile::invoke_export(*instance, "sum", Span<const runtime::VMVal>(&five, 1)));
    ASSERT_EQ(sum.results.size(), 1u);
    EXPECT_EQ(sum.results[0].i32_value(), 0); // memory is zero
    runtime::VMVal three = runtime::VMVal::from_i32(3);
    auto nest = MUST(compile::invoke_export(*instance, "nest", Span<const runtime::VMVal>(&three, 1)));
    ASSERT_EQ(nest.results.size(), 1u);
    // x = (x * j) ^ i for i in 0..2, j = 3, 2, 1 each time, from x = 0.
    u32 x = 0;
    for (u32 i = 0; i < 3; ++i) {
        for (u32 j = 3; j > 0; --j)
            x = (x * j) ^ i;
    }
    EXPECT_EQ(static_cast<u32>(nest.results[0].i32_value()), x);
}

// The rule itself, on loops shaped like the bench programs' (offsets relative to the header).
TEST(LoopAlignment, PaddingKeepsTheHeaderLineUnderTheLimitThenUsesFewestLines)
{
    // lu's inner loop: one block, 17 instructions (4 bytes each here), 68 bytes. At the
    // start of a line its line would hold 16 of them; 12 fit from 16 bytes in.
    std::vector<u32> single_block;
    for (u32 k = 0; k < 17; ++k)
        single_block.push_back(4 * k);
    EXPECT_EQ(x64::loop_header_padding(0, Span<const u32>(single_block.data(), single_block.size()), 68), 16u);
    // Already 20 bytes in: 11 instructions in the line, 2 lines, no padding.
    EXPECT_EQ(x64::loop_header_padding(20, Span<const u32>(single_block.data(), single_block.size()), 68), 0u);
    // sieve's counting loop: a 3-instruction header block (load, test, branch to the
    // latch) in a 104-byte loop. 40 bytes in it would touch 3 lines; 24 bytes of padding
    // put it at the next line's start, where it touches 2.
    std::vector<u32> short_block { 0, 5, 8 };
    EXPECT_EQ(x64::loop_header_padding(40, Span<const u32>(short_block.data(), short_block.size()), 104), 24u);
    EXPECT_EQ(x64::loop_header_padding(0, Span<const u32>(short_block.data(), short_block.size()), 104), 0u);
    EXPECT_EQ(x64::loop_header_padding(24, Span<const u32>(short_block.data(), short_block.size()), 104), 0u);
    // A 20-byte loop 50 bytes in would straddle two lines: 14 bytes move it to one.
    EXPECT_EQ(x64::loop_header_padding(50, Span<const u32>(short_block.data(), short_block.size()), 20), 14u);
    // A loop longer than a line with 13 instructions within the first 52 bytes: the
    // header line must hold at most 12, so the header moves at least 1 byte in.
    std::vector<u32> dense;
    for (u32 k = 0; k < 20; ++k)
        dense.push_back(4 * k + (k > 12 ? 20 : 0));
    u32 padding = x64::loop_header_padding(0, Span<const u32>(dense.data(), dense.size()), 120);
    u32 in_line = 0;
    for (u32 start : dense)
        in_line += start < x64::kLoopAlignment - padding ? 1 : 0;
    EXPECT_LT(in_line, x64::kSlowLineInstructions);
    EXPECT_GT(padding, 0u);
}

} // namespace

// In an OSR version entered at the outer loop, the inner loop's entry (from its guard,
// the `if (m > 0)` in front of a counted loop) goes through an empty preheader that LICM
// appended to the layout, after the loop that follows: that forward jump from a later
// block must not make the inner loop look like an outer one of the loop after it. Its
// header is placed like a whole function's (a loop shorter than a line and of fewer than
// 13 instructions lies in one line). The outer loop's body is longer by one statement
// per function, so the inner loop starts at different places in the line (without the
// dominance check, 5 of the 12 straddled two lines).
TEST(LoopAlignment, OsrVersionsPlaceTheirInnermostLoops)
{
    if (std::strlen(WK_OBJDUMP) == 0)
        GTEST_SKIP() << "objdump (binutils) not found at configure time";
    constexpr u32 kVariants = 12;
    std::string wat = "(module (memory 1)\n";
    for (u32 variant = 0; variant < kVariants; ++variant) {
        // f(n, m): for i < n { x += i * 7 (variant times); if (m > 0) for j < m { load, add, store } }
        wat += "(func (param i32 i32) (result i32) (local i32 i32 i32)\n"
               "  loop $outer\n";
        for (u32 k = 0; k < variant; ++k)
            wat += "    local.get 4 local.get 2 i32.const " + std::to_string(7 + k) + " i32.mul i32.add local.set 4\n";
        wat += "    block $skip\n"
               "      local.get 1 i32.eqz br_if $skip\n"
               "      local.get 2 local.set 3\n"
               "      loop $inner\n"
               "        local.get 3 i32.const 2 i32.shl local.tee 4\n"
               "        local.get 4 i32.load local.get 2 i32.add i32.store\n"
               "        local.get 3 i32.const 1 i32.add local.tee 3\n"
               "        local.get 1 i32.ne br_if $inner\n"
               "      end\n"
               "    end\n"
               "    local.get 2 i32.const 1 i32.add local.tee 2\n"
               "    local.get 0 i32.lt_u br_if $outer\n"
               "  end\n"
               // A longer loop after it: with the entry block laid out at the end,
               // the inner loop seemed to hold this one.
               "  loop $after\n"
               "    local.get 4 i32.const 3 i32.mul local.get 0 i32.xor i32.const 5 i32.rotl local.set 4\n"
               "    local.get 4 i32.const 9 i32.shr_u local.get 4 i32.xor local.set 4\n"
               "    local.get 4 i32.const 0x45d9f3b i32.mul local.set 4\n"
               "    local.get 0 i32.const 1 i32.sub local.tee 0 br_if $after\n"
               "  end\n"
               "  local.get 4)\n";
    }
    wat += ")";
    auto wasm = MUST(text::wat_to_wasm(StringView(wat.data(), wat.size())));
    compile::CompileOptions options;
    options.tier = compile::Tier::Optimized;
    auto compiled = MUST(compile::load_and_compile(std::move(wasm), Features {}, options, nullptr));
    runtime::LoadedModule& loaded = *compiled.module;
    const Module& module = loaded.module();

    for (u32 index = 0; index < kVariants; ++index) {
        engine::opt::Builder builder(module);
        engine::opt::Function function;
        MUST(builder.build(index, function));
        ASSERT_EQ(builder.loop_offsets().size(), 3u);
        x64::abi::SymbolSpace symbols;
        symbols.defined_count = kVariants;
        symbols.type_count = static_cast<u32>(module.types.size());
        x64::Assembler masm;
        Vector<TrapEntry> traps;
        x64::opt::OptimizingCompiler compiler(module, loaded.offsets(), masm, traps, symbols);
        // The outer loop: the version tier-up compiles when the outer loop fires first.
        compiler.set_osr_loop(*std::min_element(builder.loop_offsets().begin(), builder.loop_offsets().end()));
        MUST(compiler.compile_function(index, 0));
        Span<const u8> code = masm.code();
        auto instructions = disassemble(code.data(), code.size());
        std::vector<BackEdge> edges = back_edges(instructions);
        ASSERT_FALSE(edges.empty()) << "function " << index;
        BackEdge inner = edges[0];
        for (const BackEdge& edge : edges) {
            if (edge.from - edge.target < inner.from - inner.target)
                inner = edge;
        }
        u32 end = 0;
        u32 count = 0;
        for (const auto& instruction : instructions) {
            if (instruction.offset >= inner.target && instruction.offset <= inner.from)
                ++count;
            if (instruction.offset == inner.from)
                end = instruction.offset + instruction.length;
        }
        ASSERT_LT(end - inner.target, x64::kLoopAlignment) << "function " << index;
        ASSERT_LT(count, x64::kSlowLineInstructions) << "function " << index;
        EXPECT_EQ(inner.target / x64::kLoopAlignment, (end - 1) / x64::kLoopAlignment)
            << "function " << index << ": inner loop at " << inner.target << ".." << end;
    }
}
