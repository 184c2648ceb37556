#include "engine/x64/baseline/baseline_compiler.h"

#include <algorithm>
#include <new>

#include "base/allocator.h"
#include "engine/binary/code_walker.h"

namespace wk::engine::x64::baseline {

namespace {

constexpr u32 kAllocatableGprs = (1u << number(Gpr::rax)) | (1u << number(Gpr::rcx)) | (1u << number(Gpr::rdx))
    | (1u << number(Gpr::rsi)) | (1u << number(Gpr::rdi)) | (1u << number(Gpr::r8)) | (1u << number(Gpr::r9))
    | (1u << number(Gpr::r10));
constexpr u32 kAllocatableXmms = 0x7FFF; // xmm0-xmm14

bool in_range(Opcode op, Opcode first, Opcode last)
{
    return static_cast<u16>(op) >= static_cast<u16>(first) && static_cast<u16>(op) <= static_cast<u16>(last);
}

} // namespace

BaselineCompiler::BaselineCompiler(const Module& module, const runtime::VMOffsets& offsets, Assembler& assembler,
                                   Vector<TrapEntry>& traps)
    : m_module(module)
    , m_offsets(offsets)
    , m_asm(assembler)
    , m_traps(traps)
    , m_types(module)
    // NOTE: the validator takes a mutable Module but only reads it once the module has
    // been validated (canonical ids are filled in).
    , m_validator(const_cast<Module&>(module), m_types)
{
    m_symbols.defined_count = static_cast<u32>(module.functions.size() - module.imported_function_count);
    m_symbols.type_count = static_cast<u32>(module.types.size());
}

// ---- registers --------------------------------------------------------------------

Result<u8> BaselineCompiler::allocate(RegClass cls)
{
    compile::RegSet free = m_stack.free_set(cls);
    if (free.is_empty() && cache_evict_allocatable(cls))
        free = m_stack.free_set(cls);
    if (free.is_empty()) {
        u32 victim = m_stack.spill_victim(cls);
        if (victim == compile::ValueStack::kNone)
            return Error::from("baseline compiler: out of registers", ErrorKind::Unsupported, m_offset);
        TRY(spill_entry(victim));
        free = m_stack.free_set(cls);
    }
    u8 reg = free.first();
    m_stack.take(cls, reg);
    return reg;
}

Result<void> BaselineCompiler::take_fixed(RegClass cls, u8 reg)
{
    if (m_stack.is_free(cls, reg)) {
        m_stack.take(cls, reg);
        return {};
    }
    u32 holder = m_stack.holder(cls, reg);
    if (holder == compile::ValueStack::kNone && m_cache.local[cls == RegClass::Gpr ? 0 : 1][reg] != CacheState::kNone) {
        cache_drop(cls, reg);
        m_stack.take(cls, reg);
        return {};
    }
    if (holder == compile::ValueStack::kNone)
        return Error::from("baseline compiler: fixed register already in use", ErrorKind::Unsupported, m_offset);
    compile::RegSet free = m_stack.free_set(cls);
    if (!free.is_empty()) {
        u8 other = free.first();
        if (cls == RegClass::Gpr)
            m_asm.mov(gpr(other), gpr(reg), Size::Qword);
        else
            m_asm.movaps(xmm(other), xmm(reg));
        m_stack.move_entry(holder, other);
    } else {
        TRY(spill_entry(holder));
    }
    m_stack.take(cls, reg);
    return {};
}

void BaselineCompiler::load_entry(const StackEntry& entry, u32 index, u8 reg)
{
    RegClass cls = compile::reg_class(entry.kind);
    switch (entry.location) {
    case Location::Register:
        if (entry.reg != reg) {
            if (cls == RegClass::Gpr)
                m_asm.mov(gpr(reg), gpr(entry.reg), Size::Qword);
            else
                m_asm.movaps(xmm(reg), xmm(entry.reg));
        }
        return;
    case Location::Constant:
        if (cls == RegClass::Gpr) {
            if (entry.kind == ValKind::I32)
                m_asm.mov(gpr(reg), static_cast<i64>(static_cast<u32>(entry.bits)), Size::Dword);
            else if (entry.bits == 0)
                m_asm.xor_(gpr(reg), gpr(reg), Size::Dword);
            else
                m_asm.mov(gpr(reg), static_cast<i64>(entry.bits), Size::Qword);
        } else if (entry.kind == ValKind::V128) {
            // v128 constants never stay lazy (simd.cpp pushes them in registers).
            m_asm.xorps(xmm(reg), xmm(reg));
        } else if (entry.bits == 0) {
            m_asm.xorps(xmm(reg), xmm(reg));
        } else if (entry.kind == ValKind::F32) {
            m_asm.mov(kScratch, static_cast<i64>(static_cast<u32>(entry.bits)), Size::Dword);
            m_asm.movd(xmm(reg), kScratch);
        } else {
            m_asm.mov(kScratch, static_cast<i64>(entry.bits), Size::Qword);
            m_asm.movq(xmm(reg), kScratch);
        }
        return;
    case Location::Stack:
        load_kind(entry.kind, reg, slot(index));
        return;
    case Location::Local: {
        u32 local = static_cast<u32>(entry.bits);
        u8 cached = cached_register(local);
        if (cached == kNotCached)
            load_kind(entry.kind, reg, local_slot(local));
        else if (cached != reg && cls == RegClass::Gpr)
            m_asm.mov(gpr(reg), gpr(cached), Size::Qword);
        else if (cached != reg)
            m_asm.movaps(xmm(reg), xmm(cached));
        return;
    }
    }
}

Result<u8> BaselineCompiler::pop_reg(RegClass cls)
{
    StackEntry& top = m_stack.peek();
    if (top.location == Location::Register) {
        u8 reg = top.reg;
        m_stack.pop();
        return reg;
    }
    u8 reg = TRY(allocate(cls));
    u32 index = m_stack.height() - 1;
    load_entry(m_stack.peek(), index, reg);
    m_stack.pop();
    return reg;
}

Result<u8> BaselineCompiler::pop_into(RegClass cls, u8 reg)
{
    StackEntry& top = m_stack.peek();
    if (top.location == Location::Register && top.reg == reg) {
        m_stack.pop();
        return reg;
    }
    TRY(take_fixed(cls, reg));
    u32 index = m_stack.height() - 1;
    StackEntry entry = m_stack.peek();
    load_entry(entry, index, reg);
    m_stack.pop();
    if (entry.location == Location::Register)
        release(cls, entry.reg);
    return reg;
}

Result<void> BaselineCompiler::spill_entry(u32 index)
{
    StackEntry& entry = m_stack.at(index);
    if (entry.location == Location::Register)
        store_kind(entry.kind, slot(index), entry.reg);
    else if (entry.location == Location::Constant)
        store_constant(entry.kind, slot(index), entry.bits);
    else if (entry.location == Location::Local && cached_register(static_cast<u32>(entry.bits)) != kNotCached)
        store_kind(entry.kind, slot(index), cached_register(static_cast<u32>(entry.bits)));
    else if (entry.location == Location::Local)
        copy_slot(entry.kind, slot(index), local_slot(static_cast<u32>(entry.bits)));
    m_stack.mark_spilled(index);
    return {};
}

Result<void> BaselineCompiler::spill_all()
{
    for (u32 i = m_stack.spilled_below(); i < m_stack.height(); ++i) {
        if (m_stack.at(i).location != Location::Stack)
            TRY(spill_entry(i));
    }
    m_stack.set_spilled_below(m_stack.height());
    return {};
}

// ---- frame ------------------------------------------------------------------------

Mem BaselineCompiler::slot(u32 stack_index) const
{
    return Mem(Gpr::rbp, stack_slot_offset(static_cast<u32>(m_local_kinds.size()), stack_index));
}

Mem BaselineCompiler::local_slot(u32 local_index) const
{
    return Mem(Gpr::rbp, local_slot_offset(local_index));
}

void BaselineCompiler::store_kind(ValKind kind, Mem const& dst, u8 reg)
{
    switch (kind) {
    case ValKind::I32: m_asm.mov(dst, gpr(reg), Size::Dword); return;
    case ValKind::F32: m_asm.movss(dst, xmm(reg)); return;
    case ValKind::F64: m_asm.movsd(dst, xmm(reg)); return;
    case ValKind::V128: m_asm.movdqu(dst, xmm(reg)); return;
    default: m_asm.mov(dst, gpr(reg), Size::Qword); return;
    }
}

void BaselineCompiler::load_kind(ValKind kind, u8 reg, Mem const& src)
{
    switch (kind) {
    case ValKind::I32: m_asm.mov(gpr(reg), src, Size::Dword); return;
    case ValKind::F32: m_asm.movss(xmm(reg), src); return;
    case ValKind::F64: m_asm.movsd(xmm(reg), src); return;
    case ValKind::V128: m_asm.movdqu(xmm(reg), src); return;
    default: m_asm.mov(gpr(reg), src, Size::Qword); return;
    }
}

void BaselineCompiler::store_constant(ValKind kind, Mem const& dst, u64 bits)
{
    if (kind == ValKind::I32 || kind == ValKind::F32) {
        m_asm.mov(dst, static_cast<i32>(static_cast<u32>(bits)), Size::Dword);
    } else if (kind == ValKind::V128) {
        m_asm.xorps(kScratchXmm, kScratchXmm);
        m_asm.movdqu(dst, kScratchXmm);
    } else if (static_cast<i64>(bits) == static_cast<i32>(bits)) {
        m_asm.mov(dst, static_cast<i32>(bits), Size::Qword);
    } else {
        m_asm.mov(kScratch, static_cast<i64>(bits), Size::Qword);
        m_asm.mov(dst, kScratch, Size::Qword);
    }
}

void BaselineCompiler::copy_slot(ValKind kind, Mem const& dst, Mem const& src)
{
    if (kind == ValKind::V128) {
        m_asm.movdqu(kScratchXmm, src);
        m_asm.movdqu(dst, kScratchXmm);
    } else {
        m_asm.mov(kScratch, src, Size::Qword);
        m_asm.mov(dst, kScratch, Size::Qword);
    }
}

// ---- traps and builtins -------------------------------------------------------------

Result<Label*> BaselineCompiler::trap_label(TrapKind kind)
{
    return m_trap_stubs.label(m_labels, kind);
}

Result<void> BaselineCompiler::record_trap_here(TrapKind kind)
{
    return abi::record_trap_site(m_traps, m_code_base + m_asm.offset(), kind, m_offset);
}

Result<void> BaselineCompiler::emit_trap_stubs()
{
    // See the header's note on the stack check: a stack that can grow resumes after it.
    return m_trap_stubs.emit(m_asm, m_labels, m_traps, m_code_base, m_offset);
}

void BaselineCompiler::call_runtime_builtin(runtime::Builtin builtin)
{
    cache_clear();
    m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(runtime::VMOffsets::kBuiltins)), Size::Qword);
    m_asm.mov(kScratch, Mem(kScratch, static_cast<i32>(8 * static_cast<u32>(builtin))), Size::Qword);
    note_below_frame(kRetpolineCallBytes);
    m_asm.call_relocated(m_symbols.retpoline());
}

