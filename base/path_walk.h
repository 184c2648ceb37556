#pragma once

#include "base/errno.h"
#include "base/string.h"
#include "base/string_view.h"
#include "base/types.h"

namespace wk {

// The limits every path resolver in the system applies (Linux's PATH_MAX, NAME_MAX and
// MAXSYMLINKS), so that a path means the same under `wasmkern run` and in the OS.
inline constexpr usize kMaxPathLength = 4096; // bytes of a path, the terminating NUL included
inline constexpr usize kMaxNameLength = 255;  // bytes of one component
inline constexpr u32 kMaxSymlinkExpansions = 40;

// The component walk shared by the kernel file system's resolver and the engine's WASI
// resolver: hands out a path's components one at a time and splices a symlink's target in
// front of what is left, so a resolution is a loop, never a recursion, bounded by the limits
// above. What "." and ".." mean, where an absolute path starts and how a component is looked
// up are the caller's.
class PathWalk {
public:
    struct Component {
        StringView name; // empty when nothing but slashes is left
        bool last;       // nothing but slashes follows
        bool trailing_slash;
    };

    // Errors: NoEnt for an empty path, NameTooLong at kMaxPathLength bytes or more, NoMem.
    static ErrnoResult<PathWalk> create(StringView path, Allocator* allocator = nullptr)
    {
        if (path.empty())
            return Errno::NoEnt;
        if (path.size() >= kMaxPathLength)
            return Errno::NameTooLong;
        PathWalk walk;
        walk.m_text = TRY(no_mem_on_error(String::try_create(path, allocator)));
        return walk;
    }

    // The whole path as it stands now (after splices), and whether it is absolute.
    StringView text() const { return m_text.view(); }
    bool is_absolute() const { return !m_text.is_empty() && m_text[0] == '/'; }

    // The next component. Errors: NameTooLong for a component above kMaxNameLength.
    ErrnoResult<Component> next()
    {
        StringView text = m_text.view();
        while (m_position < text.size() && text[m_position] == '/')
            ++m_position;
        usize start = m_position;
        while (m_position < text.size() && text[m_position] != '/')
            ++m_position;
        usize rest = m_position;
        while (rest < text.size() && text[rest] == '/')
            ++rest;
        Component component { StringView(text.data() + start, m_position - start), rest == text.size(), false };
        component.trailing_slash = component.last && rest > m_position;
        if (component.name.size() > kMaxNameLength)
            return Errno::NameTooLong;
        return component;
    }

    // Replaces everything up to and including the component last returned by `target`,
    // keeping what follows it. The caller checks is_absolute() afterwards.
    // Errors: Loop after kMaxSymlinkExpansions splices, NoEnt for an empty target,
    // NameTooLong when the result would reach kMaxPathLength, NoMem.
    ErrnoResult<void> splice(StringView target)
    {
        if (++m_expansions > kMaxSymlinkExpansions)
            return Errno::Loop;
        if (target.empty())
            return Errno::NoEnt;
        StringView text = m_text.view();
        StringView rest(text.data() + m_position, text.size() - m_position);
        if (target.size() + rest.size() >= kMaxPathLength)
            return Errno::NameTooLong;
        String spliced = TRY(no_mem_on_error(String::try_create(target, &m_text.allocator())));
        TRY(no_mem_on_error(spliced.try_append(rest)));
        m_text = std::move(spliced);
        m_position = 0;
        return {};
    }

private:
    PathWalk() = default;

    String m_text;
    usize m_position { 0 };
    u32 m_expansions { 0 };
};

} // namespace wk
