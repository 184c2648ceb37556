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

    // follow_final: expand a symlink in the last component too (lookupflags
    // symlink_follow); a trailing slash always does, and sets must_be_directory().
    Expected<void> resolve(HostHandle start, StringView path, bool follow_final);

    HostHandle directory() const { return m_opened.is_empty() ? m_start : m_opened.last(); }
    StringView name() const { return m_name.view(); }
    bool must_be_directory() const { return m_must_be_directory; }

private:
    Expected<void> push_directory(StringView name);
    void pop_directory();

    WasiSystem& m_system;
    HostHandle m_start { -1 };
    Vector<HostHandle> m_opened;
    String m_name;
    bool m_must_be_directory { false };
};

} // namespace wk::engine::wasi
