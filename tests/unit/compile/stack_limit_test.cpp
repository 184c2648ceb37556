// The stack check covers every byte compiled code writes: a recursion swept across the
// limit ends each time in a call with the largest outgoing area there is (1000 v128
// parameters and results), and no run may touch a byte below the limit
// (engine/x64/baseline/baseline_compiler.h, the contract of the stack check).
#include <gtest/gtest.h>

#include <pthread.h>
#include <string>
#include <sys/mman.h>

#include "engine/compile/code_object.h"
#include "engine/compile/compiled_module.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/runtime/vm.h"
#include "engine/text/wat.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;

namespace {

constexpr u32 kWide = 1000;
constexpr u8 kPaint = 0xA5;
constexpr usize kThreadStack = 1024 * 1024;

// $rec recurses n deep; at the bottom mode 1 calls $wide (the widest type wasm has),
// mode 0 returns. Both are in the same function so each depth has the same frames.
std::string wide_module()
{
    std::string v128s;
    for (u32 i = 0; i < kWide; ++i)
        v128s += " v128";
    std::string text = "(module\n (type $wide (func (param" + v128s + ") (result" + v128s + ")))\n";
    text += " (func $wide (type $wide)";
    for (u32 i = 0; i < kWide; ++i)
        text += " local.get " + std::to_string(i);
    text += ")\n (func $leaf (result i32) (local v128)";
    for (u32 i = 0; i < kWide; ++i)
        text += " local.get 0";
    text += " call $wide";
    for (u32 i = 0; i < kWide; ++i)
        text += " drop";
    text += " i32.const 1)\n";
    text += R"( (func $rec (export "rec") (param $n i32) (param $mode i32) (result i32)
    local.get $n
    if (result i32)
      local.get $n i32.const 1 i32.sub local.get $mode call $rec
    else
      local.get $mode if (result i32) call $leaf else i32.const 0 end
    end))
)";
    return text;
}

struct Sweep {
    std::string failure;
    u32 deepest_probe { 0 };
    u32 passed { 0 };
    u32 exhausted { 0 };
    u32 runs { 0 };
};

struct ThreadArguments {
    u8* stack;
    Sweep* sweep;
};

bool painted(const u8* begin, const u8* end)
{
    for (const u8* p = begin; p < end; ++p) {
        if (*p != kPaint)
            return false;
    }
    return true;
}

void run_sweep(u8* stack_bottom, Sweep& sweep)
{
    std::string text = wide_module();
    auto wasm = text::wat_to_wasm(StringView(text.data(), text.size()));
    if (wasm.is_error()) {
        sweep.failure = wasm.error().message();
        return;
    }
    auto compiled = compile::load_and_compile(wasm.release_value());
    if (compiled.is_error()) {
        sweep.failure = compiled.error().message();
        return;
    }
    auto store = MUST(runtime::Store::create());
    runtime::Linker linker;
    auto instance = store->instantiate(*compiled.value().module, linker);
    if (instance.is_error()) {
        sweep.failure = instance.error().message();
        return;
    }
    // The limit of this thread; everything from a page above the stack's bottom up to
    // it is painted and must stay so.
    u8* limit = reinterpret_cast<u8*>(platform::wasm_stack_limit());
    u8* paint_begin = stack_bottom + 4096;
    if (limit <= paint_begin || limit > stack_bottom + kThreadStack) {
        sweep.failure = "unexpected stack limit";
        return;
    }
    __builtin_memset(paint_begin, kPaint, static_cast<usize>(limit - paint_begin));

    // -1: trapped with "call stack exhausted", 1: returned; anything else is a failure.
    auto run = [&](u32 depth, u32 mode) -> int {
        VMVal args[] = { VMVal::from_i32(static_cast<i32>(depth)), VMVal::from_i32(static_cast<i32>(mode)) };
        auto outcome = compile::invoke_export(*instance.value(), StringView("rec", 3), Span<const VMVal>(args, 2));
        ++sweep.runs;
        if (!painted(paint_begin, limit)) {
            sweep.failure = "wasm code wrote below the stack limit at depth " + std::to_string(depth) + " mode "
                + std::to_string(mode);
            return 0;
        }
        if (outcome.is_error()) {
            sweep.failure = outcome.error().message();
            return 0;
        }
        if (outcome.value().trap) {
            if (outcome.value().trap->kind != TrapKind::StackExhausted) {
                sweep.failure = std::string("unexpected trap: ") + trap_message(outcome.value().trap->kind);
                return 0;
            }
            return -1;
        }
        return 1;
    };

    // The deepest plain recursion that still returns.
    u32 low = 0;
    u32 high = 1u << 20;
    if (run(low, 0) != 1 || run(high, 0) != -1) {
        if (sweep.failure.empty())
            sweep.failure = "probe bounds wrong";
        return;
    }
    while (high - low > 1) {
        u32 middle = low + (high - low) / 2;
        int result = run(middle, 0);
        if (result == 0)
            return;
        (result == 1 ? low : high) = middle;
    }
    sweep.deepest_probe = low;
    // From there upwards (shallower), one depth at a time, until the wide call has
    // passed 32 times in a row: its frames land at every offset the recursion's frame
    // size allows relative to the limit.
    u32 streak = 0;
    for (u32 depth = low; depth > 0 && streak < 32; --depth) {
        int result = run(depth, 1);
        if (result == 0)
            return;
        if (result == 1) {
            ++sweep.passed;
            ++streak;
        } else {
            ++sweep.exhausted;
            streak = 0;
        }
    }
}

