#pragma once

#include <optional>

#include "base/allocator.h"
#include "base/error.h"
#include "base/result.h"
#include "base/span.h"
#include "base/types.h"
#include "base/vector.h"
#include "engine/x64/operands.h"
#include "engine/x64/registers.h"

namespace wk::engine::x64 {

// Emits x86-64 machine code into a growable buffer: one method per instruction form,
// operands in Intel order (destination first). Methods do not return errors: the first
// failure (out of memory, a short jump out of range) is kept and reported by status()
// and finish(), and everything emitted after it is meaningless.
//
// Encodings are the shortest ones and, where several have the same length, the ones
// llvm-mc picks, so that tests can compare bytes (docs/x64-assembler.md).
class Assembler {
public:
    explicit Assembler(Allocator* allocator = nullptr);

    Assembler(const Assembler&) = delete;
    Assembler& operator=(const Assembler&) = delete;

    u32 offset() const { return m_length; }
    Span<const u8> code() const { return Span<const u8>(m_code.data(), m_length); }
    Span<const Relocation> relocations() const { return m_relocations.span(); }

    // The first error, if any.
    Result<void> status() const;
    // Fails when status() does, or when a label with uses was never bound; otherwise
    // hands over the code and leaves the assembler empty (relocations stay readable).
    Result<Vector<u8>> finish();
    // Checks as finish() does but keeps the buffer: code() and relocations() stay
    // readable until reset(), which empties the assembler and keeps its capacity (one
    // assembler serves every function of a module without reallocating).
    Result<void> check_finished() const;
    void reset();
    // Drops the code from `offset` on, which must hold no label use, relocation or
    // bound label (a peephole taking back what it just emitted).
    void rewind(u32 offset)
    {
        WK_ASSERT(offset <= m_length);
        m_length = offset;
        m_flags_end = ~0u;
    }

    // Labels and patching.
    void bind(Label& label);
    void patch_u8(u32 offset, u8 value);
    void patch_u32(u32 offset, u32 value);
    void patch_u64(u32 offset, u64 value);

    // Raw data and padding.
    void emit_u8(u8 value);
    void emit_u32(u32 value);
    void emit_u64(u64 value);
    // A 32-bit field set to label.position() - base once the label is bound (jump tables).
    void emit_label_delta(Label& label, u32 base);
    // Pads with multi-byte nops to a multiple of alignment (a power of two, at most 4096).
    void align(u32 alignment);

    // While `starts` is set, the offset of every instruction the assembler emits (not raw
    // data) is appended to it; nullptr stops. Code placement reads them
    // (code_alignment.h). NOTE: an allocation failure stops the recording and makes
    // recording_complete() false, so the caller falls back to placing without them.
    void record_instruction_starts(Vector<u32>* starts)
    {
        m_starts = starts;
        m_starts_failed = false;
    }
    bool recording_complete() const { return !m_starts_failed; }
    // Whether the instruction that ends right here is an add, or, and, sub or xor into
    // `reg` at `size`: its zero and sign flags then say what `test reg, reg` would
    // (the carry and overflow flags need not). NOTE: binding a label, rewind() and
    // reset() forget it: another path may arrive here with other flags.
    bool flags_from_result(Gpr reg, Size size) const
    {
        return m_flags_end == m_length && m_flags_reg == reg && m_flags_size == size;
    }

    // The next instruction gets a LOCK prefix, placed after any 0x66 as llvm-mc does. Only
    // read-modify-write forms with a memory destination accept it.
    void lock() { m_lock_pending = true; }

    // Arithmetic and logic: dst = dst op src. Immediates are sign-extended to the operand
    // size (the imm8 form when it fits); a Byte immediate must fit in 8 bits.
#define WK_X64_ALU(name, extension)                                                                           \
    void name(Gpr dst, Gpr src, Size size) { alu_rr(extension, dst, src, size); }                            \
    void name(Gpr dst, Mem const& src, Size size) { alu_rm(extension, dst, src, size); }                     \
    void name(Mem const& dst, Gpr src, Size size) { alu_mr(extension, dst, src, size); }                     \
    void name(Gpr dst, i32 imm, Size size) { alu_ri(extension, dst, imm, size); }                            \
    void name(Mem const& dst, i32 imm, Size size) { alu_mi(extension, dst, imm, size); }
    WK_X64_ALU(add, 0)
    WK_X64_ALU(or_, 1)
    WK_X64_ALU(adc, 2)
    WK_X64_ALU(sbb, 3)
    WK_X64_ALU(and_, 4)
    WK_X64_ALU(sub, 5)
    WK_X64_ALU(xor_, 6)
    WK_X64_ALU(cmp, 7)
#undef WK_X64_ALU

    void test(Gpr a, Gpr b, Size size);
    void test(Mem const& a, Gpr b, Size size);
    void test(Gpr a, i32 imm, Size size);
    void test(Mem const& a, i32 imm, Size size);

