#pragma once

// Trailing-slash behaviour of every path_* call, as Linux 6.x answers the same syscalls
// (the table in docs/wasi.md, measured on the host). Freestanding, so that the hosted
// wasi_tests (POSIX backend) and the in-kernel sys tests (KernelWasiSystem) run the same
// cases through WasiContext.
//
// Each case runs in a fresh directory `sN` made through the context itself, holding:
// directories d and d2, files f and f2, and symlinks sl -> f, sd -> d, dl -> missing.
#include "base/string_view.h"
#include "engine/wasi/wasi_context.h"

namespace wk::tests::trailing_slash {

using engine::wasi::Errno;

enum class Op : u8 {
    Open,           // path_open(a, oflags), lookupflags 0
    CreateDirectory,
    RemoveDirectory,
    Unlink,
    Rename,         // a -> b
    Link,           // a -> b, lookupflags 0
    Symlink,        // symlink text "f" at a
    Readlink,
    Stat,           // path_filestat_get, lookupflags 0 (lstat)
    SetTimes,       // path_filestat_set_times, lookupflags 0, both times "now"
};

struct Case {
    Op op;
    const char* a;
    const char* b;
    u16 oflags;
    Errno expected;
    // After the call: a name that must exist and one that must not (nullptr: no check).
    const char* then_exists;
    const char* then_missing;
};

namespace of = engine::wasi::oflags;

inline constexpr Case kCases[] = {
    { Op::Open, "f/", nullptr, 0, Errno::NotDir, nullptr, nullptr },
    { Op::Open, "f/", nullptr, of::kDirectory, Errno::NotDir, nullptr, nullptr },
    { Op::Open, "d/", nullptr, 0, Errno::Success, nullptr, nullptr },
    { Op::Open, "sd/", nullptr, 0, Errno::Success, nullptr, nullptr },
    { Op::Open, "sl/", nullptr, 0, Errno::NotDir, nullptr, nullptr },
    { Op::Open, "missing/", nullptr, 0, Errno::NoEnt, nullptr, nullptr },
    { Op::Open, "missing/", nullptr, of::kCreat, Errno::IsDir, nullptr, "missing" },
    { Op::Open, "f/", nullptr, of::kCreat, Errno::IsDir, nullptr, nullptr },
    { Op::Open, "dl/", nullptr, of::kCreat, Errno::IsDir, nullptr, "missing" },
    { Op::Open, "missing/", nullptr, of::kCreat | of::kExcl, Errno::IsDir, nullptr, "missing" },
    { Op::CreateDirectory, "new/", nullptr, 0, Errno::Success, "new/", nullptr },
    { Op::CreateDirectory, "f/", nullptr, 0, Errno::Exist, nullptr, nullptr },
    { Op::CreateDirectory, "d/", nullptr, 0, Errno::Exist, nullptr, nullptr },
    { Op::CreateDirectory, "dl/", nullptr, 0, Errno::Exist, nullptr, "missing" },
    { Op::RemoveDirectory, "d/", nullptr, 0, Errno::Success, nullptr, "d" },
    { Op::RemoveDirectory, "f/", nullptr, 0, Errno::NotDir, "f", nullptr },
    { Op::RemoveDirectory, "missing/", nullptr, 0, Errno::NoEnt, nullptr, nullptr },
    { Op::RemoveDirectory, "sd/", nullptr, 0, Errno::NotDir, "d/", nullptr },
    { Op::RemoveDirectory, "sl/", nullptr, 0, Errno::NotDir, "sl", nullptr },
    { Op::Unlink, "f/", nullptr, 0, Errno::NotDir, "f", nullptr },
    { Op::Unlink, "d/", nullptr, 0, Errno::IsDir, "d/", nullptr },
    { Op::Unlink, "missing/", nullptr, 0, Errno::NoEnt, nullptr, nullptr },
    { Op::Unlink, "sl/", nullptr, 0, Errno::NotDir, "sl", nullptr },
    { Op::Unlink, "sd/", nullptr, 0, Errno::NotDir, "sd", nullptr },
    { Op::Rename, "f/", "g", 0, Errno::NotDir, "f", "g" },
    { Op::Rename, "f", "g/", 0, Errno::NotDir, "f", "g" },
    { Op::Rename, "f", "f2/", 0, Errno::NotDir, "f", nullptr },
    { Op::Rename, "f", "d2/", 0, Errno::NotDir, "f", nullptr },
    { Op::Rename, "d/", "nd/", 0, Errno::Success, "nd/", "d" },
    { Op::Rename, "d", "nd/", 0, Errno::Success, "nd/", "d" },
    { Op::Rename, "d/", "nd", 0, Errno::Success, "nd/", "d" },
    { Op::Rename, "d/", "d2/", 0, Errno::Success, "d2/", "d" },
    { Op::Rename, "missing/", "x", 0, Errno::NoEnt, nullptr, "x" },
    { Op::Rename, "sl/", "x", 0, Errno::NotDir, "sl", "x" },
    { Op::Rename, "sd/", "x", 0, Errno::NotDir, "sd", "x" },
    { Op::Rename, "d2", "sd/", 0, Errno::NotDir, "d2/", nullptr },
    { Op::Link, "f", "link/", 0, Errno::NoEnt, nullptr, "link" },
    { Op::Link, "f/", "l2", 0, Errno::NotDir, nullptr, "l2" },
    { Op::Link, "f", "f2/", 0, Errno::Exist, nullptr, nullptr },
    { Op::Link, "f", "d2/", 0, Errno::Exist, nullptr, nullptr },
    { Op::Link, "d/", "x", 0, Errno::Perm, nullptr, "x" },
    { Op::Link, "missing/", "x", 0, Errno::NoEnt, nullptr, "x" },
    { Op::Link, "sl/", "x", 0, Errno::NotDir, nullptr, "x" },
    { Op::Link, "f", "dl/", 0, Errno::Exist, nullptr, "missing" },
    { Op::Symlink, "s/", nullptr, 0, Errno::NoEnt, nullptr, "s" },
    { Op::Symlink, "f2/", nullptr, 0, Errno::Exist, nullptr, nullptr },
    { Op::Symlink, "d2/", nullptr, 0, Errno::Exist, nullptr, nullptr },
    { Op::Symlink, "dl/", nullptr, 0, Errno::Exist, nullptr, "missing" },
    { Op::Readlink, "sl/", nullptr, 0, Errno::NotDir, nullptr, nullptr },
    { Op::Readlink, "sd/", nullptr, 0, Errno::Inval, nullptr, nullptr },
    { Op::Readlink, "f/", nullptr, 0, Errno::NotDir, nullptr, nullptr },
    { Op::Readlink, "missing/", nullptr, 0, Errno::NoEnt, nullptr, nullptr },
    { Op::Stat, "f/", nullptr, 0, Errno::NotDir, nullptr, nullptr },
    { Op::Stat, "sl/", nullptr, 0, Errno::NotDir, nullptr, nullptr },
    { Op::Stat, "sd/", nullptr, 0, Errno::Success, nullptr, nullptr },
    { Op::Stat, "d/", nullptr, 0, Errno::Success, nullptr, nullptr },
    { Op::Stat, "missing/", nullptr, 0, Errno::NoEnt, nullptr, nullptr },
    { Op::SetTimes, "f/", nullptr, 0, Errno::NotDir, nullptr, nullptr },
    { Op::SetTimes, "sl/", nullptr, 0, Errno::NotDir, nullptr, nullptr },
    { Op::SetTimes, "sd/", nullptr, 0, Errno::Success, nullptr, nullptr },
    { Op::SetTimes, "d/", nullptr, 0, Errno::Success, nullptr, nullptr },
    { Op::SetTimes, "missing/", nullptr, 0, Errno::NoEnt, nullptr, nullptr },
};
inline constexpr u32 kCaseCount = sizeof kCases / sizeof kCases[0];

// What a case did, for the caller's own assertion macros.
struct Outcome {
    Errno setup { Errno::Success };  // the first error making the case's directory
    Errno got { Errno::Success };
    bool exists_ok { true };
    bool missing_ok { true };
};

// Runs the cases against `context`, whose guest memory starts at `guest` (at least
// 8 KiB) and whose descriptor `root` is a writable directory.
class Runner {
public:
    Runner(engine::wasi::WasiContext& context, u8* guest, u32 root)
        : m_context(context)
        , m_guest(guest)
        , m_root(root)
    {
    }