void* sweep_thread(void* raw)
{
    auto* arguments = static_cast<ThreadArguments*>(raw);
    run_sweep(arguments->stack, *arguments->sweep);
    return nullptr;
}

} // namespace

TEST(StackLimit, WidestCallAtEveryDepthNearTheLimitTrapsWithoutWritingBelowIt)
{
    // A thread whose stack bounds the test knows: the limit is its bottom plus the host
    // reserve, the painted region below it must survive every run.
    void* stack = mmap(nullptr, kThreadStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(stack, MAP_FAILED);
    mprotect(stack, 4096, PROT_NONE);
    Sweep sweep;
    ThreadArguments arguments { static_cast<u8*>(stack), &sweep };
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    ASSERT_EQ(pthread_attr_setstack(&attributes, stack, kThreadStack), 0);
    pthread_t thread;
    ASSERT_EQ(pthread_create(&thread, &attributes, sweep_thread, &arguments), 0);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attributes);
    munmap(stack, kThreadStack);

    EXPECT_EQ(sweep.failure, "");
    EXPECT_GT(sweep.deepest_probe, 1000u); // several hundred KiB of wasm stack
    // The sweep crossed the boundary: near the limit the wide call does not fit, further
    // up it does.
    EXPECT_GT(sweep.exhausted, 0u);
    EXPECT_EQ(sweep.passed, 32u);
}

namespace {

// The host function of the re-entry test: calls the wide export of the instance back with
// zeros; 1 when it returned, 2 when it trapped with "call stack exhausted".
runtime::Instance* g_reentry_instance;

VMVal g_reentry_arguments[kWide]; // not on the stack: host frames here must stay small

void host_reenter(runtime::VMContext*, VMVal* values)
{
    VMVal* arguments = g_reentry_arguments;
    auto outcome = compile::invoke_export(*g_reentry_instance, StringView("wide", 4), Span<const VMVal>(arguments, kWide));
    i32 result = 0;
    if (!outcome.is_error())
        result = !outcome.value().trap ? 1 : (outcome.value().trap->kind == TrapKind::StackExhausted ? 2 : 0);
    values[0] = VMVal::from_i32(result);
}

struct Reentry {
    std::string failure;
    u32 returned { 0 };
    u32 refused { 0 };
    usize deepest_write_below_limit { 0 };
};

struct ReentryArguments {
    u8* stack;
    Reentry* result;
};

void run_reentry(u8* stack_bottom, Reentry& result)
{
    std::string v128s;
    for (u32 i = 0; i < kWide; ++i)
        v128s += " v128";
    std::string text = "(module\n (import \"host\" \"reenter\" (func $reenter (result i32)))\n";
    text += " (func (export \"wide\") (param" + v128s + "))\n";
    text += R"( (func $rec (export "rec") (param $n i32) (result i32)
    local.get $n
    if (result i32) local.get $n i32.const 1 i32.sub call $rec else call $reenter end))
)";
    auto store = MUST(runtime::Store::create());
    runtime::Linker linker;
    ValType results[] = { ValType::i32() };
    u32 reenter_type = MUST(store->types().intern_function(Span<const ValType>(), Span<const ValType>(results, 1)));
    auto* function = MUST(store->create_host_function(reenter_type, host_reenter, nullptr));
    MUST(linker.define(StringView("host"), StringView("reenter"), runtime::Extern::from(function)));
    auto wasm = text::wat_to_wasm(StringView(text.data(), text.size()));
    if (wasm.is_error()) {
        result.failure = wasm.error().message();
        return;
    }
    auto compiled = compile::load_and_compile(wasm.release_value());
    if (compiled.is_error()) {
        result.failure = compiled.error().message();
        return;
    }
    auto instance = store->instantiate(*compiled.value().module, linker);
    if (instance.is_error()) {
        result.failure = instance.error().message();
        return;
    }
    g_reentry_instance = instance.value().get();
    u8* limit = reinterpret_cast<u8*>(platform::wasm_stack_limit());
    u8* paint_begin = stack_bottom + 4096;
    __builtin_memset(paint_begin, kPaint, static_cast<usize>(limit - paint_begin));
    // From shallow to as deep as recursion goes: near the limit the callback must be
    // refused before its arguments are written (16 KiB of them).
    for (u32 depth = 0; depth < (1u << 20); depth += 7) {
        VMVal args[] = { VMVal::from_i32(static_cast<i32>(depth)) };
        auto outcome = compile::invoke_export(*instance.value(), StringView("rec", 3), Span<const VMVal>(args, 1));
        if (outcome.is_error()) {
            result.failure = outcome.error().message();
            return;
        }
        if (outcome.value().trap) {
            if (outcome.value().trap->kind != TrapKind::StackExhausted)
                result.failure = "unexpected trap";
            break; // the recursion itself no longer fits
        }
        i32 value = outcome.value().results[0].i32_value();
        if (value == 1)
            ++result.returned;
        else if (value == 2)
            ++result.refused;
        else
            result.failure = "the callback failed";
    }
    const u8* p = paint_begin;
    while (p < limit && *p == kPaint)
        ++p;
    result.deepest_write_below_limit = static_cast<usize>(limit - p);
}

