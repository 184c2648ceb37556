// Every module command of the spec suite through the runtime, without executing code:
// modules instantiate (or need execution: start functions, counted apart), register
// works, assert_unlinkable and assert_uninstantiable / assert_trap on modules fail with
// the suite's message. A module whose imports name a registration that could not happen
// (its instance needed execution) is skipped.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/runtime/spectest.h"
#include "engine/text/wast.h"
#include "support.h"

namespace wk::engine::runtime {

using namespace testing;
using text::CommandKind;

namespace {

std::vector<std::filesystem::path> suite_files()
{
    std::vector<std::filesystem::path> files;
    std::filesystem::path root(WK_TESTSUITE_DIR);
    if (!std::filesystem::exists(root))
        return files;
    for (auto const& entry : std::filesystem::recursive_directory_iterator(root)) {
        if (entry.is_regular_file() && entry.path().extension() == ".wast")
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string read_file(std::filesystem::path const& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

struct Tally {
    usize instantiated = 0;
    usize linked_as_expected = 0;
    usize needs_execution = 0;
    usize skipped = 0;
    std::vector<std::string> mismatches;
};

class ScriptRunner {
public:
    ScriptRunner(std::string file, Tally& tally)
        : m_file(std::move(file))
        , m_tally(tally)
    {
        MUST(define_spectest(*m_store, m_linker));
    }

    void run(const text::Command& command)
    {
        m_line = command.line;
        switch (command.kind) {
        case CommandKind::Module: return module_command(command);
        case CommandKind::ModuleInstance: return instance_command(command);
        case CommandKind::Register: return register_command(command);
        case CommandKind::AssertUnlinkable: return expect_failure(command, ErrorKind::Unlinkable);
        case CommandKind::AssertUninstantiable: return expect_failure(command, ErrorKind::OutOfRange);
        case CommandKind::AssertTrap:
            if (command.has_module)
                return expect_failure(command, ErrorKind::OutOfRange);
            return note_action(command);
        case CommandKind::Action:
        case CommandKind::AssertReturn:
        case CommandKind::AssertExhaustion:
        case CommandKind::AssertException: return note_action(command);
        default: return;
        }
    }

private:
    void mismatch(const std::string& what)
    {
        m_tally.mismatches.push_back(m_file + ":" + std::to_string(m_line) + ": " + what);
    }

    RefPtr<LoadedModule> load(const text::ScriptModule& module)
    {
        auto bytes = module.to_binary();
        if (bytes.is_error()) {
            mismatch("does not encode: " + describe(bytes.error()));
            return nullptr;
        }
        auto loaded = LoadedModule::create(bytes.release_value());
        if (loaded.is_error()) {
            mismatch("does not load: " + describe(loaded.error()));
            return nullptr;
        }
        return loaded.release_value();
    }

    // An invocation we cannot run may have changed the instance (grown a memory...):
    // linking against its registrations then depends on execution.
    void note_action(const text::Command& command)
    {
        RefPtr<Instance> instance = m_latest;
        if (command.action.module_id) {
            auto found = m_instances.find(std::string(*command.action.module_id));
            instance = found == m_instances.end() ? nullptr : found->second;
        }
        if (instance)
            m_mutated.insert(instance.get());
    }

    bool imports_mutated(const LoadedModule& module) const
    {
        for (const Import& import : module.module().imports) {
            auto found = m_registered.find(std::string(import.module));
            if (found != m_registered.end() && m_mutated.count(found->second))
                return true;
        }
        return false;
    }

    bool imports_tainted(const LoadedModule& module) const
    {
        for (const Import& import : module.module().imports) {
            if (m_tainted.count(std::string(import.module)))
                return true;
        }
        return false;
    }

    // The instance, or nullptr when it could not be made for a reason already counted.
    RefPtr<Instance> instantiate(LoadedModule& module)
    {
        if (imports_tainted(module)) {
            ++m_tally.skipped;
            return nullptr;
        }
        auto result = m_store->instantiate(module, m_linker);
        if (result.is_error()) {
            if (result.error().kind() == ErrorKind::Unsupported
                || (result.error().kind() == ErrorKind::Unlinkable && imports_mutated(module)))
                ++m_tally.needs_execution;
            else
                mismatch("instantiation failed: " + describe(result.error()));
            return nullptr;
        }
        ++m_tally.instantiated;
        return result.release_value();
    }

    void module_command(const text::Command& command)
    {
        m_latest = nullptr;
        auto module = load(command.module);
        if (!module)
            return;
        if (command.module.is_definition) {
            if (command.module.id)
                m_definitions[std::string(*command.module.id)] = module;
            m_latest_definition = module;
            return;
        }
        m_latest = instantiate(*module);
        if (command.module.id)
            m_instances[std::string(*command.module.id)] = m_latest;
    }

    void instance_command(const text::Command& command)
    {
        RefPtr<LoadedModule> definition = m_latest_definition;
        if (command.definition_id) {
            auto found = m_definitions.find(std::string(*command.definition_id));
            definition = found == m_definitions.end() ? nullptr : found->second;
        }
        m_latest = nullptr;
        if (!definition) {
            mismatch("module instance of an unknown definition");
            return;
        }
        m_latest = instantiate(*definition);
        if (command.instance_id)
            m_instances[std::string(*command.instance_id)] = m_latest;
    }

    void register_command(const text::Command& command)
    {
        RefPtr<Instance> instance = m_latest;
        if (command.register_module) {
            auto found = m_instances.find(std::string(*command.register_module));
            instance = found == m_instances.end() ? nullptr : found->second;
        }
        std::string name(command.register_name.view());
        if (!instance) {
            m_tainted.insert(name);
            return;
        }
        m_tainted.erase(name);
        m_registered[name] = instance.get();
        MUST(m_linker.define_instance(name, *instance));
    }

    void expect_failure(const text::Command& command, ErrorKind kind)
    {
        auto module = load(command.module);
        if (!module)
            return;
        if (imports_tainted(*module)) {
            ++m_tally.skipped;
            return;
        }
        auto result = m_store->instantiate(*module, m_linker);
        std::string expected(command.message.view());
        if (!result.is_error()) {
            mismatch("instantiated, expected \"" + expected + "\"");
            return;
        }
        if (result.error().kind() == ErrorKind::Unsupported) {
            ++m_tally.needs_execution;
            return;
        }
        std::string actual = result.error().message();
        if (result.error().kind() != kind || actual.rfind(expected, 0) != 0) {
            if (imports_mutated(*module)) {
                ++m_tally.needs_execution;
                return;
            }
            mismatch("failed with \"" + describe(result.error()) + "\", expected \"" + expected + "\"");
            return;
        }
        ++m_tally.linked_as_expected;
    }

    std::string m_file;
    Tally& m_tally;
    u32 m_line = 0;
    RefPtr<Store> m_store = make_store();
    Linker m_linker;
    RefPtr<Instance> m_latest;
    RefPtr<LoadedModule> m_latest_definition;
    std::map<std::string, RefPtr<Instance>> m_instances;
    std::map<std::string, RefPtr<LoadedModule>> m_definitions;
    std::set<std::string> m_tainted;
    std::map<std::string, const Instance*> m_registered;
    std::set<const Instance*> m_mutated;
};

} // namespace

TEST(SuiteLinking, EveryModuleCommandLinksAsTheSuiteExpects)
{
    auto files = suite_files();
    if (files.empty())
        GTEST_SKIP() << "no .wast files under " << WK_TESTSUITE_DIR;
    Tally core;
    Tally proposals;
    for (auto const& path : files) {
        std::string relative = std::filesystem::relative(path, WK_TESTSUITE_DIR).string();
        bool is_proposal = relative.rfind("proposals/", 0) == 0 || relative.rfind("legacy/", 0) == 0;
        Tally& tally = is_proposal ? proposals : core;
        std::string source = read_file(path);
        auto script = text::parse_wast(StringView(source));
        if (script.is_error())
            continue; // the text tests own parsing
        ScriptRunner runner(relative, tally);
        for (const text::Command& command : script->commands)
            runner.run(command);
    }
    std::string listing;
    for (usize i = 0; i < core.mismatches.size() && i < 60; ++i)
        listing += core.mismatches[i] + "\n";
    EXPECT_TRUE(core.mismatches.empty()) << core.mismatches.size() << " mismatches:\n" << listing;
    EXPECT_GT(core.instantiated, 1000u);
    EXPECT_GT(core.linked_as_expected, 200u);
    std::string proposal_listing;
    for (usize i = 0; i < proposals.mismatches.size() && i < 30; ++i)
        proposal_listing += proposals.mismatches[i] + "\n";
    std::printf("core: %zu instantiated, %zu failed as expected, %zu need execution, %zu skipped, %zu mismatches\n",
                core.instantiated, core.linked_as_expected, core.needs_execution, core.skipped, core.mismatches.size());
    std::printf("proposals/legacy: %zu instantiated, %zu failed as expected, %zu need execution, %zu skipped, %zu mismatches\n%s",
                proposals.instantiated, proposals.linked_as_expected, proposals.needs_execution, proposals.skipped,
                proposals.mismatches.size(), proposal_listing.c_str());
}

} // namespace wk::engine::runtime

namespace wk::engine::runtime {

// Every module of the suite instantiated in stores with tiny limits: each either
// instantiates or fails with a clear error of a known kind; nothing crashes, and the
// budgets never go over.
TEST(SuiteLinking, TinyLimitsGiveCleanErrors)
{
    auto files = suite_files();
    if (files.empty())
        GTEST_SKIP() << "no .wast files under " << WK_TESTSUITE_DIR;
    RuntimeLimits limits;
    limits.max_memory_bytes = 2 * 65536;
    limits.max_memory64_reservation = 4 * 65536;
    limits.max_table_elements = 16;
    limits.max_store_memory_bytes = 5 * 65536;
    limits.max_store_table_elements = 40;
    limits.max_store_reserved_bytes = 3 * Memory::kI32Reservation;
    usize succeeded = 0;
    usize refused = 0;
    for (auto const& path : files) {
        std::string source = read_file(path);
        auto script = text::parse_wast(StringView(source));
        if (script.is_error())
            continue;
        auto store = make_store(limits);
        Linker linker;
        MUST(define_spectest(*store, linker));
        for (const text::Command& command : script->commands) {
            if (!command.has_module || command.kind == CommandKind::AssertMalformed
                || command.kind == CommandKind::AssertInvalid || command.kind == CommandKind::AssertMalformedCustom
                || command.kind == CommandKind::AssertInvalidCustom)
                continue;
            auto bytes = command.module.to_binary();
            if (bytes.is_error())
                continue;
            auto module = LoadedModule::create(bytes.release_value());
            if (module.is_error())
                continue;
            auto result = store->instantiate(**module, linker);
            if (result.is_error()) {
                ErrorKind kind = result.error().kind();
                EXPECT_TRUE(kind == ErrorKind::OutOfMemory || kind == ErrorKind::Unlinkable || kind == ErrorKind::OutOfRange
                            || kind == ErrorKind::Unsupported)
                    << path << ":" << command.line << ": " << describe(result.error());
                ++refused;
            } else {
                ++succeeded;
                MUST(linker.define_instance("M", **result));
            }
            ASSERT_LE(store->memory_budget().used(), limits.max_store_memory_bytes);
            ASSERT_LE(store->table_budget().used(), limits.max_store_table_elements);
            ASSERT_LE(store->address_space_budget().used(), limits.max_store_reserved_bytes);
        }
    }
    EXPECT_GT(succeeded, 500u);
    EXPECT_GT(refused, 100u);
    std::printf("tiny limits: %zu instantiated, %zu refused cleanly\n", succeeded, refused);
}

} // namespace wk::engine::runtime
