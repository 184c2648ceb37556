// The harness shared by the optimising tier's codegen tests: compile one WAT module with
// one tier, instantiate it, call its exports with u64 arguments and describe the outcome
// as text, so the two tiers' outcomes compare as strings.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/compile/compiler.h"
#include "engine/compile/compiled_module.h"
#include "engine/runtime/store.h"

namespace wk::engine::opt {

struct TieredInstance {
    RefPtr<runtime::Store> store;
    compile::CompiledModule compiled;
    RefPtr<runtime::Instance> instance;
    compile::CompileStatistics statistics;
};

// NOTE: reports failures with gtest EXPECTs and returns null on them.
std::unique_ptr<TieredInstance> instantiate_tiered(const std::string& wat, bool optimized, bool baseline_isa = false);

struct TierPair {
    std::unique_ptr<TieredInstance> baseline;
    std::unique_ptr<TieredInstance> optimized;
};

// The same module with each tier (either null on a failure, as instantiate_tiered).
TierPair instantiate_both(const std::string& wat);

// One call of an export, to run in both tiers.
struct ExportCall {
    const char* name;
    std::vector<u64> args;
};

// Calls export `name` with each of `args` as a VMVal.
Result<compile::CallOutcome> invoke_u64(TieredInstance& tiered, const std::string& name, const std::vector<u64>& args);

// "trap K" for a trap of kind K, as run_text gives it.
std::string trap_text(TrapKind kind);

// "error MESSAGE", "trap K", or each result's bits in decimal followed by a space.
std::string run_text(TieredInstance& tiered, const std::string& name, const std::vector<u64>& args);

} // namespace wk::engine::opt
