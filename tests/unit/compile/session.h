// A test session shared by the compile tests: one WAT module compiled (default options
// unless given), instantiated in a fresh store with the spectest imports, and its exports called.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>

#include "engine/compile/compiled_module.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"

namespace wk::engine::test_session {

struct Session {
    RefPtr<runtime::Store> store;
    runtime::Linker linker;
    compile::CompiledModule compiled;
    RefPtr<runtime::Instance> instance;
    compile::CompileStatistics statistics;
};

// NOTE: reports failures with gtest EXPECTs and returns null on them.
std::unique_ptr<Session> instantiate(const std::string& wat, const compile::CompileOptions& options = {},
                                     const runtime::RuntimeLimits& limits = {});

// Calls export `name`; an error (not a trap) fails the test.
compile::CallOutcome call(Session& session, const char* name, std::initializer_list<runtime::VMVal> args);

// The one result of a call that must not trap, as i64.
i64 call_i64(Session& session, const char* name, std::initializer_list<runtime::VMVal> args);

} // namespace wk::engine::test_session
