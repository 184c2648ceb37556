#pragma once

#include "base/result.h"
#include "base/vector.h"
#include "engine/binary/instruction.h"
#include "engine/module.h"
#include "engine/valid/type_context.h"

namespace wk::engine {

enum class FrameKind : u8 { Function, Block, Loop, If, Else, Try, Catch, CatchAll, TryTable };

struct ControlFrame {
    FrameKind kind { FrameKind::Block };
    bool unreachable { false };
    BlockType block;
    u32 height { 0 };      // value stack height below the frame's operands
    u32 init_height { 0 }; // locals initialised before the frame, see m_init_stack
    u32 offset { 0 };
};

// A list of value types: a span into the module, or one inline type.
struct TypeList {
    const ValType* data { nullptr };
    u32 count { 0 };
    ValType single;

    u32 size() const { return count; }
    ValType operator[](u32 i) const { return data ? data[i] : single; }
};

namespace detail {

constexpr ValType sig_type(SigType type, ValType address)
{
    switch (type) {
    case SigType::I32: return ValType::i32();
    case SigType::I64: return ValType::i64();
    case SigType::F32: return ValType::f32();
    case SigType::F64: return ValType::f64();
    case SigType::V128: return ValType::v128();
    case SigType::Address: return address;
    }
    return ValType::i32();
}

// The table's signatures as value types. An "a" entry reads as i32 here; the
// memory fast path substitutes memory 0's address type for params[0].
struct SimpleSignature {
    bool is_simple;        // typed by the table alone, no immediates to check
    bool is_memory_access; // plain (non-atomic) memarg access; params[0] is the address
    u8 align_log2;
    u8 param_count;
    u8 result_count;
    ValType params[4];
    ValType results[2];
};

struct SimpleSignatureTable {
    SimpleSignature entries[kOpcodeCount];

    consteval SimpleSignatureTable()
        : entries {}
    {
        for (usize i = 0; i < kOpcodeCount; ++i) {
            const OpcodeInfo& info = kOpcodeInfos[i];
            entries[i].is_simple = info.has_signature && info.imm == ImmKind::None;
            entries[i].is_memory_access = info.imm == ImmKind::MemArg && info.feature != Feature::Threads;
            entries[i].align_log2 = info.align_log2;
            entries[i].param_count = info.param_count;
            entries[i].result_count = info.result_count;
            for (u32 k = 0; k < info.param_count; ++k)
                entries[i].params[k] = sig_type(info.params[k], ValType::i32());
            for (u32 k = 0; k < info.result_count; ++k)
                entries[i].results[k] = sig_type(info.results[k], ValType::i32());
        }
    }
};

inline constexpr SimpleSignatureTable kSimpleSignatures {};

} // namespace detail

// The operand stack: storage from a Vector, unchecked access on the hot path.
class TypeStack {
public:
    usize size() const { return m_size; }
    ValType* data() { return m_storage.data(); }
    const ValType* data() const { return m_storage.data(); }
    ValType& operator[](usize index) { return m_storage.data()[index]; }
    Span<const ValType> span() const { return Span<const ValType>(m_storage.data(), m_size); }
    void clear() { m_size = 0; }
    void truncate(usize size) { m_size = size < m_size ? size : m_size; }

    Result<void> push(ValType type)
    {
        if (m_size == m_storage.size()) [[unlikely]]
            TRY(m_storage.try_resize(m_size < 16 ? 32 : m_size * 2));
        m_storage.data()[m_size++] = type;
        return {};
    }
    ValType pop() { return m_storage.data()[--m_size]; }
    // Inserts count copies of type at index, moving what is above up once.
    Result<void> insert(usize index, ValType type, usize count)
    {
        usize old_size = m_size;
        for (usize i = 0; i < count; ++i)
            TRY(push(type));
        for (usize i = old_size; i > index; --i)
            m_storage.data()[i - 1 + count] = m_storage.data()[i - 1];
        for (usize i = 0; i < count; ++i)
            m_storage.data()[index + i] = type;
        return {};
    }

private:
    Vector<ValType> m_storage;
    usize m_size { 0 };
};

// Validates one function body or constant expression, one instruction at a
// time: the validator visitor of walk_code (engine/binary/code_walker.h).
// Its operand and control stacks are public knowledge for compilers that wrap
// it: after visit() returns, value_stack() holds the instruction's results.
// All types it reports are canonical (TypeContext::canon).
class FunctionValidator {
public:
    // Bounds the operand stack, which multi-value calls could otherwise grow
    // by a thousand entries per instruction.
    static constexpr usize kMaxStackHeight = 1 << 20;

    FunctionValidator(Module& module, const TypeContext& types);

