#include "kernel/debug/log.h"
#include "kernel/spec/spec_suite.h"

// The production kernel (wasmkern.elf) has no spec runner and no WAT parser: `spec` on its
// command line fails with this message. The runner is linked into wasmkern-test.elf only.
namespace wk::kernel::spec {

bool run_suite(StringView)
{
    debug::error("spec: this kernel has no spec runner (it is in wasmkern-test.elf)");
    return false;
}

} // namespace wk::kernel::spec
