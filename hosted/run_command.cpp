#include <atomic>
#include <charconv>
#include <csignal>
#include <cstring>
#include <pthread.h>
#include <unistd.h>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compile/compiled_module.h"
#include "engine/compile/tier_up.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/text/literals.h"
#include "engine/wasi/command.h"
#include "engine/wasi/threads.h"
#include "hosted/cli.h"
#include "hosted/platform/wasm_stack.h"
#include "hosted/wasi/wasi_command.h"

namespace wk::hosted {

using namespace engine;

char const* const kRunUsage = R"text(usage: wasmkern run [--dir HOST[::GUEST]]... [--tcplisten ADDRESS:PORT]...
                    [--net] [--env KEY=VALUE]... [--invoke NAME]
                    [--tier TIER] [--tier-threshold N] [--tier-sync] [--tier-stats]
                    [--lazy | --eager]
                    [--log-fallbacks] [--baseline-isa] [--layout-seed N] FILE [ARGS...]

Compiles a module (.wasm, or a .wat text module) and runs it with WASI preview1
(wasi_snapshot_preview1) over this process's stdio, linked whether or not the
module imports it.

Without --invoke, FILE is a WASI command: its export _start runs with FILE and
ARGS as argv. The exit status is the one passed to proc_exit, 0 when _start
returns.

With --invoke NAME, the export NAME is called with ARGS as its parameters:
i32/i64 as signed or unsigned decimal or 0x hex, f32/f64 as decimal or hex
floats, inf, nan or nan:0x... (the text format's literals). Each result is
printed on its own line (integers signed, floats shortest round-trip). A module
exporting _initialize has it called first.

  --dir HOST[::GUEST]  preopen the host directory HOST as GUEST (default HOST)
  --tcplisten ADDRESS:PORT
                       listen on the TCP address (IPv4, [IPv6] or a name) and
                       hand the listening socket to the guest at the next
                       descriptor after stdio and the --dir preopens, as
                       wasmtime does; the guest accepts with sock_accept
  --net                let the guest open outbound TCP connections (the
                       wasmkern.sock_connect import, docs/networking.md);
                       without it the guest holds no network right (badf)
  --env KEY=VALUE      add a variable to the guest's environment
  --invoke NAME        call the export NAME instead of _start
  --tier TIER          compile with TIER: tiered (the default), baseline or
                       optimized; a function the optimising tier cannot
                       compile is compiled by the baseline instead. tiered
                       starts every function in the baseline and compiles the
                       hot ones with the optimising tier on a background thread
  --tier-threshold N   with --tier tiered, calls plus loop iterations before a
                       function is optimised (default 1000)
  --tier-sync          with --tier tiered, optimise a hot function at once on
                       the thread that runs it (deterministic, for tests)
  --tier-stats         with --tier tiered, print on stderr at exit how many
                       functions became hot, were optimised, or stayed baseline
  --lazy, --eager      with --tier baseline or tiered, compile each function at
                       its first call (lazy), or all before the run (eager, the
                       default); the module is validated whole either way
  --log-fallbacks      with --tier optimized, print one line on stderr for
                       each distinct reason a function fell back
  --baseline-isa       with --tier optimized, use only baseline x86-64 forms
                       (SSE) even where the processor has AVX, BMI or LZCNT
  --layout-seed N      lay the functions out in the random order this seed
                       gives (N in [1, 2^64)) instead of a fresh one per run,
                       to measure how code placement changes run times

The guest's stdin, stdout and stderr are streams shared with this process: it
may read, write and poll them, not seek, truncate, allocate, set times or flags.
Symlinks it creates in a --dir must be relative without '..' components, so
they lead nowhere outside wherever they are moved.

wasi-threads: wasi.thread-spawn runs the export wasi_thread_start on a new
thread, in a new instance of the module sharing its memory; a shared memory the
module imports is created for it. At most 64 threads run at once (thread-spawn
returns -6 beyond). Once a thread was spawned, the first trap or proc_exit in
any thread, or the end of _start, ends the whole program.

A trap prints "error: wasm trap: MESSAGE" and the wasm backtrace, innermost
frame first, with names from the module's name section, and exits 134. Wasm
code has an 8 MiB stack whatever `ulimit -s` says; deeper recursion traps with
"call stack exhausted".
Exit status: the guest's proc_exit status when it is below 126 (any other is
reported as an error, status 1), 134 after a trap, 1 for a file that cannot be
read or is larger than the module size limit (1 GiB), a module that does not
decode (or exceeds an engine limit), validate, compile or link, an unknown
export or a missing _start, 2 for a wrong command line (options, argument count
or an argument that does not parse as its parameter's type).
)text";

namespace {

std::string_view view_of(StringView text) { return std::string_view(text.data(), text.size()); }

std::string_view type_name(ValType type)
{
    switch (type.kind) {
    case ValKind::I32: return "i32";
    case ValKind::I64: return "i64";
    case ValKind::F32: return "f32";
    case ValKind::F64: return "f64";
    case ValKind::V128: return "v128";
    default: return "ref";
    }
}

std::string type_list(Span<const ValType> types)
{
    std::string text = "(";
    for (usize i = 0; i < types.size(); ++i) {
        if (i)
            text += ", ";
        text += type_name(types[i]);
    }
    return text + ")";
}

// An --invoke argument as a value of `type`; nothing when it does not parse.
std::optional<runtime::VMVal> parse_argument(std::string_view text, ValType type)
{
    switch (type.kind) {
    case ValKind::I32:
        if (auto value = text::parse_int(text, 32))
            return runtime::VMVal::from_u32(static_cast<u32>(*value));
        return std::nullopt;
    case ValKind::I64:
        if (auto value = text::parse_int(text, 64))
            return runtime::VMVal::from_u64(*value);
        return std::nullopt;
    case ValKind::F32:
        if (auto bits = text::parse_f32(text))
            return runtime::VMVal::from_f32_bits(*bits);
        return std::nullopt;
    case ValKind::F64:
        if (auto bits = text::parse_f64(text))
            return runtime::VMVal::from_f64_bits(*bits);
        return std::nullopt;
    default: return std::nullopt;
    }
}

// NaNs as the text format writes them: `nan` for the canonical payload, `nan:0x...`
// otherwise; everything else shortest round-trip.
template<typename Float, typename Bits>
std::string format_float(Bits bits)
{
    constexpr int kMantissaBits = sizeof(Bits) == 4 ? 23 : 52;
    constexpr Bits kMantissa = (Bits { 1 } << kMantissaBits) - 1;
    constexpr Bits kExponent = sizeof(Bits) == 4 ? Bits { 0xff } : Bits { 0x7ff };
    bool negative = (bits >> (sizeof(Bits) * 8 - 1)) != 0;
    Bits exponent = (bits >> kMantissaBits) & kExponent;
    Bits mantissa = bits & kMantissa;
    std::string sign = negative ? "-" : "";
    if (exponent == kExponent && mantissa != 0) {
        if (mantissa == Bits { 1 } << (kMantissaBits - 1))
            return sign + "nan";
        char hex[32];
        std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(mantissa));
        return sign + "nan:0x" + hex;
    }
    if (exponent == kExponent)
        return sign + "inf";
    char text[64];
    auto converted = std::to_chars(text, text + sizeof text, std::bit_cast<Float>(bits));
    return std::string(text, converted.ptr);
}

std::string format_result(runtime::VMVal value, ValType type)
{
    switch (type.kind) {
    case ValKind::I32: return std::to_string(value.i32_value());
    case ValKind::I64: return std::to_string(value.i64_value());
    case ValKind::F32: return format_float<float>(value.u32_value());
    case ValKind::F64: return format_float<double>(value.u64_value());
    case ValKind::V128: {
        std::string text = "0x";
        char byte[3];
        for (int i = 15; i >= 0; --i) {
            std::snprintf(byte, sizeof byte, "%02x", value.bytes[i]);
            text += byte;
        }
        return text;
    }
    default: return value.ref() ? "ref" : "null";
    }
}

// A name from the module, safe to print: control bytes and backslashes escaped.
std::string printable(StringView name)
{
    std::string text;
    for (char c : view_of(name)) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f || byte == '\\') {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
            text += escaped;
        } else {
            text += c;
        }
    }
    return text;
}

