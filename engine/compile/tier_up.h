#pragma once

// Tier-up (docs/optimizing-compiler.md, "Tier-up"): the state a module compiled with
// Tier::Tiered keeps for as long as it lives. Its baseline code counts calls and loop
// iterations down from a budget per function; a function whose budget runs out reaches
// function_hot (through CodeHelper::TierUp), is compiled by the optimising tier into a new
// CodeObject in the module's tier space, and its jump slot is rewritten to the new code.
//
// NOTE: contract.
// - Jump slots: one per defined function, 8-aligned `jmp rel32` + 3 bytes of int3, in
//   the module's code; every direct call, array-call entry and VMFuncRef.native_code goes
//   through it. Rewriting is one aligned 8-byte store (platform::patch_code): a thread
//   that races it runs either the old or the new code, both correct.
// - Old code is never freed before the module: baseline frames of a replaced function
//   may still be running (they return into their callers as usual).
// - Thread safety: function_hot may be called from any instance's thread at once; the
//   per-function state makes each function queued once. The background compiler thread
//   (started on the first hot function) reads only the immutable Module, VMOffsets and
//   the module's code; the destructor cancels the queue and joins it.
// - A function the optimising tier refuses (Unsupported), or whose code does not fit the
//   tier space, stays in the baseline; nothing fails.
// - On-stack replacement (loop_hot): a loop header whose counter fires gets an OSR entry
//   of its function at that loop (keyed by the loop's byte offset; at most
//   kOsrEntriesPerFunction at a time and kOsrEntriesMadePerFunction ever per function),
//   compiled like tier-up code (inline in synchronous mode, else queued; a loop whose
//   entry is still queued after kOsrStealAsks asks compiles it itself); until it is
//   ready the budget is reset to the threshold so the loop asks again. Baseline frames
//   of the function at that loop enter it; a loop that finds no slot asks again after
//   `threshold` iterations while one may still be made. Entries are looked up under the
//   lock (once per threshold iterations at most); an entry's code is never freed.
// - Lazy compilation (CompileOptions::lazy): every slot starts at its lazy entry
//   (x64/abi/trampolines.h); compile_lazily compiles the function with the baseline into
//   the tier space, rewrites the slot and returns the slot's address. One lazy compile at a
//   time per module (m_lazy_lock): a thread that finds the function compiled while it
//   waited uses that code, so each function is compiled once. A failed compile leaves the
//   slot at the lazy entry (the next call tries again) and returns 0. Tier-up can rewrite a
//   slot only after its baseline code ran, so after the lazy rewrite.

#include <optional>

#include "base/lock.h"
#include "base/ref_ptr.h"
#include "base/result.h"
#include "base/vector.h"
#include "engine/compile/code_object.h"
#include "engine/compile/tier.h"
#include "engine/platform.h"
#include "engine/runtime/loaded_module.h"
#include "engine/x64/abi/symbols.h"

namespace wk::engine::compile {

struct TierUpCounts {
    u32 hot { 0 };       // functions whose budget ran out (queued or compiled inline)
    u32 tiered_up { 0 }; // compiled by the optimising tier and installed in their slot
    u32 refused { 0 };   // left in the baseline (Unsupported, tier space full, ...)
    u32 osr_compiled { 0 }; // OSR entries compiled and linked
    u32 osr_refused { 0 };  // OSR entries the optimising tier refused (or that did not fit)
    u32 osr_entered { 0 };  // times a baseline frame moved to an OSR entry
    u32 osr_dropped { 0 };  // queued entries not made: another loop of the function asked later
    u32 osr_outer { 0 };    // entries made for the loop around the loop that asked (see loop_hot)
    u32 osr_stolen { 0 };   // queued entries the waiting loop's thread compiled itself (see loop_hot)
    u32 lazy_compiled { 0 }; // functions compiled at their first call (CompileOptions::lazy)
    u32 lazy_failed { 0 };   // first calls whose compile failed (each trapped)
};

struct LazyCompiler;

class TierUpManager final : public runtime::TierUpHooks {
public:
    // `symbol_addresses`: the absolute address of each symbol of `code` (SymbolSpace
    // order, function(i) = its jump slot), 0 where the module has none.
    static Result<RefPtr<TierUpManager>> create(const runtime::LoadedModule& module, RefPtr<CodeObject> code,
                                                x64::abi::SymbolSpace symbols, Vector<uptr>&& symbol_addresses,
                                                const CompileOptions& options);
    ~TierUpManager() override;

    i32* budgets() override { return m_budgets.data(); }
    void function_hot(u32 function_index) override;
    uptr loop_hot(u32 function_index, u32 loop_offset) override;
    uptr compile_lazily(u32 function_index) override;

