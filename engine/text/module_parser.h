#pragma once

#include <optional>
#include <string_view>

#include "base/leb128.h"
#include "base/result.h"
#include "base/vector.h"
#include "engine/module.h"
#include "engine/opcode.h"
#include "engine/text/lexer.h"
#include "engine/text/name_table.h"

namespace wk::engine::text {

// A value, storage or reference type as written, resolved to indices.
struct ValType {
    static constexpr u8 kRef = 0x64;
    u8 code { 0 };           // 0x7F..0x7B numeric/vector, 0x78/0x77 packed, kRef
    bool nullable { false };
    bool exact { false };
    bool heap_is_index { false };
    u32 heap { 0 };          // abstract heap type byte, or a type index

    bool operator==(ValType const&) const = default;
};

enum class Space : u8 { Type, Func, Table, Memory, Global, Tag, Elem, Data, Count };

// Helpers every part of the encoder shares.
inline Result<void> put(Vector<u8>& out, u8 byte) { return out.try_append(byte); }
inline bool is_index_token(Token const& token) { return token.kind == TokenKind::Id || token.kind == TokenKind::Number; }
// A name in the binary format: its byte length, then the bytes.
inline Result<void> put_name(Vector<u8>& out, std::string_view bytes)
{
    TRY(write_leb_u32(out, static_cast<u32>(bytes.size())));
    return out.try_extend(Span<u8 const>(reinterpret_cast<u8 const*>(bytes.data()), bytes.size()));
}

// Parses the fields of one text module and encodes it in the binary format.
// Three passes over the same tokens: bind every identifier, parse the type
// definitions, then everything else in order, appending to per-section buffers.
class ModuleParser : private AnnotationSink {
public:
    ModuleParser(Lexer& lexer, Features features);
    ~ModuleParser();
    // Function `$id`s become name-section function names (wat_to_wasm_with_names).
    void set_function_names(bool on) { m_function_names = on; }

    // The lexer is positioned at the first field; fields end at `)` (consumed
    // when `closed`) or at the end of input.
    Result<Vector<u8>> parse(bool closed);

private:
    struct TypeInfo {
        u8 kind { 0x60 };          // 0x60 func, 0x5F struct, 0x5E array
        bool plain { false };      // a final, supertype-less func type alone in its rec group
        u32 params_begin { 0 };    // into m_valtypes
        u32 param_count { 0 };
        u32 result_count { 0 };
    };
    struct FieldPosition {
        u32 offset;                // of the field's `(`
        u8 kind;                   // FieldKind
    };
    struct Label {
        std::string_view name;
        bool has_name;
        u32 shadowed;              // index of the label this one hides, or kNoLabel
    };
    static constexpr u32 kNoLabel = ~u32 { 0 };
    enum AnnotationKind : u8 { kAnnotationCustom, kAnnotationName, kAnnotationBranchHint };
    struct BranchHint {
        u8 value;                  // 0 unlikely, 1 likely
        u32 offset;                // of the annotation, for errors
    };
    struct Annotation {
        u32 begin;
        u32 body;
        u32 end;
        AnnotationKind kind;
        bool top_level;
        bool placed;               // @name: directly after a field keyword and id
        Space space;               // @name: what it names
        u32 index;
    };
    struct CustomSection {
        std::string_view name;
        Vector<u8> bytes;
        u8 anchor;                 // section id; 0 with `after` = last, 0 with `before` = first
        bool after;
    };
    struct TypeUse {
        std::optional<u32> index;
        bool has_inline { false };
        u32 inline_begin { 0 };    // into m_valtypes
        u32 param_count { 0 };
        u32 result_count { 0 };
    };

    void on_annotation(std::string_view id, u32 begin, u32 body, u32 end) override;

    // Tokens.
    Result<Token> next();
    Result<Token> peek();
    bool is_keyword(Token const& token, std::string_view keyword) const;
    Result<bool> peek_keyword(std::string_view keyword);
    Result<bool> peek_field(std::string_view keyword);
    Result<void> expect_lparen();
    Result<void> expect_rparen();
    Result<void> expect_keyword(std::string_view keyword);
    Result<void> skip_to_close();
    Result<std::string_view> id_name(Token const& token);
    Result<std::optional<std::string_view>> maybe_id();
    Result<std::string_view> parse_string_bytes(Token const& token);
    Result<std::string_view> parse_name();
    Result<u32> parse_u32();
    Result<u64> parse_u64();
    Error unexpected(Token const& token) const;

    // Pass 1.
    Result<void> bind_fields(bool closed);
    Result<void> bind_in_field(Token const& keyword, u32 field_offset);
    Result<void> bind(Space space, std::optional<std::string_view> name, u32 offset);
    Result<void> note_import(Space space, u32 offset);
    Result<void> note_definition(Space space);