    // Group 3 (F6/F7) and 4/5 (FE/FF) one-operand instructions. mul/imul/div/idiv use
    // rdx:rax implicitly.
#define WK_X64_UNARY_GP(name, opcode, extension)                                                              \
    void name(Gpr reg, Size size) { unary_r(opcode, extension, reg, size); }                                  \
    void name(Mem const& mem, Size size) { unary_m(opcode, extension, mem, size); }
    WK_X64_UNARY_GP(not_, 0xF6, 2)
    WK_X64_UNARY_GP(neg, 0xF6, 3)
    WK_X64_UNARY_GP(mul, 0xF6, 4)
    WK_X64_UNARY_GP(imul, 0xF6, 5)
    WK_X64_UNARY_GP(div, 0xF6, 6)
    WK_X64_UNARY_GP(idiv, 0xF6, 7)
    WK_X64_UNARY_GP(inc, 0xFE, 0)
    WK_X64_UNARY_GP(dec, 0xFE, 1)
#undef WK_X64_UNARY_GP

    // Shifts and rotates by an immediate (the short form for 1) or by cl.
#define WK_X64_SHIFT(name, extension)                                                                         \
    void name(Gpr reg, u8 count, Size size) { shift_ri(extension, reg, count, size); }                        \
    void name(Mem const& mem, u8 count, Size size) { shift_mi(extension, mem, count, size); }                 \
    void name##_cl(Gpr reg, Size size) { unary_r(0xD2, extension, reg, size); }                              \
    void name##_cl(Mem const& mem, Size size) { unary_m(0xD2, extension, mem, size); }
    WK_X64_SHIFT(rol, 0)
    WK_X64_SHIFT(ror, 1)
    WK_X64_SHIFT(rcl, 2)
    WK_X64_SHIFT(rcr, 3)
    WK_X64_SHIFT(shl, 4)
    WK_X64_SHIFT(shr, 5)
    WK_X64_SHIFT(sar, 7)
#undef WK_X64_SHIFT

    // Double-precision shifts: dst is shifted, bits come in from src. Word/Dword/Qword.
    void shld(Gpr dst, Gpr src, u8 count, Size size);
    void shld(Mem const& dst, Gpr src, u8 count, Size size);
    void shld_cl(Gpr dst, Gpr src, Size size);
    void shld_cl(Mem const& dst, Gpr src, Size size);
    void shrd(Gpr dst, Gpr src, u8 count, Size size);
    void shrd(Mem const& dst, Gpr src, u8 count, Size size);
    void shrd_cl(Gpr dst, Gpr src, Size size);
    void shrd_cl(Mem const& dst, Gpr src, Size size);

    // Bit tests (Word/Dword/Qword): CF = bit `index` of base.
#define WK_X64_BIT_TEST(name, opcode, extension)                                                              \
    void name(Gpr base, Gpr index, Size size) { bit_test_rr(opcode, base, index, size); }                     \
    void name(Mem const& base, Gpr index, Size size) { bit_test_mr(opcode, base, index, size); }              \
    void name(Gpr base, u8 index, Size size) { bit_test_ri(extension, base, index, size); }                   \
    void name(Mem const& base, u8 index, Size size) { bit_test_mi(extension, base, index, size); }
    WK_X64_BIT_TEST(bt, 0xA3, 4)
    WK_X64_BIT_TEST(bts, 0xAB, 5)
    WK_X64_BIT_TEST(btr, 0xB3, 6)
    WK_X64_BIT_TEST(btc, 0xBB, 7)
#undef WK_X64_BIT_TEST

    // reg = op(r/m) for Word/Dword/Qword (imul: reg *= r/m).
#define WK_X64_RM(name, prefix, opcode)                                                                       \
    void name(Gpr dst, Gpr src, Size size) { gp_rr(prefix, opcode, dst, src, size); }                         \
    void name(Gpr dst, Mem const& src, Size size) { gp_rm(prefix, opcode, dst, src, size); }
    WK_X64_RM(imul, 0x00, 0xAF)
    WK_X64_RM(bsf, 0x00, 0xBC)
    WK_X64_RM(bsr, 0x00, 0xBD)
    WK_X64_RM(tzcnt, 0xF3, 0xBC)
    WK_X64_RM(lzcnt, 0xF3, 0xBD)
    WK_X64_RM(popcnt, 0xF3, 0xB8)
#undef WK_X64_RM

    void imul(Gpr dst, Gpr src, i32 imm, Size size);
    void imul(Gpr dst, Mem const& src, i32 imm, Size size);

    // Sign extension of rax into rdx (cwd/cdq/cqo) and within rax (cdqe).
    void cwd();
    void cdq();
    void cqo();
    void cdqe();

