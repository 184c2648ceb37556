#include "engine/x64/abi/trampolines.h"

#include <cstddef>

#include "engine/runtime/vm.h"
#include "engine/x64/abi/frame.h"

namespace wk::engine::x64::abi {

namespace {

constexpr u32 kStride = CallLayout::kResultStride;

bool is_float(ValKind kind) { return kind == ValKind::F32 || kind == ValKind::F64 || kind == ValKind::V128; }

void load_value(Assembler& masm, ValKind kind, u8 reg, Mem const& src)
{
    switch (kind) {
    case ValKind::I32: masm.mov(static_cast<Gpr>(reg), src, Size::Dword); return;
    case ValKind::F32: masm.movss(static_cast<Xmm>(reg), src); return;
    case ValKind::F64: masm.movsd(static_cast<Xmm>(reg), src); return;
    case ValKind::V128: masm.movdqu(static_cast<Xmm>(reg), src); return;
    default: masm.mov(static_cast<Gpr>(reg), src, Size::Qword); return;
    }
}

void store_value(Assembler& masm, ValKind kind, Mem const& dst, u8 reg)
{
    switch (kind) {
    case ValKind::F32: masm.movss(dst, static_cast<Xmm>(reg)); return;
    case ValKind::F64: masm.movsd(dst, static_cast<Xmm>(reg)); return;
    case ValKind::V128: masm.movdqu(dst, static_cast<Xmm>(reg)); return;
    default: masm.mov(dst, static_cast<Gpr>(reg), Size::Qword); return;
    }
}

void copy_value(Assembler& masm, ValKind kind, Mem const& dst, Mem const& src)
{
    if (kind == ValKind::V128) {
        masm.movdqu(kScratchXmm, src);
        masm.movdqu(dst, kScratchXmm);
    } else {
        masm.mov(kScratch, src, Size::Qword);
        masm.mov(dst, kScratch, Size::Qword);
    }
}

// Writes a VMVal slot canonically: numbers zero-extended to 16 bytes.
void normalise_slot(Assembler& masm, ValKind kind, Gpr base, i32 disp)
{
    if (kind == ValKind::V128)
        return;
    if (kind == ValKind::I32 || kind == ValKind::F32) {
        masm.mov(kScratch, Mem(base, disp), Size::Dword);
        masm.mov(Mem(base, disp), kScratch, Size::Qword);
    }
    masm.mov(Mem(base, disp + 8), 0, Size::Qword);
}

void epilogue(Assembler& masm)
{
    masm.lea(Gpr::rsp, Mem(Gpr::rbp, -16), Size::Qword);
    masm.pop(Gpr::r12);
    masm.pop(Gpr::rbx);
    masm.pop(Gpr::rbp);
    masm.ret();
}

} // namespace

// NOTE: wasm code preserves only rbp, rsp, r14 and r15 across calls (the optimising
// tier allocates rbx, r12 and r13 without saving them, docs/engine-abi.md), so the
// entry saves the System V callee-saved registers it could lose for its host caller,
// and keeps the values pointer in its frame rather than in rbx.
void emit_array_entry(Assembler& masm, const CallLayout& layout, u32 function_symbol)
{
    masm.push(Gpr::rbp);
    masm.mov(Gpr::rbp, Gpr::rsp, Size::Qword);
    masm.push(Gpr::rbx);
    masm.push(Gpr::r12);
    masm.push(Gpr::r13);
    masm.push(Gpr::rsi); // [rbp - 32]: the values array
    masm.mov(Gpr::rbx, Gpr::rsi, Size::Qword);
    u32 outgoing = (layout.stack_bytes + 15) & ~15u;
    if (outgoing)
        masm.sub(Gpr::rsp, static_cast<i32>(outgoing), Size::Qword);
    for (u32 i = 0; i < layout.param_count(); ++i) {
        const ArgSlot& arg = layout.params[i];
        Mem source(Gpr::rbx, static_cast<i32>(i * kStride));
        if (arg.on_stack)
            copy_value(masm, layout.param_kinds[i], Mem(Gpr::rsp, static_cast<i32>(arg.stack_offset)), source);
        else
            load_value(masm, layout.param_kinds[i], arg.reg, source);
    }
    if (layout.results_in_memory) {
        if (layout.results_pointer.on_stack)
            masm.mov(Mem(Gpr::rsp, static_cast<i32>(layout.results_pointer.stack_offset)), Gpr::rbx, Size::Qword);
        else
            masm.mov(static_cast<Gpr>(layout.results_pointer.reg), Gpr::rbx, Size::Qword);
    }
    masm.call_relocated(function_symbol);
    masm.mov(Gpr::rbx, Mem(Gpr::rbp, -32), Size::Qword);
    if (layout.result_count() == 1) {
        ValKind kind = layout.result_kinds[0];
        if (is_float(kind)) {
            store_value(masm, kind, Mem(Gpr::rbx), number(Xmm::xmm0));
        } else {
            if (kind == ValKind::I32)
                masm.mov(Gpr::rax, Gpr::rax, Size::Dword);
            masm.mov(Mem(Gpr::rbx), Gpr::rax, Size::Qword);
        }
        normalise_slot(masm, kind, Gpr::rbx, 0);
    } else {
        for (u32 k = 0; k < layout.result_count(); ++k)
            normalise_slot(masm, layout.result_kinds[k], Gpr::rbx, static_cast<i32>(k * kStride));
    }
    masm.lea(Gpr::rsp, Mem(Gpr::rbp, -24), Size::Qword);
    masm.pop(Gpr::r13);
    masm.pop(Gpr::r12);
    masm.pop(Gpr::rbx);
    masm.pop(Gpr::rbp);
    masm.ret();
}

namespace {

u32 array_trampoline_slots(const CallLayout& layout)
{
    u32 count = layout.param_count() > layout.result_count() ? layout.param_count() : layout.result_count();
    return count == 0 ? 1 : count;
}

} // namespace

u32 array_trampoline_stack_bytes(const CallLayout& layout)
{
    // Return address, rbp, rbx, r12, then the VMVal array.
    return 32 + array_trampoline_slots(layout) * kStride;
}

void emit_retpoline(Assembler& masm)
{
    Label capture;
    Label target;
    masm.call(target);
    masm.bind(capture);
    masm.pause();
    masm.lfence();
    masm.jmp(capture);
    masm.align(16);
    masm.bind(target);
    masm.mov(Mem(Gpr::rsp), kScratch, Size::Qword);
    masm.ret();
}

void emit_array_trampoline(Assembler& masm, const CallLayout& layout, u32 retpoline_symbol)
{
    masm.push(Gpr::rbp);
    masm.mov(Gpr::rbp, Gpr::rsp, Size::Qword);
    masm.push(Gpr::rbx);
    masm.push(Gpr::r12);
    u32 count = array_trampoline_slots(layout);
    masm.sub(Gpr::rsp, static_cast<i32>(count * kStride), Size::Qword);
    masm.mov(Gpr::rbx, Gpr::rsp, Size::Qword);
    if (layout.results_in_memory) {
        if (layout.results_pointer.on_stack)
            masm.mov(Gpr::r12, Mem(Gpr::rbp, static_cast<i32>(16 + layout.results_pointer.stack_offset)), Size::Qword);
        else
            masm.mov(Gpr::r12, static_cast<Gpr>(layout.results_pointer.reg), Size::Qword);
    }
    for (u32 i = 0; i < layout.param_count(); ++i) {
        const ArgSlot& arg = layout.params[i];
        ValKind kind = layout.param_kinds[i];
        Mem destination(Gpr::rbx, static_cast<i32>(i * kStride));
        if (arg.on_stack)
            copy_value(masm, kind, destination, Mem(Gpr::rbp, static_cast<i32>(16 + arg.stack_offset)));
        else
            store_value(masm, kind, destination, arg.reg);
    }
    masm.mov(Gpr::rsi, Gpr::rbx, Size::Qword);
    masm.mov(kScratch, Mem(Gpr::rax, static_cast<i32>(offsetof(runtime::VMFuncRef, array_call))), Size::Qword);
    masm.call_relocated(retpoline_symbol);
    if (layout.result_count() == 1) {
        ValKind kind = layout.result_kinds[0];
        load_value(masm, kind, is_float(kind) ? number(Xmm::xmm0) : number(Gpr::rax), Mem(Gpr::rbx));
    } else {
        for (u32 k = 0; k < layout.result_count(); ++k) {
            i32 disp = static_cast<i32>(k * kStride);
            copy_value(masm, layout.result_kinds[k], Mem(Gpr::r12, disp), Mem(Gpr::rbx, disp));
        }
    }
    epilogue(masm);
}

// rax holds a non-null VMFuncRef*. Calls (or tail-calls) its native code, or the
// wasm → array-call trampoline of the type when the callee has none (a host function
// with only an array entry); the trampoline finds the funcref in rax.
void emit_direct_transfer(Assembler& masm, u32 symbol, bool tail)
{
    masm.mov(Gpr::rdi, kVmctx, Size::Qword);
    if (tail) {
        masm.mov(kVmctx, Mem(Gpr::rbp, kSavedR14), Size::Qword);
        masm.mov(kMemoryBase, Mem(Gpr::rbp, kSavedR15), Size::Qword);
        masm.mov(Gpr::rsp, Gpr::rbp, Size::Qword);
        masm.pop(Gpr::rbp);
        masm.jmp_relocated(symbol);
    } else {
        masm.call_relocated(symbol);
    }
}

void emit_funcref_transfer(Assembler& masm, u32 trampoline_symbol, u32 retpoline_symbol, bool tail)
{
    Label have_code;
    Label is_host;
    masm.mov(Gpr::rdi, Mem(Gpr::rax, 8), Size::Qword);
    // NOTE: stack limits are per VMContext; a callee in another instance may never have
    // been entered from this thread, so it inherits the caller's limit (host functions'
    // vmctx is a HostFunction and has no limit).
    masm.test(Mem(Gpr::rax, static_cast<i32>(offsetof(runtime::VMFuncRef, flags))), static_cast<i32>(runtime::VMFuncRef::kFuncRefHost), Size::Dword);
    masm.jcc(Condition::NotEqual, is_host);
    masm.mov(kScratch, Mem(kVmctx, static_cast<i32>(runtime::VMOffsets::kStackLimit)), Size::Qword);
    masm.mov(Mem(Gpr::rdi, static_cast<i32>(runtime::VMOffsets::kStackLimit)), kScratch, Size::Qword);
    masm.bind(is_host);
    masm.mov(kScratch, Mem(Gpr::rax, 0), Size::Qword);
    masm.test(kScratch, kScratch, Size::Qword);
    masm.jcc(Condition::NotEqual, have_code);
    masm.lea(kScratch, Mem::rip_relocated(trampoline_symbol), Size::Qword);
    masm.bind(have_code);
    if (tail) {
        masm.mov(kVmctx, Mem(Gpr::rbp, kSavedR14), Size::Qword);
        masm.mov(kMemoryBase, Mem(Gpr::rbp, kSavedR15), Size::Qword);
        masm.mov(Gpr::rsp, Gpr::rbp, Size::Qword);
        masm.pop(Gpr::rbp);
        masm.jmp_relocated(retpoline_symbol);
    } else {
        masm.call_relocated(retpoline_symbol);
    }
}

namespace {

// The registers a wasm function can receive arguments in, besides rdi (docs/engine-abi.md).
constexpr Gpr kLazySavedGprs[] = { Gpr::rdi, Gpr::rsi, Gpr::rdx, Gpr::rcx, Gpr::r8, Gpr::r9 };
constexpr u32 kLazySavedXmms = 8;

} // namespace

void emit_lazy_compile_stub(Assembler& masm, u32 builtin_external, u32 retpoline_symbol)
{
    constexpr i32 kGprBytes = static_cast<i32>(sizeof(kLazySavedGprs) / sizeof(kLazySavedGprs[0]) * 8);
    // r11d = the function index (the lazy entry set it).
    masm.push(Gpr::rbp);
    masm.mov(Gpr::rbp, Gpr::rsp, Size::Qword);
    for (Gpr reg : kLazySavedGprs)
        masm.push(reg);
    // NOTE: aligned here rather than assumed: a host call needs rsp 16-aligned, and the
    // entries are reached from both tiers, the array-call entry and the trampolines.
    masm.and_(Gpr::rsp, -16, Size::Qword);
    masm.sub(Gpr::rsp, static_cast<i32>(16 * kLazySavedXmms), Size::Qword);
    for (u32 i = 0; i < kLazySavedXmms; ++i)
        masm.movdqu(Mem(Gpr::rsp, static_cast<i32>(16 * i)), static_cast<Xmm>(i));
    // rdi is the callee's vmctx already.
    masm.mov(Gpr::rsi, kScratch, Size::Dword);
    masm.movabs_relocated(kScratch, builtin_external);
    masm.call_relocated(retpoline_symbol);
    masm.mov(kScratch, Gpr::rax, Size::Qword);
    for (u32 i = 0; i < kLazySavedXmms; ++i)
        masm.movdqu(static_cast<Xmm>(i), Mem(Gpr::rsp, static_cast<i32>(16 * i)));
    masm.lea(Gpr::rsp, Mem(Gpr::rbp, -kGprBytes), Size::Qword);
    for (u32 i = sizeof(kLazySavedGprs) / sizeof(kLazySavedGprs[0]); i > 0; --i)
        masm.pop(kLazySavedGprs[i - 1]);
    masm.pop(Gpr::rbp);
    masm.jmp_relocated(retpoline_symbol);
}

void emit_lazy_entry(Assembler& masm, u32 function_index, Label& stub)
{
    masm.align(16);
    masm.mov(kScratch, static_cast<i64>(function_index), Size::Dword);
    masm.jmp_near(stub);
}

} // namespace wk::engine::x64::abi
