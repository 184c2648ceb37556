#include "engine/binary/instruction.h"
#include "engine/binary/limits.h"
#include "engine/binary/reader.h"
#include "engine/module.h"

namespace wk::engine {
namespace {

// A count that must stay within an engine limit (engine/binary/limits.h); `message`
// names the limit.
Result<void> within(u64 count, u64 limit, const char* message, usize offset)
{
    if (count > limit) [[unlikely]]
        return Error::malformed(message, offset);
    return {};
}

enum SectionId : u8 {
    Custom = 0,
    TypeSection = 1,
    ImportSection = 2,
    FunctionSection = 3,
    TableSection = 4,
    MemorySection = 5,
    GlobalSection = 6,
    ExportSection = 7,
    StartSection = 8,
    ElementSection = 9,
    CodeSection = 10,
    DataSection = 11,
    DataCountSection = 12,
    TagSection = 13,
};

// Position of each known section in the required order (tag sits between
// memory and global, data count between element and code).
constexpr u8 section_rank(u8 id)
{
    constexpr u8 kRanks[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6 };
    return kRanks[id];
}

// Room for `extra` more elements, growing geometrically so that repeated
// calls (one per function, per type) stay linear overall.
template<typename T>
Result<void> reserve(Vector<T>& vector, usize extra)
{
    usize needed = vector.size() + extra;
    if (needed <= vector.capacity())
        return {};
    usize doubled = vector.capacity() * 2;
    return vector.try_reserve(needed > doubled ? needed : doubled);
}

class Decoder {
public:
    Decoder(ReadonlyBytes bytes, Features features)
        : m_bytes(bytes)
    {
        m_module.bytes = bytes;
        m_module.features = features;
    }

    Result<Module> decode()
    {
        auto result = decode_sections();
        if (!result && !m_module.codes.is_empty() && result.error().offset() > m_module.codes[0].offset) {
            // The reference decoder reads function bodies as it goes; a malformed
            // body before the failing spot is the error it reports.
            auto bodies = scan_bodies();
            if (!bodies && bodies.error().offset() < result.error().offset())
                return bodies.error();
        }
        if (!result)
            return result.error();
        return std::move(m_module);
    }

private:
    Result<void> scan_bodies()
    {
        for (const Code& code : m_module.codes) {
            Reader reader(m_bytes, code.code_offset, m_bytes.size(), "unexpected end of section or function");
            TRY(skip_expression(reader));
            if (reader.offset() != code.offset + code.size)
                return Error::malformed("section size mismatch", reader.offset());
        }
        return {};
    }

    Result<void> decode_sections()
    {
        TRY(within(m_bytes.size(), limits::kModuleSize, "module too large (limit 1073741824 bytes)", 0));
        static constexpr u8 kMagic[] = { 0x00, 0x61, 0x73, 0x6D };
        static constexpr u8 kVersion[] = { 0x01, 0x00, 0x00, 0x00 };
        if (m_bytes.size() < 4)
            return Error::malformed("unexpected end", m_bytes.size());
        for (usize i = 0; i < 4; ++i) {
            if (m_bytes[i] != kMagic[i])
                return Error::malformed("magic header not detected", 0);
        }
        for (usize i = 0; i < 4; ++i) {
            if (4 + i >= m_bytes.size())
                return Error::malformed("unexpected end", m_bytes.size());
            if (m_bytes[4 + i] != kVersion[i])
                return Error::malformed("unknown binary version", 4);
        }

        Reader reader(m_bytes, 8, m_bytes.size());
        u8 last_rank = 0;
        while (!reader.at_end()) {
            usize section_start = reader.offset();
            u8 id = TRY(reader.read_u8());
            if (id > TagSection)
                return Error::malformed("malformed section id", section_start);
            u32 size = TRY(reader.read_u32());
            usize contents = reader.offset();
            if (size > reader.remaining())
                return Error::malformed("length out of bounds", contents);
            usize end = contents + size;
            if (id != Custom) {
                u8 rank = section_rank(id);
                if (rank <= last_rank)
                    return Error::malformed("unexpected content after last section", section_start);
                last_rank = rank;
            }
            // Like the reference decoder, a section's contents may run past its
            // declared size (numbers are read to their end); the size is checked after.
            Reader section(m_bytes, contents, m_bytes.size(), "unexpected end of section or function");
            TRY(decode_section(id, section, end));
            if (section.offset() != end)
                return Error::malformed("section size mismatch", section.offset());
            reader.seek(end);
        }

        if (m_module.functions.size() - m_module.imported_function_count != m_module.codes.size())
            return Error::malformed("function and code section have inconsistent lengths", m_bytes.size());
        if (m_module.has_data_count && m_module.data_count != m_module.datas.size())
            return Error::malformed("data count and data section have inconsistent lengths", m_bytes.size());
        return {};
    }

