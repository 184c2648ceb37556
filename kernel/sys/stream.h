#pragma once

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

// COM1: reads poll the UART (sleeping a millisecond in between), writes go to the
// serial console with "\n" as "\r\n".
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