void print_frame(usize number, u32 function, const runtime::LoadedModule& module)
{
    StringView name = module.function_name(function);
    if (name.empty())
        std::fprintf(stderr, "  #%zu func[%u]\n", number, function);
    else
        std::fprintf(stderr, "  #%zu func[%u] %s\n", number, function, printable(name).c_str());
}

// The message, then the frames innermost first; a run of frames of one function
// (recursion) prints its first two and a count.
void print_trap(const TrapInfo& trap, Span<const u32> backtrace, const runtime::LoadedModule& module)
{
    std::fflush(stdout);
    std::fprintf(stderr, "error: wasm trap: %s\n", trap_message(trap.kind));
    if (backtrace.empty())
        return;
    std::fprintf(stderr, "wasm backtrace:\n");
    for (usize i = 0; i < backtrace.size();) {
        usize run = 1;
        while (i + run < backtrace.size() && backtrace[i + run] == backtrace[i])
            ++run;
        print_frame(i, backtrace[i], module);
        if (run > 1)
            print_frame(i + 1, backtrace[i], module);
        if (run > 2)
            std::fprintf(stderr, "  ... %zu more frames of func[%u]\n", run - 2, backtrace[i]);
        i += run;
    }
    if (trap.frame_count >= TrapInfo::kMaxFrames)
        std::fprintf(stderr, "  ... (only the innermost %u frames are recorded)\n", TrapInfo::kMaxFrames);
}

