// engine/platform.h as the hosted platform implements it.
#include <csignal>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/platform.h"

namespace wk::platform {

namespace {

// Whether writing (or reading) `address` in a forked child dies with SIGSEGV.
bool access_kills_child(volatile u8* address, bool write)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (write)
            *address = 1;
        else
            (void)*address;
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

// NOTE: UBSan's function check reads type data in front of the callee, which
// hand-made code does not have.
[[clang::no_sanitize("function")]] int call_raw(const void* code)
{
    return reinterpret_cast<int (*)()>(const_cast<void*>(code))();
}

} // namespace

TEST(Platform, PageSize)
{
    usize size = page_size();
    EXPECT_GE(size, 4096u);
    EXPECT_EQ(size & (size - 1), 0u);
}

TEST(Platform, ReserveCommitDecommitRelease)
{
    usize page = page_size();
    u8* base = static_cast<u8*>(MUST(reserve(4 * page)));
    EXPECT_EQ(reinterpret_cast<uptr>(base) % page, 0u);
    EXPECT_TRUE(access_kills_child(base, false));
    MUST(commit(base + page, 2 * page));
    EXPECT_EQ(base[page], 0);
    EXPECT_EQ(base[3 * page - 1], 0);
    std::memset(base + page, 0x5A, 2 * page);
    EXPECT_TRUE(access_kills_child(base + 3 * page, true));
    EXPECT_TRUE(access_kills_child(base + page - 1, false));
    MUST(decommit(base + page, page));
    EXPECT_TRUE(access_kills_child(base + page, false));
    EXPECT_EQ(base[2 * page], 0x5A);
    MUST(commit(base + page, page));
    EXPECT_EQ(base[page], 0); // decommitted contents are gone
    MUST(discard(base + 2 * page, page));
    EXPECT_EQ(base[2 * page], 0); // discarded: zero, still accessible
    base[2 * page] = 1;
    release(base, 4 * page);
}

TEST(Platform, MisalignedRangesAreRefused)
{
    usize page = page_size();
    u8* base = static_cast<u8*>(MUST(reserve(2 * page)));
    EXPECT_TRUE(commit(base + 1, page).is_error());
    EXPECT_TRUE(commit(base, page + 1).is_error());
    EXPECT_TRUE(decommit(base + 8, page).is_error());
    EXPECT_TRUE(protect(base, 7, Access::Read).is_error());
    EXPECT_TRUE(reserve(0).is_error());
    EXPECT_TRUE(reserve(page + 1).is_error());
    release(base, 2 * page);
}

TEST(Platform, CodeIsNeverWritableAndExecutable)
{
    usize page = page_size();
    u8* code = static_cast<u8*>(MUST(reserve(page)));
    MUST(commit(code, page));
    code[0] = 0xB8; // mov eax, 7; ret
    code[1] = 7;
    code[2] = code[3] = code[4] = 0;
    code[5] = 0xC3;
    MUST(protect(code, page, Access::ReadExecute));
    EXPECT_EQ(call_raw(code), 7);
    EXPECT_TRUE(access_kills_child(code, true));
    MUST(protect(code, page, Access::Read));
    EXPECT_EQ(code[1], 7);
    EXPECT_TRUE(access_kills_child(code, true));
    release(code, page);
}

TEST(Platform, HugeReservationsFailCleanly)
{
    auto result = reserve(usize { 1 } << 62);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
}

TEST(Platform, TimeAndEntropy)
{
    u64 a = monotonic_nanoseconds();
    u64 b = monotonic_nanoseconds();
    EXPECT_LE(a, b);
    EXPECT_GT(a, 0u);
    u8 first[32] = {};
    u8 second[32] = {};
    MUST(fill_entropy(first));
    MUST(fill_entropy(second));
    EXPECT_NE(std::memcmp(first, second, sizeof(first)), 0);
    MUST(fill_entropy(Bytes()));
}

TEST(Platform, ThreadStateAndStackLimit)
{
    MUST(prepare_thread_for_wasm());
    MUST(prepare_thread_for_wasm()); // idempotent
    EXPECT_EQ(current_activation(), nullptr);
    uptr limit = wasm_stack_limit();
    uptr here = reinterpret_cast<uptr>(__builtin_frame_address(0));
    EXPECT_NE(limit, 0u);
    EXPECT_LT(limit, here);
    EXPECT_GT(here - limit, 64u * 1024); // room left for wasm frames
    stack_t stack {};
    ASSERT_EQ(sigaltstack(nullptr, &stack), 0);
    EXPECT_FALSE(stack.ss_flags & SS_DISABLE);
    EXPECT_GE(stack.ss_size, 16u * 1024);
}

} // namespace wk::platform
