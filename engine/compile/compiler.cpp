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

// Logged after the loop in index order, so the log does not depend on the layout.
struct Fallback {
    u32 function_index;
    Error reason;
};

// Function-level ASLR: the order the defined functions are laid out in (Fisher-Yates over
// a xorshift generator seeded from the platform's entropy).
Result<Vector<u32>> layout_order(u32 defined, const CompileOptions& options)
{
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
    return order;
}

// One module's compilation, section by section in the order the code is laid out: the
// function bodies (or, lazy, their entries into the lazy-compile stub), the jump slots, the
// trampolines; then the link and the entries handed to the LoadedModule.
class ModuleCompilation {
public:
    ModuleCompilation(runtime::LoadedModule& loaded, const CompileOptions& options)
        : m_loaded(loaded)
        , m_module(loaded.module())
        , m_options(options)
        , m_imported(m_module.imported_function_count)
        , m_defined(static_cast<u32>(m_module.functions.size()) - m_imported)
        , m_baseline(m_module, loaded.offsets(), m_masm, m_traps)
        , m_symbols(m_baseline.symbols())
        , m_fallback_log(options.log_fallbacks ? options.log : nullptr)
    {
        m_tiered = options.tier == Tier::Tiered && m_defined > 0;
        // Lazy: no function compiled here; each jump slot starts at the function's lazy entry.
        // NOTE: a module with instructions the baseline refuses is compiled eagerly, so that the
        // refusal stays an error at load (a lazy one would trap at the first call instead).
        m_lazy = options.lazy && options.tier != Tier::Optimized && m_defined > 0 && !m_module.uses_gc_instructions
            && !m_module.uses_legacy_exceptions && !m_module.uses_atomic_wait_notify;
        m_slots = m_tiered || m_lazy;
        m_baseline.set_tier_counters(m_tiered);
        if (options.tier == Tier::Optimized)
            m_optimizing.emplace(m_module, loaded.offsets(), m_masm, m_traps, m_symbols, options.baseline_isa);
    }

    Result<void> prepare();
    Result<void> compile_functions();
    Result<void> emit_lazy_entries();
    Result<void> emit_jump_slots();
    Result<void> emit_trampolines();
    Result<RefPtr<CodeObject>> link();
    Result<void> publish(const RefPtr<CodeObject>& object);
    void report(CompileStatistics& statistics) const;

private:
    Result<u32> append();
    u32 next_base() const
    {
        return static_cast<u32>((m_code.size() + kAlignment - 1) & ~usize { kAlignment - 1 });
    }
    Result<bool> compile_optimized(u32 i);
    Result<void> log_fallbacks();

    static constexpr u32 kAlignment = x64::kFunctionAlignment;

    runtime::LoadedModule& m_loaded;
    const Module& m_module;
    const CompileOptions& m_options;
    u32 m_imported;
    u32 m_defined;
    bool m_tiered { false };
    bool m_lazy { false };
    bool m_slots { false };
    // NOTE: each function is assembled on its own (a small buffer that stays in cache)
    // and appended to the module's code, reserved up front; one growing buffer for the
    // whole module spent a third of the time zero-filling, copying and faulting pages.
    x64::Assembler m_masm;
    Vector<TrapEntry> m_traps;
    x64::baseline::BaselineCompiler m_baseline;
    x64::abi::SymbolSpace m_symbols;
    std::optional<x64::opt::OptimizingCompiler> m_optimizing;
    FallbackLog m_fallback_log;
    Vector<Fallback> m_fallbacks;
    u32 m_optimized_functions { 0 };
    u32 m_baseline_fallbacks { 0 };
    Vector<u32> m_symbol_offsets;
    Vector<u32> m_function_starts;
    Vector<u32> m_function_indices; // of each start, in layout order
    Vector<u32> m_body_starts; // by defined index
    Vector<u32> m_lazy_entries; // by defined index, lazy only
    Vector<u8> m_code;
    Vector<x64::Relocation> m_relocations;
    u64 m_body_bytes { 0 };
    u64 m_wasm_bytes { 0 };
};

