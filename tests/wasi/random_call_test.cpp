// Every preview1 function called through its array entry with hostile arguments drawn
// from addresses that straddle the end of memory, huge lengths and random bits, over
// memory full of random bytes (so iovecs, subscriptions and paths are random too). The
// host must never crash, every errno must be a preview1 value, and no byte outside the
// guest memory may change.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <string>

#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/wasi/wasi_host.h"
#include "tests/wasi/fake_system.h"

using namespace wk;
using namespace wk::engine;
using namespace wk::engine::wasi;
using wk::engine::wasi::testing::Guest;

namespace {

const char* const kNames[] = {
    "args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "clock_res_get", "clock_time_get", "fd_advise",
    "fd_allocate", "fd_close", "fd_datasync", "fd_fdstat_get", "fd_fdstat_set_flags", "fd_fdstat_set_rights",
    "fd_filestat_get", "fd_filestat_set_size", "fd_filestat_set_times", "fd_pread", "fd_prestat_get",
    "fd_prestat_dir_name", "fd_pwrite", "fd_read", "fd_readdir", "fd_renumber", "fd_seek", "fd_sync", "fd_tell",
    "fd_write", "path_create_directory", "path_filestat_get", "path_filestat_set_times", "path_link", "path_open",
    "path_readlink", "path_remove_directory", "path_rename", "path_symlink", "path_unlink_file", "poll_oneoff",
    "proc_exit", "proc_raise", "sched_yield", "random_get", "sock_accept", "sock_recv", "sock_send", "sock_shutdown",
};

} // namespace

TEST(WasiRandomCalls, NeverCrashAndStayInMemory)
{
    static_assert(sizeof(kNames) / sizeof(kNames[0]) == kFunctionCount);
    std::mt19937_64 random(20261127);

    // The guest memory sits between two guard areas that must stay untouched.
    constexpr usize kGuard = 4096;
    std::vector<u8> arena(kGuard + Guest::kMemorySize + kGuard, 0x5A);
    runtime::VMMemory memory { arena.data() + kGuard, Guest::kMemorySize };

    // Addresses where well-formed structures are planted: iovec arrays at 0 and 8,
    // paths at 4096 ("dsub/file") and 4200 ("file"), a clock subscription at 8192.
    const u64 planted[] = { 0, 8, 4096, 4200, 8192, 20000, 30000 };
    auto value = [&](usize position) -> u64 {
        if (position == 0 && random() % 2)
            return random() % 5; // mostly an open descriptor first
        switch (random() % 10) {
        case 8: return planted[random() % (sizeof(planted) / sizeof(planted[0]))];
        case 9: return 1 + random() % 9;                                // short lengths and counts
        case 0: return random() % 8;                                    // small: fds, flags
        case 1: return 20000 + random() % 40000;                        // inside
        case 2: return Guest::kMemorySize - random() % 64;              // straddling the end
        case 3: return 0xFFFF'FFFFu - random() % 64;                    // near 4 GiB
        case 4: return random() & 0xFFFF'FFFFu;                         // any u32
        case 5: return random();                                        // any u64
        case 6: return random() % 4096;                                 // lengths
        default: return 3;                                              // the preopen
        }
    };

    std::map<std::string, int> successes;
    std::map<std::string, int> backend;
    for (int epoch = 0; epoch < 40; ++epoch) {
        // A fresh context (the guest closes and renumbers descriptors as it goes) and
        // fresh random memory with planted structures.
        Guest guest;
        guest.context.bind_memory(&memory);
        auto store = MUST(runtime::Store::create());
        runtime::Linker linker;
        ASSERT_TRUE(define_wasi(*store, linker, guest.context).has_value());
        u8* base = arena.data() + kGuard;
        for (usize i = 0; i < Guest::kMemorySize; ++i)
            base[i] = static_cast<u8>(random() % 4 == 0 ? '/' : random() % 3 == 0 ? '.' : 1 + random() % 255);
        for (u32 i = 0; i < 16; ++i) {
            u32 iovec[2] = { static_cast<u32>(10000 + random() % 40000), static_cast<u32>(random() % 256) };
            std::memcpy(base + i * 8, iovec, 8);
        }
        std::memcpy(base + 4096, "dsub/file", 9);
        std::memcpy(base + 4200, "file", 4);
        std::memset(base + 8192, 0, 48);
        u64 timeout = 1000;
        std::memcpy(base + 8192 + 24, &timeout, 8);

        for (int round = 0; round < 15000; ++round) {
            const char* name = kNames[random() % kFunctionCount];
            auto found = linker.resolve(kModuleName, StringView(name));
            ASSERT_TRUE(found.has_value());
            runtime::VMVal values[10];
            for (usize i = 0; i < 10; ++i)
                values[i] = runtime::VMVal::from_u64(value(i));
            found->func->array_call(found->func->vmctx, values);
            if (std::string_view(name) != "proc_exit") {
                ASSERT_LE(values[0].u32_value(), static_cast<u32>(Errno::NotCapable)) << name;
                if (values[0].u32_value() == 0)
                    ++successes[name];
            }
        }
        for (const std::string& call : guest.system.calls)
            ++backend[call.substr(0, call.find(' '))];
        // Every handle the fake system gave out is closed or held by the context.
        usize held = 0;
        for (u32 fd = 0; fd < WasiContext::kMaxDescriptors; ++fd)
            held += guest.context.entry(fd) != nullptr;
        EXPECT_EQ(guest.system.open_handles.size(), held);
    }
    for (usize i = 0; i < kGuard; ++i) {
        ASSERT_EQ(arena[i], 0x5A) << "byte before memory changed at " << i;
        ASSERT_EQ(arena[kGuard + Guest::kMemorySize + i], 0x5A) << "byte after memory changed at " << i;
    }
    // The arguments reach past the checks, not only into them.
    for (const char* name : { "fd_read", "fd_seek", "random_get", "poll_oneoff", "args_get", "fd_close", "fd_fdstat_get",
                              "clock_time_get", "fd_prestat_get" })
        EXPECT_GT(successes[name], 0) << name << " never succeeded";
    // Random paths went through resolution down to the backend.
    for (const char* call : { "stat_at", "open_at", "create_directory_at", "unlink_file_at", "readlink_at" })
        EXPECT_GT(backend[call], 0) << call << " never reached";
}
