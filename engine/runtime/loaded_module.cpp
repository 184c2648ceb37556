#include "engine/runtime/loaded_module.h"

namespace wk::engine::runtime {

Result<RefPtr<LoadedModule>> LoadedModule::create(Vector<u8>&& bytes, Features const& features)
{
    auto module = TRY(decode_module(ReadonlyBytes(bytes.data(), bytes.size()), features));
    TRY(validate_module(module));
    return create(std::move(bytes), std::move(module));
}

Result<RefPtr<LoadedModule>> LoadedModule::create(Vector<u8>&& bytes, Module&& validated)
{
    if (validated.bytes.data() != bytes.data() || validated.bytes.size() != bytes.size())
        return Error::from("module does not refer to the given bytes", ErrorKind::Invalid);
    if (validated.canonical.size() != validated.types.size())
        return Error::from("module is not validated", ErrorKind::Invalid);
    auto offsets = TRY(VMOffsets::compute(validated));
    auto loaded = TRY(try_make_ref_counted<LoadedModule>());
    loaded->m_bytes = std::move(bytes);
    loaded->m_module = std::move(validated);
    loaded->m_offsets = offsets;
    const Vector<NameEntry>& names = loaded->m_module.function_names;
    loaded->m_names_sorted = true;
    for (usize i = 1; i < names.size(); ++i) {
        if (names[i - 1].index >= names[i].index)
            loaded->m_names_sorted = false;
    }
    return loaded;
}

Result<void> LoadedModule::set_function_entries(Span<const FunctionEntries> entries)
{
    usize defined = m_module.functions.size() - m_module.imported_function_count;
    if (entries.size() != defined)
        return Error::from("one entry per defined function expected", ErrorKind::Invalid);
    Vector<FunctionEntries> copy;
    TRY(copy.try_extend(entries));
    m_entries = std::move(copy);
    return {};
}

StringView LoadedModule::function_name(u32 function_index) const
{
    const Vector<NameEntry>& names = m_module.function_names;
    if (!m_names_sorted) {
        for (const NameEntry& entry : names) {
            if (entry.index == function_index)
                return entry.name;
        }
        return {};
    }
    usize low = 0;
    usize high = names.size();
    while (low < high) {
        usize middle = low + (high - low) / 2;
        if (names[middle].index == function_index)
            return names[middle].name;
        if (names[middle].index < function_index)
            low = middle + 1;
        else
            high = middle;
    }
    return {};
}

FunctionEntries LoadedModule::entries_of(u32 function_index) const
{
    if (function_index < m_module.imported_function_count || m_entries.is_empty())
        return {};
    return m_entries[function_index - m_module.imported_function_count];
}

} // namespace wk::engine::runtime
