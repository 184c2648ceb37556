// The stack check covers every byte compiled code writes: a recursion swept across the
// limit ends each time in a call with the largest outgoing area there is (1000 v128
// parameters and results), and no run may touch a byte below the limit
// (engine/x64/baseline/baseline_compiler.h, the contract of the stack check).
#include <gtest/gtest.h>

#include <pthread.h>
#include <string>
#include <sys/mman.h>

#include "engine/compile/invoke.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
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