    void mov(Gpr dst, Gpr src, Size size);
    void mov(Gpr dst, Mem const& src, Size size);
    void mov(Mem const& dst, Gpr src, Size size);
    // Qword: the sign-extended imm32 form when it fits, else movabs. A Dword move
    // zero-extends into the full register and is shorter for 0..2^32-1.
    void mov(Gpr dst, i64 imm, Size size);
    void mov(Mem const& dst, i32 imm, Size size);
    // Always the 10-byte REX.W B8+r form; the immediate starts at offset() - 8.
    void movabs(Gpr dst, u64 imm);
    // movabs of a relocated 64-bit address (RelocationKind::Abs64).
    void movabs_relocated(Gpr dst, u32 target, i64 addend = 0);

    // Zero/sign extension from 8 or 16 bits into a Word/Dword/Qword register, and movsxd
    // (32 to 64 bits).
    void movzx8(Gpr dst, Gpr src, Size size);
    void movzx8(Gpr dst, Mem const& src, Size size);
    void movzx16(Gpr dst, Gpr src, Size size);
    void movzx16(Gpr dst, Mem const& src, Size size);
    void movsx8(Gpr dst, Gpr src, Size size);
    void movsx8(Gpr dst, Mem const& src, Size size);
    void movsx16(Gpr dst, Gpr src, Size size);
    void movsx16(Gpr dst, Mem const& src, Size size);
    void movsxd(Gpr dst, Gpr src);
    void movsxd(Gpr dst, Mem const& src);

    void lea(Gpr dst, Mem const& src, Size size);

    void bswap(Gpr reg, Size size);
    void setcc(Condition condition, Gpr dst);
    void setcc(Condition condition, Mem const& dst);
    void cmov(Condition condition, Gpr dst, Gpr src, Size size);
    void cmov(Condition condition, Gpr dst, Mem const& src, Size size);

    void xchg(Gpr a, Gpr b, Size size);
    void xchg(Mem const& a, Gpr b, Size size);
    void cmpxchg(Gpr dst, Gpr src, Size size);
    void cmpxchg(Mem const& dst, Gpr src, Size size);
    void xadd(Gpr dst, Gpr src, Size size);
    void xadd(Mem const& dst, Gpr src, Size size);

    void push(Gpr reg);
    void push(Mem const& mem);
    void push(i32 imm);
    void pop(Gpr reg);
    void pop(Mem const& mem);

    // Control flow. jmp/jcc to a bound label use the short form when it reaches, to an
    // unbound label the near form; the _short forms always use rel8 and make bind()
    // fail when the target is out of reach; the _near forms always use rel32.
    void jmp(Label& label);
    void jmp_short(Label& label);
    void jmp_near(Label& label);
    void jmp(Gpr target);
    void jmp(Mem const& target);
    void jmp_relocated(u32 target, i64 addend = 0);
    void jcc(Condition condition, Label& label);
    void jcc_short(Condition condition, Label& label);
    void jcc_near(Condition condition, Label& label);
    void call(Label& label);
    void call(Gpr target);
    void call(Mem const& target);
    // call rel32 with a PcRel32 relocation (addend -4: the field is 4 bytes before the end).
    void call_relocated(u32 target, i64 addend = 0);
    void ret();
    void ret(u16 pop_bytes);

    // Miscellaneous.
    void ud2();
    void int3();
    void hlt();
    void nop();
    // One multi-byte nop of 1..9 bytes per chunk, as many as needed for `bytes`.
    void nop(u32 bytes);
    void mfence();
    void lfence();
    void sfence();
    void pause();
    void rdtsc();
    void cpuid();
    void vzeroupper();

    // String operations for bulk memory: rep movs copies rcx elements from [rsi] to [rdi],
    // rep stos stores al/rax into rcx elements at [rdi]; both go upwards while DF is clear.
    void rep_movsb();
    void rep_movsq();
    void rep_stosb();
    void rep_stosq();
    void cld();

