#include "engine/wasi/path_resolver.h"

#include "engine/wasi/wasi_context.h"

namespace wk::engine::wasi {

ResolvedPath::~ResolvedPath()
{
    while (!m_opened.is_empty())
        pop_directory();
}

void ResolvedPath::pop_directory()
{
    // NOTE: an error closing a directory handle opened only for lookup changes nothing
    // the guest can observe.
    (void)m_system.close(m_opened.pop_back());
}

Expected<void> ResolvedPath::push_directory(StringView name)
{
    if (m_opened.size() >= WasiContext::kMaxPathLength / 2)
        return fail(Errno::NameTooLong);
    if (!m_opened.try_reserve(m_opened.size() + 1))
        return fail(Errno::NoMem);
    OpenRequest request;
    request.read = true;
    request.directory = true;
    auto handle = m_system.open_at(directory(), name, request);
    if (!handle)
        return fail(handle.error());
    m_opened.append(*handle);
    return {};
}

namespace {

Expected<String> make_string(StringView a, StringView b)
{
    String text;
    if (!text.try_append(a) || !text.try_append(b))
        return fail(Errno::NoMem);
    return text;
}

} // namespace

Expected<void> ResolvedPath::resolve(HostHandle start, StringView path, bool follow_final, SlashOnLink slash)
{
    m_start = start;
    if (path.empty())
        return fail(Errno::NoEnt);
    if (path.size() > WasiContext::kMaxPathLength)
        return fail(Errno::NameTooLong);
    if (path[0] == '/')
        return fail(Errno::NotCapable);

    auto initial = make_string(path, {});
    if (!initial)
        return fail(initial.error());
    String pending = std::move(*initial);
    usize position = 0;
    u32 expansions = 0;

    for (;;) {
        StringView text = pending.view();
        while (position < text.size() && text[position] == '/')
            ++position;
        if (position == text.size()) {
            // Empty remainder after a slash: the path names the current directory.
            m_must_be_directory = true;
            return m_name.try_append(".") ? Expected<void> {} : fail(Errno::NoMem);
        }
        usize end = position;
        while (end < text.size() && text[end] != '/')
            ++end;
        StringView component(text.data() + position, end - position);
        usize after = end;
        while (after < text.size() && text[after] == '/')
            ++after;
        bool is_last = after == text.size();
        bool trailing_slash = is_last && end < text.size();
        StringView rest(text.data() + end, text.size() - end);
        position = end;

        if (component == "." || component == "..") {
            if (component == "..") {
                if (m_opened.is_empty())
                    return fail(Errno::NotCapable);
                pop_directory();
            }
            if (is_last) {
                m_must_be_directory = true;
                return m_name.try_append(".") ? Expected<void> {} : fail(Errno::NoMem);
            }
            continue;
        }

        if (!is_last || follow_final || (trailing_slash && slash == SlashOnLink::Follow)) {
            auto stat = m_system.stat_at(directory(), component);
            if (stat && stat->filetype == Filetype::SymbolicLink) {
                if (++expansions > WasiContext::kMaxSymlinkExpansions)
                    return fail(Errno::Loop);
                auto target = m_system.readlink_at(directory(), component);
                if (!target)
                    return fail(target.error());
                if (target->is_empty())
                    return fail(Errno::NoEnt);
                if ((*target)[0] == '/')
                    return fail(Errno::NotCapable);
                if (target->length() + rest.size() > WasiContext::kMaxPathLength)
                    return fail(Errno::NameTooLong);
                auto expanded = make_string(target->view(), rest);
                if (!expanded)
                    return fail(expanded.error());
                pending = std::move(*expanded);
                position = 0;
                continue;
            }
            if (!is_last) {
                if (!stat)
                    return fail(stat.error());
                if (stat->filetype != Filetype::Directory)
                    return fail(Errno::NotDir);
                auto pushed = push_directory(component);
                if (!pushed)
                    return fail(pushed.error());
                continue;
            }
        }

        m_must_be_directory = trailing_slash;
        return m_name.try_append(component) ? Expected<void> {} : fail(Errno::NoMem);
    }
}

} // namespace wk::engine::wasi