    Result<void> decode_section(u8 id, Reader& reader, usize end)
    {
        switch (id) {
        case Custom: return decode_custom(reader, end);
        case TypeSection: return decode_types(reader);
        case ImportSection: return decode_imports(reader);
        case FunctionSection: return decode_functions(reader);
        case TableSection: return decode_tables(reader);
        case MemorySection: return decode_memories(reader);
        case GlobalSection: return decode_globals(reader);
        case ExportSection: return decode_exports(reader);
        case StartSection:
            m_module.start_offset = static_cast<u32>(reader.offset());
            m_module.start = TRY(reader.read_u32());
            return {};
        case ElementSection: return decode_elements(reader);
        case CodeSection: return decode_code(reader);
        case DataSection: return decode_data(reader);
        case DataCountSection: {
            usize count_offset = reader.offset();
            m_module.data_count = TRY(reader.read_u32());
            TRY(within(m_module.data_count, limits::kDataSegments, "too many data segments (limit 100000)", count_offset));
            m_module.has_data_count = true;
            return {};
        }
        case TagSection: return decode_tags(reader);
        }
        WK_UNREACHABLE();
    }

    // ---- types ----

    Result<void> decode_types(Reader& reader)
    {
        usize count_offset = reader.offset();
        u32 count = TRY(reader.read_count(1));
        TRY(within(count, limits::kRecGroups, "too many recursion groups (limit 1000000)", count_offset));
        TRY(within(count, limits::kTypes, "too many types (limit 1000000)", count_offset));
        TRY(reserve(m_module.rec_groups, count));
        TRY(reserve(m_module.types, count));
        for (u32 i = 0; i < count; ++i) {
            RecGroup group;
            group.first_type = static_cast<u32>(m_module.types.size());
            u8 first = TRY(reader.peek_u8());
            u32 size = 1;
            if (first == 0x4E) {
                reader.seek(reader.offset() + 1);
                usize size_offset = reader.offset();
                size = TRY(reader.read_count(1));
                TRY(within(u64 { m_module.types.size() } + size + (count - i - 1), limits::kTypes,
                           "too many types (limit 1000000)", size_offset));
                TRY(reserve(m_module.types, size));
            }
            group.size = size;
            u32 group_index = static_cast<u32>(m_module.rec_groups.size());
            for (u32 k = 0; k < size; ++k)
                TRY(decode_sub_type(reader, group_index));
            TRY(m_module.rec_groups.try_append(group));
        }
        return {};
    }

