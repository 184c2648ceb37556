#include "engine/compile/compiler.h"

#include <algorithm>
#include <optional>

#include "base/format.h"
#include "engine/compile/code_helpers.h"
#include "engine/compile/tier_up.h"
#include "engine/x64/abi/trampolines.h"
#include "engine/x64/code_alignment.h"
#include "engine/x64/baseline/baseline_compiler.h"
#include "engine/x64/opt/optimizing_compiler.h"

namespace wk::engine::compile {

namespace {

// Writes the first fallback of each distinct reason to the log (compile_module).
class FallbackLog {
public:
    explicit FallbackLog(FormatSink* sink)
        : m_sink(sink)
    {
    }

    Result<void> note(u32 function_index, const Error& reason)
    {
        if (!m_sink)
            return {};
        StringView message = reason.message();
        for (const char* seen : m_seen) {
            if (StringView(seen) == message)
                return {};
        }
        TRY(m_seen.try_append(reason.message()));
        if (reason.has_offset())
            format_to(*m_sink, "function {} falls back to the baseline: {} (at byte offset {})\n",
                      function_index, message, reason.offset());
        else
            format_to(*m_sink, "function {} falls back to the baseline: {}\n", function_index, message);
        return {};
    }

private:
    FormatSink* m_sink;
    Vector<const char*> m_seen; // messages are static strings (base/error.h)
};

} // namespace

Result<RefPtr<CodeObject>> compile_module(runtime::LoadedModule& loaded, CompileStatistics* statistics,
                                          const CompileOptions& options)
{
    const Module& module = loaded.module();
    u32 imported = module.imported_function_count;
    u32 defined = static_cast<u32>(module.functions.size()) - imported;

    // NOTE: each function is assembled on its own (a small buffer that stays in cache)
    // and appended to the module's code, reserved up front; one growing buffer for the
    // whole module spent a third of the time zero-filling, copying and faulting pages.
    x64::Assembler masm;
    Vector<TrapEntry> traps;
    x64::baseline::BaselineCompiler baseline(module, loaded.offsets(), masm, traps);
    x64::abi::SymbolSpace symbols = baseline.symbols();
    bool tiered = options.tier == Tier::Tiered && defined > 0;
    // Lazy: no function compiled here; each jump slot starts at the function's lazy entry.
    // NOTE: a module with instructions the baseline refuses is compiled eagerly, so that the
    // refusal stays an error at load (a lazy one would trap at the first call instead).
    bool lazy = options.lazy && options.tier != Tier::Optimized && defined > 0 && !module.uses_gc_instructions
        && !module.uses_legacy_exceptions && !module.uses_atomic_wait_notify;
    bool slots = tiered || lazy;
    baseline.set_tier_counters(tiered);
    std::optional<x64::opt::OptimizingCompiler> optimizing;
    if (options.tier == Tier::Optimized)
        optimizing.emplace(module, loaded.offsets(), masm, traps, symbols, options.baseline_isa);
    FallbackLog fallback_log(options.log_fallbacks ? options.log : nullptr);
    u32 optimized_functions = 0;
    u32 baseline_fallbacks = 0;
    Vector<u32> symbol_offsets;
    TRY(symbol_offsets.try_resize(symbols.size(), ~u32 { 0 }));
    Vector<u32> function_starts;
    TRY(function_starts.try_reserve(defined + 1));
    Vector<u8> code;
    Vector<x64::Relocation> relocations;
    u64 body_bytes = 0;
    for (const Code& body : module.codes)
        body_bytes += body.size;
    TRY(code.try_reserve(static_cast<usize>(body_bytes * 5 / 2 + 64 * 1024)));

    // Appends what `masm` holds at an offset aligned to x64::kFunctionAlignment and
    // empties it (code_alignment.h: the loop headers in it are aligned relative to that).
    constexpr u32 kAlignment = x64::kFunctionAlignment;
    auto append = [&]() -> Result<u32> {
        while (code.size() % kAlignment != 0)
            TRY(code.try_append(0xCC));
        u32 base = static_cast<u32>(code.size());
        TRY(masm.check_finished());
        TRY(code.try_extend(masm.code()));
        for (x64::Relocation relocation : masm.relocations()) {
            relocation.offset += base;
            TRY(relocations.try_append(relocation));
        }
        masm.reset();
        if (code.size() > 0x7FFF'0000u)
            return Error::from("implementation limit: module code too large", ErrorKind::Unsupported);
        return base;
    };
    auto next_base = [&]() { return static_cast<u32>((code.size() + kAlignment - 1) & ~usize { kAlignment - 1 }); };

    // Function-level ASLR: the order the functions are laid out in (Fisher-Yates over a
    // xorshift generator seeded from the platform's entropy).
    Vector<u32> order;
    TRY(order.try_resize(defined));
    for (u32 i = 0; i < defined; ++i)
        order[i] = i;
    if (!options.deterministic_layout && defined > 1) {
        u64 state = options.layout_seed;
        if (state == 0)
            TRY(platform::fill_entropy(Bytes(reinterpret_cast<u8*>(&state), sizeof(state))));
        state |= 1;
        for (u32 i = defined - 1; i > 0; --i) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            u32 j = static_cast<u32>(state % (u64 { i } + 1));
            u32 swapped = order[i];
            order[i] = order[j];
            order[j] = swapped;
        }
    }
    Vector<u32> function_indices; // of each start, in layout order
    TRY(function_indices.try_reserve(defined));
    Vector<u32> body_starts; // by defined index
    TRY(body_starts.try_resize(defined));

    // Logged after the loop in index order, so the log does not depend on the layout.
    struct Fallback {
        u32 function_index;
        Error reason;
    };
    Vector<Fallback> fallbacks;
    auto log_fallbacks = [&]() -> Result<void> {
        std::sort(fallbacks.begin(), fallbacks.end(),
                  [](const Fallback& a, const Fallback& b) { return a.function_index < b.function_index; });
        for (const Fallback& fallback : fallbacks)
            TRY(fallback_log.note(fallback.function_index, fallback.reason));
        return {};
    };

    u64 wasm_bytes = 0;
    for (u32 i : order) {
        if (lazy)
            break;
        bool compiled = false;
        if (optimizing) {
            usize trap_count = traps.size();
            auto result = optimizing->compile_function(imported + i, next_base());
            if (result.is_error()) {
                if (result.error().kind() != ErrorKind::Unsupported)
                    return result.error();
                // Not this function in this tier: forget what it left and use the baseline.
                masm.reset();
                MUST(traps.try_resize(trap_count)); // shrinking never allocates
                optimizing->discard_function();
                ++baseline_fallbacks;
                if (options.log_fallbacks && options.log)
                    TRY(fallbacks.try_append(Fallback { imported + i, result.error() }));
            } else {
                ++optimized_functions;
                compiled = true;
            }
        }
        if (!compiled) {
            auto result = baseline.compile_function(imported + i, next_base());
            if (result.is_error()) {
                // The reasons logged so far still explain the module (a GC function the
                // optimising tier refused first, say).
                TRY(log_fallbacks());
                return result.error();
            }
        }
        u32 base = TRY(append());
        symbol_offsets[symbols.function(i)] = base;
        body_starts[i] = base;
        TRY(function_starts.try_append(base));
        TRY(function_indices.try_append(imported + i));
        wasm_bytes += module.codes[i].size;
    }
    TRY(function_starts.try_append(next_base()));
    TRY(log_fallbacks());

    // Lazy: the stub and each function's entry into it (x64/abi/trampolines.h), where the
    // slots start.
    Vector<u32> lazy_entries;
    if (lazy) {
        TRY(lazy_entries.try_resize(defined));
        x64::Label stub;
        masm.bind(stub);
        x64::abi::emit_lazy_compile_stub(masm, kExternalBase + static_cast<u32>(CodeHelper::LazyCompile), symbols.retpoline());
        for (u32 i = 0; i < defined; ++i) {
            masm.align(16);
            lazy_entries[i] = masm.offset();
            x64::abi::emit_lazy_entry(masm, imported + i, stub);
        }
        u32 base = TRY(append());
        for (u32& entry : lazy_entries)
            entry += base;
    }

    // Tiered or lazy: the jump slots (tier_up.h), after the functions so that no backtrace
    // attributes them to one; every call and entry of function i goes through slot i.
    if (slots) {
        u32 slots_base = next_base();
        while (code.size() < slots_base)
            TRY(code.try_append(0xCC));
        for (u32 i = 0; i < defined; ++i) {
            u32 slot = slots_base + 8 * i;
            u32 target = lazy ? lazy_entries[i] : body_starts[i];
            i32 delta = static_cast<i32>(target) - static_cast<i32>(slot + 5);
            u8 bytes[8] = { 0xE9, 0, 0, 0, 0, 0xCC, 0xCC, 0xCC };
            __builtin_memcpy(bytes + 1, &delta, 4);
            TRY(code.try_extend(ReadonlyBytes(bytes, 8)));
            symbol_offsets[symbols.function(i)] = slot;
        }
    }

    x64::abi::CallLayout layout;
    u32 trampolines_base = next_base();
    for (u32 i = 0; i < defined; ++i) {
        u32 type_index = module.functions[imported + i].type_index;
        TRY(x64::abi::compute_call_layout(module.func_params(type_index), module.func_results(type_index), layout));
        masm.align(16);
        symbol_offsets[symbols.array_entry(i)] = trampolines_base + masm.offset();
        x64::abi::emit_array_entry(masm, layout, symbols.function(i));
    }
    // The trampolines either tier's code calls.
    Span<const bool> baseline_needs = baseline.needed_array_trampolines();
    Span<const bool> optimized_needs = optimizing ? optimizing->needed_array_trampolines() : Span<const bool>();
    for (u32 type_index = 0; type_index < symbols.type_count; ++type_index) {
        // Lazy: code compiled later may call any of them.
        bool needed = lazy || (type_index < baseline_needs.size() && baseline_needs[type_index])
            || (type_index < optimized_needs.size() && optimized_needs[type_index]);
        if (!needed)
            continue;
        TRY(x64::abi::compute_call_layout(module.func_params(type_index), module.func_results(type_index), layout));
        masm.align(16);
        symbol_offsets[symbols.array_trampoline(type_index)] = trampolines_base + masm.offset();
        x64::abi::emit_array_trampoline(masm, layout, symbols.retpoline());
    }
    masm.align(16);
    symbol_offsets[symbols.retpoline()] = trampolines_base + masm.offset();
    x64::abi::emit_retpoline(masm);
    {
        u32 base = TRY(append());
        if (base != trampolines_base)
            return Error::from("trampolines misplaced", ErrorKind::Invalid);
    }

    CodeHelperAddresses externals;

    // Handler ranges by start; of nested ranges with one start, the outer first, so the
    // innermost containing range is the last one that starts at or before a pc.
    Vector<HandlerEntry> handlers;
    TRY(handlers.try_extend(baseline.handlers()));
    if (optimizing)
        TRY(handlers.try_extend(optimizing->handlers()));
    std::sort(handlers.begin(), handlers.end(), [](const HandlerEntry& a, const HandlerEntry& b) {
        return a.start != b.start ? a.start < b.start : a.end > b.end;
    });

    LinkInput input;
    input.code = code.span();
    input.relocations = relocations.span();
    input.traps = traps.span();
    input.symbols = symbol_offsets.span();
    input.externals = externals.span();
    input.function_starts = function_starts.span();
    input.function_indices = function_indices.span();
    input.first_function_index = imported;
    input.handlers = handlers.span();
    // NOTE: room for the optimised code of every function twice over (it is usually
    // smaller than the baseline's), so tier-up code sits within rel32 reach of the slots,
    // trampolines and retpoline; a function that does not fit stays in the baseline.
    if (tiered)
        input.tier_space = code.size() * 2 + 64 * 1024;
    // NOTE: lazy, the baseline code of every function goes there too, and tier-up's after it:
    // room for 8 bytes of code per body byte (the baseline makes 2-3) plus 256 per function
    // (prologue, stack check, counters, trap stubs and alignment of even an empty body),
    // twice that when tiered. A function that does not fit traps at its first call
    // (TrapKind::LazyCompileFailed). Reserved only: pages are committed as code is placed.
    if (lazy)
        input.tier_space = code.size() * 2 + (static_cast<usize>(body_bytes) * 8 + usize { defined } * 256) * (tiered ? 2 : 1)
            + 64 * 1024;
    auto object = TRY(CodeObject::link(input));

    Vector<runtime::FunctionEntries> entries;
    TRY(entries.try_reserve(defined));
    for (u32 i = 0; i < defined; ++i) {
        runtime::FunctionEntries entry;
        entry.native_code = object->address(symbol_offsets[symbols.function(i)]);
        entry.array_call = reinterpret_cast<runtime::VMArrayCall>(const_cast<void*>(object->address(symbol_offsets[symbols.array_entry(i)])));
        TRY(entries.try_append(entry));
    }
    TRY(loaded.set_function_entries(entries.span()));

    if (slots) {
        Vector<uptr> addresses;
        TRY(addresses.try_resize(symbol_offsets.size(), 0));
        for (u32 i = 0; i < symbol_offsets.size(); ++i) {
            if (symbol_offsets[i] != ~u32 { 0 })
                addresses[i] = reinterpret_cast<uptr>(object->address(symbol_offsets[i]));
        }
        auto manager = TRY(TierUpManager::create(loaded, object, symbols, std::move(addresses), options));
        loaded.set_tier_up(std::move(manager));
    }

    if (statistics) {
        statistics->wasm_code_bytes = wasm_bytes;
        statistics->machine_code_bytes = code.size();
        statistics->functions = defined;
        statistics->trap_sites = static_cast<u32>(traps.size());
        statistics->optimized_functions = optimized_functions;
        statistics->baseline_fallbacks = baseline_fallbacks;
    }
    return object;
}

} // namespace wk::engine::compile
