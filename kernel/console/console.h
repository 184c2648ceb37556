#pragma once

namespace wk::kernel::console {

// The kernel's interactive console on COM1 until the shell becomes a wasm program: reads a
// line (echo, backspace, CR or LF to finish) and runs one built-in command. Never returns.
[[noreturn]] void run();

} // namespace wk::kernel::console
