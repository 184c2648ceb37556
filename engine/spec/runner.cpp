#include "engine/spec/runner.h"

#include "base/format.h"
#include "base/hash_map.h"
#include "base/string.h"
#include <new>

#include "engine/compile/compiled_module.h"
#include "engine/module.h"
#include "engine/platform.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/spectest.h"
#include "engine/spec/values.h"

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
    case SkipReason::GcNotImplemented: return "GC not implemented";
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
    case ErrorKind::Unlinkable: return "unlinkable";
    case ErrorKind::OutOfRange: return "trap";
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

// What became of a module the script needs: running, skipped with a reason, or
// absent (never defined, or it failed: that command already counted the failure).
struct Target {
    runtime::Instance* instance { nullptr };
    std::optional<SkipReason> skipped;
};

struct Definition {
    usize module { 0 }; // index into ScriptRunner::m_modules
    std::optional<SkipReason> skipped;
};

class ScriptRunner;

// A `thread` command while it runs: its commands on a worker thread (engine/platform.h),
// in a runner of its own (its own store, names and registrations; the shared modules'
// instances under their names), counted and reported where the script waits for it.
struct ScriptThread {
    String name;
    Tally tally;
    StringBuilder failures;
    ScriptRunner* runner { nullptr };
    Command const* command { nullptr };
    platform::Worker* worker { nullptr };
};

class ScriptRunner {
public:
    ScriptRunner(StringView file_name, StringView source, Tally& tally, FormatSink& failures,
                 compile::CompileOptions const& options, runtime::RuntimeLimits const& limits)
        : m_file_name(file_name)
        , m_source(source)
        , m_tally(tally)
        , m_failures(failures)
        , m_options(options)
        , m_limits(limits)
    {
    }

    ~ScriptRunner();
    void run();

private:
    void run_command(Command const&);
    void run_thread(Command const&);
    void run_wait(Command const&);
    // Joins `thread` and adds its counts and failure lines to this runner's.
    void finish(ScriptThread* thread);
    static void thread_main(platform::Worker*, void* argument);
    void expect(Command const&, CommandClass, Expectation);

    // Execution. Each returns false after counting the command (failed or skipped).
    bool ensure_store(Command const&, CommandClass);
    bool compile(Command const&, CommandClass, usize& module, std::optional<SkipReason>& skipped);
    void run_module(Command const&, CommandClass);
    void run_module_instance(Command const&);
    void instantiate_current(Command const&, CommandClass, usize module, std::optional<SkipReason> skipped,
                             std::optional<StringView> id);
    void run_register(Command const&);
    void run_action(Command const&, CommandClass);
    void run_failing_instantiation(Command const&, CommandClass);
    bool resolve(Command const&, CommandClass, StringView what, std::optional<StringView> id, Target& target);
    void name(std::optional<StringView> id, Target const& target);

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
    void write_error(Error const&);

    StringView m_file_name;
    StringView m_source;
    Tally& m_tally;
    FormatSink& m_failures;
    compile::CompileOptions const& m_options;
    runtime::RuntimeLimits m_limits;

    // The code outlives the store whose instances run it (members die in reverse).
    Vector<compile::CompiledModule> m_modules;
    RefPtr<runtime::Store> m_store;
    runtime::Linker m_linker;
    bool m_store_failed { false };
    Target m_current;
    HashMap<String, Target> m_instances;
    HashMap<String, Definition> m_definitions;
    Vector<ScriptThread*> m_threads; // started, not waited for yet
};

// GC is the feature the engine leaves to a later change; its "not implemented" errors
// become skips, every other error is a failure.
std::optional<SkipReason> skip_reason_of(Error const& error)
{
    if (error.kind() != ErrorKind::Unsupported)
        return std::nullopt;
    StringView message(error.message(), c_string_length(error.message()));
    if (message == "GC not implemented")
        return SkipReason::GcNotImplemented;
    return std::nullopt;
}

// The spec's trap messages are matched by prefix either way round, as the reference
// interpreter's runner does ("out of bounds memory access" vs "out of bounds").
bool message_matches(StringView actual, StringView expected)
{
    usize common = actual.size() < expected.size() ? actual.size() : expected.size();
    return common > 0 && actual.substr(0, common) == expected.substr(0, common);
}

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
        return run_module(command, c);
    case CommandClass::AssertMalformed:
    case CommandClass::AssertMalformedCustom:
        return expect(command, c, Expectation::Malformed);
    case CommandClass::AssertInvalid:
        return expect(command, c, Expectation::Invalid);
    case CommandClass::AssertInvalidCustom:
        return expect(command, c, Expectation::InvalidCustom);
    case CommandClass::AssertUnlinkable:
    case CommandClass::AssertUninstantiable:
        return run_failing_instantiation(command, c);
    case CommandClass::AssertTrap:
        if (command.has_module)
            return run_failing_instantiation(command, c);
        return run_action(command, c);
    case CommandClass::AssertException:
    case CommandClass::AssertExhaustion:
    case CommandClass::AssertReturn:
    case CommandClass::Invoke:
    case CommandClass::Get:
        return run_action(command, c);
    case CommandClass::ModuleInstance: return run_module_instance(command);
    case CommandClass::Register: return run_register(command);
    case CommandClass::Thread: return run_thread(command);
    case CommandClass::Wait: return run_wait(command);
    case CommandClass::Script: return;
    }
}

