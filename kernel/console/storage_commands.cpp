#include "kernel/console/storage_commands.h"

#include <new>

#include "kernel/console/arguments.h"
#include "kernel/debug/log.h"
#include "kernel/drivers/intx.h"
#include "kernel/drivers/pci/pci.h"
#include "kernel/drivers/storage.h"
#include "kernel/drivers/virtio/virtio_block.h"
#include "kernel/drivers/virtio/virtio_pci.h"
#include "kernel/time/clock.h"

namespace wk::kernel::console {

using debug::print;
using drivers::kSectorSize;

namespace {

// The bytes the tests expect in `sector` for `seed` (tests/kernel/storage-virtio-blk.sh computes
// the same on the host): "WKSECTOR", the sector number (u64, little-endian), the seed (u64),
// then (sector * 31 + i * 7 + seed) & 0xFF for every later byte i.
void sector_pattern(u64 sector, u64 seed, u8* out)
{
    __builtin_memcpy(out, "WKSECTOR", 8);
    __builtin_memcpy(out + 8, &sector, 8);
    __builtin_memcpy(out + 16, &seed, 8);
    for (usize i = 24; i < kSectorSize; ++i)
        out[i] = static_cast<u8>(sector * 31 + i * 7 + seed);
}

constexpr usize kBufferBytes = 512 * 1024;

struct Buffer {
    Buffer()
        : data(new (std::nothrow) u8[kBufferBytes])
    {
    }
    ~Buffer() { delete[] data; }
    u8* data;
};

void print_counters(drivers::BlockDevice& disk, u64 requests_before, u64 notifications_before)
{
    // Every disk today is a VirtioBlock (kernel/drivers/storage.cpp).
    auto& block = static_cast<drivers::virtio::VirtioBlock&>(disk);
    print(" ({} requests, {} notifications)\n", block.requests() - requests_before, block.notifications() - notifications_before);
}

// Writes or verifies `count` sectors of the pattern from `first`, kBufferBytes at a time.
void pattern_pass(drivers::BlockDevice& disk, bool write, u64 first, u64 count, u64 seed)
{
    Buffer buffer;
    if (!buffer.data) {
        print("disk: no memory for a buffer\n");
        return;
    }
    auto& block = static_cast<drivers::virtio::VirtioBlock&>(disk);
    u64 requests = block.requests(), notifications = block.notifications();
    u64 mismatches = 0, first_mismatch = 0;
    for (u64 done = 0; done < count;) {
        u64 step = count - done < kBufferBytes / kSectorSize ? count - done : kBufferBytes / kSectorSize;
        std::span<u8> span(buffer.data, step * kSectorSize);
        if (write) {
            for (u64 i = 0; i < step; ++i)
                sector_pattern(first + done + i, seed, buffer.data + i * kSectorSize);
            if (auto result = disk.write_blocks(first + done, span); !result) {
                print("disk: write at sector {} failed: {}\n", first + done, result.error().message());
                return;
            }
        } else {
            if (auto result = disk.read_blocks(first + done, span); !result) {
                print("disk: read at sector {} failed: {}\n", first + done, result.error().message());
                return;
            }
            u8 expected[kSectorSize];
            for (u64 i = 0; i < step; ++i) {
                sector_pattern(first + done + i, seed, expected);
                if (__builtin_memcmp(expected, buffer.data + i * kSectorSize, kSectorSize) != 0) {
                    if (mismatches++ == 0)
                        first_mismatch = first + done + i;
                }
            }
        }
        done += step;
    }
    if (write) {
        print("disk: wrote {} sectors at {}", count, first);
        print_counters(disk, requests, notifications);
    } else if (mismatches == 0) {
        print("disk: verified {} sectors at {}", count, first);
        print_counters(disk, requests, notifications);
    } else {
        print("disk: MISMATCH in {} of {} sectors, first at {}\n", mismatches, count, first_mismatch);
    }
}

void bench(drivers::BlockDevice& disk, u64 first, u64 mebibytes)
{
    Buffer buffer;
    if (!buffer.data) {
        print("disk: no memory for a buffer\n");
        return;
    }
    for (usize i = 0; i < kBufferBytes; ++i)
        buffer.data[i] = static_cast<u8>(i * 13);
    u64 total = mebibytes << 20;
    u64 start = time::nanoseconds_since_boot();
    for (u64 done = 0; done < total; done += kBufferBytes) {
        if (auto result = disk.write_blocks(first + done / kSectorSize, { buffer.data, kBufferBytes }); !result) {
            print("disk: bench write failed: {}\n", result.error().message());
            return;
        }
    }
    if (auto result = disk.flush(); !result) {
        print("disk: bench flush failed: {}\n", result.error().message());
        return;
    }
    u64 written = time::nanoseconds_since_boot();
    for (u64 done = 0; done < total; done += kBufferBytes) {
        if (auto result = disk.read_blocks(first + done / kSectorSize, { buffer.data, kBufferBytes }); !result) {
            print("disk: bench read failed: {}\n", result.error().message());
            return;
        }
    }
    u64 read = time::nanoseconds_since_boot();
    auto rate = [&](u64 nanoseconds) { return nanoseconds ? total * 1000 / nanoseconds : 0; }; // MB/s
    print("disk: bench {} MiB: write+flush {} ms ({} MB/s), read {} ms ({} MB/s)\n", mebibytes, (written - start) / 1000000,
          rate(written - start), (read - written) / 1000000, rate(read - written));
}

} // namespace

void command_lspci(std::string_view)
{
    for (auto& function : drivers::pci::functions()) {
        print("{:02x}:{:02x}.{} {:04x}:{:04x} {} ({:02x}{:02x}{:02x})", function.bus, function.device, function.function,
              function.vendor_id, function.device_id, drivers::pci::class_name(function.base_class), function.base_class,
              function.subclass, function.prog_if);
        if (function.vendor_id == drivers::virtio::kVirtioVendor && function.device_id == drivers::virtio::kVirtioBlockDeviceId)
            print(" virtio-blk");
        print("\n");
        for (u8 i = 0; i < function.bar_count; ++i) {
            auto& bar = function.bars[i];
            if (bar.kind == drivers::pci::BarKind::None)
                continue;
            const char* kind = bar.kind == drivers::pci::BarKind::Io ? "io"
                               : bar.kind == drivers::pci::BarKind::Memory64 ? "mem64"
                                                                              : "mem32";
            print("    BAR{} {} {:#x} size {:#x}{}\n", i, kind, bar.address, bar.size, bar.prefetchable ? " prefetchable" : "");
        }
    }
    print("{} functions; configuration through {}\n", drivers::pci::functions().size(),
          drivers::pci::uses_ecam() ? "ECAM" : "ports 0xCF8/0xCFC");
}

void command_disk(std::string_view arguments)
{
    std::string_view verb = next_word(arguments);
    if (verb.empty()) {
        for (auto* disk : drivers::disks()) {
            auto& block = static_cast<drivers::virtio::VirtioBlock&>(*disk);
            char id[drivers::virtio::VirtioBlock::kIdBytes];
            auto id_length = block.read_id(id);
            print("{} {} sectors ({} MiB){} features {:#x} queue {} id \"{}\"", disk->name(), disk->sector_count(),
                  disk->sector_count() >> 11, disk->is_read_only() ? " read-only" : "", block.negotiated_features(),
                  block.queue_size(), id_length ? std::string_view(id, *id_length) : std::string_view("?"));
            auto interrupts = drivers::disk_interrupts(*disk);
            if (interrupts.kind == drivers::DiskInterruptKind::Msix)
                print(" MSI-X vector {:#x}, {} interrupts\n", interrupts.vector, interrupts.count);
            else if (interrupts.kind == drivers::DiskInterruptKind::Intx)
                print(" INTx GSI {} vector {:#x}, {} interrupts{}\n", interrupts.gsi, interrupts.vector, interrupts.count,
                      drivers::intx_line_status(interrupts.gsi).masked ? " (line masked: unclaimed interrupts)" : "");
            else
                print(" polled\n");
        }
        if (drivers::disks().empty())
            print("no disks\n");
        return;
    }
    drivers::BlockDevice* disk = drivers::find_disk(next_word(arguments));
    if (!disk) {
        print("disk: no such disk (see `disk`)\n");
        return;
    }
    if (verb == "flush") {
        auto result = disk->flush();
        print("disk: flush {}\n", result ? "done" : result.error().message());
        return;
    }
    u64 numbers[3] {};
    usize wanted = verb == "bench" ? 2 : 3;
    for (usize i = 0; i < wanted; ++i) {
        if (!parse_number(next_word(arguments), ~u64 { 0 }, numbers[i])) {
            print("usage: disk write|verify NAME SECTOR COUNT SEED, disk flush NAME, disk bench NAME SECTOR MIB\n");
            return;
        }
    }
    if (verb == "write" || verb == "verify") {
        pattern_pass(*disk, verb == "write", numbers[0], numbers[1], numbers[2]);
    } else if (verb == "bench") {
        bench(*disk, numbers[0], numbers[1]);
    } else {
        print("disk: unknown subcommand {}\n", verb);
    }
}

} // namespace wk::kernel::console
