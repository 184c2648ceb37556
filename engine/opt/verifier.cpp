#include "engine/opt/verifier.h"
#include "base/format.h"
#include "engine/opt/dominators.h"

namespace wk::engine::opt {

namespace {

Type sig_ir_type(SigType type, bool address64)
{
    switch (type) {
    case SigType::I32: return Type::I32;
    case SigType::I64: return Type::I64;
    case SigType::F32: return Type::F32;
    case SigType::F64: return Type::F64;
    case SigType::V128: return Type::V128;
    case SigType::Address: return address64 ? Type::I64 : Type::I32;
    }
    return Type::None;
}

// Whether an IR type can hold a wasm value type (references by kind only: the IR
// keeps the hierarchy, not the heap type).
bool fits(Type type, ValType wasm)
{
    switch (wasm.kind) {
    case ValKind::I32: return type == Type::I32;
    case ValKind::I64: return type == Type::I64;
    case ValKind::F32: return type == Type::F32;
    case ValKind::F64: return type == Type::F64;
    case ValKind::V128: return type == Type::V128;
    case ValKind::Ref: return is_ref(type);
    default: return false;
    }
}

class Verifier {
public:
    Verifier(const Function& function, FormatSink* detail, const Module* module)
        : m_function(function)
        , m_detail(detail)
        , m_module(module)
    {
    }

    Result<void> run();

private:
    Error fail(const char* what, Block block, Inst inst = kNone, Value value = kNone) const
    {
        if (m_detail) {
            format_to(*m_detail, "verifier: {}: block{}", what, block);
            if (inst != kNone)
                format_to(*m_detail, " inst {} ({})", inst, op_name(m_function.inst(inst).op));
            if (value != kNone)
                format_to(*m_detail, " value v{}", value);
            m_detail->write("\n");
        }
        u64 offset = inst != kNone ? m_function.inst(inst).wasm_offset : Error::kNoOffset;
        return Error::from(what, ErrorKind::Generic, offset);
    }

    Result<void> check_block(Block block);
    Result<void> check_inst(Block block, Inst inst, u32 position);
    Result<void> check_types(Block block, Inst inst);
    Result<void> check_gc_types(Block block, Inst inst);
    Result<void> check_checked_access(Block block, Inst inst);
    Result<void> check_against_module(Block block, Inst inst);
    Result<void> check_use(Block block, Inst inst, u32 position, Value value);
    Result<void> check_edge(Block block, Inst inst, u32 edge);
    Type type_of(Value value) const { return m_function.value(value).type; }

