#include <gtest/gtest.h>

#include "llvm_mc.h"

namespace wk::engine::x64::test {
namespace {

using A = Assembler;
constexpr u8 kPacked = A::kPacked;
constexpr u8 kCommutative = A::kCommutative;
constexpr u8 kSymmetricPredicate = A::kSymmetricPredicate;

std::vector<u8> const kImms = { 0, 1, 3, 4, 7, 0x1b };

template<u8 Flags, typename Xrr, typename Xrm, typename Vrrr, typename Vrrm, typename Yrrr, typename Yrrm>
void add_binary(Listing& listing, std::string const& n, Xrr xrr, Xrm xrm, Vrrr vrrr, Vrrm vrrm, Yrrr yrrr, Yrrm yrrm)
{
    for (Xmm d : all_xmms())
        for (Xmm s : all_xmms())
            listing.add(n + " " + name(d) + ", " + name(s), [&](A& as) { xrr(as, d, s); });
    for (Mem const& mem : memory_shapes()) {
        for (Xmm d : { Xmm::xmm0, Xmm::xmm9 }) {
            listing.add(n + " " + name(d) + ", " + text(mem), [&](A& as) { xrm(as, d, mem); });
            listing.add("v" + n + " " + name(d) + ", " + name(Xmm::xmm14) + ", " + text(mem), [&](A& as) { vrrm(as, d, Xmm::xmm14, mem); });
            listing.add("v" + n + " " + name(d) + ", " + name(Xmm::xmm3) + ", " + text(mem), [&](A& as) { vrrm(as, d, Xmm::xmm3, mem); });
        }
    }
    // Every pair of sources (the commuting rule depends on both), and every destination.
    for (Xmm d : { Xmm::xmm2, Xmm::xmm12 })
        for (Xmm a : all_xmms())
            for (Xmm b : all_xmms())
                listing.add("v" + n + " " + name(d) + ", " + name(a) + ", " + name(b), [&](A& as) { vrrr(as, d, a, b); });
    for (Xmm d : all_xmms())
        listing.add("v" + n + " " + name(d) + ", xmm5, xmm13", [&](A& as) { vrrr(as, d, Xmm::xmm5, Xmm::xmm13); });
    if constexpr ((Flags & A::kPacked) != 0) {
        for (Xmm d : some_xmms())
            for (Xmm a : some_xmms())
                for (Xmm b : all_xmms())
                    listing.add("v" + n + " " + name(as_ymm(d)) + ", " + name(as_ymm(a)) + ", " + name(as_ymm(b)),
                        [&](A& as) { yrrr(as, as_ymm(d), as_ymm(a), as_ymm(b)); });
        for (Mem const& mem : memory_shapes())
            listing.add("v" + n + " ymm2, ymm10, " + text(mem), [&](A& as) { yrrm(as, Ymm::ymm2, Ymm::ymm10, mem); });
    }
}

template<u8 Flags, typename Xrr, typename Xrm, typename Vrrr, typename Vrrm, typename Yrrr, typename Yrrm>
void add_binary_imm(Listing& listing, std::string const& n, Xrr xrr, Xrm xrm, Vrrr vrrr, Vrrm vrrm, Yrrr yrrr, Yrrm yrrm)
{
    for (u8 imm : kImms) {
        std::string i = ", " + std::to_string(imm);
        for (Xmm d : all_xmms())
            for (Xmm s : all_xmms())
                listing.add(n + " " + name(d) + ", " + name(s) + i, [&](A& as) { xrr(as, d, s, imm); });
        for (Xmm d : some_xmms())
            for (Xmm a : some_xmms())
                for (Xmm b : all_xmms())
                    listing.add("v" + n + " " + name(d) + ", " + name(a) + ", " + name(b) + i, [&](A& as) { vrrr(as, d, a, b, imm); });
        if constexpr ((Flags & A::kPacked) != 0) {
            for (Xmm a : some_xmms())
                for (Xmm b : all_xmms())
                    listing.add("v" + n + " ymm3, " + name(as_ymm(a)) + ", " + name(as_ymm(b)) + i,
                        [&](A& as) { yrrr(as, Ymm::ymm3, as_ymm(a), as_ymm(b), imm); });
        }
    }
    for (Mem const& mem : memory_shapes()) {
        for (Xmm d : { Xmm::xmm0, Xmm::xmm9 }) {
            listing.add(n + " " + name(d) + ", " + text(mem) + ", 5", [&](A& as) { xrm(as, d, mem, 5); });
            listing.add("v" + n + " " + name(d) + ", " + name(Xmm::xmm12) + ", " + text(mem) + ", 5", [&](A& as) { vrrm(as, d, Xmm::xmm12, mem, 5); });
        }
        if constexpr ((Flags & A::kPacked) != 0)
            listing.add("v" + n + " ymm2, ymm10, " + text(mem) + ", 5", [&](A& as) { yrrm(as, Ymm::ymm2, Ymm::ymm10, mem, 5); });
    }
}

template<u8 Flags, typename Xrr, typename Xrm, typename Vrr, typename Vrm, typename Yrr, typename Yrm>
void add_unary(Listing& listing, std::string const& n, Xrr xrr, Xrm xrm, Vrr vrr, Vrm vrm, Yrr yrr, Yrm yrm)
{
    for (Xmm d : all_xmms()) {
        for (Xmm s : all_xmms()) {
            listing.add(n + " " + name(d) + ", " + name(s), [&](A& as) { xrr(as, d, s); });
            listing.add("v" + n + " " + name(d) + ", " + name(s), [&](A& as) { vrr(as, d, s); });
            if constexpr ((Flags & A::kPacked) != 0)
                listing.add("v" + n + " " + name(as_ymm(d)) + ", " + name(as_ymm(s)), [&](A& as) { yrr(as, as_ymm(d), as_ymm(s)); });
        }
    }
    // The VEX forms narrowing 128 or 256 bits into an xmm need the memory size spelled out.
    bool narrowing = n == "cvtpd2ps" || n == "cvttpd2dq" || n == "cvtpd2dq";
    for (Mem const& mem : memory_shapes()) {
        for (Xmm d : { Xmm::xmm0, Xmm::xmm9 }) {
            listing.add(n + " " + name(d) + ", " + text(mem), [&](A& as) { xrm(as, d, mem); });
            listing.add("v" + n + " " + name(d) + ", " + text(mem, narrowing ? "xmmword" : ""), [&](A& as) { vrm(as, d, mem); });
            if constexpr ((Flags & A::kPacked) != 0)
                listing.add("v" + n + " " + name(as_ymm(d)) + ", " + text(mem), [&](A& as) { yrm(as, as_ymm(d), mem); });
        }
    }
}

template<u8 Flags, typename Xrr, typename Xrm, typename Vrr, typename Vrm, typename Yrr, typename Yrm>
void add_unary_imm(Listing& listing, std::string const& n, Xrr xrr, Xrm xrm, Vrr vrr, Vrm vrm, Yrr yrr, Yrm yrm)
{
    for (u8 imm : { 0, 0x1b }) {
        std::string i = ", " + std::to_string(imm);
        for (Xmm d : all_xmms()) {
            for (Xmm s : all_xmms()) {
                listing.add(n + " " + name(d) + ", " + name(s) + i, [&](A& as) { xrr(as, d, s, imm); });
                listing.add("v" + n + " " + name(d) + ", " + name(s) + i, [&](A& as) { vrr(as, d, s, imm); });
                if constexpr ((Flags & A::kPacked) != 0)
                    listing.add("v" + n + " " + name(as_ymm(d)) + ", " + name(as_ymm(s)) + i, [&](A& as) { yrr(as, as_ymm(d), as_ymm(s), imm); });
            }
        }
    }
    for (Mem const& mem : memory_shapes()) {
        for (Xmm d : { Xmm::xmm0, Xmm::xmm9 }) {
            listing.add(n + " " + name(d) + ", " + text(mem) + ", 2", [&](A& as) { xrm(as, d, mem, 2); });
            listing.add("v" + n + " " + name(d) + ", " + text(mem) + ", 2", [&](A& as) { vrm(as, d, mem, 2); });
            if constexpr ((Flags & A::kPacked) != 0)
                listing.add("v" + n + " " + name(as_ymm(d)) + ", " + text(mem) + ", 2", [&](A& as) { yrm(as, as_ymm(d), mem, 2); });
        }
    }
}

// Generic lambdas, so that a Ymm call is only instantiated for kPacked rows.
#define WK_X64_BINARY(nm, prefix, map, opcode, flags)                                                         \
    add_binary<flags>(                                                                                        \
        listing, #nm, [](A& as, Xmm d, Xmm s) { as.nm(d, s); }, [](A& as, Xmm d, Mem const& m) { as.nm(d, m); }, \
        [](A& as, Xmm d, Xmm a, Xmm b) { as.v##nm(d, a, b); }, [](A& as, Xmm d, Xmm a, Mem const& m) { as.v##nm(d, a, m); }, \
        [](auto& as, Ymm d, Ymm a, Ymm b) { as.v##nm(d, a, b); }, [](auto& as, Ymm d, Ymm a, Mem const& m) { as.v##nm(d, a, m); });

TEST(X64Simd, BinaryTable)
{
    Listing listing;
#include "engine/x64/simd_ops.def"
    expect_matches_llvm_mc(listing);
}

#define WK_X64_BINARY_IMM(nm, prefix, map, opcode, flags)                                                     \
    add_binary_imm<flags>(                                                                                    \
        listing, #nm, [](A& as, Xmm d, Xmm s, u8 i) { as.nm(d, s, i); }, [](A& as, Xmm d, Mem const& m, u8 i) { as.nm(d, m, i); }, \
        [](A& as, Xmm d, Xmm a, Xmm b, u8 i) { as.v##nm(d, a, b, i); }, [](A& as, Xmm d, Xmm a, Mem const& m, u8 i) { as.v##nm(d, a, m, i); }, \
        [](auto& as, Ymm d, Ymm a, Ymm b, u8 i) { as.v##nm(d, a, b, i); }, [](auto& as, Ymm d, Ymm a, Mem const& m, u8 i) { as.v##nm(d, a, m, i); });

TEST(X64Simd, BinaryImmediateTable)
{
    Listing listing;
#include "engine/x64/simd_ops.def"
    expect_matches_llvm_mc(listing);
}

#define WK_X64_UNARY(nm, prefix, map, opcode, flags)                                                          \
    add_unary<flags>(                                                                                         \
        listing, #nm, [](A& as, Xmm d, Xmm s) { as.nm(d, s); }, [](A& as, Xmm d, Mem const& m) { as.nm(d, m); }, \
        [](A& as, Xmm d, Xmm s) { as.v##nm(d, s); }, [](A& as, Xmm d, Mem const& m) { as.v##nm(d, m); },      \
        [](auto& as, Ymm d, Ymm s) { as.v##nm(d, s); }, [](auto& as, Ymm d, Mem const& m) { as.v##nm(d, m); });
#define WK_X64_UNARY_IMM(nm, prefix, map, opcode, flags)                                                      \
    add_unary_imm<flags>(                                                                                     \
        listing, #nm, [](A& as, Xmm d, Xmm s, u8 i) { as.nm(d, s, i); }, [](A& as, Xmm d, Mem const& m, u8 i) { as.nm(d, m, i); }, \
        [](A& as, Xmm d, Xmm s, u8 i) { as.v##nm(d, s, i); }, [](A& as, Xmm d, Mem const& m, u8 i) { as.v##nm(d, m, i); }, \
        [](auto& as, Ymm d, Ymm s, u8 i) { as.v##nm(d, s, i); }, [](auto& as, Ymm d, Mem const& m, u8 i) { as.v##nm(d, m, i); });

TEST(X64Simd, UnaryTables)
{
    Listing listing;
#include "engine/x64/simd_ops.def"
    expect_matches_llvm_mc(listing);
}

#define WK_X64_SHIFT_IMM(nm, opcode, extension)                                                               \
    for (Xmm d : all_xmms()) {                                                                                \
        listing.add(#nm " " + name(d) + ", 3", [&](A& as) { as.nm(d, 3); });                                  \
        for (Xmm s : all_xmms()) {                                                                            \
            listing.add("v" #nm " " + name(d) + ", " + name(s) + ", 3", [&](A& as) { as.v##nm(d, s, 3); });   \
            listing.add("v" #nm " " + name(as_ymm(d)) + ", " + name(as_ymm(s)) + ", 9",                       \
                [&](A& as) { as.v##nm(as_ymm(d), as_ymm(s), 9); });                                           \
        }                                                                                                     \
    }
#define WK_X64_MOVE(nm, prefix, load_opcode, store_opcode, flags)                                             \
    for (Xmm d : all_xmms()) {                                                                                \
        for (Xmm s : all_xmms()) {                                                                            \
            listing.add(#nm " " + name(d) + ", " + name(s), [&](A& as) { as.nm(d, s); });                     \
            listing.add("v" #nm " " + name(d) + ", " + name(s), [&](A& as) { as.v##nm(d, s); });              \
            listing.add("v" #nm " " + name(as_ymm(d)) + ", " + name(as_ymm(s)), [&](A& as) { as.v##nm(as_ymm(d), as_ymm(s)); }); \
        }                                                                                                     \
    }                                                                                                         \
    for (Mem const& mem : memory_shapes()) {                                                                  \
        for (Xmm r : { Xmm::xmm0, Xmm::xmm7, Xmm::xmm8, Xmm::xmm15 }) {                                       \
            listing.add(#nm " " + name(r) + ", " + text(mem), [&](A& as) { as.nm(r, mem); });                 \
            listing.add(#nm " " + text(mem) + ", " + name(r), [&](A& as) { as.nm(mem, r); });                 \
            listing.add("v" #nm " " + name(r) + ", " + text(mem), [&](A& as) { as.v##nm(r, mem); });          \
            listing.add("v" #nm " " + text(mem) + ", " + name(r), [&](A& as) { as.v##nm(mem, r); });          \
            listing.add("v" #nm " " + name(as_ymm(r)) + ", " + text(mem), [&](A& as) { as.v##nm(as_ymm(r), mem); }); \
            listing.add("v" #nm " " + text(mem) + ", " + name(as_ymm(r)), [&](A& as) { as.v##nm(mem, as_ymm(r)); }); \
        }                                                                                                     \
    }
#define WK_X64_VEX_BROADCAST(nm, opcode)                                                                      \
    for (Xmm d : all_xmms()) {                                                                                \
        for (Xmm s : all_xmms()) {                                                                            \
            listing.add(#nm " " + name(d) + ", " + name(s), [&](A& as) { as.nm(d, s); });                     \
            listing.add(#nm " " + name(as_ymm(d)) + ", " + name(s), [&](A& as) { as.nm(as_ymm(d), s); });     \
        }                                                                                                     \
    }                                                                                                         \
    for (Mem const& mem : memory_shapes()) {                                                                  \
        listing.add(#nm " xmm9, " + text(mem), [&](A& as) { as.nm(Xmm::xmm9, mem); });                       \
        listing.add(#nm " ymm1, " + text(mem), [&](A& as) { as.nm(Ymm::ymm1, mem); });                        \
    }

TEST(X64Simd, ShiftsMovesBroadcasts)
{
    Listing listing;
#include "engine/x64/simd_ops.def"
    expect_matches_llvm_mc(listing);
}

template<u8 Flags, typename Vrrr, typename Vrrm, typename Yrrr, typename Yrrm>
void add_fma(Listing& listing, std::string const& n, Vrrr vrrr, Vrrm vrrm, Yrrr yrrr, Yrrm yrrm)
{
    for (Xmm d : all_xmms()) {
        for (Xmm a : all_xmms()) {
            for (Xmm b : some_xmms()) {
                listing.add(n + " " + name(d) + ", " + name(a) + ", " + name(b), [&](A& as) { vrrr(as, d, a, b); });
                if constexpr ((Flags & A::kPacked) != 0)
                    listing.add(n + " " + name(as_ymm(d)) + ", " + name(as_ymm(a)) + ", " + name(as_ymm(b)),
                        [&](A& as) { yrrr(as, as_ymm(d), as_ymm(a), as_ymm(b)); });
            }
        }
    }
    for (Mem const& mem : memory_shapes()) {
        listing.add(n + " xmm3, xmm11, " + text(mem), [&](A& as) { vrrm(as, Xmm::xmm3, Xmm::xmm11, mem); });
        if constexpr ((Flags & A::kPacked) != 0)
            listing.add(n + " ymm12, ymm1, " + text(mem), [&](A& as) { yrrm(as, Ymm::ymm12, Ymm::ymm1, mem); });
    }
}

#define WK_X64_FMA(nm, opcode, w, flags)                                                                      \
    add_fma<flags>(                                                                                           \
        listing, #nm, [](A& as, Xmm d, Xmm a, Xmm b) { as.nm(d, a, b); }, [](A& as, Xmm d, Xmm a, Mem const& m) { as.nm(d, a, m); }, \
        [](auto& as, Ymm d, Ymm a, Ymm b) { as.nm(d, a, b); }, [](auto& as, Ymm d, Ymm a, Mem const& m) { as.nm(d, a, m); });

TEST(X64Simd, FusedMultiplyAdd)
{
    Listing listing;
#include "engine/x64/simd_ops.def"
    expect_matches_llvm_mc(listing);
}

TEST(X64Simd, GeneralPurposeTransfers)
{
    Listing listing;
    for (Gpr g : all_gprs()) {
        for (Xmm x : all_xmms()) {
            std::string r32 = name(g, Size::Dword), r64 = name(g, Size::Qword), xn = name(x);
            listing.add("movd " + xn + ", " + r32, [&](A& as) { as.movd(x, g); });
            listing.add("movd " + r32 + ", " + xn, [&](A& as) { as.movd(g, x); });
            listing.add("movq " + xn + ", " + r64, [&](A& as) { as.movq(x, g); });
            listing.add("movq " + r64 + ", " + xn, [&](A& as) { as.movq(g, x); });
            listing.add("vmovd " + xn + ", " + r32, [&](A& as) { as.vmovd(x, g); });
            listing.add("vmovd " + r32 + ", " + xn, [&](A& as) { as.vmovd(g, x); });
            listing.add("vmovq " + xn + ", " + r64, [&](A& as) { as.vmovq(x, g); });
            listing.add("vmovq " + r64 + ", " + xn, [&](A& as) { as.vmovq(g, x); });
            for (Size size : { Size::Dword, Size::Qword }) {
                std::string gn = name(g, size);
                listing.add("cvtsi2ss " + xn + ", " + gn, [&](A& as) { as.cvtsi2ss(x, g, size); });
                listing.add("cvtsi2sd " + xn + ", " + gn, [&](A& as) { as.cvtsi2sd(x, g, size); });
                listing.add("vcvtsi2ss " + xn + ", xmm3, " + gn, [&](A& as) { as.vcvtsi2ss(x, Xmm::xmm3, g, size); });
                listing.add("vcvtsi2sd " + xn + ", xmm12, " + gn, [&](A& as) { as.vcvtsi2sd(x, Xmm::xmm12, g, size); });
                listing.add("cvttss2si " + gn + ", " + xn, [&](A& as) { as.cvttss2si(g, x, size); });
                listing.add("cvtss2si " + gn + ", " + xn, [&](A& as) { as.cvtss2si(g, x, size); });
                listing.add("cvttsd2si " + gn + ", " + xn, [&](A& as) { as.cvttsd2si(g, x, size); });
                listing.add("cvtsd2si " + gn + ", " + xn, [&](A& as) { as.cvtsd2si(g, x, size); });
                listing.add("vcvttss2si " + gn + ", " + xn, [&](A& as) { as.vcvttss2si(g, x, size); });
                listing.add("vcvttsd2si " + gn + ", " + xn, [&](A& as) { as.vcvttsd2si(g, x, size); });
            }
            listing.add("movmskps " + r32 + ", " + xn, [&](A& as) { as.movmskps(g, x); });
            listing.add("movmskpd " + r32 + ", " + xn, [&](A& as) { as.movmskpd(g, x); });
            listing.add("pmovmskb " + r32 + ", " + xn, [&](A& as) { as.pmovmskb(g, x); });
            listing.add("vmovmskps " + r32 + ", " + xn, [&](A& as) { as.vmovmskps(g, x); });
            listing.add("vmovmskpd " + r32 + ", " + xn, [&](A& as) { as.vmovmskpd(g, x); });
            listing.add("vpmovmskb " + r32 + ", " + xn, [&](A& as) { as.vpmovmskb(g, x); });
            listing.add("pinsrb " + xn + ", " + r32 + ", 15", [&](A& as) { as.pinsrb(x, g, 15); });
            listing.add("pinsrw " + xn + ", " + r32 + ", 7", [&](A& as) { as.pinsrw(x, g, 7); });
            listing.add("pinsrd " + xn + ", " + r32 + ", 3", [&](A& as) { as.pinsrd(x, g, 3); });
            listing.add("pinsrq " + xn + ", " + r64 + ", 1", [&](A& as) { as.pinsrq(x, g, 1); });
            listing.add("vpinsrb " + xn + ", xmm2, " + r32 + ", 15", [&](A& as) { as.vpinsrb(x, Xmm::xmm2, g, 15); });
            listing.add("vpinsrw " + xn + ", xmm10, " + r32 + ", 7", [&](A& as) { as.vpinsrw(x, Xmm::xmm10, g, 7); });
            listing.add("vpinsrd " + xn + ", xmm2, " + r32 + ", 3", [&](A& as) { as.vpinsrd(x, Xmm::xmm2, g, 3); });
            listing.add("vpinsrq " + xn + ", xmm10, " + r64 + ", 1", [&](A& as) { as.vpinsrq(x, Xmm::xmm10, g, 1); });
            listing.add("pextrb " + r32 + ", " + xn + ", 15", [&](A& as) { as.pextrb(g, x, 15); });
            listing.add("pextrw " + r32 + ", " + xn + ", 7", [&](A& as) { as.pextrw(g, x, 7); });
            listing.add("pextrd " + r32 + ", " + xn + ", 3", [&](A& as) { as.pextrd(g, x, 3); });
            listing.add("pextrq " + r64 + ", " + xn + ", 1", [&](A& as) { as.pextrq(g, x, 1); });
            listing.add("extractps " + r32 + ", " + xn + ", 2", [&](A& as) { as.extractps(g, x, 2); });
            listing.add("vextractps " + r32 + ", " + xn + ", 2", [&](A& as) { as.vextractps(g, x, 2); });
            listing.add("vpextrb " + r32 + ", " + xn + ", 15", [&](A& as) { as.vpextrb(g, x, 15); });
            listing.add("vpextrw " + r32 + ", " + xn + ", 7", [&](A& as) { as.vpextrw(g, x, 7); });
            listing.add("vpextrd " + r32 + ", " + xn + ", 3", [&](A& as) { as.vpextrd(g, x, 3); });
            listing.add("vpextrq " + r64 + ", " + xn + ", 1", [&](A& as) { as.vpextrq(g, x, 1); });
        }
    }
    for (Mem const& mem : memory_shapes()) {
        for (Xmm x : { Xmm::xmm1, Xmm::xmm11 }) {
            std::string xn = name(x);
            listing.add("movd " + xn + ", " + text(mem, "dword"), [&](A& as) { as.movd(x, mem); });
            listing.add("movd " + text(mem, "dword") + ", " + xn, [&](A& as) { as.movd(mem, x); });
            listing.add("movq " + xn + ", " + text(mem, "qword"), [&](A& as) { as.movq(x, mem); });
            listing.add("movq " + text(mem, "qword") + ", " + xn, [&](A& as) { as.movq(mem, x); });
            listing.add("vmovd " + xn + ", " + text(mem, "dword"), [&](A& as) { as.vmovd(x, mem); });
            listing.add("vmovd " + text(mem, "dword") + ", " + xn, [&](A& as) { as.vmovd(mem, x); });
            listing.add("vmovq " + xn + ", " + text(mem, "qword"), [&](A& as) { as.vmovq(x, mem); });
            listing.add("vmovq " + text(mem, "qword") + ", " + xn, [&](A& as) { as.vmovq(mem, x); });
            listing.add("movss " + xn + ", " + text(mem, "dword"), [&](A& as) { as.movss(x, mem); });
            listing.add("movss " + text(mem, "dword") + ", " + xn, [&](A& as) { as.movss(mem, x); });
            listing.add("movsd " + xn + ", " + text(mem, "qword"), [&](A& as) { as.movsd(x, mem); });
            listing.add("movsd " + text(mem, "qword") + ", " + xn, [&](A& as) { as.movsd(mem, x); });
            listing.add("vmovss " + xn + ", " + text(mem, "dword"), [&](A& as) { as.vmovss(x, mem); });
            listing.add("vmovss " + text(mem, "dword") + ", " + xn, [&](A& as) { as.vmovss(mem, x); });
            listing.add("vmovsd " + xn + ", " + text(mem, "qword"), [&](A& as) { as.vmovsd(x, mem); });
            listing.add("vmovsd " + text(mem, "qword") + ", " + xn, [&](A& as) { as.vmovsd(mem, x); });
            for (Size size : { Size::Dword, Size::Qword }) {
                listing.add("cvtsi2ss " + xn + ", " + text(mem, ptr(size)), [&](A& as) { as.cvtsi2ss(x, mem, size); });
                listing.add("cvtsi2sd " + xn + ", " + text(mem, ptr(size)), [&](A& as) { as.cvtsi2sd(x, mem, size); });
            }
            listing.add("cvttss2si eax, " + text(mem, "dword"), [&](A& as) { as.cvttss2si(Gpr::rax, mem, Size::Dword); });
            listing.add("cvttsd2si r9, " + text(mem, "qword"), [&](A& as) { as.cvttsd2si(Gpr::r9, mem, Size::Qword); });
            listing.add("pinsrb " + xn + ", " + text(mem, "byte") + ", 1", [&](A& as) { as.pinsrb(x, mem, 1); });
            listing.add("pinsrw " + xn + ", " + text(mem, "word") + ", 1", [&](A& as) { as.pinsrw(x, mem, 1); });
            listing.add("pinsrd " + xn + ", " + text(mem, "dword") + ", 1", [&](A& as) { as.pinsrd(x, mem, 1); });
            listing.add("pinsrq " + xn + ", " + text(mem, "qword") + ", 1", [&](A& as) { as.pinsrq(x, mem, 1); });
            listing.add("pextrb " + text(mem, "byte") + ", " + xn + ", 1", [&](A& as) { as.pextrb(mem, x, 1); });
            listing.add("pextrw " + text(mem, "word") + ", " + xn + ", 1", [&](A& as) { as.pextrw(mem, x, 1); });
            listing.add("pextrd " + text(mem, "dword") + ", " + xn + ", 1", [&](A& as) { as.pextrd(mem, x, 1); });
            listing.add("pextrq " + text(mem, "qword") + ", " + xn + ", 1", [&](A& as) { as.pextrq(mem, x, 1); });
            listing.add("extractps " + text(mem, "dword") + ", " + xn + ", 1", [&](A& as) { as.extractps(mem, x, 1); });
            for (Size size : { Size::Dword, Size::Qword }) {
                listing.add("vcvtsi2ss " + xn + ", xmm4, " + text(mem, ptr(size)), [&](A& as) { as.vcvtsi2ss(x, Xmm::xmm4, mem, size); });
                listing.add("vcvtsi2sd " + xn + ", xmm12, " + text(mem, ptr(size)), [&](A& as) { as.vcvtsi2sd(x, Xmm::xmm12, mem, size); });
                listing.add("vcvttss2si " + name(Gpr::r10, size) + ", " + text(mem, "dword"), [&](A& as) { as.vcvttss2si(Gpr::r10, mem, size); });
                listing.add("vcvtsd2si " + name(Gpr::rdx, size) + ", " + text(mem, "qword"), [&](A& as) { as.vcvtsd2si(Gpr::rdx, mem, size); });
            }
            listing.add("vpinsrb " + xn + ", xmm6, " + text(mem, "byte") + ", 1", [&](A& as) { as.vpinsrb(x, Xmm::xmm6, mem, 1); });
            listing.add("vpinsrw " + xn + ", xmm6, " + text(mem, "word") + ", 1", [&](A& as) { as.vpinsrw(x, Xmm::xmm6, mem, 1); });
            listing.add("vpinsrd " + xn + ", xmm14, " + text(mem, "dword") + ", 1", [&](A& as) { as.vpinsrd(x, Xmm::xmm14, mem, 1); });
            listing.add("vpinsrq " + xn + ", xmm14, " + text(mem, "qword") + ", 1", [&](A& as) { as.vpinsrq(x, Xmm::xmm14, mem, 1); });
            listing.add("vpextrb " + text(mem, "byte") + ", " + xn + ", 1", [&](A& as) { as.vpextrb(mem, x, 1); });
            listing.add("vpextrw " + text(mem, "word") + ", " + xn + ", 1", [&](A& as) { as.vpextrw(mem, x, 1); });
            listing.add("vpextrd " + text(mem, "dword") + ", " + xn + ", 1", [&](A& as) { as.vpextrd(mem, x, 1); });
            listing.add("vpextrq " + text(mem, "qword") + ", " + xn + ", 1", [&](A& as) { as.vpextrq(mem, x, 1); });
            listing.add("vextractps " + text(mem, "dword") + ", " + xn + ", 1", [&](A& as) { as.vextractps(mem, x, 1); });
            listing.add("blendvps " + xn + ", " + text(mem) + ", xmm0", [&](A& as) { as.blendvps(x, mem); });
            listing.add("blendvpd " + xn + ", " + text(mem) + ", xmm0", [&](A& as) { as.blendvpd(x, mem); });
            listing.add("pblendvb " + xn + ", " + text(mem) + ", xmm0", [&](A& as) { as.pblendvb(x, mem); });
        }
    }
    expect_matches_llvm_mc(listing);
}

TEST(X64Simd, RegisterMovesBlendsAndLanes)
{
    Listing listing;
    for (Xmm d : all_xmms()) {
        for (Xmm s : all_xmms()) {
            std::string dn = name(d), sn = name(s);
            listing.add("movq " + dn + ", " + sn, [&](A& as) { as.movq(d, s); });
            listing.add("movhlps " + dn + ", " + sn, [&](A& as) { as.movhlps(d, s); });
            listing.add("movlhps " + dn + ", " + sn, [&](A& as) { as.movlhps(d, s); });
            listing.add("vmovq " + dn + ", " + sn, [&](A& as) { as.vmovq(d, s); });
            listing.add("movss " + dn + ", " + sn, [&](A& as) { as.movss(d, s); });
            listing.add("movsd " + dn + ", " + sn, [&](A& as) { as.movsd(d, s); });
            listing.add("blendvps " + dn + ", " + sn + ", xmm0", [&](A& as) { as.blendvps(d, s); });
            listing.add("blendvpd " + dn + ", " + sn + ", xmm0", [&](A& as) { as.blendvpd(d, s); });
            listing.add("pblendvb " + dn + ", " + sn + ", xmm0", [&](A& as) { as.pblendvb(d, s); });
            listing.add("vextractf128 " + dn + ", " + name(as_ymm(s)) + ", 1", [&](A& as) { as.vextractf128(d, as_ymm(s), 1); });
            listing.add("vextracti128 " + dn + ", " + name(as_ymm(s)) + ", 0", [&](A& as) { as.vextracti128(d, as_ymm(s), 0); });
            for (Xmm a : some_xmms()) {
                std::string an = name(a);
                listing.add("vmovss " + dn + ", " + an + ", " + sn, [&](A& as) { as.vmovss(d, a, s); });
                listing.add("vmovhlps " + dn + ", " + an + ", " + sn, [&](A& as) { as.vmovhlps(d, a, s); });
                listing.add("vmovlhps " + dn + ", " + an + ", " + sn, [&](A& as) { as.vmovlhps(d, a, s); });
                listing.add("vmovsd " + dn + ", " + an + ", " + sn, [&](A& as) { as.vmovsd(d, a, s); });
                listing.add("vblendvps " + dn + ", " + an + ", " + sn + ", xmm13", [&](A& as) { as.vblendvps(d, a, s, Xmm::xmm13); });
                listing.add("vblendvpd " + dn + ", " + an + ", " + sn + ", xmm2", [&](A& as) { as.vblendvpd(d, a, s, Xmm::xmm2); });
                listing.add("vpblendvb " + dn + ", " + an + ", " + sn + ", xmm9", [&](A& as) { as.vpblendvb(d, a, s, Xmm::xmm9); });
                listing.add("vblendvps " + name(as_ymm(d)) + ", " + name(as_ymm(a)) + ", " + name(as_ymm(s)) + ", ymm4",
                    [&](A& as) { as.vblendvps(as_ymm(d), as_ymm(a), as_ymm(s), Ymm::ymm4); });
                listing.add("vpblendvb " + name(as_ymm(d)) + ", " + name(as_ymm(a)) + ", " + name(as_ymm(s)) + ", ymm15",
                    [&](A& as) { as.vpblendvb(as_ymm(d), as_ymm(a), as_ymm(s), Ymm::ymm15); });
                listing.add("vinsertf128 " + name(as_ymm(d)) + ", " + name(as_ymm(a)) + ", " + sn + ", 1",
                    [&](A& as) { as.vinsertf128(as_ymm(d), as_ymm(a), s, 1); });
                listing.add("vinserti128 " + name(as_ymm(d)) + ", " + name(as_ymm(a)) + ", " + sn + ", 1",
                    [&](A& as) { as.vinserti128(as_ymm(d), as_ymm(a), s, 1); });
            }
        }
    }
    expect_matches_llvm_mc(listing);
}

} // namespace
} // namespace wk::engine::x64::test
