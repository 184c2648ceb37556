#include <gtest/gtest.h>

#include "engine/text/wast.h"

using namespace wk;
using namespace wk::engine::text;

TEST(Wast, CommandsAndLines)
{
    char const* source = R"wast((module $m (func (export "f") (param i32) (result i32) (local.get 0)))
(register "reg" $m)
(assert_return (invoke $m "f" (i32.const -1)) (i32.const 0xffffffff))
(assert_return (invoke "g" (f32.const 1.5) (ref.null func) (ref.extern 7))
  (f32.const nan:canonical) (f64.const nan:arithmetic) (ref.extern) (ref.func)
  (either (i32.const 1) (i32.const 2))
  (v128.const f32x4 nan:canonical 1 -0 nan:arithmetic))
(assert_trap (invoke "h") "unreachable")
(assert_exhaustion (invoke "rec") "call stack exhausted")
(assert_malformed (module quote "(func i32.nope)") "unknown operator")
(assert_malformed (module binary "\00asm") "unexpected end")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module (func (br $nowhere))) "unknown label")
(module definition $d binary "\00asm\01\00\00\00")
(module instance $i $d)
(get $i "glob")
(assert_unlinkable (module (import "x" "y" (func))) "unknown import")
(assert_exception (invoke "throws"))
)wast";
    auto script = parse_wast(source);
    ASSERT_TRUE(script.has_value()) << script.error().message() << " at " << script.error().offset();
    auto const& c = script->commands;
    ASSERT_EQ(c.size(), 15u);

    EXPECT_EQ(c[0].kind, CommandKind::Module);
    EXPECT_EQ(c[0].line, 1u);
    EXPECT_EQ(*c[0].module.id, "m");
    EXPECT_FALSE(c[0].module.error.has_value());
    EXPECT_GT(c[0].module.binary.size(), 8u);

    EXPECT_EQ(c[1].kind, CommandKind::Register);
    EXPECT_EQ(c[1].register_name.view(), "reg");
    EXPECT_EQ(*c[1].register_module, "m");

    EXPECT_EQ(c[2].kind, CommandKind::AssertReturn);
    EXPECT_EQ(c[2].line, 3u);
    EXPECT_EQ(*c[2].action.module_id, "m");
    EXPECT_EQ(c[2].action.name.view(), "f");
    ASSERT_EQ(c[2].action.args.size(), 1u);
    EXPECT_EQ(c[2].action.args[0].kind, ValueKind::I32);
    EXPECT_EQ(c[2].action.args[0].bits, 0xFFFFFFFFu);
    ASSERT_EQ(c[2].results.size(), 1u);
    EXPECT_EQ(c[2].results[0].bits, 0xFFFFFFFFu);

    auto const& r = c[3];
    ASSERT_EQ(r.action.args.size(), 3u);
    EXPECT_EQ(r.action.args[0].bits, 0x3FC00000u);
    EXPECT_EQ(r.action.args[1].kind, ValueKind::RefNull);
    EXPECT_EQ(r.action.args[1].heap, 0x70u);
    EXPECT_EQ(r.action.args[2].kind, ValueKind::RefExtern);
    EXPECT_EQ(r.action.args[2].bits, 7u);
    ASSERT_EQ(r.results.size(), 6u);
    EXPECT_EQ(r.results[0].nan, NanPattern::Canonical);
    EXPECT_EQ(r.results[1].kind, ResultPattern::Kind::F64);
    EXPECT_EQ(r.results[1].nan, NanPattern::Arithmetic);
    EXPECT_EQ(r.results[2].kind, ResultPattern::Kind::RefExtern);
    EXPECT_FALSE(r.results[2].has_payload);
    EXPECT_EQ(r.results[3].kind, ResultPattern::Kind::RefFunc);
    ASSERT_EQ(r.results[4].kind, ResultPattern::Kind::Either);
    ASSERT_EQ(r.results[4].alternatives.size(), 2u);
    EXPECT_EQ(r.results[4].alternatives[1].bits, 2u);
    EXPECT_EQ(r.results[5].kind, ResultPattern::Kind::V128);
    EXPECT_EQ(r.results[5].shape, V128Shape::F32x4);
    EXPECT_EQ(r.results[5].lanes[0].nan, NanPattern::Canonical);
    EXPECT_EQ(r.results[5].lanes[1].bits, 0x3F800000u);
    EXPECT_EQ(r.results[5].lanes[2].bits, 0x80000000u);
    EXPECT_EQ(r.results[5].lanes[3].nan, NanPattern::Arithmetic);

    EXPECT_EQ(c[4].kind, CommandKind::AssertTrap);
    EXPECT_EQ(c[4].message.view(), "unreachable");
    EXPECT_EQ(c[5].kind, CommandKind::AssertExhaustion);

    EXPECT_EQ(c[6].kind, CommandKind::AssertMalformed);
    EXPECT_EQ(c[6].module.kind, ModuleKind::Quote);
    auto quoted = c[6].module.to_binary();
    ASSERT_FALSE(quoted.has_value());
    EXPECT_STREQ(quoted.error().message(), "unknown operator");

    EXPECT_EQ(c[7].module.kind, ModuleKind::Binary);
    EXPECT_EQ(c[7].module.binary.size(), 4u);

    EXPECT_EQ(c[8].kind, CommandKind::AssertInvalid);
    EXPECT_TRUE(c[8].module.to_binary().has_value());

    // A text module that fails to encode is an outcome of its command, not a script error.
    EXPECT_EQ(c[9].kind, CommandKind::AssertMalformed);
    ASSERT_TRUE(c[9].module.error.has_value());
    EXPECT_STREQ(c[9].module.error->message(), "unknown label");

    EXPECT_TRUE(c[10].module.is_definition);
    EXPECT_EQ(*c[10].module.id, "d");
    EXPECT_EQ(c[11].kind, CommandKind::ModuleInstance);
    EXPECT_EQ(*c[11].instance_id, "i");
    EXPECT_EQ(*c[11].definition_id, "d");
    EXPECT_EQ(c[12].kind, CommandKind::Action);
    EXPECT_EQ(c[12].action.kind, Action::Kind::Get);
    EXPECT_EQ(c[13].kind, CommandKind::AssertUnlinkable);
    EXPECT_EQ(c[14].kind, CommandKind::AssertException);
    EXPECT_EQ(c[14].line, 18u);
}

