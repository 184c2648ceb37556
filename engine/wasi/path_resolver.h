#pragma once

#include "base/string.h"
#include "base/vector.h"
#include "engine/wasi/wasi_system.h"

namespace wk::engine::wasi {

// A guest path resolved relative to a directory descriptor, down to the directory that
// holds its last component and that component's name. Intermediate directories are
// opened one component at a time without following symlinks; symlinks are read and
// expanded here, and `..` pops what this resolution opened. So a path can never name
// anything outside the starting directory: an absolute path, an absolute symlink target
// or a `..` above the start is Errno::NotCapable.
//
// The name is one component, never empty and never "..": it is "." when the path names
// the starting directory or one of the opened directories itself ("a/..", "a/", ".").
// The directories opened on the way are closed when the ResolvedPath dies.
class ResolvedPath {
public:
    explicit ResolvedPath(WasiSystem& system)
        : m_system(system)
    {
    }
    ~ResolvedPath();
    ResolvedPath(const ResolvedPath&) = delete;
    ResolvedPath& operator=(const ResolvedPath&) = delete;

    // What a trailing slash does to a symlink in the last component. As in Linux, calls
    // that look up an existing object (open, stat, set_times, readlink, the source of
    // link) follow it; calls that create or remove the name itself (create_directory,
    // remove_directory, unlink, both names of rename, the new name of link and symlink)
    // act on the link, which is then not a directory (ENOTDIR, or EEXIST when creating).
    enum class SlashOnLink { Follow, NamesTheLink };

    // follow_final: expand a symlink in the last component too (lookupflags
    // symlink_follow). A trailing slash sets must_be_directory(); what it does to a final
    // symlink is `slash`.
    Expected<void> resolve(HostHandle start, StringView path, bool follow_final,
                           SlashOnLink slash = SlashOnLink::Follow);

    HostHandle directory() const { return m_opened.is_empty() ? m_start : m_opened.last(); }
    StringView name() const { return m_name.view(); }
    bool must_be_directory() const { return m_must_be_directory; }

private:
    Expected<void> push_directory(StringView name);
    Expected<void> set_name(StringView name);
    void pop_directory();

    WasiSystem& m_system;
    HostHandle m_start { -1 };
    Vector<HostHandle> m_opened;
    String m_name;
    bool m_must_be_directory { false };
};

} // namespace wk::engine::wasi