ScriptRunner::~ScriptRunner()
{
    // A script that never waits for a thread: it is waited for at the end.
    while (!m_threads.is_empty())
        finish(m_threads.last());
}

void ScriptRunner::thread_main(platform::Worker*, void* argument)
{
    auto* thread = static_cast<ScriptThread*>(argument);
    for (Command const& inner : thread->command->thread_commands)
        thread->runner->run_command(inner);
}

void ScriptRunner::run_thread(Command const& command)
{
    CommandClass c = CommandClass::Thread;
    auto* thread = new (std::nothrow) ScriptThread;
    auto name = String::try_create(command.thread_id ? *command.thread_id : StringView());
    if (thread && name)
        thread->runner = new (std::nothrow)
            ScriptRunner(m_file_name, m_source, thread->tally, thread->failures, m_options, m_limits);
    auto give_up = [&](StringView why) {
        if (!why.empty()) {
            begin_failure(command.line, c);
            format_to(m_failures, "expected a running thread, got {}\n", why);
        }
        if (thread)
            delete thread->runner;
        delete thread;
    };
    if (!thread || !name || !thread->runner || !m_threads.try_reserve(m_threads.size() + 1))
        return give_up("out of memory");
    thread->name = name.release_value();
    thread->command = &command;
    for (StringView shared : command.shared_modules) {
        Target target;
        if (!resolve(command, c, "share", shared, target))
            return give_up({}); // counted by resolve
        thread->runner->name(shared, target);
    }
    auto worker = platform::start_worker(&ScriptRunner::thread_main, thread);
    if (!worker)
        return give_up(StringView(worker.error().message(), c_string_length(worker.error().message())));
    thread->worker = *worker;
    (void)m_threads.try_append(thread); // reserved above
    pass(c);
}

void ScriptRunner::finish(ScriptThread* thread)
{
    platform::join_worker(thread->worker);
    for (usize i = 0; i < m_threads.size(); ++i) {
        if (m_threads[i] == thread) {
            m_threads[i] = m_threads.last();
            m_threads.pop_back();
            break;
        }
    }
    delete thread->runner; // its store and modules, after its last command
    m_tally.add(thread->tally);
    m_failures.write(thread->failures.view());
    delete thread;
}

void ScriptRunner::run_wait(Command const& command)
{
    StringView id = command.thread_id ? *command.thread_id : StringView();
    for (ScriptThread* thread : m_threads) {
        if (thread->name.view() == id) {
            finish(thread);
            return pass(CommandClass::Wait);
        }
    }
    begin_failure(command.line, CommandClass::Wait);
    m_failures.write("expected a running thread \"");
    write_escaped(m_failures, id);
    m_failures.write("\", got none\n");
}

bool ScriptRunner::ensure_store(Command const& command, CommandClass c)
{
    if (m_store)
        return true;
    if (!m_store_failed) {
        auto store = runtime::Store::create(m_limits);
        if (store && runtime::define_spectest(**store, m_linker)) {
            m_store = store.release_value();
            return true;
        }
        m_store_failed = true;
    }
    begin_failure(command.line, c);
    m_failures.write("expected a store with the spectest module, got out of memory\n");
    return false;
}

// Front end, then the compiler. A module the compiler leaves to a later tier is
// `skipped`, not failed.
bool ScriptRunner::compile(Command const& command, CommandClass c, usize& module, std::optional<SkipReason>& skipped)
{
    if (auto rejection = check_module(command.module)) {
        begin_failure(command.line, c);
        m_failures.write("expected a valid module, got ");
        write_rejection(command.module, *rejection);
        m_failures.write("\n");
        return false;
    }
    auto binary = command.module.to_binary();
    if (!binary) {
        begin_failure(command.line, c);
        m_failures.write("expected a module, got ");
        write_error(binary.error());
        m_failures.write("\n");
        return false;
    }
    auto compiled = compile::load_and_compile(binary.release_value(), command.module.features, m_options);
    if (!compiled) {
        skipped = skip_reason_of(compiled.error());
        if (skipped)
            return true;
        begin_failure(command.line, c);
        m_failures.write("expected a compiled module, got ");
        write_error(compiled.error());
        m_failures.write("\n");
        return false;
    }
    if (!m_modules.try_append(compiled.release_value())) {
        begin_failure(command.line, c);
        m_failures.write("expected a compiled module, got out of memory\n");
        return false;
    }
    module = m_modules.size() - 1;
    return true;
}

