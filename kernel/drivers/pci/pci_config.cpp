#include "kernel/drivers/pci/pci_config.h"

namespace wk::kernel::drivers::pci {

Result<Bar> decode_bar(ConfigSpace& config, u8 index, u8 bar_count)
{
    if (index >= bar_count)
        return Error::malformed("BAR index out of range");
    u16 offset = static_cast<u16>(kBar0 + 4 * index);
    u32 low = config.read32(offset);
    Bar bar;
    if (low & 1) {
        config.write32(offset, 0xFFFFFFFF);
        u32 mask = config.read32(offset) & ~3u;
        config.write32(offset, low);
        // I/O BARs decode at most 16 bits of address on x86; the upper half may read as 0.
        mask |= 0xFFFF0000u;
        if ((mask & 0xFFFF) == 0)
            return bar; // not implemented
        u32 size = ~mask + 1;
        bar.kind = BarKind::Io;
        bar.size = size;
        bar.address = low & ~3u & 0xFFFF;
        if (bar.address & (bar.size - 1))
            return Error::malformed("I/O BAR not aligned to its size");
        return bar;
    }
    u32 type = (low >> 1) & 3;
    if (type == 3)
        return Error::malformed("BAR of the reserved memory type");
    bool wide = type == 2;
    if (wide && index + 1 >= bar_count)
        return Error::malformed("64-bit BAR in the last BAR slot");
    u32 high = wide ? config.read32(offset + 4) : 0;
    config.write32(offset, 0xFFFFFFFF);
    u64 mask = config.read32(offset) & ~0xFull;
    config.write32(offset, low);
    if (wide) {
        config.write32(offset + 4, 0xFFFFFFFF);
        mask |= u64(config.read32(offset + 4)) << 32;
        config.write32(offset + 4, high);
    } else {
        mask |= 0xFFFFFFFF00000000ull;
    }
    bar.slots = wide ? 2 : 1;
    if ((mask & 0xFFFFFFFFull) == 0 && (!wide || mask == 0))
        return bar; // not implemented (kind None)
    u64 size = ~mask + 1;
    if (size == 0 || (size & (size - 1)) != 0)
        return Error::malformed("BAR size is not a power of two");
    bar.kind = wide ? BarKind::Memory64 : BarKind::Memory32;
    bar.prefetchable = (low & 8) != 0;
    bar.size = size;
    bar.address = (u64(high) << 32) | (low & ~0xFu);
    if (bar.address & (size - 1))
        return Error::malformed("BAR address not aligned to its size");
    if (bar.address + size < bar.address)
        return Error::malformed("BAR wraps past the top of the address space");
    return bar;
}

Result<usize> read_capabilities(ConfigSpace& config, std::span<Capability> out)
{
    u16 status = static_cast<u16>(config.read32(kCommand) >> 16);
    if (!(status & kStatusHasCapabilities))
        return usize { 0 };
    constexpr usize kMaxCapabilities = 48;
    bool seen[256 / 4] {};
    usize count = 0;
    u8 pointer = config.read8(kCapabilitiesPointer) & 0xFC;
    while (pointer != 0) {
        if (pointer < 0x40)
            return Error::malformed("capability pointer into the standard header");
        if (seen[pointer / 4])
            return Error::malformed("capability list loops");
        seen[pointer / 4] = true;
        if (count == kMaxCapabilities)
            return Error::malformed("too many capabilities");
        u16 header = config.read16(pointer);
        if (count < out.size())
            out[count] = Capability { static_cast<u8>(header & 0xFF), pointer };
        ++count;
        pointer = static_cast<u8>(header >> 8) & 0xFC;
    }
    return count < out.size() ? count : out.size();
}

Result<MsixCapability> parse_msix(ConfigSpace& config, Capability capability, std::span<const Bar> bars)
{
    if (capability.id != kCapabilityMsix || capability.offset > 0xF4)
        return Error::malformed("not an MSI-X capability");
    MsixCapability msix;
    msix.offset = capability.offset;
    msix.table_size = static_cast<u16>((config.read16(capability.offset + 2) & 0x7FF) + 1);
    u32 table = config.read32(capability.offset + 4);
    msix.table_bar = static_cast<u8>(table & 7);
    msix.table_offset = table & ~7u;
    if (msix.table_bar >= bars.size())
        return Error::malformed("MSI-X table in a BAR the function does not have");
    const Bar& bar = bars[msix.table_bar];
    if (bar.kind != BarKind::Memory32 && bar.kind != BarKind::Memory64)
        return Error::malformed("MSI-X table in a BAR that is not memory");
    if (u64(msix.table_offset) + u64(msix.table_size) * 16 > bar.size)
        return Error::malformed("MSI-X table runs past the end of its BAR");
    return msix;
}

const char* class_name(u8 base_class)
{
    static constexpr const char* kNames[] = {
        "unclassified", "mass storage", "network", "display", "multimedia", "memory", "bridge",
        "communication", "system peripheral", "input", "docking station", "processor", "serial bus",
    };
    return base_class < sizeof(kNames) / sizeof(kNames[0]) ? kNames[base_class] : "other";
}

} // namespace wk::kernel::drivers::pci
