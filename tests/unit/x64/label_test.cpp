#include <fstream>
#include <iterator>
#include <sstream>

#include <gtest/gtest.h>

#include "llvm_mc.h"

namespace wk::engine::x64::test {
namespace {

// Assembles `source` (Intel syntax) with llvm-mc into an object file; returns the path.
std::string assemble_object(std::string const& source)
{
    std::string path = write_temp_file(".s", ".intel_syntax noprefix\n" + source);
    std::string object = path + ".o";
    run(std::string(WK_LLVM_MC) + " -triple=x86_64 -filetype=obj " + path + " -o " + object + " 2>&1");
    std::remove(path.c_str());
    return object;
}

std::vector<u8> text_section(std::string const& object)
{
    std::string binary = object + ".bin";
    run(std::string(WK_LLVM_OBJCOPY) + " -O binary --only-section=.text " + object + " " + binary + " 2>&1");
    std::ifstream in(binary, std::ios::binary);
    std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::remove(binary.c_str());
    return bytes;
}

std::vector<u8> bytes_of(Assembler const& as)
{
    auto code = as.code();
    return std::vector<u8>(code.begin(), code.end());
}

// Our code and llvm-mc's for the same program, built side by side.
struct Program {
    Assembler as;
    std::string source;

    void fill(u32 count)
    {
        for (u32 i = 0; i < count; ++i)
            as.int3();
        source += ".fill " + std::to_string(count) + ", 1, 0xcc\n";
    }
    void line(std::string const& text) { source += text + "\n"; }
};

TEST(X64Labels, JumpsMatchLlvmMc)
{
    if (!have_llvm_tools())
        return;
    Program p;
    Label start, forward, far_forward, table_target;
    p.as.bind(start);
    p.line("start:");
    p.as.nop();
    p.line("nop");

    // Backward: short when in reach, near on request.
    p.as.jmp(start);
    p.line("jmp start");
    p.as.jcc(Condition::Equal, start);
    p.line("je start");
    p.as.jmp_near(start);
    p.line("{disp32} jmp start");
    p.as.jcc_near(Condition::NotEqual, start);
    p.line("{disp32} jne start");

    // Forward, several uses of one label before it is bound.
    p.as.jmp(forward);
    p.line("{disp32} jmp forward");
    p.as.call(forward);
    p.line("call forward");
    for (u8 cc = 0; cc < 16; ++cc) {
        static char const* const kSuffix[] = { "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g" };
        p.as.jcc(static_cast<Condition>(cc), forward);
        p.line(std::string("{disp32} j") + kSuffix[cc] + " forward");
    }
    // RIP-relative operands with and without an immediate after the displacement.
    p.as.lea(Gpr::rax, Mem::rip(forward), Size::Qword);
    p.line("lea rax, [rip + forward]");
    p.as.cmp(Mem::rip(forward, 8), 1000, Size::Dword);
    p.line("cmp dword ptr [rip + forward + 8], 1000");
    p.as.mov(Mem::rip(forward), 7, Size::Byte);
    p.line("mov byte ptr [rip + forward], 7");
    p.as.vaddps(Xmm::xmm1, Xmm::xmm9, Mem::rip(forward, -4));
    p.line("vaddps xmm1, xmm9, xmmword ptr [rip + forward - 4]");
    p.as.jcc_short(Condition::Below, forward);
    p.line("jb forward");
    p.as.jmp_short(forward);
    p.line("jmp forward");
    p.fill(30);
    p.as.bind(forward);
    p.line("forward:");

    // Backward beyond rel8: jmp and jcc pick the near form.
    p.fill(200);
    p.as.jmp(start);
    p.line("jmp start");
    p.as.jcc(Condition::Greater, forward);
    p.line("jg forward");
    p.as.call(start);
    p.line("call start");
    p.as.lea(Gpr::r13, Mem::rip(start), Size::Qword);
    p.line("lea r13, [rip + start]");

    // Forward beyond rel8 with the near form.
    p.as.jmp(far_forward);
    p.line("{disp32} jmp far_forward");
    p.as.jcc(Condition::Sign, far_forward);
    p.line("{disp32} js far_forward");
    p.fill(300);
    p.as.bind(far_forward);
    p.line("far_forward:");
    p.as.ret();
    p.line("ret");

    // A jump table of 32-bit deltas from its start.
    u32 table = p.as.offset();
    p.line("table:");
    p.as.emit_label_delta(table_target, table);
    p.line(".long table_target - table");
    p.as.emit_label_delta(start, table);
    p.line(".long start - table");
    p.as.emit_label_delta(far_forward, table);
    p.line(".long far_forward - table");
    p.as.bind(table_target);
    p.line("table_target:");
    p.as.int3();
    p.line("int3");

    // Raw data, one value patched afterwards.
    p.as.emit_u8(0x5a);
    p.line(".byte 0x5a");
    u32 patched = p.as.offset();
    p.as.emit_u8(0);
    p.line(".byte 0xa5");
    p.as.emit_u32(0xdeadbeef);
    p.line(".long 0xdeadbeef");
    p.as.emit_u64(0x0123456789abcdef);
    p.line(".quad 0x0123456789abcdef");
    p.as.patch_u8(patched, 0xa5);

    ASSERT_TRUE(p.as.status().has_value());
    std::string object = assemble_object(p.source);
    auto expected = text_section(object);
    std::remove(object.c_str());
    auto ours = bytes_of(p.as);
    EXPECT_EQ(hex(ours), hex(expected));
}

TEST(X64Labels, BoundLabelPositionsAndDeltas)
{
    Assembler as;
    Label label;
    EXPECT_FALSE(label.is_bound());
    as.nop(5);
    as.bind(label);
    EXPECT_TRUE(label.is_bound());
    EXPECT_EQ(label.position(), 5u);
    as.jmp(label);
    // EB FE-2: a short jump onto itself is rel8 -2.
    EXPECT_EQ(hex(bytes_of(as)), "0f 1f 44 00 00 eb fe");
}

TEST(X64Labels, ShortJumpOutOfRangeFails)
{
    Assembler as;
    Label target;
    as.jmp_short(target);
    as.nop(200);
    as.bind(target);
    auto status = as.status();
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().kind(), ErrorKind::OutOfRange);
    EXPECT_EQ(status.error().offset(), 1u);
    EXPECT_FALSE(as.finish().has_value());
}

TEST(X64Labels, ShortJumpAtTheEdgesOfItsRange)
{
    Assembler as;
    Label forward, backward;
    as.bind(backward);
    as.nop(128 - 2);
    as.jmp(backward); // rel8 -128 exactly: still short
    as.jmp_short(forward);
    as.nop(127);
    as.bind(forward); // rel8 +127 exactly
    ASSERT_TRUE(as.status().has_value());
    auto code = as.code();
    EXPECT_EQ(code[126], 0xEB);
    EXPECT_EQ(code[127], 0x80);
    EXPECT_EQ(code[128], 0xEB);
    EXPECT_EQ(code[129], 0x7F);
    as.jmp(backward); // now 257 bytes back: near
    EXPECT_EQ(as.code()[257], 0xE9);
}

TEST(X64Labels, UnboundLabelFailsFinish)
{
    Assembler as;
    Label never;
    as.jcc(Condition::Equal, never);
    EXPECT_TRUE(as.status().has_value());
    auto result = as.finish();
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind(), ErrorKind::Invalid);
}

