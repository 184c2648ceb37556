#pragma once

#include <span>
#include <string_view>

#include "base/result.h"
#include "base/types.h"

// A disk as a file system sees it: an array of 512-byte sectors. Positions are sector numbers,
// buffer sizes are bytes (a whole number of sectors). The ext2 driver (kernel/fs, later a
// service) and a future wasm-service block driver sit on either side of this interface.
namespace wk::kernel::drivers {

inline constexpr u64 kSectorSize = 512;
inline constexpr u64 kSectorShift = 9;

class BlockDevice {
public:
    virtual ~BlockDevice() = default;

    virtual std::string_view name() const = 0;
    virtual u64 sector_count() const = 0;
    u64 size_bytes() const { return sector_count() * kSectorSize; }
    virtual bool is_read_only() const = 0;

    // Reads buffer.size() bytes (a multiple of kSectorSize) starting at sector `first`.
    // Errors: OutOfRange when the range is not whole sectors or passes the end of the disk
    // (nothing is read then); Io when the device reports an error or does not answer in time.
    [[nodiscard]] virtual Result<void> read_blocks(u64 first, std::span<u8> buffer) = 0;
    // Writes; the same errors, and Unsupported on a read-only device. Data is on the medium
    // only after a successful flush() (the device may cache it).
    [[nodiscard]] virtual Result<void> write_blocks(u64 first, std::span<const u8> buffer) = 0;
    // Returns once every write that completed before the call is on stable storage.
    [[nodiscard]] virtual Result<void> flush() = 0;
};

// The check every implementation makes first: `bytes` whole sectors from `first` lie inside
// a disk of `sector_count` sectors (without overflow for any input).
[[nodiscard]] inline Result<void> check_block_range(u64 first, u64 bytes, u64 sector_count)
{
    if (bytes % kSectorSize != 0)
        return Error::from("block transfer is not a whole number of sectors", ErrorKind::OutOfRange);
    u64 count = bytes >> kSectorShift;
    if (first > sector_count || count > sector_count - first)
        return Error::from("block transfer past the end of the disk", ErrorKind::OutOfRange);
    return {};
}

} // namespace wk::kernel::drivers
