#pragma once

#include "base/string_view.h"

// The spec suite inside the kernel: the same runner as `wasmkern wast` (engine/spec),
// with the kernel's compiler, runtime and trap handling.
namespace wk::kernel::spec {

// Runs the .wast scripts listed in the file `list_path` (one path per line, relative to
// the list's directory; blank lines ignored) on a kernel thread of its own. Prints each
// failed command's line, a progress line every 16 scripts, and finally the line
// `N passed, N failed, N skipped` over every script. True when no command failed and
// every script was read.
bool run_suite(StringView list_path);

} // namespace wk::kernel::spec
