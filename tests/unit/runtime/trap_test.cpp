// The fault → trap machinery without a compiler: hand-assembled x86-64 code in an RX
// page, registered with trap sites, entered through the runtime's entry trampoline.
#include <atomic>
#include <csignal>
#include <memory>
#include <thread>
#include <vector>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/platform.h"
#include "engine/runtime/trap.h"
#include "code_page.h"

using namespace wk;
using namespace wk::engine;

namespace {

// An inaccessible page to load from.
struct GuardPage {
    GuardPage() { base = MUST(platform::reserve(platform::page_size())); }
    ~GuardPage() { platform::release(base, platform::page_size()); }
    void* base;
};

} // namespace

TEST(Trap, NormalReturnPassesArgumentsAndResult)
{
    // lea rax, [rdi + rsi]; add rax, rdx; ret
    CodePage page({ 0x48, 0x8D, 0x04, 0x37, 0x48, 0x01, 0xD0, 0xC3 }, {});
    auto result = MUST(call_native(page.code(), 40, 2, 100));
    EXPECT_FALSE(result.trap.has_value());
    EXPECT_EQ(result.value, 142u);
    EXPECT_EQ(platform::current_activation(), nullptr);
}

TEST(Trap, Ud2IsUnreachable)
{
    // push rbp; mov rbp, rsp; ud2
    CodePage page({ 0x55, 0x48, 0x89, 0xE5, 0x0F, 0x0B }, { { 4, TrapKind::Unreachable } });
    auto result = MUST(call_native(page.code()));
    ASSERT_TRUE(result.trap.has_value());
    EXPECT_EQ(result.trap->kind, TrapKind::Unreachable);
    EXPECT_EQ(result.trap->pc, page.address(4));
    EXPECT_NE(result.trap->fp, 0u);
    EXPECT_STREQ(trap_message(result.trap->kind), "unreachable");
    EXPECT_EQ(platform::current_activation(), nullptr);
}

