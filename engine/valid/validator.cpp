#include <algorithm>

#include "engine/binary/code_walker.h"
#include "engine/module.h"
#include "engine/valid/function_validator.h"
#include "engine/valid/type_context.h"

namespace wk::engine {
namespace {

// Implementation limits (the same as V8's), so that validation work per
// instruction stays bounded: results and fields are checked one by one, and
// subtype checks walk supertype chains.
constexpr u32 kMaxFunctionParams = 1000;
constexpr u32 kMaxFunctionResults = 1000;
constexpr u32 kMaxStructFields = 10000;
constexpr u32 kMaxSubtypingDepth = 63;

class ModuleValidator {
public:
    explicit ModuleValidator(Module& module)
        : m_module(module)
        , m_types(module)
        , m_function(module, m_types)
    {
    }

    Result<void> validate()
    {
        if (!m_module.features.multiple_memories) {
            if (m_module.memories.size() > 1)
                return Error::invalid("multiple memories", m_module.memories[1].offset);
            if (m_module.tables.size() > 1)
                return Error::invalid("multiple tables", m_module.tables[1].offset);
        }
        TRY(validate_types());
        TRY(m_module.declared_functions.try_resize(m_module.functions.size(), false));
        for (const Function& function : m_module.functions)
            TRY(check_func_type(function.type_index, 0));
        // NOTE: table init expressions may read imported globals, so their types are checked
        // before any constant expression looks at them.
        for (const Global& global : m_module.globals) {
            if (global.is_imported)
                TRY(check_value_type(global.type, global.offset));
        }
        for (const Table& table : m_module.tables)
            TRY(validate_table(table));
        for (const Memory& memory : m_module.memories)
            TRY(validate_limits_of_memory(memory));
        for (const Tag& tag : m_module.tags) {
            TRY(check_func_type(tag.type_index, tag.offset));
            if (m_module.types[tag.type_index].result_count != 0)
                return Error::invalid("non-empty tag result type", tag.offset);
        }
        for (u32 i = 0; i < m_module.globals.size(); ++i) {
            const Global& global = m_module.globals[i];
            if (global.is_imported)
                continue;
            TRY(check_value_type(global.type, global.offset));
            TRY(validate_const_expr(global.init, global.type, i));
        }
        TRY(validate_exports());
        TRY(validate_start());
        TRY(validate_elements());
        TRY(validate_datas());
        TRY(validate_code());
        return {};
    }

private:
    // ---- types ----

    Result<void> check_index(u32 index, u32 limit, u32 offset)
    {
        if (index >= limit)
            return Error::invalid("unknown type", offset);
        return {};
    }

    Result<void> check_type_refs(ValType type, u32 limit, u32 offset)
    {
        if (type.has_index())
            TRY(check_index(type.index, limit, offset));
        return {};
    }

    Result<void> validate_types()
    {
        TRY(m_module.canonical.try_resize(m_module.types.size(), 0));
        RecGroupTable table;
        Vector<u64> tokens;
        for (u32 g = 0; g < m_module.rec_groups.size(); ++g) {
            const RecGroup& group = m_module.rec_groups[g];
            u32 end = group.first_type + group.size;
            for (u32 i = group.first_type; i < end; ++i) {
                const SubType& type = m_module.types[i];
                if (type.supertype_count > 1)
                    return Error::invalid("multiple supertypes", type.offset);
                if (type.supertype != kNoIndex && type.supertype >= i)
                    return Error::invalid("unknown type", type.offset);
                if (type.describes != kNoIndex) {
                    if (type.describes < group.first_type || type.describes >= end)
                        return Error::invalid("described type is outside rec group", type.offset);
                    if (type.describes >= i)
                        return Error::invalid("forward use of described type", type.offset);
                }
                if (type.descriptor != kNoIndex && (type.descriptor < group.first_type || type.descriptor >= end))
                    return Error::invalid("descriptor type is outside rec group", type.offset);
                if (type.kind != CompositeKind::Struct) {
                    if (type.descriptor != kNoIndex)
                        return Error::invalid("descriptor type must be a struct", type.offset);
                    if (type.describes != kNoIndex)
                        return Error::invalid("described type must be a struct", type.offset);
                }
                if (type.param_count > kMaxFunctionParams || type.result_count > kMaxFunctionResults
                    || type.field_count > kMaxStructFields)
                    return Error::invalid("implementation limit: too many parameters, results or fields", type.offset);
                if (type.kind == CompositeKind::Func) {
                    for (ValType value : m_module.func_params(i))
                        TRY(check_type_refs(value, end, type.offset));
                    for (ValType value : m_module.func_results(i))
                        TRY(check_type_refs(value, end, type.offset));
                } else {
                    for (const FieldType& field : m_module.struct_fields(i))
                        TRY(check_type_refs(field.type, end, type.offset));
                }
            }
            TRY(canonicalize_rec_group(m_module, g, table, tokens));
            for (u32 i = group.first_type; i < end; ++i)
                TRY(validate_sub_type(i));
        }
        return {};
    }

