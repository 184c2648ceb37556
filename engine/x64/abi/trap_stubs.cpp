#include "engine/x64/abi/trap_stubs.h"

#include <new>

namespace wk::engine::x64::abi {

LabelPool::~LabelPool()
{
    for (Label* chunk : m_chunks)
        default_allocator().deallocate(chunk, sizeof(Label) * kChunk, alignof(Label));
}

Result<u32> LabelPool::allocate()
{
    if (m_used == m_chunks.size() * kChunk) {
        void* memory = default_allocator().allocate(sizeof(Label) * kChunk, alignof(Label));
        if (!memory)
            return Error::out_of_memory();
        auto append = m_chunks.try_append(static_cast<Label*>(memory));
        if (append.is_error()) {
            default_allocator().deallocate(memory, sizeof(Label) * kChunk, alignof(Label));
            return append.error();
        }
    }
    u32 id = m_used++;
    new (&m_chunks[id / kChunk][id % kChunk]) Label();
    return id;
}

Result<void> record_trap_site(Vector<TrapEntry>& traps, u32 offset, TrapKind kind, u32 wasm_offset)
{
    if (!traps.is_empty() && traps.last().code_offset >= offset)
        return Error::from("compiler: trap sites out of order", ErrorKind::Unsupported, wasm_offset);
    return traps.try_append(TrapEntry { offset, kind });
}

Result<void> TrapStubs::emit(Assembler& masm, LabelPool& labels, Vector<TrapEntry>& traps, u32 code_base,
                             u32 wasm_offset)
{
    for (u32 kind = 1; kind < static_cast<u32>(TrapKind::Count); ++kind) {
        u32 id = m_ids[kind];
        if (id == 0)
            continue;
        masm.bind(labels[id - 1]);
        TRY(record_trap_site(traps, code_base + masm.offset(), static_cast<TrapKind>(kind), wasm_offset));
        masm.ud2();
        if (kind == static_cast<u32>(TrapKind::StackExhausted) && m_stack_check_resume != 0)
            masm.jmp(labels[m_stack_check_resume - 1]);
    }
    return {};
}

Result<FrameEntry> emit_frame_entry(Assembler& masm, LabelPool& labels, TrapStubs& stubs)
{
    FrameEntry entry;
    masm.push(Gpr::rbp);
    masm.mov(Gpr::rbp, Gpr::rsp, Size::Qword);
    masm.lea(kScratch, Mem(Gpr::rsp, -0x7FFF'0000), Size::Qword);
    entry.check_field = masm.offset() - 4;
    masm.cmp(kScratch, Mem(Gpr::rdi, static_cast<i32>(runtime::VMOffsets::kStackLimit)), Size::Qword);
    masm.jcc(Condition::Below, *TRY(stubs.label(labels, TrapKind::StackExhausted)));
    TRY(stubs.bind_stack_check_resume(masm, labels));
    masm.sub(Gpr::rsp, 0x7FFF'0000, Size::Qword);
    entry.frame_field = masm.offset() - 4;
    return entry;
}

void patch_frame_entry(Assembler& masm, FrameEntry entry, u32 frame, u32 checked)
{
    masm.patch_u32(entry.check_field, static_cast<u32>(-static_cast<i32>(checked)));
    masm.patch_u32(entry.frame_field, frame);
}

} // namespace wk::engine::x64::abi
