#include <cstring>

#include <gtest/gtest.h>

#include "engine/runtime/global.h"
#include "engine/runtime/spectest.h"
#include "support.h"

namespace wk::engine::runtime {

using namespace testing;

namespace {

u8 byte_at(Memory* memory, u64 offset) { return memory->base()[offset]; }

struct Fixture : ::testing::Test {
    RefPtr<Store> store = make_store();
    Linker linker;
};

} // namespace

using InstanceTest = Fixture;

TEST_F(InstanceTest, GlobalsWithConstantExpressions)
{
    MUST(define_spectest(*store, linker));
    auto instance = must_instantiate(*store, linker, R"(
        (module
          (import "spectest" "global_i32" (global $g i32))
          (global (export "a") i32 (i32.const -7))
          (global (export "b") i64 (i64.const 0x1_0000_0001))
          (global (export "c") f32 (f32.const 1.5))
          (global (export "d") f64 (f64.const -2.25))
          (global (export "e") (mut i32) (i32.add (global.get $g) (i32.const 4)))
          (global (export "f") i64 (i64.mul (i64.sub (i64.const 10) (i64.const 3)) (i64.const 6)))
          (global (export "g") i32 (i32.mul (i32.const 0x10000) (i32.const 0x10000)))
          (global (export "h") v128 (v128.const i32x4 1 2 3 4))
          (global (export "i") funcref (ref.null func))
          (global (export "j") funcref (ref.func $f))
          (global (export "k") i31ref (ref.i31 (i32.const -1)))
          (global (export "l") i32 (global.get 1))
          (func $f (param i32) (result i32) (local.get 0)))
    )");
    ASSERT_TRUE(instance);
    auto value = [&](const char* name) { return instance->get_export(name)->global->value(); };
    EXPECT_EQ(value("a").i32_value(), -7);
    EXPECT_EQ(value("b").u64_value(), 0x1'0000'0001ull);
    EXPECT_EQ(value("c").f32_value(), 1.5f);
    EXPECT_EQ(value("d").f64_value(), -2.25);
    EXPECT_EQ(value("e").i32_value(), 670);
    EXPECT_EQ(value("f").i64_value(), 42);
    EXPECT_EQ(value("g").i32_value(), 0);
    u32 lanes[4];
    std::memcpy(lanes, value("h").bytes, 16);
    EXPECT_EQ(lanes[0], 1u);
    EXPECT_EQ(lanes[3], 4u);
    EXPECT_EQ(value("i").ref(), nullptr);
    VMFuncRef* f = instance->function(0);
    EXPECT_EQ(value("j").ref(), f);
    EXPECT_EQ(value("k").u64_value(), make_i31_ref(0x7FFF'FFFF));
    EXPECT_EQ(value("l").i32_value(), -7);
    EXPECT_TRUE(instance->get_export("e")->global->is_mutable());
    EXPECT_FALSE(instance->get_export("a")->global->is_mutable());
    EXPECT_FALSE(instance->get_export("nope").has_value());
    // The function entry: this instance's vmctx, its canonical type, no code yet.
    EXPECT_EQ(f->vmctx, instance->vmctx());
    EXPECT_EQ(f->type_id, instance->type_id(0));
    EXPECT_EQ(f->native_code, nullptr);
    EXPECT_EQ(&Instance::from_vmctx(f->vmctx), instance.get());
}

TEST_F(InstanceTest, GcAllocationInConstants)
{
    auto instance = must_instantiate(*store, linker, R"(
        (module (type $s (struct (field i8) (field i64)))
          (type $a (array i16))
          (global (export "s") (ref $s) (struct.new $s (i32.const 0x1FF) (i64.const -2)))
          (global (export "a") (ref $a) (array.new_fixed $a 3 (i32.const 1) (i32.const 2) (i32.const 0x30003)))
          (global (export "d") (ref $a) (array.new_default $a (i32.const 5)))
          (global (export "x") externref (extern.convert_any (global.get 0)))))");
    ASSERT_TRUE(instance);
    auto object = [&](const char* name) { return static_cast<u8*>(instance->get_export(name)->global->value().ref()); };
    EXPECT_EQ(store->gc_heap().object_count(), 3u);
    u8* s = object("s");
    EXPECT_EQ(reinterpret_cast<GcHeader*>(s)->type_id, instance->type_id(0));
    EXPECT_EQ(s[kGcHeaderBytes], 0xFF); // i8 keeps the low byte
    i64 wide;
    std::memcpy(&wide, s + gc_field_offset(store->types().fields(instance->type_id(0)), 1), 8);
    EXPECT_EQ(wide, -2);
    u8* a = object("a");
    EXPECT_EQ(reinterpret_cast<GcHeader*>(a)->length, 3u);
    u16 elements[3];
    std::memcpy(elements, a + kGcHeaderBytes, sizeof(elements));
    EXPECT_EQ(elements[0], 1);
    EXPECT_EQ(elements[2], 3);
    EXPECT_EQ(reinterpret_cast<GcHeader*>(object("d"))->length, 5u);
    EXPECT_EQ(object("x"), s); // the conversion is the identity
}

TEST_F(InstanceTest, VMContextLayout)
{
    auto instance = must_instantiate(*store, linker, R"(
        (module
          (type $t (func))
          (memory 1) (memory 2)
          (table 3 funcref)
          (global $g (mut i32) (i32.const 5))
          (func $a) (func $b (param i64))
          (data "x") (data "y") (elem func $a))
    )");
    ASSERT_TRUE(instance);
    const VMOffsets& offsets = instance->loaded_module().offsets();
    auto* raw = reinterpret_cast<u8*>(instance->vmctx());
    auto field = [&](u32 offset) {
        u64 value;
        std::memcpy(&value, raw + offset, 8);
        return value;
    };
    EXPECT_EQ(offsets.memory_count, 2u);
    EXPECT_EQ(offsets.function_count, 2u);
    EXPECT_EQ(offsets.size % 16, 0u);
    EXPECT_EQ(offsets.functions % 16, 0u);
    EXPECT_EQ(field(VMOffsets::kMemory0Base), reinterpret_cast<u64>(instance->memory(0)->base()));
    EXPECT_EQ(field(VMOffsets::kMemory0), reinterpret_cast<u64>(instance->memory(0)->vm()));
    EXPECT_EQ(field(VMOffsets::kInstance), reinterpret_cast<u64>(instance.get()));
    EXPECT_EQ(field(offsets.memory(1)), reinterpret_cast<u64>(instance->memory(1)->vm()));
    EXPECT_EQ(field(offsets.table(0)), reinterpret_cast<u64>(instance->table(0)->vm()));
    EXPECT_EQ(field(offsets.global(0)), reinterpret_cast<u64>(instance->global(0)->cell()));
    EXPECT_EQ(reinterpret_cast<VMFuncRef*>(raw + offsets.function(1)), instance->function(1));
    u32 id0, id1;
    std::memcpy(&id0, raw + offsets.type_id(0), 4);
    std::memcpy(&id1, raw + offsets.type_id(1), 4);
    EXPECT_EQ(id0, instance->type_id(0));
    EXPECT_EQ(id1, instance->type_id(1));
    EXPECT_NE(id0, id1);
    // Passive data stays; the active-free elem segment "func $a" is passive too.
    EXPECT_FALSE(instance->is_data_dropped(0));
    EXPECT_FALSE(instance->is_elem_dropped(0));
    EXPECT_EQ(instance->memory(1)->size_pages(), 2u);
}

TEST_F(InstanceTest, DataSegmentsInitialiseMemoryInOrder)
{
    auto instance = must_instantiate(*store, linker, R"(
        (module
          (global $base i32 (i32.const 8))
          (memory (export "m") 1 2)
          (data (i32.const 0) "abc")
          (data (i32.const 1) "XY")
          (data (global.get $base) "\01\02")
          (data (i32.add (global.get $base) (i32.const 65524)) "end!")
          (data "passive"))
    )");
    ASSERT_TRUE(instance);
    Memory* memory = instance->get_export("m")->memory;
    EXPECT_EQ(byte_at(memory, 0), 'a');
    EXPECT_EQ(byte_at(memory, 1), 'X');
    EXPECT_EQ(byte_at(memory, 2), 'Y');
    EXPECT_EQ(byte_at(memory, 3), 0);
    EXPECT_EQ(byte_at(memory, 8), 1);
    EXPECT_EQ(byte_at(memory, 9), 2);
    EXPECT_EQ(byte_at(memory, 65535), '!');
    for (u32 i = 0; i < 4; ++i)
        EXPECT_TRUE(instance->is_data_dropped(i));
    EXPECT_FALSE(instance->is_data_dropped(4));
    EXPECT_EQ(instance->data_segment(4).size(), 7u);
    EXPECT_EQ(instance->data_segment(0).size(), 0u);

    // memory.init from the passive segment, then drop it.
    EXPECT_EQ(instance->memory_init(0, 4, 100, 1, 6), TrapKind::None);
    EXPECT_EQ(byte_at(memory, 100), 'a');
    EXPECT_EQ(byte_at(memory, 105), 'e');
    EXPECT_EQ(instance->memory_init(0, 4, 100, 2, 6), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(instance->memory_init(0, 4, 65535, 0, 2), TrapKind::MemoryOutOfBounds);
    instance->drop_data(4);
    EXPECT_EQ(instance->memory_init(0, 4, 0, 0, 0), TrapKind::None);
    EXPECT_EQ(instance->memory_init(0, 4, 0, 0, 1), TrapKind::MemoryOutOfBounds);
}

TEST_F(InstanceTest, ElementSegmentsInitialiseTables)
{
    auto instance = must_instantiate(*store, linker, R"(
        (module
          (type $v (func))
          (table $t (export "t") 6 funcref)
          (table $u 2 externref)
          (func $f0) (func $f1) (func $f2 (param i32))
          (elem (i32.const 1) $f0 $f1)
          (elem (table $t) (i32.const 4) funcref (ref.func $f2) (ref.null func))
          (elem $p funcref (ref.func $f1) (ref.func $f0))
          (elem declare func $f2)
          (elem (table $u) (i32.const 0) externref (ref.null extern)))
    )");
    ASSERT_TRUE(instance);
    Table* table = instance->get_export("t")->table;
    EXPECT_EQ(table->get(0), nullptr);
    EXPECT_EQ(table->get(1), instance->function(0));
    EXPECT_EQ(table->get(2), instance->function(1));
    EXPECT_EQ(table->get(4), instance->function(2));
    EXPECT_EQ(table->get(5), nullptr);
    auto* f2 = static_cast<VMFuncRef*>(table->get(4));
    EXPECT_EQ(f2->type_id, instance->type_id(1));
    EXPECT_NE(f2->type_id, static_cast<VMFuncRef*>(table->get(1))->type_id);
    EXPECT_TRUE(instance->is_elem_dropped(0));
    EXPECT_TRUE(instance->is_elem_dropped(1));
    EXPECT_FALSE(instance->is_elem_dropped(2));
    EXPECT_TRUE(instance->is_elem_dropped(3)); // declarative
    EXPECT_EQ(instance->element_segment(2).size(), 2u);
    EXPECT_EQ(instance->table_init(0, 2, 0, 0, 2), TrapKind::None);
    EXPECT_EQ(table->get(0), instance->function(1));
    EXPECT_EQ(table->get(1), instance->function(0));
    EXPECT_EQ(instance->table_init(0, 2, 5, 0, 2), TrapKind::TableOutOfBounds);
    EXPECT_EQ(instance->table_init(0, 0, 0, 0, 1), TrapKind::TableOutOfBounds); // dropped
}

TEST_F(InstanceTest, AnyrefAndExternrefTables)
{
    MUST(define_spectest(*store, linker));
    auto instance = must_instantiate(*store, linker, R"(
        (module
          (global $e externref (ref.null extern))
          (table (export "any") 4 anyref (ref.i31 (i32.const 7)))
          (table (export "ext") 2 externref)
          (table (export "i31") 2 (ref null i31))
          (elem (table 0) (i32.const 1) anyref (ref.null any) (any.convert_extern (global.get $e)))
          (elem (table 1) (i32.const 0) externref (extern.convert_any (ref.i31 (i32.const 3))))
          (elem (table 2) (i32.const 1) (ref null i31) (ref.i31 (i32.const -1))))
    )");
    ASSERT_TRUE(instance);
    Table* any = instance->get_export("any")->table;
    EXPECT_EQ(reinterpret_cast<uptr>(any->get(0)), make_i31_ref(7));
    EXPECT_EQ(any->get(1), nullptr);
    EXPECT_EQ(any->get(2), nullptr);
    EXPECT_EQ(reinterpret_cast<uptr>(any->get(3)), make_i31_ref(7));
    EXPECT_TRUE(is_i31_ref(reinterpret_cast<uptr>(instance->get_export("ext")->table->get(0))));
    EXPECT_EQ(reinterpret_cast<uptr>(instance->get_export("i31")->table->get(1)), make_i31_ref(0x7FFF'FFFF));
    EXPECT_EQ(any->element_type().heap, HeapKind::Any);
}

TEST_F(InstanceTest, TableWithInitialiserAndTable64)
{
    auto instance = must_instantiate(*store, linker, R"(
        (module
          (func $f)
          (table (export "t") 3 5 funcref (ref.func $f))
          (table (export "t64") i64 2 funcref)
          (elem (table 1) (i64.const 1) func $f))
    )");
    ASSERT_TRUE(instance);
    Table* table = instance->get_export("t")->table;
    EXPECT_EQ(table->get(2), instance->function(0));
    EXPECT_EQ(table->max_size(), 5u);
    Table* table64 = instance->get_export("t64")->table;
    EXPECT_TRUE(table64->is_64());
    EXPECT_EQ(table64->get(0), nullptr);
    EXPECT_EQ(table64->get(1), instance->function(0));
}

TEST_F(InstanceTest, OutOfBoundsDataSegmentFailsAfterEarlierEffects)
{
    auto exporter = must_instantiate(*store, linker, R"((module (memory (export "mem") 1)))");
    ASSERT_TRUE(exporter);
    MUST(linker.define_instance("M", *exporter));
    auto result = instantiate(*store, linker, R"(
        (module
          (import "M" "mem" (memory 1))
          (data (i32.const 10) "first")
          (data (i32.const 65530) "second-overflows")
          (data (i32.const 20) "third"))
    )");
    EXPECT_TRUE(fails_with(result, ErrorKind::OutOfRange, "out of bounds memory access"));
    Memory* memory = exporter->get_export("mem")->memory;
    EXPECT_EQ(byte_at(memory, 10), 'f'); // the earlier segment stays written
    EXPECT_EQ(byte_at(memory, 65530), 0); // the failing one wrote nothing
    EXPECT_EQ(byte_at(memory, 20), 0);    // later ones never ran
    // Offsets are unsigned: -1 is 4 GiB - 1.
    result = instantiate(*store, linker, R"((module (memory 1) (data (i32.const -1) "a")))");
    EXPECT_TRUE(fails_with(result, ErrorKind::OutOfRange, "out of bounds memory access"));
    // An empty segment exactly at the end is fine, one past it is not.
    EXPECT_TRUE(must_instantiate(*store, linker, R"((module (memory 1) (data (i32.const 65536) "")))"));
    result = instantiate(*store, linker, R"((module (memory 1) (data (i32.const 65537) "")))");
    EXPECT_TRUE(fails_with(result, ErrorKind::OutOfRange, "out of bounds memory access"));
}

TEST_F(InstanceTest, OutOfBoundsElementSegmentFailsBeforeData)
{
    auto exporter = must_instantiate(*store, linker, R"(
        (module (memory (export "mem") 1) (table (export "tab") 10 funcref)))");
    ASSERT_TRUE(exporter);
    MUST(linker.define_instance("M", *exporter));
    usize instances_before = store->instance_count();
    auto result = instantiate(*store, linker, R"(
        (module
          (import "M" "mem" (memory 1))
          (import "M" "tab" (table 10 funcref))
          (func $f)
          (elem (i32.const 9) $f)
          (elem (i32.const 9) $f $f)
          (data (i32.const 0) "never"))
    )");
    EXPECT_TRUE(fails_with(result, ErrorKind::OutOfRange, "out of bounds table access"));
    Table* table = exporter->get_export("tab")->table;
    ASSERT_NE(table->get(9), nullptr); // the first segment's function stays, and is alive
    EXPECT_EQ(static_cast<VMFuncRef*>(table->get(9))->native_code, nullptr);
    EXPECT_EQ(store->instance_count(), instances_before + 1);
    EXPECT_EQ(exporter->get_export("mem")->memory->base()[0], 0);
}

TEST_F(InstanceTest, StartFunctionCannotRunWithoutACompiler)
{
    auto result = instantiate(*store, linker, R"((module (func $s) (start $s)))");
    EXPECT_TRUE(fails_with(result, ErrorKind::Unsupported, "execution not implemented"));
}

TEST_F(InstanceTest, HostStartFunctionRuns)
{
    static int calls = 0;
    calls = 0;
    u32 type = MUST(store->types().intern_function({}, {}));
    VMFuncRef* host = MUST(store->create_host_function(type, [](VMContext* self, VMVal*) {
        calls += *static_cast<int*>(HostFunction::from_vmctx(self).data());
    }, nullptr, new int(5)));
    MUST(linker.define("host", "start", Extern::from(host)));
    auto instance = must_instantiate(*store, linker, R"((module (import "host" "start" (func $s)) (start $s)))");
    EXPECT_TRUE(instance);
    EXPECT_EQ(calls, 5);
    delete static_cast<int*>(HostFunction::from_vmctx(host->vmctx).data());
}

TEST_F(InstanceTest, MemoriesOfAllShapes)
{
    auto instance = must_instantiate(*store, linker, R"(
        (module
          (memory (export "a") 0 65536)
          (memory (export "b") i64 1 4)
          (memory (export "c") 1 2 shared)
          (memory (export "d") 5 (pagesize 1))
          (data (memory 1) (i64.const 65535) "z")
          (data (memory 3) (i32.const 4) "q"))
    )");
    ASSERT_TRUE(instance);
    Memory* a = instance->get_export("a")->memory;
    EXPECT_EQ(a->reserved_bytes(), u64 { 8 } << 30);
    EXPECT_EQ(a->committed_bytes(), 0u);
    EXPECT_EQ(a->grow(65537), ~u64 { 0 });
    Memory* b = instance->get_export("b")->memory;
    EXPECT_TRUE(b->is_64());
    EXPECT_EQ(b->base()[65535], 'z');
    EXPECT_TRUE(instance->get_export("c")->memory->is_shared());
    Memory* d = instance->get_export("d")->memory;
    EXPECT_EQ(d->size_bytes(), 5u);
    EXPECT_EQ(d->base()[4], 'q');
}

TEST_F(InstanceTest, HostileMemoryAndTableSizesAreRefused)
{
    RuntimeLimits limits;
    limits.max_memory_bytes = 1 << 20;
    limits.max_table_elements = 1000;
    auto small = make_store(limits);
    auto result = instantiate(*small, linker, R"((module (memory 17)))");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
    result = instantiate(*small, linker, R"((module (table 1001 funcref)))");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
    result = instantiate(*small, linker, R"((module (memory i64 0x1_0000_0000_0000)))");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
    EXPECT_TRUE(must_instantiate(*small, linker, R"((module (memory 16) (table 1000 funcref)))"));
}

TEST_F(InstanceTest, ManyModestMemoriesHitTheStoreBudget)
{
    RuntimeLimits limits;
    limits.max_store_memory_bytes = 10 * 65536;
    limits.max_store_table_elements = 1000;
    auto small = make_store(limits);
    EXPECT_TRUE(must_instantiate(*small, linker, R"((module (memory 4) (memory 4) (table 600 funcref)))"));
    auto result = instantiate(*small, linker, R"((module (memory 1) (memory 2)))");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
    result = instantiate(*small, linker, R"((module (table 401 funcref)))");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
    // The first memory of the failed instance was charged and stays with the store; the
    // table's storage (8 bytes an element) counts in the memory budget too.
    EXPECT_EQ(small->memory_budget().used(), 9u * 65536 + 600u * 8);
    EXPECT_EQ(small->table_budget().used(), 600u);
}

TEST_F(InstanceTest, TableStorageCountsInTheMemoryBudget)
{
    RuntimeLimits limits;
    limits.max_store_memory_bytes = 65536; // 8192 elements
    auto small = make_store(limits);
    auto result = instantiate(*small, linker, R"((module (table 8193 funcref)))");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(small->memory_budget().used(), 0u);
    auto table = small->create_table(ValType::ref(HeapKind::Func, true), Limits { .min = 8000, .max = 100000, .has_max = true });
    ASSERT_TRUE(table.has_value());
    EXPECT_EQ(small->memory_budget().used(), 8000u * 8);
    EXPECT_EQ((*table)->grow(193, nullptr), ~u64 { 0 }); // 8193 elements: beyond the budget
    EXPECT_EQ((*table)->grow(192, nullptr), 8000u);
    EXPECT_EQ(small->memory_budget().used(), 65536u);
    // A memory page no longer fits beside the table.
    EXPECT_TRUE(instantiate(*small, linker, R"((module (memory 1)))").is_error());
}

TEST_F(InstanceTest, FunctionNamesFromTheNameSection)
{
    auto module = load(R"((module (import "m" "f" (func)) (func) (func) (func)
        (@custom "name" "\01\19\03\00\08imported\01\05first\03\05third")))");
    ASSERT_TRUE(module);
    EXPECT_EQ(module->function_name(0), "imported");
    EXPECT_EQ(module->function_name(1), "first");
    EXPECT_EQ(module->function_name(2), "");
    EXPECT_EQ(module->function_name(3), "third");
    EXPECT_EQ(module->function_name(99), "");
    // Out of order and repeated (hostile): still found, the first entry wins.
    auto unsorted = load(R"((module (func) (func) (func) (func)
        (@custom "name" "\01\14\03\03\05third\01\05first\03\03dup")))");
    ASSERT_TRUE(unsorted);
    EXPECT_EQ(unsorted->function_name(1), "first");
    EXPECT_EQ(unsorted->function_name(3), "third");
    EXPECT_EQ(unsorted->function_name(0), "");
}

TEST_F(InstanceTest, MemoryCountIsBoundedByTheStoreAddressSpace)
{
    RuntimeLimits limits;
    limits.max_store_reserved_bytes = 3 * Memory::kI32Reservation;
    auto small = make_store(limits);
    EXPECT_TRUE(must_instantiate(*small, linker, R"((module (memory 0) (memory 0)))"));
    auto result = instantiate(*small, linker, R"((module (memory 0) (memory 0)))");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(small->address_space_budget().used(), 3 * Memory::kI32Reservation);
    // i64 memories are charged what they reserve.
    auto other = make_store(limits);
    EXPECT_TRUE(must_instantiate(*other, linker, R"((module (memory i64 1 2)))"));
    EXPECT_EQ(other->address_space_budget().used(), 2u * 65536);
}

TEST_F(InstanceTest, ModuleInstantiatesTwiceIndependently)
{
    auto module = load(R"((module (global (export "g") (mut i32) (i32.const 1)) (memory (export "m") 1)))");
    ASSERT_TRUE(module);
    auto first = MUST(store->instantiate(*module, linker));
    auto second = MUST(store->instantiate(*module, linker));
    EXPECT_NE(first->get_export("g")->global, second->get_export("g")->global);
    EXPECT_NE(first->get_export("m")->memory->base(), second->get_export("m")->memory->base());
    first->get_export("g")->global->set_value(VMVal::from_i32(9));
    EXPECT_EQ(second->get_export("g")->global->value().i32_value(), 1);
}

} // namespace wk::engine::runtime
