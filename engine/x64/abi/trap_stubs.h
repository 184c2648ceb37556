#pragma once

// What both tiers share to raise traps (docs/engine-abi.md, "Traps"): labels with stable
// addresses, one out-of-line `ud2` stub per trap kind a function uses, and the trap-table
// entries, which must be in code order.

#include "base/allocator.h"
#include "base/result.h"
#include "base/vector.h"
#include "engine/compile/code_object.h"
#include "engine/platform.h"
#include "engine/runtime/vm.h"
#include "engine/x64/abi/frame.h"
#include "engine/x64/assembler.h"

namespace wk::engine::x64::abi {

// Pools Labels with stable addresses, reused from function to function.
class LabelPool {
public:
    ~LabelPool();
    void reset() { m_used = 0; }
    Result<u32> allocate();
    Label& operator[](u32 id) { return m_chunks[id / kChunk][id % kChunk]; }

private:
    static constexpr u32 kChunk = 256;
    Vector<Label*> m_chunks;
    u32 m_used { 0 };
};

// Appends the trap-table entry (code offset `offset` in the module's code, `kind`); a site
// not after the last one is refused (Unsupported, at `wasm_offset`).
Result<void> record_trap_site(Vector<TrapEntry>& traps, u32 offset, TrapKind kind, u32 wasm_offset);

// A function's trap stubs: the label of each kind on first use; emit() binds each used one
// to a recorded `ud2`. The stack check's stub then jumps back to the resume point, if one is
// set, so that an environment whose stacks grow can resume there (platform.h,
// stack_check_fault).
class TrapStubs {
public:
    void reset()
    {
        for (u32& id : m_ids)
            id = 0;
        m_stack_check_resume = 0;
    }
    Result<Label*> label(LabelPool& labels, TrapKind kind)
    {
        u32& id = m_ids[static_cast<u32>(kind)];
        if (id == 0)
            id = TRY(labels.allocate()) + 1;
        return &labels[id - 1];
    }
    // Allocates and binds the label the stack check's stub returns to.
    Result<void> bind_stack_check_resume(Assembler& masm, LabelPool& labels)
    {
        m_stack_check_resume = TRY(labels.allocate()) + 1;
        masm.bind(labels[m_stack_check_resume - 1]);
        return {};
    }
    Result<void> emit(Assembler& masm, LabelPool& labels, Vector<TrapEntry>& traps, u32 code_base, u32 wasm_offset);

private:
    u32 m_ids[static_cast<u32>(TrapKind::Count)] {};
    u32 m_stack_check_resume { 0 }; // label id + 1
};

// The entry every compiled function's frame starts with (docs/engine-abi.md, "Stack"):
// push rbp; mov rbp, rsp; r11 = rsp - (frame + below), compared with the vmctx's
// (rdi's) stack limit, below it the StackExhausted stub, which resumes right after the
// check where a stack can grow (platform.h, stack_check_fault: r11 says how far); then
// sub rsp, frame. Both sizes are 32-bit placeholders, known only once the function is
// compiled: patch_frame_entry fills them in.
struct FrameEntry {
    u32 check_field { 0 };
    u32 frame_field { 0 };
};
Result<FrameEntry> emit_frame_entry(Assembler& masm, LabelPool& labels, TrapStubs& stubs);
void patch_frame_entry(Assembler& masm, FrameEntry entry, u32 frame, u32 checked);

} // namespace wk::engine::x64::abi
