#include "engine/runtime/linker.h"

#include "engine/runtime/instance.h"

namespace wk::engine::runtime {

namespace {

// Names are arbitrary UTF-8 (NUL included), so the module name is length-prefixed.
Result<void> build_key(StringBuilder& key, StringView module, StringView name)
{
    if (module.size() > 0xFFFF'FFFFu)
        return Error::from("import module name too long", ErrorKind::OutOfRange);
    u32 length = static_cast<u32>(module.size());
    char prefix[4];
    __builtin_memcpy(prefix, &length, 4);
    TRY(key.try_append(StringView(prefix, 4)));
    TRY(key.try_append(module));
    TRY(key.try_append(name));
    return {};
}

} // namespace

Result<void> Linker::define(StringView module, StringView name, Extern value)
{
    StringBuilder key;
    TRY(build_key(key, module, name));
    String owned = TRY(key.to_string());
    TRY(m_definitions.try_set(std::move(owned), value));
    return {};
}

void Linker::remove_module(StringView module)
{
    StringBuilder prefix;
    if (build_key(prefix, module, {}).is_error())
        return;
    for (;;) {
        const String* victim = nullptr;
        for (auto& entry : m_definitions) {
            if (entry.key.view().starts_with(prefix.view())) {
                victim = &entry.key;
                break;
            }
        }
        if (!victim)
            return;
        // NOTE: removal invalidates iterators; restart the scan. Registration is rare.
        StringBuilder key;
        key.append(victim->view());
        m_definitions.remove(key.view());
    }
}

Result<void> Linker::define_instance(StringView module, const Instance& instance)
{
    remove_module(module);
    for (const Export& entry : instance.module().exports) {
        auto value = instance.get_export(entry.name);
        WK_ASSERT(value.has_value());
        TRY(define(module, entry.name, *value));
    }
    return {};
}

std::optional<Extern> Linker::resolve(StringView module, StringView name)
{
    StringBuilder key;
    if (build_key(key, module, name).is_error())
        return std::nullopt;
    const Extern* found = m_definitions.get(key.view());
    if (!found)
        return std::nullopt;
    return *found;
}

} // namespace wk::engine::runtime
