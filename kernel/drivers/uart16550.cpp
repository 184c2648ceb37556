#include "kernel/drivers/uart16550.h"

#include "kernel/arch/x86_64/cpu.h"

namespace wk::kernel::drivers {

using namespace x86_64;

namespace {

enum Register : u16 {
    Data = 0,
    InterruptEnable = 1,
    LineControl = 3,
    ModemControl = 4,
    LineStatus = 5,
};

constexpr u8 kLineStatusDataReady = 0x01;
constexpr u8 kLineStatusTransmitterEmpty = 0x20;

} // namespace

void Uart16550::initialize()
{
    outb(m_base + InterruptEnable, 0x00);
    outb(m_base + LineControl, 0x80); // divisor latch
    outb(m_base + Data, 0x01);        // 115200 baud
    outb(m_base + InterruptEnable, 0x00);
    outb(m_base + LineControl, 0x03); // 8N1
    // NOTE: the FIFO stays as the firmware left it (off under QEMU): switching it on discards
    // bytes already received, and piped input starts flowing as soon as the machine starts.
    // Without it QEMU holds further input until we read, so nothing is lost at our polling rate.
    outb(m_base + ModemControl, 0x03);
}

void Uart16550::write_byte(u8 byte)
{
    // NOTE: bounded wait: a missing UART must not hang the kernel forever.
    for (u32 spins = 0; spins < 100000; ++spins) {
        if (inb(m_base + LineStatus) & kLineStatusTransmitterEmpty)
            break;
        pause();
    }
    outb(m_base + Data, byte);
}

std::optional<u8> Uart16550::try_read_byte()
{
    if (!(inb(m_base + LineStatus) & kLineStatusDataReady))
        return std::nullopt;
    return inb(m_base + Data);
}

Uart16550& com1()
{
    static constinit Uart16550 port(0x3F8);
    return port;
}

} // namespace wk::kernel::drivers