TEST(X64Labels, FinishHandsOverTheCode)
{
    Assembler as;
    Label l;
    as.jmp(l);
    as.bind(l);
    as.ret();
    auto expected = bytes_of(as);
    auto code = as.finish();
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(std::vector<u8>(code->begin(), code->end()), expected);
    EXPECT_EQ(hex(expected), "e9 00 00 00 00 c3");
    EXPECT_EQ(as.offset(), 0u);
}

TEST(X64Labels, PatchPoints)
{
    Assembler as;
    as.movabs(Gpr::r11, 0);
    u32 imm64 = as.offset() - 8;
    as.mov(Gpr::rax, i64 { 0x7fffffff }, Size::Qword);
    u32 imm32 = as.offset() - 4;
    as.patch_u64(imm64, 0x1122334455667788);
    as.patch_u32(imm32, 0xAABBCCDD);
    EXPECT_EQ(hex(bytes_of(as)), "49 bb 88 77 66 55 44 33 22 11 48 c7 c0 dd cc bb aa");
}

TEST(X64Labels, AlignPadsWithNops)
{
    Assembler as;
    as.int3();
    as.align(16);
    EXPECT_EQ(as.offset(), 16u);
    as.align(16);
    EXPECT_EQ(as.offset(), 16u);
    as.ret();
    as.align(64);
    EXPECT_EQ(as.offset(), 64u);
}

