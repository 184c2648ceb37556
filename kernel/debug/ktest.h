#pragma once

#include "base/types.h"
#include "kernel/debug/log.h"

// In-kernel tests, registered beside the code they test and run by `test` on the kernel command
// line. A test records failures in its TestContext and keeps going; a fault panics the kernel,
// which the test harness sees as a failed run.
namespace wk::kernel::debug {

class TestContext {
public:
    bool expect(bool condition, const char* expression, const char* file, int line)
    {
        if (!condition) {
            ++m_failures;
            print("    FAILED: {} at {}:{}\n", expression, file, line);
        }
        return condition;
    }
    template<typename A, typename B>
    bool expect_eq(const A& a, const B& b, const char* expression, const char* file, int line)
    {
        if (a == b)
            return true;
        ++m_failures;
        print("    FAILED: {} ({} != {}) at {}:{}\n", expression, a, b, file, line);
        return false;
    }
    u32 failures() const { return m_failures; }

private:
    u32 m_failures { 0 };
};

struct KernelTest {
    const char* name;
    void (*function)(TestContext&);
};

struct TestSummary {
    u32 passed;
    u32 failed;
};

// Runs every registered test (those whose name contains `filter`, when not empty).
TestSummary run_kernel_tests(std::string_view filter = {});

} // namespace wk::kernel::debug

#define KERNEL_TEST(test_name)                                                                       \
    static void kernel_test_##test_name(::wk::kernel::debug::TestContext&);                          \
    [[gnu::used, gnu::section(".ktests")]] static const ::wk::kernel::debug::KernelTest              \
        kernel_test_entry_##test_name { #test_name, kernel_test_##test_name };                       \
    static void kernel_test_##test_name([[maybe_unused]] ::wk::kernel::debug::TestContext& test_context)

#define KEXPECT(condition) test_context.expect(static_cast<bool>(condition), #condition, __FILE__, __LINE__)
#define KEXPECT_EQ(a, b) test_context.expect_eq((a), (b), #a " == " #b, __FILE__, __LINE__)