    Result<void> decode_sub_type(Reader& reader, u32 group_index)
    {
        SubType type;
        type.rec_group = group_index;
        type.offset = static_cast<u32>(reader.offset());
        u8 byte = TRY(reader.peek_u8());
        if (byte == 0x50 || byte == 0x4F) {
            reader.seek(reader.offset() + 1);
            type.is_final = byte == 0x4F;
            type.supertype_count = TRY(reader.read_count(1));
            for (u32 i = 0; i < type.supertype_count; ++i) {
                u32 super = TRY(reader.read_u32());
                if (i == 0)
                    type.supertype = super;
            }
        }
        bool descriptors = m_module.features.custom_descriptors;
        if (descriptors && TRY(reader.peek_u8()) == 0x4C) {
            reader.seek(reader.offset() + 1);
            type.describes = TRY(reader.read_u32());
        }
        if (descriptors && TRY(reader.peek_u8()) == 0x4D) {
            reader.seek(reader.offset() + 1);
            type.descriptor = TRY(reader.read_u32());
        }
        usize kind_offset = reader.offset();
        u8 kind = TRY(reader.read_u8());
        if (kind & 0x80)
            return Error::malformed("integer representation too long", kind_offset);
        switch (kind) {
        case 0x60: {
            type.kind = CompositeKind::Func;
            type.first = static_cast<u32>(m_module.value_types.size());
            usize params_offset = reader.offset();
            type.param_count = TRY(reader.read_count(1));
            TRY(within(type.param_count, limits::kParams, "too many parameters (limit 1000)", params_offset));
            TRY(reserve(m_module.value_types, type.param_count));
            for (u32 i = 0; i < type.param_count; ++i)
                TRY(m_module.value_types.try_append(TRY(read_value_type(reader))));
            usize results_offset = reader.offset();
            type.result_count = TRY(reader.read_count(1));
            TRY(within(type.result_count, limits::kResults, "too many results (limit 1000)", results_offset));
            TRY(reserve(m_module.value_types, type.result_count));
            for (u32 i = 0; i < type.result_count; ++i)
                TRY(m_module.value_types.try_append(TRY(read_value_type(reader))));
            break;
        }
        case 0x5F: {
            type.kind = CompositeKind::Struct;
            type.first = static_cast<u32>(m_module.fields.size());
            usize fields_offset = reader.offset();
            type.field_count = TRY(reader.read_count(1));
            TRY(within(type.field_count, limits::kStructFields, "too many struct fields (limit 10000)", fields_offset));
            TRY(reserve(m_module.fields, type.field_count));
            for (u32 i = 0; i < type.field_count; ++i)
                TRY(m_module.fields.try_append(TRY(read_field(reader))));
            break;
        }
        case 0x5E:
            type.kind = CompositeKind::Array;
            type.first = static_cast<u32>(m_module.fields.size());
            type.field_count = 1;
            TRY(m_module.fields.try_append(TRY(read_field(reader))));
            break;
        default:
            return Error::malformed("malformed definition type", kind_offset);
        }
        return m_module.types.try_append(type);
    }

    Result<FieldType> read_field(Reader& reader)
    {
        FieldType field;
        field.type = TRY(read_value_type(reader, true));
        field.is_mutable = TRY(read_mutability(reader));
        return field;
    }

    Result<bool> read_mutability(Reader& reader)
    {
        usize start = reader.offset();
        u8 byte = TRY(reader.read_u8());
        if (byte > 1)
            return Error::malformed("malformed mutability", start);
        return byte == 1;
    }

    Result<Limits> read_limits(Reader& reader, bool is_memory)
    {
        usize start = reader.offset();
        u8 flags = TRY(reader.read_u8());
        u8 allowed = !is_memory ? 0x05 : m_module.features.custom_page_sizes ? 0x0F : 0x07;
        if (flags & ~allowed)
            return Error::malformed("malformed limits flags", start);
        Limits limits;
        limits.has_max = flags & 1;
        limits.is_shared = flags & 2;
        limits.is_64 = flags & 4;
        // u64 for both address types; the validator checks the range.
        limits.min = TRY(reader.read_u64());
        if (limits.has_max)
            limits.max = TRY(reader.read_u64());
        if (flags & 8) {
            usize page_offset = reader.offset();
            u32 log2 = TRY(reader.read_u32());
            if (log2 >= 64)
                return Error::malformed("invalid custom page size", page_offset);
            limits.page_size_log2 = static_cast<u8>(log2);
            limits.has_custom_page_size = true;
        }
        return limits;
    }

