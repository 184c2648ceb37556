#pragma once

#include <span>

#include "base/result.h"
#include "base/types.h"

// PCI configuration space and what is parsed from it (BARs, the capability list). Nothing here
// touches hardware: a ConfigSpace is ECAM memory or the legacy ports in the kernel
// (kernel/drivers/pci/pci.cpp) and a byte array in the hosted tests. Every value read from a
// device is treated as hostile input.
namespace wk::kernel::drivers::pci {

enum ConfigRegister : u16 {
    kVendorId = 0x00,
    kCommand = 0x04,
    kClassRevision = 0x08,
    kHeaderType = 0x0E,
    kBar0 = 0x10,
    kSecondaryBus = 0x19,
    kCapabilitiesPointer = 0x34,
    kInterruptLine = 0x3C,
    kInterruptPin = 0x3D,
};
enum CommandBits : u16 {
    kCommandIo = 1 << 0,
    kCommandMemory = 1 << 1,
    kCommandBusMaster = 1 << 2,
    kCommandInterruptDisable = 1 << 10,
};
inline constexpr u16 kStatusHasCapabilities = 1 << 4;
inline constexpr u8 kBarCountDevice = 6;
inline constexpr u8 kBarCountBridge = 2;

// One function's configuration space: 256 bytes through the legacy ports, 4 KiB through ECAM.
class ConfigSpace {
public:
    virtual ~ConfigSpace() = default;
    // `offset` is 4-byte aligned and below 256 (the part both access methods reach).
    virtual u32 read32(u16 offset) = 0;
    virtual void write32(u16 offset, u32 value) = 0;

    u16 read16(u16 offset) { return static_cast<u16>(read32(offset & ~3) >> ((offset & 2) * 8)); }
    u8 read8(u16 offset) { return static_cast<u8>(read32(offset & ~3) >> ((offset & 3) * 8)); }
    // NOTE: writes the command register with a zero status half: the status bits are
    // write-one-to-clear, so writing back what was read would clear them.
    void write_command(u16 command) { write32(kCommand, command); }
    u16 command() { return read16(kCommand); }
};

enum class BarKind : u8 { None, Memory32, Memory64, Io };

struct Bar {
    BarKind kind { BarKind::None };
    bool prefetchable { false };
    u64 address { 0 };
    u64 size { 0 };
    // Slots used: 2 for a 64-bit memory BAR (the next index is its upper half), else 1.
    u8 slots { 1 };
};

// Decodes BAR `index` by the sizing protocol (write all ones, read the mask back, restore the
// original value). The caller turns memory and I/O decoding off around it. Errors (Malformed):
// index out of range, a 64-bit BAR in the last slot, a reserved type, a size that is not a
// power of two, an address not aligned to its size or wrapping past 2^64.
[[nodiscard]] Result<Bar> decode_bar(ConfigSpace& config, u8 index, u8 bar_count = kBarCountDevice);

struct Capability {
    u8 id { 0 };
    u8 offset { 0 };
};

// Walks the capability list into `out`; returns how many were found. Errors (Malformed): a
// pointer below 0x40 or above 0xFC, a loop, or more entries than fit in the 192 bytes
// (48). A device without the capabilities status bit has none.
[[nodiscard]] Result<usize> read_capabilities(ConfigSpace& config, std::span<Capability> out);

inline constexpr u8 kCapabilityMsix = 0x11;

// The MSI-X capability: a table of `table_size` 16-byte entries at `table_offset` in BAR
// `table_bar` (PCI 3.0, 6.8.2).
struct MsixCapability {
    u8 offset { 0 };
    u16 table_size { 0 };
    u8 table_bar { 0 };
    u32 table_offset { 0 };
};
enum MsixControl : u16 {
    kMsixFunctionMask = 1 << 14,
    kMsixEnable = 1 << 15,
};
// Reads the MSI-X capability at `capability`. Malformed for a BIR above 5 or a table that
// does not fit in the BAR (`bars`, as decoded) or is not a memory BAR.
[[nodiscard]] Result<MsixCapability> parse_msix(ConfigSpace& config, Capability capability, std::span<const Bar> bars);

// Names for `lspci`: the class code's base class ("mass storage", ...), or "other".
const char* class_name(u8 base_class);

} // namespace wk::kernel::drivers::pci
