// wk-bench xcall [CALLS]: the engine's part of a kernel direct call (docs/kernel-objects.md,
// "Direct calls") on the real CPU. A client module's spin(n) calls the host import
// `bench.xcall` n times; xcall does what the kernel's direct call does once the gate is
// taken: runtime::invoke of a function of *another* store's instance (the service's) on the
// same thread, inside a nested activation, saving and restoring the callee VMContext's stack
// limit. Compared with spin(n) calling the empty `bench.nop`, the difference is the cost of
// the nested call itself. Not included: the kernel's handle lookup and its two
// interrupts-off sections around the call. Median of 7 timed spins, ns and TSC ticks per call.

#include <x86intrin.h>

#include "bench/tools/commands.h"

#include "engine/compile/compiled_module.h"
#include "engine/runtime/host_function.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/invoke.h"

namespace wk::bench {

using namespace engine;

namespace {

constexpr std::string_view kServiceWat = R"wat((module
  (func (export "nothing"))
  (func (export "add") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1))))
)wat";

constexpr std::string_view kClientWat = R"wat((module
  (import "bench" "xcall" (func $xcall))
  (import "bench" "nop" (func $nop))
  (func (export "spin") (param $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (call $xcall)
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next))))
  (func (export "spin_nop") (param $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (call $nop)
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))))
)wat";

constexpr int kTimedRuns = 7;

struct Target {
    runtime::Store* store { nullptr };
    const runtime::VMFuncRef* function { nullptr };
    u64 failures { 0 };
};

// The kernel's direct call minus the gate (kernel/proc/direct_call.cpp).
void xcall(runtime::VMContext* self)
{
    auto& target = *static_cast<Target*>(runtime::HostFunction::from_vmctx(self).data());
    auto* limit_slot = reinterpret_cast<u8*>(target.function->vmctx) + runtime::VMOffsets::kStackLimit;
    u64 saved;
    __builtin_memcpy(&saved, limit_slot, sizeof saved);
    runtime::VMVal values[2];
    auto outcome = runtime::invoke(*target.store, *target.function, Span<runtime::VMVal>(values, 2));
    __builtin_memcpy(limit_slot, &saved, sizeof saved);
    if (!outcome || outcome->trap)
        ++target.failures;
}

void xcall_array(runtime::VMContext* self, runtime::VMVal*) { xcall(self); }

struct Sample {
    u64 ns;
    u64 ticks;
};

} // namespace

int xcall_command(const Arguments& args)
{
    if (args.size() > 1)
        return usage_error("xcall takes [CALLS]");
    auto calls = parse_count(args, 0, 2'000'000);
    if (!calls)
        return kExitFailure;
    if (*calls > 0x7fff'ffff)
        return usage_error("CALLS must fit in an i32");

    // The service: a store of its own.
    auto service_imports = BenchImports::create();
    auto service_module = compile::load_and_compile(to_vector(wat_module(kServiceWat)));
    if (!service_imports || !service_module)
        return print_error("service", service_imports ? service_module.error() : service_imports.error());
    auto service = (*service_imports)->store().instantiate(*service_module->module, (*service_imports)->linker());
    if (!service)
        return print_error("service", service.error());
    auto nothing = (*service)->get_export("nothing");
    Target target { &(*service_imports)->store(), nothing->func };

    // The client: another store, whose import bench.xcall makes the nested call.
    auto client_imports = BenchImports::create();
    if (!client_imports)
        return print_error("client", client_imports.error());
    auto& client_store = (*client_imports)->store();
    auto type_id = client_store.types().intern_function({}, {});
    if (!type_id)
        return print_error("client", type_id.error());
    auto xcall_function = client_store.create_host_function(*type_id, &xcall_array, reinterpret_cast<const void*>(&xcall), &target);
    if (!xcall_function)
        return print_error("client", xcall_function.error());
    if (auto defined = (*client_imports)->linker().define("bench", "xcall", runtime::Extern::from(*xcall_function)); !defined)
        return print_error("client", defined.error());
    auto client_module = compile::load_and_compile(to_vector(wat_module(kClientWat)));
    if (!client_module)
        return print_error("client", client_module.error());
    auto client = client_store.instantiate(*client_module->module, (*client_imports)->linker());
    if (!client)
        return print_error("client", client.error());

    auto run = [&](const char* name, u64 count) -> std::optional<Sample> {
        runtime::VMVal argument = runtime::VMVal::from_i32(static_cast<i32>(count));
        u64 start = now_ns();
        u64 start_ticks = __rdtsc();
        auto outcome = compile::invoke_export(**client, StringView(name, __builtin_strlen(name)), Span<const runtime::VMVal>(&argument, 1));
        u64 ticks = __rdtsc() - start_ticks;
        u64 ns = now_ns() - start;
        if (!outcome || outcome->trap)
            return std::nullopt;
        return Sample { ns, ticks };
    };
    auto per_call = [&](const char* name, double& ns, double& ticks) -> bool {
        if (!run(name, 10000))
            return false;
        std::vector<u64> ns_samples, tick_samples;
        for (int i = 0; i < kTimedRuns; ++i) {
            auto sample = run(name, *calls);
            if (!sample)
                return false;
            ns_samples.push_back(sample->ns);
            tick_samples.push_back(sample->ticks);
        }
        ns = static_cast<double>(median(ns_samples)) / static_cast<double>(*calls);
        ticks = static_cast<double>(median(tick_samples)) / static_cast<double>(*calls);
        return true;
    };
    double xcall_ns = 0, xcall_ticks = 0, nop_ns = 0, nop_ticks = 0;
    if (!per_call("spin", xcall_ns, xcall_ticks) || !per_call("spin_nop", nop_ns, nop_ticks) || target.failures) {
        std::fprintf(stderr, "xcall: a call failed or trapped\n");
        return kExitFailure;
    }
    std::printf("ns_per_xcall: %.2f\nticks_per_xcall: %.1f\nns_per_nop_hostcall: %.2f\nticks_per_nop_hostcall: %.1f\n",
                xcall_ns, xcall_ticks, nop_ns, nop_ticks);
    return kExitOk;
}

} // namespace wk::bench
