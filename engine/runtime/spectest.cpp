#include "engine/runtime/spectest.h"

#include "base/format.h"

namespace wk::engine::runtime {

namespace {

FormatSink* sink_of(VMContext* vmctx) { return static_cast<FormatSink*>(HostFunction::from_vmctx(vmctx).data()); }

void print_value(FormatSink* sink, ValType type, const VMVal& value)
{
    switch (type.kind) {
    case ValKind::I32: format_to(*sink, "{} : i32\n", value.i32_value()); break;
    case ValKind::I64: format_to(*sink, "{} : i64\n", value.i64_value()); break;
    case ValKind::F32: format_to(*sink, "{} : f32\n", static_cast<f64>(value.f32_value())); break;
    case ValKind::F64: format_to(*sink, "{} : f64\n", value.f64_value()); break;
    default: break;
    }
}

// The native entries (wasm calling convention: the HostFunction, then the parameters).
void native_print(VMContext*) { }
void native_print_i32(VMContext* self, u32 a)
{
    if (auto* sink = sink_of(self))
        print_value(sink, ValType::i32(), VMVal::from_u32(a));
}
void native_print_i64(VMContext* self, u64 a)
{
    if (auto* sink = sink_of(self))
        print_value(sink, ValType::i64(), VMVal::from_u64(a));
}
void native_print_f32(VMContext* self, f32 a)
{
    if (auto* sink = sink_of(self))
        print_value(sink, ValType::f32(), VMVal::from_f32_bits(__builtin_bit_cast(u32, a)));
}
void native_print_f64(VMContext* self, f64 a)
{
    if (auto* sink = sink_of(self))
        print_value(sink, ValType::f64(), VMVal::from_f64_bits(__builtin_bit_cast(u64, a)));
}
void native_print_i32_f32(VMContext* self, u32 a, f32 b)
{
    native_print_i32(self, a);
    native_print_f32(self, b);
}
void native_print_f64_f64(VMContext* self, f64 a, f64 b)
{
    native_print_f64(self, a);
    native_print_f64(self, b);
}

// The array-call entries.
void array_print(VMContext*, VMVal*) { }
void array_print_i32(VMContext* self, VMVal* values) { native_print_i32(self, values[0].u32_value()); }
void array_print_i64(VMContext* self, VMVal* values) { native_print_i64(self, values[0].u64_value()); }
void array_print_f32(VMContext* self, VMVal* values) { native_print_f32(self, values[0].f32_value()); }
void array_print_f64(VMContext* self, VMVal* values) { native_print_f64(self, values[0].f64_value()); }
void array_print_i32_f32(VMContext* self, VMVal* values) { native_print_i32_f32(self, values[0].u32_value(), values[1].f32_value()); }
void array_print_f64_f64(VMContext* self, VMVal* values) { native_print_f64_f64(self, values[0].f64_value(), values[1].f64_value()); }

struct PrintFunction {
    const char* name;
    ValType params[2];
    u32 param_count;
    VMArrayCall array_call;
    const void* native_code;
};

} // namespace

Result<void> define_spectest(Store& store, Linker& linker, FormatSink* output)
{
    const PrintFunction functions[] = {
        { "print", {}, 0, array_print, reinterpret_cast<const void*>(&native_print) },
        { "print_i32", { ValType::i32() }, 1, array_print_i32, reinterpret_cast<const void*>(&native_print_i32) },
        { "print_i64", { ValType::i64() }, 1, array_print_i64, reinterpret_cast<const void*>(&native_print_i64) },
        { "print_f32", { ValType::f32() }, 1, array_print_f32, reinterpret_cast<const void*>(&native_print_f32) },
        { "print_f64", { ValType::f64() }, 1, array_print_f64, reinterpret_cast<const void*>(&native_print_f64) },
        { "print_i32_f32", { ValType::i32(), ValType::f32() }, 2, array_print_i32_f32,
          reinterpret_cast<const void*>(&native_print_i32_f32) },
        { "print_f64_f64", { ValType::f64(), ValType::f64() }, 2, array_print_f64_f64,
          reinterpret_cast<const void*>(&native_print_f64_f64) },
    };
    for (const PrintFunction& function : functions) {
        u32 type_id = TRY(store.types().intern_function(Span<const ValType>(function.params, function.param_count), {}));
        VMFuncRef* funcref = TRY(store.create_host_function(type_id, function.array_call, function.native_code, output));
        TRY(linker.define("spectest", function.name, Extern::from(funcref)));
    }

    Global* global_i32 = TRY(store.create_global(ValType::i32(), false, VMVal::from_u32(666)));
    Global* global_i64 = TRY(store.create_global(ValType::i64(), false, VMVal::from_u64(666)));
    Global* global_f32 = TRY(store.create_global(ValType::f32(), false, VMVal::from_f32_bits(__builtin_bit_cast(u32, 666.6f))));
    Global* global_f64 = TRY(store.create_global(ValType::f64(), false, VMVal::from_f64_bits(__builtin_bit_cast(u64, 666.6))));
    TRY(linker.define("spectest", "global_i32", Extern::from(global_i32)));
    TRY(linker.define("spectest", "global_i64", Extern::from(global_i64)));
    TRY(linker.define("spectest", "global_f32", Extern::from(global_f32)));
    TRY(linker.define("spectest", "global_f64", Extern::from(global_f64)));

    ValType funcref = ValType::ref(HeapKind::Func, true);
    Limits table_limits;
    table_limits.min = 10;
    table_limits.max = 20;
    table_limits.has_max = true;
    Table* table = TRY(store.create_table(funcref, table_limits));
    TRY(linker.define("spectest", "table", Extern::from(table)));
    table_limits.is_64 = true;
    Table* table64 = TRY(store.create_table(funcref, table_limits));
    TRY(linker.define("spectest", "table64", Extern::from(table64)));

    Limits memory_limits;
    memory_limits.min = 1;
    memory_limits.max = 2;
    memory_limits.has_max = true;
    Memory* memory = TRY(store.create_memory(memory_limits));
    TRY(linker.define("spectest", "memory", Extern::from(memory)));
    memory_limits.is_shared = true;
    Memory* shared_memory = TRY(store.create_memory(memory_limits));
    TRY(linker.define("spectest", "shared_memory", Extern::from(shared_memory)));
    return {};
}

} // namespace wk::engine::runtime
