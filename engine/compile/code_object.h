#pragma once

// A CodeObject: the linked, executable code of one module (every defined function,
// its array-call entry, and the trampolines), with the sorted trap table that turns
// faults into traps. Written ReadWrite, relocated, then switched to ReadExecute
// through the platform (never both); registered with the platform's code registry
// for as long as it lives.

#include <optional>

#include "base/ref_ptr.h"
#include "base/result.h"
#include "base/span.h"
#include "base/vector.h"
#include "engine/platform.h"
#include "engine/x64/operands.h"

namespace wk::engine::compile {

// Relocation targets (x64::Relocation::target):
//   [0, kExternalBase): an internal symbol, its code offset in LinkInput::symbols;
//   [kExternalBase, ...): an absolute address, LinkInput::externals[target - kExternalBase].
inline constexpr u32 kExternalBase = 0x8000'0000u;

// A try_table's body: code offsets [start, end) are covered, an exception thrown there
// (or in a callee) resumes at `landing` with rsp = rbp - frame_size. Ranges nest or
// are disjoint. A range whose landing is kNoLanding catches nothing: an exception from
// a call there passes this frame by (a return_call run as a call and a return, whose
// callee replaces the frame in the spec, so no try_table around it may catch).
inline constexpr u32 kNoLanding = ~0u;

struct HandlerEntry {
    u32 start { 0 };
    u32 end { 0 };
    u32 landing { 0 };
    u32 frame_size { 0 };
};

struct LinkInput {
    ReadonlyBytes code;
    Span<const x64::Relocation> relocations;
    Span<const TrapEntry> traps; // sorted, strictly increasing offsets
    Span<const u32> symbols;
    Span<const void* const> externals;
    // Code offset where each defined function starts, ascending (for backtraces), then
    // where the last one ends.
    Span<const u32> function_starts;
    // The module function index of the function at each start (the layout may be in any
    // order); empty: first_function_index + position.
    Span<const u32> function_indices;
    u32 first_function_index { 0 };
    Span<const HandlerEntry> handlers; // sorted by start
    // Call sites' stack maps, sorted by strictly increasing offset, and their bitmaps
    // (platform.h, StackMapEntry; docs/gc.md).
    Span<const StackMapEntry> stack_maps;
    Span<const u32> stack_map_bits;
    // Address space to reserve right after the code, executable, for the code tier-up
    // links in later (link_in_tier_space): within rel32 reach of this code.
    usize tier_space { 0 };
    // For link_in_tier_space: the absolute address of each internal symbol (the module's
    // jump slots, trampolines, retpoline), 0 where the module has none; `symbols` is then
    // unused.
    Span<const uptr> symbol_addresses;
};

class CodeObject : public RefCounted<CodeObject> {
public:
    static Result<RefPtr<CodeObject>> link(const LinkInput& input);
    // Links `input` (symbols by symbol_addresses) into `parent`'s tier space and registers
    // it; the pages stay executable while it is written (platform::patch_code). The new
    // object keeps `parent` alive; its space is never reused (code lives as long as the
    // module). OutOfMemory when the tier space is full, OutOfRange when a target is out
    // of rel32 reach.
    static Result<RefPtr<CodeObject>> link_in_tier_space(CodeObject& parent, const LinkInput& input);
    ~CodeObject();

    const u8* base() const { return m_memory; }
    usize size() const { return m_size; }
    // Bytes of tier space reserved after the code (LinkInput::tier_space rounded to pages),
    // and how many of them are committed so far (pages are committed as tier-up code fills
    // them, so a module that never tiers up holds no memory for it).
    usize tier_space_bytes() const;
    usize tier_space_committed_bytes() const;
    const void* address(u32 offset) const { return m_memory + offset; }
    Span<const TrapEntry> traps() const { return m_traps.span(); }
    bool contains(uptr pc) const { return pc >= reinterpret_cast<uptr>(m_memory) && pc - reinterpret_cast<uptr>(m_memory) < m_size; }
    // The module function index whose code contains pc (pc must be inside).
    std::optional<u32> function_at(uptr pc) const;

    // The innermost handler whose range contains pc, if any.
    std::optional<HandlerEntry> handler_at(uptr pc) const;

    // The live CodeObject containing pc, if any (backtraces, exception unwinding): a look-up
    // in the platform's code registry (code_range_at), the one list of compiled code, which
    // fault handlers read too. The caller keeps the object alive (a frame of it on the stack).
    static const CodeObject* find(uptr pc);

private:
    template<typename U, typename... Args>
    friend Result<RefPtr<U>> wk::try_make_ref_counted_in(Allocator&, Args&&...);
    CodeObject() = default;
    Result<void> copy_tables(const LinkInput& input);
    Result<void> register_live();

    u8* m_memory { nullptr };
    usize m_mapped { 0 }; // 0 for code in a parent's tier space (not owned)
    RefPtr<CodeObject> m_parent;
    // Tier space: [m_tier_next, m_tier_end) is still free (guarded by a lock in the .cpp).
    u8* m_tier_next { nullptr };
    u8* m_tier_end { nullptr };
    u8* m_tier_start { nullptr };
    u8* m_tier_committed { nullptr }; // [m_tier_start, m_tier_committed) is committed
    usize m_size { 0 };
    Vector<TrapEntry> m_traps;
    Vector<u32> m_function_starts;
    Vector<u32> m_function_indices; // parallel to m_function_starts, or empty
    Vector<HandlerEntry> m_handlers;
    Vector<StackMapEntry> m_stack_maps;
    Vector<u32> m_stack_map_bits;
    // For each handler, the index of the innermost handler whose range contains it, or
    // kNoParent: handler_at climbs these instead of scanning every earlier range.
    static constexpr u32 kNoParent = ~0u;
    Vector<u32> m_handler_parents;
    u32 m_first_function_index { 0 };
    CodeRange m_range;
    bool m_registered { false };
};

} // namespace wk::engine::compile