    // SSE/AVX from simd_ops.def.
    static constexpr u8 kPacked = 1;
    static constexpr u8 kCommutative = 2;
    static constexpr u8 kSymmetricPredicate = 4;

#define WK_X64_BINARY(name, prefix, map, opcode, flags)                                                       \
    void name(Xmm dst, Xmm src) { sse_rr({ prefix, map, opcode }, number(dst), number(src), 0); }           \
    void name(Xmm dst, Mem const& src) { sse_rm({ prefix, map, opcode }, number(dst), src, 0, 0); }         \
    void v##name(Xmm dst, Xmm a, Xmm b)                                                                       \
    {                                                                                                         \
        vex_rrr({ prefix, map, opcode }, flags, false, number(dst), number(a), number(b));                    \
    }                                                                                                         \
    void v##name(Xmm dst, Xmm a, Mem const& b) { vex_rrm({ prefix, map, opcode }, false, number(dst), number(a), b, 0); } \
    template<typename = void>                                                                                 \
        requires(((flags) & kPacked) != 0)                                                                    \
    void v##name(Ymm dst, Ymm a, Ymm b)                                                                       \
    {                                                                                                         \
        vex_rrr({ prefix, map, opcode }, flags, true, number(dst), number(a), number(b));                     \
    }                                                                                                         \
    template<typename = void>                                                                                 \
        requires(((flags) & kPacked) != 0)                                                                    \
    void v##name(Ymm dst, Ymm a, Mem const& b) { vex_rrm({ prefix, map, opcode }, true, number(dst), number(a), b, 0); }

#define WK_X64_BINARY_IMM(name, prefix, map, opcode, flags)                                                   \
    void name(Xmm dst, Xmm src, u8 imm) { sse_rr({ prefix, map, opcode }, number(dst), number(src), 0); put(imm); } \
    void name(Xmm dst, Mem const& src, u8 imm) { sse_rm({ prefix, map, opcode }, number(dst), src, 0, 1); put(imm); } \
    void v##name(Xmm dst, Xmm a, Xmm b, u8 imm)                                                               \
    {                                                                                                         \
        vex_rrr({ prefix, map, opcode }, imm_flags(flags, imm), false, number(dst), number(a), number(b));     \
        put(imm);                                                                                             \
    }                                                                                                         \
    void v##name(Xmm dst, Xmm a, Mem const& b, u8 imm)                                                        \
    {                                                                                                         \
        vex_rrm({ prefix, map, opcode }, false, number(dst), number(a), b, 1);                                 \
        put(imm);                                                                                             \
    }                                                                                                         \
    template<typename = void>                                                                                 \
        requires(((flags) & kPacked) != 0)                                                                    \
    void v##name(Ymm dst, Ymm a, Ymm b, u8 imm)                                                               \
    {                                                                                                         \
        vex_rrr({ prefix, map, opcode }, imm_flags(flags, imm), true, number(dst), number(a), number(b));      \
        put(imm);                                                                                             \
    }                                                                                                         \
    template<typename = void>                                                                                 \
        requires(((flags) & kPacked) != 0)                                                                    \
    void v##name(Ymm dst, Ymm a, Mem const& b, u8 imm)                                                        \
    {                                                                                                         \
        vex_rrm({ prefix, map, opcode }, true, number(dst), number(a), b, 1);                                  \
        put(imm);                                                                                             \
    }

#define WK_X64_UNARY(name, prefix, map, opcode, flags)                                                        \
    void name(Xmm dst, Xmm src) { sse_rr({ prefix, map, opcode }, number(dst), number(src), 0); }           \
    void name(Xmm dst, Mem const& src) { sse_rm({ prefix, map, opcode }, number(dst), src, 0, 0); }         \
    void v##name(Xmm dst, Xmm src) { vex_rr({ prefix, map, opcode }, false, false, number(dst), 0, number(src)); } \
    void v##name(Xmm dst, Mem const& src) { vex_rm({ prefix, map, opcode }, false, false, number(dst), 0, src, 0); } \
    template<typename = void>                                                                                 \
        requires(((flags) & kPacked) != 0)                                                                    \
    void v##name(Ymm dst, Ymm src) { vex_rr({ prefix, map, opcode }, false, true, number(dst), 0, number(src)); } \
    template<typename = void>                                                                                 \
        requires(((flags) & kPacked) != 0)                                                                    \
    void v##name(Ymm dst, Mem const& src) { vex_rm({ prefix, map, opcode }, false, true, number(dst), 0, src, 0); }

#define WK_X64_UNARY_IMM(name, prefix, map, opcode, flags)                                                    \
    void name(Xmm dst, Xmm src, u8 imm) { sse_rr({ prefix, map, opcode }, number(dst), number(src), 0); put(imm); } \
    void name(Xmm dst, Mem const& src, u8 imm) { sse_rm({ prefix, map, opcode }, number(dst), src, 0, 1); put(imm); } \
    void v##name(Xmm dst, Xmm src, u8 imm)                                                                    \
    {                                                                                                         \
        vex_rr({ prefix, map, opcode }, false, false, number(dst), 0, number(src));                            \
        put(imm);                                                                                             \
    }                                                                                                         \
    void v##name(Xmm dst, Mem const& src, u8 imm)                                                             \
    {                                                                                                         \
        vex_rm({ prefix, map, opcode }, false, false, number(dst), 0, src, 1);                                 \
        put(imm);                                                                                             \
    }                                                                                                         \
    template<typename = void>                                                                                 \
        requires(((flags) & kPacked) != 0)                                                                    \
    void v##name(Ymm dst, Ymm src, u8 imm)                                                                    \
    {                                                                                                         \
        vex_rr({ prefix, map, opcode }, false, true, number(dst), 0, number(src));                             \
        put(imm);                                                                                             \
    }                                                                                                         \
    template<typename = void>                                                                                 \
        requires(((flags) & kPacked) != 0)                                                                    \
    void v##name(Ymm dst, Mem const& src, u8 imm)                                                             \
    {                                                                                                         \
        vex_rm({ prefix, map, opcode }, false, true, number(dst), 0, src, 1);                                  \
        put(imm);                                                                                             \
    }

#define WK_X64_SHIFT_IMM(name, opcode, extension)                                                             \
    void name(Xmm reg, u8 count) { sse_rr({ 0x66, 1, opcode }, extension, number(reg), 0); put(count); }     \
    void v##name(Xmm dst, Xmm src, u8 count)                                                                  \
    {                                                                                                         \
        vex_rr({ 0x66, 1, opcode }, false, false, extension, number(dst), number(src));                        \
        put(count);                                                                                           \
    }                                                                                                         \
    void v##name(Ymm dst, Ymm src, u8 count)                                                                  \
    {                                                                                                         \
        vex_rr({ 0x66, 1, opcode }, false, true, extension, number(dst), number(src));                         \
        put(count);                                                                                           \
    }

#define WK_X64_MOVE(name, prefix, load_opcode, store_opcode, flags)                                           \
    void name(Xmm dst, Xmm src) { sse_rr({ prefix, 1, load_opcode }, number(dst), number(src), 0); }        \
    void name(Xmm dst, Mem const& src) { sse_rm({ prefix, 1, load_opcode }, number(dst), src, 0, 0); }      \
    void name(Mem const& dst, Xmm src) { sse_rm({ prefix, 1, store_opcode }, number(src), dst, 0, 0); }     \
    void v##name(Xmm dst, Xmm src) { vex_move({ prefix, 1, load_opcode }, store_opcode, false, number(dst), number(src)); } \
    void v##name(Xmm dst, Mem const& src) { vex_rm({ prefix, 1, load_opcode }, false, false, number(dst), 0, src, 0); } \
    void v##name(Mem const& dst, Xmm src) { vex_rm({ prefix, 1, store_opcode }, false, false, number(src), 0, dst, 0); } \
    void v##name(Ymm dst, Ymm src) { vex_move({ prefix, 1, load_opcode }, store_opcode, true, number(dst), number(src)); } \
    void v##name(Ymm dst, Mem const& src) { vex_rm({ prefix, 1, load_opcode }, false, true, number(dst), 0, src, 0); } \
    void v##name(Mem const& dst, Ymm src) { vex_rm({ prefix, 1, store_opcode }, false, true, number(src), 0, dst, 0); }

#define WK_X64_VEX_BROADCAST(name, opcode)                                                                    \
    void name(Xmm dst, Xmm src) { vex_rr({ 0x66, 2, opcode }, false, false, number(dst), 0, number(src)); }  \
    void name(Xmm dst, Mem const& src) { vex_rm({ 0x66, 2, opcode }, false, false, number(dst), 0, src, 0); } \
    void name(Ymm dst, Xmm src) { vex_rr({ 0x66, 2, opcode }, false, true, number(dst), 0, number(src)); }   \
    void name(Ymm dst, Mem const& src) { vex_rm({ 0x66, 2, opcode }, false, true, number(dst), 0, src, 0); }

#define WK_X64_FMA(name, opcode, w, flags)                                                                    \
    void name(Xmm dst, Xmm a, Xmm b) { vex_rr({ 0x66, 2, opcode }, w, false, number(dst), number(a), number(b)); } \
    void name(Xmm dst, Xmm a, Mem const& b) { vex_rm({ 0x66, 2, opcode }, w, false, number(dst), number(a), b, 0); } \
    template<typename = void>                                                                                 \
        requires(((flags) & kPacked) != 0)                                                                    \
    void name(Ymm dst, Ymm a, Ymm b) { vex_rr({ 0x66, 2, opcode }, w, true, number(dst), number(a), number(b)); } \
    template<typename = void>                                                                                 \
        requires(((flags) & kPacked) != 0)                                                                    \
    void name(Ymm dst, Ymm a, Mem const& b) { vex_rm({ 0x66, 2, opcode }, w, true, number(dst), number(a), b, 0); }

#include "engine/x64/simd_ops.def"