    Result<void> validate_sub_type(u32 index)
    {
        const SubType& type = m_module.types[index];
        if ((type.describes != kNoIndex || type.descriptor != kNoIndex) && type.kind != CompositeKind::Struct)
            return Error::invalid(type.descriptor != kNoIndex ? "descriptor type must be a struct"
                                                              : "described type must be a struct", type.offset);
        if (type.descriptor != kNoIndex) {
            const SubType& descriptor = m_module.types[type.descriptor];
            if (descriptor.kind != CompositeKind::Struct)
                return Error::invalid("descriptor type must be a struct", type.offset);
            if (descriptor.describes == kNoIndex
                || m_module.canonical[descriptor.describes] != m_module.canonical[index])
                return Error::invalid("type is not described by its descriptor", type.offset);
        }
        if (type.describes != kNoIndex) {
            const SubType& described = m_module.types[type.describes];
            if (described.kind != CompositeKind::Struct)
                return Error::invalid("described type must be a struct", type.offset);
            if (described.descriptor == kNoIndex
                || m_module.canonical[described.descriptor] != m_module.canonical[index])
                return Error::invalid("described type is not described by descriptor", type.offset);
        }
        if (type.supertype == kNoIndex)
            return {};
        const SubType& super = m_module.types[type.supertype];
        m_module.types[index].depth = super.depth + 1;
        if (super.depth + 1 > kMaxSubtypingDepth)
            return Error::invalid("implementation limit: subtyping depth", type.offset);
        u32 sub_id = m_module.canonical[index];
        u32 super_id = m_module.canonical[type.supertype];
        if (super.is_final || !m_types.composite_matches(sub_id, super_id))
            return Error::invalid("sub type", type.offset);
        // Custom descriptors: a clause's presence must agree with the
        // supertype's (else the types do not match at all), and present
        // clauses must be subtypes in turn.
        if ((super.descriptor != kNoIndex && type.descriptor == kNoIndex)
            || (super.describes != kNoIndex) != (type.describes != kNoIndex))
            return Error::invalid("sub type", type.offset);
        if (type.descriptor != kNoIndex && super.descriptor != kNoIndex
            && !m_types.is_type_subtype(m_module.canonical[type.descriptor], m_module.canonical[super.descriptor]))
            return Error::invalid("descriptor type does not match", type.offset);
        if (type.describes != kNoIndex
            && !m_types.is_type_subtype(m_module.canonical[type.describes], m_module.canonical[super.describes]))
            return Error::invalid("described type does not match", type.offset);
        return {};
    }

    Result<void> check_func_type(u32 index, u32 offset)
    {
        if (index >= m_module.types.size() || m_module.types[index].kind != CompositeKind::Func)
            return Error::invalid("unknown type", offset);
        return {};
    }