    TierUpCounts counts() const;
    // Whether no function is queued or being compiled (tests poll it).
    bool idle() const;
    // For tests: while held, the background thread takes no job (queued ones wait).
    void hold_worker(bool held);
    // For tests: where the first ready OSR entry of module function `function_index` starts
    // (tier space is handed out in order, so a lower address was made earlier), or 0.
    uptr osr_entry_address(u32 function_index) const;
    // For tests: false makes each loop's entry for that loop, never for the loop around
    // it (see loop_hot); set before the module runs.
    void set_osr_at_enclosing_loops(bool enabled) { m_osr_at_enclosing_loops = enabled; }

private:
    template<typename U, typename... Args>
    friend Result<RefPtr<U>> wk::try_make_ref_counted_in(Allocator&, Args&&...);
    TierUpManager(const runtime::LoadedModule& module, RefPtr<CodeObject> code, x64::abi::SymbolSpace symbols,
                  Vector<uptr>&& symbol_addresses, const CompileOptions& options);

    enum State : u8 { Baseline, Queued, Optimized, Refused };

    // function_hot without waking the worker: the worker to wake (nullptr: none, or the
    // function was compiled on this thread).
    platform::Worker* mark_hot(u32 function_index);
    // Compiles, links and installs defined function `function_index`; sets its state.
    void tier_up(u32 function_index);
    Result<void> compile_and_install(u32 function_index);
    // Points the jump slot of defined function `defined` at `object`, kept for the module's life.
    Result<void> install(u32 defined, RefPtr<CodeObject> object);
    Result<void> compile_lazily_and_install(u32 function_index) WK_REQUIRES(m_lazy_lock);
    Result<RefPtr<CodeObject>> link_lazily_compiled(LazyCompiler& lazy, u32 function_index) WK_REQUIRES(m_lazy_lock);
    // Compiles the OSR entry of m_osr[slot] and publishes it (or Refused) there.
    void compile_osr(u32 slot);
    // Compiles `function_index` (OSR entry at `osr_loop`, or the whole function if kNone)
    // and links it into the tier space.
    Result<RefPtr<CodeObject>> compile_and_link(u32 function_index, u32 osr_loop);
    // Whether `function_index` (module index) is a defined function of this module.
    bool is_defined(u32 function_index) const;
    // Whether the queued OSR entry of m_osr[slot] is no longer worth making; if so, frees it.
    bool osr_entry_stale(u32 slot) WK_REQUIRES(m_lock);
    // The queued OSR entry the worker makes next (removed from m_osr_queue; kNoLoop: none):
    // of those not stale, the one whose loop asked most often while it waited, the newest
    // among equals.
    u32 take_osr_job_locked() WK_REQUIRES(m_lock);
    // Removes m_osr[slot] from m_osr_queue; false when it was not there (a worker took it).
    bool unqueue_osr_locked(u32 slot) WK_REQUIRES(m_lock);
    static void worker_main(platform::Worker*, void* self);

