#include <algorithm>

#include "base/format.h"
#include "engine/module.h"

namespace wk::engine {
namespace {

const char* heap_name(HeapKind heap)
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

void write_type(FormatSink& sink, ValType type)
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
    sink.write("(ref ");
    if (type.nullable)
        sink.write("null ");
    if (type.exact)
        sink.write("exact ");
    if (type.heap == HeapKind::Index)
        format_to(sink, "{})", type.index);
    else
        format_to(sink, "{})", heap_name(type.heap));
}

void write_types(FormatSink& sink, Span<const ValType> types)
{
    for (usize i = 0; i < types.size(); ++i) {
        if (i)
            sink.write(" ");
        write_type(sink, types[i]);
    }
}

const char* kind_name(ExternKind kind)
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

void write_limits(FormatSink& sink, const Limits& limits)
{
    format_to(sink, "{} min={}", limits.is_64 ? "i64" : "i32", limits.min);
    if (limits.has_max)
        format_to(sink, " max={}", limits.max);
    if (limits.is_shared)
        sink.write(" shared");
    if (limits.has_custom_page_size)
        format_to(sink, " pagesize=2^{}", static_cast<u32>(limits.page_size_log2));
}

// The name section lists functions in increasing index order.
StringView function_name(const Module& module, u32 index)
{
    const NameEntry* begin = module.function_names.begin();
    const NameEntry* end = module.function_names.end();
    const NameEntry* found = std::lower_bound(begin, end, index, [](const NameEntry& entry, u32 key) { return entry.index < key; });
    return found != end && found->index == index ? found->name : StringView {};
}

} // namespace

void dump_module(const Module& module, FormatSink& sink)
{
    format_to(sink, "module: {} bytes", module.bytes.size());
    if (!module.module_name.empty())
        format_to(sink, ", name \"{}\"", module.module_name);
    sink.write("\n");

    format_to(sink, "types: {} in {} rec groups\n", module.types.size(), module.rec_groups.size());
    for (u32 i = 0; i < module.types.size(); ++i) {
        const SubType& type = module.types[i];
        format_to(sink, "  type {}: ", i);
        if (!type.is_final)
            sink.write("sub ");
        if (type.supertype != kNoIndex)
            format_to(sink, "<: {} ", type.supertype);
        if (type.describes != kNoIndex)
            format_to(sink, "describes {} ", type.describes);
        if (type.descriptor != kNoIndex)
            format_to(sink, "descriptor {} ", type.descriptor);
        switch (type.kind) {
        case CompositeKind::Func:
            sink.write("func (");
            write_types(sink, module.func_params(i));
            sink.write(") -> (");
            write_types(sink, module.func_results(i));
            sink.write(")");
            break;
        case CompositeKind::Struct:
        case CompositeKind::Array: {
            sink.write(type.kind == CompositeKind::Struct ? "struct {" : "array {");
            auto fields = module.struct_fields(i);
            for (usize k = 0; k < fields.size(); ++k) {
                sink.write(k ? ", " : "");
                if (fields[k].is_mutable)
                    sink.write("mut ");
                write_type(sink, fields[k].type);
            }
            sink.write("}");
            break;
        }
        }
        sink.write("\n");
    }

    format_to(sink, "imports: {}\n", module.imports.size());
    for (const Import& import : module.imports)
        format_to(sink, "  {} \"{}\" \"{}\" -> {} {}\n", kind_name(import.kind), import.module, import.name,
                  kind_name(import.kind), import.index);

    for (u32 i = 0; i < module.tables.size(); ++i) {
        const Table& table = module.tables[i];
        format_to(sink, "table {}{}: ", i, table.is_imported ? " (imported)" : "");
        write_type(sink, table.element_type);
        sink.write(" ");
        write_limits(sink, table.limits);
        sink.write("\n");
    }
    for (u32 i = 0; i < module.memories.size(); ++i) {
        format_to(sink, "memory {}{}: ", i, module.memories[i].is_imported ? " (imported)" : "");
        write_limits(sink, module.memories[i].limits);
        sink.write("\n");
    }
    for (u32 i = 0; i < module.globals.size(); ++i) {
        const Global& global = module.globals[i];
        format_to(sink, "global {}{}: {}", i, global.is_imported ? " (imported)" : "", global.is_mutable ? "mut " : "");
        write_type(sink, global.type);
        sink.write("\n");
    }
    for (u32 i = 0; i < module.tags.size(); ++i)
        format_to(sink, "tag {}: type {}\n", i, module.tags[i].type_index);

    format_to(sink, "exports: {}\n", module.exports.size());
    for (const Export& entry : module.exports)
        format_to(sink, "  \"{}\" -> {} {}\n", entry.name, kind_name(entry.kind), entry.index);
    if (module.start != kNoIndex)
        format_to(sink, "start: function {}\n", module.start);

    static constexpr const char* kModes[] = { "active", "passive", "declarative" };
    format_to(sink, "elements: {}\n", module.elements.size());
    for (const ElementSegment& segment : module.elements) {
        format_to(sink, "  {} {} items", kModes[static_cast<u8>(segment.mode)], segment.item_count);
        if (segment.mode == SegmentMode::Active)
            format_to(sink, " table {}", segment.table);
        sink.write("\n");
    }
    format_to(sink, "data: {}", module.datas.size());
    if (module.has_data_count)
        format_to(sink, " (data count {})", module.data_count);
    sink.write("\n");
    for (const DataSegment& segment : module.datas) {
        format_to(sink, "  {} {} bytes", kModes[static_cast<u8>(segment.mode)], segment.data_size);
        if (segment.mode == SegmentMode::Active)
            format_to(sink, " memory {}", segment.memory);
        sink.write("\n");
    }

    format_to(sink, "functions: {} ({} imported)\n", module.functions.size(), module.imported_function_count);
    for (u32 i = 0; i < module.codes.size(); ++i) {
        u32 index = module.imported_function_count + i;
        const Code& code = module.codes[i];
        format_to(sink, "  func {}: type {}, {} locals, {} bytes", index, module.functions[index].type_index,
                  code.local_count, code.size);
        StringView name = function_name(module, index);
        if (!name.empty())
            format_to(sink, " \"{}\"", name);
        sink.write("\n");
    }
    format_to(sink, "custom sections: {}\n", module.custom_sections.size());
    for (const CustomSection& section : module.custom_sections)
        format_to(sink, "  \"{}\": {} bytes\n", section.name, section.size);
}

} // namespace wk::engine
