#include "engine/opt/printer.h"
#include "base/format.h"
#include "engine/platform.h"

namespace wk::engine::opt {

namespace {

void print_values(const Function& function, FormatSink& sink, Span<const u32> values)
{
    for (u32 k = 0; k < values.size(); ++k)
        format_to(sink, "{}v{}", k ? ", " : "", values[k]);
}

void print_edge(const Function& function, FormatSink& sink, u32 edge)
{
    format_to(sink, "block{}", function.edge(edge).to);
    Span<const u32> args = function.edge_args(edge);
    if (!args.empty()) {
        sink.write("(");
        print_values(function, sink, args);
        sink.write(")");
    }
}

void print_const(FormatSink& sink, Type type, u64 bits)
{
    switch (type) {
    case Type::I32: format_to(sink, "const.i32 {}", static_cast<i32>(static_cast<u32>(bits))); return;
    case Type::I64: format_to(sink, "const.i64 {}", static_cast<i64>(bits)); return;
    case Type::F32: format_to(sink, "const.f32 {:#x}", bits); return;
    default: format_to(sink, "const.{} {:#x}", type_name(type), bits); return;
    }
}

void print_inst(const Function& function, FormatSink& sink, Inst inst)
{
    const InstData& data = function.inst(inst);
    sink.write("    ");
    if (data.result_count > 0) {
        for (u32 k = 0; k < data.result_count; ++k)
            format_to(sink, "{}v{}", k ? ", " : "", data.first_result + k);
        sink.write(" = ");
    }
    Span<const u32> args = function.args(inst);
    switch (data.op) {
    case Op::Const: print_const(sink, data.type, data.imm); break;
    case Op::Call:
    case Op::ReturnCall:
        format_to(sink, "{} f{}(", op_name(data.op), data.imm2);
        print_values(function, sink, args);
        sink.write(")");
        break;
    case Op::CallIndirect:
    case Op::ReturnCallIndirect:
        format_to(sink, "{} type{} table{} (", op_name(data.op), data.imm2, data.imm3);
        print_values(function, sink, args);
        sink.write(")");
        break;
    case Op::CallRef:
    case Op::ReturnCallRef:
        format_to(sink, "{} type{} (", op_name(data.op), data.imm2);
        print_values(function, sink, args);
        sink.write(")");
        break;
    case Op::Throw:
        format_to(sink, "throw tag{} (", data.imm2);
        print_values(function, sink, args);
        sink.write(")");
        break;
    case Op::Trap:
        if (data.imm == static_cast<u64>(TrapKind::Unreachable))
            sink.write("trap unreachable");
        else
            format_to(sink, "trap kind{}", data.imm);
        break;
    case Op::Switch: {
        format_to(sink, "switch v{}, [", args[0]);
        for (u32 e = 0; e < data.edge_count; ++e) {
            if (e)
                sink.write(", ");
            print_edge(function, sink, data.first_edge + e);
        }
        sink.write("], cases");
        for (u32 target : function.lists().span(List { data.imm3 }))
            format_to(sink, " {}", target);
        break;
    }
    default: {
        sink.write(op_name(data.op));
        if (data.op == Op::RefNull || data.op == Op::Select)
            format_to(sink, ".{}", type_name(data.type));
        if (!args.empty())
            sink.write(" ");
        print_values(function, sink, args);
        if (data.op == Op::RefTest || data.op == Op::RefTestDesc)
            format_to(sink, " target={}", data.imm);
        if (data.op == Op::BoundsCheck)
            format_to(sink, " base={} span={} mem={}", data.imm, data.imm3, data.imm2);
        const OpInfo& info = op_info(data.op);
        if (info.is_wasm && opcode_info(info.wasm).imm == ImmKind::MemArg) {
            format_to(sink, " offset={} mem={}", data.imm, data.imm2);
            if (data.flags & kGuarded)
                sink.write(" guarded");
            if (data.flags & kChecked)
                sink.write(" checked");
        } else if (data.op == Op::GlobalGet || data.op == Op::GlobalSet) {
            format_to(sink, " g{}", data.imm2);
        } else if (info.is_wasm && opcode_info(info.wasm).imm != ImmKind::None && data.op != Op::RefNull
                   && data.op != Op::Select && data.op != Op::RefTest) {
            format_to(sink, " [{}, {}]", data.imm2, data.imm3);
        }
        for (u32 e = 0; e < data.edge_count; ++e) {
            sink.write(e || !args.empty() ? ", " : " ");
            print_edge(function, sink, data.first_edge + e);
        }
        break;
    }
    }
    sink.write("\n");
}

} // namespace

void print_function(const Function& function, FormatSink& sink)
{
    format_to(sink, "function {} -> (", function.wasm_index());
    for (u32 k = 0; k < function.result_types().size(); ++k)
        format_to(sink, "{}{}", k ? ", " : "", type_name(function.result_types()[k]));
    sink.write(")\n");
    for (Block block : function.layout()) {
        format_to(sink, "block{}", block);
        Span<const u32> params = function.params(block);
        if (!params.empty()) {
            sink.write("(");
            for (u32 k = 0; k < params.size(); ++k)
                format_to(sink, "{}v{}: {}", k ? ", " : "", params[k], type_name(function.value(params[k]).type));
            sink.write(")");
        }
        sink.write(":\n");
        for (Inst inst : function.insts(block))
            print_inst(function, sink, inst);
    }
}

Result<String> function_to_string(const Function& function)
{
    StringBuilder builder;
    print_function(function, builder);
    if (builder.has_failed())
        return Error::out_of_memory();
    return builder.to_string();
}

} // namespace wk::engine::opt