// The import an instantiation error points at (its byte offset), for the message.
const Import* import_at(const Module& module, u64 offset)
{
    for (const Import& import : module.imports) {
        if (import.offset == offset)
            return &import;
    }
    return nullptr;
}

// `--help` among the options before FILE (after FILE it belongs to the guest).
bool wants_help(Arguments arguments)
{
    for (usize i = 0; i < arguments.size(); ++i) {
        std::string_view view = arguments[i];
        if (view == "--help" || view == "-h")
            return true;
        if (view == "--dir" || view == "--env" || view == "--invoke" || view == "--tier" || view == "--tier-threshold"
            || view == "--layout-seed")
            ++i;
        else if (!is_option(view) || view == "--")
            return false;
    }
    return false;
}

// The tool's status for the guest's proc_exit(status): WASI defines [0, 126) (126,
// 127 and 128 + N mean "cannot execute", "not found" and "killed by signal N" to a
// shell, and the OS keeps only 8 bits: 256 would read as 0); any other status ends
// the run as an error, as wasmtime does.
int guest_exit(u32 status)
{
    if (status < kMaxGuestExitStatus)
        return static_cast<int>(status);
    std::fflush(stdout);
    std::fprintf(stderr, "error: proc_exit(%u): exit status outside [0, %u)\n", status, kMaxGuestExitStatus);
    return kExitFailure;
}

// wasi-threads under `wasmkern run` (docs/wasi.md, "Threads"): each spawned thread is a
// pthread with the stack of the main wasm thread. Once a thread was spawned, the program
// ends as a whole: the first of the threads to end it (a trap, proc_exit, or the main
// thread's _start returning) reports and calls _exit, so no other thread runs on while
// the tool's objects are destroyed; a second one blocks until the process is gone.
class HostedThreads final : public wasi::ThreadHost {
public:
    HostedThreads(char const* path, const runtime::LoadedModule& module)
        : m_path(path)
        , m_module(module)
    {
    }

    Result<void> start_thread(void (*entry)(void*), void* argument) override
    {
        auto* start = new (std::nothrow) Start { entry, argument };
        if (!start)
            return Error::out_of_memory();
        pthread_attr_t attributes;
        if (pthread_attr_init(&attributes) != 0) {
            delete start;
            return Error::from("cannot start a thread", ErrorKind::OutOfMemory);
        }
        int status = pthread_attr_setstacksize(&attributes, platform::kWasmThreadStackBytes);
        if (status == 0)
            status = pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        pthread_t thread;
        if (status == 0)
            status = pthread_create(&thread, &attributes, &HostedThreads::run, start);
        pthread_attr_destroy(&attributes);
        if (status != 0) {
            delete start;
            return Error::from("cannot start a thread (the system refused)", ErrorKind::Unsupported);
        }
        return {};
    }

