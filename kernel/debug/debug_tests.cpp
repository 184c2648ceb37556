#include "kernel/debug/ktest.h"
#include "kernel/debug/log.h"
#include "kernel/debug/log_buffer.h"
#include "base/vector.h"
#include "kernel/debug/symbols.h"
#include "kernel/mm/memory.h"

namespace wk::kernel::debug {

[[gnu::noinline]] void symbol_test_marker() { asm volatile(""); }

KERNEL_TEST(symbols_name_kernel_functions)
{
    KEXPECT(symbol_count() > 100);
    u64 address = reinterpret_cast<u64>(&symbol_test_marker);
    auto symbol = symbolize(address + 1);
    KEXPECT(symbol.name.find("symbol_test_marker") != std::string_view::npos);
    KEXPECT_EQ(symbol.offset, 1u);
    KEXPECT(symbolize(0).name.empty());
    KEXPECT(symbolize(0xFFFF800000001000ull).name.empty());
}

// The ring keeps the newest kCapacity bytes across wraps and counts the rest as dropped.
KERNEL_TEST(log_buffer_keeps_the_newest_bytes)
{
    auto* ring = new LogBuffer;
    KEXPECT(ring != nullptr);
    if (!ring)
        return;
    u8 chunk[1000];
    for (usize i = 0; i < 70; ++i) {
        __builtin_memset(chunk, 'a' + static_cast<int>(i % 26), sizeof chunk);
        ring->append(ReadonlyBytes(chunk, sizeof chunk));
    }
    KEXPECT_EQ(ring->total(), 70000u);
    KEXPECT_EQ(ring->held(), LogBuffer::kCapacity);
    KEXPECT_EQ(ring->dropped(), 70000u - LogBuffer::kCapacity);
    u8 out[1500];
    KEXPECT_EQ(ring->copy_newest(Bytes(out, sizeof out)), sizeof out);
    // The last 1500 bytes: 500 of chunk 68 ('q'), then 1000 of chunk 69 ('r').
    KEXPECT_EQ(out[0], 'a' + 68 % 26);
    KEXPECT_EQ(out[499], 'a' + 68 % 26);
    KEXPECT_EQ(out[500], 'a' + 69 % 26);
    KEXPECT_EQ(out[1499], 'a' + 69 % 26);
    // One append longer than the ring leaves its own tail.
    Vector<u8> big;
    KEXPECT(big.try_resize(LogBuffer::kCapacity + 10).has_value());
    for (usize i = 0; i < big.size(); ++i)
        big[i] = static_cast<u8>(i % 251);
    ring->append(ReadonlyBytes(big.data(), big.size()));
    KEXPECT_EQ(ring->copy_newest(Bytes(out, 1)), 1u);
    KEXPECT_EQ(out[0], static_cast<u8>((big.size() - 1) % 251));
    delete ring;
}

// debug::log puts every level in the kernel's ring, shown on the console or not.
KERNEL_TEST(log_lines_reach_the_ring_below_the_console_level)
{
    char tail[32];
    u64 before = snapshot_log(Bytes(reinterpret_cast<u8*>(tail), 0)).total;
    dbgln("ktest: a debug line for the ring");
    auto taken = snapshot_log(Bytes(reinterpret_cast<u8*>(tail), sizeof tail));
    KEXPECT(taken.total > before + 30);
    KEXPECT_EQ(taken.copied, sizeof tail);
    KEXPECT(std::string_view(tail, sizeof tail).ends_with("debug line for the ring\n"));
}

} // namespace wk::kernel::debug