    Result<Table> read_table_type(Reader& reader)
    {
        Table table;
        table.offset = static_cast<u32>(reader.offset());
        table.element_type = TRY(read_ref_type(reader));
        table.limits = TRY(read_limits(reader, false));
        return table;
    }

    Result<Global> read_global_type(Reader& reader)
    {
        Global global;
        global.offset = static_cast<u32>(reader.offset());
        global.type = TRY(read_value_type(reader));
        global.is_mutable = TRY(read_mutability(reader));
        return global;
    }

    Result<Tag> read_tag_type(Reader& reader)
    {
        Tag tag;
        tag.offset = static_cast<u32>(reader.offset());
        if (TRY(reader.read_u8()) != 0)
            return Error::malformed("malformed tag attribute", tag.offset);
        tag.type_index = TRY(reader.read_u32());
        return tag;
    }

    Result<ConstExpr> read_expr(Reader& reader)
    {
        usize start = reader.offset();
        TRY(skip_expression(reader));
        return ConstExpr { static_cast<u32>(start), static_cast<u32>(reader.offset() - start) };
    }

    // ---- imports, functions, tables, memories, globals, tags, exports ----

    Result<void> decode_imports(Reader& reader)
    {
        usize count_offset = reader.offset();
        u32 count = TRY(reader.read_count(1));
        TRY(within(count, limits::kImports, "too many imports (limit 1000000)", count_offset));
        TRY(reserve(m_module.imports, count));
        for (u32 i = 0; i < count; ++i) {
            Import import;
            import.offset = static_cast<u32>(reader.offset());
            import.module = TRY(reader.read_name());
            import.name = TRY(reader.read_name());
            usize kind_offset = reader.offset();
            u8 kind = TRY(reader.read_u8());
            switch (kind) {
            case 0x00:
            case 0x20: {
                if (kind == 0x20 && !m_module.features.custom_descriptors)
                    return Error::malformed("malformed import kind", kind_offset);
                // 0x20: custom descriptors' exact function import.
                Function function { TRY(reader.read_u32()), true, kind == 0x20 };
                import.index = static_cast<u32>(m_module.functions.size());
                TRY(m_module.functions.try_append(function));
                ++m_module.imported_function_count;
                break;
            }
            case 0x01: {
                Table table = TRY(read_table_type(reader));
                table.is_imported = true;
                import.index = static_cast<u32>(m_module.tables.size());
                TRY(m_module.tables.try_append(table));
                ++m_module.imported_table_count;
                break;
            }
            case 0x02: {
                Memory memory;
                memory.offset = static_cast<u32>(reader.offset());
                memory.limits = TRY(read_limits(reader, true));
                memory.is_imported = true;
                import.index = static_cast<u32>(m_module.memories.size());
                TRY(m_module.memories.try_append(memory));
                ++m_module.imported_memory_count;
                break;
            }
            case 0x03: {
                Global global = TRY(read_global_type(reader));
                global.is_imported = true;
                import.index = static_cast<u32>(m_module.globals.size());
                TRY(m_module.globals.try_append(global));
                ++m_module.imported_global_count;
                break;
            }
            case 0x04: {
                Tag tag = TRY(read_tag_type(reader));
                tag.is_imported = true;
                import.index = static_cast<u32>(m_module.tags.size());
                TRY(m_module.tags.try_append(tag));
                ++m_module.imported_tag_count;
                break;
            }
            default:
                return Error::malformed("malformed import kind", kind_offset);
            }
            import.kind = static_cast<ExternKind>(kind & 0x1F);
            TRY(within(m_module.tables.size(), limits::kTables, "too many tables (limit 100000)", import.offset));
            TRY(within(m_module.memories.size(), limits::kMemories, "too many memories (limit 100000)", import.offset));
            TRY(m_module.imports.try_append(import));
        }
        return {};
    }

