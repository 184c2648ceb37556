// The optimising tier's driver and control flow: frame, prologue, blocks, branches,
// and returns. Calls are in calls.cpp, switches in switch.cpp, per-op lowering in lower*.cpp
// (SIMD: lower_simd.cpp), moves in moves.cpp.
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
    // NOTE: sized here, not in the constructor: a module's type count is the guest's choice,
    // and running out of memory must fail this compile (tier-up keeps the baseline), not assert.
    if (m_needs_array_trampoline.size() != m_module.types.size())
        TRY(m_needs_array_trampoline.try_resize(m_module.types.size(), false));
    // The functions a funcref may name, by type, for direct dispatch (calls.cpp), made on the
    // first compile for the same reason.
    if (!m_declared_by_type_ready) {
        for (u32 index = m_module.imported_function_count; index < m_module.functions.size(); ++index) {
            if (index < m_module.declared_functions.size() && m_module.declared_functions[index]) {
                u64 type = m_module.canonical[m_module.functions[index].type_index];
                TRY(m_declared_by_type.try_append(type << 32 | index));
            }
        }
        std::sort(m_declared_by_type.begin(), m_declared_by_type.end());
        m_declared_by_type_ready = true;
    }
    const Code& code = m_module.codes[function_index - m_module.imported_function_count];
    m_wasm_offset = code.offset;
    m_code_budget = static_cast<u32>(std::min<u64>(u64 { code.size } * 512 + 65536, 0x4000'0000));
    m_function_stack_maps = static_cast<u32>(m_stack_maps.size());
    m_function_stack_map_bits = static_cast<u32>(m_stack_map_bits.size());
    // On an error the pipeline drops this function's trap sites and code (tier.h).
    return emit_function();
}

void OptimizingCompiler::discard_function()
{
    for (u32 type_index : m_new_trampolines)
        m_needs_array_trampoline[type_index] = false;
    m_new_trampolines.clear();
    restart_stack_maps();
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
    TRY(compute_abi_hints(m_module, m_function, m_value_hints));
    TRY(m_alloc.run(m_function, m_entry_hints.span(), m_value_hints.span()));
    TRY(compute_stack_map_liveness());

    // Loop placement needs the loops' emitted instructions (code_alignment.h): a first
    // emission places innermost headers by the old rule and records where the
    // instructions fall; when the loops' own rule (loop_header_padding) would place any
    // header differently, the function is emitted again with that padding. Emission
    // only reads the IR and the allocation, so the second pass repeats the first
    // except for the padding; what the first left behind is taken back here.
    u32 slots = m_alloc.slot_count();
    usize trap_count = m_traps.size();
    bool two_pass = m_asm.offset() == 0;
    m_instruction_starts.clear();
    m_asm.record_instruction_starts(two_pass ? &m_instruction_starts : nullptr);
    m_placement_pass = 1;
    auto first = emit_code();
    m_asm.record_instruction_starts(nullptr);
    TRY(first);
    if (!two_pass || !m_asm.recording_complete() || !TRY(placement_differs()))
        return {};
    m_asm.reset();
    MUST(m_traps.try_resize(trap_count)); // shrinking never allocates
    m_alloc.truncate_slots(slots);
    m_placement_pass = 2;
    return emit_code();
}

Result<void> OptimizingCompiler::emit_code()
{
    m_alloc.enter_block(kNone); // the prologue: every value in its own place
    restart_stack_maps();
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
    m_vmval_slot = kNone;
    m_vmval_slots = 0;
    // A value read in a dead end is saved around calls to its cold slot too.
    for (u32 v = 0; v < m_function.value_count(); ++v)
        m_save_slot[v] = m_alloc.cold_slot(v);
    TRY(m_saved_at_definition.try_resize(m_function.value_count(), false));
    for (u32 v = 0; v < m_function.value_count(); ++v)
        m_saved_at_definition[v] = false;
    for (u32& cursor : m_cursor)
        cursor = 0;

    m_frameless = is_frameless_leaf();
    TRY(compute_forwarding());
    TRY(compute_loop_alignment());

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
    if (m_placement_pass == 1) {
        TRY(m_layout_start.try_resize(layout.size(), 0));
        TRY(m_layout_end.try_resize(layout.size(), 0));
        TRY(m_layout_unpadded.try_resize(layout.size(), 0));
    }
    for (u32 k = 0; k < layout.size(); ++k) {
        if (m_placement_pass == 1)
            m_layout_unpadded[k] = m_asm.offset();
        if (m_aligned_header[layout[k]]) {
            if (m_placement_pass == 1)
                align_loop_header(m_asm);
            else
                m_asm.nop(TRY(header_padding(k, m_asm.offset())));
        }
        if (m_placement_pass == 1)
            m_layout_start[k] = m_asm.offset();
        m_asm.bind(block_label(layout[k]));
        m_alloc.enter_block(layout[k]);
        for (Value param : m_function.params(layout[k]))
            TRY(save_at_definition(param));
        Span<const u32> insts = m_function.insts(layout[k]);
        for (u32 n = 0; n + 1 < insts.size(); ++n) {
            TRY(emit_inst(insts[n]));
            const engine::opt::InstData& data = m_function.inst(insts[n]);
            for (u32 r = 0; r < data.result_count; ++r)
                TRY(save_at_definition(m_function.result(insts[n], r)));
        }
        TRY(emit_terminator(insts[insts.size() - 1], k + 1 < layout.size() ? layout[k + 1] : kNone));
        if (m_placement_pass == 1)
            m_layout_end[k] = m_asm.offset();
        if (m_asm.offset() - m_function_start > m_code_budget)
            return unsupported("implementation limit: function too large for the optimising tier");
    }
    m_alloc.enter_block(kNone);
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

Result<void> OptimizingCompiler::compute_forwarding()
{
    TRY(m_forward.try_resize(m_function.block_count(), kNone));
    auto forwards_to = [&](Block b) -> Block {
        // NOTE: a parameter stored to its save slot where defined (saves_at_definition)
        // is stored at the block's start: a jump past the block would skip the store, and
        // the reloads after the next call would read a slot never written.
        for (Value param : m_function.params(b)) {
            if (m_alloc.saves_at_definition(param))
                return kNone;
        }
        // Constants emit nothing (their uses rematerialise them); LICM leaves them in
        // preheaders.
        Span<const u32> insts = m_function.insts(b);
        for (u32 k = 0; k + 1 < insts.size(); ++k) {
            if (m_function.inst(insts[k]).op != Op::Const)
                return kNone;
        }
        Inst last = insts[insts.size() - 1];
        if (m_function.inst(last).op != Op::Jump)
            return kNone;
        u32 edge = m_function.inst(last).first_edge;
        Block to = m_function.edge(edge).to;
        Span<const u32> args = m_function.edge_args(edge);
        Span<const u32> params = m_function.params(to);
        for (u32 k = 0; k < args.size(); ++k) {
            if (!value_loc_in(params[k], to).same_place(value_loc_in(args[k], b)))
                return kNone;
        }
        // Nor past the loads of split ranges into a loop, or the stores into a dead end
        // (edge_moves).
        for (const Split& split : m_alloc.splits(to)) {
            if (!value_loc_in(split.value, to).same_place(value_loc_in(split.value, b)))
                return kNone;
        }
        if (!m_alloc.cold_values(to).empty())
            return kNone;
        bool evictions_move = false;
        MUST(for_each_eviction_move(b, to, [&](const MoveLoc&, const MoveLoc&) -> Result<void> {
            evictions_move = true;
            return {};
        }));
        if (evictions_move)
            return kNone;
        return to;
    };
    for (Block b : m_function.layout()) {
        // A few steps: chains are short, and a cycle of such blocks (an empty infinite
        // loop) must end somewhere.
        Block target = b;
        for (u32 step = 0; step < 4; ++step) {
            Block next = forwards_to(target);
            if (next == kNone || next == b)
                break;
            target = next;
        }
        m_forward[b] = target;
    }
    return {};
}

// A loop header here is the target of a back edge: a jump to a block that dominates the
// jumping one, laid out at or before it (the layout keeps the builder's order, so a
// loop's blocks lie between its header and its last back edge); an innermost loop has
// no other header in that range. Only those are aligned: they run most, and every
// aligned header costs up to kLoopHeaderOffset bytes (x64::align_loop_header).
// NOTE: layout order alone is not enough. LICM appends the preheaders it makes to the
// layout; one that ends up empty is a forwarding jump into the loop laid out after
// everything (matmul's OSR version of main), which made the loop seem to hold every
// header laid out up to there, so the innermost loop was never placed.
Result<void> OptimizingCompiler::compute_loop_alignment()
{
    Span<const Block> layout = m_function.layout();
    // Emission does not change the graph: the second pass reuses the first's tree.
    if (m_placement_pass == 1)
        TRY(m_loop_dominators.compute(m_function));
    TRY(m_aligned_header.try_resize(m_function.block_count(), false));
    for (bool& aligned : m_aligned_header)
        aligned = false;
    // Per block: its layout position, then (for a header) the position of its last back edge.
    TRY(m_loop_position.try_resize(m_function.block_count(), kNone));
    TRY(m_loop_end.try_resize(m_function.block_count(), kNone));
    for (u32 b = 0; b < m_function.block_count(); ++b) {
        m_loop_position[b] = kNone; // blocks outside the layout keep kNone
        m_loop_end[b] = kNone;
    }
    for (u32 k = 0; k < layout.size(); ++k)
        m_loop_position[layout[k]] = k;
    for (u32 k = 0; k < layout.size(); ++k) {
        Inst term = m_function.terminator(layout[k]);
        if (term == kNone)
            continue;
        const engine::opt::InstData& data = m_function.inst(term);
        for (u32 e = 0; e < data.edge_count; ++e) {
            Block target = jump_target(m_function.edge(data.first_edge + e).to);
            u32 position = m_loop_position[target];
            if (!m_loop_dominators.is_reachable(layout[k]) || !m_loop_dominators.is_reachable(target)
                || !m_loop_dominators.dominates(target, layout[k]))
                continue;
            if (position != kNone && position <= k && (m_loop_end[target] == kNone || m_loop_end[target] < k))
                m_loop_end[target] = k;
        }
    }
    // Walking the layout, the next header after each one decides whether it is innermost.
    Block previous = kNone;
    for (u32 k = 0; k <= layout.size(); ++k) {
        Block b = k < layout.size() ? layout[k] : kNone;
        if (b != kNone && m_loop_end[b] == kNone)
            continue;
        if (previous != kNone && k > m_loop_end[previous])
            m_aligned_header[previous] = true;
        previous = b;
    }
    return {};
}

// The padding loop_header_padding gives the header at layout position k, emitted at
// `offset`, from the first pass's record of its loop.
Result<u32> OptimizingCompiler::header_padding(u32 k, u32 offset)
{
    Span<const Block> layout = m_function.layout();
    u32 header = m_layout_start[k];
    u32 block_end = m_layout_end[k];
    u32 loop_end = m_layout_end[m_loop_end[layout[k]]];
    const u32* first = std::lower_bound(m_instruction_starts.begin(), m_instruction_starts.end(), header);
    m_header_starts.clear();
    for (const u32* start = first; start != m_instruction_starts.end() && *start < block_end; ++start)
        TRY(m_header_starts.try_append(*start - header));
    return loop_header_padding(offset % kLoopAlignment, m_header_starts.span(), loop_end - header);
}

// Whether a second pass would pad some header differently from the first (up to the
// first such header the two passes emit the same bytes).
Result<bool> OptimizingCompiler::placement_differs()
{
    Span<const Block> layout = m_function.layout();
    for (u32 k = 0; k < layout.size(); ++k) {
        if (!m_aligned_header[layout[k]])
            continue;
        u32 padding = TRY(header_padding(k, m_layout_unpadded[k]));
        if (padding != m_layout_start[k] - m_layout_unpadded[k])
            return true;
    }
    return false;
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
            // A jump table's retpoline jump pushes a return address: that needs a frame.
            if (op == Op::Switch && uses_jump_table(i))
                return false;
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
    bool takes_flags = data.op == Op::Select && m_alloc.is_fused_early(m_function.args(inst)[2]);
    if (m_preserve_flags && !takes_flags && !Allocator::preserves_flags(m_function, inst))
        return unsupported("optimising tier: internal error: an instruction between a fused compare and its branch");
    if (data.result_count == 1 && m_alloc.is_folded(m_function.result(inst)))
        return {}; // part of the lea of the add that uses it
    if (data.result_count == 1 && m_alloc.is_fused(m_function.result(inst))) {
        if (!m_alloc.is_fused_early(m_function.result(inst)))
            return {}; // emitted by the branch that uses it
        m_fused_condition = emit_condition(inst);
        m_preserve_flags = true;
        return {};
    }
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
    if (data.op >= Op::MemoryAtomicNotify && data.op <= Op::MemoryAtomicWait64)
        return emit_wait_notify(inst);
    if (engine::opt::is_simd(data.op))
        return emit_simd(inst);
    if (data.op >= Op::I64Add128 && data.op <= Op::I64MulWideU)
        return emit_wide_arithmetic(inst);
    if (engine::opt::is_gc(data.op))
        return emit_gc(inst);
    return unsupported("optimising tier: instruction not supported by the x86-64 back end yet");
}

// ---- control ------------------------------------------------------------------------

Result<bool> OptimizingCompiler::edge_moves(u32 edge, Vector<Move>& moves)
{
    moves.clear();
    Block from = m_function.edge(edge).from;
    Block to = m_function.edge(edge).to;
    Span<const u32> args = m_function.edge_args(edge);
    Span<const u32> params = m_function.params(to);
    for (u32 k = 0; k < args.size(); ++k) {
        MoveLoc dst = value_loc_in(params[k], to);
        MoveLoc src = value_loc_in(args[k], from);
        if (dst.same_place(src))
            continue;
        TRY(moves.try_append(Move { dst, src }));
    }
    // Resolution of split ranges: a value in a register at the target's start that is
    // elsewhere at the source's end (entering a loop: its slot) moves there with the rest.
    for (const Split& split : m_alloc.splits(to)) {
        MoveLoc dst = value_loc_in(split.value, to);
        MoveLoc src = value_loc_in(split.value, from);
        if (!dst.same_place(src))
            TRY(moves.try_append(Move { dst, src }));
    }
    // Evicted values (regalloc.h, Eviction): stored on entering their loop, loaded on
    // leaving it.
    TRY(for_each_eviction_move(from, to, [&](const MoveLoc& dst, const MoveLoc& src) { return moves.try_append(Move { dst, src }); }));
    // Into a dead end: what it reads from a register is stored to its cold slot
    // (regalloc.h, Allocator::cold_slot), where the dead end reads it.
    for (Value v : m_alloc.cold_values(to)) {
        MoveLoc dst = value_loc_in(v, to);
        MoveLoc src = value_loc_in(v, from);
        if (!dst.same_place(src))
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
            m_asm.jmp(block_label(jump_target(target)));
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
        if (m_alloc.is_fused_early(cond)) {
            taken = m_fused_condition;
            m_preserve_flags = false;
        } else if (m_alloc.is_fused(cond)) {
            taken = emit_condition(m_function.value(cond).def);
        } else if (is_const(cond)) {
            // Folding removes these; keep it correct anyway.
            m_asm.mov(kScratch, static_cast<i64>(const_bits(cond) & 0xFFFF'FFFFu), Size::Dword);
            m_asm.test(kScratch, kScratch, Size::Dword);
            taken = Condition::NotEqual;
        } else {
            Loc loc = m_alloc.loc(cond);
            if (loc.kind == LocKind::Reg)
                test_unless_flags_set(gpr(loc.reg), Size::Dword);
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
                m_asm.jcc(negate(taken), block_label(jump_target(other_target)));
            } else {
                m_asm.jcc(taken, block_label(jump_target(taken_target)));
                jump_to(other_target);
            }
        } else if (taken_has && !other_has) {
            m_asm.jcc(negate(taken), block_label(jump_target(other_target)));
            TRY(emit_parallel_moves(m_moves));
            jump_to(taken_target);
        } else if (!taken_has) {
            m_asm.jcc(taken, block_label(jump_target(taken_target)));
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
        m_asm.jmp(block_label(jump_target(m_function.edge(stub.edge).to)));
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
        m_asm.movabs_relocated(kScratch, compile::kExternalBase + static_cast<u32>(compile::CodeHelper::FuncSubtype));
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

} // namespace wk::engine::x64::opt