    // Pass 2: types.
    Result<void> parse_type_field(bool in_rec);
    Result<bool> parse_sub_header(u32 type_index, bool is_sub, bool in_rec);
    Result<void> parse_func_type(u32 type_index, bool final);
    Result<void> parse_struct_type(u32 type_index);
    Result<void> parse_array_type(u32 type_index);
    Result<void> parse_rec();
    Result<void> parse_subtype(std::string_view type_name);
    Result<ValType> parse_valtype();
    Result<ValType> parse_reftype();
    Result<ValType> parse_storagetype();
    Result<bool> try_heaptype(Token const& token, ValType& type);
    Result<void> parse_heaptype(ValType& type);
    Result<void> encode_valtype(Vector<u8>& out, ValType const& type);
    Result<void> encode_heaptype(Vector<u8>& out, ValType const& type);

    // Pass 3: fields.
    Result<void> parse_field(Token const& keyword);
    Result<void> parse_import();
    Result<void> parse_export();
    Result<void> parse_func();
    Result<void> parse_table();
    Result<void> parse_memory();
    Result<void> parse_global();
    Result<void> parse_tag();
    Result<void> parse_elem();
    Result<void> parse_data();
    Result<void> parse_start();
    Result<void> parse_inline_exports(u8 kind, u32 index);
    Result<bool> parse_inline_import(u8 kind);
    Result<void> encode_import_desc(Vector<u8>& out, u8 kind);
    Result<u32> parse_limit_u32();
    Result<void> parse_limits(Vector<u8>& out, bool is64, u8 extra_flags);
    Result<void> parse_memtype(Vector<u8>& out);
    Result<void> parse_tabletype(Vector<u8>& out);
    Result<void> parse_globaltype(Vector<u8>& out);
    Result<void> parse_data_strings(Vector<u8>& bytes);
    Result<void> parse_elem_list(Vector<u8>& out, bool allow_bare_funcs, u8& flags_out, ValType& type);

    // Type uses.
    Result<TypeUse> parse_typeuse(bool bind_param_names);
    Result<u32> resolve_typeuse(TypeUse const& use, u32 offset);
    Result<u32> find_or_add_func_type(u32 begin, u32 param_count, u32 result_count);
    Result<void> remember_signature(usize entry_start, u32 type_index);
    Result<void> parse_params_results(TypeUse& use, bool bind_param_names, bool allow_params);

    // Instructions. Nesting lives in m_frames, not on the native stack.
    struct Frame {
        enum Kind : u8 {
            FlatBlock,          // block/loop/if/try/try_table ... end
            FoldedBlock,        // (block ...), (loop ...), (try_table ...)
            FoldedIfConditions, // (if label bt cond* ...: before (then
            FoldedIfThen,
            FoldedIfElse,
            FoldedTryDo,
            FoldedTryHandlers,  // between the handler clauses of a folded try
            FoldedTryCatch,
            FoldedPlain,        // (op immediates operand*)
        };
        explicit Frame(Kind k)
            : kind(k)
        {
        }
        Kind kind;
        u8 opcode { 0 };
        bool has_label { false };
        bool seen_else { false };
        bool any_catch { false };
        bool catch_all { false };
        bool is_br_if { false };
        std::optional<BranchHint> hint;
        std::string_view label;
        usize mark { 0 };         // FoldedPlain: start of its bytes in m_pending_ops
    };
    Result<void> parse_expr(Vector<u8>& out);               // instrs up to `)`, then `end`
    Result<void> parse_instrs(Vector<u8>& out);             // up to `)` or end of input
    Result<void> parse_folded(Vector<u8>& out);             // one folded instruction
    Result<void> run_instrs(Vector<u8>& out, bool single_folded);
    Result<void> start_folded(Vector<u8>& out);
    Result<void> start_flat(Vector<u8>& out, Token const& keyword, std::optional<BranchHint> hint);
    Result<void> continue_flat(Vector<u8>& out, Token const& keyword);
    Result<void> close_frame(Vector<u8>& out);
    Result<void> parse_blocktype(Vector<u8>& out);
    Result<void> parse_immediates(Vector<u8>& out, Opcode opcode, Token const& keyword);
    Result<void> parse_control_immediates(Vector<u8>& out, ImmKind imm);
    Result<void> parse_table_memory_immediates(Vector<u8>& out, ImmKind imm);
    Result<void> parse_memory_access_immediates(Vector<u8>& out, OpcodeInfo const& info);
    Result<void> parse_simd_immediates(Vector<u8>& out, ImmKind imm);
    Result<void> parse_number_immediates(Vector<u8>& out, ImmKind imm);
    Result<void> parse_type_immediates(Vector<u8>& out, ImmKind imm);
    Result<void> parse_memarg(Vector<u8>& out, OpcodeInfo const& info, u32 memory);
    Result<void> parse_catch_clauses(Vector<u8>& out);
    Result<void> end_label_check(std::string_view label, bool has_label);
    Result<u32> parse_index(Space space);
    Result<std::optional<u32>> maybe_index(Space space);
    Result<u32> parse_label();
    Result<u32> parse_local();
    Result<void> push_label(std::optional<std::string_view> name);
    Result<void> pop_label();
    void clear_labels();
    Result<void> emit_opcode(Vector<u8>& out, OpcodeInfo const& info);
    Result<void> parse_const_lanes(Vector<u8>& out);
    Result<void> mark_name_slot(Space space, u32 index);
    Result<void> check_annotations(u32 first_field_offset);
    Result<void> parse_custom_annotation(Annotation const& annotation);
    Result<std::optional<BranchHint>> take_branch_hint(u32 before_offset);
    Result<void> apply_branch_hint(std::optional<BranchHint> hint, usize opcode_offset);
    void reject_hint_target(std::optional<BranchHint> hint);
    Result<void> finish_function_hints(u32 func_index);
    Result<void> emit_name_section(Vector<u8>& out);
    Result<void> put_function_ids(Vector<u8>& entries, u32& count);