    Result<void> decode_functions(Reader& reader)
    {
        usize count_offset = reader.offset();
        u32 count = TRY(reader.read_count(1));
        TRY(within(u64 { m_module.functions.size() } + count, limits::kFunctions, "too many functions (limit 1000000)", count_offset));
        TRY(reserve(m_module.functions, count));
        for (u32 i = 0; i < count; ++i)
            TRY(m_module.functions.try_append(Function { TRY(reader.read_u32()), false }));
        return {};
    }

    Result<void> decode_tables(Reader& reader)
    {
        usize count_offset = reader.offset();
        u32 count = TRY(reader.read_count(1));
        TRY(within(u64 { m_module.tables.size() } + count, limits::kTables, "too many tables (limit 100000)", count_offset));
        TRY(reserve(m_module.tables, count));
        for (u32 i = 0; i < count; ++i) {
            usize start = reader.offset();
            bool has_init = TRY(reader.peek_u8()) == 0x40;
            if (has_init) {
                reader.seek(start + 1);
                if (TRY(reader.read_u8()) != 0)
                    return Error::malformed("malformed table", start + 1);
            }
            Table table = TRY(read_table_type(reader));
            table.offset = static_cast<u32>(start);
            if (has_init)
                table.init = TRY(read_expr(reader));
            TRY(m_module.tables.try_append(table));
        }
        return {};
    }

    Result<void> decode_memories(Reader& reader)
    {
        usize count_offset = reader.offset();
        u32 count = TRY(reader.read_count(1));
        TRY(within(u64 { m_module.memories.size() } + count, limits::kMemories, "too many memories (limit 100000)", count_offset));
        TRY(reserve(m_module.memories, count));
        for (u32 i = 0; i < count; ++i) {
            Memory memory;
            memory.offset = static_cast<u32>(reader.offset());
            memory.limits = TRY(read_limits(reader, true));
            TRY(m_module.memories.try_append(memory));
        }
        return {};
    }

    Result<void> decode_globals(Reader& reader)
    {
        usize count_offset = reader.offset();
        u32 count = TRY(reader.read_count(1));
        TRY(within(u64 { m_module.globals.size() } + count, limits::kGlobals, "too many globals (limit 1000000)", count_offset));
        TRY(reserve(m_module.globals, count));
        for (u32 i = 0; i < count; ++i) {
            Global global = TRY(read_global_type(reader));
            global.init = TRY(read_expr(reader));
            TRY(m_module.globals.try_append(global));
        }
        return {};
    }

    Result<void> decode_tags(Reader& reader)
    {
        usize count_offset = reader.offset();
        u32 count = TRY(reader.read_count(1));
        TRY(within(u64 { m_module.tags.size() } + count, limits::kTags, "too many tags (limit 1000000)", count_offset));
        TRY(reserve(m_module.tags, count));
        for (u32 i = 0; i < count; ++i)
            TRY(m_module.tags.try_append(TRY(read_tag_type(reader))));
        return {};
    }

    Result<void> decode_exports(Reader& reader)
    {
        usize count_offset = reader.offset();
        u32 count = TRY(reader.read_count(1));
        TRY(within(u64 { m_module.exports.size() } + count, limits::kExports, "too many exports (limit 1000000)", count_offset));
        TRY(reserve(m_module.exports, count));
        for (u32 i = 0; i < count; ++i) {
            Export entry;
            entry.offset = static_cast<u32>(reader.offset());
            entry.name = TRY(reader.read_name());
            usize kind_offset = reader.offset();
            u8 kind = TRY(reader.read_u8());
            if (kind > 4)
                return Error::malformed("malformed export kind", kind_offset);
            entry.kind = static_cast<ExternKind>(kind);
            entry.index = TRY(reader.read_u32());
            TRY(m_module.exports.try_append(entry));
        }
        return {};
    }

    // ---- element and data segments ----

