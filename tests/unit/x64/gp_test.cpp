#include <gtest/gtest.h>

#include "llvm_mc.h"

namespace wk::engine::x64::test {
namespace {

using A = Assembler;

char const* const kConditionSuffix[] = { "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g" };

std::vector<i32> immediates_for(Size size)
{
    switch (size) {
    case Size::Byte:
        return { 0, 1, -1, 127, -128, 255 };
    case Size::Word:
        return { 0, 1, -1, 127, -128, 128, -129, 0x1234, -32768, 65535 };
    default:
        return { 0, 1, -1, 127, -128, 128, -129, 0x1234, 0x12345678, -0x7fffffff - 1 };
    }
}

std::string imm_text(i32 imm) { return std::to_string(imm); }

struct AluOp {
    char const* name;
    void (A::*rr)(Gpr, Gpr, Size);
    void (A::*rm)(Gpr, Mem const&, Size);
    void (A::*mr)(Mem const&, Gpr, Size);
    void (A::*ri)(Gpr, i32, Size);
    void (A::*mi)(Mem const&, i32, Size);
};

#define ALU(n, m) AluOp { n, &A::m, &A::m, &A::m, &A::m, &A::m }
AluOp const kAluOps[] = {
    ALU("add", add), ALU("or", or_), ALU("adc", adc), ALU("sbb", sbb),
    ALU("and", and_), ALU("sub", sub), ALU("xor", xor_), ALU("cmp", cmp),
};
#undef ALU

TEST(X64Gp, AluAllForms)
{
    Listing listing;
    for (auto const& op : kAluOps) {
        for (Size size : kSizes) {
            for (Gpr a : all_gprs()) {
                for (Gpr b : all_gprs())
                    listing.add(std::string(op.name) + " " + name(a, size) + ", " + name(b, size), [&](A& as) { (as.*op.rr)(a, b, size); });
                for (i32 imm : immediates_for(size))
                    listing.add(std::string(op.name) + " " + name(a, size) + ", " + imm_text(imm), [&](A& as) { (as.*op.ri)(a, imm, size); });
            }
            for (Mem const& mem : memory_shapes()) {
                for (Gpr r : some_gprs()) {
                    listing.add(std::string(op.name) + " " + name(r, size) + ", " + text(mem, ptr(size)), [&](A& as) { (as.*op.rm)(r, mem, size); });
                    listing.add(std::string(op.name) + " " + text(mem, ptr(size)) + ", " + name(r, size), [&](A& as) { (as.*op.mr)(mem, r, size); });
                }
                for (i32 imm : immediates_for(size))
                    listing.add(std::string(op.name) + " " + text(mem, ptr(size)) + ", " + imm_text(imm), [&](A& as) { (as.*op.mi)(mem, imm, size); });
            }
        }
    }
    expect_matches_llvm_mc(listing);
}

TEST(X64Gp, TestAndMov)
{
    Listing listing;
    for (Size size : kSizes) {
        for (Gpr a : all_gprs()) {
            for (Gpr b : all_gprs()) {
                listing.add("test " + name(a, size) + ", " + name(b, size), [&](A& as) { as.test(a, b, size); });
                listing.add("mov " + name(a, size) + ", " + name(b, size), [&](A& as) { as.mov(a, b, size); });
            }
            for (i32 imm : immediates_for(size)) {
                listing.add("test " + name(a, size) + ", " + imm_text(imm), [&](A& as) { as.test(a, imm, size); });
                listing.add("mov " + name(a, size) + ", " + imm_text(imm), [&](A& as) { as.mov(a, i64 { imm }, size); });
            }
        }
        for (Mem const& mem : memory_shapes()) {
            for (Gpr r : some_gprs()) {
                listing.add("test " + text(mem, ptr(size)) + ", " + name(r, size), [&](A& as) { as.test(mem, r, size); });
                listing.add("mov " + name(r, size) + ", " + text(mem, ptr(size)), [&](A& as) { as.mov(r, mem, size); });
                listing.add("mov " + text(mem, ptr(size)) + ", " + name(r, size), [&](A& as) { as.mov(mem, r, size); });
            }
            for (i32 imm : immediates_for(size)) {
                listing.add("test " + text(mem, ptr(size)) + ", " + imm_text(imm), [&](A& as) { as.test(mem, imm, size); });
                listing.add("mov " + text(mem, ptr(size)) + ", " + imm_text(imm), [&](A& as) { as.mov(mem, imm, size); });
            }
        }
    }
    for (Gpr r : all_gprs()) {
        for (i64 imm : { i64 { 0x80000000 }, i64 { 0xffffffff }, i64 { 0x123456789abcdef0 }, i64 { -0x80000001 }, i64 { -1 } << 63 })
            listing.add("mov " + name(r, Size::Qword) + ", " + std::to_string(imm), [&](A& as) { as.mov(r, imm, Size::Qword); });
        listing.add("mov " + name(r, Size::Dword) + ", 4294967295", [&](A& as) { as.mov(r, i64 { 0xffffffff }, Size::Dword); });
        listing.add("movabs " + name(r, Size::Qword) + ", 1", [&](A& as) { as.movabs(r, 1); });
    }
    expect_matches_llvm_mc(listing);
}

struct UnaryOp {
    char const* name;
    void (A::*r)(Gpr, Size);
    void (A::*m)(Mem const&, Size);
};

#define UNARY(n, m) UnaryOp { n, &A::m, &A::m }
UnaryOp const kUnaryOps[] = {
    UNARY("not", not_), UNARY("neg", neg), UNARY("mul", mul), UNARY("imul", imul),
    UNARY("div", div), UNARY("idiv", idiv), UNARY("inc", inc), UNARY("dec", dec),
    UNARY("rol", rol_cl), UNARY("ror", ror_cl), UNARY("rcl", rcl_cl), UNARY("rcr", rcr_cl),
    UNARY("shl", shl_cl), UNARY("shr", shr_cl), UNARY("sar", sar_cl),
};
#undef UNARY

struct ShiftOp {
    char const* name;
    void (A::*ri)(Gpr, u8, Size);
    void (A::*mi)(Mem const&, u8, Size);
};

#define SHIFT(n) ShiftOp { #n, &A::n, &A::n }
ShiftOp const kShiftOps[] = { SHIFT(rol), SHIFT(ror), SHIFT(rcl), SHIFT(rcr), SHIFT(shl), SHIFT(shr), SHIFT(sar) };
#undef SHIFT

TEST(X64Gp, UnaryAndShifts)
{
    Listing listing;
    for (Size size : kSizes) {
        for (auto const& op : kUnaryOps) {
            bool by_cl = std::string(op.name).size() == 3 && std::string("rolrorrclrcrshlshrsar").find(op.name) != std::string::npos;
            std::string suffix = by_cl ? ", cl" : "";
            for (Gpr r : all_gprs())
                listing.add(std::string(op.name) + " " + name(r, size) + suffix, [&](A& as) { (as.*op.r)(r, size); });
            for (Mem const& mem : memory_shapes())
                listing.add(std::string(op.name) + " " + text(mem, ptr(size)) + suffix, [&](A& as) { (as.*op.m)(mem, size); });
        }
        for (auto const& op : kShiftOps) {
            for (u8 count : { 1, 5, 31, 63 }) {
                for (Gpr r : all_gprs())
                    listing.add(std::string(op.name) + " " + name(r, size) + ", " + std::to_string(count), [&](A& as) { (as.*op.ri)(r, count, size); });
                for (Mem const& mem : memory_shapes())
                    listing.add(std::string(op.name) + " " + text(mem, ptr(size)) + ", " + std::to_string(count), [&](A& as) { (as.*op.mi)(mem, count, size); });
            }
        }
    }
    expect_matches_llvm_mc(listing);
}

TEST(X64Gp, DoubleShiftsAndBitTests)
{
    Listing listing;
    for (Size size : kWideSizes) {
        for (Gpr a : all_gprs()) {
            for (Gpr b : all_gprs()) {
                listing.add("shld " + name(a, size) + ", " + name(b, size) + ", 7", [&](A& as) { as.shld(a, b, 7, size); });
                listing.add("shrd " + name(a, size) + ", " + name(b, size) + ", 9", [&](A& as) { as.shrd(a, b, 9, size); });
                listing.add("shld " + name(a, size) + ", " + name(b, size) + ", cl", [&](A& as) { as.shld_cl(a, b, size); });
                listing.add("shrd " + name(a, size) + ", " + name(b, size) + ", cl", [&](A& as) { as.shrd_cl(a, b, size); });
                listing.add("bt " + name(a, size) + ", " + name(b, size), [&](A& as) { as.bt(a, b, size); });
                listing.add("bts " + name(a, size) + ", " + name(b, size), [&](A& as) { as.bts(a, b, size); });
                listing.add("btr " + name(a, size) + ", " + name(b, size), [&](A& as) { as.btr(a, b, size); });
                listing.add("btc " + name(a, size) + ", " + name(b, size), [&](A& as) { as.btc(a, b, size); });
            }
            listing.add("bt " + name(a, size) + ", 13", [&](A& as) { as.bt(a, u8 { 13 }, size); });
            listing.add("bts " + name(a, size) + ", 1", [&](A& as) { as.bts(a, u8 { 1 }, size); });
            listing.add("btr " + name(a, size) + ", 15", [&](A& as) { as.btr(a, u8 { 15 }, size); });
            listing.add("btc " + name(a, size) + ", 0", [&](A& as) { as.btc(a, u8 { 0 }, size); });
        }
        for (Mem const& mem : memory_shapes()) {
            for (Gpr r : some_gprs()) {
                listing.add("shld " + text(mem, ptr(size)) + ", " + name(r, size) + ", 3", [&](A& as) { as.shld(mem, r, 3, size); });
                listing.add("shrd " + text(mem, ptr(size)) + ", " + name(r, size) + ", 3", [&](A& as) { as.shrd(mem, r, 3, size); });
                listing.add("shld " + text(mem, ptr(size)) + ", " + name(r, size) + ", cl", [&](A& as) { as.shld_cl(mem, r, size); });
                listing.add("shrd " + text(mem, ptr(size)) + ", " + name(r, size) + ", cl", [&](A& as) { as.shrd_cl(mem, r, size); });
                listing.add("bt " + text(mem, ptr(size)) + ", " + name(r, size), [&](A& as) { as.bt(mem, r, size); });
                listing.add("btr " + text(mem, ptr(size)) + ", " + name(r, size), [&](A& as) { as.btr(mem, r, size); });
            }
            listing.add("bt " + text(mem, ptr(size)) + ", 5", [&](A& as) { as.bt(mem, u8 { 5 }, size); });
            listing.add("bts " + text(mem, ptr(size)) + ", 5", [&](A& as) { as.bts(mem, u8 { 5 }, size); });
        }
    }
    expect_matches_llvm_mc(listing);
}

struct RmOp {
    char const* name;
    void (A::*rr)(Gpr, Gpr, Size);
    void (A::*rm)(Gpr, Mem const&, Size);
};

#define RM(n, m) RmOp { n, &A::m, &A::m }
RmOp const kRmOps[] = {
    RM("imul", imul), RM("bsf", bsf), RM("bsr", bsr), RM("tzcnt", tzcnt), RM("lzcnt", lzcnt), RM("popcnt", popcnt),
};
#undef RM

struct ExchangeOp {
    char const* name;
    void (A::*rr)(Gpr, Gpr, Size);
    void (A::*mr)(Mem const&, Gpr, Size);
};

#define EXCHANGE(n) ExchangeOp { #n, &A::n, &A::n }
ExchangeOp const kExchangeOps[] = { EXCHANGE(xchg), EXCHANGE(cmpxchg), EXCHANGE(xadd) };
#undef EXCHANGE

TEST(X64Gp, RegisterMemoryOperations)
{
    Listing listing;
    for (auto const& op : kRmOps) {
        for (Size size : kWideSizes) {
            for (Gpr a : all_gprs())
                for (Gpr b : all_gprs())
                    listing.add(std::string(op.name) + " " + name(a, size) + ", " + name(b, size), [&](A& as) { (as.*op.rr)(a, b, size); });
            for (Mem const& mem : memory_shapes())
                for (Gpr r : some_gprs())
                    listing.add(std::string(op.name) + " " + name(r, size) + ", " + text(mem, ptr(size)), [&](A& as) { (as.*op.rm)(r, mem, size); });
        }
    }
    for (auto const& op : kExchangeOps) {
        std::string n = op.name;
        for (Size size : kSizes) {
            for (Gpr a : all_gprs()) {
                for (Gpr b : all_gprs()) {
                    // llvm-mc spells xchg rax, rax as the one-byte nop.
                    if (n == "xchg" && a == Gpr::rax && b == Gpr::rax && size == Size::Qword)
                        continue;
                    listing.add(n + " " + name(a, size) + ", " + name(b, size), [&](A& as) { (as.*op.rr)(a, b, size); });
                }
            }
            for (Mem const& mem : memory_shapes())
                for (Gpr r : some_gprs())
                    listing.add(n + " " + text(mem, ptr(size)) + ", " + name(r, size), [&](A& as) { (as.*op.mr)(mem, r, size); });
        }
    }
    for (Size size : kWideSizes) {
        for (Gpr a : all_gprs()) {
            for (Gpr b : all_gprs()) {
                for (i32 imm : { 3, -128, 1000, -0x12345 }) {
                    if (size == Size::Word && imm == -0x12345)
                        continue;
                    listing.add("imul " + name(a, size) + ", " + name(b, size) + ", " + std::to_string(imm), [&](A& as) { as.imul(a, b, imm, size); });
                }
                for (u8 cc = 0; cc < 16; ++cc)
                    listing.add(std::string("cmov") + kConditionSuffix[cc] + " " + name(a, size) + ", " + name(b, size),
                        [&](A& as) { as.cmov(static_cast<Condition>(cc), a, b, size); });
            }
        }
        for (Mem const& mem : memory_shapes()) {
            for (Gpr r : some_gprs()) {
                listing.add("imul " + name(r, size) + ", " + text(mem, ptr(size)) + ", 100", [&](A& as) { as.imul(r, mem, 100, size); });
                listing.add("imul " + name(r, size) + ", " + text(mem, ptr(size)) + ", 1000", [&](A& as) { as.imul(r, mem, 1000, size); });
                listing.add("lea " + name(r, size) + ", " + text(mem), [&](A& as) { as.lea(r, mem, size); });
                listing.add("cmovl " + name(r, size) + ", " + text(mem, ptr(size)), [&](A& as) { as.cmov(Condition::Less, r, mem, size); });
            }
        }
    }
    expect_matches_llvm_mc(listing);
}

TEST(X64Gp, Extensions)
{
    Listing listing;
    for (Gpr a : all_gprs()) {
        for (Gpr b : all_gprs()) {
            for (Size size : kWideSizes) {
                listing.add("movzx " + name(a, size) + ", " + name(b, Size::Byte), [&](A& as) { as.movzx8(a, b, size); });
                listing.add("movsx " + name(a, size) + ", " + name(b, Size::Byte), [&](A& as) { as.movsx8(a, b, size); });
            }
            for (Size size : { Size::Dword, Size::Qword }) {
                listing.add("movzx " + name(a, size) + ", " + name(b, Size::Word), [&](A& as) { as.movzx16(a, b, size); });
                listing.add("movsx " + name(a, size) + ", " + name(b, Size::Word), [&](A& as) { as.movsx16(a, b, size); });
            }
            listing.add("movsxd " + name(a, Size::Qword) + ", " + name(b, Size::Dword), [&](A& as) { as.movsxd(a, b); });
        }
    }
    for (Mem const& mem : memory_shapes()) {
        for (Gpr r : some_gprs()) {
            for (Size size : kWideSizes) {
                listing.add("movzx " + name(r, size) + ", " + text(mem, "byte"), [&](A& as) { as.movzx8(r, mem, size); });
                listing.add("movsx " + name(r, size) + ", " + text(mem, "byte"), [&](A& as) { as.movsx8(r, mem, size); });
            }
            for (Size size : { Size::Dword, Size::Qword }) {
                listing.add("movzx " + name(r, size) + ", " + text(mem, "word"), [&](A& as) { as.movzx16(r, mem, size); });
                listing.add("movsx " + name(r, size) + ", " + text(mem, "word"), [&](A& as) { as.movsx16(r, mem, size); });
            }
            listing.add("movsxd " + name(r, Size::Qword) + ", " + text(mem, "dword"), [&](A& as) { as.movsxd(r, mem); });
        }
    }
    expect_matches_llvm_mc(listing);
}

TEST(X64Gp, FlagsStackAndControl)
{
    Listing listing;
    for (Gpr r : all_gprs()) {
        for (u8 cc = 0; cc < 16; ++cc)
            listing.add(std::string("set") + kConditionSuffix[cc] + " " + name(r, Size::Byte), [&](A& as) { as.setcc(static_cast<Condition>(cc), r); });
        listing.add("bswap " + name(r, Size::Dword), [&](A& as) { as.bswap(r, Size::Dword); });
        listing.add("bswap " + name(r, Size::Qword), [&](A& as) { as.bswap(r, Size::Qword); });
        listing.add("push " + name(r, Size::Qword), [&](A& as) { as.push(r); });
        listing.add("pop " + name(r, Size::Qword), [&](A& as) { as.pop(r); });
        listing.add("call " + name(r, Size::Qword), [&](A& as) { as.call(r); });
        listing.add("jmp " + name(r, Size::Qword), [&](A& as) { as.jmp(r); });
    }
    for (Mem const& mem : memory_shapes()) {
        listing.add("sete " + text(mem, "byte"), [&](A& as) { as.setcc(Condition::Equal, mem); });
        listing.add("push " + text(mem, "qword"), [&](A& as) { as.push(mem); });
        listing.add("pop " + text(mem, "qword"), [&](A& as) { as.pop(mem); });
        listing.add("call " + text(mem, "qword"), [&](A& as) { as.call(mem); });
        listing.add("jmp " + text(mem, "qword"), [&](A& as) { as.jmp(mem); });
        for (Gpr r : { Gpr::rcx, Gpr::r11 }) {
            for (Size size : kSizes) {
                listing.add("lock add " + text(mem, ptr(size)) + ", " + name(r, size), [&](A& as) { as.lock(); as.add(mem, r, size); });
                listing.add("lock xadd " + text(mem, ptr(size)) + ", " + name(r, size), [&](A& as) { as.lock(); as.xadd(mem, r, size); });
                listing.add("lock cmpxchg " + text(mem, ptr(size)) + ", " + name(r, size), [&](A& as) { as.lock(); as.cmpxchg(mem, r, size); });
            }
        }
        listing.add("lock inc " + text(mem, "qword"), [&](A& as) { as.lock(); as.inc(mem, Size::Qword); });
        listing.add("lock or " + text(mem, "dword") + ", 1", [&](A& as) { as.lock(); as.or_(mem, 1, Size::Dword); });
    }
    for (i32 imm : { 0, 1, -128, 127, 128, -129, 0x12345678 })
        listing.add("push " + std::to_string(imm), [&](A& as) { as.push(imm); });
    listing.add("ret", [](A& as) { as.ret(); });
    listing.add("ret 16", [](A& as) { as.ret(16); });
    listing.add("cwd", [](A& as) { as.cwd(); });
    listing.add("cdq", [](A& as) { as.cdq(); });
    listing.add("cqo", [](A& as) { as.cqo(); });
    listing.add("cdqe", [](A& as) { as.cdqe(); });
    listing.add("ud2", [](A& as) { as.ud2(); });
    listing.add("int3", [](A& as) { as.int3(); });
    listing.add("hlt", [](A& as) { as.hlt(); });
    listing.add("nop", [](A& as) { as.nop(); });
    listing.add("mfence", [](A& as) { as.mfence(); });
    listing.add("lfence", [](A& as) { as.lfence(); });
    listing.add("sfence", [](A& as) { as.sfence(); });
    listing.add("pause", [](A& as) { as.pause(); });
    listing.add("rdtsc", [](A& as) { as.rdtsc(); });
    listing.add("cpuid", [](A& as) { as.cpuid(); });
    listing.add("vzeroupper", [](A& as) { as.vzeroupper(); });
    listing.add("rep movsb", [](A& as) { as.rep_movsb(); });
    listing.add("rep movsq", [](A& as) { as.rep_movsq(); });
    listing.add("rep stosb", [](A& as) { as.rep_stosb(); });
    listing.add("rep stosq", [](A& as) { as.rep_stosq(); });
    listing.add("cld", [](A& as) { as.cld(); });
    expect_matches_llvm_mc(listing);
}

} // namespace
} // namespace wk::engine::x64::test
