// The optimising tier's driver and control flow: frame, prologue, blocks, branches,
// switches, returns and calls. Per-op lowering is in lower*.cpp (SIMD: lower_simd.cpp), moves in moves.cpp.
//
// Frame (rbp-relative), the shared header of docs/engine-abi.md:
//   [rbp + 16 ...]  incoming stack arguments     [rbp + 8] return address
//   [rbp]           caller's rbp                 [rbp - 8], [rbp - 16] caller's r14, r15
//   [rbp - 24]      results area pointer (multi-value functions)
//   [rbp - 32 - 8 * (s + 1)]  spill or save slot s (8 bytes); a v128 takes slots s and s + 1
//                             and sits at slot s + 1's address (regalloc.h, slot_span)
//   below rsp       a call site's outgoing area, pushed only around the call

#include "engine/x64/opt/optimizing_compiler.h"

#include <algorithm>
#include <cstddef>

#include "engine/opt/passes.h"
#include "engine/x64/abi/trampolines.h"

namespace wk::engine::x64::opt {

using engine::opt::kNone;
using engine::opt::Op;
using engine::opt::Type;
using namespace x64::abi;
using x64::baseline::gpr;
using x64::baseline::xmm;

namespace {

constexpr u32 align16(u32 value) { return (value + 15) & ~15u; }

} // namespace

OptimizingCompiler::OptimizingCompiler(const Module& module, const runtime::VMOffsets& offsets, Assembler& assembler,
                                       Vector<TrapEntry>& traps, SymbolSpace symbols, bool baseline_isa)
    : m_module(module)
    , m_offsets(offsets)
    , m_asm(assembler)
    , m_traps(traps)
    , m_symbols(symbols)
    , m_builder(module)
    , m_inliner(module)
{
    MUST(m_needs_array_trampoline.try_resize(module.types.size(), false));
    if (!baseline_isa) {
        const CpuFeatures& cpu = cpu_features();
        m_avx = cpu.avx;
        m_lzcnt = cpu.lzcnt;
        m_bmi1 = cpu.bmi1;
    }
}

Result<Label*> OptimizingCompiler::trap_label(TrapKind kind)
{
    return m_trap_stubs.label(m_labels, kind);
}

Result<void> OptimizingCompiler::record_trap_here(TrapKind kind)
{
    return abi::record_trap_site(m_traps, m_code_base + m_asm.offset(), kind, m_wasm_offset);
}

Result<void> OptimizingCompiler::compile_function(u32 function_index, u32 code_base)
{
    m_function_index = function_index;
    m_code_base = code_base;
    m_new_trampolines.clear();
    const Code& code = m_module.codes[function_index - m_module.imported_function_count];
    m_wasm_offset = code.offset;
    m_code_budget = static_cast<u32>(std::min<u64>(u64 { code.size } * 512 + 65536, 0x4000'0000));
    // On an error the pipeline drops this function's trap sites and code (tier.h).
    return emit_function();
}

void OptimizingCompiler::discard_function()
{
    for (u32 type_index : m_new_trampolines)
        m_needs_array_trampoline[type_index] = false;
    m_new_trampolines.clear();
}

Result<void> OptimizingCompiler::emit_function()
{
    TRY(m_builder.build(m_function_index, m_function));
    TRY(m_inliner.run(m_function));
    engine::opt::PipelineOptions options;
    TRY(engine::opt::optimize(m_function, options));
    u32 self_type = m_module.functions[m_function_index].type_index;
    TRY(compute_call_layout(m_module.func_params(self_type), m_module.func_results(self_type), m_self_layout));
    // Parameters prefer the registers they arrive in (fewer moves at entry).
    m_entry_hints.clear();
    for (const ArgSlot& slot : m_self_layout.params)
        TRY(m_entry_hints.try_append(slot.on_stack ? Allocator::kNoHint : slot.reg));
    TRY(m_alloc.run(m_function, m_entry_hints.span()));

    m_labels.reset();
    m_trap_stubs.reset();
    m_edge_stubs.clear();
    m_subtype_stubs.clear();
    m_staging.clear();
    m_below_frame = 0;
    m_function_start = m_asm.offset();
    TRY(m_block_labels.try_resize(m_function.block_count(), 0));
    for (Block b : m_function.layout())
        m_block_labels[b] = TRY(m_labels.allocate());
    TRY(m_save_slot.try_resize(m_function.value_count(), kNone));
    m_zero_slot = kNone;
    m_atomic_slot = kNone;
    m_simd_borrow_slot = kNone;
    for (u32& slot : m_save_slot)
        slot = kNone;
    for (u32& cursor : m_cursor)
        cursor = 0;

    m_frameless = is_frameless_leaf();

    m_uses_memory0 = false;
    for (Block b : m_function.layout()) {
        for (Inst i : m_function.insts(b)) {
            Op op = m_function.inst(i).op;
            if (((op >= Op::I32Load && op <= Op::I64Store32) || engine::opt::is_simd_access(op))
                && m_function.inst(i).imm2 == 0)
                m_uses_memory0 = true;
            if (op >= Op::I32AtomicLoad && op <= Op::I64AtomicRmw32CmpxchgU && m_function.inst(i).imm2 == 0)
                m_uses_memory0 = true;
            // A tail call restores the caller's r15 from the frame, so the frame keeps it.
            if (op == Op::ReturnCall || op == Op::ReturnCallIndirect || op == Op::ReturnCallRef) {
                // NOTE: an OSR entry is called as osr(vmctx, baseline_rbp): it has no
                // incoming argument area of the function's type for a tail call to reuse.
                if (m_osr_loop != kNone)
                    return unsupported("optimising tier: tail calls in an OSR entry");
                m_uses_memory0 = true;
            }
        }
    }
    TRY(emit_prologue());
    Span<const Block> layout = m_function.layout();
    for (u32 k = 0; k < layout.size(); ++k) {
        m_asm.bind(block_label(layout[k]));
        Span<const u32> insts = m_function.insts(layout[k]);
        for (u32 n = 0; n + 1 < insts.size(); ++n)
            TRY(emit_inst(insts[n]));
        TRY(emit_terminator(insts[insts.size() - 1], k + 1 < layout.size() ? layout[k + 1] : kNone));
        if (m_asm.offset() - m_function_start > m_code_budget)
            return unsupported("implementation limit: function too large for the optimising tier");
    }
    TRY(emit_deferred());

    if (m_frameless) {
        // NOTE: is_frameless_leaf() rules out everything that takes a slot or a trap site.
        if (m_alloc.slot_count() != 0 || m_below_frame != 0)
            return unsupported("optimising tier: a frameless leaf needed a frame");
        return m_asm.status();
    }
    u64 frame = align16(static_cast<u32>(std::min<u64>(kFrameHeader + 8 * u64 { m_alloc.slot_count() }, 0x8000'0000u)));
    u64 checked = frame + m_below_frame;
    if (checked > 0x4000'0000)
        return unsupported("optimising tier: frame too large");
    patch_frame_entry(m_asm, m_frame_entry, static_cast<u32>(frame), static_cast<u32>(checked));
    return m_asm.status();
}

bool OptimizingCompiler::is_frameless_leaf() const
{
    // An OSR entry reads the baseline frame in its prologue and returns through it.
    if (m_osr_loop != kNone)
        return false;
    if (m_alloc.slot_count() != 0 || m_self_layout.results_in_memory || m_self_layout.result_count() > 1)
        return false;
    for (u32 i = 0; i < m_self_layout.param_count(); ++i) {
        if (m_self_layout.params[i].on_stack)
            return false;
    }
    for (Block b : m_function.layout()) {
        // More edge moves than the orderer takes would need staging slots (moves.cpp).
        if (m_function.params(b).size() > kMaxOrderedMoves)
            return false;
        for (Inst i : m_function.insts(b)) {
            Op op = m_function.inst(i).op;
            if (op == Op::Jump || op == Op::Branch || op == Op::Switch || op == Op::Return)
                continue;
            // Pure ops only: no trap site, no memory, global, table or call, and no
            // ref.func (it reads the vmctx).
            if ((op_info(op).effects & ~engine::opt::fx::kCommutative) != 0 || op == Op::RefFunc)
                return false;
            // SIMD lowering may borrow a register through a frame slot (lower_simd.cpp).
            if (engine::opt::is_simd(op))
                return false;
        }
    }
    return true;
}

Result<void> OptimizingCompiler::emit_prologue()
{
    u32 type_index = m_module.functions[m_function_index].type_index;
    Span<const ValType> params = m_module.func_params(type_index);

    if (!m_frameless) {
        // Frame size and the bytes below it are patched at the end, when every call site is known.
        m_frame_entry = TRY(emit_frame_entry(m_asm, m_labels, m_trap_stubs));
        TRY(emit_frame_header());
    }
    if (m_osr_loop != kNone)
        return emit_osr_prologue();
    return emit_param_moves(params);
}

Result<void> OptimizingCompiler::emit_frame_header()
{
    m_asm.mov(Mem(Gpr::rbp, kSavedR14), kVmctx, Size::Qword);
    // r15 is needed only by accesses to memory 0; a function without them leaves it alone
    // (its callees restore what they change), so it need not save or load it.
    if (m_uses_memory0)
        m_asm.mov(Mem(Gpr::rbp, kSavedR15), kMemoryBase, Size::Qword);
    m_asm.mov(kVmctx, Gpr::rdi, Size::Qword);
    if (m_uses_memory0)
        m_asm.mov(kMemoryBase, Mem(kVmctx, static_cast<i32>(runtime::VMOffsets::kMemory0Base)), Size::Qword);
    // An OSR entry takes the results pointer from the baseline frame (emit_osr_prologue).
    if (m_osr_loop != kNone)
        return {};
    if (m_self_layout.results_in_memory) {
        const ArgSlot& slot = m_self_layout.results_pointer;
        if (slot.on_stack) {
            m_asm.mov(kScratch, Mem(Gpr::rbp, static_cast<i32>(16 + slot.stack_offset)), Size::Qword);
            m_asm.mov(Mem(Gpr::rbp, kResultsPointer), kScratch, Size::Qword);
        } else {
            m_asm.mov(Mem(Gpr::rbp, kResultsPointer), gpr(slot.reg), Size::Qword);
        }
    }
    return {};
}

Result<void> OptimizingCompiler::emit_param_moves(Span<const ValType> params)
{
    // Parameters from their ABI places to their allocated ones.
    Span<const u32> values = m_function.params(m_function.entry());
    m_moves.clear();
    for (u32 i = 0; i < values.size(); ++i) {
        Value v = values[i];
        const ArgSlot& slot = m_self_layout.params[i];
        bool is_i32 = params[i].kind == ValKind::I32;
        MoveLoc src;
        if (slot.on_stack) {
            src.kind = MoveLoc::Kind::Memory;
            src.memory = Mem(Gpr::rbp, static_cast<i32>(16 + slot.stack_offset));
            src.dword = is_i32;
            src.cls = class_of(m_function.value(v).type);
        } else {
            src.cls = slot.is_float ? RegClass::Xmm : RegClass::Gpr;
            src.reg = slot.reg;
            // System V leaves the upper half of a 32-bit argument undefined.
            if (is_i32)
                m_asm.mov(gpr(slot.reg), gpr(slot.reg), Size::Dword);
        }
        TRY(m_moves.try_append(Move { value_loc(v), src }));
    }
    return emit_parallel_moves(m_moves);
}

// osr(vmctx, baseline_rbp): see set_osr_loop. The entry's parameters (the locals, then
// the operand stack) come from the baseline frame's slots, through r10: the moves read
// only memory, so they form no cycle, and r10 is used only for cycles (moves.cpp).
// NOTE: every baseline slot is 16 bytes with the value at its lowest address, so a v128
// is one unaligned 16-byte load from the same offset as a scalar.
Result<void> OptimizingCompiler::emit_osr_prologue()
{
    if (m_self_layout.results_in_memory) {
        m_asm.mov(kScratch, Mem(Gpr::rsi, kResultsPointer), Size::Qword);
        m_asm.mov(Mem(Gpr::rbp, kResultsPointer), kScratch, Size::Qword);
    }
    m_asm.mov(Gpr::r10, Gpr::rsi, Size::Qword);
    Span<const u32> values = m_function.params(m_function.entry());
    u32 local_count = m_builder.osr_local_count();
    m_moves.clear();
    for (u32 j = 0; j < values.size(); ++j) {
        Value v = values[j];
        Type type = m_function.value(v).type;
        MoveLoc src;
        src.kind = MoveLoc::Kind::Memory;
        i32 offset = j < local_count ? baseline::local_slot_offset(j) : baseline::stack_slot_offset(local_count, j - local_count);
        src.memory = Mem(Gpr::r10, offset);
        src.dword = type == Type::I32;
        src.v128 = type == Type::V128;
        src.cls = class_of(type);
        TRY(m_moves.try_append(Move { value_loc(v), src }));
    }
    return emit_parallel_moves(m_moves);
}

Result<void> OptimizingCompiler::emit_inst(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    m_wasm_offset = data.wasm_offset;
    if (data.result_count == 1 && m_alloc.is_fused(m_function.result(inst)))
        return {}; // emitted by the branch that uses it
    switch (data.op) {
    case Op::Const:
        return {}; // rematerialised at each use
    case Op::Call:
    case Op::CallIndirect:
    case Op::CallRef:
        return emit_call(inst);
    case Op::Select:
        return emit_select(inst);
    case Op::BoundsCheck:
        return emit_bounds_check(inst);
    case Op::TableGet:
    case Op::TableSet:
    case Op::TableSize:
        return emit_table(inst);
    default:
        break;
    }
    if (data.op >= Op::I32Load && data.op <= Op::MemoryGrow)
        return emit_memory(inst);
    if (data.op == Op::GlobalGet || data.op == Op::GlobalSet)
        return emit_memory(inst);
    if (data.op >= Op::F32Eq && data.op <= Op::F64Ge)
        return emit_float(inst);
    if (data.op >= Op::I32Eqz && data.op <= Op::I64Rotr)
        return emit_integer(inst);
    if (data.op >= Op::MemoryInit && data.op <= Op::TableFill)
        return emit_bulk(inst);
    if (data.op == Op::RefNull || data.op == Op::RefIsNull || data.op == Op::RefFunc || data.op == Op::RefAsNonNull)
        return emit_reference(inst);
    if (data.op >= Op::F32Abs && data.op <= Op::F64Copysign)
        return emit_float(inst);
    if (data.op >= Op::I32WrapI64 && data.op <= Op::I64TruncSatF64U)
        return emit_conversion(inst);
    if ((data.op >= Op::I32AtomicLoad && data.op <= Op::I64AtomicRmw32CmpxchgU) || data.op == Op::AtomicFence)
        return emit_atomic(inst);
    if (engine::opt::is_simd(data.op))
        return emit_simd(inst);
    if (data.op >= Op::I64Add128 && data.op <= Op::I64MulWideU)
        return emit_wide_arithmetic(inst);
    return unsupported("optimising tier: instruction not supported by the x86-64 back end yet");
}

// ---- control ------------------------------------------------------------------------

Result<bool> OptimizingCompiler::edge_moves(u32 edge, Vector<Move>& moves)
{
    moves.clear();
    Span<const u32> args = m_function.edge_args(edge);
    Span<const u32> params = m_function.params(m_function.edge(edge).to);
    for (u32 k = 0; k < args.size(); ++k) {
        MoveLoc dst = value_loc(params[k]);
        MoveLoc src = value_loc(args[k]);
        if (dst.same_place(src))
            continue;
        TRY(moves.try_append(Move { dst, src }));
    }
    return !moves.is_empty();
}

Result<void> OptimizingCompiler::emit_terminator(Inst inst, Block next)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    m_wasm_offset = data.wasm_offset;
    auto jump_to = [&](Block target) {
        if (target != next)
            m_asm.jmp(block_label(target));
    };
    switch (data.op) {
    case Op::Jump: {
        TRY(edge_moves(data.first_edge, m_moves));
        TRY(emit_parallel_moves(m_moves));
        jump_to(m_function.edge(data.first_edge).to);
        return {};
    }
    case Op::Branch: {
        Value cond = m_function.args(inst)[0];
        Condition taken;
        if (m_alloc.is_fused(cond)) {
            taken = emit_condition(m_function.value(cond).def);
        } else if (is_const(cond)) {
            // Folding removes these; keep it correct anyway.
            m_asm.mov(kScratch, static_cast<i64>(const_bits(cond) & 0xFFFF'FFFFu), Size::Dword);
            m_asm.test(kScratch, kScratch, Size::Dword);
            taken = Condition::NotEqual;
        } else {
            Loc loc = m_alloc.loc(cond);
            if (loc.kind == LocKind::Reg)
                m_asm.test(gpr(loc.reg), gpr(loc.reg), Size::Dword);
            else
                m_asm.cmp(slot_mem(loc.slot), 0, Size::Dword);
            taken = Condition::NotEqual;
        }
        u32 taken_edge = data.first_edge;
        u32 other_edge = data.first_edge + 1;
        Block taken_target = m_function.edge(taken_edge).to;
        Block other_target = m_function.edge(other_edge).to;
        Vector<Move> other_moves;
        bool taken_has = TRY(edge_moves(taken_edge, m_moves));
        bool other_has = TRY(edge_moves(other_edge, other_moves));
        if (!taken_has && !other_has) {
            if (taken_target == next) {
                m_asm.jcc(negate(taken), block_label(other_target));
            } else {
                m_asm.jcc(taken, block_label(taken_target));
                jump_to(other_target);
            }
        } else if (taken_has && !other_has) {
            m_asm.jcc(negate(taken), block_label(other_target));
            TRY(emit_parallel_moves(m_moves));
            jump_to(taken_target);
        } else if (!taken_has) {
            m_asm.jcc(taken, block_label(taken_target));
            TRY(emit_parallel_moves(other_moves));
            jump_to(other_target);
        } else {
            u32 stub = TRY(m_labels.allocate());
            TRY(m_edge_stubs.try_append(EdgeStub { stub, taken_edge }));
            m_asm.jcc(taken, m_labels[stub]);
            TRY(emit_parallel_moves(other_moves));
            jump_to(other_target);
        }
        return {};
    }
    case Op::Switch:
        return emit_switch(inst);
    case Op::Return:
        return emit_return(inst);
    case Op::Trap:
        TRY(record_trap_here(static_cast<TrapKind>(data.imm)));
        m_asm.ud2();
        return {};
    case Op::ReturnCall:
    case Op::ReturnCallIndirect:
    case Op::ReturnCallRef:
        return emit_call(inst);
    case Op::Throw:
    case Op::ThrowRef:
        return emit_throw(inst);
    default:
        return unsupported("optimising tier: terminator not supported by the x86-64 back end");
    }
}

Result<void> OptimizingCompiler::emit_switch(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> cases = m_function.lists().span(engine::opt::List { data.imm3 });
    // Each edge's label: its target's, or a stub with its moves.
    Vector<u32> edge_label;
    TRY(edge_label.try_resize(data.edge_count, 0));
    for (u32 k = 0; k < data.edge_count; ++k) {
        u32 edge = data.first_edge + k;
        if (TRY(edge_moves(edge, m_moves))) {
            u32 stub = TRY(m_labels.allocate());
            TRY(m_edge_stubs.try_append(EdgeStub { stub, edge }));
            edge_label[k] = stub;
        } else {
            edge_label[k] = m_block_labels[m_function.edge(edge).to];
        }
    }
    Gpr index = gpr_in(m_function.args(inst)[0], kScratch);
    // Runs of equal targets as ranges [first, next first); the default covers the rest.
    struct Range {
        u32 first;
        u32 label;
    };
    Vector<Range> ranges;
    u32 table = static_cast<u32>(cases.size()) - 1;
    for (u32 c = 0; c < table; ++c) {
        u32 label = edge_label[cases[c]];
        if (ranges.is_empty() || ranges.last().label != label)
            TRY(ranges.try_append(Range { c, label }));
    }
    u32 default_label = edge_label[cases[table]];
    if (table > 0) {
        m_asm.cmp(index, static_cast<i32>(table), Size::Dword);
        m_asm.jcc(Condition::AboveOrEqual, m_labels[default_label]);
    }
    // Binary search over the ranges, with an explicit stack (hostile tables are long).
    struct Span2 {
        u32 begin;
        u32 end;
        u32 label; // a label to bind first (0 = none)
        bool bind;
    };
    Vector<Span2> work;
    if (!ranges.is_empty())
        TRY(work.try_append(Span2 { 0, static_cast<u32>(ranges.size()), 0, false }));
    else
        m_asm.jmp(m_labels[default_label]);
    while (!work.is_empty()) {
        Span2 item = work.pop_back();
        if (item.bind)
            m_asm.bind(m_labels[item.label]);
        if (item.end - item.begin == 1) {
            m_asm.jmp(m_labels[ranges[item.begin].label]);
            continue;
        }
        u32 middle = (item.begin + item.end) / 2;
        m_asm.cmp(index, static_cast<i32>(ranges[middle].first), Size::Dword);
        if (item.end - middle == 1) {
            // An upper half of one range: branch straight to its target.
            m_asm.jcc(Condition::AboveOrEqual, m_labels[ranges[middle].label]);
        } else {
            u32 upper = TRY(m_labels.allocate());
            m_asm.jcc(Condition::AboveOrEqual, m_labels[upper]);
            TRY(work.try_append(Span2 { middle, item.end, upper, true }));
        }
        TRY(work.try_append(Span2 { item.begin, middle, 0, false }));
    }
    return {};
}

Result<void> OptimizingCompiler::emit_return(Inst inst)
{
    Span<const u32> args = m_function.args(inst);
    if (args.size() == 1) {
        MoveLoc dst;
        dst.cls = class_of(m_function.value(args[0]).type);
        dst.reg = dst.cls == RegClass::Gpr ? number(Gpr::rax) : number(Xmm::xmm0);
        emit_move(dst, value_loc(args[0]));
    } else if (args.size() > 1) {
        m_asm.mov(Gpr::r10, Mem(Gpr::rbp, kResultsPointer), Size::Qword);
        for (u32 k = 0; k < args.size(); ++k) {
            MoveLoc dst;
            dst.kind = MoveLoc::Kind::Memory;
            dst.memory = Mem(Gpr::r10, static_cast<i32>(k * CallLayout::kResultStride));
            emit_move(dst, value_loc(args[k]));
        }
    }
    if (m_frameless) {
        m_asm.ret();
        return {};
    }
    m_asm.mov(kVmctx, Mem(Gpr::rbp, kSavedR14), Size::Qword);
    if (m_uses_memory0)
        m_asm.mov(kMemoryBase, Mem(Gpr::rbp, kSavedR15), Size::Qword);
    m_asm.mov(Gpr::rsp, Gpr::rbp, Size::Qword);
    m_asm.pop(Gpr::rbp);
    m_asm.ret();
    return {};
}

Result<void> OptimizingCompiler::emit_deferred()
{
    for (u32 k = 0; k < m_edge_stubs.size(); ++k) {
        EdgeStub stub = m_edge_stubs[k];
        m_asm.bind(m_labels[stub.label]);
        TRY(edge_moves(stub.edge, m_moves));
        TRY(emit_parallel_moves(m_moves));
        m_asm.jmp(block_label(m_function.edge(stub.edge).to));
    }
    // call_indirect with different type ids: ask the FuncSubtype builtin, keeping every
    // register a System V callee may clobber (the arguments are already in place).
    static constexpr Gpr kKept[] = { Gpr::rax, Gpr::rcx, Gpr::rdx, Gpr::rsi, Gpr::rdi, Gpr::r8, Gpr::r9 };
    constexpr u32 kKeptBytes = 8 * 7 + 16 * 14 + 8; // GPRs, xmm0-13 (whole: v128 arguments), alignment
    for (const SubtypeStub& stub : m_subtype_stubs) {
        m_asm.bind(m_labels[stub.entry]);
        note_below_frame(kKeptBytes + kRetpolineCallBytes);
        m_asm.sub(Gpr::rsp, kKeptBytes, Size::Qword);
        for (u32 k = 0; k < 7; ++k)
            m_asm.mov(Mem(Gpr::rsp, static_cast<i32>(8 * k)), kKept[k], Size::Qword);
        for (u32 k = 0; k < 14; ++k)
            m_asm.movdqu(Mem(Gpr::rsp, static_cast<i32>(56 + 16 * k)), static_cast<Xmm>(k));
        m_asm.mov(Gpr::rsi, Mem(Gpr::rax, static_cast<i32>(offsetof(runtime::VMFuncRef, type_id))), Size::Dword);
        m_asm.mov(Gpr::rdx, Gpr::r10, Size::Dword);
        m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
        m_asm.movabs_relocated(kScratch, compile::kExternalBase + static_cast<u32>(compile::Builtin::FuncSubtype));
        m_asm.call_relocated(m_symbols.retpoline());
        m_asm.mov(Gpr::r10, Gpr::rax, Size::Dword);
        for (u32 k = 0; k < 7; ++k)
            m_asm.mov(kKept[k], Mem(Gpr::rsp, static_cast<i32>(8 * k)), Size::Qword);
        for (u32 k = 0; k < 14; ++k)
            m_asm.movdqu(static_cast<Xmm>(k), Mem(Gpr::rsp, static_cast<i32>(56 + 16 * k)));
        m_asm.add(Gpr::rsp, kKeptBytes, Size::Qword);
        m_asm.test(Gpr::r10, Gpr::r10, Size::Dword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::IndirectCallTypeMismatch)));
        m_asm.jmp(m_labels[stub.back]);
    }
    return m_trap_stubs.emit(m_asm, m_labels, m_traps, m_code_base, m_wasm_offset);
}

// ---- calls --------------------------------------------------------------------------

Result<void> OptimizingCompiler::save_live_across(u32 position)
{
    m_saved.clear();
    for (u32 index = 0; index < 32; ++index) {
        RegClass cls = index < 16 ? RegClass::Gpr : RegClass::Xmm;
        u8 reg = static_cast<u8>(index % 16);
        Span<const Interval> list = m_alloc.assigned(cls, reg);
        u32& cursor = m_cursor[index];
        while (cursor < list.size() && list[cursor].end < position + 2)
            ++cursor;
        if (cursor == list.size())
            continue;
        const Interval& interval = list[cursor];
        if (interval.start >= position)
            continue;
        bool v128 = m_function.value(interval.value).type == Type::V128;
        u32& slot = m_save_slot[interval.value];
        if (slot == kNone)
            slot = m_alloc.new_slot(v128 ? 2 : 1);
        if (cls == RegClass::Gpr)
            m_asm.mov(slot_mem(slot), gpr(reg), Size::Qword);
        else if (v128)
            m_asm.movdqu(v128_slot_mem(slot), xmm(reg));
        else
            m_asm.movsd(slot_mem(slot), xmm(reg));
        TRY(m_saved.try_append(Saved { cls, reg, slot, v128 }));
    }
    return {};
}

void OptimizingCompiler::restore_live_across()
{
    for (const Saved& saved : m_saved) {
        if (saved.cls == RegClass::Gpr)
            m_asm.mov(gpr(saved.reg), slot_mem(saved.slot), Size::Qword);
        else if (saved.v128)
            m_asm.movdqu(xmm(saved.reg), v128_slot_mem(saved.slot));
        else
            m_asm.movsd(xmm(saved.reg), slot_mem(saved.slot));
    }
}

Result<void> OptimizingCompiler::emit_call(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> args = m_function.args(inst);
    // A tail call (return_call*) replaces this frame (docs/engine-abi.md): stack
    // arguments go over the incoming argument area, the results pointer is this
    // function's own, and the frame is left before the jump.
    bool tail = data.op == Op::ReturnCall || data.op == Op::ReturnCallIndirect || data.op == Op::ReturnCallRef;
    Op op = data.op == Op::ReturnCall ? Op::Call
        : data.op == Op::ReturnCallIndirect ? Op::CallIndirect
        : data.op == Op::ReturnCallRef ? Op::CallRef : data.op;
    u32 type_index = op == Op::Call ? m_module.functions[data.imm2].type_index : data.imm2;
    CallLayout& layout = m_call_layout;
    TRY(compute_call_layout(m_module.func_params(type_index), m_module.func_results(type_index), layout));
    u32 param_count = layout.param_count();
    bool imported = op == Op::Call && data.imm2 < m_module.imported_function_count;
    bool through_funcref = op != Op::Call || imported;
    if (op == Op::CallIndirect) {
        const Table& table = m_module.tables[data.imm3];
        if (table.element_type.heap != HeapKind::Func && table.element_type.heap != HeapKind::Index)
            return unsupported("call_indirect through a non-function table");
    }
    // NOTE: callers pop their own stack arguments, so a callee needing a bigger area
    // than this function received cannot take over its frame. As in the baseline, such
    // a tail call runs as a call and a return: the same results and traps, but this
    // frame stays until the callee returns. The callee writes results that go through
    // memory straight to this function's own results area.
    bool call_and_return = tail && layout.stack_bytes > m_self_layout.stack_bytes;
    if (call_and_return)
        tail = false;

    u32 outgoing = 0;
    if (tail) {
        // The trampoline of a host callee runs from here (the baseline counts the same).
        if (through_funcref)
            note_below_frame(array_trampoline_stack_bytes(layout));
    } else if (call_and_return) {
        outgoing = align16(layout.stack_bytes);
        note_below_frame(outgoing + (through_funcref ? array_trampoline_stack_bytes(layout) : kCalleeEntryBytes));
    } else {
        TRY(save_live_across(m_alloc.position(inst)));
        outgoing = align16(layout.stack_bytes + (layout.results_in_memory ? layout.result_count() * CallLayout::kResultStride : 0));
        note_below_frame(outgoing + (through_funcref ? array_trampoline_stack_bytes(layout) : kCalleeEntryBytes));
    }
    if (outgoing)
        m_asm.sub(Gpr::rsp, static_cast<i32>(outgoing), Size::Qword);

    // NOTE: for a tail call the incoming argument area is overwritten; no value lives
    // there (the prologue moved the parameters to their allocated places).
    m_moves.clear();
    for (u32 i = 0; i < param_count; ++i) {
        const ArgSlot& slot = layout.params[i];
        MoveLoc dst;
        dst.cls = class_of(m_function.value(args[i]).type);
        if (slot.on_stack) {
            dst.kind = MoveLoc::Kind::Memory;
            dst.memory = tail ? Mem(Gpr::rbp, static_cast<i32>(16 + slot.stack_offset))
                              : Mem(Gpr::rsp, static_cast<i32>(slot.stack_offset));
        } else {
            dst.reg = slot.reg;
        }
        TRY(m_moves.try_append(Move { dst, value_loc(args[i]) }));
    }
    if (op != Op::Call) {
        // The table index or the reference goes to rax, which no argument uses.
        MoveLoc dst;
        dst.reg = number(Gpr::rax);
        TRY(m_moves.try_append(Move { dst, value_loc(args[param_count]) }));
    }
    TRY(emit_parallel_moves(m_moves));
    if (layout.results_in_memory) {
        const ArgSlot& slot = layout.results_pointer;
        if (tail || call_and_return)
            m_asm.mov(kScratch, Mem(Gpr::rbp, kResultsPointer), Size::Qword);
        else
            m_asm.lea(kScratch, Mem(Gpr::rsp, static_cast<i32>(layout.stack_bytes)), Size::Qword);
        if (slot.on_stack && tail)
            m_asm.mov(Mem(Gpr::rbp, static_cast<i32>(16 + slot.stack_offset)), kScratch, Size::Qword);
        else if (slot.on_stack)
            m_asm.mov(Mem(Gpr::rsp, static_cast<i32>(slot.stack_offset)), kScratch, Size::Qword);
        else
            m_asm.mov(gpr(slot.reg), kScratch, Size::Qword);
    }

    if (op == Op::CallIndirect) {
        // rax: element index -> funcref (checked: in bounds, not null, type matches).
        m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.table(data.imm3))), Size::Qword);
        m_asm.xor_(Gpr::r10, Gpr::r10, Size::Dword);
        m_asm.cmp(Gpr::rax, Mem(kScratch, 8), Size::Qword);
        m_asm.jcc(Condition::AboveOrEqual, *TRY(trap_label(TrapKind::UndefinedElement)));
        // Spectre v1: a mispredicted bounds branch loads element 0, not one past the table.
        m_asm.cmov(Condition::AboveOrEqual, Gpr::rax, Gpr::r10, Size::Qword);
        m_asm.mov(kScratch, Mem(kScratch, 0), Size::Qword);
        m_asm.mov(Gpr::rax, Mem(kScratch, Gpr::rax, Scale::Eight), Size::Qword);
        m_asm.test(Gpr::rax, Gpr::rax, Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::UninitializedElement)));
        m_asm.mov(Gpr::r10, Mem(kVmctx, static_cast<i32>(m_offsets.type_id(type_index))), Size::Dword);
        m_asm.cmp(Gpr::r10, Mem(Gpr::rax, static_cast<i32>(offsetof(runtime::VMFuncRef, type_id))), Size::Dword);
        u32 entry = TRY(m_labels.allocate());
        u32 back = TRY(m_labels.allocate());
        TRY(m_subtype_stubs.try_append(SubtypeStub { entry, back }));
        m_asm.jcc(Condition::NotEqual, m_labels[entry]);
        m_asm.bind(m_labels[back]);
    } else if (op == Op::CallRef) {
        m_asm.test(Gpr::rax, Gpr::rax, Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullFunctionReference)));
    } else if (imported) {
        m_asm.lea(Gpr::rax, Mem(kVmctx, static_cast<i32>(m_offsets.function(data.imm2))), Size::Qword);
    }
    if (through_funcref) {
        if (!m_needs_array_trampoline[type_index]) {
            m_needs_array_trampoline[type_index] = true;
            TRY(m_new_trampolines.try_append(type_index));
        }
        // A tail transfer restores r14 and r15 from the frame (compile_function saves r15
        // in functions with tail calls).
        emit_funcref_transfer(m_asm, m_symbols.array_trampoline(type_index), m_symbols.retpoline(), tail);
    } else {
        m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
        u32 symbol = m_symbols.function(data.imm2 - m_module.imported_function_count);
        if (tail) {
            m_asm.mov(kVmctx, Mem(Gpr::rbp, kSavedR14), Size::Qword);
            m_asm.mov(kMemoryBase, Mem(Gpr::rbp, kSavedR15), Size::Qword);
            m_asm.mov(Gpr::rsp, Gpr::rbp, Size::Qword);
            m_asm.pop(Gpr::rbp);
            m_asm.jmp_relocated(symbol);
        } else {
            m_asm.call_relocated(symbol);
        }
    }
    if (tail)
        return {};
    if (call_and_return) {
        // The results are where this function returns its own (rax, xmm0 or its
        // results area): leave the frame.
        m_asm.mov(kVmctx, Mem(Gpr::rbp, kSavedR14), Size::Qword);
        if (m_uses_memory0)
            m_asm.mov(kMemoryBase, Mem(Gpr::rbp, kSavedR15), Size::Qword);
        m_asm.mov(Gpr::rsp, Gpr::rbp, Size::Qword);
        m_asm.pop(Gpr::rbp);
        m_asm.ret();
        return {};
    }

    // Results to their places, then the saved registers back.
    if (layout.result_count() == 1) {
        Value result = m_function.result(inst);
        MoveLoc src;
        src.cls = class_of(m_function.value(result).type);
        src.reg = src.cls == RegClass::Gpr ? number(Gpr::rax) : number(Xmm::xmm0);
        if (layout.result_kinds[0] == ValKind::I32)
            m_asm.mov(Gpr::rax, Gpr::rax, Size::Dword); // System V leaves bits 32-63 undefined
        emit_move(value_loc(result), src);
    } else if (layout.result_count() > 1) {
        for (u32 k = 0; k < layout.result_count(); ++k) {
            Value result = m_function.result(inst, k);
            MoveLoc src;
            src.kind = MoveLoc::Kind::Memory;
            src.cls = class_of(m_function.value(result).type);
            src.memory = Mem(Gpr::rsp, static_cast<i32>(layout.stack_bytes + k * CallLayout::kResultStride));
            src.dword = layout.result_kinds[k] == ValKind::I32;
            emit_move(value_loc(result), src);
        }
    }
    if (outgoing)
        m_asm.add(Gpr::rsp, static_cast<i32>(outgoing), Size::Qword);
    restore_live_across();
    return {};
}