    Result<void> begin_function(u32 function_index);
    // visible_globals: globals a global.get may name (those defined before).
    Result<void> begin_const_expr(ValType expected, u32 visible_globals, u32 offset);

    bool finished() const { return m_controls.is_empty(); }

    // Instructions typed by the opcode table alone are checked inline; the
    // rest in visit_general.
    // Instruction groups met since construction (Module::uses_gc_instructions and the rest).
    bool saw_gc() const { return m_saw_gc; }
    bool saw_legacy_exceptions() const { return m_saw_legacy_exceptions; }
    bool saw_atomic_wait_notify() const { return m_saw_atomic_wait_notify; }

    [[gnu::always_inline]] Result<void> visit(const Instruction& instruction)
    {
        const detail::SimpleSignature& signature = detail::kSimpleSignatures.entries[static_cast<u16>(instruction.opcode)];
        if (m_const_mode) [[unlikely]]
            return visit_general(instruction);
        m_offset = instruction.offset;
        if (signature.is_simple) {
            for (u32 i = signature.param_count; i > 0; --i)
                TRY(pop(signature.params[i - 1]));
            for (u32 i = 0; i < signature.result_count; ++i)
                TRY(push(signature.results[i]));
            return {};
        }
        if (signature.is_memory_access && instruction.memarg.memory == 0 && m_memory0_address.kind != ValKind::Bottom
            && instruction.memarg.align_log2 <= signature.align_log2
            && (m_memory0_address.kind == ValKind::I64 || instruction.memarg.offset <= 0xFFFFFFFFull)) {
            for (u32 i = signature.param_count; i > 1; --i)
                TRY(pop(signature.params[i - 1]));
            TRY(pop(m_memory0_address));
            for (u32 i = 0; i < signature.result_count; ++i)
                TRY(push(signature.results[i]));
            return {};
        }
        u32 index = instruction.index0;
        switch (instruction.opcode) {
        case Opcode::LocalGet:
            if (index < m_locals.size() && m_local_set[index])
                return push(m_locals[index]);
            break;
        case Opcode::LocalSet:
        case Opcode::LocalTee:
            if (index < m_locals.size() && m_local_set[index]) {
                TRY(pop(m_locals[index]));
                if (instruction.opcode == Opcode::LocalTee)
                    return push(m_locals[index]);
                return {};
            }
            break;
        case Opcode::GlobalGet:
            if (index < m_module.globals.size())
                return push(canon(m_module.globals[index].type));
            break;
        case Opcode::GlobalSet:
            if (index < m_module.globals.size() && m_module.globals[index].is_mutable) {
                TRY(pop(canon(m_module.globals[index].type)));
                return {};
            }
            break;
        case Opcode::I32Const:
            return push(ValType::i32());
        case Opcode::I64Const:
            return push(ValType::i64());
        case Opcode::End: {
            // Blocks without parameters and with at most one result.
            ControlFrame& frame = m_controls.last();
            if (frame.block.kind == BlockType::Kind::Index || frame.init_height != m_init_stack.size()
                || (frame.kind == FrameKind::If && frame.block.kind != BlockType::Kind::Empty))
                break;
            bool has_result = frame.block.kind == BlockType::Kind::Value;
            ValType result = frame.block.value;
            if (has_result)
                TRY(pop(result));
            if (m_stack.size() != frame.height)
                return mismatch();
            m_controls.pop_back();
            sync_frame();
            if (has_result && !m_controls.is_empty())
                return push(result);
            return {};
        }
        case Opcode::Block:
        case Opcode::Loop:
            if (instruction.block.kind == BlockType::Kind::Index || instruction.block.value.is_ref())
                break;
            return push_frame(instruction.opcode == Opcode::Block ? FrameKind::Block : FrameKind::Loop, instruction.block);
        case Opcode::Br: {
            if (index >= m_controls.size())
                break;
            const ControlFrame& target = m_controls[m_controls.size() - 1 - index];
            if (target.block.kind == BlockType::Kind::Index)
                break;
            if (target.kind != FrameKind::Loop && target.block.kind == BlockType::Kind::Value)
                TRY(pop(target.block.value));
            set_unreachable();
            return {};
        }
        case Opcode::BrIf: {
            if (index >= m_controls.size())
                break;
            const ControlFrame& target = m_controls[m_controls.size() - 1 - index];
            if (target.block.kind == BlockType::Kind::Index)
                break;
            TRY(pop(ValType::i32()));
            if (target.kind != FrameKind::Loop && target.block.kind == BlockType::Kind::Value) {
                ValType type = target.block.value;
                TRY(pop(type));
                return push(type);
            }
            return {};
        }
        default:
            break;
        }
        return visit_general(instruction);
    }