TEST(Trap, LoadFromGuardIsOutOfBoundsMemoryAccess)
{
    GuardPage guard;
    // mov rax, [rdi + 8]; ret
    CodePage page({ 0x48, 0x8B, 0x47, 0x08, 0xC3 }, { { 0, TrapKind::MemoryOutOfBounds } });
    auto result = MUST(call_native(page.code(), reinterpret_cast<u64>(guard.base)));
    ASSERT_TRUE(result.trap.has_value());
    EXPECT_EQ(result.trap->kind, TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(result.trap->fault_address, reinterpret_cast<uptr>(guard.base) + 8);
    EXPECT_STREQ(trap_message(result.trap->kind), "out of bounds memory access");
}

TEST(Trap, DivideByZero)
{
    // xor edx, edx; mov eax, 1; xor ecx, ecx; div ecx; ret
    CodePage page({ 0x31, 0xD2, 0xB8, 0x01, 0x00, 0x00, 0x00, 0x31, 0xC9, 0xF7, 0xF1, 0xC3 },
                  { { 9, TrapKind::IntegerDivideByZero } });
    auto result = MUST(call_native(page.code()));
    ASSERT_TRUE(result.trap.has_value());
    EXPECT_EQ(result.trap->kind, TrapKind::IntegerDivideByZero);
    EXPECT_EQ(result.trap->pc, page.address(9));
}

TEST(Trap, CalleeSavedRegistersAndStackSurviveATrap)
{
    // Clobbers rbx, rbp, r12-r15, pushes junk, then ud2:
    // mov rbx,-1; mov r12,-1; mov r13,-1; mov r14,-1; mov r15,-1; mov rbp,-1;
    // push rbx; push rbx; push rbx; ud2
    std::initializer_list<u8> code = {
        0x48, 0xC7, 0xC3, 0xFF, 0xFF, 0xFF, 0xFF, // mov rbx, -1
        0x49, 0xC7, 0xC4, 0xFF, 0xFF, 0xFF, 0xFF, // mov r12, -1
        0x49, 0xC7, 0xC5, 0xFF, 0xFF, 0xFF, 0xFF, // mov r13, -1
        0x49, 0xC7, 0xC6, 0xFF, 0xFF, 0xFF, 0xFF, // mov r14, -1
        0x49, 0xC7, 0xC7, 0xFF, 0xFF, 0xFF, 0xFF, // mov r15, -1
        0x48, 0xC7, 0xC5, 0xFF, 0xFF, 0xFF, 0xFF, // mov rbp, -1
        0x53, 0x53, 0x53,                         // push rbx x3
        0x0F, 0x0B,                               // ud2
    };
    CodePage page(code, { { 45, TrapKind::IntegerOverflow } });
    volatile u64 sentinel = 0x1234'5678'9abc'def0ull;
    u64 sum = 0;
    for (int i = 0; i < 100; ++i) {
        auto result = MUST(call_native(page.code()));
        ASSERT_TRUE(result.trap.has_value());
        EXPECT_EQ(result.trap->kind, TrapKind::IntegerOverflow);
        EXPECT_EQ(result.trap->fp, ~u64 { 0 });
        sum += static_cast<u64>(i);
    }
    EXPECT_EQ(sum, 4950u);
    EXPECT_EQ(sentinel, 0x1234'5678'9abc'def0ull);
}

TEST(Trap, NestedActivationsUnwindToTheInnermost)
{
    // The outer code calls call_native again through a host function; the inner trap
    // lands in the inner activation and the outer one returns normally.
    static CodePage* inner_page = nullptr;
    CodePage inner({ 0x0F, 0x0B }, { { 0, TrapKind::UndefinedElement } });
    inner_page = &inner;
    struct Host {
        static u64 call_inner(u64)
        {
            EXPECT_NE(platform::current_activation(), nullptr);
            auto result = MUST(call_native(inner_page->code()));
            return result.trap ? static_cast<u64>(result.trap->kind) + 1000 : 0;
        }
    };
    // mov rax, rdi; jmp rax  (tail-call the host function pointer passed in rdi)
    CodePage outer({ 0x48, 0x89, 0xF8, 0xFF, 0xE0 }, {});
    auto result = MUST(call_native(outer.code(), reinterpret_cast<u64>(&Host::call_inner)));
    EXPECT_FALSE(result.trap.has_value());
    EXPECT_EQ(result.value, static_cast<u64>(TrapKind::UndefinedElement) + 1000);
    EXPECT_EQ(platform::current_activation(), nullptr);
}

TEST(Trap, RegistryLookup)
{
    CodePage page({ 0x90, 0x90, 0x0F, 0x0B, 0x0F, 0x0B }, { { 2, TrapKind::Unreachable }, { 4, TrapKind::StackExhausted } });
    EXPECT_TRUE(is_wasm_code(page.address(0)));
    EXPECT_TRUE(is_wasm_code(page.address(5)));
    EXPECT_FALSE(is_wasm_code(page.address(6)));
    EXPECT_EQ(code_range_at(page.address(0)), &page.range());
    EXPECT_EQ(code_range_at(page.address(5)), &page.range());
    EXPECT_EQ(code_range_at(page.address(6)), nullptr);
    EXPECT_FALSE(lookup_trap_site(page.address(0)).has_value());
    auto site = lookup_trap_site(page.address(4));
    ASSERT_TRUE(site.has_value());
    EXPECT_EQ(site->kind, TrapKind::StackExhausted);
    EXPECT_EQ(site->range, &page.range());
    EXPECT_EQ(site->code_offset, 4u);
    // Overlapping and unsorted registrations are refused.
    CodeRange overlapping { page.address(3), 16, {}, nullptr, 0, 0, {}, {} };
    EXPECT_TRUE(register_code_range(&overlapping).is_error());
    TrapEntry unsorted[] = { { 4, TrapKind::Unreachable }, { 2, TrapKind::Unreachable } };
    CodeRange bad { 0x1000, 16, Span<const TrapEntry>(unsorted, 2), nullptr, 0, 0, {}, {} };
    EXPECT_EQ(register_code_range(&bad).error().kind(), ErrorKind::Invalid);
    TrapEntry outside[] = { { 16, TrapKind::Unreachable } };
    CodeRange bad2 { 0x1000, 16, Span<const TrapEntry>(outside, 1), nullptr, 0, 0, {}, {} };
    EXPECT_TRUE(register_code_range(&bad2).is_error());
}

TEST(Trap, ManyRangesStaySorted)
{
    std::vector<std::unique_ptr<CodePage>> pages;
    for (int i = 0; i < 20; ++i)
        pages.push_back(std::make_unique<CodePage>(std::initializer_list<u8> { 0x0F, 0x0B }, std::initializer_list<TrapEntry> { { 0, TrapKind::Unreachable } }));
    for (auto& page : pages)
        EXPECT_EQ(lookup_trap_site(page->address(0))->range, &page->range());
    for (int i = 0; i < 20; i += 2)
        pages[i].reset();
    for (int i = 1; i < 20; i += 2) {
        auto result = MUST(call_native(pages[i]->code()));
        ASSERT_TRUE(result.trap.has_value());
        EXPECT_EQ(result.trap->kind, TrapKind::Unreachable);
    }
}

// The registry's memory follows the number of ranges registered, not its high-water mark:
// leak checks compare the heap across workloads whose peak number of code objects varies
// (tier-up). 400 ranges registered, then unregistered down to 10, then to none.
TEST(Trap, RegistryMemoryFollowsTheLiveCount)
{
    usize before = code_registry_bytes();
    std::vector<std::unique_ptr<CodePage>> pages;
    for (int i = 0; i < 400; ++i)
        pages.push_back(std::make_unique<CodePage>(std::initializer_list<u8> { 0x0F, 0x0B }, std::initializer_list<TrapEntry> { { 0, TrapKind::Unreachable } }));
    EXPECT_GE(code_registry_bytes(), before + 400 * sizeof(void*));
    pages.resize(10);
    EXPECT_LE(code_registry_bytes(), before + 2 * (2 * 10 + 16 + 2) * sizeof(void*) + 64);
    for (auto& page : pages)
        EXPECT_EQ(lookup_trap_site(page->address(0))->range, &page->range());
    pages.clear();
    EXPECT_EQ(code_registry_bytes(), before);
}

namespace {

// A plain indirect call into hand-made code. NOTE: UBSan's function check reads type
// data in front of the callee, which hand-made code does not have.
[[clang::no_sanitize("function")]] void call_raw(const void* code)
{
    reinterpret_cast<void (*)()>(const_cast<void*>(code))();
}

// Runs body in a forked child and returns its wait status.
template<typename Body>
int run_in_child(Body body)
{
    pid_t pid = fork();
    if (pid == 0) {
        body();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

} // namespace

TEST(Trap, FaultOutsideWasmCodeIsNotSwallowed)
{
    MUST(platform::prepare_thread_for_wasm());
    int status = run_in_child([] {
        GuardPage guard;
        *static_cast<volatile int*>(guard.base) = 1;
    });
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGSEGV);
}

TEST(Trap, RaisedSignalIsNotSwallowed)
{
    MUST(platform::prepare_thread_for_wasm());
    int status = run_in_child([] { raise(SIGFPE); });
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGFPE);
}

TEST(Trap, FaultInUnregisteredCodeKillsTheProcess)
{
    // Same ud2, but never registered: a call_native activation exists, the PC is unknown.
    int status = run_in_child([] {
        CodePage page({ 0x0F, 0x0B }, {}, false);
        (void)call_native(page.code());
    });
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGILL);
}

TEST(Trap, FaultInWasmCodeWithoutTrapSiteKillsTheProcess)
{
    int status = run_in_child([] {
        CodePage page({ 0x90, 0x0F, 0x0B }, { { 0, TrapKind::Unreachable } });
        (void)call_native(page.code());
    });
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGILL);
}

