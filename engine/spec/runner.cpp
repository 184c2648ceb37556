#include "engine/spec/runner.h"

#include "base/format.h"
#include "engine/module.h"

namespace wk::engine::spec {

using text::Command;
using text::CommandKind;
using text::ModuleKind;
using text::ScriptModule;

StringView command_class_name(CommandClass c)
{
    switch (c) {
    case CommandClass::Script: return "script";
    case CommandClass::Module: return "module";
    case CommandClass::ModuleDefinition: return "module_definition";
    case CommandClass::ModuleInstance: return "module_instance";
    case CommandClass::Register: return "register";
    case CommandClass::Invoke: return "invoke";
    case CommandClass::Get: return "get";
    case CommandClass::AssertReturn: return "assert_return";
    case CommandClass::AssertTrap: return "assert_trap";
    case CommandClass::AssertExhaustion: return "assert_exhaustion";
    case CommandClass::AssertException: return "assert_exception";
    case CommandClass::AssertMalformed: return "assert_malformed";
    case CommandClass::AssertInvalid: return "assert_invalid";
    case CommandClass::AssertUnlinkable: return "assert_unlinkable";
    case CommandClass::AssertUninstantiable: return "assert_uninstantiable";
    case CommandClass::AssertMalformedCustom: return "assert_malformed_custom";
    case CommandClass::AssertInvalidCustom: return "assert_invalid_custom";
    case CommandClass::Thread: return "thread";
    case CommandClass::Wait: return "wait";
    }
    return "unknown";
}

CommandClass classify(Command const& command)
{
    switch (command.kind) {
    case CommandKind::Module:
        return command.module.is_definition ? CommandClass::ModuleDefinition : CommandClass::Module;
    case CommandKind::ModuleInstance: return CommandClass::ModuleInstance;
    case CommandKind::Register: return CommandClass::Register;
    case CommandKind::Action:
        return command.action.kind == text::Action::Kind::Get ? CommandClass::Get : CommandClass::Invoke;
    case CommandKind::AssertReturn: return CommandClass::AssertReturn;
    case CommandKind::AssertTrap: return CommandClass::AssertTrap;
    case CommandKind::AssertExhaustion: return CommandClass::AssertExhaustion;
    case CommandKind::AssertException: return CommandClass::AssertException;
    case CommandKind::AssertMalformed: return CommandClass::AssertMalformed;
    case CommandKind::AssertInvalid: return CommandClass::AssertInvalid;
    case CommandKind::AssertUnlinkable: return CommandClass::AssertUnlinkable;
    case CommandKind::AssertUninstantiable: return CommandClass::AssertUninstantiable;
    case CommandKind::AssertMalformedCustom: return CommandClass::AssertMalformedCustom;
    case CommandKind::AssertInvalidCustom: return CommandClass::AssertInvalidCustom;
    case CommandKind::Thread: return CommandClass::Thread;
    case CommandKind::Wait: return CommandClass::Wait;
    }
    return CommandClass::Script;
}

StringView skip_reason_text(SkipReason reason)
{
    switch (reason) {
    case SkipReason::ExecutionNotImplemented: return "execution not implemented";
    }
    return "unknown";
}

Counts Tally::totals() const
{
    Counts totals;
    for (Counts const& counts : by_class)
        totals.add(counts);
    return totals;
}

void Tally::add(Tally const& other)
{
    for (usize i = 0; i < kCommandClassCount; ++i)
        by_class[i].add(other.by_class[i]);
    for (usize i = 0; i < kSkipReasonCount; ++i)
        skipped_by_reason[i] += other.skipped_by_reason[i];
}

std::optional<Rejection> check_module(ScriptModule const& script_module)
{
    auto binary = script_module.to_binary();
    if (!binary)
        return Rejection { Stage::Encode, binary.error() };
    auto module = decode_module(binary->span(), script_module.features);
    if (!module)
        return Rejection { Stage::Decode, module.error() };
    auto valid = validate_module(*module);
    if (!valid)
        return Rejection { Stage::Validate, valid.error() };
    return std::nullopt;
}

namespace {

// Verdicts of the assertions on a module's validity.
// InvalidCustom: custom-section annotations are checked against the module
// wherever the engine can, the text parser included; Invalid means the validator.
enum class Expectation : u8 { Valid, Malformed, Invalid, InvalidCustom };

StringView kind_word(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::Malformed: return "malformed";
    case ErrorKind::Invalid: return "invalid";
    case ErrorKind::OutOfMemory: return "out of memory";
    case ErrorKind::Unsupported: return "unsupported";
    default: return "rejected";
    }
}

// Script messages are arbitrary bytes; keep failure lines printable and on one line.
void write_escaped(FormatSink& sink, StringView text)
{
    for (char c : text) {
        auto byte = static_cast<u8>(c);
        if (byte == '"' || byte == '\\')
            format_to(sink, "\\{}", c);
        else if (byte < 0x20 || byte >= 0x7f)
            format_to(sink, "\\{:02x}", byte);
        else
            sink.write(StringView(&c, 1));
    }
}

class ScriptRunner {
public:
    ScriptRunner(StringView file_name, StringView source, Tally& tally, FormatSink& failures)
        : m_file_name(file_name)
        , m_source(source)
        , m_tally(tally)
        , m_failures(failures)
    {
    }

