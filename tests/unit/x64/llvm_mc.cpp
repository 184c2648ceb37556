#include "llvm_mc.h"

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <unistd.h>

#include <gtest/gtest.h>

namespace wk::engine::x64::test {

namespace {

char const* const kGpr64[] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
char const* const kGpr32[] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
char const* const kGpr16[] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
char const* const kGpr8[] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };

// Counts for the summary printed after all tests.
usize g_encodings = 0;
std::set<std::string> g_forms;
std::set<std::string> g_mnemonics;

// "add rax, qword ptr [rbx + 8]" -> { "add", "add r64, m:qword" }.
std::pair<std::string, std::string> form_of(std::string const& text)
{
    std::set<std::string> gpr64(std::begin(kGpr64), std::end(kGpr64));
    std::set<std::string> gpr32(std::begin(kGpr32), std::end(kGpr32));
    std::set<std::string> gpr16(std::begin(kGpr16), std::end(kGpr16));
    std::set<std::string> gpr8(std::begin(kGpr8), std::end(kGpr8));
    std::string prefix;
    std::string rest = text;
    for (char const* legacy_prefix : { "lock ", "rep " }) {
        std::string p = legacy_prefix;
        if (rest.rfind(p, 0) == 0) {
            prefix = p;
            rest = rest.substr(p.size());
        }
    }
    auto space = rest.find(' ');
    std::string mnemonic = prefix + rest.substr(0, space);
    std::string form = mnemonic;
    if (space == std::string::npos)
        return { mnemonic, form };
    std::stringstream operands(rest.substr(space + 1));
    std::string operand;
    char const* separator = " ";
    while (std::getline(operands, operand, ',')) {
        while (!operand.empty() && operand.front() == ' ')
            operand.erase(0, 1);
        std::string kind;
        if (operand.find('[') != std::string::npos) {
            auto ptr = operand.find(" ptr");
            kind = ptr == std::string::npos ? "m" : "m:" + operand.substr(0, ptr);
        } else if (operand.rfind("xmm", 0) == 0) {
            kind = "xmm";
        } else if (operand.rfind("ymm", 0) == 0) {
            kind = "ymm";
        } else if (gpr64.contains(operand)) {
            kind = "r64";
        } else if (gpr32.contains(operand)) {
            kind = "r32";
        } else if (gpr16.contains(operand)) {
            kind = "r16";
        } else if (gpr8.contains(operand)) {
            kind = "r8";
        } else {
            kind = "imm";
        }
        form += separator + kind;
        separator = ", ";
    }
    return { mnemonic, form };
}

} // namespace

std::string name(Gpr reg, Size size)
{
    switch (size) {
    case Size::Byte:
        return kGpr8[number(reg)];
    case Size::Word:
        return kGpr16[number(reg)];
    case Size::Dword:
        return kGpr32[number(reg)];
    case Size::Qword:
        return kGpr64[number(reg)];
    }
    return "?";
}

std::string name(Xmm reg) { return "xmm" + std::to_string(number(reg)); }
std::string name(Ymm reg) { return "ymm" + std::to_string(number(reg)); }

std::string ptr(Size size)
{
    switch (size) {
    case Size::Byte:
        return "byte";
    case Size::Word:
        return "word";
    case Size::Dword:
        return "dword";
    case Size::Qword:
        return "qword";
    }
    return "?";
}

std::string text(Mem const& mem, std::string const& ptr_size)
{
    std::string out = ptr_size.empty() ? "[" : ptr_size + " ptr [";
    bool first = true;
    auto term = [&](std::string const& t) {
        if (!first)
            out += " + ";
        out += t;
        first = false;
    };
    if (mem.kind() == Mem::Kind::Rip) {
        term("rip");
    } else {
        if (mem.kind() == Mem::Kind::Base)
            term(kGpr64[number(mem.base())]);
        if (mem.has_index())
            term(std::to_string(1 << static_cast<int>(mem.scale())) + "*" + kGpr64[number(mem.index())]);
    }
    i64 disp = mem.disp();
    if (first)
        out += std::to_string(disp);
    else if (disp > 0 || (disp == 0 && mem.kind() == Mem::Kind::NoBase))
        out += " + " + std::to_string(disp);
    else if (disp < 0)
        out += " - " + std::to_string(-disp);
    return out + "]";
}

