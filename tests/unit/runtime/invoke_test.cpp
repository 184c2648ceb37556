// Calls into instances without a compiler: hand-assembled array-call entries stand in
// for compiled functions (LoadedModule::set_function_entries), and the builtins are
// called through the table every VMContext points to.
#include <gtest/gtest.h>

#include "code_page.h"
#include "engine/runtime/builtins.h"
#include "engine/runtime/invoke.h"
#include "engine/runtime/spectest.h"
#include "support.h"

namespace wk::engine::runtime {

using namespace testing;

namespace {

// array_call(vmctx = rdi, values = rsi): values[0].i32 = 42
std::initializer_list<u8> kStore42 = { 0xC7, 0x06, 0x2A, 0x00, 0x00, 0x00, 0xC3 };
// array_call: values[0].i32 += 1; ret
std::initializer_list<u8> kIncrement = { 0x83, 0x06, 0x01, 0xC3 };
// push rbp; mov rbp, rsp; ud2
std::initializer_list<u8> kTrap = { 0x55, 0x48, 0x89, 0xE5, 0x0F, 0x0B };

const void* const* builtins_of(Instance& instance)
{
    const void* const* table;
    std::memcpy(&table, reinterpret_cast<u8*>(instance.vmctx()) + VMOffsets::kBuiltins, sizeof(table));
    return table;
}

template<typename Function>
Function builtin(Instance& instance, Builtin which)
{
    return reinterpret_cast<Function>(const_cast<void*>(builtins_of(instance)[static_cast<u32>(which)]));
}

struct InvokeTest : ::testing::Test {
    RefPtr<Store> store = make_store();
    Linker linker;
};

} // namespace

TEST_F(InvokeTest, HostFunctionThroughInvoke)
{
    StringBuilder output;
    MUST(define_spectest(*store, linker, &output));
    VMFuncRef* print = linker.resolve("spectest", "print_i64")->func;
    VMVal values[1] = { VMVal::from_i64(-9) };
    auto outcome = MUST(invoke(*store, *print, values));
    EXPECT_FALSE(outcome.trap.has_value());
    EXPECT_EQ(std::string(output.view()), "-9 : i64\n");
    EXPECT_TRUE(fails_with(invoke(*store, *print, Span<VMVal>()), ErrorKind::OutOfRange,
                           "argument array too small for the function's type"));
}

TEST_F(InvokeTest, UncompiledFunctionCannotRun)
{
    auto instance = must_instantiate(*store, linker, R"((module (func (export "f") (result i32) (i32.const 1))))");
    ASSERT_TRUE(instance);
    VMVal values[1];
    EXPECT_TRUE(fails_with(invoke(*store, *instance->get_export("f")->func, values), ErrorKind::Unsupported,
                           "execution not implemented"));
}

TEST_F(InvokeTest, CompiledEntriesAreCalledAndTrap)
{
    CodePage store42(kStore42, {});
    CodePage increment(kIncrement, {});
    CodePage trap(kTrap, { { 4, TrapKind::Unreachable } });
    auto module = load(R"(
        (module
          (func (export "answer") (result i32) (i32.const 42))
          (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
          (func (export "boom") unreachable))
    )");
    ASSERT_TRUE(module);
    FunctionEntries entries[] = {
        { nullptr, reinterpret_cast<VMArrayCall>(const_cast<void*>(store42.code())) },
        { nullptr, reinterpret_cast<VMArrayCall>(const_cast<void*>(increment.code())) },
        { nullptr, reinterpret_cast<VMArrayCall>(const_cast<void*>(trap.code())) },
    };
    MUST(module->set_function_entries(entries));
    EXPECT_TRUE(module->is_compiled());
    auto instance = MUST(store->instantiate(*module, linker));

    VMVal values[1];
    auto outcome = MUST(invoke(*store, *instance->get_export("answer")->func, values));
    EXPECT_FALSE(outcome.trap.has_value());
    EXPECT_EQ(values[0].i32_value(), 42);

    values[0] = VMVal::from_i32(9);
    outcome = MUST(invoke(*store, *instance->get_export("inc")->func, values));
    EXPECT_EQ(values[0].i32_value(), 10);

    outcome = MUST(invoke(*store, *instance->get_export("boom")->func, values));
    ASSERT_TRUE(outcome.trap.has_value());
    EXPECT_EQ(outcome.trap->kind, TrapKind::Unreachable);
    EXPECT_EQ(outcome.trap->pc, trap.address(4));

    // invoke() gave the instance the thread's stack limit, below the current stack.
    u64 limit;
    std::memcpy(&limit, reinterpret_cast<u8*>(instance->vmctx()) + VMOffsets::kStackLimit, sizeof(limit));
    EXPECT_NE(limit, 0u);
    EXPECT_LT(limit, reinterpret_cast<u64>(__builtin_frame_address(0)));
}

TEST_F(InvokeTest, CompiledStartFunctionRunsOrTraps)
{
    CodePage trap(kTrap, { { 4, TrapKind::Unreachable } });
    CodePage ret({ 0xC3 }, {});
    auto module = load(R"((module (func $s) (start $s)))");
    ASSERT_TRUE(module);
    FunctionEntries ok[] = { { nullptr, reinterpret_cast<VMArrayCall>(const_cast<void*>(ret.code())) } };
    MUST(module->set_function_entries(ok));
    EXPECT_FALSE(store->instantiate(*module, linker).is_error());

    auto trapping = load(R"((module (func $s) (start $s)))");
    ASSERT_TRUE(trapping);
    FunctionEntries bad[] = { { nullptr, reinterpret_cast<VMArrayCall>(const_cast<void*>(trap.code())) } };
    MUST(trapping->set_function_entries(bad));
    EXPECT_TRUE(fails_with(store->instantiate(*trapping, linker), ErrorKind::OutOfRange, "unreachable"));
    FunctionEntries wrong_count[] = { ok[0], ok[0] };
    EXPECT_TRUE(trapping->set_function_entries(wrong_count).is_error());
}

TEST_F(InvokeTest, MemoryBuiltins)
{
    auto instance = must_instantiate(*store, linker, R"(
        (module (memory 1 3) (memory $b 1) (data "hello") (data (i32.const 0) "x")))");
    ASSERT_TRUE(instance);
    VMContext* vmctx = instance->vmctx();
    auto grow = builtin<u64 (*)(VMContext*, u32, u64)>(*instance, Builtin::MemoryGrow);
    EXPECT_EQ(grow(vmctx, 0, 1), 1u);
    EXPECT_EQ(grow(vmctx, 0, 2), ~u64 { 0 });
    EXPECT_EQ(static_cast<i32>(grow(vmctx, 0, 2)), -1); // what an i32 memory.grow yields
    Memory* memory = instance->memory(0);
    auto fill = builtin<u32 (*)(VMContext*, u32, u64, u32, u64)>(*instance, Builtin::MemoryFill);
    EXPECT_EQ(fill(vmctx, 0, 10, 0x1AB, 4), 0u);
    EXPECT_EQ(memory->base()[13], 0xAB);
    EXPECT_EQ(fill(vmctx, 0, 2 * 65536 - 1, 1, 2), static_cast<u32>(TrapKind::MemoryOutOfBounds));
    auto init = builtin<u32 (*)(VMContext*, u32, u32, u64, u32, u32)>(*instance, Builtin::MemoryInit);
    EXPECT_EQ(init(vmctx, 1, 0, 100, 1, 4), 0u);
    EXPECT_EQ(instance->memory(1)->base()[100], 'e');
    EXPECT_EQ(init(vmctx, 1, 0, 100, 2, 4), static_cast<u32>(TrapKind::MemoryOutOfBounds));
    EXPECT_EQ(init(vmctx, 0, 1, 0, 0, 1), static_cast<u32>(TrapKind::MemoryOutOfBounds)); // active: dropped
    auto copy = builtin<u32 (*)(VMContext*, u32, u32, u64, u64, u64)>(*instance, Builtin::MemoryCopy);
    EXPECT_EQ(copy(vmctx, 0, 1, 0, 100, 4), 0u);
    EXPECT_EQ(memory->base()[0], 'e');
    EXPECT_EQ(copy(vmctx, 0, 0, 1, 0, 4), 0u); // overlapping
    EXPECT_EQ(memory->base()[1], 'e');
    EXPECT_EQ(memory->base()[4], 'o');
    EXPECT_EQ(copy(vmctx, 1, 0, 65535, 0, 2), static_cast<u32>(TrapKind::MemoryOutOfBounds));
    auto drop = builtin<void (*)(VMContext*, u32)>(*instance, Builtin::DataDrop);
    drop(vmctx, 0);
    EXPECT_EQ(init(vmctx, 1, 0, 0, 0, 1), static_cast<u32>(TrapKind::MemoryOutOfBounds));
    EXPECT_EQ(init(vmctx, 1, 0, 0, 0, 0), 0u);
}

TEST_F(InvokeTest, TableBuiltins)
{
    auto instance = must_instantiate(*store, linker, R"(
        (module (table 2 4 funcref) (table $u 3 funcref) (func $f) (func $g) (elem func $f $g)))");
    ASSERT_TRUE(instance);
    VMContext* vmctx = instance->vmctx();
    VMFuncRef* f = instance->function(0);
    VMFuncRef* g = instance->function(1);
    auto grow = builtin<u64 (*)(VMContext*, u32, void*, u64)>(*instance, Builtin::TableGrow);
    EXPECT_EQ(grow(vmctx, 0, f, 1), 2u);
    EXPECT_EQ(instance->table(0)->get(2), f);
    EXPECT_EQ(grow(vmctx, 0, f, 2), ~u64 { 0 });
    auto fill = builtin<u32 (*)(VMContext*, u32, u64, void*, u64)>(*instance, Builtin::TableFill);
    EXPECT_EQ(fill(vmctx, 1, 0, g, 3), 0u);
    EXPECT_EQ(fill(vmctx, 1, 1, g, 3), static_cast<u32>(TrapKind::TableOutOfBounds));
    auto init = builtin<u32 (*)(VMContext*, u32, u32, u64, u32, u32)>(*instance, Builtin::TableInit);
    EXPECT_EQ(init(vmctx, 0, 0, 0, 0, 2), 0u);
    EXPECT_EQ(instance->table(0)->get(0), f);
    EXPECT_EQ(instance->table(0)->get(1), g);
    EXPECT_EQ(init(vmctx, 0, 0, 2, 1, 2), static_cast<u32>(TrapKind::TableOutOfBounds));
    auto copy = builtin<u32 (*)(VMContext*, u32, u32, u64, u64, u64)>(*instance, Builtin::TableCopy);
    EXPECT_EQ(copy(vmctx, 1, 0, 1, 0, 2), 0u);
    EXPECT_EQ(instance->table(1)->get(1), f);
    EXPECT_EQ(copy(vmctx, 1, 0, 2, 0, 2), static_cast<u32>(TrapKind::TableOutOfBounds));
    auto drop = builtin<void (*)(VMContext*, u32)>(*instance, Builtin::ElemDrop);
    drop(vmctx, 0);
    EXPECT_EQ(init(vmctx, 0, 0, 0, 0, 1), static_cast<u32>(TrapKind::TableOutOfBounds));
}

} // namespace wk::engine::runtime
