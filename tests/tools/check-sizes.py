#!/usr/bin/env python3
"""Fails when a source file in base/ engine/ hosted/ kernel/ userland/ is over 800 lines or a
C or C++ function body there is over 150 lines (issue 17: files and functions a reader can
hold).

A function body is a '{' at namespace or class scope whose head (the text since the previous
';', '{' or '}' at that scope) is a signature: it has a parameter list and ends with ')' or
with what may follow one (const, noexcept, override, a trailing return type, a constructor's
initializer list). Comments, string and character literals and preprocessor lines are blanked
before the braces are counted. A body's length is counted from its opening brace to its
closing brace, both included. There is no allowlist.

Usage: check-sizes.py [ROOT]   (ROOT: the repository, default: two levels above this file)
       check-sizes.py --self-test   (the brace counter on small known sources)
"""

import os
import re
import sys

kMaxFileLines = 800
kMaxFunctionLines = 150
kFolders = ("base", "engine", "hosted", "kernel", "userland")
kSourceSuffixes = (".cpp", ".h", ".c", ".S", ".def", ".inc")
kCppSuffixes = (".cpp", ".h", ".c")

kContainerHead = re.compile(
    r'^(template\s*<.*>\s*)?((inline\s+)?namespace\b|extern\s+"\s*"\s*$|(class|struct|union)\b)', re.S)
kAccessSpecifier = re.compile(r"^((public|protected|private)\s*:(?!:)\s*)+")
# What may follow a parameter list before the body.
kAfterParameters = re.compile(
    r"\)\s*((const|volatile|noexcept(\s*\([^()]*\))?|override|final|mutable|&&|&|"
    r"\[\[[^\]]*\]\]|__attribute__\s*\(\([^()]*\)\)|->\s*[\w:<>,\s*&]+)\s*)*(requires\s[^;{]+)?$", re.S)


def blank_comments_and_literals(text):
    """Returns text with comments, literals and preprocessor lines replaced by spaces
    (newlines kept, so line numbers stay)."""
    out = []
    i = 0
    n = len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c == "#":
            # A preprocessor line, with its continuations.
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        if c == "\n":
            out.append(c)
            i += 1
            at_line_start = True
            continue
        if c in " \t":
            out.append(c)
            i += 1
            continue
        at_line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
            continue
        raw = re.match(r'(u8|u|U|L)?R"([^(\s]*)\(', text[i:i + 40])
        if raw and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = text.find(")" + raw.group(2) + '"', i + raw.end())
            end = n if end < 0 else end + len(raw.group(2)) + 2
            out.append('"' + re.sub(r"[^\n]", " ", text[i + 1:end - 1]) + '"')
            i = end
            continue
        if c == '"' or (c == "'" and not (i > 0 and text[i - 1].isalnum())):
            # A string or character literal (a ' after a digit or letter is a digit separator).
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def is_signature(head):
    if "(" not in head:
        return False
    if kAfterParameters.search(head):
        return True
    # A constructor with an initializer list: `X::X(...) : m_a(a), m_b{b}`.
    return re.search(r"\)\s*(noexcept\s*)?:(?!:)[\s\S]*[)}]$", head) is not None


def skip_braces(text, i):
    """Returns the offset of the '}' that closes the '{' at offset i."""
    depth = 0
    while i < len(text):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text) - 1


def function_spans(text):
    """Yields (offset of the opening brace, offset of the closing brace) of every function
    body in the blanked text. Outside a function body every '{' opens a namespace or class
    (whose functions are looked for) or something skipped whole."""
    head_start = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == ";":
            head_start = i + 1
        elif c == "}":
            head_start = i + 1
        elif c == "{":
            head = kAccessSpecifier.sub("", text[head_start:i].strip())
            if kContainerHead.match(head):
                head_start = i + 1
            elif is_signature(head):
                closed = skip_braces(text, i)
                yield i, closed
                i = closed
                head_start = i + 1
            elif re.search(r"\)\s*(noexcept\s*)?:(?!:)", head) and re.search(r"[\w>]\s*$", head):
                # A member's brace initialiser in a constructor's initializer list: the head
                # goes on to the body.
                i = skip_braces(text, i)
            else:
                # An enum, an initialiser or a lambda at namespace scope: skip it whole.
                i = skip_braces(text, i)
                head_start = i + 1
        i += 1


def check(root):
    problems = []
    for folder in kFolders:
        for directory, _, files in os.walk(os.path.join(root, folder)):
            for name in sorted(files):
                if not name.endswith(kSourceSuffixes):
                    continue
                path = os.path.join(directory, name)
                shown = os.path.relpath(path, root)
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
                if lines > kMaxFileLines:
                    problems.append((shown, 1, f"file has {lines} lines (limit {kMaxFileLines})"))
                if not name.endswith(kCppSuffixes):
                    continue
                blanked = blank_comments_and_literals(text)
                for opened, closed in function_spans(blanked):
                    first = blanked.count("\n", 0, opened) + 1
                    last = blanked.count("\n", 0, closed) + 1
                    length = last - first + 1
                    if length > kMaxFunctionLines:
                        problems.append((shown, first,
                                         f"function has {length} lines (limit {kMaxFunctionLines})"))
    return sorted(problems)


def body_lengths(source):
    blanked = blank_comments_and_literals(source)
    return [blanked.count("\n", opened, closed) + 1 for opened, closed in function_spans(blanked)]


def self_test():
    """The counter on small sources whose bodies are known: returns the failures."""
    cases = [
        ("int f(int a)\n{\n    return a;\n}\n", [3]),
        ('namespace n {\nstruct S {\n    S(int a) : m_a{a}, m_b(a) { }\n    int g() const\n    {\n'
         '        return m_a;\n    }\n    int m_a { 0 };\n    int m_b;\n};\n}\n', [1, 3]),
        ('extern "C" void h()\n{\n    const char* s = "}}}";\n    // }\n    char c = \'{\';\n}\n', [5]),
        ('enum class E { A, B };\nconst int k[] = { 1, 2 };\nauto f() -> int\n{\n    if (1) {\n'
         '        return 1;\n    }\n    return 2;\n}\n', [6]),
        ('#define M(x) { x }\ntemplate<typename T>\nT g(T t)\n    requires (sizeof(T) > 1)\n{\n'
         '    auto l = [&] {\n        return t;\n    };\n    return l();\n}\n', [6]),
    ]
    failures = []
    for source, expected in cases:
        found = body_lengths(source)
        if found != expected:
            failures.append(f"self-test: expected bodies of {expected} lines, found {found} in:\n{source}")
    return failures


def main():
    if sys.argv[1:] == ["--self-test"]:
        failures = self_test()
        print("\n".join(failures) if failures else "self-test: all cases counted as expected")
        return 1 if failures else 0
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    problems = check(os.path.abspath(root))
    for path, line, what in problems:
        print(f"{path}:{line}: {what}")
    if problems:
        print(f"{len(problems)} over the limits (files {kMaxFileLines} lines, functions "
              f"{kMaxFunctionLines} lines)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