Result<void> BaselineCompiler::call_builtin_with(runtime::Builtin builtin, Span<const BuiltinArg> args, u32 operand_count,
                                                 TrapKind trap, ValKind result)
{
    static constexpr Gpr kArgs[] = { Gpr::rsi, Gpr::rdx, Gpr::rcx, Gpr::r8, Gpr::r9 };
    if (args.size() > 5)
        return unsupported("builtin with stack arguments");
    cache_clear(); // the arguments go straight into registers
    u32 base = m_stack.height() - operand_count;
    TRY(spill_all());
    for (u32 i = 0; i < args.size(); ++i) {
        if (args[i].is_operand) {
            u32 index = base + static_cast<u32>(args[i].value);
            load_kind(m_stack.at(index).kind, number(kArgs[i]), slot(index));
        } else {
            m_asm.mov(kArgs[i], static_cast<i64>(args[i].value), Size::Qword);
        }
    }
    m_stack.truncate(base);
    m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
    call_runtime_builtin(builtin);
    if (trap != TrapKind::None) {
        m_asm.test(Gpr::rax, Gpr::rax, Size::Dword);
        m_asm.jcc(Condition::NotEqual, *TRY(trap_label(trap)));
    }
    if (result != ValKind::Bottom) {
        TRY(take_fixed(RegClass::Gpr, number(Gpr::rax)));
        if (result == ValKind::I32)
            m_asm.mov(Gpr::rax, Gpr::rax, Size::Dword);
        TRY(push_reg(result, number(Gpr::rax)));
    }
    return {};
}