TEST(Wast, ScriptErrorsCarryOffsets)
{
    auto script = parse_wast("(module)\n(assert_return (invoke \"f\" (i32.const 1)")
    ;
    ASSERT_FALSE(script.has_value());
    EXPECT_EQ(script.error().kind(), ErrorKind::Malformed);
    EXPECT_EQ(line_of_offset("(module)\n(assert_return (invoke \"f\" (i32.const 1)", script.error().offset()), 2u);

    auto unknown = parse_wast("(frobnicate)");
    ASSERT_FALSE(unknown.has_value());
    EXPECT_STREQ(unknown.error().message(), "unknown script command");
    EXPECT_EQ(unknown.error().offset(), 1u);
}

TEST(Wast, BareModuleScript)
{
    auto script = parse_wast("(func) (memory 0) (func (export \"f\"))");
    ASSERT_TRUE(script.has_value());
    ASSERT_EQ(script->commands.size(), 1u);
    EXPECT_EQ(script->commands[0].kind, CommandKind::Module);
    EXPECT_FALSE(script->commands[0].module.error.has_value());
}

TEST(Wast, ThreadsAndWait)
{
    auto script = parse_wast("(module $Mem (memory 1 1 shared))\n"
                             "(thread $T1 (shared (module $Mem))\n"
                             "  (register \"mem\" $Mem)\n"
                             "  (module (memory (import \"mem\" \"shared\") 1 1 shared))\n"
                             "  (assert_return (invoke \"run\")))\n"
                             "(wait $T1)\n");
    ASSERT_TRUE(script.has_value()) << script.error().message();
    ASSERT_EQ(script->commands.size(), 3u);
    Command const& thread = script->commands[1];
    EXPECT_EQ(thread.kind, CommandKind::Thread);
    EXPECT_EQ(*thread.thread_id, "T1");
    ASSERT_EQ(thread.shared_modules.size(), 1u);
    EXPECT_EQ(thread.shared_modules[0], "Mem");
    ASSERT_EQ(thread.thread_commands.size(), 3u);
    EXPECT_EQ(thread.thread_commands[1].kind, CommandKind::Module);
    EXPECT_EQ(thread.thread_commands[2].line, 5u);
    EXPECT_EQ(script->commands[2].kind, CommandKind::Wait);
    EXPECT_FALSE(parse_wast("(thread $a (thread $b))").has_value());
}

// The script's features reach its quoted modules, which are encoded later.
TEST(Wast, FeaturesReachQuotedModules)
{
    char const* source = R"wast((assert_malformed (module quote "(memory 0x1_0000_0000)") "i32 constant out of range")
(module (memory 0 0xFFFF_FFFF))
(assert_malformed (module (memory 0 0x1_0000_0000)) "i32 constant out of range"))wast";
    auto core = parse_wast(source);
    ASSERT_TRUE(core.has_value());
    ASSERT_EQ(core->commands.size(), 3u);
    EXPECT_TRUE(core->commands[0].module.to_binary().has_value());
    EXPECT_TRUE(core->commands[2].module.to_binary().has_value());

    auto threads = parse_wast(source, engine::Features::for_suite_path("proposals/threads/memory.wast"));
    ASSERT_TRUE(threads.has_value());
    auto quoted = threads->commands[0].module.to_binary();
    ASSERT_FALSE(quoted.has_value());
    EXPECT_STREQ(quoted.error().message(), "i32 constant out of range");
    EXPECT_TRUE(threads->commands[1].module.to_binary().has_value());
    EXPECT_FALSE(threads->commands[1].module.features.multiple_memories);
    EXPECT_TRUE(core->commands[1].module.features.multiple_memories);
    auto text = threads->commands[2].module.to_binary();
    ASSERT_FALSE(text.has_value());
    EXPECT_STREQ(text.error().message(), "i32 constant out of range");
}