    void run();

private:
    void run_command(Command const&);
    void expect(Command const&, CommandClass, Expectation);
    void expect_valid_then_skip(Command const&, CommandClass);
    void pass(CommandClass c) { ++m_tally[c].passed; }
    void skip(CommandClass c, SkipReason reason)
    {
        ++m_tally[c].skipped;
        ++m_tally.skipped_by_reason[static_cast<usize>(reason)];
    }
    // Counts a failure and starts its line: `FILE:LINE: KIND: `.
    void begin_failure(u32 line, CommandClass c)
    {
        ++m_tally[c].failed;
        format_to(m_failures, "{}:{}: {}: ", m_file_name, line, command_class_name(c));
    }
    void write_expected(Command const&, Expectation);
    void write_rejection(ScriptModule const&, Rejection const&);

    StringView m_file_name;
    StringView m_source;
    Tally& m_tally;
    FormatSink& m_failures;
};

void ScriptRunner::run()
{
    auto script = text::parse_wast(m_source, Features::for_suite_path(m_file_name));
    if (!script) {
        Error const& error = script.error();
        u32 line = error.has_offset() ? text::line_of_offset(m_source, error.offset()) : 1;
        begin_failure(line, CommandClass::Script);
        format_to(m_failures, "expected a script, got {} (", kind_word(error.kind()));
        write_escaped(m_failures, StringView(error.message(), c_string_length(error.message())));
        m_failures.write(")\n");
        return;
    }
    for (Command const& command : script->commands)
        run_command(command);
}

void ScriptRunner::run_command(Command const& command)
{
    CommandClass c = classify(command);
    switch (c) {
    case CommandClass::Module:
    case CommandClass::ModuleDefinition:
        return expect(command, c, Expectation::Valid);
    case CommandClass::AssertMalformed:
    case CommandClass::AssertMalformedCustom:
        return expect(command, c, Expectation::Malformed);
    case CommandClass::AssertInvalid:
        return expect(command, c, Expectation::Invalid);
    case CommandClass::AssertInvalidCustom:
        return expect(command, c, Expectation::InvalidCustom);
    case CommandClass::AssertUnlinkable:
    case CommandClass::AssertUninstantiable:
    case CommandClass::AssertTrap:
    case CommandClass::AssertExhaustion:
    case CommandClass::AssertException:
        return expect_valid_then_skip(command, c);
    case CommandClass::Thread:
        skip(c, SkipReason::ExecutionNotImplemented);
        for (Command const& inner : command.thread_commands)
            run_command(inner);
        return;
    case CommandClass::ModuleInstance:
    case CommandClass::Register:
    case CommandClass::Invoke:
    case CommandClass::Get:
    case CommandClass::AssertReturn:
    case CommandClass::Wait:
    case CommandClass::Script:
        return skip(c, SkipReason::ExecutionNotImplemented);
    }
}

void ScriptRunner::expect(Command const& command, CommandClass c, Expectation expectation)
{
    auto rejection = check_module(command.module);
    bool passed = false;
    switch (expectation) {
    case Expectation::Valid: passed = !rejection; break;
    case Expectation::Malformed: passed = rejection && rejection->error.kind() == ErrorKind::Malformed; break;
    case Expectation::Invalid:
        passed = rejection && rejection->stage != Stage::Encode && rejection->error.kind() == ErrorKind::Invalid;
        break;
    case Expectation::InvalidCustom: passed = rejection && rejection->error.kind() == ErrorKind::Invalid; break;
    }
    if (passed)
        return pass(c);
    begin_failure(command.line, c);
    write_expected(command, expectation);
    m_failures.write(", got ");
    if (rejection)
        write_rejection(command.module, *rejection);
    else
        m_failures.write("a valid module");
    m_failures.write("\n");
}

// Commands whose module needs instantiating or running: the module itself must
// still get through the front end, or the command fails.
void ScriptRunner::expect_valid_then_skip(Command const& command, CommandClass c)
{
    if (!command.has_module)
        return skip(c, SkipReason::ExecutionNotImplemented);
    auto rejection = check_module(command.module);
    if (!rejection)
        return skip(c, SkipReason::ExecutionNotImplemented);
    begin_failure(command.line, c);
    m_failures.write("expected a valid module");
    if (!command.message.is_empty()) {
        m_failures.write(" (then \"");
        write_escaped(m_failures, command.message);
        m_failures.write("\")");
    }
    m_failures.write(", got ");
    write_rejection(command.module, *rejection);
    m_failures.write("\n");
}

void ScriptRunner::write_expected(Command const& command, Expectation expectation)
{
    switch (expectation) {
    case Expectation::Valid: m_failures.write("expected a valid module"); return;
    case Expectation::Malformed: m_failures.write("expected malformed (\""); break;
    case Expectation::Invalid:
    case Expectation::InvalidCustom: m_failures.write("expected invalid (\""); break;
    }
    write_escaped(m_failures, command.message);
    m_failures.write("\")");
}

void ScriptRunner::write_rejection(ScriptModule const& module, Rejection const& rejection)
{
    Error const& error = rejection.error;
    format_to(m_failures, "{} (", kind_word(error.kind()));
    switch (rejection.stage) {
    case Stage::Encode:
        if (!error.has_offset())
            m_failures.write("text");
        else if (module.kind == ModuleKind::Text)
            format_to(m_failures, "text line {}", text::line_of_offset(m_source, error.offset()));
        else
            format_to(m_failures, "quoted text offset {}", error.offset());
        break;
    case Stage::Decode:
    case Stage::Validate:
        m_failures.write(rejection.stage == Stage::Decode ? "decoder" : "validator");
        if (error.has_offset())
            format_to(m_failures, " at offset {:#x}", error.offset());
        break;
    }
    m_failures.write(": ");
    write_escaped(m_failures, StringView(error.message(), c_string_length(error.message())));
    m_failures.write(")");
}

} // namespace