Result<void> ModuleCompilation::prepare()
{
    TRY(m_symbol_offsets.try_resize(m_symbols.size(), ~u32 { 0 }));
    TRY(m_function_starts.try_reserve(m_defined + 1));
    for (const Code& body : m_module.codes)
        m_body_bytes += body.size;
    TRY(m_code.try_reserve(static_cast<usize>(m_body_bytes * 5 / 2 + 64 * 1024)));
    TRY(m_function_indices.try_reserve(m_defined));
    TRY(m_body_starts.try_resize(m_defined));
    return {};
}

// Appends what `m_masm` holds at an offset aligned to x64::kFunctionAlignment and
// empties it (code_alignment.h: the loop headers in it are aligned relative to that).
Result<u32> ModuleCompilation::append()
{
    while (m_code.size() % kAlignment != 0)
        TRY(m_code.try_append(0xCC));
    u32 base = static_cast<u32>(m_code.size());
    TRY(m_masm.check_finished());
    TRY(m_code.try_extend(m_masm.code()));
    for (x64::Relocation relocation : m_masm.relocations()) {
        relocation.offset += base;
        TRY(m_relocations.try_append(relocation));
    }
    m_masm.reset();
    if (m_code.size() > 0x7FFF'0000u)
        return Error::from("implementation limit: module code too large", ErrorKind::Unsupported);
    return base;
}

Result<void> ModuleCompilation::log_fallbacks()
{
    std::sort(m_fallbacks.begin(), m_fallbacks.end(),
              [](const Fallback& a, const Fallback& b) { return a.function_index < b.function_index; });
    for (const Fallback& fallback : m_fallbacks)
        TRY(m_fallback_log.note(fallback.function_index, fallback.reason));
    return {};
}

// Whether the optimising tier compiled defined function i; false when it left it to the
// baseline (ErrorKind::Unsupported), its other errors fail the module.
Result<bool> ModuleCompilation::compile_optimized(u32 i)
{
    usize trap_count = m_traps.size();
    auto result = m_optimizing->compile_function(m_imported + i, next_base());
    if (!result.is_error()) {
        ++m_optimized_functions;
        return true;
    }
    if (result.error().kind() != ErrorKind::Unsupported)
        return result.error();
    // Not this function in this tier: forget what it left and use the baseline.
    m_masm.reset();
    MUST(m_traps.try_resize(trap_count)); // shrinking never allocates
    m_optimizing->discard_function();
    ++m_baseline_fallbacks;
    if (m_options.log_fallbacks && m_options.log)
        TRY(m_fallbacks.try_append(Fallback { m_imported + i, result.error() }));
    return false;
}

Result<void> ModuleCompilation::compile_functions()
{
    auto order = TRY(layout_order(m_defined, m_options));
    for (u32 i : order) {
        if (m_lazy)
            break;
        bool compiled = m_optimizing ? TRY(compile_optimized(i)) : false;
        if (!compiled) {
            auto result = m_baseline.compile_function(m_imported + i, next_base());
            if (result.is_error()) {
                // The reasons logged so far still explain the module (a GC function the
                // optimising tier refused first, say).
                TRY(log_fallbacks());
                return result.error();
            }
        }
        u32 base = TRY(append());
        m_symbol_offsets[m_symbols.function(i)] = base;
        m_body_starts[i] = base;
        TRY(m_function_starts.try_append(base));
        TRY(m_function_indices.try_append(m_imported + i));
        m_wasm_bytes += m_module.codes[i].size;
    }
    TRY(m_function_starts.try_append(next_base()));
    return log_fallbacks();
}

// Lazy: the stub and each function's entry into it (x64/abi/trampolines.h), where the
// slots start.
Result<void> ModuleCompilation::emit_lazy_entries()
{
    if (!m_lazy)
        return {};
    TRY(m_lazy_entries.try_resize(m_defined));
    x64::Label stub;
    m_masm.bind(stub);
    x64::abi::emit_lazy_compile_stub(m_masm, kExternalBase + static_cast<u32>(CodeHelper::LazyCompile), m_symbols.retpoline());
    for (u32 i = 0; i < m_defined; ++i) {
        m_masm.align(16);
        m_lazy_entries[i] = m_masm.offset();
        x64::abi::emit_lazy_entry(m_masm, m_imported + i, stub);
    }
    u32 base = TRY(append());
    for (u32& entry : m_lazy_entries)
        entry += base;
    return {};
}

// Tiered or lazy: the jump slots (tier_up.h), after the functions so that no backtrace
// attributes them to one; every call and entry of function i goes through slot i.
Result<void> ModuleCompilation::emit_jump_slots()
{
    if (!m_slots)
        return {};
    u32 slots_base = next_base();
    while (m_code.size() < slots_base)
        TRY(m_code.try_append(0xCC));
    for (u32 i = 0; i < m_defined; ++i) {
        u32 slot = slots_base + 8 * i;
        u32 target = m_lazy ? m_lazy_entries[i] : m_body_starts[i];
        i32 delta = static_cast<i32>(target) - static_cast<i32>(slot + 5);
        u8 bytes[8] = { 0xE9, 0, 0, 0, 0, 0xCC, 0xCC, 0xCC };
        __builtin_memcpy(bytes + 1, &delta, 4);
        TRY(m_code.try_extend(ReadonlyBytes(bytes, 8)));
        m_symbol_offsets[m_symbols.function(i)] = slot;
    }
    return {};
}

Result<void> ModuleCompilation::emit_trampolines()
{
    x64::abi::CallLayout layout;
    u32 trampolines_base = next_base();
    for (u32 i = 0; i < m_defined; ++i) {
        u32 type_index = m_module.functions[m_imported + i].type_index;
        TRY(x64::abi::compute_call_layout(m_module.func_params(type_index), m_module.func_results(type_index), layout));
        m_masm.align(16);
        m_symbol_offsets[m_symbols.array_entry(i)] = trampolines_base + m_masm.offset();
        x64::abi::emit_array_entry(m_masm, layout, m_symbols.function(i));
    }
    // The trampolines either tier's code calls.
    Span<const bool> baseline_needs = m_baseline.needed_array_trampolines();
    Span<const bool> optimized_needs = m_optimizing ? m_optimizing->needed_array_trampolines() : Span<const bool>();
    for (u32 type_index = 0; type_index < m_symbols.type_count; ++type_index) {
        // Lazy: code compiled later may call any of them.
        bool needed = m_lazy || (type_index < baseline_needs.size() && baseline_needs[type_index])
            || (type_index < optimized_needs.size() && optimized_needs[type_index]);
        if (!needed)
            continue;
        TRY(x64::abi::compute_call_layout(m_module.func_params(type_index), m_module.func_results(type_index), layout));
        m_masm.align(16);
        m_symbol_offsets[m_symbols.array_trampoline(type_index)] = trampolines_base + m_masm.offset();
        x64::abi::emit_array_trampoline(m_masm, layout, m_symbols.retpoline());
    }
    m_masm.align(16);
    m_symbol_offsets[m_symbols.retpoline()] = trampolines_base + m_masm.offset();
    x64::abi::emit_retpoline(m_masm);
    u32 base = TRY(append());
    if (base != trampolines_base)
        return Error::from("trampolines misplaced", ErrorKind::Invalid);
    return {};
}

Result<RefPtr<CodeObject>> ModuleCompilation::link()
{
    CodeHelperAddresses externals;

    Vector<HandlerEntry> handlers;
    TRY(handlers.try_extend(m_baseline.handlers()));
    if (m_optimizing)
        TRY(handlers.try_extend(m_optimizing->handlers()));
    sort_handlers(handlers.span());

    Vector<StackMapEntry> stack_maps;
    Vector<u32> stack_map_bits;
    TRY(append_stack_maps(m_baseline, stack_maps, stack_map_bits));
    if (m_optimizing)
        TRY(append_stack_maps(*m_optimizing, stack_maps, stack_map_bits));

    LinkInput input;
    input.code = m_code.span();
    input.relocations = m_relocations.span();
    input.traps = m_traps.span();
    input.symbols = m_symbol_offsets.span();
    input.externals = externals.span();
    input.function_starts = m_function_starts.span();
    input.function_indices = m_function_indices.span();
    input.first_function_index = m_imported;
    input.handlers = handlers.span();
    input.stack_maps = stack_maps.span();
    input.stack_map_bits = stack_map_bits.span();
    // NOTE: room for the optimised code of every function twice over (it is usually
    // smaller than the baseline's), so tier-up code sits within rel32 reach of the slots,
    // trampolines and retpoline; a function that does not fit stays in the baseline.
    if (m_tiered)
        input.tier_space = m_code.size() * 2 + 64 * 1024;
    // NOTE: lazy, the baseline code of every function goes there too, and tier-up's after it:
    // room for 8 bytes of code per body byte (the baseline makes 2-3) plus 256 per function
    // (prologue, stack check, counters, trap stubs and alignment of even an empty body),
    // twice that when tiered. A function that does not fit traps at its first call
    // (TrapKind::LazyCompileFailed). Reserved only: pages are committed as code is placed.
    if (m_lazy)
        input.tier_space = m_code.size() * 2
            + (static_cast<usize>(m_body_bytes) * 8 + usize { m_defined } * 256) * (m_tiered ? 2 : 1) + 64 * 1024;
    return CodeObject::link(input);
}

// The entries of every defined function to the LoadedModule and, tiered or lazy, the
// tier-up manager that patches the jump slots.
Result<void> ModuleCompilation::publish(const RefPtr<CodeObject>& object)
{
    Vector<runtime::FunctionEntries> entries;
    TRY(entries.try_reserve(m_defined));
    for (u32 i = 0; i < m_defined; ++i) {
        runtime::FunctionEntries entry;
        entry.native_code = object->address(m_symbol_offsets[m_symbols.function(i)]);
        entry.array_call = reinterpret_cast<runtime::VMArrayCall>(const_cast<void*>(object->address(m_symbol_offsets[m_symbols.array_entry(i)])));
        TRY(entries.try_append(entry));
    }
    TRY(m_loaded.set_function_entries(entries.span()));
    if (!m_slots)
        return {};
    Vector<uptr> addresses;
    TRY(addresses.try_resize(m_symbol_offsets.size(), 0));
    for (u32 i = 0; i < m_symbol_offsets.size(); ++i) {
        if (m_symbol_offsets[i] != ~u32 { 0 })
            addresses[i] = reinterpret_cast<uptr>(object->address(m_symbol_offsets[i]));
    }
    auto manager = TRY(TierUpManager::create(m_loaded, object, m_symbols, std::move(addresses), m_options));
    m_loaded.set_tier_up(std::move(manager));
    return {};
}

void ModuleCompilation::report(CompileStatistics& statistics) const
{
    statistics.wasm_code_bytes = m_wasm_bytes;
    statistics.machine_code_bytes = m_code.size();
    statistics.functions = m_defined;
    statistics.trap_sites = static_cast<u32>(m_traps.size());
    statistics.optimized_functions = m_optimized_functions;
    statistics.baseline_fallbacks = m_baseline_fallbacks;
}

} // namespace

Result<RefPtr<CodeObject>> compile_module(runtime::LoadedModule& loaded, CompileStatistics* statistics,
                                          const CompileOptions& options)
{
    ModuleCompilation compilation(loaded, options);
    TRY(compilation.prepare());
    TRY(compilation.compile_functions());
    TRY(compilation.emit_lazy_entries());
    TRY(compilation.emit_jump_slots());
    TRY(compilation.emit_trampolines());
    auto object = TRY(compilation.link());
    TRY(compilation.publish(object));
    if (statistics)
        compilation.report(*statistics);
    return object;
}

} // namespace wk::engine::compile
