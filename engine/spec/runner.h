#pragma once

#include <optional>

#include "base/error.h"
#include "base/format_sink.h"
#include "base/string_view.h"
#include "base/types.h"
#include "engine/compile/tier.h"
#include "engine/runtime/limits.h"
#include "engine/text/wast.h"

namespace wk::engine::spec {

// What the runner counts commands by; the names are the script keywords.
enum class CommandClass : u8 {
    Script, // a script that does not parse: one failed command
    Module,
    ModuleDefinition,
    ModuleInstance,
    Register,
    Invoke,
    Get,
    AssertReturn,
    AssertTrap,
    AssertExhaustion,
    AssertException,
    AssertMalformed,
    AssertInvalid,
    AssertUnlinkable,
    AssertUninstantiable,
    AssertMalformedCustom,
    AssertInvalidCustom,
    Thread, // its commands are run and counted by their own kinds
    Wait,
};
inline constexpr usize kCommandClassCount = static_cast<usize>(CommandClass::Wait) + 1;

StringView command_class_name(CommandClass);
CommandClass classify(text::Command const&);

// Why a command was not run. Each skip counts under its reason; nothing else is skipped.
enum class SkipReason : u8 {
    GcNotImplemented, // the module uses GC instructions or GC constant expressions
};
inline constexpr usize kSkipReasonCount = static_cast<usize>(SkipReason::GcNotImplemented) + 1;

StringView skip_reason_text(SkipReason);

struct Counts {
    u64 passed { 0 };
    u64 failed { 0 };
    u64 skipped { 0 };

    void add(Counts const& other)
    {
        passed += other.passed;
        failed += other.failed;
        skipped += other.skipped;
    }
    u64 total() const { return passed + failed + skipped; }
};

struct Tally {
    Counts by_class[kCommandClassCount] {};
    u64 skipped_by_reason[kSkipReasonCount] {};

    Counts totals() const;
    void add(Tally const& other);
    Counts& operator[](CommandClass c) { return by_class[static_cast<usize>(c)]; }
    Counts const& operator[](CommandClass c) const { return by_class[static_cast<usize>(c)]; }
};

// Where a module was rejected on its way through the front end.
enum class Stage : u8 { Encode, Decode, Validate };

struct Rejection {
    Stage stage { Stage::Encode };
    Error error;
};

// Encodes (text and quoted modules), decodes and validates a script module with
// the features of its script. Nothing when the module is valid.
std::optional<Rejection> check_module(text::ScriptModule const&);

// Runs every command of a script, adding to `tally`: modules are checked by the
// front end, compiled and instantiated in one store per script (with the `spectest`
// module), actions run compiled code. Where the suites disagree, the rules follow
// the script's path (Features::for_suite_path). Each failed command writes one line
// `FILE:LINE: KIND: expected ..., got ...` to `failures`. Never fails: running out of
// memory fails the command it happens in. Needs the platform's trap handling.
// `options` pick the compiler tier for every module of the script; `limits` are the
// store's (tests of the collector set RuntimeLimits::gc_collect_at_every_allocation).
void run_script(StringView file_name, StringView source, Tally& tally, FormatSink& failures,
                compile::CompileOptions const& options = {}, runtime::RuntimeLimits const& limits = {});

// `N passed, N failed, N skipped` and a newline.
void write_summary(Tally const&, FormatSink&);

// One JSON object with the totals, `by_kind` (classes that occurred, each with
// passed/failed/skipped) and `skip_reasons` (reason text → count), and a newline.
void write_json(Tally const&, FormatSink&);

} // namespace wk::engine::spec
