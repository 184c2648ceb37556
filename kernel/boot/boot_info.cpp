#include "kernel/boot/boot_info.h"

#include "kernel/arch/x86_64/boot_constants.h"

namespace wk::kernel::boot {

namespace {

constexpr u64 kBootMappedLimit = 4ull << 30;

// Reads a T at physical address `physical` if [physical, physical + count * sizeof(T)) is inside
// the boot direct map.
template<typename T>
const T* physical_pointer(u64 physical, u64 count = 1)
{
    if (physical == 0 || count > kBootMappedLimit / sizeof(T))
        return nullptr;
    u64 size = count * sizeof(T);
    if (physical >= kBootMappedLimit || size > kBootMappedLimit - physical)
        return nullptr;
    return reinterpret_cast<const T*>(DIRECT_MAP_BASE + physical);
}

void add_usable(BootInfo& info, u64 base, u64 length)
{
    if (length == 0 || info.usable_count == BootInfo::kMaxRanges)
        return;
    if (base + length < base)
        length = ~u64 { 0 } - base;
    info.usable[info.usable_count++] = { base, length };
}

// Keeps a module only when it is non-empty, does not wrap, ends below kMaxModuleEnd and lies
// wholly inside one usable range: anything else could name MMIO, the kernel or nothing at all.
// Call after the memory map has been read.
void add_module(BootInfo& info, u64 physical, u64 size)
{
    bool valid = size != 0 && physical != 0 && physical + size > physical && physical + size <= BootInfo::kMaxModuleEnd;
    if (valid) {
        valid = false;
        for (auto& range : info.usable_ranges()) {
            u64 end = range.base + range.length;
            if (physical >= range.base && physical + size <= end) {
                valid = true;
                break;
            }
        }
    }
    if (!valid || info.module_count == BootInfo::kMaxModules) {
        ++info.modules_rejected;
        return;
    }
    info.modules[info.module_count++] = { physical, size };
}

void copy_command_line(BootInfo& info, u64 physical, u64 limit)
{
    const char* text = physical_pointer<char>(physical, 1);
    if (!text)
        return;
    usize n = 0;
    while (n + 1 < BootInfo::kMaxCommandLine && n < limit && physical + n < kBootMappedLimit && text[n]) {
        info.command_line[n] = text[n];
        ++n;
    }
    info.command_line[n] = 0;
}

// xen/include/public/arch-x86/hvm/start_info.h, version 1.
struct [[gnu::packed]] HvmStartInfo {
    u32 magic;
    u32 version;
    u32 flags;
    u32 module_count;
    u64 module_list;
    u64 command_line;
    u64 rsdp;
    u64 memory_map;
    u32 memory_map_entries;
    u32 reserved;
};
struct [[gnu::packed]] HvmMemoryMapEntry {
    u64 address;
    u64 size;
    u32 type;
    u32 reserved;
};
struct [[gnu::packed]] HvmModlistEntry {
    u64 address;
    u64 size;
    u64 command_line;
    u64 reserved;
};
constexpr u32 kHvmStartMagic = 0x336EC578;
// A loader listing more than this is not believed at all (the list itself is read through
// the boot map, so its size is bounded before it is touched).
constexpr u32 kMaxListedModules = 64;

void parse_pvh(BootInfo& info, u64 physical)
{
    auto* start = physical_pointer<HvmStartInfo>(physical);
    if (!start || start->magic != kHvmStartMagic)
        return;
    info.info_size = sizeof(HvmStartInfo);
    copy_command_line(info, start->command_line, BootInfo::kMaxCommandLine);
    info.rsdp_physical = start->rsdp;
    if (start->version < 1)
        return;
    u32 count = start->memory_map_entries;
    auto* entries = physical_pointer<HvmMemoryMapEntry>(start->memory_map, count);
    if (!entries)
        return;
    for (u32 i = 0; i < count; ++i) {
        if (entries[i].type == 1)
            add_usable(info, entries[i].address, entries[i].size);
    }
    u32 module_count = start->module_count;
    if (module_count == 0)
        return;
    auto* modules = module_count <= kMaxListedModules ? physical_pointer<HvmModlistEntry>(start->module_list, module_count) : nullptr;
    if (!modules) {
        info.modules_rejected += module_count;
        return;
    }
    for (u32 i = 0; i < module_count; ++i)
        add_module(info, modules[i].address, modules[i].size);
}

void parse_multiboot2(BootInfo& info, u64 physical)
{
    auto* header = physical_pointer<u32>(physical, 2);
    if (!header)
        return;
    u32 total = header[0];
    if (total < 8 || !physical_pointer<u8>(physical, total))
        return;
    info.info_size = total;
    auto* base = physical_pointer<u8>(physical, total);
    // Module tags may come before the memory map tag; they are checked against it afterwards.
    BootModule listed[kMaxListedModules];
    u32 listed_count = 0;
    u32 offset = 8;
    while (offset + 8 <= total) {
        u32 type, size;
        __builtin_memcpy(&type, base + offset, 4);
        __builtin_memcpy(&size, base + offset + 4, 4);
        if (type == 0 || size < 8 || size > total - offset)
            break;
        const u8* body = base + offset + 8;
        u32 body_size = size - 8;
        switch (type) {
        case 1: // command line
            copy_command_line(info, physical + offset + 8, body_size);
            break;
        case 6: { // memory map
            if (body_size < 8)
                break;
            u32 entry_size;
            __builtin_memcpy(&entry_size, body, 4);
            if (entry_size < 24)
                break;
            for (u32 at = 8; at + entry_size <= body_size; at += entry_size) {
                u64 address, length;
                u32 kind;
                __builtin_memcpy(&address, body + at, 8);
                __builtin_memcpy(&length, body + at + 8, 8);
                __builtin_memcpy(&kind, body + at + 16, 4);
                if (kind == 1)
                    add_usable(info, address, length);
            }
            break;
        }
        case 3: { // module: u32 start, u32 end (exclusive), command line
            if (body_size < 8)
                break;
            u32 start, end;
            __builtin_memcpy(&start, body, 4);
            __builtin_memcpy(&end, body + 4, 4);
            if (listed_count == kMaxListedModules || end <= start) {
                ++info.modules_rejected;
                break;
            }
            listed[listed_count++] = { start, u64 { end } - start };
            break;
        }
        case 14: // ACPI 1.0 RSDP, copied
        case 15: // ACPI 2.0 RSDP, copied
            if (info.rsdp_physical == 0 || type == 15)
                info.rsdp_physical = physical + offset + 8;
            break;
        default:
            break;
        }
        offset += (size + 7) & ~7u;
    }
    for (u32 i = 0; i < listed_count; ++i)
        add_module(info, listed[i].physical, listed[i].size);
}

} // namespace

const char* BootInfo::protocol_name() const
{
    switch (protocol) {
    case BOOT_PROTOCOL_PVH: return "PVH";
    case BOOT_PROTOCOL_MULTIBOOT2: return "Multiboot2";
    default: return "unknown";
    }
}

bool BootInfo::has_option(std::string_view word) const
{
    std::string_view line = command_line_view();
    while (!line.empty()) {
        usize space = line.find(' ');
        std::string_view token = line.substr(0, space);
        if (token == word)
            return true;
        if (space == std::string_view::npos)
            break;
        line.remove_prefix(space + 1);
    }
    return false;
}

std::string_view BootInfo::option_value(std::string_view prefix) const
{
    std::string_view line = command_line_view();
    while (!line.empty()) {
        usize space = line.find(' ');
        std::string_view token = line.substr(0, space);
        if (token.starts_with(prefix))
            return token.substr(prefix.size());
        if (space == std::string_view::npos)
            break;
        line.remove_prefix(space + 1);
    }
    return {};
}

BootInfo parse_boot_info(u32 protocol, u64 physical)
{
    BootInfo info;
    info.protocol = protocol;
    info.info_physical = physical;
    if (protocol == BOOT_PROTOCOL_PVH)
        parse_pvh(info, physical);
    else if (protocol == BOOT_PROTOCOL_MULTIBOOT2)
        parse_multiboot2(info, physical);
    return info;
}

} // namespace wk::kernel::boot