    Span<const ValType> value_stack() const { return m_stack.span(); }
    Span<const ControlFrame> control_stack() const { return m_controls.span(); }
    Span<const ValType> locals() const { return m_locals.span(); }

private:
    Result<void> visit_general(const Instruction&);
    Result<void> visit_simple(const Instruction&, const OpcodeInfo&);
    Result<void> visit_control(const Instruction&);
    Result<void> visit_frame(const Instruction&);
    Result<void> visit_branch(const Instruction&);
    Result<void> visit_call(const Instruction&);
    Result<void> check_tail_call_results(u32 type);
    static ValType address_of(const Limits& limits) { return limits.is_64 ? ValType::i64() : ValType::i32(); }
    Result<void> visit_variable(const Instruction&);
    Result<void> visit_memory(const Instruction&);
    Result<void> visit_table(const Instruction&);
    Result<void> visit_reference(const Instruction&);
    Result<void> visit_gc(const Instruction&);
    Result<void> visit_struct_new(const Instruction&);
    Result<void> visit_struct_access(const Instruction&);
    Result<void> visit_array_new(const Instruction&);
    Result<void> visit_array_access(const Instruction&);
    Result<void> visit_cast(const Instruction&);
    Result<void> visit_br_on_cast(const Instruction&);
    Result<void> check_array_segment(const Instruction&, const FieldType&, bool is_data);
    Result<void> visit_exception(const Instruction&);
    Result<void> check_constant(const Instruction&);

    // Operand stack.
    Result<void> push(ValType type)
    {
        if (m_stack.size() >= kMaxStackHeight) [[unlikely]]
            return Error::invalid("implementation limit: operand stack too deep", m_offset);
        return m_stack.push(type);
    }
    Result<ValType> pop();
    Result<ValType> pop(ValType expected)
    {
        if (m_stack.size() > m_frame_height) [[likely]] {
            ValType actual = m_stack.pop();
            if (actual == expected || m_types.is_subtype(actual, expected)) [[likely]]
                return actual;
            return mismatch();
        }
        if (m_frame_unreachable)
            return ValType::bottom();
        return mismatch();
    }

    // Mirrors the top frame's height and reachability for the hot pop path.
    void sync_frame()
    {
        if (m_controls.is_empty())
            return;
        m_frame_height = m_controls.last().height;
        m_frame_unreachable = m_controls.last().unreachable;
    }
    Result<void> pop_list(const TypeList& types);
    Result<void> push_list(const TypeList& types);
    Result<void> check_top(const TypeList& types);
    Result<ValType> pop_ref();
    Error mismatch() const { return Error::invalid("type mismatch", m_offset); }

    // Control stack.
    Result<void> push_frame(FrameKind kind, const BlockType& block);
    Result<void> end_frame_check(const ControlFrame& frame);
    void set_unreachable();
    Result<TypeList> block_params(const BlockType& block);
    Result<TypeList> block_results(const BlockType& block);
    Result<TypeList> label_types(u32 depth);
    void reset_locals_to(u32 init_height);

    // Module lookups; each fails with the spec's "unknown ..." error.
    Result<u32> func_type(u32 type_index);
    Result<const SubType*> struct_type(u32 type_index);
    Result<const SubType*> array_type(u32 type_index);
    Result<ValType> heap_type(ValType type);
    Result<const Memory*> memory(u32 index);
    Result<const Table*> table(u32 index);
    Result<ValType> address_type(u32 memory_index);
    TypeList func_params_list(u32 type_index) const;
    TypeList func_results_list(u32 type_index) const;
    TypeList tag_params(u32 tag_index) const;
    static ValType unpacked(ValType type) { return type.is_packed() ? ValType::i32() : type; }
    ValType canon(ValType type) const { return m_types.canon(type); }

    Module& m_module;
    const TypeContext& m_types;
    TypeStack m_stack;
    Vector<ControlFrame> m_controls;
    Vector<ValType> m_locals;
    Vector<u8> m_local_set;    // per local: 1 when readable
    Vector<u32> m_init_stack;  // locals set since entering the current frames
    u32 m_function_type { 0 };
    u32 m_offset { 0 };
    bool m_const_mode { false };
    bool m_saw_gc { false };
    bool m_saw_legacy_exceptions { false };
    bool m_saw_atomic_wait_notify { false };
    usize m_frame_height { 0 };
    ValType m_memory0_address { ValType::bottom() }; // bottom: no memory 0
    bool m_frame_unreachable { false };
    u32 m_visible_globals { 0 };
    ValType m_const_result;
};

} // namespace wk::engine