    Result<void> decode_elements(Reader& reader)
    {
        usize count_offset = reader.offset();
        u32 count = TRY(reader.read_count(1));
        TRY(within(u64 { m_module.elements.size() } + count, limits::kElementSegments, "too many element segments (limit 10000000)", count_offset));
        TRY(reserve(m_module.elements, count));
        for (u32 i = 0; i < count; ++i) {
            ElementSegment segment;
            segment.offset = static_cast<u32>(reader.offset());
            u32 flags = TRY(reader.read_u32());
            if (flags > 7)
                return Error::malformed("malformed elements segment kind", segment.offset);
            bool passive_or_declarative = flags & 1;
            bool explicit_table = flags & 2;
            segment.uses_exprs = flags & 4;
            if (passive_or_declarative)
                segment.mode = explicit_table ? SegmentMode::Declarative : SegmentMode::Passive;
            else
                segment.mode = SegmentMode::Active;
            if (segment.mode == SegmentMode::Active) {
                if (explicit_table)
                    segment.table = TRY(reader.read_u32());
                segment.offset_expr = TRY(read_expr(reader));
            }
            segment.type = ValType::ref(HeapKind::Func, segment.uses_exprs);
            if (passive_or_declarative || explicit_table) {
                if (segment.uses_exprs) {
                    segment.type = TRY(read_ref_type(reader));
                } else {
                    usize kind_offset = reader.offset();
                    if (TRY(reader.read_u8()) != 0)
                        return Error::malformed("malformed element kind", kind_offset);
                }
            }
            usize items_offset = reader.offset();
            segment.item_count = TRY(reader.read_count(1));
            TRY(within(segment.item_count, limits::kElementSegmentItems,
                       "too many elements in a segment (limit 10000000)", items_offset));
            if (segment.uses_exprs) {
                segment.first_item = static_cast<u32>(m_module.element_exprs.size());
                TRY(reserve(m_module.element_exprs, segment.item_count));
                for (u32 k = 0; k < segment.item_count; ++k)
                    TRY(m_module.element_exprs.try_append(TRY(read_expr(reader))));
            } else {
                segment.first_item = static_cast<u32>(m_module.element_functions.size());
                TRY(reserve(m_module.element_functions, segment.item_count));
                for (u32 k = 0; k < segment.item_count; ++k)
                    TRY(m_module.element_functions.try_append(TRY(reader.read_u32())));
            }
            TRY(m_module.elements.try_append(segment));
        }
        return {};
    }

    Result<void> decode_data(Reader& reader)
    {
        usize count_offset = reader.offset();
        u32 count = TRY(reader.read_count(1));
        TRY(within(u64 { m_module.datas.size() } + count, limits::kDataSegments, "too many data segments (limit 100000)", count_offset));
        TRY(reserve(m_module.datas, count));
        for (u32 i = 0; i < count; ++i) {
            DataSegment segment;
            segment.offset = static_cast<u32>(reader.offset());
            u32 flags = TRY(reader.read_u32());
            if (flags > 2)
                return Error::malformed("malformed data segment kind", segment.offset);
            if (flags == 1) {
                segment.mode = SegmentMode::Passive;
            } else {
                segment.mode = SegmentMode::Active;
                if (flags == 2)
                    segment.memory = TRY(reader.read_u32());
                segment.offset_expr = TRY(read_expr(reader));
            }
            u32 size = TRY(reader.read_u32());
            if (size > reader.remaining())
                return Error::malformed("unexpected end of section or function", reader.offset());
            segment.data_offset = static_cast<u32>(reader.offset());
            segment.data_size = size;
            reader.seek(reader.offset() + size);
            TRY(m_module.datas.try_append(segment));
        }
        return {};
    }

    // ---- code ----

