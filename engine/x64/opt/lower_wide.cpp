// Wide arithmetic of the optimising tier (i64.add128, i64.sub128, i64.mul_wide_s/u), the
// same instructions as the baseline's (engine/x64/baseline/integer.cpp): add/adc and
// sub/sbb on a pair, one-operand mul/imul into rdx:rax.
//
// NOTE: the allocator blocks rax and rdx at these instructions (as at a division), so no
// operand is in either; the two results (low half, high half) are computed in rax and
// rdx and then moved to their places as one parallel move (a result may have been given
// rax or rdx).

#include "engine/x64/opt/optimizing_compiler.h"
#include "engine/x64/opt/scratch.h"

namespace wk::engine::x64::opt {

using engine::opt::Op;
using namespace x64::abi;

Result<void> OptimizingCompiler::emit_wide_arithmetic(Inst inst)
{
    Op op = m_function.inst(inst).op;
    Span<const u32> args = m_function.args(inst);
    if (op == Op::I64Add128 || op == Op::I64Sub128) {
        // Every operand is loaded before the add/sub: no load may run between it and
        // the adc/sbb that reads its carry.
        load_gpr(Gpr::rax, args[0]);
        load_gpr(Gpr::rdx, args[1]);
        load_gpr(kScratch, args[2]);
        load_gpr(kScratch2, args[3]);
        if (op == Op::I64Add128) {
            m_asm.add(Gpr::rax, kScratch, Size::Qword);
            m_asm.adc(Gpr::rdx, kScratch2, Size::Qword);
        } else {
            m_asm.sub(Gpr::rax, kScratch, Size::Qword);
            m_asm.sbb(Gpr::rdx, kScratch2, Size::Qword);
        }
    } else {
        load_gpr(Gpr::rax, args[0]);
        load_gpr(kScratch, args[1]);
        if (op == Op::I64MulWideS)
            m_asm.imul(kScratch, Size::Qword);
        else
            m_asm.mul(kScratch, Size::Qword);
    }
    m_moves.clear();
    const Gpr halves[2] = { Gpr::rax, Gpr::rdx };
    for (u32 k = 0; k < 2; ++k) {
        Value result = m_function.result(inst, k);
        LocKind kind = m_alloc.loc(result).kind;
        if (kind != LocKind::Reg && kind != LocKind::Slot)
            continue; // unused: no place
        MoveLoc from;
        from.reg = number(halves[k]);
        TRY(m_moves.try_append(Move { value_loc(result), from }));
    }
    return emit_parallel_moves(m_moves);
}

} // namespace wk::engine::x64::opt