void ScriptRunner::name(std::optional<StringView> id, Target const& target)
{
    if (!id)
        return;
    // Out of memory here only loses the name; later uses of it fail as unknown.
    auto key = String::try_create(*id);
    if (key)
        (void)m_instances.try_set(key.release_value(), target);
}

void ScriptRunner::run_module(Command const& command, CommandClass c)
{
    if (c == CommandClass::Module)
        m_current = {};
    usize module = 0;
    std::optional<SkipReason> skipped;
    if (!compile(command, c, module, skipped))
        return;
    if (c == CommandClass::ModuleDefinition) {
        if (command.module.id) {
            auto key = String::try_create(*command.module.id);
            if (!key || !m_definitions.try_set(key.release_value(), Definition { module, skipped })) {
                begin_failure(command.line, c);
                m_failures.write("expected a module definition, got out of memory\n");
                return;
            }
        }
        return skipped ? skip(c, *skipped) : pass(c);
    }
    instantiate_current(command, c, module, skipped, command.module.id);
}

void ScriptRunner::run_module_instance(Command const& command)
{
    CommandClass c = CommandClass::ModuleInstance;
    m_current = {};
    Definition const* definition = command.definition_id ? m_definitions.get(*command.definition_id) : nullptr;
    if (!definition) {
        begin_failure(command.line, c);
        m_failures.write("expected a module definition, got none\n");
        return;
    }
    instantiate_current(command, c, definition->module, definition->skipped, command.instance_id);
}

// Instantiates m_modules[module] as the current module named `id`, or records why it
// is skipped.
void ScriptRunner::instantiate_current(Command const& command, CommandClass c, usize module,
                                       std::optional<SkipReason> skipped, std::optional<StringView> id)
{
    if (!skipped) {
        if (!ensure_store(command, c))
            return;
        auto instance = m_store->instantiate(*m_modules[module].module, m_linker);
        if (instance) {
            m_current.instance = instance->get();
        } else if (!(skipped = skip_reason_of(instance.error()))) {
            begin_failure(command.line, c);
            m_failures.write("expected an instance, got ");
            write_error(instance.error());
            m_failures.write("\n");
            return;
        }
    }
    m_current.skipped = skipped;
    name(id, m_current);
    if (skipped)
        return skip(c, *skipped);
    pass(c);
}

bool ScriptRunner::resolve(Command const& command, CommandClass c, StringView what, std::optional<StringView> id,
                           Target& target)
{
    if (id) {
        Target const* named = m_instances.get(*id);
        target = named ? *named : Target {};
    } else {
        target = m_current;
    }
    if (target.skipped) {
        skip(c, *target.skipped);
        return false;
    }
    if (!target.instance) {
        begin_failure(command.line, c);
        format_to(m_failures, "expected a module to {}, got none\n", what);
        return false;
    }
    return true;
}

void ScriptRunner::run_register(Command const& command)
{
    CommandClass c = CommandClass::Register;
    Target target;
    if (!resolve(command, c, "register", command.register_module, target))
        return;
    if (!m_linker.define_instance(command.register_name.view(), *target.instance)) {
        begin_failure(command.line, c);
        m_failures.write("expected a registered module, got out of memory\n");
        return;
    }
    pass(c);
}

