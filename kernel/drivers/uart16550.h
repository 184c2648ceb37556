#pragma once

#include <optional>

#include "base/types.h"

namespace wk::kernel::drivers {

// A polled 16550 UART (COM1 under QEMU). Output waits for the transmitter; input never blocks.
class Uart16550 {
public:
    explicit constexpr Uart16550(u16 base)
        : m_base(base)
    {
    }

    void initialize();
    void write_byte(u8 byte);
    std::optional<u8> try_read_byte();

private:
    u16 m_base;
};

Uart16550& com1();

} // namespace wk::kernel::drivers