// Saved around the TierUp call: every allocatable register, which may hold locals or
// operands at a loop header, and rbx/r12/r13 (which a register cache may hold).
constexpr Gpr kCounterSaved[] = { Gpr::rax, Gpr::rcx, Gpr::rdx, Gpr::rsi, Gpr::rdi, Gpr::r8,
                                  Gpr::r9,  Gpr::r10, Gpr::rbx, Gpr::r12, Gpr::r13 };
constexpr u32 kCounterGprs = sizeof(kCounterSaved) / sizeof(kCounterSaved[0]);
constexpr u32 kCounterXmms = 15;
// The xmm area, padded so that rsp is 16-aligned at the call.
constexpr u32 kCounterXmmArea = 16 * kCounterXmms + (kCounterGprs % 2 == 1 ? 8 : 0);
static_assert((8 * kCounterGprs + kCounterXmmArea) % 16 == 0, "the builtin call needs rsp 16-aligned");
// What a counter stub writes below the frame: the pushes, the xmm area, and the builtin
// call or (a loop's stub) the call of the OSR code, which checks its own frame.
constexpr u32 kCounterStubBytes = 8 * kCounterGprs + kCounterXmmArea + kRetpolineCallBytes + kCalleeEntryBytes;

Result<void> BaselineCompiler::emit_tier_counter(u32 loop_offset)
{
    if (!m_tier_counters)
        return {};
    u32 defined = m_function_index - m_module.imported_function_count;
    if (defined > 0x1FFF'FFFFu)
        return unsupported("implementation limit: too many functions for tier-up counters");
    CounterStub stub;
    stub.stub = TRY(m_labels.allocate());
    stub.resume = TRY(m_labels.allocate());
    stub.loop_offset = loop_offset;
    TRY(m_counter_stubs.try_append(stub));
    m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(runtime::VMOffsets::kTierBudgets)), Size::Qword);
    m_asm.sub(Mem(kScratch, static_cast<i32>(4 * defined)), 1, Size::Dword);
    m_asm.jcc(Condition::Sign, m_labels[stub.stub]);
    m_asm.bind(m_labels[stub.resume]);
    note_below_frame(kCounterStubBytes);
    return {};
}

