#pragma once

#include <cstring>

#include "kernel/drivers/pci/pci_config.h"

namespace wk::kernel::drivers::pci::testing {

// 256 bytes of configuration space with BARs that answer the sizing protocol: the bits of a
// BAR register outside `writable[i]` keep their value (the type bits, the size bits).
class FakeConfigSpace final : public ConfigSpace {
public:
    u8 bytes[256] {};
    u32 writable[6] {};

    u32 read32(u16 offset) override
    {
        u32 value;
        std::memcpy(&value, bytes + (offset & 0xFC), 4);
        return value;
    }
    void write32(u16 offset, u32 value) override
    {
        offset &= 0xFC;
        if (offset >= kBar0 && offset < kBar0 + 24) {
            u32 mask = writable[(offset - kBar0) / 4];
            value = (value & mask) | (read32(offset) & ~mask);
        }
        std::memcpy(bytes + offset, &value, 4);
    }

    void put8(u16 offset, u8 value) { bytes[offset] = value; }
    void put16(u16 offset, u16 value) { std::memcpy(bytes + offset, &value, 2); }
    void put32(u16 offset, u32 value) { std::memcpy(bytes + offset, &value, 4); }

    // A memory BAR at `index` of `size` bytes at `address` (64-bit: also slot index + 1).
    void memory_bar(u8 index, u64 address, u64 size, bool wide, bool prefetchable = false)
    {
        u32 type = (wide ? 4u : 0u) | (prefetchable ? 8u : 0u);
        put32(kBar0 + 4 * index, static_cast<u32>(address) | type);
        writable[index] = static_cast<u32>(~(size - 1)) & ~0xFu;
        if (wide) {
            put32(kBar0 + 4 * (index + 1), static_cast<u32>(address >> 32));
            writable[index + 1] = static_cast<u32>(~(size - 1) >> 32);
        }
    }
    // Capabilities: sets the status bit and links `offsets` in order.
    void link_capabilities(std::initializer_list<std::pair<u8, u8>> id_and_offset)
    {
        put16(kCommand + 2, kStatusHasCapabilities);
        u8 previous = kCapabilitiesPointer;
        for (auto [id, offset] : id_and_offset) {
            bytes[previous == kCapabilitiesPointer ? previous : previous + 1] = offset;
            bytes[offset] = id;
            bytes[offset + 1] = 0;
            previous = offset;
        }
    }
};

} // namespace wk::kernel::drivers::pci::testing