    // Moves between the 64-bit halves: movhlps dst.low = src.high, movlhps dst.high = src.low.
    void movhlps(Xmm dst, Xmm src) { sse_rr({ 0, 1, 0x12 }, number(dst), number(src), 0); }
    void movlhps(Xmm dst, Xmm src) { sse_rr({ 0, 1, 0x16 }, number(dst), number(src), 0); }
    void vmovhlps(Xmm dst, Xmm a, Xmm b) { vex_rr({ 0, 1, 0x12 }, false, false, number(dst), number(a), number(b)); }
    void vmovlhps(Xmm dst, Xmm a, Xmm b) { vex_rr({ 0, 1, 0x16 }, false, false, number(dst), number(a), number(b)); }

    // SSE forms that move between xmm and general-purpose registers or memory.
    void movd(Xmm dst, Gpr src);
    void movd(Gpr dst, Xmm src);
    void movd(Xmm dst, Mem const& src);
    void movd(Mem const& dst, Xmm src);
    void movq(Xmm dst, Gpr src);
    void movq(Gpr dst, Xmm src);
    void movq(Xmm dst, Mem const& src);
    void movq(Mem const& dst, Xmm src);
    void movq(Xmm dst, Xmm src);
    void vmovd(Xmm dst, Gpr src);
    void vmovd(Gpr dst, Xmm src);
    void vmovd(Xmm dst, Mem const& src);
    void vmovd(Mem const& dst, Xmm src);
    void vmovq(Xmm dst, Gpr src);
    void vmovq(Gpr dst, Xmm src);
    void vmovq(Xmm dst, Mem const& src);
    void vmovq(Mem const& dst, Xmm src);
    void vmovq(Xmm dst, Xmm src);

