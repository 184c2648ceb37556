#include "kernel/debug/ktest.h"
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

} // namespace wk::kernel::debug
