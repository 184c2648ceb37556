#pragma once

#include "base/result.h"
#include "base/span.h"
#include "base/string_view.h"
#include "base/vector.h"
#include "engine/types.h"

namespace wk {
class FormatSink;
}

namespace wk::engine {

enum class CompositeKind : u8 { Func, Struct, Array };

struct FieldType {
    ValType type; // a storage type: value type, I8 or I16
    bool is_mutable { false };
};

// One entry of the type section (a sub type inside its rec group). Parameters,
// results and fields live in Module's pools; the ranges below index them.
struct SubType {
    CompositeKind kind { CompositeKind::Func };
    bool is_final { true };
    u32 supertype_count { 0 };  // valid modules have at most one
    u32 supertype { kNoIndex };
    u32 describes { kNoIndex }; // custom descriptors: the type this one describes
    u32 descriptor { kNoIndex };
    u32 rec_group { 0 };
    u32 first { 0 };            // Func: Module::value_types; Struct/Array: Module::fields
    u32 param_count { 0 };      // Func only
    u32 result_count { 0 };     // Func only
    u32 field_count { 0 };      // Struct: the fields; Array: 1
    u32 offset { 0 };           // byte offset of the definition in the input
    u32 depth { 0 };            // supertype chain length, filled by validate_module
};

struct RecGroup {
    u32 first_type { 0 };
    u32 size { 0 };
};

struct Limits {
    u64 min { 0 };
    u64 max { 0 };
    bool has_max { false };
    bool is_shared { false };
    bool is_64 { false };          // address type i64 (memory64 / table64)
    u8 page_size_log2 { 16 };      // memories only; custom-page-sizes allows 0
    bool has_custom_page_size { false };
};

// Bytes of the input holding a constant expression, including its final `end`.
struct ConstExpr {
    u32 offset { 0 };
    u32 size { 0 };
    constexpr bool is_present() const { return size != 0; }
};

enum class ExternKind : u8 { Func = 0, Table = 1, Memory = 2, Global = 3, Tag = 4 };

struct Function {
    u32 type_index { 0 };
    bool is_imported { false };
    bool is_exact { false }; // imported with an exact type (custom descriptors)
};

struct Table {
    ValType element_type;
    Limits limits;
    ConstExpr init; // absent: the table starts out null-filled
    bool is_imported { false };
    u32 offset { 0 };
};

struct Memory {
    Limits limits;
    bool is_imported { false };
    u32 offset { 0 };
};

struct Global {
    ValType type;
    bool is_mutable { false };
    ConstExpr init; // absent for imports
    bool is_imported { false };
    u32 offset { 0 };
};

struct Tag {
    u32 type_index { 0 };
    bool is_imported { false };
    u32 offset { 0 };
};

struct Import {
    StringView module;
    StringView name;
    ExternKind kind { ExternKind::Func };
    u32 index { 0 }; // into functions/tables/memories/globals/tags
    u32 offset { 0 };
};

struct Export {
    StringView name;
    ExternKind kind { ExternKind::Func };
    u32 index { 0 };
    u32 offset { 0 };
};

enum class SegmentMode : u8 { Active, Passive, Declarative };

struct ElementSegment {
    SegmentMode mode { SegmentMode::Passive };
    u32 table { 0 };
    ConstExpr offset_expr;
    ValType type;
    // Items are function indices (Module::element_functions) for the legacy
    // encodings, constant expressions (Module::element_exprs) otherwise.
    bool uses_exprs { false };
    u32 first_item { 0 };
    u32 item_count { 0 };
    u32 offset { 0 };
};

struct DataSegment {
    SegmentMode mode { SegmentMode::Passive };
    u32 memory { 0 };
    ConstExpr offset_expr;
    u32 data_offset { 0 }; // the bytes, in the input
    u32 data_size { 0 };
    u32 offset { 0 };
};

struct LocalRun {
    u32 count { 0 };
    ValType type;
};

// A function body: locals in Module::locals, instructions as bytes of the input.
struct Code {
    u32 offset { 0 };       // start of the body (after its size)
    u32 size { 0 };
    u32 code_offset { 0 };  // first instruction
    u32 first_local_run { 0 };
    u32 local_run_count { 0 };
    u32 local_count { 0 };  // declared locals, parameters not included
};

struct CustomSection {
    StringView name;
    u32 offset { 0 }; // contents, after the name
    u32 size { 0 };
};

struct NameEntry {
    u32 index { 0 };
    StringView name;
};

struct LocalNameEntry {
    u32 function { 0 };
    u32 local { 0 };
    StringView name;
};

// Rules that differ between the 3.0 core suite and the proposals in
// ../shared/testsuite/proposals, which predate or extend it. The defaults
// accept every proposal where that only adds programs; for_suite_path() picks
// the rules of one suite directory (for the spec runner).
struct Features {
    bool custom_page_sizes { true };  // memory limits flag 0x08 and a page size
    bool custom_descriptors { true }; // describes/descriptor clauses, exact function imports
    bool relaxed_casts { false };     // br_on_cast target need only share the source's hierarchy
    bool multiple_memories { true };  // more than one memory and table (off: the old threads suite)
    // Text format: limits of 32-bit memories and tables are u64 literals that
    // validation range-checks, as since memory64. Off: u32 literals, and a larger
    // one is malformed ("i32 constant out of range", the old threads suite).
    bool u64_text_limits { true };