TEST(X64Labels, MultiByteNopsDecodeAsOneInstruction)
{
    if (!have_llvm_tools())
        return;
    // llvm-mc's disassembler must read each 1..9 byte nop as a single nop.
    for (u32 length = 1; length <= 9; ++length) {
        Assembler as;
        as.nop(length);
        auto bytes = bytes_of(as);
        ASSERT_EQ(bytes.size(), length);
        std::string input;
        for (u8 b : bytes)
            input += "0x" + hex({ b }) + " ";
        std::string path = write_temp_file(".txt", input + "\n");
        std::string output = run(std::string(WK_LLVM_MC) + " -triple=x86_64 --disassemble -show-encoding " + path + " 2>&1");
        std::remove(path.c_str());
        usize instructions = 0;
        std::istringstream lines(output);
        std::string line;
        while (std::getline(lines, line)) {
            if (line.find("encoding:") == std::string::npos)
                continue;
            ++instructions;
            EXPECT_NE(line.find("nop"), std::string::npos) << line;
        }
        EXPECT_EQ(instructions, 1u) << "length " << length << ":\n" << output;
    }
    Assembler as;
    as.nop(20);
    EXPECT_EQ(as.offset(), 20u);
}

struct ExpectedRelocation {
    u32 offset;
    std::string type;
    std::string symbol;
    i64 addend;
};

std::vector<ExpectedRelocation> relocations_of(std::string const& object)
{
    std::string output = run(std::string(WK_LLVM_READOBJ) + " -r " + object + " 2>&1");
    std::vector<ExpectedRelocation> out;
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string offset, type, symbol, addend;
        if (!(fields >> offset >> type >> symbol >> addend) || offset.rfind("0x", 0) != 0)
            continue;
        out.push_back({ static_cast<u32>(std::stoul(offset, nullptr, 16)), type, symbol, static_cast<i64>(std::stoull(addend, nullptr, 16)) });
    }
    return out;
}

TEST(X64Relocations, MatchLlvmMcObjectRelocations)
{
    if (!have_llvm_tools())
        return;
    Program p;
    p.as.call_relocated(7);
    p.line("call sym7");
    p.as.jmp_relocated(8);
    p.line("jmp sym8");
    p.as.mov(Gpr::rax, Mem::rip_relocated(9), Size::Qword);
    p.line("mov rax, qword ptr [rip + sym9]");
    p.as.cmp(Mem::rip_relocated(10, 16), 1000, Size::Dword);
    p.line("cmp dword ptr [rip + sym10 + 16], 1000");
    p.as.movabs_relocated(Gpr::rcx, 11, 32);
    p.line("movabs rcx, offset sym11 + 32");
    p.as.add(Mem::rip_relocated(12), 5, Size::Byte);
    p.line("add byte ptr [rip + sym12], 5");
    p.as.movsd(Xmm::xmm14, Mem::rip_relocated(13, -8));
    p.line("movsd xmm14, qword ptr [rip + sym13 - 8]");
    p.as.roundps(Xmm::xmm0, Mem::rip_relocated(14), 3);
    p.line("roundps xmm0, xmmword ptr [rip + sym14], 3");
    p.as.call_relocated(15, 100);
    p.line("call sym15 + 100");

    ASSERT_TRUE(p.as.status().has_value());
    std::string object = assemble_object(p.source);
    auto expected_bytes = text_section(object);
    auto expected = relocations_of(object);
    std::remove(object.c_str());

    EXPECT_EQ(hex(bytes_of(p.as)), hex(expected_bytes));
    auto ours = p.as.relocations();
    ASSERT_EQ(ours.size(), expected.size());
    for (usize i = 0; i < ours.size(); ++i) {
        SCOPED_TRACE(expected[i].symbol);
        EXPECT_EQ(ours[i].offset, expected[i].offset);
        EXPECT_EQ(ours[i].addend, expected[i].addend);
        EXPECT_EQ("sym" + std::to_string(ours[i].target), expected[i].symbol);
        bool pc_relative = expected[i].type == "R_X86_64_PC32" || expected[i].type == "R_X86_64_PLT32";
        EXPECT_EQ(ours[i].kind, pc_relative ? RelocationKind::PcRel32 : RelocationKind::Abs64) << expected[i].type;
    }
}

