#include "kernel/debug/symbols.h"

#include "kernel/debug/ksyms_format.h"
#include "kernel/mm/memory.h"

extern "C" char __ksyms_start[], __ksyms_end[];

namespace wk::kernel::debug {

namespace {

struct Table {
    const KsymsHeader* header;
    const KsymsEntry* entries;
    const char* strings;
};

// Validates the table once per lookup; it is small and lookups are rare (panics, tests).
bool load(Table& table)
{
    usize size = static_cast<usize>(__ksyms_end - __ksyms_start);
    if (size < sizeof(KsymsHeader))
        return false;
    auto* header = reinterpret_cast<const KsymsHeader*>(__ksyms_start);
    if (header->magic != kKsymsMagic)
        return false;
    u64 entries_size = u64(header->count) * sizeof(KsymsEntry);
    if (entries_size > size - sizeof(KsymsHeader) || header->strings_size > size - sizeof(KsymsHeader) - entries_size)
        return false;
    table.header = header;
    table.entries = reinterpret_cast<const KsymsEntry*>(__ksyms_start + sizeof(KsymsHeader));
    table.strings = reinterpret_cast<const char*>(table.entries + header->count);
    return true;
}

} // namespace

usize symbol_count()
{
    Table table;
    return load(table) ? table.header->count : 0;
}

Symbol symbolize(u64 address)
{
    Table table;
    if (!mm::is_kernel_text(address) || !load(table) || table.header->count == 0)
        return { {}, 0 };
    // Last entry whose address is <= address.
    usize low = 0, high = table.header->count;
    while (low < high) {
        usize mid = low + (high - low) / 2;
        if (table.entries[mid].address <= address)
            low = mid + 1;
        else
            high = mid;
    }
    if (low == 0)
        return { {}, 0 };
    const KsymsEntry& entry = table.entries[low - 1];
    if (entry.name_offset >= table.header->strings_size)
        return { {}, 0 };
    const char* name = table.strings + entry.name_offset;
    usize length = 0;
    while (entry.name_offset + length < table.header->strings_size && name[length])
        ++length;
    return { std::string_view(name, length), address - entry.address };
}

} // namespace wk::kernel::debug
