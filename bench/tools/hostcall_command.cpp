// wk-bench hostcall [FILE.wasm] [CALLS]: the cost of wasm calling a host function that
// does nothing. The module's export `spin(n)` calls the import `bench.nop` n times
// (bench/harness/micro/hostcall.wasm, which V8 runs too; a built-in equivalent without
// FILE). Median over 7 timed calls of spin(CALLS) after a warm-up, in ns per call, loop
// included — as bench/harness/hostcall.mjs measures V8. Twice: bench.nop with a native
// entry (compiled code calls it directly, as every WASI import is called) and with only
// the array-call entry (through the wasm → host trampoline).

#include "bench/tools/commands.h"

#include "engine/compile/compiled_module.h"

namespace wk::bench {

using namespace engine;

namespace {

constexpr std::string_view kSpinWat = R"wat((module
  (import "bench" "nop" (func $nop))
  (func (export "spin") (param $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (call $nop)
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))))
)wat";

constexpr int kTimedRuns = 7;

std::optional<double> ns_per_call(const char* what, const std::string& bytes, u64 calls, bool native_entry)
{
    auto compiled = compile::load_and_compile(to_vector(bytes));
    if (compiled.is_error()) {
        print_error(what, compiled.error());
        return std::nullopt;
    }
    auto imports = BenchImports::create(native_entry);
    if (imports.is_error()) {
        print_error(what, imports.error());
        return std::nullopt;
    }
    auto instance = (*imports)->store().instantiate(*compiled->module, (*imports)->linker());
    if (instance.is_error()) {
        print_error(what, instance.error());
        return std::nullopt;
    }
    auto spin = [&](u64 count) -> bool {
        runtime::VMVal argument = runtime::VMVal::from_i32(static_cast<i32>(count));
        auto outcome = compile::invoke_export(**instance, StringView("spin"), Span<const runtime::VMVal>(&argument, 1));
        if (outcome.is_error()) {
            print_error(what, outcome.error());
            return false;
        }
        if (outcome->trap) {
            std::fprintf(stderr, "%s: spin trapped\n", what);
            return false;
        }
        return true;
    };
    if (!spin(1000))
        return std::nullopt;
    std::vector<u64> samples;
    for (int run = 0; run < kTimedRuns; ++run) {
        u64 start = now_ns();
        if (!spin(calls))
            return std::nullopt;
        samples.push_back(now_ns() - start);
    }
    return static_cast<double>(median(samples)) / static_cast<double>(calls);
}

} // namespace

int hostcall_command(const Arguments& args)
{
    if (args.size() > 2)
        return usage_error("hostcall takes [FILE.wasm] [CALLS]");
    bool builtin = args.empty() || (args[0].find_first_not_of("0123456789") == std::string_view::npos);
    if (builtin && args.size() > 1)
        return usage_error("hostcall takes [FILE.wasm] [CALLS]");
    auto calls = parse_count(args, builtin ? 0 : 1, 10'000'000);
    if (!calls)
        return kExitFailure;
    if (*calls > 0x7fff'ffff)
        return usage_error("CALLS must fit in an i32");
    std::string what = builtin ? "built-in spin module" : std::string(args[0]);
    std::string bytes;
    if (builtin) {
        bytes = wat_module(kSpinWat);
    } else {
        auto file = read_file(what.c_str());
        if (!file)
            return kExitFailure;
        bytes = std::move(*file);
    }
    auto native = ns_per_call(what.c_str(), bytes, *calls, true);
    auto array = ns_per_call(what.c_str(), bytes, *calls, false);
    if (!native || !array)
        return kExitFailure;
    std::printf("ns_per_call: %.2f\nns_per_call_array: %.2f\n", *native, *array);
    return kExitOk;
}

} // namespace wk::bench
