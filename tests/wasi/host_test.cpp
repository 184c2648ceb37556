// The preview1 functions as runtime host functions: registered under
// wasi_snapshot_preview1 with their exact wasm types, callable through both entries.
#include <gtest/gtest.h>

#include "engine/runtime/invoke.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/wasi/exit.h"
#include "engine/wasi/wasi_host.h"
#include "tests/wasi/fake_system.h"

using namespace wk;
using namespace wk::engine;
using namespace wk::engine::wasi;
using wk::engine::wasi::testing::Guest;

namespace {

struct Registered {
    Guest guest;
    RefPtr<runtime::Store> store;
    runtime::Linker linker;

    Registered()
    {
        store = MUST(runtime::Store::create());
        EXPECT_TRUE(define_wasi(*store, linker, guest.context).has_value());
    }

    runtime::VMFuncRef* function(const char* name)
    {
        auto found = linker.resolve(kModuleName, StringView(name));
        EXPECT_TRUE(found.has_value()) << name;
        return found ? found->func : nullptr;
    }

    // The function's type as "i32,i64->i32".
    std::string signature(const char* name)
    {
        u32 id = function(name)->type_id;
        auto text = [](Span<const ValType> types) {
            std::string out;
            for (const ValType& type : types) {
                if (!out.empty())
                    out += ",";
                out += type.kind == ValKind::I32 ? "i32" : type.kind == ValKind::I64 ? "i64" : "?";
            }
            return out;
        };
        return text(store->types().params(id)) + "->" + text(store->types().results(id));
    }
};

} // namespace

TEST(WasiHost, DefinesEveryFunctionWithItsPreview1Type)
{
    Registered r;
    EXPECT_EQ(r.linker.size(), kFunctionCount);
    EXPECT_EQ(r.signature("fd_write"), "i32,i32,i32,i32->i32");
    EXPECT_EQ(r.signature("fd_seek"), "i32,i64,i32,i32->i32");
    EXPECT_EQ(r.signature("fd_pread"), "i32,i32,i32,i64,i32->i32");
    EXPECT_EQ(r.signature("path_open"), "i32,i32,i32,i32,i32,i64,i64,i32,i32->i32");
    EXPECT_EQ(r.signature("path_filestat_set_times"), "i32,i32,i32,i32,i64,i64,i32->i32");
    EXPECT_EQ(r.signature("clock_time_get"), "i32,i64,i32->i32");
    EXPECT_EQ(r.signature("fd_advise"), "i32,i64,i64,i32->i32");
    EXPECT_EQ(r.signature("fd_readdir"), "i32,i32,i32,i64,i32->i32");
    EXPECT_EQ(r.signature("proc_exit"), "i32->");
    EXPECT_EQ(r.signature("sched_yield"), "->i32");
    EXPECT_EQ(r.signature("sock_recv"), "i32,i32,i32,i32,i32,i32->i32");
    for (const char* name : { "args_get", "poll_oneoff", "random_get", "path_symlink", "fd_renumber" }) {
        runtime::VMFuncRef* function = r.function(name);
        ASSERT_NE(function, nullptr);
        EXPECT_TRUE(function->is_host());
        EXPECT_NE(function->native_code, nullptr);
        EXPECT_NE(function->array_call, nullptr);
    }
}