Result<void> OptimizingCompiler::emit_builtin_call(runtime::Builtin builtin, Span<const MoveLoc> args, Inst inst,
                                                   TrapKind trap)
{
    static constexpr Gpr kArgs[] = { Gpr::rsi, Gpr::rdx, Gpr::rcx, Gpr::r8, Gpr::r9 };
    if (args.size() > 5)
        return unsupported("optimising tier: builtin with stack arguments");
    TRY(save_live_across(m_alloc.position(inst)));
    m_moves.clear();
    for (u32 i = 0; i < args.size(); ++i) {
        MoveLoc dst;
        dst.reg = number(kArgs[i]);
        TRY(m_moves.try_append(Move { dst, args[i] }));
    }
    TRY(emit_parallel_moves(m_moves));
    m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
    m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(runtime::VMOffsets::kBuiltins)), Size::Qword);
    m_asm.mov(kScratch, Mem(kScratch, static_cast<i32>(8 * static_cast<u32>(builtin))), Size::Qword);
    note_below_frame(kRetpolineCallBytes);
    m_asm.call_relocated(m_symbols.retpoline());
    if (trap != TrapKind::None) {
        m_asm.test(Gpr::rax, Gpr::rax, Size::Dword);
        m_asm.jcc(Condition::NotEqual, *TRY(trap_label(trap)));
    }
    if (m_function.inst(inst).result_count == 1) {
        Value result = m_function.result(inst);
        if (m_function.value(result).type == Type::I32)
            m_asm.mov(Gpr::rax, Gpr::rax, Size::Dword);
        MoveLoc src;
        src.reg = number(Gpr::rax);
        emit_move(value_loc(result), src);
    }
    restore_live_across();
    return {};
}

} // namespace wk::engine::x64::opt
