#pragma once

#include "base/ref_ptr.h"
#include "base/result.h"
#include "base/vector.h"
#include "engine/module.h"
#include "engine/runtime/vm.h"

namespace wk::engine::runtime {

// The entries of one compiled defined function (see VMFuncRef).
struct FunctionEntries {
    const void* native_code { nullptr };
    VMArrayCall array_call { nullptr };
};

// What tier-up (engine/compile/tier_up.h) attaches to a module compiled in tiered mode:
// the budgets its instances' code counts down (VMOffsets::kTierBudgets) and the sink of
// functions whose budget ran out. Thread-safe: any instance's thread may call it.
class TierUpHooks : public RefCounted<TierUpHooks> {
public:
    virtual ~TierUpHooks() = default;
    virtual i32* budgets() = 0;
    // Defined function `function_index` (module index) ran out of budget. Never unwinds;
    // errors leave the function in its current tier.
    virtual void function_hot(u32 function_index) = 0;
    // The same, from the header of the loop at module byte offset `loop_offset`: returns
    // the address of the function's on-stack-replacement entry at that loop when it is
    // ready (docs/optimizing-compiler.md, "On-stack replacement"), else 0.
    virtual uptr loop_hot(u32 function_index, u32 loop_offset) = 0;
    // Lazy compilation (CompileOptions::lazy): compiles defined function `function_index`
    // if no thread has yet, points its jump slot at the code and returns the slot's
    // address; 0 when it cannot be compiled (the caller traps). Never unwinds.
    virtual uptr compile_lazily(u32 function_index) = 0;
};

// A decoded, validated module ready to instantiate, any number of times and in any
// store: it owns the bytes the Module refers into, its VMContext layout and, once the
// compiler has run, the entries of its defined functions.
class LoadedModule : public RefCounted<LoadedModule> {
public:
    // Decodes and validates `bytes` with `features` (Malformed / Invalid errors with
    // byte offsets).
    static Result<RefPtr<LoadedModule>> create(Vector<u8>&& bytes, Features const& features = {});
    // Takes a module the caller already decoded and validated from `bytes` (its views
    // point into `bytes`, whose storage moves along unchanged).
    static Result<RefPtr<LoadedModule>> create(Vector<u8>&& bytes, Module&& validated);

    const Module& module() const { return m_module; }
    const VMOffsets& offsets() const { return m_offsets; }
    // The module bytes it keeps (what the Module's views point into).
    usize byte_size() const { return m_bytes.size(); }

    // The function's name from the name section (for backtraces); empty when it has none.
    // The first entry wins if a hostile name section repeats an index.
    StringView function_name(u32 function_index) const;

    // Compiled entries, one per defined function (module function index minus the
    // imported count). Empty until the compiler provides them. NOTE: the code they point
    // into must outlive this module and its instances: engine::compile::CompiledModule
    // (engine/compile/compiled_module.h) pairs the module with its CodeObject, and whoever
    // instantiates keeps that pair alive.
    Result<void> set_function_entries(Span<const FunctionEntries> entries);
    bool is_compiled() const { return !m_entries.is_empty(); }
    FunctionEntries entries_of(u32 function_index) const;

    // Tier-up's state, set once by the compiler before the first instance (or null).
    void set_tier_up(RefPtr<TierUpHooks> hooks) { m_tier_up = std::move(hooks); }
    TierUpHooks* tier_up() const { return m_tier_up.get(); }

private:
    template<typename U, typename... Args>
    friend Result<RefPtr<U>> wk::try_make_ref_counted_in(Allocator&, Args&&...);
    LoadedModule() = default;

    Vector<u8> m_bytes;
    Module m_module;
    VMOffsets m_offsets;
    Vector<FunctionEntries> m_entries;
    bool m_names_sorted { false }; // function_names strictly ascending: binary search
    // NOTE: last, so it is destroyed first: tier-up's background compiler reads m_module
    // and m_offsets until its destructor has joined it.
    RefPtr<TierUpHooks> m_tier_up;
};

} // namespace wk::engine::runtime