    Result<void> check_value_type(ValType type, u32 offset)
    {
        return check_type_refs(type, static_cast<u32>(m_module.types.size()), offset);
    }

    // ---- tables, memories ----

    Result<void> validate_table(const Table& table)
    {
        TRY(check_value_type(table.element_type, table.offset));
        const Limits& limits = table.limits;
        u64 bound = limits.is_64 ? ~u64 { 0 } : 0xFFFFFFFFull;
        if (limits.min > bound || (limits.has_max && limits.max > bound))
            return Error::invalid("table size must be at most 2^32-1", table.offset);
        if (limits.has_max && limits.min > limits.max)
            return Error::invalid("size minimum must not be greater than maximum", table.offset);
        if (limits.is_shared)
            return Error::invalid("tables cannot be shared", table.offset);
        if (table.init.is_present())
            TRY(validate_const_expr(table.init, table.element_type, m_module.imported_global_count));
        else if (!table.is_imported && !table.element_type.nullable)
            return Error::invalid("type mismatch", table.offset);
        return {};
    }

    Result<void> validate_limits_of_memory(const Memory& memory)
    {
        const Limits& limits = memory.limits;
        if (limits.page_size_log2 != 0 && limits.page_size_log2 != 16)
            return Error::invalid("invalid custom page size", memory.offset);
        u32 address_bits = limits.is_64 ? 64 : 32;
        u32 page_bits = limits.page_size_log2;
        // Pages that fit in the address space: 2^(address_bits - page_bits).
        // With one-byte pages the last byte of the address space stays unaddressable.
        u64 bound = address_bits - page_bits >= 64 ? ~u64 { 0 } : (u64 { 1 } << (address_bits - page_bits));
        if (page_bits == 0 && address_bits == 32)
            bound -= 1;
        if (limits.min > bound || (limits.has_max && limits.max > bound))
            return Error::invalid(limits.is_64 ? "memory size must be at most 2^48 pages"
                                               : "memory size must be at most 65536 pages (4GiB)", memory.offset);
        if (limits.has_max && limits.min > limits.max)
            return Error::invalid("size minimum must not be greater than maximum", memory.offset);
        if (limits.is_shared && !limits.has_max)
            return Error::invalid("shared memory must have maximum", memory.offset);
        return {};
    }

    // ---- constant expressions ----

    Result<void> validate_const_expr(const ConstExpr& expr, ValType expected, u32 visible_globals)
    {
        TRY(m_function.begin_const_expr(expected, visible_globals, expr.offset));
        Reader reader(m_module.bytes, expr.offset, expr.offset + expr.size);
        TRY(walk_code(reader, m_function));
        return {};
    }

    // ---- exports, start ----

    Result<void> validate_exports()
    {
        Vector<u32> order;
        TRY(order.try_reserve(m_module.exports.size()));
        for (u32 i = 0; i < m_module.exports.size(); ++i) {
            const Export& entry = m_module.exports[i];
            u32 index = entry.index;
            switch (entry.kind) {
            case ExternKind::Func:
                if (index >= m_module.functions.size())
                    return Error::invalid("unknown function", entry.offset);
                m_module.declared_functions[index] = true;
                break;
            case ExternKind::Table:
                if (index >= m_module.tables.size())
                    return Error::invalid("unknown table", entry.offset);
                break;
            case ExternKind::Memory:
                if (index >= m_module.memories.size())
                    return Error::invalid("unknown memory", entry.offset);
                break;
            case ExternKind::Global:
                if (index >= m_module.globals.size())
                    return Error::invalid("unknown global", entry.offset);
                break;
            case ExternKind::Tag:
                if (index >= m_module.tags.size())
                    return Error::invalid("unknown tag", entry.offset);
                break;
            }
            order.append(i);
        }
        // Sorting instead of hashing: hostile names cannot make this quadratic.
        auto& exports = m_module.exports;
        std::sort(order.begin(), order.end(), [&](u32 a, u32 b) { return exports[a].name < exports[b].name; });
        for (usize i = 1; i < order.size(); ++i) {
            if (exports[order[i]].name == exports[order[i - 1]].name) {
                u32 later = order[i] > order[i - 1] ? order[i] : order[i - 1];
                return Error::invalid("duplicate export name", exports[later].offset);
            }
        }
        return {};
    }