std::string hex(std::vector<u8> const& bytes)
{
    std::string out;
    char buffer[4];
    for (u8 byte : bytes) {
        std::snprintf(buffer, sizeof buffer, "%02x ", byte);
        out += buffer;
    }
    if (!out.empty())
        out.pop_back();
    return out;
}

std::vector<Gpr> all_gprs()
{
    std::vector<Gpr> out;
    for (u8 i = 0; i < 16; ++i)
        out.push_back(static_cast<Gpr>(i));
    return out;
}

std::vector<Xmm> all_xmms()
{
    std::vector<Xmm> out;
    for (u8 i = 0; i < 16; ++i)
        out.push_back(static_cast<Xmm>(i));
    return out;
}

std::vector<Ymm> all_ymms()
{
    std::vector<Ymm> out;
    for (u8 i = 0; i < 16; ++i)
        out.push_back(static_cast<Ymm>(i));
    return out;
}

std::vector<Gpr> some_gprs()
{
    return { Gpr::rax, Gpr::rcx, Gpr::rsp, Gpr::rbp, Gpr::rdi, Gpr::r8, Gpr::r12, Gpr::r13, Gpr::r15 };
}

std::vector<Xmm> some_xmms() { return { Xmm::xmm0, Xmm::xmm1, Xmm::xmm7, Xmm::xmm8, Xmm::xmm9, Xmm::xmm15 }; }

std::vector<Mem> memory_shapes()
{
    using enum Gpr;
    return {
        Mem(rax),
        Mem(rcx, 8),
        Mem(rdx, -8),
        Mem(rbx, 127),
        Mem(rbx, -128),
        Mem(rsi, 128),
        Mem(rdi, -129),
        Mem(rsp),
        Mem(rsp, 8),
        Mem(rsp, 0x1000),
        Mem(rbp),
        Mem(rbp, 8),
        Mem(rbp, -0x1000),
        Mem(r12),
        Mem(r12, 16),
        Mem(r13),
        Mem(r13, 0x12345678),
        Mem(r8),
        Mem(r11, 0x7fffffff),
        Mem(r15, -1),
        Mem(rax, rcx, Scale::One),
        Mem(rax, r9, Scale::Two, 8),
        Mem(rbp, rax, Scale::Four),
        Mem(r13, r12, Scale::Eight, 0x100),
        Mem(rsp, rbp, Scale::One, -8),
        Mem(r12, r15, Scale::Four, 127),
        Mem(rdx, r13, Scale::Eight, -0x7fffffff - 1),
        Mem(r10, r8, Scale::Two, -128),
        Mem::index_only(rcx, Scale::Four, 0x10),
        Mem::index_only(r11, Scale::Eight, -4),
        Mem::index_only(rbp, Scale::Two, 0),
        Mem::index_only(r13, Scale::One, 0),
        Mem::index_only(r12, Scale::One, 16),
        Mem::absolute(0x1000),
        Mem::rip(0),
        Mem::rip(16),
        Mem::rip(-0x100),
    };
}

void Listing::add(std::string const& text, std::function<void(Assembler&)> const& emit)
{
    u32 start = m_assembler.offset();
    emit(m_assembler);
    m_texts.push_back(text);
    m_ranges.emplace_back(start, m_assembler.offset());
}

std::string write_temp_file(std::string const& suffix, std::string const& contents)
{
    std::string path = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + std::string("/wk_x64_XXXXXX") + suffix;
    int fd = mkstemps(path.data(), static_cast<int>(suffix.size()));
    if (fd < 0) {
        ADD_FAILURE() << "cannot create a temporary file";
        return {};
    }
    close(fd);
    std::ofstream(path) << contents;
    return path;
}