void* reentry_thread(void* raw)
{
    auto* arguments = static_cast<ReentryArguments*>(raw);
    run_reentry(arguments->stack, *arguments->result);
    return nullptr;
}

} // namespace

TEST(StackLimit, HostCallbackNearTheLimitIsRefusedBeforeItsArgumentsAreWritten)
{
    void* stack = mmap(nullptr, kThreadStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(stack, MAP_FAILED);
    mprotect(stack, 4096, PROT_NONE);
    Reentry result;
    ReentryArguments arguments { static_cast<u8*>(stack), &result };
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    ASSERT_EQ(pthread_attr_setstack(&attributes, stack, kThreadStack), 0);
    pthread_t thread;
    ASSERT_EQ(pthread_create(&thread, &attributes, reentry_thread, &arguments), 0);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attributes);
    munmap(stack, kThreadStack);

    EXPECT_EQ(result.failure, "");
    EXPECT_GT(result.returned, 0u);
    EXPECT_GT(result.refused, 0u);
    // Host code runs below the limit (the callback, invoke, call_native: about 2.5 KiB
    // here); the wide export's 16 KiB of stack arguments must not follow it (20 KiB were
    // written below the limit before invoke refused such calls).
    EXPECT_LT(result.deepest_write_below_limit, 8192u);
}

// The stack check's stub can be resumed (the kernel grows process stacks there): every
// StackExhausted site of a compiled module is `ud2; jmp` back to the instruction after the
// check (the frame's `sub rsp, imm32`), stack_check_fault reports r11 and rdi, and
// resume_stack_check writes the new limit and moves the pc to the jmp. Other trap sites are
// not stack checks.
TEST(StackLimit, CheckStubResumesPastTheCheck)
{
    const char text[] = R"((module
  (func $a (param i32) (result i32) local.get 0 i32.eqz if unreachable end local.get 0)
  (func $b (export "b") (param i32) (result i32) local.get 0 call $a i32.const 1 i32.add)))";
    auto wasm = MUST(text::wat_to_wasm(StringView(text, sizeof(text) - 1)));
    auto compiled = MUST(compile::load_and_compile(std::move(wasm)));
    const u8* base = compiled.code->base();
    alignas(16) u8 vmctx[256] = {};
    u32 stack_checks = 0;
    u32 others = 0;
    for (const TrapEntry& entry : compiled.code->traps()) {
        uptr pc = reinterpret_cast<uptr>(base + entry.code_offset);
        FaultState state { .pc = pc, .sp = 0x7000'0000, .r11 = 0x6fff'f000, .rdi = reinterpret_cast<u64>(vmctx) };
        auto fault = stack_check_fault(state);
        if (entry.kind != TrapKind::StackExhausted) {
            EXPECT_FALSE(fault.has_value());
            ++others;
            continue;
        }
        ++stack_checks;
        ASSERT_TRUE(fault.has_value());
        EXPECT_EQ(fault->needed, 0x6fff'f000u);
        EXPECT_EQ(fault->vmctx, static_cast<void*>(vmctx));
        EXPECT_EQ(fault->resume_pc, pc + 2);
        // The jmp's target: REX.W 81 /5 (sub rsp, imm32), the frame allocation after the check.
        const u8* jump = base + entry.code_offset + 2;
        const u8* target = jump[0] == 0xEB ? jump + 2 + static_cast<i8>(jump[1])
                                           : jump + 5 + static_cast<i32>(jump[1] | jump[2] << 8 | jump[3] << 16 | u32 { jump[4] } << 24);
        EXPECT_EQ(target[0], 0x48);
        EXPECT_EQ(target[1], 0x81);
        EXPECT_EQ(target[2], 0xEC);
        resume_stack_check(*fault, 0x6ffe'0000, state);
        EXPECT_EQ(state.pc, pc + 2);
        u64 limit = 0;
        __builtin_memcpy(&limit, vmctx + runtime::VMOffsets::kStackLimit, sizeof(limit));
        EXPECT_EQ(limit, 0x6ffe'0000u);
        // Without a VMContext there is nothing to resume.
        FaultState no_context = state;
        no_context.pc = pc;
        no_context.rdi = 0;
        EXPECT_FALSE(stack_check_fault(no_context).has_value());
    }
    EXPECT_EQ(stack_checks, 2u); // one per function
    EXPECT_GE(others, 1u);       // the unreachable
}