    Result<void> emit_section(Vector<u8>& out, u8 id, Vector<u8> const& body, u32 count, bool with_count);
    Result<void> emit_custom_sections(Vector<u8>& out, u8 placement_kind, bool after);
    Result<Vector<u8>> assemble();

    Lexer& m_lexer;
    Features m_features;
    Vector<Frame> m_frames;
    Vector<u8> m_pending_blocktypes; // folded `if` block types waiting for their `then`
    Vector<usize> m_pending_blocktype_begins;
    Vector<u8> m_pending_ops;        // folded instructions waiting for their operands

    NameTable m_names[static_cast<usize>(Space::Count)];
    bool m_function_names { false };
    u32 m_bound[static_cast<usize>(Space::Count)] {};
    u32 m_defined_or_imported[static_cast<usize>(Space::Count)] {};
    bool m_definition_seen[static_cast<usize>(Space::Count)] {};
    std::optional<Space> m_last_definition;

    NameTable m_field_names;
    NameTable m_locals;
    u32 m_local_count { 0 };
    Vector<Label> m_labels;
    NameTable m_label_names;         // name -> innermost label with it, or kNoLabel
    NameTable m_signatures;          // encoded plain func type -> its first type index
    Vector<Vector<u8>> m_decoded_names;
    Vector<FieldPosition> m_fields;

    Vector<TypeInfo> m_type_infos;
    Vector<ValType> m_valtypes;
    Vector<ValType> m_scratch_types;
    u32 m_explicit_type_count { 0 };
    u32 m_type_entries { 0 };

    Vector<u8> m_types;
    Vector<u8> m_imports;
    Vector<u8> m_funcs;
    Vector<u8> m_tables;
    Vector<u8> m_memories;
    Vector<u8> m_globals;
    Vector<u8> m_tags;
    Vector<u8> m_exports;
    Vector<u8> m_elems;
    Vector<u8> m_codes;
    Vector<u8> m_datas;
    u32 m_import_count { 0 };
    u32 m_func_count { 0 };
    u32 m_table_count { 0 };
    u32 m_memory_count { 0 };
    u32 m_global_count { 0 };
    u32 m_tag_count { 0 };
    u32 m_export_count { 0 };
    u32 m_elem_count { 0 };
    u32 m_code_count { 0 };
    u32 m_data_count { 0 };
    std::optional<u32> m_start;
    bool m_uses_data_count { false };
    Vector<std::string_view> m_export_names;
    NameTable m_export_table;

    Vector<Annotation> m_annotations;
    u32 m_last_annotation_end { 0 };
    bool m_recording { false };
    bool m_top_level { false };
    Vector<CustomSection> m_customs;
    Vector<u32> m_hint_offsets;     // indices into m_annotations of the branch hints, in order
    usize m_hint_cursor { 0 };
    Vector<u8> m_function_hints;    // entries of the function being parsed
    u32 m_function_hint_count { 0 };
    Vector<u8> m_branch_hints;      // the metadata.code.branch_hint section body
    u32 m_branch_hint_functions { 0 };
    // A hint on an instruction other than `if`/`br_if` makes the module invalid
    // (not malformed), so it is reported once the whole module has parsed.
    std::optional<u32> m_misplaced_hint;
    bool m_in_function { false };
};

} // namespace wk::engine::text
