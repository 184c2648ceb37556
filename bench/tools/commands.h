#pragma once

// The wk-bench subcommands (wk_bench.cpp lists them with their usage). Each prints its
// figures on stdout as `key: value` lines, nanoseconds unless the key says otherwise.

#include <string_view>

#include "bench/tools/measure.h"

namespace wk::bench {

int compile_command(const Arguments&);
int instantiate_command(const Arguments&);
int hostcall_command(const Arguments&);
int xcall_command(const Arguments&);
int code_command(const Arguments&);

// Prints `wk-bench: MESSAGE` and the usage to stderr; returns kExitUsage.
int usage_error(std::string_view message);

} // namespace wk::bench