    void end_program(const wasi::ThreadEnd& end) override
    {
        claim_end();
        int status = kExitFailure;
        if (end.exit_status) {
            status = guest_exit(*end.exit_status);
        } else if (end.trap) {
            std::fflush(stdout);
            std::fprintf(stderr, "error: in thread %u:\n", end.tid);
            Vector<u32> backtrace;
            (void)compile::map_backtrace(*end.trap, backtrace); // no frames when it fails
            print_trap(*end.trap, backtrace.span(), m_module);
            status = static_cast<int>(engine::wasi::kTrapExitStatus);
        } else if (end.error) {
            std::fprintf(stderr, "%s: thread %u: cannot run: %s\n", m_path, end.tid, end.error->message());
        }
        exit_now(status);
    }

    void spawn_refused(StringView reason) override
    {
        std::fprintf(stderr, "wasmkern run: %s\n", printable(reason).c_str());
    }

    // The main thread's end of a program that started threads: never returns.
    [[noreturn]] void exit_program(int status)
    {
        claim_end();
        exit_now(status);
    }

    // Makes this thread the one that ends the program; any other one blocks for good.
    static void claim_end()
    {
        static std::atomic<bool> claimed { false };
        static thread_local bool mine = false;
        if (mine)
            return;
        if (claimed.exchange(true)) {
            for (;;)
                pause();
        }
        mine = true;
    }

private:
    struct Start {
        void (*entry)(void*);
        void* argument;
    };

    static void* run(void* raw)
    {
        Start start = *static_cast<Start*>(raw);
        delete static_cast<Start*>(raw);
        start.entry(start.argument);
        return nullptr;
    }

    [[noreturn]] static void exit_now(int status)
    {
        std::fflush(stdout);
        std::fflush(stderr);
        _exit(status);
    }

    char const* m_path;
    const runtime::LoadedModule& m_module;
};

class Run {
public:
    Run(const WasiCommandOptions& options, const compile::CompileOptions& compile_options)
        : m_options(options)
        , m_compile_options(compile_options)
        , m_path(options.arguments[0].c_str())
    {
    }

    int execute()
    {
        int status = load();
        if (status == kExitOk)
            status = instantiate();
        if (status == kExitOk)
            status = m_options.invoke ? invoke(*m_options.invoke) : run_start();
        if (m_options.tier_stats)
            print_tier_stats();
        if (m_threads && m_threads->started_any())
            m_thread_host->exit_program(status);
        return status;
    }

private:
    void print_tier_stats()
    {
        compile::TierUpCounts counts;
        if (m_compiled.module)
            counts = compile::tier_up_counts(*m_compiled.module);
        std::fflush(stdout);
        std::fprintf(stderr,
                     "tier-up: %u hot, %u optimized, %u stayed baseline; OSR: %u compiled, %u refused, %u entered, %u dropped, "
                     "%u made by the waiting thread\n",
                     counts.hot, counts.tiered_up, counts.refused, counts.osr_compiled, counts.osr_refused,
                     counts.osr_entered, counts.osr_dropped, counts.osr_stolen);
        if (m_options.lazy)
            std::fprintf(stderr, "lazy: %u compiled at their first call, %u failed\n", counts.lazy_compiled, counts.lazy_failed);
    }

    int failure(std::string const& message)
    {
        std::fprintf(stderr, "%s: %s\n", m_path, message.c_str());
        return kExitFailure;
    }

    int load()
    {
        auto file = load_module_file(m_path, true);
        if (!file)
            return kExitFailure;
        ReadonlyBytes bytes = file->bytes();
        Vector<u8> wasm;
        if (!wasm.try_resize(bytes.size()))
            return failure("out of memory");
        if (bytes.size())
            std::memcpy(wasm.data(), bytes.data(), bytes.size());
        auto compiled = compile::load_and_compile(std::move(wasm), Features {}, m_compile_options);
        if (!compiled) {
            print_binary_error(m_path, compiled.error(), file->is_text ? kEncodedNote : nullptr);
            return kExitFailure;
        }
        m_compiled = compiled.release_value();
        return kExitOk;
    }