    const Function& m_function;
    FormatSink* m_detail;
    const Module* m_module;
    DominatorTree m_dominators;
    Vector<u32> m_position; // per instruction: its index in its block
};

Result<void> Verifier::run()
{
    const Function& f = m_function;
    if (f.entry() == kNone || f.layout().empty() || f.layout()[0] != f.entry())
        return fail("the layout does not start at the entry block", f.entry());
    if (!f.preds(f.entry()).empty())
        return fail("the entry block has predecessors", f.entry());
    TRY(m_dominators.compute(f));
    TRY(m_position.try_resize(f.inst_count()));
    for (u32 i = 0; i < f.inst_count(); ++i)
        m_position[i] = kNone;
    for (Block block : f.layout()) {
        if (block >= f.block_count() || !f.block(block).in_layout)
            return fail("layout names a block that left the function", block);
        if (!m_dominators.is_reachable(block))
            return fail("block not reachable from the entry", block);
        Span<const u32> insts = f.insts(block);
        for (u32 k = 0; k < insts.size(); ++k) {
            if (insts[k] >= f.inst_count() || m_position[insts[k]] != kNone)
                return fail("instruction listed twice or out of range", block);
            m_position[insts[k]] = k;
        }
    }
    for (Block block : f.layout())
        TRY(check_block(block));
    return {};
}

Result<void> Verifier::check_block(Block block)
{
    const Function& f = m_function;
    Span<const u32> params = f.params(block);
    for (u32 k = 0; k < params.size(); ++k) {
        const ValueData& value = f.value(params[k]);
        if (value.kind != ValueKind::Param || value.def != block || value.index != k)
            return fail("block parameter does not name its block and position", block, kNone, params[k]);
    }
    Span<const u32> insts = f.insts(block);
    if (insts.empty())
        return fail("empty block", block);
    for (u32 k = 0; k < insts.size(); ++k) {
        Inst inst = insts[k];
        bool last = k + 1 == insts.size();
        if (is_terminator(f.inst(inst).op) != last)
            return fail(last ? "block does not end in a terminator" : "terminator in the middle of a block", block,
                        inst);
        TRY(check_inst(block, inst, k));
    }
    for (u32 edge : f.preds(block)) {
        if (edge >= f.edge_count() || f.edge(edge).dead || f.edge(edge).to != block)
            return fail("predecessor list names an edge that does not come here", block);
        Inst term = f.terminator(f.edge(edge).from);
        if (term == kNone || !f.block(f.edge(edge).from).in_layout)
            return fail("predecessor edge from a block outside the function", block);
        const InstData& data = f.inst(term);
        if (edge < data.first_edge || edge >= data.first_edge + data.edge_count)
            return fail("predecessor edge not owned by its source's terminator", block);
    }
    return {};
}

Result<void> Verifier::check_inst(Block block, Inst inst, u32 position)
{
    const Function& f = m_function;
    const InstData& data = f.inst(inst);
    if (data.dead || data.block != block)
        return fail("instruction removed or listed in another block", block, inst);
    for (u32 k = 0; k < data.result_count; ++k) {
        const ValueData& value = f.value(data.first_result + k);
        if (value.kind != ValueKind::Result || value.def != inst || value.index != k)
            return fail("result does not name its instruction", block, inst, data.first_result + k);
    }
    if (data.result_count > 0 && f.value(data.first_result).type != data.type)
        return fail("instruction type differs from its first result's", block, inst);
    for (Value arg : f.args(inst))
        TRY(check_use(block, inst, position, arg));
    if (!is_terminator(data.op) && data.edge_count != 0)
        return fail("edges on an instruction that is not a terminator", block, inst);
    for (u32 e = 0; e < data.edge_count; ++e)
        TRY(check_edge(block, inst, data.first_edge + e));
    TRY(check_types(block, inst));
    if (m_module)
        TRY(check_against_module(block, inst));
    return {};
}

Result<void> Verifier::check_against_module(Block block, Inst inst)
{
    const Function& f = m_function;
    const Module& module = *m_module;
    const InstData& data = f.inst(inst);
    Span<const u32> args = f.args(inst);
    u32 type_index = kNone;
    bool has_callee_operand = false;
    bool tail = false;
    switch (data.op) {
    case Op::Call:
    case Op::ReturnCall:
        if (data.imm2 >= module.functions.size())
            return fail("call of a function that does not exist", block, inst);
        type_index = module.functions[data.imm2].type_index;
        tail = data.op == Op::ReturnCall;
        break;
    case Op::CallIndirect:
    case Op::CallRef:
    case Op::ReturnCallIndirect:
    case Op::ReturnCallRef:
        if (data.imm2 >= module.types.size() || module.types[data.imm2].kind != CompositeKind::Func)
            return fail("call through a type that is not a function type", block, inst);
        type_index = data.imm2;
        has_callee_operand = true;
        tail = data.op == Op::ReturnCallIndirect || data.op == Op::ReturnCallRef;
        break;
    case Op::GlobalGet:
    case Op::GlobalSet: {
        if (data.imm2 >= module.globals.size())
            return fail("access to a global that does not exist", block, inst);
        ValType type = module.globals[data.imm2].type;
        bool ok = data.op == Op::GlobalGet ? fits(data.type, type) : fits(f.value(args[0]).type, type);
        if (!ok)
            return fail("global access type differs from the global's", block, inst);
        return {};
    }
    default: return {};
    }
    Span<const ValType> params = module.func_params(type_index);
    Span<const ValType> results = module.func_results(type_index);
    if (args.size() != params.size() + (has_callee_operand ? 1 : 0))
        return fail("call argument count differs from the callee type's", block, inst);
    for (u32 k = 0; k < params.size(); ++k) {
        if (!fits(f.value(args[k]).type, params[k]))
            return fail("call argument type differs from the callee type's", block, inst, args[k]);
    }
    if (tail) {
        Span<const Type> own = f.result_types();
        if (own.size() != results.size())
            return fail("tail call results differ from the function's", block, inst);
        for (u32 k = 0; k < own.size(); ++k) {
            if (!fits(own[k], results[k]))
                return fail("tail call results differ from the function's", block, inst);
        }
        return {};
    }
    if (data.result_count != results.size())
        return fail("call result count differs from the callee type's", block, inst);
    for (u32 k = 0; k < results.size(); ++k) {
        if (!fits(f.value(data.first_result + k).type, results[k]))
            return fail("call result type differs from the callee type's", block, inst);
    }
    return {};
}

Result<void> Verifier::check_use(Block block, Inst inst, u32 position, Value value)
{
    const Function& f = m_function;
    if (value >= f.value_count())
        return fail("use of a value out of range", block, inst, value);
    const ValueData& data = f.value(value);
    if (data.kind == ValueKind::Alias)
        return fail("use of an alias (not resolved)", block, inst, value);
    if (data.kind == ValueKind::Dead)
        return fail("use of a removed value", block, inst, value);
    Block def_block = data.kind == ValueKind::Param ? data.def : f.inst(data.def).block;
    if (!f.block(def_block).in_layout)
        return fail("use of a value defined outside the function", block, inst, value);
    if (def_block == block) {
        if (data.kind == ValueKind::Result && m_position[data.def] >= position)
            return fail("use before definition in the same block", block, inst, value);
        return {};
    }
    if (!m_dominators.dominates(def_block, block))
        return fail("definition does not dominate use", block, inst, value);
    return {};
}

Result<void> Verifier::check_edge(Block block, Inst inst, u32 edge)
{
    const Function& f = m_function;
    if (edge >= f.edge_count())
        return fail("edge out of range", block, inst);
    const Edge& data = f.edge(edge);
    if (data.dead || data.from != block)
        return fail("terminator owns a removed edge or one from another block", block, inst);
    if (data.to >= f.block_count() || !f.block(data.to).in_layout)
        return fail("edge to a block outside the function", block, inst);
    bool registered = false;
    for (u32 pred : f.preds(data.to))
        registered |= pred == edge;
    if (!registered)
        return fail("edge missing from its target's predecessors", block, inst);
    Span<const u32> args = f.edge_args(edge);
    Span<const u32> params = f.params(data.to);
    if (args.size() != params.size())
        return fail("edge argument count differs from the target's parameters", block, inst);
    u32 position = m_position[inst];
    for (u32 k = 0; k < args.size(); ++k) {
        TRY(check_use(block, inst, position + 1, args[k]));
        if (type_of(args[k]) != type_of(params[k]))
            return fail("edge argument type differs from the target parameter's", block, inst, args[k]);
    }
    return {};
}

// A kChecked access must take its address from a bounds_check of its memory whose
// span covers it.
Result<void> Verifier::check_checked_access(Block block, Inst inst)
{
    const Function& f = m_function;
    const InstData& data = f.inst(inst);
    Value address = f.args(inst)[0];
    const ValueData& value = f.value(address);
    if (value.kind != ValueKind::Result || f.inst(value.def).op != Op::BoundsCheck)
        return fail("checked access whose address is not a bounds_check", block, inst, address);
    const InstData& check = f.inst(value.def);
    // offset - base + bytes <= span, with offset >= base (no wrap: span < 2^32).
    u64 bytes = u64 { 1 } << data.access_log2;
    bool covered = check.imm2 == data.imm2 && data.imm >= check.imm && data.imm - check.imm < (u64 { 1 } << 31)
        && data.imm - check.imm + bytes <= check.imm3;
    if (!covered)
        return fail("checked access not covered by its bounds_check", block, inst, address);
    return {};
}

// The GC ops' operand and result types: references of the any hierarchy (extern for
// the conversions), i32 indexes and lengths; the type indexes against the module's.
Result<void> Verifier::check_gc_types(Block block, Inst inst)
{
    const Function& f = m_function;
    const InstData& data = f.inst(inst);
    if (!is_gc(data.op))
        return {};
    Span<const u32> args = f.args(inst);
    Type result = data.result_count ? data.type : Type::None;
    bool ok = true;
    switch (data.op) {
    case Op::RefEq: ok = args.size() == 2 && is_ref(type_of(args[0])) && is_ref(type_of(args[1])) && result == Type::I32; break;
    case Op::RefI31: ok = args.size() == 1 && type_of(args[0]) == Type::I32 && result == Type::AnyRef; break;
    case Op::I31GetS:
    case Op::I31GetU: ok = args.size() == 1 && type_of(args[0]) == Type::AnyRef && result == Type::I32; break;
    case Op::AnyConvertExtern: ok = args.size() == 1 && type_of(args[0]) == Type::ExternRef && result == Type::AnyRef; break;
    case Op::ExternConvertAny: ok = args.size() == 1 && type_of(args[0]) == Type::AnyRef && result == Type::ExternRef; break;
    case Op::RefTest: ok = args.size() == 1 && is_ref(type_of(args[0])) && result == Type::I32; break;
    case Op::ArrayLen: ok = args.size() == 1 && type_of(args[0]) == Type::AnyRef && result == Type::I32; break;
    default:
        // Field and element accesses and the builtins: an object operand first (the
        // allocations have none), and a type index of the module.
        if (data.op < Op::StructNew || data.op > Op::ArrayNewElem)
            ok = !args.empty() && type_of(args[0]) == Type::AnyRef;
        if (m_module && data.op != Op::ArrayLen && data.imm2 >= m_module->types.size())
            return fail("GC instruction of a type that does not exist", block, inst);
        if (m_module && data.op >= Op::StructGet && data.op <= Op::StructSet
            && data.imm3 >= m_module->types[data.imm2].field_count)
            return fail("GC instruction of a field that does not exist", block, inst);
        break;
    }
    if (!ok)
        return fail("operand or result types do not fit the op", block, inst);
    return {};
}

Result<void> Verifier::check_types(Block block, Inst inst)
{
    const Function& f = m_function;
    const InstData& data = f.inst(inst);
    Span<const u32> args = f.args(inst);
    const OpInfo& info = op_info(data.op);
    auto expect = [&](bool ok) -> Result<void> {
        if (!ok)
            return fail("operand or result types do not fit the op", block, inst);
        return {};
    };
    if (info.is_wasm) {
        const OpcodeInfo& wasm = opcode_info(info.wasm);
        if (data.result_count != info.result_count)
            return fail("result count differs from the op's", block, inst);
        if (wasm.has_signature) {
            bool address64 = (data.flags & kAddress64) != 0;
            if (args.size() != wasm.param_count)
                return fail("operand count differs from the op's", block, inst);
            for (u32 k = 0; k < args.size(); ++k)
                TRY(expect(type_of(args[k]) == sig_ir_type(wasm.params[k], address64)));
            if (data.flags & kChecked)
                TRY(check_checked_access(block, inst));
            for (u32 k = 0; k < wasm.result_count; ++k)
                TRY(expect(f.value(f.result(inst, k)).type == sig_ir_type(wasm.results[k], address64)));
            return {};
        }
        switch (data.op) {
        case Op::Select:
            return expect(args.size() == 3 && type_of(args[0]) == data.type && type_of(args[1]) == data.type
                          && type_of(args[2]) == Type::I32);
        case Op::RefNull: return expect(args.empty() && is_ref(data.type));
        case Op::RefIsNull: return expect(args.size() == 1 && is_ref(type_of(args[0])) && data.type == Type::I32);
        case Op::RefFunc: return expect(args.empty() && data.type == Type::FuncRef);
        case Op::GlobalGet: return expect(args.empty());
        case Op::GlobalSet: return expect(args.size() == 1);
        default: return check_gc_types(block, inst);
        }
    }
    switch (data.op) {
    case Op::Const:
        return expect(args.empty() && data.result_count == 1
                      && (data.type == Type::I32 || data.type == Type::I64 || data.type == Type::F32
                          || data.type == Type::F64)
                      && ((data.type != Type::I32 && data.type != Type::F32) || data.imm <= 0xFFFF'FFFFu));
    case Op::Jump: return expect(args.empty() && data.edge_count == 1);
    case Op::Branch: return expect(args.size() == 1 && type_of(args[0]) == Type::I32 && data.edge_count == 2);
    case Op::Switch: {
        TRY(expect(args.size() == 1 && type_of(args[0]) == Type::I32 && data.edge_count >= 1));
        List cases { data.imm3 };
        if (f.lists().size(cases) == 0)
            return fail("switch without cases", block, inst);
        for (u32 target : f.lists().span(cases)) {
            if (target >= data.edge_count)
                return fail("switch case names no edge", block, inst);
        }
        return {};
    }
    case Op::Return: {
        Span<const Type> results = f.result_types();
        TRY(expect(args.size() == results.size() && data.edge_count == 0));
        for (u32 k = 0; k < args.size(); ++k)
            TRY(expect(type_of(args[k]) == results[k]));
        return {};
    }
    case Op::Trap: return expect(args.empty() && data.edge_count == 0);
    case Op::BoundsCheck:
        return expect(args.size() == 1 && (type_of(args[0]) == Type::I32 || type_of(args[0]) == Type::I64)
                      && data.result_count == 1 && data.type == Type::I64 && data.imm3 > 0
                      && (!m_module || data.imm2 < m_module->memories.size()));
    case Op::ReturnCall: return expect(data.edge_count == 0);
    case Op::RefTestDesc:
        return expect(args.size() == 2 && type_of(args[0]) == Type::AnyRef && type_of(args[1]) == Type::AnyRef
                      && data.type == Type::I32 && data.imm <= 1);
    case Op::ThrowRef: return expect(args.size() == 1 && type_of(args[0]) == Type::ExnRef && data.edge_count == 0);
    case Op::Throw:
        TRY(expect(data.edge_count == 0));
        if (m_module) {
            if (data.imm2 >= m_module->tags.size())
                return fail("throw of a tag out of range", block, inst);
            if (args.size() != m_module->func_params(m_module->tags[data.imm2].type_index).size())
                return fail("throw argument count differs from the tag's", block, inst);
        }
        return {};
    case Op::ReturnCallIndirect:
    case Op::CallIndirect: return expect(!args.empty() && (type_of(args.back()) == Type::I32 || type_of(args.back()) == Type::I64));
    case Op::ReturnCallRef:
    case Op::CallRef: return expect(!args.empty() && type_of(args.back()) == Type::FuncRef);
    default: return {};
    }
}

} // namespace

Result<void> verify(const Function& function, FormatSink* detail, const Module* module)
{
    Verifier verifier(function, detail, module);
    return verifier.run();
}

} // namespace wk::engine::opt
