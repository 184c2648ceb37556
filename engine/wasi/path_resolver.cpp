#include "engine/wasi/path_resolver.h"

#include "base/path_walk.h"

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
    if (m_opened.size() >= kMaxPathLength / 2)
        return Errno::NameTooLong;
    if (!m_opened.try_reserve(m_opened.size() + 1))
        return Errno::NoMem;
    OpenRequest request;
    request.read = true;
    request.directory = true;
    auto handle = m_system.open_at(directory(), name, request);
    if (!handle)
        return handle.error();
    m_opened.append(*handle);
    return {};
}

Expected<void> ResolvedPath::resolve(HostHandle start, StringView path, bool follow_final, SlashOnLink slash)
{
    m_start = start;
    PathWalk walk = TRY(PathWalk::create(path));
    if (walk.is_absolute())
        return Errno::NotCapable;

    for (;;) {
        PathWalk::Component component = TRY(walk.next());
        if (component.name.empty()) {
            // Nothing but slashes left: the path names the current directory.
            m_must_be_directory = true;
            return set_name(".");
        }
        if (component.name == "." || component.name == "..") {
            if (component.name == "..") {
                if (m_opened.is_empty())
                    return Errno::NotCapable;
                pop_directory();
            }
            if (component.last) {
                m_must_be_directory = true;
                return set_name(".");
            }
            continue;
        }

        if (!component.last || follow_final || (component.trailing_slash && slash == SlashOnLink::Follow)) {
            auto stat = m_system.stat_at(directory(), component.name);
            if (stat && stat->filetype == Filetype::SymbolicLink) {
                String target = TRY(m_system.readlink_at(directory(), component.name));
                TRY(walk.splice(target.view()));
                if (walk.is_absolute())
                    return Errno::NotCapable;
                continue;
            }
            if (!component.last) {
                if (!stat)
                    return stat.error();
                if (stat->filetype != Filetype::Directory)
                    return Errno::NotDir;
                TRY(push_directory(component.name));
                continue;
            }
        }

        m_must_be_directory = component.trailing_slash;
        return set_name(component.name);
    }
}

Expected<void> ResolvedPath::set_name(StringView name)
{
    if (!m_name.try_append(name))
        return Errno::NoMem;
    return {};
}

} // namespace wk::engine::wasi