    // movss/movsd between registers merge into the low lane of dst; a load zeroes the rest.
    void movss(Xmm dst, Xmm src);
    void movss(Xmm dst, Mem const& src);
    void movss(Mem const& dst, Xmm src);
    void movsd(Xmm dst, Xmm src);
    void movsd(Xmm dst, Mem const& src);
    void movsd(Mem const& dst, Xmm src);
    void vmovss(Xmm dst, Xmm a, Xmm b);
    void vmovss(Xmm dst, Mem const& src);
    void vmovss(Mem const& dst, Xmm src);
    void vmovsd(Xmm dst, Xmm a, Xmm b);
    void vmovsd(Xmm dst, Mem const& src);
    void vmovsd(Mem const& dst, Xmm src);

    // Integer <-> float conversions; `size` is the integer's (Dword or Qword).
    void cvtsi2ss(Xmm dst, Gpr src, Size size);
    void cvtsi2ss(Xmm dst, Mem const& src, Size size);
    void cvtsi2sd(Xmm dst, Gpr src, Size size);
    void cvtsi2sd(Xmm dst, Mem const& src, Size size);
    void vcvtsi2ss(Xmm dst, Xmm a, Gpr src, Size size);
    void vcvtsi2ss(Xmm dst, Xmm a, Mem const& src, Size size);
    void vcvtsi2sd(Xmm dst, Xmm a, Gpr src, Size size);
    void vcvtsi2sd(Xmm dst, Xmm a, Mem const& src, Size size);
#define WK_X64_CVT_TO_INT(name, prefix, opcode)                                                               \
    void name(Gpr dst, Xmm src, Size size) { sse_gpr_rr({ prefix, 1, opcode }, number(dst), number(src), size); } \
    void name(Gpr dst, Mem const& src, Size size) { sse_gpr_rm({ prefix, 1, opcode }, number(dst), src, size); } \
    void v##name(Gpr dst, Xmm src, Size size) { vex_rr({ prefix, 1, opcode }, size == Size::Qword, false, number(dst), 0, number(src)); } \
    void v##name(Gpr dst, Mem const& src, Size size) { vex_rm({ prefix, 1, opcode }, size == Size::Qword, false, number(dst), 0, src, 0); }
    WK_X64_CVT_TO_INT(cvttss2si, 0xF3, 0x2C)
    WK_X64_CVT_TO_INT(cvtss2si, 0xF3, 0x2D)
    WK_X64_CVT_TO_INT(cvttsd2si, 0xF2, 0x2C)
    WK_X64_CVT_TO_INT(cvtsd2si, 0xF2, 0x2D)
#undef WK_X64_CVT_TO_INT

    // Sign masks into the low bits of a 32-bit register.
    void movmskps(Gpr dst, Xmm src);
    void movmskpd(Gpr dst, Xmm src);
    void pmovmskb(Gpr dst, Xmm src);
    void vmovmskps(Gpr dst, Xmm src);
    void vmovmskpd(Gpr dst, Xmm src);
    void vpmovmskb(Gpr dst, Xmm src);

