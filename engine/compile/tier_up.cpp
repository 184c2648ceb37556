#include "engine/compile/tier_up.h"

#include "engine/compile/code_helpers.h"
#include "engine/x64/assembler.h"
#include "engine/x64/baseline/baseline_compiler.h"
#include "engine/x64/opt/optimizing_compiler.h"

namespace wk::engine::compile {

namespace {

constexpr i32 kNeverAgain = 0x7FFF'FFFF;

void store_state(Vector<u8>& states, u32 index, u8 state) { __atomic_store_n(&states[index], state, __ATOMIC_RELEASE); }

} // namespace

// The lazy compiles' baseline compiler with its assembler and trap table, made once per
// module (under m_lazy_lock) and reused: each compile starts with both emptied.
struct LazyCompiler : RefCounted<LazyCompiler> {
    LazyCompiler(const Module& module, const runtime::VMOffsets& offsets)
        : compiler(module, offsets, masm, traps)
    {
    }
    x64::Assembler masm;
    Vector<TrapEntry> traps;
    x64::baseline::BaselineCompiler compiler;
};

TierUpManager::TierUpManager(const runtime::LoadedModule& module, RefPtr<CodeObject> code, x64::abi::SymbolSpace symbols,
                             Vector<uptr>&& symbol_addresses, const CompileOptions& options)
    : m_module(module.module())
    , m_offsets(module.offsets())
    , m_code(std::move(code))
    , m_symbols(symbols)
    , m_symbol_addresses(std::move(symbol_addresses))
    , m_synchronous(options.tier_up_synchronous)
    , m_inline_without_worker(options.tier_up_inline_without_worker)
    , m_osr_enabled(options.tier_up_osr)
    , m_baseline_isa(options.baseline_isa)
    , m_lazy(options.lazy && options.tier != Tier::Optimized)
    , m_tier_counters(options.tier == Tier::Tiered)
{
}

Result<RefPtr<TierUpManager>> TierUpManager::create(const runtime::LoadedModule& module, RefPtr<CodeObject> code,
                                                    x64::abi::SymbolSpace symbols, Vector<uptr>&& symbol_addresses,
                                                    const CompileOptions& options)
{
    auto manager = TRY(try_make_ref_counted<TierUpManager>(module, std::move(code), symbols, std::move(symbol_addresses), options));
    i32 threshold = options.tier_up_threshold < 1 ? 1 : options.tier_up_threshold;
    // NOTE: the counters fire when the budget goes below zero: starting at threshold - 1,
    // the threshold-th call or iteration fires it.
    TRY(manager->m_budgets.try_resize(symbols.defined_count, threshold - 1));
    TRY(manager->m_states.try_resize(symbols.defined_count, Baseline));
    manager->m_threshold = threshold;
    if (manager->m_lazy)
        TRY(manager->m_lazy_done.try_resize(symbols.defined_count, 0));
    {
        LockGuard guard(manager->m_lock);
        TRY(manager->m_queue.try_reserve(16));
    }
    return manager;
}

TierUpManager::~TierUpManager()
{
    platform::Worker* worker;
    {
        LockGuard guard(m_lock);
        m_cancelled = true;
        worker = m_worker;
        m_worker = nullptr;
    }
    if (worker) {
        // NOTE: a compile in progress finishes (it cannot be interrupted), then the worker
        // sees the flag; nothing it does after that touches the module.
        platform::wake_worker(worker);
        platform::join_worker(worker);
    }
}

void TierUpManager::function_hot(u32 function_index)
{
    if (platform::Worker* worker = mark_hot(function_index))
        platform::wake_worker(worker);
}

platform::Worker* TierUpManager::mark_hot(u32 function_index)
{
    u32 imported = m_module.imported_function_count;
    if (function_index < imported || function_index - imported >= m_symbols.defined_count)
        return nullptr;
    u32 defined = function_index - imported;
    // Whatever happens next, this function's counters should not call again soon.
    __atomic_store_n(&m_budgets[defined], kNeverAgain, __ATOMIC_RELAXED);
    u8 expected = Baseline;
    if (!__atomic_compare_exchange_n(&m_states[defined], &expected, static_cast<u8>(Queued), false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return nullptr; // queued, done or refused already (another instance's thread, or a race)

    bool inline_compile = m_synchronous;
    platform::Worker* worker = nullptr;
    {
        LockGuard guard(m_lock);
        ++m_counts.hot;
        if (m_cancelled)
            return nullptr;
        if (!inline_compile && !m_worker && !m_worker_failed) {
            auto worker = platform::start_worker(&TierUpManager::worker_main, this);
            if (worker.is_error())
                m_worker_failed = true; // the kernel: compile inline instead
            else
                m_worker = worker.value();
        }
        if (!inline_compile && m_worker_failed) {
            if (!m_inline_without_worker) {
                store_state(m_states, defined, Refused);
                ++m_counts.refused;
                return nullptr;
            }
            inline_compile = true; // no worker: compile on this thread
        }
        if (!inline_compile) {
            if (m_queue.try_append(function_index).is_error()) {
                store_state(m_states, defined, Refused);
                ++m_counts.refused;
                return nullptr;
            }
            // NOTE: the worker lives until the destructor, which cannot run while an
            // instance's code (our caller) still runs.
            worker = m_worker;
        }
    }
    if (inline_compile) {
        LockGuard guard(m_inline_lock);
        tier_up(function_index);
        return nullptr;
    }
    return worker;
}

void TierUpManager::worker_main(platform::Worker* worker, void* raw)
{
    auto* self = static_cast<TierUpManager*>(raw);
    for (;;) {
        platform::wait_for_work(worker);
        for (;;) {
            u64 job;
            {
                LockGuard guard(self->m_lock);
                if (self->m_cancelled)
                    return;
                if (self->m_held)
                    break; // hold_worker(false) wakes it
                u32 slot = self->take_osr_job_locked();
                if (slot != kNoLoop) {
                    // OSR entries first: a loop runs in the baseline until its entry is ready,
                    // while a function's next call can wait.
                    job = kOsrJob | slot;
                } else if (self->m_queue_head == self->m_queue.size()) {
                    self->m_queue.clear();
                    self->m_queue_head = 0;
                    break;
                } else {
                    job = self->m_queue[self->m_queue_head++];
                }
                ++self->m_compiling;
            }
            if (job & kOsrJob)
                self->compile_osr(static_cast<u32>(job));
            else
                self->tier_up(static_cast<u32>(job));
            LockGuard guard(self->m_lock);
            --self->m_compiling;
        }
    }
}

bool TierUpManager::osr_entry_stale(u32 slot)
{
    // NOTE: a loop asks for its entry every `threshold` iterations while it waits, so a
    // later question from another loop of the function means the frame went on there (or
    // another frame of it loops there, and this loop will ask again). The entry is not
    // made: its slot is freed, and the loop gets one again if it asks again.
    OsrSlot& entry = m_osr[slot];
    const OsrGroup& group = m_osr_groups[entry.function - m_module.imported_function_count];
    for (u32 k = group.first; k < group.first + kOsrEntriesPerFunction; ++k) {
        if (k != slot && m_osr[k].loop != kNoLoop && m_osr[k].last_asked > entry.last_asked) {
            entry.loop = kNoLoop;
            entry.state = Baseline;
            --m_osr_groups[entry.function - m_module.imported_function_count].made;
            ++m_counts.osr_dropped;
            return true;
        }
    }
    return false;
}

u32 TierUpManager::take_osr_job_locked()
{
    // NOTE: a loop waiting for its entry asks every `threshold` iterations, so the one
    // that asked most often while queued has run the most iterations in the baseline
    // (a `main` called once, against a callee's loop whose next call runs the whole
    // function anyway); among equals the newest, whose frame is most likely still there.
    u32 best = kNoLoop;
    for (usize k = m_osr_queue.size(); k > 0; --k) {
        u32 slot = m_osr_queue[k - 1];
        if (osr_entry_stale(slot)) {
            m_osr_queue.erase(k - 1);
            if (best != kNoLoop)
                --best;
            continue;
        }
        if (best == kNoLoop || m_osr[slot].waiting_asks > m_osr[m_osr_queue[best]].waiting_asks)
            best = static_cast<u32>(k - 1);
    }
    if (best == kNoLoop)
        return kNoLoop;
    u32 slot = m_osr_queue[best];
    m_osr_queue.erase(best);
    return slot;
}

bool TierUpManager::unqueue_osr_locked(u32 slot)
{
    for (usize k = 0; k < m_osr_queue.size(); ++k) {
        if (m_osr_queue[k] == slot) {
            m_osr_queue.erase(k);
            return true;
        }
    }
    return false;
}

void TierUpManager::hold_worker(bool held)
{
    platform::Worker* worker;
    {
        LockGuard guard(m_lock);
        m_held = held;
        worker = m_worker;
    }
    if (!held && worker)
        platform::wake_worker(worker);
}

void TierUpManager::tier_up(u32 function_index)
{
    u32 defined = function_index - m_module.imported_function_count;
    auto result = compile_and_install(function_index);
    store_state(m_states, defined, result.is_error() ? Refused : Optimized);
    LockGuard guard(m_lock);
    if (result.is_error())
        ++m_counts.refused;
    else
        ++m_counts.tiered_up;
}

bool TierUpManager::is_defined(u32 function_index) const
{
    u32 imported = m_module.imported_function_count;
    return function_index >= imported && function_index - imported < m_symbols.defined_count;
}

bool TierUpManager::make_osr_group_locked(u32 defined, u32 function_index)
{
    // The function's slots, made when one of its loops first fires (a module whose
    // loops never do pays nothing but this table, made on the first).
    if (m_osr_groups.is_empty() && m_osr_groups.try_resize(m_symbols.defined_count).is_error())
        return false;
    OsrGroup& group = m_osr_groups[defined];
    if (group.first == kNoLoop) {
        u32 start = static_cast<u32>(m_osr.size());
        if (m_osr.try_resize(m_osr.size() + kOsrEntriesPerFunction).is_error())
            return false;
        for (u32 k = start; k < start + kOsrEntriesPerFunction; ++k)
            m_osr[k].function = function_index;
        group.first = start;
    }
    return true;
}

std::optional<u32> TierUpManager::osr_target_locked(u32 defined, u32 loop_offset, std::optional<u32> parent)
{
    if (!m_osr_at_enclosing_loops)
        return loop_offset;
    OsrGroup& group = m_osr_groups[defined];
    if (parent) {
        // Kept for the loop's next asks, where there is room.
        for (u32 k = 0; k < kOsrParentsKept; ++k) {
            if (group.inner[k] == loop_offset)
                break;
            if (group.inner[k] == kNoLoop) {
                group.inner[k] = loop_offset;
                group.outer[k] = *parent;
                break;
            }
        }
        return *parent == kNoLoop || group.polls > kOsrParentPolls ? loop_offset : *parent;
    }
    if (group.polls > kOsrParentPolls)
        return loop_offset;
    // A loop with an entry of its own (made or being made) keeps it.
    for (u32 k = group.first; k < group.first + kOsrEntriesPerFunction; ++k) {
        if (m_osr[k].loop == loop_offset)
            return loop_offset;
    }
    for (u32 k = 0; k < kOsrParentsKept; ++k) {
        if (group.inner[k] != loop_offset)
            continue;
        // An enclosing loop whose entry the tier refused leaves this loop its own.
        for (u32 j = group.first; j < group.first + kOsrEntriesPerFunction; ++j) {
            if (m_osr[j].loop == group.outer[k] && m_osr[j].state == Refused)
                return loop_offset;
        }
        return group.outer[k] == kNoLoop ? loop_offset : group.outer[k];
    }
    if (group.inner[kOsrParentsKept - 1] != kNoLoop)
        return loop_offset; // no room to keep another: as before
    return std::nullopt;
}

void TierUpManager::claim_osr_slot_locked(u32 defined, OsrAsk& ask)
{
    OsrGroup& group = m_osr_groups[defined];
    u32 first = group.first;
    ++m_osr_clock;
    // This loop's slot, else a free one, else the ready slot asked least recently:
    // its loop ran last long ago, while this loop is running now.
    u32 free = kNoLoop, oldest = kNoLoop;
    for (u32 k = first; k < first + kOsrEntriesPerFunction; ++k) {
        if (m_osr[k].loop == ask.target)
            ask.slot = k;
        else if (m_osr[k].loop == kNoLoop && free == kNoLoop)
            free = k;
        else if (m_osr[k].state == Optimized && (oldest == kNoLoop || m_osr[k].last_asked < m_osr[oldest].last_asked))
            oldest = k;
    }
    if (ask.slot == kNoLoop && group.made < kOsrEntriesMadePerFunction) {
        // NOTE: a slot is taken over only when Optimized: no compile writes to it then,
        // and frames already running its old entry keep its code (m_tiered_code).
        ask.slot = free != kNoLoop ? free : oldest;
        if (ask.slot != kNoLoop) {
            OsrSlot& entry = m_osr[ask.slot];
            ++group.made;
            if (ask.target != ask.loop)
                ++m_counts.osr_outer;
            entry.loop = ask.target;
            entry.state = Queued;
            entry.address = 0;
            entry.waiting_asks = 0;
            bool no_worker = m_worker_failed || !m_worker;
            if (!ask.inline_compile && no_worker && !m_inline_without_worker) {
                entry.state = Refused; // no thread to compile it on
                ++m_counts.osr_refused;
            } else if (!ask.inline_compile && no_worker) {
                ask.inline_compile = true; // the worker could not start: compile on this thread
            } else if (!ask.inline_compile) {
                if (m_osr_queue.try_append(ask.slot).is_error()) {
                    entry.state = Refused;
                    ++m_counts.osr_refused;
                } else {
                    ask.worker = m_worker;
                }
            }
        } else {
            ask.inline_compile = false;
        }
    } else if (ask.slot != kNoLoop && m_osr[ask.slot].state == Queued && !ask.inline_compile
               && ++m_osr[ask.slot].waiting_asks >= kOsrStealAsks && unqueue_osr_locked(ask.slot)) {
        // NOTE: still in the queue after kOsrStealAsks asks (the worker compiles something
        // else, or has not run): this thread makes it, as in synchronous mode. Taken out of
        // the queue under the lock, so the worker cannot make it too.
        ask.inline_compile = true;
        ++m_counts.osr_stolen;
    } else {
        ask.inline_compile = false; // made or being made already, or no more to make
    }
    if (ask.slot != kNoLoop)
        m_osr[ask.slot].last_asked = m_osr_clock;
}

void TierUpManager::answer_osr_ask_locked(u32 defined, OsrAsk& ask)
{
    if (ask.slot != kNoLoop && m_osr[ask.slot].state == Optimized) {
        if (ask.target == ask.loop) {
            ++m_counts.osr_entered;
            ask.address = m_osr[ask.slot].address;
        } else {
            // The frame is inside the loop the entry is for: ask again at every
            // header until it reaches that one (or gives up, see osr_target_locked).
            ask.waiting = ++m_osr_groups[defined].polls <= kOsrParentPolls;
        }
    }
    // Ask again after `threshold` more iterations while this entry is being made, or
    // while more entries may be made (other baseline frames of it, or this one after
    // the loop ends, may loop elsewhere: a `main` runs one loop after another).
    ask.again = ask.waiting || (ask.slot != kNoLoop && m_osr[ask.slot].state == Queued)
        || m_osr_groups[defined].made < kOsrEntriesMadePerFunction;
}

uptr TierUpManager::loop_hot(u32 function_index, u32 loop_offset)
{
    if (!is_defined(function_index) || loop_offset == kNoLoop)
        return 0;
    // The whole function, for its next calls; the worker is woken once the entry is
    // queued too, so that it starts with the entry (see worker_main).
    platform::Worker* function_worker = mark_hot(function_index);
    if (!m_osr_enabled) {
        if (function_worker)
            platform::wake_worker(function_worker);
        return 0; // the loop finishes in the baseline (mark_hot stopped its counter)
    }
    u32 defined = function_index - m_module.imported_function_count;
    OsrAsk ask;
    ask.loop = loop_offset;
    ask.inline_compile = m_synchronous;
    // NOTE: one lock for the usual ask (the target known, the entry compiled elsewhere).
    // The entry is made for the loop around this one, if any: entered at an inner loop, the
    // way in through the enclosing loops costs in every iteration of the loop around it
    // (docs/optimizing-compiler.md, "Entering at the enclosing loop"), and the frame reaches
    // that loop's header when this loop ends. The first ask of a loop finds that loop
    // outside the lock (one walk of the body; it reads only the immutable module) and
    // takes the lock again: at most two rounds.
    std::optional<u32> parent;
    for (;;) {
        {
            LockGuard guard(m_lock);
            if (m_cancelled || !make_osr_group_locked(defined, function_index)) {
                if (function_worker)
                    platform::wake_worker(function_worker);
                return 0;
            }
            std::optional<u32> target = osr_target_locked(defined, loop_offset, parent);
            if (target) {
                ask.target = *target;
                claim_osr_slot_locked(defined, ask);
                if (!ask.inline_compile)
                    answer_osr_ask_locked(defined, ask);
                break;
            }
        }
        auto found = opt::enclosing_loop(m_module, function_index, loop_offset);
        parent = found.is_error() || *found == opt::kNone ? kNoLoop : *found;
    }
    if (platform::Worker* worker = ask.worker ? ask.worker : function_worker)
        platform::wake_worker(worker);
    if (ask.inline_compile) {
        {
            LockGuard guard(m_inline_lock);
            compile_osr(ask.slot);
        }
        LockGuard guard(m_lock);
        answer_osr_ask_locked(defined, ask);
    }
    if (ask.again && __atomic_load_n(&m_states[defined], __ATOMIC_ACQUIRE) != Refused)
        __atomic_store_n(&m_budgets[defined], ask.waiting ? 0 : m_threshold - 1, __ATOMIC_RELAXED);
    return ask.address;
}

void TierUpManager::compile_osr(u32 slot)
{
    u32 function_index;
    u32 loop;
    {
        LockGuard guard(m_lock);
        function_index = m_osr[slot].function;
        loop = m_osr[slot].loop;
    }
    auto compiled = compile_and_link(function_index, loop);
    LockGuard guard(m_lock);
    // Kept for as long as the module: frames of it may run at any time from now.
    if (compiled.is_error() || m_tiered_code.try_append(*compiled).is_error()) {
        ++m_counts.osr_refused;
        m_osr[slot].state = Refused;
        return;
    }
    m_osr[slot].address = reinterpret_cast<uptr>((*compiled)->base());
    m_osr[slot].state = Optimized;
    ++m_counts.osr_compiled;
}

Result<RefPtr<CodeObject>> TierUpManager::compile_and_link(u32 function_index, u32 osr_loop)
{
    x64::Assembler masm;
    Vector<TrapEntry> traps;
    x64::opt::OptimizingCompiler compiler(m_module, m_offsets, masm, traps, m_symbols, m_baseline_isa);
    compiler.set_osr_loop(osr_loop);
    TRY(compiler.compile_function(function_index, 0));
    TRY(masm.check_finished());

    CodeHelperAddresses externals;
    u32 function_starts[2] = { 0, static_cast<u32>(masm.code().size()) };
    LinkInput input;
    input.code = masm.code();
    input.relocations = masm.relocations();
    input.traps = traps.span();
    input.externals = externals.span();
    input.function_starts = Span<const u32>(function_starts, 2);
    input.first_function_index = function_index;
    input.handlers = compiler.handlers();
    input.stack_maps = compiler.stack_maps();
    input.stack_map_bits = compiler.stack_map_bits();
    input.symbol_addresses = m_symbol_addresses.span();
    return CodeObject::link_in_tier_space(*m_code, input);
}

Result<void> TierUpManager::compile_and_install(u32 function_index)
{
    u32 defined = function_index - m_module.imported_function_count;
    auto object = TRY(compile_and_link(function_index, opt::kNone));
    return install(defined, std::move(object));
}

Result<void> TierUpManager::install(u32 defined, RefPtr<CodeObject> object)
{
    // The jump slot: jmp rel32 to the new code, padded with int3 to 8 bytes.
    uptr slot = m_symbol_addresses[m_symbols.function(defined)];
    i64 delta = static_cast<i64>(reinterpret_cast<uptr>(object->base()) - (slot + 5));
    if (delta != static_cast<i32>(delta))
        return Error::from("tier-up code out of jump-slot reach", ErrorKind::OutOfRange);
    u8 bytes[8] = { 0xE9, 0, 0, 0, 0, 0xCC, 0xCC, 0xCC };
    i32 field = static_cast<i32>(delta);
    __builtin_memcpy(bytes + 1, &field, 4);
    {
        // Kept before the slot points at it: the code must outlive every frame of it.
        LockGuard guard(m_lock);
        TRY(m_tiered_code.try_append(std::move(object)));
    }
    TRY(platform::patch_code(reinterpret_cast<void*>(slot), ReadonlyBytes(bytes, 8)));
    return {};
}

uptr TierUpManager::compile_lazily(u32 function_index)
{
    if (!m_lazy || !is_defined(function_index))
        return 0;
    u32 defined = function_index - m_module.imported_function_count;
    uptr slot = m_symbol_addresses[m_symbols.function(defined)];
    if (__atomic_load_n(&m_lazy_done[defined], __ATOMIC_ACQUIRE) != 0)
        return slot; // another thread's call compiled it after this one read the slot
    Result<void> result;
    {
        LockGuard guard(m_lazy_lock);
        if (__atomic_load_n(&m_lazy_done[defined], __ATOMIC_ACQUIRE) != 0)
            return slot; // compiled while this thread waited
        result = compile_lazily_and_install(function_index);
        if (!result.is_error())
            __atomic_store_n(&m_lazy_done[defined], u8 { 1 }, __ATOMIC_RELEASE);
    }
    LockGuard guard(m_lock);
    if (result.is_error()) {
        ++m_counts.lazy_failed;
        return 0;
    }
    ++m_counts.lazy_compiled;
    return slot;
}

Result<void> TierUpManager::compile_lazily_and_install(u32 function_index)
{
    if (!m_lazy_compiler) {
        m_lazy_compiler = TRY(try_make_ref_counted<LazyCompiler>(m_module, m_offsets));
        m_lazy_compiler->compiler.set_tier_counters(m_tier_counters);
    }
    LazyCompiler& lazy = *m_lazy_compiler;
    lazy.masm.reset();
    lazy.traps.clear();
    // NOTE: discard_function after every compile: link copies the handler ranges, and the
    // compiler then holds none (nor trampoline needs: the module has every trampoline).
    auto object = link_lazily_compiled(lazy, function_index);
    lazy.compiler.discard_function();
    if (object.is_error())
        return object.error();
    return install(function_index - m_module.imported_function_count, std::move(*object));
}

Result<RefPtr<CodeObject>> TierUpManager::link_lazily_compiled(LazyCompiler& lazy, u32 function_index)
{
    TRY(lazy.compiler.compile_function(function_index, 0));
    TRY(lazy.masm.check_finished());

    CodeHelperAddresses externals;
    u32 function_starts[2] = { 0, static_cast<u32>(lazy.masm.code().size()) };
    LinkInput input;
    input.code = lazy.masm.code();
    input.relocations = lazy.masm.relocations();
    input.traps = lazy.traps.span();
    input.externals = externals.span();
    input.function_starts = Span<const u32>(function_starts, 2);
    input.first_function_index = function_index;
    // The compiler lists them as their bodies end.
    Vector<HandlerEntry> handlers;
    TRY(handlers.try_extend(lazy.compiler.handlers()));
    sort_handlers(handlers.span());
    input.handlers = handlers.span();
    // One function's maps, in code order.
    input.stack_maps = lazy.compiler.stack_maps();
    input.stack_map_bits = lazy.compiler.stack_map_bits();
    input.symbol_addresses = m_symbol_addresses.span();
    return CodeObject::link_in_tier_space(*m_code, input);
}

TierUpCounts TierUpManager::counts() const
{
    LockGuard guard(m_lock);
    return m_counts;
}

TierUpCounts tier_up_counts(const runtime::LoadedModule& module)
{
    // NOTE: TierUpManager is the only TierUpHooks (the runtime knows only the interface).
    if (auto* hooks = module.tier_up())
        return static_cast<const TierUpManager*>(hooks)->counts();
    return {};
}

bool tier_up_idle(const runtime::LoadedModule& module)
{
    if (auto* hooks = module.tier_up())
        return static_cast<const TierUpManager*>(hooks)->idle();
    return true;
}

uptr TierUpManager::osr_entry_address(u32 function_index) const
{
    LockGuard guard(m_lock);
    if (!is_defined(function_index) || m_osr_groups.is_empty())
        return 0;
    const OsrGroup& group = m_osr_groups[function_index - m_module.imported_function_count];
    if (group.first == kNoLoop)
        return 0;
    for (u32 k = group.first; k < group.first + kOsrEntriesPerFunction; ++k) {
        if (m_osr[k].state == Optimized)
            return m_osr[k].address;
    }
    return 0;
}

bool TierUpManager::idle() const
{
    LockGuard guard(m_lock);
    return m_queue_head == m_queue.size() && m_osr_queue.is_empty() && m_compiling == 0;
}

} // namespace wk::engine::compile