// NOTE: a loop header's stub calls TierUpLoop instead of TierUp; a non-zero result is
// the OSR entry of this function at this loop (docs/optimizing-compiler.md, "On-stack
// replacement"). The stub then calls it as osr(vmctx, rbp): it reads the locals and the
// operand stack from this frame's slots (all spilled at a loop header, and locals are
// always current in their slots), runs the rest of the function, and returns its
// results as the function would; this frame then returns them to its caller with the
// normal epilogue. The registers saved above are dropped with the frame.
Result<void> BaselineCompiler::emit_tier_counter_stubs()
{
    for (const CounterStub& stub : m_counter_stubs) {
        bool loop = stub.loop_offset != kNoLoop;
        m_asm.bind(m_labels[stub.stub]);
        for (Gpr reg : kCounterSaved)
            m_asm.push(reg);
        m_asm.sub(Gpr::rsp, static_cast<i32>(kCounterXmmArea), Size::Qword);
        for (u32 i = 0; i < kCounterXmms; ++i)
            m_asm.movdqu(Mem(Gpr::rsp, static_cast<i32>(16 * i)), xmm(static_cast<u8>(i)));
        m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
        m_asm.mov(Gpr::rsi, static_cast<i64>(m_function_index), Size::Dword);
        CodeHelper helper = CodeHelper::TierUp;
        if (loop) {
            m_asm.mov(Gpr::rdx, static_cast<i64>(stub.loop_offset), Size::Dword);
            helper = CodeHelper::TierUpLoop;
        }
        m_asm.movabs_relocated(kScratch, compile::kExternalBase + static_cast<u32>(helper));
        m_asm.call_relocated(m_symbols.retpoline());
        Label enter;
        if (loop) {
            m_asm.test(Gpr::rax, Gpr::rax, Size::Qword);
            m_asm.jcc(Condition::NotEqual, enter);
        }
        for (u32 i = 0; i < kCounterXmms; ++i)
            m_asm.movdqu(xmm(static_cast<u8>(i)), Mem(Gpr::rsp, static_cast<i32>(16 * i)));
        m_asm.add(Gpr::rsp, static_cast<i32>(kCounterXmmArea), Size::Qword);
        for (u32 i = kCounterGprs; i > 0; --i)
            m_asm.pop(kCounterSaved[i - 1]);
        m_asm.jmp(m_labels[stub.resume]);
        if (loop) {
            // rsp is as it was at the builtin call: 16-aligned.
            m_asm.bind(enter);
            m_asm.mov(kScratch, Gpr::rax, Size::Qword);
            m_asm.mov(Gpr::rdi, kVmctx, Size::Qword);
            m_asm.mov(Gpr::rsi, Gpr::rbp, Size::Qword);
            m_asm.call_relocated(m_symbols.retpoline());
            TRY(record_empty_stack_map());
            // The function's epilogue, the results left in rax / xmm0 / the results area.
            m_asm.mov(kVmctx, Mem(Gpr::rbp, kSavedR14), Size::Qword);
            m_asm.mov(kMemoryBase, Mem(Gpr::rbp, kSavedR15), Size::Qword);
            m_asm.mov(Gpr::rsp, Gpr::rbp, Size::Qword);
            m_asm.pop(Gpr::rbp);
            m_asm.ret();
        }
    }
    m_counter_stubs.clear();
    return {};
}