    // Lane inserts and extracts; the register forms read/write a 32-bit (q: 64-bit) register.
    void pinsrb(Xmm dst, Gpr src, u8 lane);
    void pinsrb(Xmm dst, Mem const& src, u8 lane);
    void pinsrw(Xmm dst, Gpr src, u8 lane);
    void pinsrw(Xmm dst, Mem const& src, u8 lane);
    void pinsrd(Xmm dst, Gpr src, u8 lane);
    void pinsrd(Xmm dst, Mem const& src, u8 lane);
    void pinsrq(Xmm dst, Gpr src, u8 lane);
    void pinsrq(Xmm dst, Mem const& src, u8 lane);
    void pextrb(Gpr dst, Xmm src, u8 lane);
    void pextrb(Mem const& dst, Xmm src, u8 lane);
    void pextrw(Gpr dst, Xmm src, u8 lane);
    void pextrw(Mem const& dst, Xmm src, u8 lane);
    void pextrd(Gpr dst, Xmm src, u8 lane);
    void pextrd(Mem const& dst, Xmm src, u8 lane);
    void pextrq(Gpr dst, Xmm src, u8 lane);
    void pextrq(Mem const& dst, Xmm src, u8 lane);
    void extractps(Gpr dst, Xmm src, u8 lane);
    void extractps(Mem const& dst, Xmm src, u8 lane);
    void vpinsrb(Xmm dst, Xmm a, Gpr src, u8 lane);
    void vpinsrw(Xmm dst, Xmm a, Gpr src, u8 lane);
    void vpinsrd(Xmm dst, Xmm a, Gpr src, u8 lane);
    void vpinsrq(Xmm dst, Xmm a, Gpr src, u8 lane);
    void vpinsrb(Xmm dst, Xmm a, Mem const& src, u8 lane);
    void vpinsrw(Xmm dst, Xmm a, Mem const& src, u8 lane);
    void vpinsrd(Xmm dst, Xmm a, Mem const& src, u8 lane);
    void vpinsrq(Xmm dst, Xmm a, Mem const& src, u8 lane);
    void vpextrb(Gpr dst, Xmm src, u8 lane);
    void vpextrb(Mem const& dst, Xmm src, u8 lane);
    void vpextrw(Gpr dst, Xmm src, u8 lane);
    void vpextrw(Mem const& dst, Xmm src, u8 lane);
    void vpextrd(Gpr dst, Xmm src, u8 lane);
    void vpextrd(Mem const& dst, Xmm src, u8 lane);
    void vpextrq(Gpr dst, Xmm src, u8 lane);
    void vpextrq(Mem const& dst, Xmm src, u8 lane);
    void vextractps(Gpr dst, Xmm src, u8 lane);
    void vextractps(Mem const& dst, Xmm src, u8 lane);

    // Variable blends: SSE4.1 forms select by xmm0 implicitly; VEX forms take the mask.
    void blendvps(Xmm dst, Xmm src);
    void blendvps(Xmm dst, Mem const& src);
    void blendvpd(Xmm dst, Xmm src);
    void blendvpd(Xmm dst, Mem const& src);
    void pblendvb(Xmm dst, Xmm src);
    void pblendvb(Xmm dst, Mem const& src);
    void vblendvps(Xmm dst, Xmm a, Xmm b, Xmm mask);
    void vblendvpd(Xmm dst, Xmm a, Xmm b, Xmm mask);
    void vpblendvb(Xmm dst, Xmm a, Xmm b, Xmm mask);
    void vblendvps(Ymm dst, Ymm a, Ymm b, Ymm mask);
    void vpblendvb(Ymm dst, Ymm a, Ymm b, Ymm mask);

    // 128-bit halves of ymm registers (lane 0 or 1).
    void vextractf128(Xmm dst, Ymm src, u8 lane);
    void vextracti128(Xmm dst, Ymm src, u8 lane);
    void vinsertf128(Ymm dst, Ymm a, Xmm b, u8 lane);
    void vinserti128(Ymm dst, Ymm a, Xmm b, u8 lane);

private:
    // An opcode: mandatory prefix (0, 0x66, 0xF3, 0xF2), map (0 none, 1 0F, 2 0F38,
    // 3 0F3A) and the opcode byte.
    struct Op {
        u8 prefix;
        u8 map;
        u8 code;
    };
    // Legacy prefix flags.
    static constexpr u8 kRexW = 1;
    static constexpr u8 kOperandSize = 2;
    static constexpr u8 kByteReg = 4; // the ModRM.reg register is a byte register
    static constexpr u8 kByteRm = 8;  // the ModRM.rm register is a byte register

    enum class FixupKind : u8 {
        Rel8,
        Rel32,
        Delta32,
    };
    struct Fixup {
        u32 field;    // offset of the field to patch
        u32 next;     // previous use of the same label, or Label::kNone
        u32 base;     // Rel*: end of the instruction; Delta32: the base offset
        FixupKind kind;
    };

    static u8 size_flags(Size size);
    static u8 imm_flags(u8 flags, u8 imm);

