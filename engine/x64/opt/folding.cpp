// Folded values (regalloc.h, Allocator::is_folded and address_fold;
// docs/optimizing-compiler.md, "Folding into lea and addresses").

#include "engine/opt/ranges.h"
#include "engine/x64/opt/regalloc.h"

namespace wk::engine::x64::opt {

using engine::opt::kNone;
using engine::opt::Op;
using engine::opt::ValueKind;

Result<void> Allocator::fold_operands(const Function& f)
{
    TRY(fold_lea_operands(f));
    TRY(fold_addresses(f));
    return fold_loads(f);
}

bool Allocator::is_folded_load(const Function& f, Value v) const
{
    if (m_fold_at[v] == kNone || f.value(v).kind != ValueKind::Result)
        return false;
    Op op = f.inst(f.value(v).def).op;
    return op == Op::I32Load || op == Op::I64Load;
}

Result<void> Allocator::fold_loads(const Function& f)
{
    auto is_constant = [&](Value v) {
        return f.value(v).kind == ValueKind::Result && f.inst(f.value(v).def).op == Op::Const;
    };
    // At most this many instructions between the load and its use are looked through.
    constexpr u32 kReach = 8;
    for (Block b : f.layout()) {
        Span<const u32> insts = f.insts(b);
        for (u32 k = 0; k < insts.size(); ++k) {
            Inst use = insts[k];
            Op op = f.inst(use).op;
            bool commutative = op == Op::I32Add || op == Op::I64Add || op == Op::I32Mul || op == Op::I64Mul
                || op == Op::I32And || op == Op::I64And || op == Op::I32Or || op == Op::I64Or || op == Op::I32Xor
                || op == Op::I64Xor;
            if (!commutative && op != Op::I32Sub && op != Op::I64Sub)
                continue;
            Span<const u32> args = f.args(use);
            // Not into an instruction folded itself (an address, a sum) or emitted as a
            // lea with a folded operand: those read their operands from registers. Nor
            // into an add or sub of a constant, which may stand between a compare fused
            // early and its branch and then is a lea (preserves_flags; and `c op [mem]`
            // saves nothing).
            if (m_fold_at[f.result(use)] != kNone || m_fold_at[args[0]] != kNone || m_fold_at[args[1]] != kNone
                || is_constant(args[0]) || is_constant(args[1]))
                continue;
            for (u32 j = 2; j-- > 0;) {
                if (j == 0 && !commutative)
                    break;
                Value v = args[j];
                if (args[1 - j] == v || f.value(v).kind != ValueKind::Result || m_uses[v] != 1 || m_fold_at[v] != kNone)
                    continue;
                Inst load = f.value(v).def;
                const engine::opt::InstData& data = f.inst(load);
                bool guarded = (data.flags & engine::opt::kGuarded) && !(data.flags & engine::opt::kChecked);
                // A load of the op's width, which x86 reads as a memory operand (a narrow
                // load would need a register of its own anyway).
                bool wide = op == Op::I64Add || op == Op::I64Sub || op == Op::I64Mul || op == Op::I64And
                    || op == Op::I64Or || op == Op::I64Xor;
                if (data.block != b || data.op != (wide ? Op::I64Load : Op::I32Load) || !guarded || data.imm2 != 0)
                    continue;
                // Only pure instructions between: the load's trap stays in order.
                u32 between = k;
                while (between > 0 && k - between < kReach && insts[between - 1] != load
                       && (engine::opt::op_info(f.inst(insts[between - 1]).op).effects
                           & ~(engine::opt::fx::kCommutative | engine::opt::fx::kGlobalRead)) == 0)
                    --between;
                if (between == 0 || insts[between - 1] != load)
                    continue;
                u32 at = m_inst_position[use];
                // What the load's address folded (its sum and shift) is read where it now is.
                u32 old = m_inst_position[load];
                Value address = f.args(load)[0];
                if (m_fold_at[address] == old) {
                    m_fold_at[address] = at;
                    for (Value part : f.args(f.value(address).def)) {
                        if (m_fold_at[part] == old)
                            m_fold_at[part] = at;
                    }
                }
                m_fold_at[v] = at;
                break;
            }
        }
    }
    return {};
}

Result<void> Allocator::fold_lea_operands(const Function& f)
{
    auto is_const = [&](Value v) {
        return f.value(v).kind == ValueKind::Result && f.inst(f.value(v).def).op == Op::Const;
    };
    // Shifts folded into the add that uses them: x + (y << k).
    for (Block b : f.layout()) {
        for (Inst i : f.insts(b)) {
            Op op = f.inst(i).op;
            if (op != Op::I32Add && op != Op::I64Add)
                continue;
            Span<const u32> args = f.args(i);
            for (u32 j = 0; j < 2; ++j) {
                Value v = args[j];
                if (is_const(args[1 - j]) || f.value(v).kind != ValueKind::Result || m_uses[v] != 1)
                    continue;
                Inst shift = f.value(v).def;
                if (f.inst(shift).block != b || f.inst(shift).op != (op == Op::I32Add ? Op::I32Shl : Op::I64Shl))
                    continue;
                Span<const u32> shift_args = f.args(shift);
                if (is_const(shift_args[0]) || !is_const(shift_args[1]))
                    continue;
                u64 count = f.inst(f.value(shift_args[1]).def).imm & (op == Op::I32Add ? 31 : 63);
                if (count < 1 || count > 3)
                    continue;
                m_fold_at[v] = m_inst_position[i];
                break;
            }
        }
    }
    // Sums folded into the add or sub of a constant that uses them: (x + (y << k)) ± c.
    for (Block b : f.layout()) {
        for (Inst i : f.insts(b)) {
            Op op = f.inst(i).op;
            bool sub = op == Op::I32Sub || op == Op::I64Sub;
            if (op != Op::I32Add && op != Op::I64Add && !sub)
                continue;
            Span<const u32> args = f.args(i);
            u32 k = is_const(args[1]) ? 1 : (!sub && is_const(args[0])) ? 0 : 2;
            if (k == 2)
                continue;
            bool wide = op == Op::I64Add || op == Op::I64Sub;
            u64 c = f.inst(f.value(args[k]).def).imm;
            if (sub)
                c = 0 - c;
            Value sum = args[1 - k];
            if (wide && static_cast<i64>(c) != static_cast<i32>(c))
                continue;
            op = wide ? Op::I64Add : Op::I32Add; // the inner sum's op
            if (f.value(sum).kind != ValueKind::Result || m_uses[sum] != 1 || m_fold_at[sum] != kNone)
                continue;
            Inst inner = f.value(sum).def;
            if (f.inst(inner).op != op || f.inst(inner).block != b || is_const(f.args(inner)[0]) || is_const(f.args(inner)[1]))
                continue;
            m_fold_at[sum] = m_inst_position[i];
            for (Value v : f.args(inner)) {
                if (m_fold_at[v] != kNone)
                    m_fold_at[v] = m_inst_position[i]; // its shift: y is read at the lea
            }
        }
    }
    return {};
}

Result<void> Allocator::fold_addresses(const Function& f)
{
    m_address_folds.clear();
    TRY(m_address_fold_of.try_resize(f.inst_count(), kNone));
    for (u32& index : m_address_fold_of)
        index = kNone;
    auto constant = [&](Value v, u64* bits) {
        if (f.value(v).kind != ValueKind::Result || f.inst(f.value(v).def).op != Op::Const)
            return false;
        *bits = f.inst(f.value(v).def).imm & 0xFFFF'FFFFu;
        return true;
    };
    // The instruction defining `v` when it is an `op` in block `b` whose result only
    // the access reads (through the chain being folded), else kNone.
    auto only_here = [&](Value v, Op op, Block b) -> Inst {
        if (f.value(v).kind != ValueKind::Result || m_uses[v] != 1 || m_fused[v] || m_fold_at[v] != kNone)
            return kNone;
        Inst def = f.value(v).def;
        return f.inst(def).op == op && f.inst(def).block == b ? def : kNone;
    };
    u64 c = 0;
    for (Block b : f.layout()) {
        for (Inst access : f.insts(b)) {
            const engine::opt::InstData& data = f.inst(access);
            bool guarded = (data.flags & engine::opt::kGuarded) && !(data.flags & engine::opt::kChecked);
            if (data.op < Op::I32Load || data.op > Op::I64Store32 || !guarded || data.imm2 != 0)
                continue;
            Value address = f.args(access)[0];
            u64 added = 0;
            Value rest = address;
            Inst add = only_here(address, Op::I32Add, b);
            if (add != kNone) {
                Span<const u32> args = f.args(add);
                u32 k = constant(args[1], &c) ? 1 : constant(args[0], &c) ? 0 : 2;
                if (k == 2 || constant(args[1 - k], &c))
                    add = kNone;
                else {
                    added = f.inst(f.value(args[k]).def).imm & 0xFFFF'FFFFu;
                    rest = args[1 - k];
                }
            }
            if (m_fold_at[rest] != kNone)
                continue; // a sum folded into its add (a lea), which the access would not see
            AddressFold fold { rest, 0, 0 };
            Inst shift = only_here(rest, Op::I32Shl, b);
            u64 count = 0;
            if (shift != kNone && !constant(f.args(shift)[0], &c) && constant(f.args(shift)[1], &count)
                && (count & 31) >= 1 && (count & 31) <= 3
                && (u64 { engine::opt::max_u32(f, f.args(shift)[0]) } << (count & 31)) + added <= 0xFFFF'FFFFu) {
                fold = AddressFold { f.args(shift)[0], static_cast<u8>(count & 31), 0 };
            } else {
                shift = kNone;
                if (add == kNone || u64 { engine::opt::max_u32(f, rest) } + added > 0xFFFF'FFFFu)
                    continue;
            }
            // The displacement is a signed 32-bit field; guarded offsets are below 2^31.
            if (added + data.imm > 0x7FFF'FFFFu)
                continue;
            fold.displacement = static_cast<i32>(added + data.imm);
            if (add != kNone)
                m_fold_at[address] = m_inst_position[access];
            if (shift != kNone)
                m_fold_at[f.result(shift)] = m_inst_position[access];
            m_address_fold_of[access] = m_address_folds.size();
            TRY(m_address_folds.try_append(fold));
        }
    }
    return {};
}

} // namespace wk::engine::x64::opt