    // The 3.0 core suite (top level, custom/, legacy/).
    static constexpr Features core()
    {
        return { .custom_page_sizes = false, .custom_descriptors = false };
    }

    static constexpr Features for_suite_path(StringView path)
    {
        if (path.find("proposals/custom-descriptors") != StringView::npos)
            return { .custom_page_sizes = false, .relaxed_casts = true };
        if (path.find("proposals/custom-page-sizes") != StringView::npos)
            return { .custom_descriptors = false };
        if (path.find("proposals/threads") != StringView::npos)
            return { .custom_page_sizes = false,
                     .custom_descriptors = false,
                     .multiple_memories = false,
                     .u64_text_limits = false };
        if (path.find("proposals/") != StringView::npos)
            return {};
        return core();
    }
};

// The decoded module. It refers into the input bytes (names, expressions, code),
// which must outlive it. Index spaces list imports first.
struct Module {
    ReadonlyBytes bytes;
    Features features;

    Vector<RecGroup> rec_groups;
    Vector<SubType> types;
    Vector<ValType> value_types; // function parameters and results
    Vector<FieldType> fields;    // struct and array fields

    Vector<Import> imports;
    Vector<Function> functions;
    Vector<Table> tables;
    Vector<Memory> memories;
    Vector<Global> globals;
    Vector<Tag> tags;
    Vector<Export> exports;
    u32 start { kNoIndex };
    u32 start_offset { 0 };
    Vector<ElementSegment> elements;
    Vector<u32> element_functions;
    Vector<ConstExpr> element_exprs;
    Vector<DataSegment> datas;
    bool has_data_count { false };
    u32 data_count { 0 };
    Vector<Code> codes;
    Vector<LocalRun> locals;
    Vector<CustomSection> custom_sections;

    u32 imported_function_count { 0 };
    u32 imported_table_count { 0 };
    u32 imported_memory_count { 0 };
    u32 imported_global_count { 0 };
    u32 imported_tag_count { 0 };

    // From the "name" custom section, when present and well-formed.
    StringView module_name;
    Vector<NameEntry> function_names;
    Vector<LocalNameEntry> local_names;

    // Filled by validate_module: canonical[i] is the smallest type index whose
    // rec group and position are iso-recursively equal to type i's.
    Vector<u32> canonical;
    // Filled by validate_module: functions referenced outside function bodies
    // (exports, element segments, globals), which ref.func may name.
    Vector<bool> declared_functions;
    // Set by validate_module when it fails inside a function body: that
    // function's index; kNoIndex otherwise.
    u32 invalid_function { kNoIndex };
    // Instruction groups the validator met in the function bodies, for compilers that refuse
    // them: lazy compilation (engine/compile/tier.h, CompileOptions::lazy) compiles such a
    // module eagerly, so that the refusal is an error at load as without it.
    bool uses_gc_instructions { false };
    bool uses_legacy_exceptions { false };
    bool uses_atomic_wait_notify { false };

    Span<const ValType> func_params(u32 type_index) const
    {
        const SubType& type = types[type_index];
        return Span<const ValType>(value_types.data() + type.first, type.param_count);
    }
    Span<const ValType> func_results(u32 type_index) const
    {
        const SubType& type = types[type_index];
        return Span<const ValType>(value_types.data() + type.first + type.param_count, type.result_count);
    }
    Span<const FieldType> struct_fields(u32 type_index) const
    {
        const SubType& type = types[type_index];
        return Span<const FieldType>(fields.data() + type.first, type.field_count);
    }
    Span<const LocalRun> local_runs(const Code& code) const
    {
        return Span<const LocalRun>(locals.data() + code.first_local_run, code.local_run_count);
    }
    ReadonlyBytes slice(u32 offset, u32 size) const { return bytes.subspan(offset, size); }
};

// Decodes the binary format. Function bodies are kept as byte ranges; their
// instructions are decoded (and malformed ones reported) by validate_module.
// Errors are ErrorKind::Malformed with the byte offset of the problem.
Result<Module> decode_module(ReadonlyBytes bytes, Features features = {});

// Validates a decoded module under the features it was decoded with, filling Module::canonical and ::declared_functions.
// Type errors are ErrorKind::Invalid; malformed instructions inside function
// bodies are ErrorKind::Malformed. Both carry a byte offset.
Result<void> validate_module(Module& module);

// Sections, types, imports, exports and function sizes, for `wasmkern dump`.
void dump_module(const Module& module, FormatSink& sink);

} // namespace wk::engine
