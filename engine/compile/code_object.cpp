#include "engine/compile/code_object.h"

#include "base/lock.h"

namespace wk::engine::compile {

namespace {

// Live code objects, for CodeObject::find (backtraces; not used by fault handlers).
SpinLock g_live_lock;
CodeObject* g_live_head = nullptr;

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

} // namespace

Result<RefPtr<CodeObject>> CodeObject::link(const LinkInput& input)
{
    if (input.code.empty())
        return Error::from("empty code object", ErrorKind::Invalid);
    auto object = TRY(try_make_ref_counted<CodeObject>());
    TRY(object->m_traps.try_extend(input.traps));
    TRY(object->m_function_starts.try_extend(input.function_starts));
    TRY(object->m_handlers.try_extend(input.handlers));
    TRY(object->m_handler_parents.try_resize(input.handlers.size(), kNoParent));
    // The open ranges, outermost first: by start order, a range's parent is the last
    // open range that has not ended where it starts.
    Vector<u32> open;
    for (u32 i = 0; i < input.handlers.size(); ++i) {
        while (!open.is_empty() && input.handlers[open.last()].end <= input.handlers[i].start)
            MUST(open.try_resize(open.size() - 1));
        if (!open.is_empty())
            object->m_handler_parents[i] = open.last();
        TRY(open.try_append(i));
    }
    object->m_first_function_index = input.first_function_index;

    usize page = platform::page_size();
    usize mapped = round_up(input.code.size(), page);
    void* memory = TRY(platform::reserve(mapped));
    object->m_memory = static_cast<u8*>(memory);
    object->m_mapped = mapped;
    object->m_size = input.code.size();
    TRY(platform::commit(memory, mapped));
    __builtin_memcpy(memory, input.code.data(), input.code.size());

    u8* base = object->m_memory;
    for (const x64::Relocation& relocation : input.relocations) {
        u64 target;
        if (relocation.target >= kExternalBase) {
            u32 external = relocation.target - kExternalBase;
            if (external >= input.externals.size())
                return Error::from("relocation to an unknown external", ErrorKind::Invalid);
            target = reinterpret_cast<u64>(input.externals[external]);
        } else {
            if (relocation.target >= input.symbols.size() || input.symbols[relocation.target] >= input.code.size())
                return Error::from("relocation to an unknown symbol", ErrorKind::Invalid);
            target = reinterpret_cast<u64>(base + input.symbols[relocation.target]);
        }
        u64 value = target + static_cast<u64>(relocation.addend);
        switch (relocation.kind) {
        case x64::RelocationKind::PcRel32: {
            if (relocation.offset + 4 > input.code.size())
                return Error::from("relocation outside the code", ErrorKind::Invalid);
            i64 delta = static_cast<i64>(value - reinterpret_cast<u64>(base + relocation.offset));
            if (delta != static_cast<i32>(delta))
                return Error::from("relocation out of range", ErrorKind::OutOfRange);
            i32 field = static_cast<i32>(delta);
            __builtin_memcpy(base + relocation.offset, &field, 4);
            break;
        }
        case x64::RelocationKind::Abs64:
            if (relocation.offset + 8 > input.code.size())
                return Error::from("relocation outside the code", ErrorKind::Invalid);
            __builtin_memcpy(base + relocation.offset, &value, 8);
            break;
        }
    }
    TRY(platform::protect(memory, mapped, platform::Access::ReadExecute));

    object->m_range.start = reinterpret_cast<uptr>(base);
    object->m_range.size = object->m_size;
    object->m_range.traps = object->m_traps.span();
    object->m_range.owner = object.get();
    TRY(register_code_range(&object->m_range));
    object->m_registered = true;

    LockGuard guard(g_live_lock);
    object->m_next_live = g_live_head;
    if (g_live_head)
        g_live_head->m_previous_live = object.get();
    g_live_head = object.get();
    return object;
}

CodeObject::~CodeObject()
{
    if (m_registered) {
        unregister_code_range(&m_range);
        LockGuard guard(g_live_lock);
        if (m_previous_live)
            m_previous_live->m_next_live = m_next_live;
        else
            g_live_head = m_next_live;
        if (m_next_live)
            m_next_live->m_previous_live = m_previous_live;
    }
    if (m_memory)
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

CodeObject* CodeObject::find(uptr pc)
{
    LockGuard guard(g_live_lock);
    for (CodeObject* object = g_live_head; object; object = object->m_next_live) {
        if (object->contains(pc))
            return object;
    }
    return nullptr;
}

} // namespace wk::engine::compile