    // Appends bytes; inline because every instruction goes through here.
    void put(u8 byte)
    {
        if (m_length == m_code.size()) [[unlikely]] {
            if (!grow())
                return;
        }
        m_code.data()[m_length++] = byte;
    }
    void put16(u16 value)
    {
        put(static_cast<u8>(value));
        put(static_cast<u8>(value >> 8));
    }
    void put32(u32 value)
    {
        if (m_code.size() - m_length < 4) [[unlikely]] {
            put16(static_cast<u16>(value));
            put16(static_cast<u16>(value >> 16));
            return;
        }
        u8* out = m_code.data() + m_length;
        for (int i = 0; i < 4; ++i)
            out[i] = static_cast<u8>(value >> (8 * i));
        m_length += 4;
    }
    void put64(u64 value)
    {
        put32(static_cast<u32>(value));
        put32(static_cast<u32>(value >> 32));
    }
    bool grow();
    void fail(Error error);
    void note_flags_result(u8 extension, Gpr dst, Size size)
    {
        // add, or, and, sub, xor (adc, sbb and cmp excluded).
        if (extension == 0 || extension == 1 || extension == 4 || extension == 5 || extension == 6) {
            m_flags_end = m_length;
            m_flags_reg = dst;
            m_flags_size = size;
        }
    }
    void note_instruction_start()
    {
        if (m_starts != nullptr && m_starts->try_append(m_length).is_error()) [[unlikely]] {
            m_starts = nullptr;
            m_starts_failed = true;
        }
    }

    // Encoding classes. `reg` and `rm` are 4-bit register numbers (or a ModRM.reg opcode
    // extension); trailing is the number of immediate bytes after the memory operand.
    void legacy_prefix(Op op, u8 flags, u8 reg, u8 index, u8 base);
    void legacy_rr(Op op, u8 flags, u8 reg, u8 rm);
    void legacy_rm(Op op, u8 flags, u8 reg, Mem const& mem, u8 trailing);
    void legacy_opreg(Op op, u8 flags, u8 reg);
    void vex_prefix(Op op, bool w, bool l, u8 reg, u8 vvvv, u8 index, u8 base);
    void vex_rr(Op op, bool w, bool l, u8 reg, u8 vvvv, u8 rm);
    void vex_rm(Op op, bool w, bool l, u8 reg, u8 vvvv, Mem const& mem, u8 trailing);
    void vex_rrr(Op op, u8 flags, bool l, u8 dst, u8 a, u8 b);
    void vex_rrm(Op op, bool l, u8 dst, u8 a, Mem const& b, u8 trailing) { vex_rm(op, false, l, dst, a, b, trailing); }
    void vex_move(Op load, u8 store_opcode, bool l, u8 dst, u8 src);
    void modrm_mem(u8 reg, Mem const& mem, u8 trailing);
    void sse_rr(Op op, u8 reg, u8 rm, u8 flags) { legacy_rr(op, flags, reg, rm); }
    void sse_rm(Op op, u8 reg, Mem const& mem, u8 flags, u8 trailing) { legacy_rm(op, flags, reg, mem, trailing); }
    void sse_gpr_rr(Op op, u8 reg, u8 rm, Size size);
    void sse_gpr_rm(Op op, u8 reg, Mem const& mem, Size size);

    void alu_rr(u8 extension, Gpr dst, Gpr src, Size size);
    void alu_rm(u8 extension, Gpr dst, Mem const& src, Size size);
    void alu_mr(u8 extension, Mem const& dst, Gpr src, Size size);
    void alu_ri(u8 extension, Gpr dst, i32 imm, Size size);
    void alu_mi(u8 extension, Mem const& dst, i32 imm, Size size);
    void unary_r(u8 opcode, u8 extension, Gpr reg, Size size);
    void unary_m(u8 opcode, u8 extension, Mem const& mem, Size size);
    void shift_ri(u8 extension, Gpr reg, u8 count, Size size);
    void shift_mi(u8 extension, Mem const& mem, u8 count, Size size);
    void bit_test_rr(u8 opcode, Gpr base, Gpr index, Size size);
    void bit_test_mr(u8 opcode, Mem const& base, Gpr index, Size size);
    void bit_test_ri(u8 extension, Gpr base, u8 index, Size size);
    void bit_test_mi(u8 extension, Mem const& base, u8 index, Size size);
    void gp_rr(u8 prefix, u8 opcode, Gpr dst, Gpr src, Size size);
    void gp_rm(u8 prefix, u8 opcode, Gpr dst, Mem const& src, Size size);
    void put_imm(i32 imm, Size size);

    void jump_to(Label& label, u8 short_opcode, Op near_op, bool allow_short, bool allow_near);
    void use_label(Label& label, FixupKind kind, u32 field, u32 base);
    void resolve(Fixup const& fixup, u32 position);
    void record_relocation(u32 field, RelocationKind kind, u32 target, i64 addend);

    Vector<u8> m_code; // its size is the capacity; m_length bytes are code
    u32 m_length { 0 };
    Vector<Fixup> m_fixups;
    u32 m_unresolved_fixups { 0 };
    Vector<Relocation> m_relocations;
    std::optional<Error> m_error;
    bool m_lock_pending { false };
    Vector<u32>* m_starts { nullptr };
    // flags_from_result: where the last such ALU instruction ended (~0: none), its register and size.
    u32 m_flags_end { ~0u };
    Gpr m_flags_reg { Gpr::rax };
    Size m_flags_size { Size::Qword };
    bool m_starts_failed { false };
};

} // namespace wk::engine::x64
