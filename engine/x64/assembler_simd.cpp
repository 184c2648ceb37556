#include "engine/x64/assembler.h"

namespace wk::engine::x64 {

void Assembler::movd(Xmm dst, Gpr src) { legacy_rr({ 0x66, 1, 0x6E }, 0, number(dst), number(src)); }
void Assembler::movd(Gpr dst, Xmm src) { legacy_rr({ 0x66, 1, 0x7E }, 0, number(src), number(dst)); }
void Assembler::movd(Xmm dst, Mem const& src) { legacy_rm({ 0x66, 1, 0x6E }, 0, number(dst), src, 0); }
void Assembler::movd(Mem const& dst, Xmm src) { legacy_rm({ 0x66, 1, 0x7E }, 0, number(src), dst, 0); }
void Assembler::movq(Xmm dst, Gpr src) { legacy_rr({ 0x66, 1, 0x6E }, kRexW, number(dst), number(src)); }
void Assembler::movq(Gpr dst, Xmm src) { legacy_rr({ 0x66, 1, 0x7E }, kRexW, number(src), number(dst)); }
void Assembler::movq(Xmm dst, Mem const& src) { legacy_rm({ 0xF3, 1, 0x7E }, 0, number(dst), src, 0); }
void Assembler::movq(Mem const& dst, Xmm src) { legacy_rm({ 0x66, 1, 0xD6 }, 0, number(src), dst, 0); }
void Assembler::movq(Xmm dst, Xmm src) { legacy_rr({ 0xF3, 1, 0x7E }, 0, number(dst), number(src)); }

void Assembler::vmovd(Xmm dst, Gpr src) { vex_rr({ 0x66, 1, 0x6E }, false, false, number(dst), 0, number(src)); }
void Assembler::vmovd(Gpr dst, Xmm src) { vex_rr({ 0x66, 1, 0x7E }, false, false, number(src), 0, number(dst)); }
void Assembler::vmovd(Xmm dst, Mem const& src) { vex_rm({ 0x66, 1, 0x6E }, false, false, number(dst), 0, src, 0); }
void Assembler::vmovd(Mem const& dst, Xmm src) { vex_rm({ 0x66, 1, 0x7E }, false, false, number(src), 0, dst, 0); }
void Assembler::vmovq(Xmm dst, Gpr src) { vex_rr({ 0x66, 1, 0x6E }, true, false, number(dst), 0, number(src)); }
void Assembler::vmovq(Gpr dst, Xmm src) { vex_rr({ 0x66, 1, 0x7E }, true, false, number(src), 0, number(dst)); }
void Assembler::vmovq(Xmm dst, Mem const& src) { vex_rm({ 0xF3, 1, 0x7E }, false, false, number(dst), 0, src, 0); }
void Assembler::vmovq(Mem const& dst, Xmm src) { vex_rm({ 0x66, 1, 0xD6 }, false, false, number(src), 0, dst, 0); }

void Assembler::vmovq(Xmm dst, Xmm src)
{
    // The store form (66 0F D6) reaches the 2-byte VEX prefix when only src is extended.
    if (number(src) >= 8 && number(dst) < 8)
        vex_rr({ 0x66, 1, 0xD6 }, false, false, number(src), 0, number(dst));
    else
        vex_rr({ 0xF3, 1, 0x7E }, false, false, number(dst), 0, number(src));
}

void Assembler::movss(Xmm dst, Xmm src) { legacy_rr({ 0xF3, 1, 0x10 }, 0, number(dst), number(src)); }
void Assembler::movss(Xmm dst, Mem const& src) { legacy_rm({ 0xF3, 1, 0x10 }, 0, number(dst), src, 0); }
void Assembler::movss(Mem const& dst, Xmm src) { legacy_rm({ 0xF3, 1, 0x11 }, 0, number(src), dst, 0); }
void Assembler::movsd(Xmm dst, Xmm src) { legacy_rr({ 0xF2, 1, 0x10 }, 0, number(dst), number(src)); }
void Assembler::movsd(Xmm dst, Mem const& src) { legacy_rm({ 0xF2, 1, 0x10 }, 0, number(dst), src, 0); }
void Assembler::movsd(Mem const& dst, Xmm src) { legacy_rm({ 0xF2, 1, 0x11 }, 0, number(src), dst, 0); }

void Assembler::vmovss(Xmm dst, Xmm a, Xmm b)
{
    if (number(b) >= 8 && number(dst) < 8)
        vex_rr({ 0xF3, 1, 0x11 }, false, false, number(b), number(a), number(dst));
    else
        vex_rr({ 0xF3, 1, 0x10 }, false, false, number(dst), number(a), number(b));
}

void Assembler::vmovsd(Xmm dst, Xmm a, Xmm b)
{
    if (number(b) >= 8 && number(dst) < 8)
        vex_rr({ 0xF2, 1, 0x11 }, false, false, number(b), number(a), number(dst));
    else
        vex_rr({ 0xF2, 1, 0x10 }, false, false, number(dst), number(a), number(b));
}

void Assembler::vmovss(Xmm dst, Mem const& src) { vex_rm({ 0xF3, 1, 0x10 }, false, false, number(dst), 0, src, 0); }
void Assembler::vmovss(Mem const& dst, Xmm src) { vex_rm({ 0xF3, 1, 0x11 }, false, false, number(src), 0, dst, 0); }
void Assembler::vmovsd(Xmm dst, Mem const& src) { vex_rm({ 0xF2, 1, 0x10 }, false, false, number(dst), 0, src, 0); }
void Assembler::vmovsd(Mem const& dst, Xmm src) { vex_rm({ 0xF2, 1, 0x11 }, false, false, number(src), 0, dst, 0); }

void Assembler::cvtsi2ss(Xmm dst, Gpr src, Size size) { sse_gpr_rr({ 0xF3, 1, 0x2A }, number(dst), number(src), size); }
void Assembler::cvtsi2ss(Xmm dst, Mem const& src, Size size) { sse_gpr_rm({ 0xF3, 1, 0x2A }, number(dst), src, size); }
void Assembler::cvtsi2sd(Xmm dst, Gpr src, Size size) { sse_gpr_rr({ 0xF2, 1, 0x2A }, number(dst), number(src), size); }
void Assembler::cvtsi2sd(Xmm dst, Mem const& src, Size size) { sse_gpr_rm({ 0xF2, 1, 0x2A }, number(dst), src, size); }

void Assembler::vcvtsi2ss(Xmm dst, Xmm a, Gpr src, Size size)
{
    vex_rr({ 0xF3, 1, 0x2A }, size == Size::Qword, false, number(dst), number(a), number(src));
}

void Assembler::vcvtsi2sd(Xmm dst, Xmm a, Gpr src, Size size)
{
    vex_rr({ 0xF2, 1, 0x2A }, size == Size::Qword, false, number(dst), number(a), number(src));
}

void Assembler::vcvtsi2ss(Xmm dst, Xmm a, Mem const& src, Size size)
{
    vex_rm({ 0xF3, 1, 0x2A }, size == Size::Qword, false, number(dst), number(a), src, 0);
}

void Assembler::vcvtsi2sd(Xmm dst, Xmm a, Mem const& src, Size size)
{
    vex_rm({ 0xF2, 1, 0x2A }, size == Size::Qword, false, number(dst), number(a), src, 0);
}

void Assembler::movmskps(Gpr dst, Xmm src) { legacy_rr({ 0, 1, 0x50 }, 0, number(dst), number(src)); }
void Assembler::movmskpd(Gpr dst, Xmm src) { legacy_rr({ 0x66, 1, 0x50 }, 0, number(dst), number(src)); }
void Assembler::pmovmskb(Gpr dst, Xmm src) { legacy_rr({ 0x66, 1, 0xD7 }, 0, number(dst), number(src)); }
void Assembler::vmovmskps(Gpr dst, Xmm src) { vex_rr({ 0, 1, 0x50 }, false, false, number(dst), 0, number(src)); }
void Assembler::vmovmskpd(Gpr dst, Xmm src) { vex_rr({ 0x66, 1, 0x50 }, false, false, number(dst), 0, number(src)); }
void Assembler::vpmovmskb(Gpr dst, Xmm src) { vex_rr({ 0x66, 1, 0xD7 }, false, false, number(dst), 0, number(src)); }

namespace {

// The lane insert/extract opcodes: 66 [REX.W] map opcode /r ib.
struct LaneOp {
    u8 map;
    u8 opcode;
    bool w;
};

constexpr LaneOp kPinsrb { 3, 0x20, false };
constexpr LaneOp kPinsrw { 1, 0xC4, false };
constexpr LaneOp kPinsrd { 3, 0x22, false };
constexpr LaneOp kPinsrq { 3, 0x22, true };
constexpr LaneOp kPextrb { 3, 0x14, false };
constexpr LaneOp kPextrwMem { 3, 0x15, false };
constexpr LaneOp kPextrd { 3, 0x16, false };
constexpr LaneOp kPextrq { 3, 0x16, true };
constexpr LaneOp kExtractps { 3, 0x17, false };

} // namespace

#define WK_X64_LANE_INSERT(name, lane_op)                                                                     \
    void Assembler::name(Xmm dst, Gpr src, u8 lane)                                                           \
    {                                                                                                         \
        legacy_rr({ 0x66, lane_op.map, lane_op.opcode }, lane_op.w ? kRexW : 0, number(dst), number(src));    \
        put(lane);                                                                                            \
    }                                                                                                         \
    void Assembler::name(Xmm dst, Mem const& src, u8 lane)                                                    \
    {                                                                                                         \
        legacy_rm({ 0x66, lane_op.map, lane_op.opcode }, lane_op.w ? kRexW : 0, number(dst), src, 1);         \
        put(lane);                                                                                            \
    }                                                                                                         \
    void Assembler::v##name(Xmm dst, Xmm a, Gpr src, u8 lane)                                                 \
    {                                                                                                         \
        vex_rr({ 0x66, lane_op.map, lane_op.opcode }, lane_op.w, false, number(dst), number(a), number(src)); \
        put(lane);                                                                                            \
    }                                                                                                         \
    void Assembler::v##name(Xmm dst, Xmm a, Mem const& src, u8 lane)                                          \
    {                                                                                                         \
        vex_rm({ 0x66, lane_op.map, lane_op.opcode }, lane_op.w, false, number(dst), number(a), src, 1);      \
        put(lane);                                                                                            \
    }
WK_X64_LANE_INSERT(pinsrb, kPinsrb)
WK_X64_LANE_INSERT(pinsrw, kPinsrw)
WK_X64_LANE_INSERT(pinsrd, kPinsrd)
WK_X64_LANE_INSERT(pinsrq, kPinsrq)
#undef WK_X64_LANE_INSERT

// Extracts put the xmm source in ModRM.reg and the destination in ModRM.rm.
#define WK_X64_LANE_EXTRACT(name, lane_op)                                                                    \
    void Assembler::name(Gpr dst, Xmm src, u8 lane)                                                           \
    {                                                                                                         \
        legacy_rr({ 0x66, lane_op.map, lane_op.opcode }, lane_op.w ? kRexW : 0, number(src), number(dst));    \
        put(lane);                                                                                            \
    }                                                                                                         \
    void Assembler::name(Mem const& dst, Xmm src, u8 lane)                                                    \
    {                                                                                                         \
        legacy_rm({ 0x66, lane_op.map, lane_op.opcode }, lane_op.w ? kRexW : 0, number(src), dst, 1);         \
        put(lane);                                                                                            \
    }                                                                                                         \
    void Assembler::v##name(Gpr dst, Xmm src, u8 lane)                                                        \
    {                                                                                                         \
        vex_rr({ 0x66, lane_op.map, lane_op.opcode }, lane_op.w, false, number(src), 0, number(dst));         \
        put(lane);                                                                                            \
    }                                                                                                         \
    void Assembler::v##name(Mem const& dst, Xmm src, u8 lane)                                                 \
    {                                                                                                         \
        vex_rm({ 0x66, lane_op.map, lane_op.opcode }, lane_op.w, false, number(src), 0, dst, 1);              \
        put(lane);                                                                                            \
    }
WK_X64_LANE_EXTRACT(pextrb, kPextrb)
WK_X64_LANE_EXTRACT(pextrd, kPextrd)
WK_X64_LANE_EXTRACT(pextrq, kPextrq)
WK_X64_LANE_EXTRACT(extractps, kExtractps)
#undef WK_X64_LANE_EXTRACT

// pextrw to a register has the older SSE2 encoding, with the destination in ModRM.reg.
void Assembler::pextrw(Gpr dst, Xmm src, u8 lane)
{
    legacy_rr({ 0x66, 1, 0xC5 }, 0, number(dst), number(src));
    put(lane);
}

void Assembler::pextrw(Mem const& dst, Xmm src, u8 lane)
{
    legacy_rm({ 0x66, kPextrwMem.map, kPextrwMem.opcode }, 0, number(src), dst, 1);
    put(lane);
}

void Assembler::vpextrw(Gpr dst, Xmm src, u8 lane)
{
    vex_rr({ 0x66, 1, 0xC5 }, false, false, number(dst), 0, number(src));
    put(lane);
}

void Assembler::vpextrw(Mem const& dst, Xmm src, u8 lane)
{
    vex_rm({ 0x66, kPextrwMem.map, kPextrwMem.opcode }, false, false, number(src), 0, dst, 1);
    put(lane);
}

void Assembler::blendvps(Xmm dst, Xmm src) { legacy_rr({ 0x66, 2, 0x14 }, 0, number(dst), number(src)); }
void Assembler::blendvps(Xmm dst, Mem const& src) { legacy_rm({ 0x66, 2, 0x14 }, 0, number(dst), src, 0); }
void Assembler::blendvpd(Xmm dst, Xmm src) { legacy_rr({ 0x66, 2, 0x15 }, 0, number(dst), number(src)); }
void Assembler::blendvpd(Xmm dst, Mem const& src) { legacy_rm({ 0x66, 2, 0x15 }, 0, number(dst), src, 0); }
void Assembler::pblendvb(Xmm dst, Xmm src) { legacy_rr({ 0x66, 2, 0x10 }, 0, number(dst), number(src)); }
void Assembler::pblendvb(Xmm dst, Mem const& src) { legacy_rm({ 0x66, 2, 0x10 }, 0, number(dst), src, 0); }

// VEX variable blends: the mask register is in the high nibble of an imm8 (is4).
#define WK_X64_VEX_BLENDV(name, opcode, Reg, l)                                                               \
    void Assembler::name(Reg dst, Reg a, Reg b, Reg mask)                                                     \
    {                                                                                                         \
        vex_rr({ 0x66, 3, opcode }, false, l, number(dst), number(a), number(b));                             \
        put(static_cast<u8>(number(mask) << 4));                                                              \
    }
WK_X64_VEX_BLENDV(vblendvps, 0x4A, Xmm, false)
WK_X64_VEX_BLENDV(vblendvpd, 0x4B, Xmm, false)
WK_X64_VEX_BLENDV(vpblendvb, 0x4C, Xmm, false)
WK_X64_VEX_BLENDV(vblendvps, 0x4A, Ymm, true)
WK_X64_VEX_BLENDV(vpblendvb, 0x4C, Ymm, true)
#undef WK_X64_VEX_BLENDV

void Assembler::vextractf128(Xmm dst, Ymm src, u8 lane)
{
    vex_rr({ 0x66, 3, 0x19 }, false, true, number(src), 0, number(dst));
    put(lane);
}

void Assembler::vextracti128(Xmm dst, Ymm src, u8 lane)
{
    vex_rr({ 0x66, 3, 0x39 }, false, true, number(src), 0, number(dst));
    put(lane);
}

void Assembler::vinsertf128(Ymm dst, Ymm a, Xmm b, u8 lane)
{
    vex_rr({ 0x66, 3, 0x18 }, false, true, number(dst), number(a), number(b));
    put(lane);
}

void Assembler::vinserti128(Ymm dst, Ymm a, Xmm b, u8 lane)
{
    vex_rr({ 0x66, 3, 0x38 }, false, true, number(dst), number(a), number(b));
    put(lane);
}

} // namespace wk::engine::x64