    int instantiate()
    {
        auto store = runtime::Store::create();
        if (!store)
            return failure(std::string("cannot create a store: ") + store.error().message());
        m_store = store.release_value();
        auto wasi = WasiCommand::create(m_options, stderr);
        if (!wasi)
            return kExitFailure;
        m_wasi = wasi.release_value();
        if (auto defined = m_wasi->define(*m_store, m_linker); !defined)
            return failure(std::string("cannot define WASI: ") + defined.error().message());
        m_thread_host = std::make_unique<HostedThreads>(m_path, *m_compiled.module);
        m_threads = std::make_unique<engine::wasi::WasiThreads>(*m_compiled.module, m_wasi->context(), *m_thread_host);
        if (auto defined = m_threads->define(*m_store, m_linker); !defined)
            return failure(std::string("cannot define wasi-threads: ") + defined.error().message());

        auto instance = m_store->instantiate(*m_compiled.module, m_linker);
        if (!instance) {
            if (auto status = m_wasi->exit_status())
                return guest_exit(*status);
            const Error& error = instance.error();
            if (error.kind() == ErrorKind::Unlinkable) {
                if (const Import* import = import_at(m_compiled.module->module(), error.offset())) {
                    return failure(std::string(error.message()) + " " + printable(import->module) +
                                   "::" + printable(import->name));
                }
            }
            // A trap while initialising (a segment out of bounds, the start function).
            if (error.kind() == ErrorKind::OutOfRange) {
                std::fprintf(stderr, "error: wasm trap: %s (while instantiating)\n", error.message());
                return static_cast<int>(engine::wasi::kTrapExitStatus);
            }
            print_binary_error(m_path, error);
            return kExitFailure;
        }
        m_instance = instance.release_value();
        m_wasi->bind(*m_instance);
        return kExitOk;
    }

    // The outcome of a call into the instance: the guest's exit status after
    // proc_exit, the trap report, or kExitOk with the results in `outcome`.
    int call(const runtime::VMFuncRef& function, Span<const runtime::VMVal> arguments,
             compile::CallOutcome& outcome)
    {
        auto result = compile::invoke(*m_store, function, arguments);
        if (auto status = m_wasi->exit_status())
            return guest_exit(*status);
        if (!result)
            return failure(std::string("cannot run: ") + result.error().message());
        outcome = result.release_value();
        if (outcome.trap) {
            print_trap(*outcome.trap, outcome.backtrace.span(), *m_compiled.module);
            return static_cast<int>(engine::wasi::kTrapExitStatus);
        }
        return kExitOk;
    }

    std::optional<runtime::Extern> function_export(StringView name)
    {
        auto exported = m_instance->get_export(name);
        if (!exported || exported->kind != ExternKind::Func)
            return std::nullopt;
        return exported;
    }

    int run_start()
    {
        auto outcome = engine::wasi::run_start(*m_store, *m_instance, m_wasi->context());
        if (m_threads->started_any())
            HostedThreads::claim_end(); // before reporting: no other thread reports too
        if (!outcome) {
            const Error& error = outcome.error();
            if (error.kind() == ErrorKind::Unlinkable)
                return failure(std::string(error.message()) + " (a WASI command needs one; --invoke NAME calls another export)");
            if (error.kind() == ErrorKind::Invalid)
                return failure(error.message());
            return failure(std::string("cannot run: ") + error.message());
        }
        if (outcome->exit_status)
            return guest_exit(*outcome->exit_status);
        if (outcome->trap) {
            Vector<u32> backtrace;
            if (auto mapped = compile::map_backtrace(*outcome->trap, backtrace); !mapped)
                return failure(std::string("cannot run: ") + mapped.error().message());
            print_trap(*outcome->trap, backtrace.span(), *m_compiled.module);
        }
        return static_cast<int>(outcome->status());
    }