    Result<void> validate_start()
    {
        if (m_module.start == kNoIndex)
            return {};
        if (m_module.start >= m_module.functions.size())
            return Error::invalid("unknown function", m_module.start_offset);
        const SubType& type = m_module.types[m_module.functions[m_module.start].type_index];
        if (type.param_count != 0 || type.result_count != 0)
            return Error::invalid("start function", m_module.start_offset);
        return {};
    }

    // ---- segments ----

    Result<void> validate_elements()
    {
        u32 globals = static_cast<u32>(m_module.globals.size());
        for (const ElementSegment& segment : m_module.elements) {
            TRY(check_value_type(segment.type, segment.offset));
            if (segment.uses_exprs) {
                for (u32 i = 0; i < segment.item_count; ++i)
                    TRY(validate_const_expr(m_module.element_exprs[segment.first_item + i], segment.type, globals));
            } else {
                for (u32 i = 0; i < segment.item_count; ++i) {
                    u32 function = m_module.element_functions[segment.first_item + i];
                    if (function >= m_module.functions.size())
                        return Error::invalid("unknown function", segment.offset);
                    m_module.declared_functions[function] = true;
                }
            }
            if (segment.mode == SegmentMode::Active) {
                if (segment.table >= m_module.tables.size())
                    return Error::invalid("unknown table", segment.offset);
                const Table& table = m_module.tables[segment.table];
                ValType address = table.limits.is_64 ? ValType::i64() : ValType::i32();
                TRY(validate_const_expr(segment.offset_expr, address, globals));
                if (!m_types.is_subtype(m_types.canon(segment.type), m_types.canon(table.element_type)))
                    return Error::invalid("type mismatch", segment.offset);
            }
        }
        return {};
    }

    Result<void> validate_datas()
    {
        u32 globals = static_cast<u32>(m_module.globals.size());
        for (const DataSegment& segment : m_module.datas) {
            if (segment.mode != SegmentMode::Active)
                continue;
            if (segment.memory >= m_module.memories.size())
                return Error::invalid("unknown memory", segment.offset);
            ValType address = m_module.memories[segment.memory].limits.is_64 ? ValType::i64() : ValType::i32();
            TRY(validate_const_expr(segment.offset_expr, address, globals));
        }
        return {};
    }

    // ---- code ----

    Result<void> validate_code()
    {
        for (u32 i = 0; i < m_module.codes.size(); ++i) {
            const Code& code = m_module.codes[i];
            u32 function = m_module.imported_function_count + i;
            m_module.invalid_function = function;
            for (const LocalRun& run : m_module.local_runs(code))
                TRY(check_value_type(run.type, code.offset));
            TRY(m_function.begin_function(function));
            // Like the reference decoder, a body's instructions are read up to
            // their final `end`, then the body size is checked.
            Reader reader(m_module.bytes, code.code_offset, m_module.bytes.size(),
                          "unexpected end of section or function");
            TRY(walk_code(reader, m_function));
            if (reader.offset() != code.offset + code.size)
                return Error::malformed("section size mismatch", reader.offset());
        }
        m_module.invalid_function = kNoIndex;
        m_module.uses_gc_instructions = m_function.saw_gc();
        m_module.uses_legacy_exceptions = m_function.saw_legacy_exceptions();
        m_module.uses_atomic_wait_notify = m_function.saw_atomic_wait_notify();
        return {};
    }

    Module& m_module;
    TypeContext m_types;
    FunctionValidator m_function;
};

} // namespace

Result<void> validate_module(Module& module)
{
    module.invalid_function = kNoIndex;
    ModuleValidator validator(module);
    return validator.validate();
}

} // namespace wk::engine
