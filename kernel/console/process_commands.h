#pragma once

#include <string_view>

namespace wk::kernel::console {

// Console commands around processes (kernel/proc). Arguments are split at spaces.
void command_run(std::string_view arguments);   // run PATH [ARGS...]: spawn and wait
void command_spawn(std::string_view arguments); // spawn PATH [ARGS...]: in the background
void command_wait(std::string_view arguments);  // wait PID
void command_kill(std::string_view arguments);  // kill PID
void command_ps(std::string_view arguments);
void command_cache(std::string_view arguments); // cache [drop]
// spawnbench N PATH [ARGS...]: spawn and wait N + 1 times with empty stdio; prints the first
// (compiling) and the cached spawn times. A benchmark, not a test.
void command_spawnbench(std::string_view arguments);

// Boots into `path` (the shell) with the serial console as its stdio, and waits for it.
// Returns false, having said why, when it could not be started.
bool run_first_process(std::string_view path);

} // namespace wk::kernel::console