    int invoke(std::string const& name)
    {
        if (name != "_initialize") {
            if (auto initialize = function_export("_initialize")) {
                compile::CallOutcome outcome;
                if (int status = call(*initialize->func, {}, outcome); status != kExitOk || m_wasi->exit_status())
                    return status;
            }
        }
        auto exported = function_export(StringView(name.data(), name.size()));
        if (!exported)
            return failure("unknown export '" + printable(StringView(name.data(), name.size())) +
                           "' (or not a function)");
        const runtime::TypeRegistry& types = m_store->types();
        Span<const ValType> params = types.params(exported->func->type_id);
        Span<const ValType> results = types.results(exported->func->type_id);
        usize given = m_options.arguments.size() - 1;
        if (given != params.size()) {
            std::fprintf(stderr, "wasmkern run: '%s' takes %zu argument%s %s, got %zu\n", name.c_str(), params.size(),
                         params.size() == 1 ? "" : "s", type_list(params).c_str(), given);
            return kExitUsage;
        }
        std::vector<runtime::VMVal> arguments;
        for (usize i = 0; i < params.size(); ++i) {
            std::string const& text = m_options.arguments[i + 1];
            if (!params[i].is_num()) {
                std::fprintf(stderr, "wasmkern run: '%s' parameter %zu has type %s, which --invoke cannot pass\n",
                             name.c_str(), i + 1, std::string(type_name(params[i])).c_str());
                return kExitUsage;
            }
            auto value = parse_argument(text, params[i]);
            if (!value) {
                std::fprintf(stderr, "wasmkern run: argument %zu '%s' is not an %s\n", i + 1, text.c_str(),
                             std::string(type_name(params[i])).c_str());
                return kExitUsage;
            }
            arguments.push_back(*value);
        }
        compile::CallOutcome outcome;
        if (int status = call(*exported->func, Span<const runtime::VMVal>(arguments.data(), arguments.size()), outcome);
            status != kExitOk || m_wasi->exit_status())
            return status;
        for (usize i = 0; i < results.size() && i < outcome.results.size(); ++i)
            std::printf("%s\n", format_result(outcome.results[i], results[i]).c_str());
        return kExitOk;
    }

    const WasiCommandOptions& m_options;
    const compile::CompileOptions& m_compile_options;
    char const* m_path;
    // NOTE: declared in this order so that the instance and store die before the code
    // they run and the WASI context outlives every call.
    compile::CompiledModule m_compiled;
    std::unique_ptr<WasiCommand> m_wasi;
    std::unique_ptr<HostedThreads> m_thread_host;
    std::unique_ptr<engine::wasi::WasiThreads> m_threads;
    RefPtr<runtime::Store> m_store;
    runtime::Linker m_linker;
    RefPtr<runtime::Instance> m_instance;
};

} // namespace

int run_command(Arguments arguments)
{
    if (wants_help(arguments)) {
        std::fputs(kRunUsage, stdout);
        return kExitOk;
    }
    WasiCommandOptions options;
    std::string error;
    if (!parse_wasi_command_line(arguments, options, error))
        return usage_error("run: " + error, kRunUsage);
    StdioSink diagnostics(stderr);
    compile::CompileOptions compile_options;
    compile_options.log_fallbacks = options.log_fallbacks;
    compile_options.baseline_isa = options.baseline_isa;
    compile_options.log = &diagnostics;
    compile_options.tier = compile::Tier::Tiered;
    if (options.tier) {
        auto tier = compile::parse_tier(StringView(options.tier->data(), options.tier->size()));
        if (!tier)
            return usage_error("run: unknown tier '" + *options.tier + "' (baseline, optimized, tiered)", kRunUsage);
        compile_options.tier = *tier;
    }
    if (options.tier_threshold) {
        auto threshold = compile::parse_tier_threshold(StringView(options.tier_threshold->data(), options.tier_threshold->size()));
        if (!threshold)
            return usage_error("run: --tier-threshold needs a number in [1, 2147483647], got '" + *options.tier_threshold + "'", kRunUsage);
        compile_options.tier_up_threshold = *threshold;
    }
    compile_options.tier_up_synchronous = options.tier_sync;
    if (options.layout_seed) {
        const std::string& text = *options.layout_seed;
        u64 seed = 0;
        auto parsed = std::from_chars(text.data(), text.data() + text.size(), seed);
        if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || seed == 0)
            return usage_error("run: --layout-seed needs a number in [1, 2^64), got '" + text + "'", kRunUsage);
        compile_options.layout_seed = seed;
    }
    compile_options.lazy = options.lazy;
    // A guest writing to a closed pipe gets EPIPE from fd_write (as under node and
    // wasmtime) instead of the signal ending the whole tool.
    std::signal(SIGPIPE, SIG_IGN);
    // Likewise a write past RLIMIT_FSIZE (`ulimit -f`) is EFBIG for the guest.
    std::signal(SIGXFSZ, SIG_IGN);
    Run run(options, compile_options);
    return run.execute();
}

} // namespace wk::hosted