TEST(WasiHost, ArrayCallThroughInvoke)
{
    Registered r;
    r.guest.put(64, "hello");
    r.guest.put_iovec(0, 64, 5);
    runtime::VMVal values[4] = { runtime::VMVal::from_u32(1), runtime::VMVal::from_u32(0), runtime::VMVal::from_u32(1),
                                 runtime::VMVal::from_u32(100) };
    auto outcome = runtime::invoke(*r.store, *r.function("fd_write"), Span<runtime::VMVal>(values, 4));
    ASSERT_TRUE(outcome.has_value());
    EXPECT_FALSE(outcome->trap.has_value());
    EXPECT_EQ(values[0].u32_value(), 0u);
    EXPECT_EQ(r.guest.get_u32(100), 5u);
    EXPECT_EQ(r.guest.system.written[r.guest.context.entry(1)->handle], "hello");
    // A fault comes back as errno 21 in the result slot.
    values[0] = runtime::VMVal::from_u32(1);
    values[1] = runtime::VMVal::from_u32(0xFFFF'0000u);
    ASSERT_TRUE(runtime::invoke(*r.store, *r.function("fd_write"), Span<runtime::VMVal>(values, 4)).has_value());
    EXPECT_EQ(values[0].u32_value(), 21u);
}

TEST(WasiHost, NativeEntryHasTheWasmSignature)
{
    Registered r;
    runtime::VMFuncRef* function = r.function("clock_time_get");
    using Native = u32 (*)(runtime::VMContext*, u32, u64, u32);
    auto native = reinterpret_cast<Native>(const_cast<void*>(function->native_code));
    EXPECT_EQ(native(function->vmctx, 1, 0, 8), 0u);
    EXPECT_EQ(r.guest.get_u64(8), 5'000'000'000u);
    EXPECT_EQ(native(function->vmctx, 1, 0, Guest::kMemorySize - 4), 21u);

    runtime::VMFuncRef* exit = r.function("proc_exit");
    using NativeExit = void (*)(runtime::VMContext*, u32);
    reinterpret_cast<NativeExit>(const_cast<void*>(exit->native_code))(exit->vmctx, 3);
    EXPECT_EQ(*r.guest.context.exit_status(), 3u);
}

TEST(WasiHost, ProcExitUnwindsOutOfTheActivation)
{
    Registered r;
    r.guest.context.set_exit_hook(unwind_on_exit, nullptr);
    runtime::VMVal values[1] = { runtime::VMVal::from_u32(9) };
    auto outcome = runtime::invoke(*r.store, *r.function("proc_exit"), Span<runtime::VMVal>(values, 1));
    ASSERT_TRUE(outcome.has_value());
    ASSERT_TRUE(outcome->trap.has_value());
    EXPECT_EQ(outcome->trap->kind, TrapKind::Exit);
    EXPECT_EQ(*r.guest.context.exit_status(), 9u);
    EXPECT_EQ(platform::current_activation(), nullptr);
    // The thread goes on normally: another call through the same entry returns.
    values[0] = runtime::VMVal::from_u32(0);
    auto again = runtime::invoke(*r.store, *r.function("sched_yield"), Span<runtime::VMVal>(values, 1));
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(again->trap.has_value());
    EXPECT_EQ(values[0].u32_value(), 0u);
}

// A cancelled guest (a killed process) leaves wasm after the call that noticed it returned:
// the call itself ran, no exit status is recorded, and the activation ends as by proc_exit.
TEST(WasiHost, CancelledGuestUnwindsOnceTheCallReturned)
{
    Registered r;
    r.guest.context.set_exit_hook(unwind_on_exit, nullptr);
    r.guest.system.cancel = true;
    runtime::VMVal values[1] = { runtime::VMVal::from_u32(0) };
    auto outcome = runtime::invoke(*r.store, *r.function("sched_yield"), Span<runtime::VMVal>(values, 1));
    ASSERT_TRUE(outcome.has_value());
    ASSERT_TRUE(outcome->trap.has_value());
    EXPECT_EQ(outcome->trap->kind, TrapKind::Exit);
    EXPECT_FALSE(r.guest.context.exit_status().has_value());
    ASSERT_EQ(r.guest.system.calls.size(), 1u);
    EXPECT_EQ(r.guest.system.calls[0], "yield");
    EXPECT_EQ(platform::current_activation(), nullptr);
    // Not cancelled any more: the same entry returns normally.
    r.guest.system.cancel = false;
    auto again = runtime::invoke(*r.store, *r.function("sched_yield"), Span<runtime::VMVal>(values, 1));
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(again->trap.has_value());
}

TEST(WasiHost, ProcExitOutsideWasmReturns)
{
    Registered r;
    r.guest.context.set_exit_hook(unwind_on_exit, nullptr);
    r.guest.context.proc_exit(4);
    EXPECT_EQ(*r.guest.context.exit_status(), 4u);
}
