#pragma once

#include <optional>

#include "base/span.h"
#include "base/types.h"
#include "engine/wasi/wasi_types.h"

namespace wk::kernel::sys {

// A character stream behind a stdio handle: the console, or a capture in tests.
class Stream {
public:
    virtual ~Stream() = default;
    // Blocks until at least one byte is there (0: end of input). NotSup when write-only.
    virtual engine::wasi::Expected<usize> read(Bytes) = 0;
    virtual engine::wasi::Expected<usize> write(ReadonlyBytes) = 0;
    // Whether read() would return without waiting.
    virtual bool readable_now() = 0;
    virtual bool writable() const = 0;
};

// COM1: reads poll the UART (sleeping a millisecond in between) through the console input
// buffer below, writes go to the serial console with "\n" as "\r\n".
class ConsoleStream final : public Stream {
public:
    explicit ConsoleStream(bool output)
        : m_output(output)
    {
    }
    engine::wasi::Expected<usize> read(Bytes) override;
    engine::wasi::Expected<usize> write(ReadonlyBytes) override;
    bool readable_now() override;
    bool writable() const override { return m_output; }

private:
    bool m_output;
};

// The serial console's input, shared by every reader of COM1 (ConsoleStream::read and the
// shell's wasmkern.wait_console): bytes taken from the UART wait here, in order, until a
// ConsoleStream reads them, so that watching for Ctrl-C loses no typed byte. While a watch
// is on, a Ctrl-C byte (0x03) is not input: it is kept for take_interrupt() instead
// (docs/process-abi.md, "Ctrl-C"). At most kConsoleInputBytes wait; beyond, bytes stay in
// the UART. All of it runs with interrupts off (one CPU).
inline constexpr usize kConsoleInputBytes = 4096;
void begin_console_watch();
void end_console_watch();
// Moves what the UART holds into the buffer, then says whether a Ctrl-C arrived during a
// watch since the last call (and forgets it).
bool take_console_interrupt();
// One byte of console input without waiting: the buffer's oldest, else the UART's (the
// kernel console reads through this, so that it sees what a watch queued).
std::optional<u8> take_console_byte();

} // namespace wk::kernel::sys

namespace wk::kernel::sys {

// Reads end at once (end of file), writes are swallowed: stdin of programs the kernel
// console runs, so that a program reading to the end of its input does not hang.
class NullStream final : public Stream {
public:
    engine::wasi::Expected<usize> read(Bytes) override { return 0; }
    engine::wasi::Expected<usize> write(ReadonlyBytes data) override { return data.size(); }
    bool readable_now() override { return true; }
    bool writable() const override { return true; }
};

} // namespace wk::kernel::sys
