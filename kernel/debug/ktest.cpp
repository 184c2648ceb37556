#include "kernel/debug/ktest.h"

#include "kernel/time/clock.h"

extern "C" const wk::kernel::debug::KernelTest __ktests_start[], __ktests_end[];

namespace wk::kernel::debug {

TestSummary run_kernel_tests(std::string_view filter)
{
    TestSummary summary { 0, 0 };
    // The production kernel (wasmkern.elf) is linked without its tests; wasmkern-test.elf has them.
    if (__ktests_start == __ktests_end) {
        print("no kernel tests in this kernel (they are in wasmkern-test.elf)\n");
        return summary;
    }
    for (const KernelTest* test = __ktests_start; test < __ktests_end; ++test) {
        std::string_view name = test->name;
        if (!filter.empty() && name.find(filter) == std::string_view::npos)
            continue;
        print("[ RUN  ] {}\n", name);
        TestContext context;
        u64 start = time::nanoseconds_since_boot();
        test->function(context);
        u64 micros = (time::nanoseconds_since_boot() - start) / 1000;
        if (context.failures() == 0) {
            ++summary.passed;
            print("[  OK  ] {} ({} us)\n", name, micros);
        } else {
            ++summary.failed;
            print("[ FAIL ] {} ({} failed expectations)\n", name, context.failures());
        }
    }
    print("{} passed, {} failed\n", summary.passed, summary.failed);
    return summary;
}

} // namespace wk::kernel::debug