std::string run(std::string const& command)
{
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) {
        ADD_FAILURE() << "cannot run: " << command;
        return output;
    }
    char buffer[65536];
    usize count;
    while ((count = fread(buffer, 1, sizeof buffer, pipe)) > 0)
        output.append(buffer, count);
    int status = pclose(pipe);
    if (status != 0) {
        // Only the diagnostics: the output itself can be megabytes.
        std::string errors;
        std::istringstream lines(output);
        std::string line;
        int shown = 0;
        while (std::getline(lines, line) && shown < 60) {
            if (line.find("error") != std::string::npos || line.find("warning") != std::string::npos) {
                errors += line + "\n";
                ++shown;
            }
        }
        ADD_FAILURE() << "command failed (" << status << "): " << command << "\n" << (errors.empty() ? output.substr(0, 4000) : errors);
    }
    return output;
}

std::vector<std::string> Listing::mismatches_with_llvm_mc()
{
    std::vector<std::string> problems;
    EXPECT_TRUE(m_assembler.status().has_value());
    std::string source = ".intel_syntax noprefix\n";
    for (auto const& line : m_texts)
        source += line + "\n";
    std::string path = write_temp_file(".s", source);
    std::string output = run(std::string(WK_LLVM_MC) + " -triple=x86_64 -show-encoding " + path + " 2>&1");
    std::remove(path.c_str());

    std::vector<std::vector<u8>> expected;
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        auto at = line.find("encoding: [");
        if (at == std::string::npos)
            continue;
        std::vector<u8> bytes;
        std::string list = line.substr(at + 11, line.find(']', at) - (at + 11));
        std::stringstream items(list);
        std::string item;
        while (std::getline(items, item, ',')) {
            // A fixup byte ("A") has no value yet: never equal to ours.
            if (item.rfind("0x", 0) != 0) {
                bytes.clear();
                break;
            }
            bytes.push_back(static_cast<u8>(std::stoul(item, nullptr, 16)));
        }
        expected.push_back(bytes);
    }
    if (expected.size() != m_texts.size()) {
        problems.push_back("llvm-mc produced " + std::to_string(expected.size()) + " encodings for " + std::to_string(m_texts.size()) + " instructions:\n" + output.substr(0, 4000));
        return problems;
    }
    auto code = m_assembler.code();
    for (usize i = 0; i < m_texts.size(); ++i) {
        std::vector<u8> ours(code.begin() + m_ranges[i].first, code.begin() + m_ranges[i].second);
        if (ours != expected[i])
            problems.push_back(m_texts[i] + ": ours " + hex(ours) + ", llvm-mc " + hex(expected[i]));
    }
    return problems;
}

bool have_llvm_tools()
{
    std::string_view const tools[] = { WK_LLVM_MC, WK_LLVM_OBJCOPY, WK_LLVM_READOBJ };
    if (std::ranges::none_of(tools, &std::string_view::empty))
        return true;
    []() { GTEST_SKIP() << "llvm-mc-19, llvm-objcopy-19 or llvm-readobj-19 not found at configure time"; }();
    return false;
}

void expect_matches_llvm_mc(Listing& listing)
{
    if (!have_llvm_tools())
        return;
    auto problems = listing.mismatches_with_llvm_mc();
    EXPECT_GT(listing.size(), 0u);
    EXPECT_TRUE(problems.empty()) << problems.size() << " of " << listing.size() << " encodings differ";
    for (usize i = 0; i < problems.size() && i < 40; ++i)
        ADD_FAILURE() << problems[i];
    g_encodings += listing.size();
    for (auto const& text : listing.texts()) {
        auto [mnemonic, form] = form_of(text);
        g_mnemonics.insert(mnemonic);
        g_forms.insert(form);
    }
}

namespace {

class Summary : public ::testing::Environment {
public:
    void TearDown() override
    {
        if (g_encodings > 0)
            std::cout << "[x64] " << g_encodings << " encodings compared with llvm-mc: " << g_mnemonics.size()
                      << " mnemonics in " << g_forms.size() << " operand forms\n";
    }
};

[[maybe_unused]] auto* const g_summary = ::testing::AddGlobalTestEnvironment(new Summary);

} // namespace

} // namespace wk::engine::x64::test
