// A test session shared by the compile tests: one WAT module compiled (default options
// unless given), instantiated in a fresh store with the spectest imports, and its exports called.
// TierSession and the functions after it are the set-up of the lazy, OSR and tier-up tests.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>

#include "engine/compile/compiled_module.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"

namespace wk::engine::compile {
class TierUpManager;
}

namespace wk::engine::test_session {

// The WAT of `$garbage(n)`, for modules that define a struct type `$node` whose first field
// is an i32 and whose second a nullable reference to `$node`: allocates n nodes and drops
// them, then returns 1; it calls itself (never: n is small in the tests) so that the
// optimising tier never inlines it, and calls of it stay calls that may collect.
inline constexpr const char* kGarbageFunction = R"(  (func $garbage (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 1000)) (then (return (call $garbage (i32.const 1)))))
    (loop $again
      (drop (struct.new $node (local.get $n) (ref.null $node)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (i32.const 1))
)";

// Options for a test that runs a module in each tier: in tiered, a function tiers up
// synchronously (on the calling thread) once `threshold` calls or loop iterations ran out.
inline compile::CompileOptions tier_options(compile::Tier tier, u32 threshold)
{
    compile::CompileOptions options;
    options.tier = tier;
    options.tier_up_threshold = threshold;
    options.tier_up_synchronous = true;
    return options;
}

struct Session {
    RefPtr<runtime::Store> store;
    runtime::Linker linker;
    compile::CompiledModule compiled;
    RefPtr<runtime::Instance> instance;
    compile::CompileStatistics statistics;
};

// NOTE: reports failures with gtest EXPECTs and returns null on them.
std::unique_ptr<Session> instantiate(const std::string& wat, const compile::CompileOptions& options = {},
                                     const runtime::RuntimeLimits& limits = {});

// Calls export `name`; an error (not a trap) fails the test.
compile::CallOutcome call(Session& session, const char* name, std::initializer_list<runtime::VMVal> args);

// The one result of a call that must not trap, as i64.
i64 call_i64(Session& session, const char* name, std::initializer_list<runtime::VMVal> args);

// A module and one instance of it, in a store of the session's own or one it was given.
struct TierSession {
    RefPtr<runtime::Store> store;
    runtime::Linker linker;
    compile::CompiledModule compiled;
    RefPtr<runtime::Instance> instance;
};

// Compiles `wat` with `options`. NOTE: a failure is a gtest EXPECT failure and returns an
// empty module.
compile::CompiledModule compile_wat(StringView wat, const compile::CompileOptions& options);

// Instantiates `compiled` in `session.store` (a new store unless it has one) with
// `session.linker`; `session.compiled` is left alone. A failure is a gtest failure.
void instantiate(TierSession& session, const compile::CompiledModule& compiled);
// Compiles `wat` into `session.compiled`, then instantiates it as above.
void instantiate(TierSession& session, StringView wat, const compile::CompileOptions& options);

// Calls export `name` of `instance`; an error (not a trap) fails the test.
compile::CallOutcome call(runtime::Instance& instance, const char* name, std::initializer_list<runtime::VMVal> args);

// Whether `pc` lies in code compiled after the module itself (lazily, or by tier-up): a live
// code object other than the module's.
bool in_later_code(const compile::CompiledModule& compiled, uptr pc);

// Waits (generously: up to 10 s) for the background compiler to finish what was queued.
bool wait_idle(compile::TierUpManager& manager);

} // namespace wk::engine::test_session