    const Module& m_module;
    const runtime::VMOffsets& m_offsets;
    RefPtr<CodeObject> m_code;
    x64::abi::SymbolSpace m_symbols;
    Vector<uptr> m_symbol_addresses;
    bool m_synchronous { false };
    bool m_inline_without_worker { true };
    bool m_osr_enabled { true };
    bool m_osr_at_enclosing_loops { true };
    bool m_baseline_isa { false };
    Vector<i32> m_budgets;
    Vector<u8> m_states; // State per defined function, read and written atomically
    i32 m_threshold { 1 };
    // OSR entries: a group of kOsrEntriesPerFunction slots per function whose loops fired,
    // filled in the order its loops fired (a free slot has loop kNoLoop). When all are
    // taken, a loop without one takes over the ready slot asked least recently (its code
    // stays, for frames already in it), until kOsrEntriesMadePerFunction entries of the
    // function have been made.
    static constexpr u32 kOsrEntriesPerFunction = 8;
    static constexpr u32 kOsrEntriesMadePerFunction = 16;
    static constexpr u32 kNoLoop = 0xFFFF'FFFF;
    // Entering at the loop around the one that asked: how many loops' parents a function
    // keeps, and how many asks may find the enclosing entry ready before giving up on it.
    static constexpr u32 kOsrParentsKept = 8;
    static constexpr u32 kOsrParentPolls = 1024;
    // Asks of a loop while its entry waits in the queue (the worker busy with another
    // compile, or not yet scheduled: each ask is `threshold` more iterations in the
    // baseline) after which the asking thread compiles the entry itself.
    static constexpr u32 kOsrStealAsks = 32;
    struct OsrSlot {
        u32 function { 0 }; // module function index
        u32 loop { kNoLoop };
        u8 state { Baseline };
        u64 last_asked { 0 }; // m_osr_clock when loop_hot last looked this slot up
        u32 waiting_asks { 0 }; // asks while the entry was queued (the worker's priority)
        uptr address { 0 };
    };
    struct OsrGroup {
        u32 first { kNoLoop }; // its first slot in m_osr, or kNoLoop (no loop fired yet)
        u32 made { 0 };        // entries queued or compiled for this function, ever
        // The loop around each loop that asked (kNoLoop: none), for the first few.
        u32 inner[kOsrParentsKept] { kNoLoop, kNoLoop, kNoLoop, kNoLoop, kNoLoop, kNoLoop, kNoLoop, kNoLoop };
        u32 outer[kOsrParentsKept] {};
        // Asks that found the enclosing loop's entry ready while the frame was elsewhere;
        // past kOsrParentPolls, entries are made for the loops that ask, as before.
        u32 polls { 0 };
    };
    // One ask of loop_hot: the loop that asked, the loop whose entry it makes (target), its
    // slot in m_osr (kNoLoop: none), how the entry is compiled, and the answer.
    struct OsrAsk {
        u32 loop { kNoLoop };
        u32 target { kNoLoop };
        u32 slot { kNoLoop };
        bool inline_compile { false };  // on this thread, now
        platform::Worker* worker { nullptr }; // to wake: the entry is queued
        uptr address { 0 };  // the entry to enter now, or 0
        bool waiting { false }; // for the frame to reach the target's header
        bool again { false };   // the loop should ask again
    };
    // The loop whose entry an ask from `loop_offset` makes (see loop_hot): the loop
    // directly around it while the function waits for enclosing headers, else itself.
    // nullopt: the loop around it is not known yet; the caller finds it (`parent`,
    // kNoLoop for none) without the lock and asks again.
    std::optional<u32> osr_target_locked(u32 defined, u32 loop_offset, std::optional<u32> parent) WK_REQUIRES(m_lock);
    // Finds or takes `ask.target`'s slot in the function's group, queueing its compile (or
    // leaving it to this thread: ask.inline_compile).
    void claim_osr_slot_locked(u32 defined, OsrAsk& ask) WK_REQUIRES(m_lock);
    // The entry to enter now, whether to wait for the target's header, whether to ask again.
    void answer_osr_ask_locked(u32 defined, OsrAsk& ask) WK_REQUIRES(m_lock);
    // Makes the function's group of OSR slots if it has none; false without memory.
    bool make_osr_group_locked(u32 defined, u32 function_index) WK_REQUIRES(m_lock);

    mutable SpinLock m_lock; // everything below
    static constexpr u64 kOsrJob = u64 { 1 } << 32;
    Vector<OsrSlot> m_osr WK_GUARDED_BY(m_lock);
    Vector<OsrGroup> m_osr_groups WK_GUARDED_BY(m_lock); // per defined function
    u64 m_osr_clock WK_GUARDED_BY(m_lock) { 0 };         // counts loop_hot calls
    // Module function indices, oldest first; OSR entries to make (m_osr slots), taken first.
    Vector<u64> m_queue WK_GUARDED_BY(m_lock);
    Vector<u32> m_osr_queue WK_GUARDED_BY(m_lock);
    usize m_queue_head WK_GUARDED_BY(m_lock) { 0 };
    u32 m_compiling WK_GUARDED_BY(m_lock) { 0 };
    bool m_cancelled WK_GUARDED_BY(m_lock) { false };
    bool m_held WK_GUARDED_BY(m_lock) { false };
    bool m_worker_failed WK_GUARDED_BY(m_lock) { false };
    platform::Worker* m_worker WK_GUARDED_BY(m_lock) { nullptr };
    Vector<RefPtr<CodeObject>> m_tiered_code WK_GUARDED_BY(m_lock);
    TierUpCounts m_counts WK_GUARDED_BY(m_lock);

    // Inline compiles (synchronous mode, or no worker): one at a time.
    SpinLock m_inline_lock;

    // Lazy compilation. NOTE: a spin lock, held for one baseline compile (about as long as a
    // few hundred wasm instructions take to compile); in the kernel, on one CPU, a thread that
    // finds it held spins until the holder runs again (at most a time slice).
    bool m_lazy { false };
    bool m_tier_counters { false };
    Vector<u8> m_lazy_done; // per defined function: 1 once its slot points at code (atomic)
    SpinLock m_lazy_lock;
    RefPtr<LazyCompiler> m_lazy_compiler WK_GUARDED_BY(m_lazy_lock); // made on the first lazy compile
};

// The counts of a module's tier-up (all 0 unless it was compiled with Tier::Tiered).
TierUpCounts tier_up_counts(const runtime::LoadedModule& module);
// Whether the module's tier-up has nothing queued or compiling (true when not tiered).
bool tier_up_idle(const runtime::LoadedModule& module);

} // namespace wk::engine::compile