    Result<void> decode_code(Reader& reader)
    {
        u32 count = TRY(reader.read_count(1));
        TRY(reserve(m_module.codes, count));
        for (u32 i = 0; i < count; ++i) {
            usize size_offset = reader.offset();
            u32 size = TRY(reader.read_u32());
            if (size > reader.remaining())
                return Error::malformed("unexpected end of section or function", reader.offset());
            TRY(within(size, limits::kFunctionBodySize, "function body too large (limit 7654321 bytes)", size_offset));
            usize body_end = reader.offset() + size;
            Reader body(m_bytes, reader.offset(), body_end, "unexpected end of section or function");
            Code code;
            code.offset = static_cast<u32>(body.offset());
            code.size = size;
            code.first_local_run = static_cast<u32>(m_module.locals.size());
            usize locals_offset = body.offset();
            code.local_run_count = TRY(body.read_count(1));
            TRY(reserve(m_module.locals, code.local_run_count));
            u64 total = 0;
            for (u32 k = 0; k < code.local_run_count; ++k) {
                LocalRun run;
                run.count = TRY(body.read_u32());
                total += run.count;
                if (total > limits::kLocals)
                    return Error::malformed("too many locals", locals_offset);
                run.type = TRY(read_value_type(body));
                TRY(m_module.locals.try_append(run));
            }
            code.local_count = static_cast<u32>(total);
            code.code_offset = static_cast<u32>(body.offset());
            TRY(m_module.codes.try_append(code));
            reader.seek(body_end);
        }
        return {};
    }

    // ---- custom sections ----

    Result<void> decode_custom(Reader& reader, usize end)
    {
        CustomSection section;
        section.name = TRY(reader.read_name());
        if (reader.offset() > end)
            return Error::malformed("unexpected end", end);
        section.offset = static_cast<u32>(reader.offset());
        section.size = static_cast<u32>(end - reader.offset());
        reader.seek(end);
        TRY(m_module.custom_sections.try_append(section));
        if (section.name == "name" && !m_seen_name_section) {
            m_seen_name_section = true;
            // A malformed name section does not make the module malformed; its
            // names are dropped.
            Reader names(m_bytes, section.offset, section.offset + section.size, "unexpected end of section or function");
            if (!decode_names(names)) {
                m_module.module_name = {};
                m_module.function_names.clear();
                m_module.local_names.clear();
            }
        }
        return {};
    }

    Result<void> decode_names(Reader& reader)
    {
        while (!reader.at_end()) {
            u8 id = TRY(reader.read_u8());
            u32 size = TRY(reader.read_u32());
            if (size > reader.remaining())
                return Error::malformed("length out of bounds", reader.offset());
            usize end = reader.offset() + size;
            Reader sub(m_bytes, reader.offset(), end, "unexpected end of section or function");
            if (id == 0) {
                m_module.module_name = TRY(sub.read_name());
            } else if (id == 1) {
                u32 count = TRY(sub.read_count(1));
                TRY(reserve(m_module.function_names, count));
                for (u32 i = 0; i < count; ++i) {
                    u32 index = TRY(sub.read_u32());
                    TRY(m_module.function_names.try_append(NameEntry { index, TRY(sub.read_name()) }));
                }
            } else if (id == 2) {
                u32 count = TRY(sub.read_count(1));
                for (u32 i = 0; i < count; ++i) {
                    u32 function = TRY(sub.read_u32());
                    u32 local_count = TRY(sub.read_count(1));
                    TRY(reserve(m_module.local_names, local_count));
                    for (u32 k = 0; k < local_count; ++k) {
                        u32 local = TRY(sub.read_u32());
                        TRY(m_module.local_names.try_append(LocalNameEntry { function, local, TRY(sub.read_name()) }));
                    }
                }
            } else {
                sub.seek(end);
            }
            if (sub.offset() != end)
                return Error::malformed("section size mismatch", sub.offset());
            reader.seek(end);
        }
        return {};
    }

    ReadonlyBytes m_bytes;
    Module m_module;
    bool m_seen_name_section { false };
};

} // namespace

Result<Module> decode_module(ReadonlyBytes bytes, Features features)
{
    Decoder decoder(bytes, features);
    return decoder.decode();
}

} // namespace wk::engine
