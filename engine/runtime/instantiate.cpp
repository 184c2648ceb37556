// Store::instantiate's steps: context, imports (with extern type matching), globals,
// tables, memories, tags, segments, start — in the order the spec evaluates them.
#include "base/allocator.h"
#include "engine/runtime/builtins.h"
#include "engine/runtime/const_eval.h"
#include "engine/runtime/global.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/invoke.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/store.h"
#include "engine/runtime/table.h"
#include "engine/runtime/trap.h"

namespace wk::engine::runtime {

namespace {

Error unknown_import(const Import& import) { return Error::from("unknown import", ErrorKind::Unlinkable, import.offset); }
Error incompatible_import(const Import& import)
{
    return Error::from("incompatible import type", ErrorKind::Unlinkable, import.offset);
}

// A trap while instantiating: the module is uninstantiable.
Error trap_error(TrapKind kind, u32 offset) { return Error::from(trap_message(kind), ErrorKind::OutOfRange, offset); }

// Limits subtyping: the actual object's current size and maximum must fit the import.
bool limits_match(const Limits& actual, const Limits& expected)
{
    if (actual.is_64 != expected.is_64)
        return false;
    if (actual.min < expected.min)
        return false;
    if (expected.has_max) {
        if (!actual.has_max || actual.max > expected.max)
            return false;
    }
    return true;
}

bool types_equivalent(const TypeRegistry& types, ValType a, ValType b)
{
    return types.is_subtype(a, b) && types.is_subtype(b, a);
}

u64 segment_offset(const VMVal& value, bool is_64) { return is_64 ? value.u64_value() : value.u32_value(); }

} // namespace

Result<void> Instance::allocate_context()
{
    const VMOffsets& offsets = m_module->offsets();
    void* block = default_allocator().allocate(offsets.size, 16);
    if (!block)
        return Error::out_of_memory();
    __builtin_memset(block, 0, offsets.size);
    m_vmctx = static_cast<u8*>(block);
    Instance* self = this;
    __builtin_memcpy(m_vmctx + VMOffsets::kInstance, &self, sizeof(self));
    const void* const* builtins = builtin_table();
    __builtin_memcpy(m_vmctx + VMOffsets::kBuiltins, &builtins, sizeof(builtins));
    if (TierUpHooks* tier_up = m_module->tier_up()) {
        i32* budgets = tier_up->budgets();
        __builtin_memcpy(m_vmctx + VMOffsets::kTierBudgets, &budgets, sizeof(budgets));
    }

    const Module& m = module();
    TRY(m_memories.try_resize(m.memories.size()));
    TRY(m_tables.try_resize(m.tables.size()));
    TRY(m_globals.try_resize(m.globals.size()));
    TRY(m_tags.try_resize(m.tags.size()));
    TRY(m_element_items.try_resize(m.elements.size()));
    for (u32 i = 0; i < m_type_ids.size(); ++i)
        *vm_field<u32>(offsets.type_id(i)) = m_type_ids[i];
    return {};
}

Result<void> Instance::link_imports(ImportResolver& resolver)
{
    const Module& m = module();
    const TypeRegistry& types = m_store->types();
    const VMOffsets& offsets = m_module->offsets();
    for (const Import& import : m.imports) {
        auto resolved = resolver.resolve(import.module, import.name);
        if (!resolved)
            return unknown_import(import);
        if (resolved->kind != import.kind)
            return incompatible_import(import);
        switch (import.kind) {
        case ExternKind::Func: {
            const Function& function = m.functions[import.index];
            u32 expected = m_type_ids[function.type_index];
            VMFuncRef* actual = resolved->func;
            if (!actual || actual->type_id >= types.size())
                return incompatible_import(import);
            bool matches = function.is_exact ? actual->type_id == expected : types.is_type_subtype(actual->type_id, expected);
            if (!matches)
                return incompatible_import(import);
            *vm_field<VMFuncRef>(offsets.function(import.index)) = *actual;
            break;
        }
        case ExternKind::Table: {
            const engine::Table& declared = m.tables[import.index];
            auto* actual = resolved->table;
            if (!actual || !limits_match(actual->current_limits(), declared.limits)
                || !types_equivalent(types, actual->element_type(), TypeRegistry::to_store(declared.element_type, m_type_ids)))
                return incompatible_import(import);
            m_tables[import.index] = RefPtr<Table>(actual);
            *vm_field<VMTable*>(offsets.table(import.index)) = actual->vm();
            break;
        }
        case ExternKind::Memory: {
            const engine::Memory& declared = m.memories[import.index];
            auto* actual = resolved->memory;
            if (!actual)
                return incompatible_import(import);
            Limits limits = actual->current_limits();
            if (!limits_match(limits, declared.limits) || limits.is_shared != declared.limits.is_shared
                || limits.page_size_log2 != declared.limits.page_size_log2)
                return incompatible_import(import);
            m_memories[import.index] = RefPtr<Memory>(actual);
            *vm_field<VMMemory*>(offsets.memory(import.index)) = actual->vm();
            break;
        }
        case ExternKind::Global: {
            const engine::Global& declared = m.globals[import.index];
            auto* actual = resolved->global;
            if (!actual || actual->is_mutable() != declared.is_mutable)
                return incompatible_import(import);
            ValType expected = TypeRegistry::to_store(declared.type, m_type_ids);
            bool matches = declared.is_mutable ? types_equivalent(types, actual->type(), expected)
                                               : types.is_subtype(actual->type(), expected);
            if (!matches)
                return incompatible_import(import);
            m_globals[import.index] = RefPtr<Global>(actual);
            *vm_field<VMGlobal*>(offsets.global(import.index)) = actual->cell();
            break;
        }
        case ExternKind::Tag: {
            const engine::Tag& declared = m.tags[import.index];
            auto* actual = resolved->tag;
            if (!actual || actual->type_id() != m_type_ids[declared.type_index])
                return incompatible_import(import);
            m_tags[import.index] = RefPtr<Tag>(actual);
            *vm_field<Tag*>(offsets.tag(import.index)) = actual;
            break;
        }
        }
    }
    return {};
}

Result<void> Instance::initialize()
{
    const Module& m = module();
    const VMOffsets& offsets = m_module->offsets();
    VMContext* self = vmctx();

    for (u32 i = m.imported_function_count; i < m.functions.size(); ++i) {
        VMFuncRef* entry = vm_field<VMFuncRef>(offsets.function(i));
        FunctionEntries entries = m_module->entries_of(i);
        entry->native_code = entries.native_code;
        entry->array_call = entries.array_call;
        entry->vmctx = self;
        entry->type_id = m_type_ids[m.functions[i].type_index];
    }

    Vector<VMVal> stack;
    VMGlobal** global_cells = vm_field<VMGlobal*>(offsets.globals);
    ConstEvalEnvironment environment;
    environment.functions = vm_field<VMFuncRef>(offsets.functions);
    environment.function_count = offsets.function_count;
    environment.store = m_store;
    environment.type_ids = m_type_ids.span();

    for (u32 i = m.imported_global_count; i < m.globals.size(); ++i) {
        const engine::Global& declared = m.globals[i];
        environment.globals = Span<VMGlobal* const>(global_cells, i);
        VMVal value = TRY(evaluate_const_expr(m, declared.init, environment, stack));
        auto global = TRY(try_make_ref_counted<Global>(TypeRegistry::to_store(declared.type, m_type_ids), declared.is_mutable, value));
        global_cells[i] = global->cell();
        m_globals[i] = global;
        TRY(m_store->adopt(std::move(global)));
    }
    environment.globals = Span<VMGlobal* const>(global_cells, m.globals.size());

    for (u32 i = m.imported_table_count; i < m.tables.size(); ++i) {
        const engine::Table& declared = m.tables[i];
        void* init = nullptr;
        if (declared.init.is_present())
            init = TRY(evaluate_const_expr(m, declared.init, environment, stack)).ref();
        auto table = TRY(Table::create(TypeRegistry::to_store(declared.element_type, m_type_ids), declared.limits, init,
                                       m_store->limits(), m_store->m_table_budget, m_store->m_memory_budget));
        *vm_field<VMTable*>(offsets.table(i)) = table->vm();
        m_tables[i] = table;
        TRY(m_store->adopt(std::move(table)));
    }

    for (u32 i = m.imported_memory_count; i < m.memories.size(); ++i) {
        auto memory = TRY(Memory::create(m.memories[i].limits, m_store->limits(), m_store->m_memory_budget,
                                         m_store->m_address_space_budget));
        *vm_field<VMMemory*>(offsets.memory(i)) = memory->vm();
        m_memories[i] = memory;
        TRY(m_store->adopt(std::move(memory)));
    }
    if (!m_memories.is_empty()) {
        VMMemory* memory0 = m_memories[0]->vm();
        *vm_field<u8*>(VMOffsets::kMemory0Base) = memory0->base;
        *vm_field<VMMemory*>(VMOffsets::kMemory0) = memory0;
    }

    for (u32 i = m.imported_tag_count; i < m.tags.size(); ++i) {
        auto tag = TRY(try_make_ref_counted<Tag>(m_type_ids[m.tags[i].type_index]));
        *vm_field<Tag*>(offsets.tag(i)) = tag.get();
        m_tags[i] = tag;
        TRY(m_store->adopt(std::move(tag)));
    }

    // Every element segment's references are evaluated before any is copied.
    for (u32 i = 0; i < m.elements.size(); ++i) {
        const ElementSegment& segment = m.elements[i];
        Vector<void*>& items = m_element_items[i];
        TRY(items.try_reserve(segment.item_count));
        for (u32 k = 0; k < segment.item_count; ++k) {
            void* item;
            if (segment.uses_exprs) {
                item = TRY(evaluate_const_expr(m, m.element_exprs[segment.first_item + k], environment, stack)).ref();
            } else {
                u32 function = m.element_functions[segment.first_item + k];
                if (function >= offsets.function_count)
                    return Error::from("unknown function in element segment", ErrorKind::Invalid, segment.offset);
                item = environment.functions + function;
            }
            items.append(item);
        }
    }

    for (u32 i = 0; i < m.elements.size(); ++i) {
        const ElementSegment& segment = m.elements[i];
        if (segment.mode == SegmentMode::Active) {
            Table* table = m_tables[segment.table].get();
            VMVal offset = TRY(evaluate_const_expr(m, segment.offset_expr, environment, stack));
            TrapKind trap = table_init(segment.table, i, segment_offset(offset, table->is_64()), 0, segment.item_count);
            if (trap != TrapKind::None)
                return trap_error(trap, segment.offset);
        }
        if (segment.mode != SegmentMode::Passive)
            drop_elem(i);
    }

    for (u32 i = 0; i < m.datas.size(); ++i) {
        const DataSegment& segment = m.datas[i];
        if (segment.mode != SegmentMode::Active)
            continue;
        Memory* memory = m_memories[segment.memory].get();
        VMVal offset = TRY(evaluate_const_expr(m, segment.offset_expr, environment, stack));
        TrapKind trap = memory_init(segment.memory, i, segment_offset(offset, memory->is_64()), 0, segment.data_size);
        if (trap != TrapKind::None)
            return trap_error(trap, segment.offset);
        drop_data(i);
    }
    return {};
}

Result<void> Instance::run_start()
{
    const Module& m = module();
    if (m.start == kNoIndex)
        return {};
    VMFuncRef* start = function(m.start);
    VMVal values[1];
    auto outcome = TRY(invoke(*m_store, *start, Span<VMVal>(values, 1)));
    if (outcome.trap)
        return trap_error(outcome.trap->kind, 0);
    return {};
}

Result<RefPtr<Instance>> Store::instantiate(LoadedModule& module, ImportResolver& resolver)
{
    auto instance = TRY(try_make_ref_counted<Instance>(*this, module));
    TRY(m_types.register_module(module.module(), instance->m_type_ids));
    TRY(instance->allocate_context());
    TRY(instance->link_imports(resolver));
    // From here on, other objects may refer to the instance (its functions in imported
    // tables), so the store keeps it even if initialisation fails.
    TRY(m_instances.try_append(instance));
    TRY(instance->initialize());
    TRY(instance->run_start());
    return instance;
}

} // namespace wk::engine::runtime