// An allocator that refuses everything after a budget.
class LimitedAllocator final : public Allocator {
public:
    explicit LimitedAllocator(usize budget)
        : m_budget(budget)
    {
    }
    void* allocate(usize size, usize) override
    {
        if (size > m_budget)
            return nullptr;
        m_budget -= size;
        return std::malloc(size);
    }
    void deallocate(void* pointer, usize, usize) override { std::free(pointer); }

private:
    usize m_budget;
};

TEST(X64Assembler, OutOfMemoryIsReportedNotFatal)
{
    LimitedAllocator allocator(1024);
    Assembler as(&allocator);
    Label label;
    for (int i = 0; i < 1000; ++i) {
        as.add(Gpr::r9, Mem(Gpr::r13, Gpr::r12, Scale::Eight, 0x1000), Size::Qword);
        as.jcc(Condition::Equal, label);
    }
    as.bind(label);
    auto status = as.status();
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().kind(), ErrorKind::OutOfMemory);
    EXPECT_FALSE(as.finish().has_value());
}

TEST(X64Assembler, GrowsPastManyPages)
{
    Assembler as;
    for (int i = 0; i < 100000; ++i)
        as.add(Gpr::rax, i, Size::Qword);
    ASSERT_TRUE(as.status().has_value());
    EXPECT_GT(as.offset(), 400000u);
    // The last one: add rax, 99999 is the short rax form, 48 05 imm32.
    auto code = as.code();
    EXPECT_EQ(hex(std::vector<u8>(code.end() - 6, code.end())), "48 05 9f 86 01 00");
}

} // namespace
// flags_from_result (the optimising tier drops `test r, r` after it) and the instruction
// starts placement reads: both follow exactly what was emitted last.
TEST(X64Assembler, FlagsFromResultNamesOnlyTheLastAluDestination)
{
    Assembler as;
    as.sub(Gpr::rdi, 1, Size::Qword);
    EXPECT_TRUE(as.flags_from_result(Gpr::rdi, Size::Qword));
    EXPECT_FALSE(as.flags_from_result(Gpr::rdi, Size::Dword)); // other width: other flags
    EXPECT_FALSE(as.flags_from_result(Gpr::rsi, Size::Qword));
    as.mov(Gpr::rax, Gpr::rdi, Size::Qword); // emitted after: stale
    EXPECT_FALSE(as.flags_from_result(Gpr::rdi, Size::Qword));
    as.and_(Gpr::r8, 0x3ff, Size::Dword);
    EXPECT_TRUE(as.flags_from_result(Gpr::r8, Size::Dword));
    Label label;
    as.bind(label); // another path may jump here
    EXPECT_FALSE(as.flags_from_result(Gpr::r8, Size::Dword));
    as.xor_(Gpr::rcx, Gpr::rdx, Size::Dword);
    EXPECT_TRUE(as.flags_from_result(Gpr::rcx, Size::Dword));
    as.cmp(Gpr::rcx, 4, Size::Dword); // flags of rcx - 4, not of rcx
    EXPECT_FALSE(as.flags_from_result(Gpr::rcx, Size::Dword));
    as.add(Gpr::rax, Mem(Gpr::rbp, -8), Size::Qword);
    EXPECT_TRUE(as.flags_from_result(Gpr::rax, Size::Qword));
    u32 end = as.offset();
    as.nop();
    as.rewind(end);
    EXPECT_FALSE(as.flags_from_result(Gpr::rax, Size::Qword));
}

TEST(X64Assembler, RecordsWhereEachInstructionStarts)
{
    Assembler as;
    Vector<u32> starts;
    as.record_instruction_starts(&starts);
    as.mov(Gpr::rax, Gpr::rdi, Size::Qword); // 3 bytes
    as.add(Gpr::rax, 1000, Size::Dword);     // 5 bytes (eax form)
    Label top;
    as.bind(top);
    as.vaddsd(Xmm::xmm0, Xmm::xmm1, Xmm::xmm2); // VEX
    as.jcc(Condition::NotEqual, top);         // short, backwards
    as.ret();
    as.record_instruction_starts(nullptr);
    as.nop(); // not recorded
    EXPECT_TRUE(as.recording_complete());
    ASSERT_EQ(starts.size(), 5u);
    EXPECT_EQ(starts[0], 0u);
    EXPECT_EQ(starts[1], 3u);
    EXPECT_EQ(starts[2], 8u);
    EXPECT_EQ(starts[3], 12u);
    EXPECT_EQ(starts[4], 14u);
}

} // namespace wk::engine::x64::test
