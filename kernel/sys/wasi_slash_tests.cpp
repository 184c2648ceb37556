// The trailing-slash table shared with the hosted wasi_tests, run through WasiContext over
// the kernel's own file system: the same path_* calls answer as Linux does in both.
#include "kernel/debug/ktest.h"
#include "kernel/fs/file_system.h"
#include "kernel/mm/memory.h"
#include "kernel/sys/kernel_wasi_system.h"
#include "kernel/sys/root_fs.h"
#include "tests/wasi/trailing_slash_cases.h"

#include <new>

namespace wk::kernel::sys {

namespace {

namespace wasi = engine::wasi;
namespace slash = wk::tests::trailing_slash;

constexpr u32 code(wasi::Errno error) { return static_cast<u32>(error); }

// Guest memory for the context: paths and outputs live in its first 8 KiB.
alignas(16) u8 g_guest[8192];

} // namespace

KERNEL_TEST(sys_wasi_trailing_slash_answers_as_linux)
{
    usize heap_before = mm::heap_statistics().bytes_in_use;
    RefPtr<fs::FileSystem> file_system;
    {
        fs::Limits limits;
        limits.max_bytes = 4 << 20;
        limits.max_inodes = 16 * slash::kCaseCount;
        FsGuard guard;
        auto created = fs::FileSystem::create(limits);
        KEXPECT(created);
        if (!created)
            return;
        file_system = std::move(*created);
    }
    {
        KernelWasiSystem system(*file_system);
        auto* context = new (std::nothrow) wasi::WasiContext(system);
        KEXPECT(context);
        engine::runtime::VMMemory memory { g_guest, sizeof g_guest };
        auto root = system.open_directory("/");
        KEXPECT(root);
        bool ready = root && context;
        if (ready) {
            auto preopen = context->add_preopen(*root, "/");
            KEXPECT(preopen && *preopen == 3u);
            ready = preopen && *preopen == 3u;
        }
        if (ready) {
            context->bind_memory(&memory);
            slash::Runner runner(*context, g_guest, 3);
            for (u32 i = 0; i < slash::kCaseCount; ++i) {
                const slash::Case& test = slash::kCases[i];
                slash::Outcome outcome = runner.run(i);
                if (outcome.setup != wasi::Errno::Success || outcome.got != test.expected || !outcome.exists_ok
                    || !outcome.missing_ok)
                    debug::print("    trailing slash case s{}: op {} \"{}\" \"{}\"\n", i, static_cast<u32>(test.op), test.a,
                          test.b ? test.b : "");
                KEXPECT_EQ(code(outcome.setup), 0u);
                KEXPECT_EQ(code(outcome.got), code(test.expected));
                KEXPECT(outcome.exists_ok);
                KEXPECT(outcome.missing_ok);
            }
        }
        delete context;
    }
    {
        FsGuard guard;
        file_system = nullptr;
    }
    KEXPECT_EQ(mm::heap_statistics().bytes_in_use, heap_before);
}

} // namespace wk::kernel::sys