Result<void> BaselineCompiler::call_code_helper(CodeHelper helper)
{
    cache_clear();
    m_asm.movabs_relocated(kScratch, compile::kExternalBase + static_cast<u32>(helper));
    note_below_frame(kRetpolineCallBytes);
    m_asm.call_relocated(m_symbols.retpoline());
    return {};
}

// ---- block types --------------------------------------------------------------------

Span<const ValType> BaselineCompiler::block_params(const BlockType& block) const
{
    if (block.kind == BlockType::Kind::Index)
        return m_module.func_params(block.index);
    return {};
}

Span<const ValType> BaselineCompiler::block_results(const BlockType& block) const
{
    if (block.kind == BlockType::Kind::Index)
        return m_module.func_results(block.index);
    if (block.kind == BlockType::Kind::Value)
        return Span<const ValType>(&block.value, 1);
    return {};
}

// ---- functions ------------------------------------------------------------------------

Result<void> BaselineCompiler::emit_prologue(u32 function_index)
{
    u32 type_index = m_module.functions[function_index].type_index;
    Span<const ValType> params = m_module.func_params(type_index);
    TRY(compute_call_layout(params, m_module.func_results(type_index), m_self_layout));

    // The frame size, and for the check also the bytes below the frame, are patched at
    // the end, when the deepest operand stack and every call site are known.
    m_frame_entry = TRY(abi::emit_frame_entry(m_asm, m_labels, m_trap_stubs));
    m_asm.mov(Mem(Gpr::rbp, kSavedR14), kVmctx, Size::Qword);
    m_asm.mov(Mem(Gpr::rbp, kSavedR15), kMemoryBase, Size::Qword);
    m_asm.mov(kVmctx, Gpr::rdi, Size::Qword);
    m_asm.mov(kMemoryBase, Mem(kVmctx, static_cast<i32>(runtime::VMOffsets::kMemory0Base)), Size::Qword);
    if (m_self_layout.results_in_memory) {
        const ArgSlot& slot = m_self_layout.results_pointer;
        if (slot.on_stack) {
            m_asm.mov(kScratch, Mem(Gpr::rbp, static_cast<i32>(16 + slot.stack_offset)), Size::Qword);
            m_asm.mov(Mem(Gpr::rbp, kResultsPointer), kScratch, Size::Qword);
        } else {
            m_asm.mov(Mem(Gpr::rbp, kResultsPointer), gpr(slot.reg), Size::Qword);
        }
    }
    for (u32 i = 0; i < params.size(); ++i) {
        const ArgSlot& slot = m_self_layout.params[i];
        ValKind kind = params[i].kind;
        if (slot.on_stack) {
            copy_slot(kind, local_slot(i), Mem(Gpr::rbp, static_cast<i32>(16 + slot.stack_offset)));
        } else {
            store_kind(kind, local_slot(i), slot.reg);
        }
    }
    // Declared locals start at zero.
    u32 first = static_cast<u32>(params.size());
    u32 count = static_cast<u32>(m_local_kinds.size()) - first;
    if (count > 0) {
        m_asm.xor_(Gpr::rax, Gpr::rax, Size::Dword);
        if (count <= 8) {
            for (u32 i = first; i < first + count; ++i) {
                m_asm.mov(local_slot(i), Gpr::rax, Size::Qword);
                if (m_local_kinds[i] == ValKind::V128)
                    m_asm.mov(Mem(Gpr::rbp, local_slot(i).disp() + 8), Gpr::rax, Size::Qword);
            }
        } else {
            // Locals are contiguous, 16 bytes each, from local_slot(last) upwards.
            m_asm.lea(Gpr::rcx, local_slot(first + count - 1), Size::Qword);
            m_asm.mov(Gpr::rdx, static_cast<i64>(count) * 2, Size::Dword);
            Label loop;
            m_asm.bind(loop);
            m_asm.mov(Mem(Gpr::rcx, Gpr::rdx, Scale::Eight, -8), Gpr::rax, Size::Qword);
            m_asm.dec(Gpr::rdx, Size::Dword);
            m_asm.jcc(Condition::NotEqual, loop);
        }
    }
    // Parameters that arrived in allocatable registers the zeroing left alone start
    // cached there. An i32 is zero-extended first: callers (host code included) need
    // not clear the upper half, and addresses are formed from the whole register.
    for (u32 i = 0; i < params.size(); ++i) {
        const ArgSlot& slot = m_self_layout.params[i];
        ValKind kind = params[i].kind;
        if (slot.on_stack || !cacheable(kind))
            continue;
        RegClass cls = compile::reg_class(kind);
        if (!m_stack.is_allocatable(cls, slot.reg) || m_cache.local[cls == RegClass::Gpr ? 0 : 1][slot.reg] != CacheState::kNone)
            continue;
        if (cls == RegClass::Gpr && count > 0
            && (slot.reg == number(Gpr::rax) || (count > 8 && (slot.reg == number(Gpr::rcx) || slot.reg == number(Gpr::rdx)))))
            continue;
        if (kind == ValKind::I32)
            m_asm.mov(gpr(slot.reg), gpr(slot.reg), Size::Dword);
        cache_bind(i, cls, slot.reg);
    }
    return {};
}