void ScriptRunner::run_action(Command const& command, CommandClass c)
{
    text::Action const& action = command.action;
    Target target;
    if (!resolve(command, c, "act on", action.module_id, target))
        return;
    runtime::Instance& instance = *target.instance;

    if (action.kind == text::Action::Kind::Get) {
        auto exported = instance.get_export(action.name.view());
        if (!exported || exported->kind != ExternKind::Global) {
            begin_failure(command.line, c);
            m_failures.write("expected a global export \"");
            write_escaped(m_failures, action.name.view());
            m_failures.write("\", got none\n");
            return;
        }
        runtime::VMVal value = exported->global->value();
        if (c == CommandClass::Get)
            return pass(c);
        if (command.results.size() != 1) {
            begin_failure(command.line, c);
            format_to(m_failures, "expected {} results, got 1\n", command.results.size());
            return;
        }
        switch (matches(*m_store, value, command.results[0])) {
        case Match::Yes: return pass(c);
        case Match::No: break;
        }
        begin_failure(command.line, c);
        m_failures.write("expected the pattern, got ");
        write_value(m_failures, value, command.results[0]);
        m_failures.write("\n");
        return;
    }

    Vector<runtime::VMVal> arguments;
    for (text::Value const& value : action.args) {
        auto converted = to_vmval(*m_store, value);
        if (!converted || !arguments.try_append(*converted)) {
            begin_failure(command.line, c);
            m_failures.write("expected arguments, got ");
            write_error(converted ? Error::from("out of memory", ErrorKind::OutOfMemory) : converted.error());
            m_failures.write("\n");
            return;
        }
    }
    auto outcome = compile::invoke_export(instance, action.name.view(), arguments.span());
    if (!outcome) {
        begin_failure(command.line, c);
        m_failures.write("expected a call of \"");
        write_escaped(m_failures, action.name.view());
        m_failures.write("\", got ");
        write_error(outcome.error());
        m_failures.write("\n");
        return;
    }
    bool wants_trap = c == CommandClass::AssertTrap || c == CommandClass::AssertExhaustion;
    if (c == CommandClass::AssertException) {
        if (outcome->trap && outcome->trap->kind == TrapKind::UncaughtException)
            return pass(c);
        begin_failure(command.line, c);
        m_failures.write("expected an uncaught exception, got ");
        if (outcome->trap)
            format_to(m_failures, "trap \"{}\"\n", trap_message(outcome->trap->kind));
        else
            m_failures.write("results\n");
        return;
    }
    if (outcome->trap) {
        StringView actual = trap_message(outcome->trap->kind);
        if (wants_trap && message_matches(actual, command.message))
            return pass(c);
        begin_failure(command.line, c);
        if (wants_trap) {
            m_failures.write("expected trap \"");
            write_escaped(m_failures, command.message);
            m_failures.write("\", got trap \"");
        } else {
            m_failures.write("expected results, got trap \"");
        }
        write_escaped(m_failures, actual);
        m_failures.write("\"\n");
        return;
    }
    if (wants_trap) {
        begin_failure(command.line, c);
        m_failures.write("expected trap \"");
        write_escaped(m_failures, command.message);
        m_failures.write("\", got results\n");
        return;
    }
    if (c != CommandClass::AssertReturn)
        return pass(c);
    if (outcome->results.size() != command.results.size()) {
        begin_failure(command.line, c);
        format_to(m_failures, "expected {} results, got {}\n", command.results.size(), outcome->results.size());
        return;
    }
    for (usize i = 0; i < command.results.size(); ++i) {
        switch (matches(*m_store, outcome->results[i], command.results[i])) {
        case Match::Yes: continue;
        case Match::No: break;
        }
        begin_failure(command.line, c);
        format_to(m_failures, "expected the pattern, got result {} = ", i);
        write_value(m_failures, outcome->results[i], command.results[i]);
        m_failures.write("\n");
        return;
    }
    pass(c);
}

// assert_unlinkable, assert_uninstantiable and assert_trap on a module: the module is
// valid and compiles; instantiating it must fail the way the command says. The
// effects of an instantiation that traps part-way stay, as the spec says.
void ScriptRunner::run_failing_instantiation(Command const& command, CommandClass c)
{
    usize module = 0;
    std::optional<SkipReason> skipped;
    if (!compile(command, c, module, skipped))
        return;
    if (skipped)
        return skip(c, *skipped);
    if (!ensure_store(command, c))
        return;
    auto instance = m_store->instantiate(*m_modules[module].module, m_linker);
    ErrorKind wanted = c == CommandClass::AssertUnlinkable ? ErrorKind::Unlinkable : ErrorKind::OutOfRange;
    if (!instance) {
        if (auto reason = skip_reason_of(instance.error()))
            return skip(c, *reason);
        Error const& error = instance.error();
        StringView message(error.message(), c_string_length(error.message()));
        if (error.kind() == wanted && message_matches(message, command.message))
            return pass(c);
    }
    begin_failure(command.line, c);
    format_to(m_failures, "expected {} \"", wanted == ErrorKind::Unlinkable ? "unlinkable" : "a trap");
    write_escaped(m_failures, command.message);
    m_failures.write("\", got ");
    if (instance)
        m_failures.write("an instance");
    else
        write_error(instance.error());
    m_failures.write("\n");
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

void ScriptRunner::write_error(Error const& error)
{
    format_to(m_failures, "{} (", kind_word(error.kind()));
    write_escaped(m_failures, StringView(error.message(), c_string_length(error.message())));
    m_failures.write(")");
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

void run_script(StringView file_name, StringView source, Tally& tally, FormatSink& failures,
                compile::CompileOptions const& options, runtime::RuntimeLimits const& limits)
{
    ScriptRunner runner(file_name, source, tally, failures, options, limits);
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