void run_script(StringView file_name, StringView source, Tally& tally, FormatSink& failures)
{
    ScriptRunner runner(file_name, source, tally, failures);
    runner.run();
}

void write_summary(Tally const& tally, FormatSink& sink)
{
    Counts totals = tally.totals();
    format_to(sink, "{} passed, {} failed, {} skipped\n", totals.passed, totals.failed, totals.skipped);
}

void write_json(Tally const& tally, FormatSink& sink)
{
    Counts totals = tally.totals();
    format_to(sink, "{{\"passed\":{},\"failed\":{},\"skipped\":{},\"by_kind\":{{", totals.passed, totals.failed,
              totals.skipped);
    bool first = true;
    for (usize i = 0; i < kCommandClassCount; ++i) {
        Counts const& counts = tally.by_class[i];
        if (counts.total() == 0)
            continue;
        format_to(sink, "{}\"{}\":{{\"passed\":{},\"failed\":{},\"skipped\":{}}}", first ? "" : ",",
                  command_class_name(static_cast<CommandClass>(i)), counts.passed, counts.failed, counts.skipped);
        first = false;
    }
    sink.write("},\"skip_reasons\":{");
    first = true;
    for (usize i = 0; i < kSkipReasonCount; ++i) {
        if (tally.skipped_by_reason[i] == 0)
            continue;
        format_to(sink, "{}\"{}\":{}", first ? "" : ",", skip_reason_text(static_cast<SkipReason>(i)),
                  tally.skipped_by_reason[i]);
        first = false;
    }
    sink.write("}}\n");
}

} // namespace wk::engine::spec
