#include "hosted/module_printer.h"

#include "base/format.h"
#include "base/leb128.h"

namespace wk::hosted {

using namespace engine;

namespace {

StringView section_name(u8 id)
{
    static constexpr StringView kNames[] = { "custom", "type", "import", "function", "table", "memory", "global",
        "export", "start", "element", "code", "data", "datacount", "tag" };
    return id < sizeof kNames / sizeof kNames[0] ? kNames[id] : "unknown";
}

StringView heap_name(HeapKind heap)
{
    switch (heap) {
    case HeapKind::Func: return "func";
    case HeapKind::NoFunc: return "nofunc";
    case HeapKind::Extern: return "extern";
    case HeapKind::NoExtern: return "noextern";
    case HeapKind::Any: return "any";
    case HeapKind::Eq: return "eq";
    case HeapKind::I31: return "i31";
    case HeapKind::Struct: return "struct";
    case HeapKind::Array: return "array";
    case HeapKind::None: return "none";
    case HeapKind::Exn: return "exn";
    case HeapKind::NoExn: return "noexn";
    case HeapKind::Index: return "index";
    case HeapKind::Bottom: return "bot";
    }
    return "?";
}

void print_type(FormatSink& sink, ValType type)
{
    switch (type.kind) {
    case ValKind::I32: sink.write("i32"); return;
    case ValKind::I64: sink.write("i64"); return;
    case ValKind::F32: sink.write("f32"); return;
    case ValKind::F64: sink.write("f64"); return;
    case ValKind::V128: sink.write("v128"); return;
    case ValKind::I8: sink.write("i8"); return;
    case ValKind::I16: sink.write("i16"); return;
    case ValKind::Bottom: sink.write("bot"); return;
    case ValKind::Ref: break;
    }
    sink.write(type.nullable ? "(ref null " : "(ref ");
    if (type.heap == HeapKind::Index)
        format_to(sink, type.exact ? "(exact {})" : "{}", type.index);
    else
        sink.write(heap_name(type.heap));
    sink.write(")");
}

void print_types(FormatSink& sink, StringView keyword, Span<ValType const> types)
{
    if (types.empty())
        return;
    format_to(sink, " ({}", keyword);
    for (ValType type : types) {
        sink.write(" ");
        print_type(sink, type);
    }
    sink.write(")");
}

void print_limits(FormatSink& sink, Limits const& limits)
{
    format_to(sink, "{}min {}", limits.is_64 ? "i64 " : "", limits.min);
    if (limits.has_max)
        format_to(sink, " max {}", limits.max);
    if (limits.is_shared)
        sink.write(" shared");
    if (limits.has_custom_page_size)
        format_to(sink, " pagesize {}", u64 { 1 } << limits.page_size_log2);
}

StringView extern_name(ExternKind kind)
{
    switch (kind) {
    case ExternKind::Func: return "func";
    case ExternKind::Table: return "table";
    case ExternKind::Memory: return "memory";
    case ExternKind::Global: return "global";
    case ExternKind::Tag: return "tag";
    }
    return "?";
}

// Walks the section headers again: Module keeps contents, not the layout.
void print_sections(FormatSink& sink, ReadonlyBytes bytes)
{
    sink.write("sections:\n");
    usize cursor = 8;
    while (cursor < bytes.size()) {
        usize start = cursor;
        u8 id = bytes[cursor++];
        auto size = read_leb_u32(bytes, cursor);
        if (!size || *size > bytes.size() - cursor) {
            format_to(sink, "  {:#010x} {} (truncated)\n", start, section_name(id));
            return;
        }
        format_to(sink, "  {:#010x} {:<10} id {:>2} size {}\n", start, section_name(id), id, *size);
        cursor += *size;
    }
}

StringView function_name(Module const& module, u32 index)
{
    for (NameEntry const& entry : module.function_names) {
        if (entry.index == index)
            return entry.name;
    }
    return {};
}

void print_sub_type(FormatSink& sink, Module const& module, u32 index)
{
    SubType const& type = module.types[index];
    format_to(sink, "  type[{}]", index);
    if (module.rec_groups.size() > type.rec_group && module.rec_groups[type.rec_group].size > 1)
        format_to(sink, " rec[{}]", type.rec_group);
    sink.write(" ");
    bool sub = !type.is_final || type.supertype_count > 0;
    if (sub) {
        sink.write(type.is_final ? "(sub final" : "(sub");
        if (type.supertype != kNoIndex)
            format_to(sink, " {}", type.supertype);
        sink.write(" ");
    }
    switch (type.kind) {
    case CompositeKind::Func:
        sink.write("(func");
        print_types(sink, "param", module.func_params(index));
        print_types(sink, "result", module.func_results(index));
        break;
    case CompositeKind::Struct:
    case CompositeKind::Array:
        sink.write(type.kind == CompositeKind::Struct ? "(struct" : "(array");
        for (FieldType const& field : module.struct_fields(index)) {
            sink.write(field.is_mutable ? " (mut " : " ");
            print_type(sink, field.type);
            if (field.is_mutable)
                sink.write(")");
        }
        break;
    }
    sink.write(sub ? "))\n" : ")\n");
}

} // namespace

void print_module(Module const& module, FormatSink& sink)
{
    print_sections(sink, module.bytes);

    format_to(sink, "types: {}\n", module.types.size());
    for (u32 i = 0; i < module.types.size(); ++i)
        print_sub_type(sink, module, i);

    format_to(sink, "imports: {}\n", module.imports.size());
    for (u32 i = 0; i < module.imports.size(); ++i) {
        Import const& import = module.imports[i];
        format_to(sink, "  import[{}] \"{}\" \"{}\" {}[{}]", i, import.module, import.name, extern_name(import.kind),
                  import.index);
        if (import.kind == ExternKind::Func && import.index < module.functions.size())
            format_to(sink, " type {}", module.functions[import.index].type_index);
        sink.write("\n");
    }

    format_to(sink, "functions: {} ({} imported)\n", module.functions.size(), module.imported_function_count);
    for (u32 i = module.imported_function_count; i < module.functions.size(); ++i) {
        format_to(sink, "  func[{}] type {}", i, module.functions[i].type_index);
        u32 body = i - module.imported_function_count;
        if (body < module.codes.size()) {
            Code const& code = module.codes[body];
            format_to(sink, " size {} locals {}", code.size, code.local_count);
        }
        StringView name = function_name(module, i);
        if (!name.empty())
            format_to(sink, " <{}>", name);
        sink.write("\n");
    }

    format_to(sink, "tables: {}\n", module.tables.size());
    for (u32 i = 0; i < module.tables.size(); ++i) {
        format_to(sink, "  table[{}] ", i);
        print_type(sink, module.tables[i].element_type);
        sink.write(" ");
        print_limits(sink, module.tables[i].limits);
        sink.write(module.tables[i].is_imported ? " imported\n" : "\n");
    }
    format_to(sink, "memories: {}\n", module.memories.size());
    for (u32 i = 0; i < module.memories.size(); ++i) {
        format_to(sink, "  memory[{}] ", i);
        print_limits(sink, module.memories[i].limits);
        sink.write(module.memories[i].is_imported ? " imported\n" : "\n");
    }
    format_to(sink, "globals: {}\n", module.globals.size());
    for (u32 i = 0; i < module.globals.size(); ++i) {
        Global const& global = module.globals[i];
        format_to(sink, "  global[{}] {}", i, global.is_mutable ? "mut " : "");
        print_type(sink, global.type);
        sink.write(global.is_imported ? " imported\n" : "\n");
    }
    format_to(sink, "tags: {}\n", module.tags.size());
    for (u32 i = 0; i < module.tags.size(); ++i)
        format_to(sink, "  tag[{}] type {}{}\n", i, module.tags[i].type_index,
                  module.tags[i].is_imported ? " imported" : "");

    format_to(sink, "exports: {}\n", module.exports.size());
    for (Export const& export_ : module.exports)
        format_to(sink, "  \"{}\" {}[{}]\n", export_.name, extern_name(export_.kind), export_.index);
    if (module.start != kNoIndex)
        format_to(sink, "start: func[{}]\n", module.start);
    format_to(sink, "elements: {}\n", module.elements.size());
    format_to(sink, "data: {}\n", module.datas.size());
    format_to(sink, "custom sections: {}\n", module.custom_sections.size());
    for (CustomSection const& custom : module.custom_sections)
        format_to(sink, "  \"{}\" offset {:#x} size {}\n", custom.name, custom.offset, custom.size);
}

} // namespace wk::hosted
