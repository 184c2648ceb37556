#include "engine/compile/code_object.h"

#include "base/lock.h"
#include "engine/x64/code_alignment.h"

namespace wk::engine::compile {

namespace {

usize round_up(usize value, usize alignment) { return (value + alignment - 1) & ~(alignment - 1); }

// How many of `entries` (ascending by key(entry)) have a key at or below `offset`.
template<typename T, typename Key>
usize count_at_or_below(Span<const T> entries, u32 offset, Key key)
{
    usize low = 0;
    usize high = entries.size();
    while (low < high) {
        usize middle = low + (high - low) / 2;
        if (key(entries[middle]) <= offset)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

// Writes the relocated code of `input` to `buffer`, which will run at `final_base`.
Result<void> relocate(u8* buffer, uptr final_base, const LinkInput& input)
{
    __builtin_memcpy(buffer, input.code.data(), input.code.size());
    bool absolute_symbols = !input.symbol_addresses.empty();
    for (const x64::Relocation& relocation : input.relocations) {
        u64 target;
        if (relocation.target >= kExternalBase) {
            u32 external = relocation.target - kExternalBase;
            if (external >= input.externals.size())
                return Error::from("relocation to an unknown external", ErrorKind::Invalid);
            target = reinterpret_cast<u64>(input.externals[external]);
        } else if (absolute_symbols) {
            if (relocation.target >= input.symbol_addresses.size() || input.symbol_addresses[relocation.target] == 0)
                return Error::from("relocation to an unknown symbol", ErrorKind::Invalid);
            target = input.symbol_addresses[relocation.target];
        } else {
            if (relocation.target >= input.symbols.size() || input.symbols[relocation.target] >= input.code.size())
                return Error::from("relocation to an unknown symbol", ErrorKind::Invalid);
            target = final_base + input.symbols[relocation.target];
        }
        u64 value = target + static_cast<u64>(relocation.addend);
        switch (relocation.kind) {
        case x64::RelocationKind::PcRel32: {
            if (relocation.offset + 4 > input.code.size())
                return Error::from("relocation outside the code", ErrorKind::Invalid);
            i64 delta = static_cast<i64>(value - (final_base + relocation.offset));
            if (delta != static_cast<i32>(delta))
                return Error::from("relocation out of range", ErrorKind::OutOfRange);
            i32 field = static_cast<i32>(delta);
            __builtin_memcpy(buffer + relocation.offset, &field, 4);
            break;
        }
        case x64::RelocationKind::Abs64:
            if (relocation.offset + 8 > input.code.size())
                return Error::from("relocation outside the code", ErrorKind::Invalid);
            __builtin_memcpy(buffer + relocation.offset, &value, 8);
            break;
        }
    }
    return {};
}

// Guards every code object's tier space (allocation only; rare).
SpinLock g_tier_space_lock;

} // namespace

Result<void> CodeObject::copy_tables(const LinkInput& input)
{
    TRY(m_traps.try_extend(input.traps));
    TRY(m_function_starts.try_extend(input.function_starts));
    if (!input.function_indices.empty()) {
        if (input.function_indices.size() + 1 != input.function_starts.size())
            return Error::from("function indices do not match the function starts", ErrorKind::Invalid);
        TRY(m_function_indices.try_extend(input.function_indices));
    }
    TRY(m_handlers.try_extend(input.handlers));
    TRY(m_handler_parents.try_resize(input.handlers.size(), kNoParent));
    // The open ranges, outermost first: by start order, a range's parent is the last
    // open range that has not ended where it starts.
    Vector<u32> open;
    for (u32 i = 0; i < input.handlers.size(); ++i) {
        while (!open.is_empty() && input.handlers[open.last()].end <= input.handlers[i].start)
            MUST(open.try_resize(open.size() - 1));
        if (!open.is_empty())
            m_handler_parents[i] = open.last();
        TRY(open.try_append(i));
    }
    m_first_function_index = input.first_function_index;
    for (usize i = 1; i < input.stack_maps.size(); ++i) {
        if (input.stack_maps[i - 1].code_offset >= input.stack_maps[i].code_offset)
            return Error::from("stack maps out of order", ErrorKind::Invalid);
    }
    TRY(m_stack_maps.try_extend(input.stack_maps));
    TRY(m_stack_map_bits.try_extend(input.stack_map_bits));
    return {};
}

Result<void> CodeObject::register_live()
{
    m_range.start = reinterpret_cast<uptr>(m_memory);
    m_range.size = m_size;
    m_range.traps = m_traps.span();
    m_range.owner = this;
    if (m_function_starts.size() >= 2) {
        m_range.functions_begin = m_function_starts.first();
        m_range.functions_end = m_function_starts.last();
    }
    m_range.stack_maps = m_stack_maps.span();
    m_range.stack_map_bits = m_stack_map_bits.span();
    TRY(register_code_range(&m_range));
    m_registered = true;
    return {};
}

Result<RefPtr<CodeObject>> CodeObject::link(const LinkInput& input)
{
    if (input.code.empty())
        return Error::from("empty code object", ErrorKind::Invalid);
    auto object = TRY(try_make_ref_counted<CodeObject>());
    TRY(object->copy_tables(input));

    usize page = platform::page_size();
    usize code_pages = round_up(input.code.size(), page);
    usize tier_pages = round_up(input.tier_space, page);
    usize mapped = code_pages + tier_pages;
    void* memory = TRY(platform::reserve(mapped));
    object->m_memory = static_cast<u8*>(memory);
    object->m_mapped = mapped;
    object->m_size = input.code.size();
    // NOTE: the tier space is only reserved here; link_in_tier_space commits its pages as
    // tier-up code fills them (the kernel backs a committed page with a frame at once).
    TRY(platform::commit(memory, code_pages));
    TRY(relocate(object->m_memory, reinterpret_cast<uptr>(memory), input));
    TRY(platform::protect(memory, code_pages, platform::Access::ReadExecute));
    if (tier_pages) {
        object->m_tier_start = object->m_memory + code_pages;
        object->m_tier_next = object->m_tier_start;
        object->m_tier_committed = object->m_tier_start;
        object->m_tier_end = object->m_memory + mapped;
    }
    TRY(object->register_live());
    return object;
}

Result<RefPtr<CodeObject>> CodeObject::link_in_tier_space(CodeObject& parent, const LinkInput& input)
{
    if (input.code.empty())
        return Error::from("empty code object", ErrorKind::Invalid);
    auto object = TRY(try_make_ref_counted<CodeObject>());
    TRY(object->copy_tables(input));
    u8* place = nullptr;
    {
        LockGuard guard(g_tier_space_lock);
        // Every start stays a multiple of the function alignment (the tier space starts
        // on a page).
        usize size = round_up(input.code.size(), x64::kFunctionAlignment);
        if (!parent.m_tier_next || static_cast<usize>(parent.m_tier_end - parent.m_tier_next) < size)
            return Error::from("tier space exhausted", ErrorKind::OutOfMemory);
        place = parent.m_tier_next;
        // Pages past the committed end are fresh (no code runs there yet): commit them and
        // make them executable before handing out space in them. A failure (no memory)
        // takes no space.
        u8* needed = parent.m_tier_start + round_up(static_cast<usize>(place + size - parent.m_tier_start), platform::page_size());
        if (needed > parent.m_tier_committed) {
            usize grow = static_cast<usize>(needed - parent.m_tier_committed);
            TRY(platform::commit(parent.m_tier_committed, grow));
            if (auto made = platform::protect(parent.m_tier_committed, grow, platform::Access::ReadExecute); made.is_error()) {
                (void)platform::decommit(parent.m_tier_committed, grow);
                return made.error();
            }
            parent.m_tier_committed = needed;
        }
        parent.m_tier_next += size;
    }
    // NOTE: from here the space is taken even if linking fails: a few bytes lost, never
    // handed out twice.
    Vector<u8> buffer;
    TRY(buffer.try_resize(input.code.size()));
    TRY(relocate(buffer.data(), reinterpret_cast<uptr>(place), input));
    TRY(platform::patch_code(place, buffer.span()));
    object->m_memory = place;
    object->m_mapped = 0;
    object->m_size = input.code.size();
    object->m_parent = RefPtr<CodeObject>(&parent);
    TRY(object->register_live());
    return object;
}

usize CodeObject::tier_space_bytes() const { return static_cast<usize>(m_tier_end - m_tier_start); }

usize CodeObject::tier_space_committed_bytes() const
{
    LockGuard guard(g_tier_space_lock);
    return static_cast<usize>(m_tier_committed - m_tier_start);
}

CodeObject::~CodeObject()
{
    if (m_registered)
        unregister_code_range(&m_range);
    if (m_memory && m_mapped)
        platform::release(m_memory, m_mapped);
}

std::optional<u32> CodeObject::function_at(uptr pc) const
{
    if (!contains(pc) || m_function_starts.is_empty())
        return std::nullopt;
    u32 offset = static_cast<u32>(pc - reinterpret_cast<uptr>(m_memory));
    usize low = count_at_or_below(m_function_starts.span(), offset, [](u32 start) { return start; });
    // The last start is the end of the functions (trampolines follow).
    if (low == 0 || low >= m_function_starts.size())
        return std::nullopt;
    if (!m_function_indices.is_empty())
        return m_function_indices[low - 1];
    return m_first_function_index + static_cast<u32>(low - 1);
}

std::optional<HandlerEntry> CodeObject::handler_at(uptr pc) const
{
    if (!contains(pc))
        return std::nullopt;
    u32 offset = static_cast<u32>(pc - reinterpret_cast<uptr>(m_memory));
    // Ranges nest or are disjoint, so every range containing offset contains the last
    // range that starts at or before it, or is that range: climb from it to the first
    // one that has not ended.
    usize low = count_at_or_below(m_handlers.span(), offset, [](const HandlerEntry& entry) { return entry.start; });
    if (low == 0)
        return std::nullopt;
    for (u32 i = static_cast<u32>(low - 1); i != kNoParent; i = m_handler_parents[i]) {
        if (offset < m_handlers[i].end)
            return m_handlers[i];
    }
    return std::nullopt;
}

const CodeObject* CodeObject::find(uptr pc)
{
    const CodeRange* range = code_range_at(pc);
    return range ? static_cast<const CodeObject*>(range->owner) : nullptr;
}

} // namespace wk::engine::compile
