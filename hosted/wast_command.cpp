#include <string_view>
#include <vector>

#include "engine/spec/runner.h"
#include "hosted/cli.h"

namespace wk::hosted {

char const* const kWastUsage = R"text(usage: wasmkern wast [--json] [--tier TIER] [--tier-threshold N] [--tier-sync]
                     [--lazy | --eager] [--log-fallbacks] [--baseline-isa] [--gc-stress]
                     FILE...

Runs .wast spec scripts: modules are decoded, validated, compiled and
instantiated (with the spectest module), actions run, and every assertion is
checked. GC, exception-handling and thread commands are skipped with their
reason.
Prints one line per failed command, "FILE:LINE: KIND: expected ..., got ...",
then "N passed, N failed, N skipped" over all files.
--json prints one JSON object with the totals, "by_kind" and "skip_reasons"
instead, and the failure lines on stderr.
--tier tiered|baseline|optimized picks the compiler (default tiered: every
function starts in the baseline and hot ones are optimised in the background;
--tier-threshold N sets how many calls plus loop iterations make a function
hot (default 1000), --tier-sync optimises it at once on the running thread).
With optimized, each function the optimising tier cannot compile is compiled
by the baseline instead; --log-fallbacks prints one line on stderr for each distinct
reason (per module); --baseline-isa makes it use only baseline x86-64 forms
(SSE) even where the processor has AVX, BMI or LZCNT.
--lazy compiles each function (baseline or tiered) at its first call instead of
all at load (--eager, the default); modules are validated whole either way.
--gc-stress runs the garbage collector at every allocation where it may run
(a test of the compiler's stack maps; slow).
Exit status 0 iff no command failed and every file was read.
)text";

int wast_command(Arguments arguments)
{
    bool json = false;
    engine::compile::CompileOptions options;
    options.tier = engine::compile::Tier::Tiered;
    engine::runtime::RuntimeLimits limits;
    std::vector<char const*> paths;
    for (usize i = 0; i < arguments.size(); ++i) {
        char const* argument = arguments[i];
        std::string_view view = argument;
        if (is_help(view)) {
            std::fputs(kWastUsage, stdout);
            return kExitOk;
        }
        if (view == "--json") {
            json = true;
        } else if (view == "--tier" || view.starts_with("--tier=")) {
            std::string_view name;
            if (view == "--tier") {
                if (i + 1 >= arguments.size())
                    return usage_error("wast: --tier needs a value", kWastUsage);
                name = arguments[++i];
            } else {
                name = view.substr(7);
            }
            auto tier = engine::compile::parse_tier(StringView(name.data(), name.size()));
            if (!tier)
                return usage_error("wast: unknown tier '" + std::string(name) + "' (baseline, optimized, tiered)", kWastUsage);
            options.tier = *tier;
        } else if (view == "--tier-threshold" || view.starts_with("--tier-threshold=")) {
            std::string_view text;
            if (view == "--tier-threshold") {
                if (i + 1 >= arguments.size())
                    return usage_error("wast: --tier-threshold needs a value", kWastUsage);
                text = arguments[++i];
            } else {
                text = view.substr(17);
            }
            auto threshold = engine::compile::parse_tier_threshold(StringView(text.data(), text.size()));
            if (!threshold)
                return usage_error("wast: --tier-threshold needs a number in [1, 2147483647], got '" + std::string(text) + "'",
                                   kWastUsage);
            options.tier_up_threshold = *threshold;
        } else if (view == "--lazy" || view == "--eager") {
            options.lazy = view == "--lazy";
        } else if (view == "--tier-sync") {
            options.tier_up_synchronous = true;
        } else if (view == "--log-fallbacks") {
            options.log_fallbacks = true;
        } else if (view == "--baseline-isa") {
            options.baseline_isa = true;
        } else if (view == "--gc-stress") {
            limits.gc_collect_at_every_allocation = true;
        } else if (is_option(view))
            return usage_error(std::string("wast: unknown option '") + argument + "'", kWastUsage);
        else
            paths.push_back(argument);
    }
    if (paths.empty())
        return usage_error("wast: missing FILE", kWastUsage);

    StdioSink out(stdout);
    StdioSink failures(json ? stderr : stdout);
    StdioSink diagnostics(stderr);
    options.log = &diagnostics;
    engine::spec::Tally tally;
    bool all_read = true;
    for (char const* path : paths) {
        auto source = read_file(path);
        if (!source) {
            all_read = false;
            continue;
        }
        engine::spec::run_script(path, *source, tally, failures, options, limits);
    }
    std::fflush(stderr);
    if (json)
        engine::spec::write_json(tally, out);
    else
        engine::spec::write_summary(tally, out);
    return all_read && tally.totals().failed == 0 ? kExitOk : kExitFailure;
}

} // namespace wk::hosted