TEST(Trap, TrapSiteWithoutActivationKillsTheProcess)
{
    int status = run_in_child([] {
        MUST(platform::prepare_thread_for_wasm());
        CodePage page({ 0x0F, 0x0B }, { { 0, TrapKind::Unreachable } });
        call_raw(page.code());
    });
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGILL);
}

TEST(Trap, TrapsWorkOnOtherThreads)
{
    CodePage page({ 0x0F, 0x0B }, { { 0, TrapKind::Unreachable } });
    std::atomic<int> trapped { 0 };
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                auto result = call_native(page.code());
                if (result && result->trap && result->trap->kind == TrapKind::Unreachable)
                    ++trapped;
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(trapped.load(), 200);
}

TEST(Trap, BacktraceWalksWasmFrames)
{
    // outer @0:  push rbp; mov rbp, rsp; call inner; pop rbp; ret
    // inner @16: push rbp; mov rbp, rsp; ud2
    CodePage page({ 0x55, 0x48, 0x89, 0xE5, 0xE8, 0x07, 0x00, 0x00, 0x00, 0x5D, 0xC3, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
                    0x55, 0x48, 0x89, 0xE5, 0x0F, 0x0B },
                  { { 20, TrapKind::Unreachable } });
    auto result = MUST(call_native(page.code()));
    ASSERT_TRUE(result.trap.has_value());
    ASSERT_EQ(result.trap->frame_count, 2u);
    EXPECT_EQ(result.trap->frames[0], page.address(20));
    EXPECT_EQ(result.trap->frames[1], page.address(9));
}

TEST(Trap, BacktraceStopsAtACorruptFrame)
{
    // mov rbp, rsp; sub rbp, 64 (fp below the fault sp); ud2
    CodePage page({ 0x48, 0x89, 0xE5, 0x48, 0x83, 0xED, 0x40, 0x0F, 0x0B }, { { 7, TrapKind::Unreachable } });
    auto result = MUST(call_native(page.code()));
    ASSERT_TRUE(result.trap.has_value());
    EXPECT_EQ(result.trap->frame_count, 1u);
    EXPECT_EQ(result.trap->frames[0], page.address(7));
}

TEST(Trap, HostCodeCanUnwindItsActivation)
{
    struct Host {
        static u64 exit_now(u64 status)
        {
            unwind_activation(platform::current_activation(), TrapKind::Exit);
        }
    };
    // sub rsp, 8; push rbx; mov rbx, -1; call rax(=rdi); (never returns here) ud2
    // → the frames between the entry and the host are simply dropped.
    CodePage page({ 0x48, 0x83, 0xEC, 0x08, 0x53, 0x48, 0xC7, 0xC3, 0xFF, 0xFF, 0xFF, 0xFF, 0x48, 0x89, 0xF8, 0xFF,
                    0xD0, 0x0F, 0x0B },
                  { { 17, TrapKind::Unreachable } });
    for (int i = 0; i < 3; ++i) {
        auto result = MUST(call_native(page.code(), reinterpret_cast<u64>(&Host::exit_now)));
        ASSERT_TRUE(result.trap.has_value());
        EXPECT_EQ(result.trap->kind, TrapKind::Exit);
        EXPECT_EQ(result.trap->frame_count, 0u);
        EXPECT_EQ(platform::current_activation(), nullptr);
    }
    EXPECT_STREQ(trap_message(TrapKind::Exit), "exit");
}