Result<void> BaselineCompiler::compile_function(u32 function_index, u32 code_base)
{
    m_code_base = code_base;
    const Code& code = m_module.codes[function_index - m_module.imported_function_count];
    m_function_index = function_index;
    m_offset = code.offset;
    m_function_start = m_asm.offset();
    // Far above what real code needs (about 2-3 bytes of machine code per wasm byte),
    // far below what a quadratic blow-up produces.
    m_code_budget = static_cast<u32>(std::min<u64>(u64 { code.size } * 256 + 65536, 0x4000'0000));
    m_labels.reset();
    m_trap_stubs.reset();
    m_controls.clear();
    m_stack.reset(compile::RegSet(kAllocatableGprs), compile::RegSet(kAllocatableXmms));
    m_cache.clear();
    m_empty_state.clear();
    m_state_free = ~u64 { 0 };
    m_cache_clock = 0;
    for (auto& row : m_cache_stamp) {
        for (u32& stamp : row)
            stamp = 0; // so that a function's code depends only on its own body
    }
    m_code_end = code.offset + code.size;
    // Loop scans read at most about one instruction per body byte in all.
    m_scan_budget = u64 { code.size } + 1024;
    m_dead = false;
    m_dead_depth = 0;
    m_save_used = 0;
    m_save_max = 0;
    m_below_frame = 0;
    m_function_handlers = static_cast<u32>(m_handlers.size());
    m_pending_landings.clear();
    m_function_trampolines.clear();
    m_counter_stubs.clear();
    if (m_needs_array_trampoline.size() != m_module.types.size())
        TRY(m_needs_array_trampoline.try_resize(m_module.types.size(), false));

    TRY(m_validator.begin_function(function_index));
    m_local_kinds.clear();
    for (ValType type : m_validator.locals())
        TRY(m_local_kinds.try_append(type.kind));
    m_local_first_ref.clear();
    TRY(m_local_first_ref.try_resize(m_local_kinds.size(), compile::ValueStack::kNone));
    m_local_register.clear();
    TRY(m_local_register.try_resize(m_local_kinds.size(), kNotCached));
    m_scan_touched.clear();
    m_scan_weight.clear();
    TRY(m_scan_weight.try_resize(m_local_kinds.size(), 0));
    TRY(begin_stack_maps(code.size));

    TRY(emit_prologue(function_index));
    TRY(emit_tier_counter());
    u32 type_index = m_module.functions[function_index].type_index;
    Control function_frame;
    function_frame.kind = FrameKind::Function;
    function_frame.height = 0;
    function_frame.param_count = 0;
    function_frame.result_count = m_module.types[type_index].result_count;
    function_frame.label = TRY(m_labels.allocate());
    function_frame.block.kind = BlockType::Kind::Index;
    function_frame.block.index = type_index;
    TRY(m_controls.try_append(function_frame));

    Reader reader(m_module.bytes, code.code_offset, code.offset + code.size);
    TRY(walk_code(reader, *this));

    TRY(resolve_delegates());
    TRY(emit_tier_counter_stubs());
    TRY(emit_trap_stubs());
    u64 frame = kFrameHeader + 16 * (u64 { m_local_kinds.size() } + m_stack.max_height() + m_save_max);
    frame = (frame + 15) & ~u64 { 15 };
    if (frame > 0x4000'0000)
        return Error::from("baseline compiler: frame too large", ErrorKind::Unsupported, code.offset);
    for (u32 i = m_function_handlers; i < m_handlers.size(); ++i)
        m_handlers[i].frame_size = static_cast<u32>(frame);
    // The maps count 16-byte slots below the header (exact only while the header is too).
    static_assert(kFrameHeader % 16 == 0);
    TRY(finish_stack_maps(static_cast<u32>((frame - kFrameHeader) / 16)));
    u64 checked = frame + m_below_frame;
    if (checked > 0x4000'0000)
        return Error::from("baseline compiler: frame too large", ErrorKind::Unsupported, code.offset);
    abi::patch_frame_entry(m_asm, m_frame_entry, static_cast<u32>(frame), static_cast<u32>(checked));
    return m_asm.status();
}

void BaselineCompiler::discard_function()
{
    MUST(m_handlers.try_resize(m_function_handlers)); // shrinking never allocates
    discard_stack_maps();
    for (u32 type_index : m_function_trampolines)
        m_needs_array_trampoline[type_index] = false;
    m_function_trampolines.clear();
}

Result<void> BaselineCompiler::visit(const Instruction& instruction)
{
    m_offset = instruction.offset;
    ++m_instruction_count;
    if (m_dead)
        return visit_dead(instruction);
    TRY(check_code_budget());
    TRY(m_validator.visit(instruction));

    Opcode op = instruction.opcode;
    switch (op) {
    case Opcode::Unreachable:
    case Opcode::Nop:
    case Opcode::Block:
    case Opcode::Loop:
    case Opcode::If:
    case Opcode::Else:
    case Opcode::End:
    case Opcode::Br:
    case Opcode::BrIf:
    case Opcode::BrTable:
    case Opcode::Return:
    case Opcode::Drop:
    case Opcode::Select:
    case Opcode::SelectT:
        return emit_control(instruction);
    case Opcode::Call:
    case Opcode::CallIndirect:
    case Opcode::ReturnCall:
    case Opcode::ReturnCallIndirect:
    case Opcode::CallRef:
    case Opcode::ReturnCallRef:
        return emit_call(instruction);
    case Opcode::LocalGet:
    case Opcode::LocalSet:
    case Opcode::LocalTee:
    case Opcode::GlobalGet:
    case Opcode::GlobalSet:
        return emit_variable(instruction);
    case Opcode::I32Const:
    case Opcode::I64Const:
        return emit_integer(instruction);
    case Opcode::F32Const:
    case Opcode::F64Const:
        return emit_float(instruction);
    case Opcode::Throw:
    case Opcode::ThrowRef:
    case Opcode::TryTable:
    case Opcode::Try:
    case Opcode::Catch:
    case Opcode::Rethrow:
    case Opcode::Delegate:
    case Opcode::CatchAll:
        return emit_exception(instruction);
    default:
        break;
    }
    if (in_range(op, Opcode::I32Load, Opcode::MemoryGrow))
        return emit_memory(instruction);
    if (in_range(op, Opcode::I32Eqz, Opcode::I64GeU) || in_range(op, Opcode::I32Clz, Opcode::I64Rotr))
        return emit_integer(instruction);
    if (in_range(op, Opcode::F32Eq, Opcode::F64Ge) || in_range(op, Opcode::F32Abs, Opcode::F64Copysign))
        return emit_float(instruction);
    if (in_range(op, Opcode::I32WrapI64, Opcode::I64Extend32S)
        || in_range(op, Opcode::I32TruncSatF32S, Opcode::I64TruncSatF64U))
        return emit_conversion(instruction);
    if (in_range(op, Opcode::MemoryInit, Opcode::MemoryFill))
        return emit_memory(instruction);
    if (in_range(op, Opcode::TableInit, Opcode::TableFill) || in_range(op, Opcode::TableGet, Opcode::TableSet)
        || in_range(op, Opcode::RefNull, Opcode::BrOnNonNull))
        return emit_table_ref(instruction);
    if (in_range(op, Opcode::I64Add128, Opcode::I64MulWideU))
        return emit_integer(instruction);
    if (in_range(op, Opcode::V128Load, Opcode::I32x4RelaxedDotI8x16I7x16AddS))
        return emit_simd(instruction);
    if (in_range(op, Opcode::MemoryAtomicNotify, Opcode::I64AtomicRmw32CmpxchgU))
        return emit_atomic(instruction);
    if (in_range(op, Opcode::StructNew, Opcode::BrOnCastDescEqFail))
        return emit_gc(instruction);
    return unsupported("GC not implemented");
}

} // namespace wk::engine::x64::baseline
