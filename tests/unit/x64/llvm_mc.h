#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/x64/assembler.h"

namespace wk::engine::x64::test {

// Operand spellings in llvm-mc's Intel syntax.
std::string name(Gpr reg, Size size);
std::string name(Xmm reg);
std::string name(Ymm reg);
// `ptr_size` is "byte", "dword", ... or empty for an unsized operand.
std::string text(Mem const& mem, std::string const& ptr_size = "");
std::string ptr(Size size);
std::string hex(std::vector<u8> const& bytes);

inline constexpr Size kSizes[] = { Size::Byte, Size::Word, Size::Dword, Size::Qword };
inline constexpr Size kWideSizes[] = { Size::Word, Size::Dword, Size::Qword };
std::vector<Gpr> all_gprs();
std::vector<Xmm> all_xmms();
std::vector<Ymm> all_ymms();
// Registers that exercise every encoding path: low, rsp/rbp/r12/r13, extended.
std::vector<Gpr> some_gprs();
std::vector<Xmm> some_xmms();
// Memory operands of every shape: base only, base+disp8/disp32, rsp/r12 (SIB), rbp/r13
// (disp8 0), base+index*1/2/4/8, index without base, absolute, rip-relative.
std::vector<Mem> memory_shapes();

// Instructions assembled with our Assembler next to their Intel-syntax text.
class Listing {
public:
    void add(std::string const& text, std::function<void(Assembler&)> const& emit);
    usize size() const { return m_texts.size(); }
    std::vector<std::string> const& texts() const { return m_texts; }

    // Runs llvm-mc over the texts and returns one message per mismatch (empty when all agree).
    std::vector<std::string> mismatches_with_llvm_mc();

private:
    Assembler m_assembler;
    std::vector<std::string> m_texts;
    std::vector<std::pair<u32, u32>> m_ranges;
};

// False (and the test is marked skipped) when CMake did not find the llvm tools.
bool have_llvm_tools();

// Runs a shell command; returns its standard output, or fails the test.
std::string run(std::string const& command);
std::string write_temp_file(std::string const& suffix, std::string const& contents);

// Compares the listing with llvm-mc and records the counts for the final summary.
void expect_matches_llvm_mc(Listing& listing);

} // namespace wk::engine::x64::test