    Outcome run(u32 index)
    {
        namespace wasi = engine::wasi;
        const Case& test = kCases[index];
        Outcome outcome;
        char name[8] = { 's' };
        usize length = 1;
        for (u32 divisor = 100; divisor > 0; divisor /= 10) {
            if (index >= divisor || divisor == 1)
                name[length++] = static_cast<char>('0' + (index / divisor) % 10);
        }
        name[length] = '\0';
        u32 dir = 0;
        auto step = [&](Errno result) {
            if (outcome.setup == Errno::Success)
                outcome.setup = result;
        };
        step(m_context.path_create_directory(m_root, put(kA, name), length));
        step(open(m_root, name, wasi::oflags::kDirectory, wasi::rights::kDirectory, &dir));
        if (outcome.setup != Errno::Success)
            return outcome;
        step(m_context.path_create_directory(dir, put(kA, "d"), 1));
        step(m_context.path_create_directory(dir, put(kA, "d2"), 2));
        const char* files[] = { "f", "f2" };
        for (const char* file : files) {
            u32 fd = 0;
            step(open(dir, file, wasi::oflags::kCreat, wasi::rights::kFdWrite, &fd));
            step(m_context.fd_close(fd));
        }
        step(symlink("f", dir, "sl"));
        step(symlink("d", dir, "sd"));
        step(symlink("missing", dir, "dl"));
        if (outcome.setup != Errno::Success)
            return outcome;

        u32 a_length = length_of(test.a);
        u32 b_length = test.b ? length_of(test.b) : 0;
        switch (test.op) {
        case Op::Open: {
            u32 fd = 0;
            outcome.got = open(dir, test.a, test.oflags,
                               test.oflags & wasi::oflags::kCreat ? wasi::rights::kFdWrite : wasi::rights::kFdRead, &fd);
            if (outcome.got == Errno::Success)
                (void)m_context.fd_close(fd);
            break;
        }
        case Op::CreateDirectory:
            outcome.got = m_context.path_create_directory(dir, put(kA, test.a), a_length);
            break;
        case Op::RemoveDirectory:
            outcome.got = m_context.path_remove_directory(dir, put(kA, test.a), a_length);
            break;
        case Op::Unlink:
            outcome.got = m_context.path_unlink_file(dir, put(kA, test.a), a_length);
            break;
        case Op::Rename:
            outcome.got = m_context.path_rename(dir, put(kA, test.a), a_length, dir, put(kB, test.b), b_length);
            break;
        case Op::Link:
            outcome.got = m_context.path_link(dir, 0, put(kA, test.a), a_length, dir, put(kB, test.b), b_length);
            break;
        case Op::Symlink:
            outcome.got = symlink("f", dir, test.a);
            break;
        case Op::Readlink:
            outcome.got = m_context.path_readlink(dir, put(kA, test.a), a_length, kOut, 100, kOut + 200);
            break;
        case Op::Stat:
            outcome.got = m_context.path_filestat_get(dir, 0, put(kA, test.a), a_length, kOut);
            break;
        case Op::SetTimes:
            outcome.got = m_context.path_filestat_set_times(dir, 0, put(kA, test.a), a_length, 0, 0,
                                                            wasi::fstflags::kAtimNow | wasi::fstflags::kMtimNow);
            break;
        }
        if (test.then_exists)
            outcome.exists_ok = stat(dir, test.then_exists) == Errno::Success;
        if (test.then_missing)
            outcome.missing_ok = stat(dir, test.then_missing) == Errno::NoEnt;
        (void)m_context.fd_close(dir);
        return outcome;
    }

private:
    static constexpr u32 kA = 1000;
    static constexpr u32 kB = 2000;
    static constexpr u32 kOut = 3000;
    static constexpr u32 kFdOut = 4000;

    static u32 length_of(const char* text) { return static_cast<u32>(StringView(text).size()); }
    u32 put(u32 at, const char* text)
    {
        u32 length = length_of(text);
        for (u32 i = 0; i < length; ++i)
            m_guest[at + i] = static_cast<u8>(text[i]);
        return at;
    }
    Errno open(u32 dir, const char* path, u16 oflags, u64 rights, u32* fd)
    {
        Errno result = m_context.path_open(dir, 0, put(kA, path), length_of(path), oflags, rights,
                                           engine::wasi::rights::kAll, 0, kFdOut);
        if (result == Errno::Success)
            *fd = static_cast<u32>(m_guest[kFdOut]) | static_cast<u32>(m_guest[kFdOut + 1]) << 8;
        return result;
    }
    Errno symlink(const char* target, u32 dir, const char* path)
    {
        return m_context.path_symlink(put(kB + 500, target), length_of(target), dir, put(kA, path), length_of(path));
    }
    Errno stat(u32 dir, const char* path)
    {
        return m_context.path_filestat_get(dir, 0, put(kA, path), length_of(path), kOut);
    }

    engine::wasi::WasiContext& m_context;
    u8* m_guest;
    u32 m_root;
};

} // namespace wk::tests::trailing_slash
