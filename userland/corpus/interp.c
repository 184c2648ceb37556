// A small interpreter: integers and strings, variables, functions with recursion,
// if/while, print. Parses the program file argv[1] into a tree and walks it.
//
//   program   := (function | statement)*
//   function  := "fn" NAME "(" [NAME ("," NAME)*] ")" block
//   statement := "let" NAME "=" expr ";" | NAME "=" expr ";" | "print" expr ("," expr)* ";"
//              | "if" "(" expr ")" block ["else" (block | if)] | "while" "(" expr ")" block
//              | "return" expr ";" | expr ";"
//   expr      := precedence climbing over || && == != < <= > >= + - * / %, unary - !
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum Kind { NUM, STR, VAR, CALL, BINARY, UNARY, LET, ASSIGN, PRINT, IF, WHILE, RETURN, EXPR, BLOCK };

struct Node {
    enum Kind kind;
    long long number;
    char* text;  // identifier, string literal, or operator
    struct Node** children;
    int count;
    int line;
};

struct Function {
    char* name;
    char** params;
    int param_count;
    struct Node* body;
};

static const char* source;
static int position, line = 1;
static char token[256];
static enum { T_END, T_NUM, T_STR, T_NAME, T_OP } token_kind;
static struct Function functions[64];
static int function_count;

_Noreturn static void die(const char* format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "error: ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
    exit(2);
}

static void advance(void)
{
    for (;;) {
        while (isspace((unsigned char)source[position])) {
            if (source[position] == '\n')
                ++line;
            ++position;
        }
        if (source[position] == '#') {
            while (source[position] && source[position] != '\n')
                ++position;
            continue;
        }
        break;
    }
    char c = source[position];
    int length = 0;
    if (!c) {
        token_kind = T_END;
        token[0] = 0;
        return;
    }
    if (isdigit((unsigned char)c)) {
        while (isdigit((unsigned char)source[position]))
            token[length++] = source[position++];
        token_kind = T_NUM;
    } else if (isalpha((unsigned char)c) || c == '_') {
        while (isalnum((unsigned char)source[position]) || source[position] == '_')
            token[length++] = source[position++];
        token_kind = T_NAME;
    } else if (c == '"') {
        ++position;
        while (source[position] && source[position] != '"') {
            char ch = source[position++];
            if (ch == '\\' && source[position] == 'n') {
                ch = '\n';
                ++position;
            }
            token[length++] = ch;
        }
        if (source[position] != '"')
            die("line %d: unterminated string", line);
        ++position;
        token_kind = T_STR;
    } else {
        static const char* two[] = { "==", "!=", "<=", ">=", "&&", "||" };
        token_kind = T_OP;
        for (int i = 0; i < 6; ++i) {
            if (strncmp(source + position, two[i], 2) == 0) {
                token[length++] = source[position++];
                token[length++] = source[position++];
                token[length] = 0;
                return;
            }
        }
        token[length++] = source[position++];
    }
    token[length] = 0;
}

static int accept(const char* text)
{
    if ((token_kind == T_OP || token_kind == T_NAME) && strcmp(token, text) == 0) {
        advance();
        return 1;
    }
    return 0;
}

static void expect(const char* text)
{
    if (!accept(text))
        die("line %d: expected '%s' but found '%s'", line, text, token);
}

static struct Node* node(enum Kind kind)
{
    struct Node* n = calloc(1, sizeof *n);
    n->kind = kind;
    n->line = line;
    return n;
}

static void add(struct Node* parent, struct Node* child)
{
    parent->children = realloc(parent->children, sizeof(struct Node*) * (size_t)(parent->count + 1));
    parent->children[parent->count++] = child;
}

static struct Node* expression(int min_precedence);

static struct Node* primary(void)
{
    struct Node* n;
    if (token_kind == T_NUM) {
        n = node(NUM);
        n->number = atoll(token);
        advance();
    } else if (token_kind == T_STR) {
        n = node(STR);
        n->text = strdup(token);
        advance();
    } else if (token_kind == T_NAME) {
        char* name = strdup(token);
        advance();
        if (accept("(")) {
            n = node(CALL);
            n->text = name;
            if (!accept(")")) {
                do
                    add(n, expression(0));
                while (accept(","));
                expect(")");
            }
        } else {
            n = node(VAR);
            n->text = name;
        }
    } else if (accept("(")) {
        n = expression(0);
        expect(")");
    } else if (token_kind == T_OP && (strcmp(token, "-") == 0 || strcmp(token, "!") == 0)) {
        n = node(UNARY);
        n->text = strdup(token);
        advance();
        add(n, primary());
    } else {
        die("line %d: unexpected '%s'", line, token);
        return NULL;
    }
    return n;
}

static int precedence(const char* op)
{
    static const struct {
        const char* op;
        int level;
    } table[] = { { "||", 1 }, { "&&", 2 }, { "==", 3 }, { "!=", 3 }, { "<", 4 }, { "<=", 4 }, { ">", 4 },
                  { ">=", 4 }, { "+", 5 },  { "-", 5 },  { "*", 6 },  { "/", 6 },  { "%", 6 } };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; ++i)
        if (strcmp(op, table[i].op) == 0)
            return table[i].level;
    return -1;
}

static struct Node* expression(int min_precedence)
{
    struct Node* left = primary();
    while (token_kind == T_OP && precedence(token) > min_precedence) {
        struct Node* n = node(BINARY);
        n->text = strdup(token);
        int level = precedence(token);
        advance();
        add(n, left);
        add(n, expression(level));
        left = n;
    }
    return left;
}

static struct Node* block(void);

static struct Node* statement(void)
{
    struct Node* n;
    if (accept("let")) {
        n = node(LET);
        n->text = strdup(token);
        advance();
        expect("=");
        add(n, expression(0));
        expect(";");
    } else if (accept("print")) {
        n = node(PRINT);
        do
            add(n, expression(0));
        while (accept(","));
        expect(";");
    } else if (accept("if")) {
        n = node(IF);
        expect("(");
        add(n, expression(0));
        expect(")");
        add(n, block());
        if (accept("else")) {
            if (token_kind == T_NAME && strcmp(token, "if") == 0) {
                struct Node* chained = node(BLOCK);
                add(chained, statement());
                add(n, chained);
            } else {
                add(n, block());
            }
        }
    } else if (accept("while")) {
        n = node(WHILE);
        expect("(");
        add(n, expression(0));
        expect(")");
        add(n, block());
    } else if (accept("return")) {
        n = node(RETURN);
        add(n, expression(0));
        expect(";");
    } else {
        struct Node* target = expression(0);
        if (target->kind == VAR && accept("=")) {
            n = node(ASSIGN);
            n->text = target->text;
            add(n, expression(0));
        } else {
            n = node(EXPR);
            add(n, target);
        }
        expect(";");
    }
    return n;
}

static struct Node* block(void)
{
    struct Node* n = node(BLOCK);
    expect("{");
    while (!accept("}")) {
        if (token_kind == T_END)
            die("line %d: missing '}'", line);
        add(n, statement());
    }
    return n;
}

// ---- evaluation ----

struct Value {
    int is_string;
    long long number;
    char* string;
};

struct Variable {
    char* name;
    struct Value value;
};

struct Scope {
    struct Variable variables[64];
    int count;
};

static long long steps;

static struct Value* lookup(struct Scope* scope, struct Scope* globals, const char* name)
{
    for (int i = scope->count - 1; i >= 0; --i)
        if (strcmp(scope->variables[i].name, name) == 0)
            return &scope->variables[i].value;
    for (int i = globals->count - 1; i >= 0; --i)
        if (strcmp(globals->variables[i].name, name) == 0)
            return &globals->variables[i].value;
    return NULL;
}

// `let` of a name the scope already has assigns it (a loop body's let runs many times).
static void define(struct Scope* scope, const char* name, struct Value value)
{
    for (int i = 0; i < scope->count; ++i) {
        if (strcmp(scope->variables[i].name, name) == 0) {
            scope->variables[i].value = value;
            return;
        }
    }
    if (scope->count == 64)
        die("too many variables");
    scope->variables[scope->count].name = (char*)name;
    scope->variables[scope->count].value = value;
    ++scope->count;
}

static struct Scope globals;

static struct Value evaluate(struct Node* n, struct Scope* scope);

// Returns 1 when a return statement ran; its value is in *result.
static int execute(struct Node* n, struct Scope* scope, struct Value* result)
{
    ++steps;
    switch (n->kind) {
    case LET: define(scope, n->text, evaluate(n->children[0], scope)); return 0;
    case ASSIGN: {
        struct Value* target = lookup(scope, &globals, n->text);
        if (!target)
            die("line %d: assignment to undefined '%s'", n->line, n->text);
        *target = evaluate(n->children[0], scope);
        return 0;
    }
    case PRINT:
        for (int i = 0; i < n->count; ++i) {
            struct Value v = evaluate(n->children[i], scope);
            if (i)
                putchar(' ');
            if (v.is_string)
                fputs(v.string, stdout);
            else
                printf("%lld", v.number);
        }
        putchar('\n');
        return 0;
    case IF:
        if (evaluate(n->children[0], scope).number)
            return execute(n->children[1], scope, result);
        if (n->count > 2)
            return execute(n->children[2], scope, result);
        return 0;
    case WHILE:
        while (evaluate(n->children[0], scope).number)
            if (execute(n->children[1], scope, result))
                return 1;
        return 0;
    case RETURN: *result = evaluate(n->children[0], scope); return 1;
    case EXPR: evaluate(n->children[0], scope); return 0;
    case BLOCK:
        for (int i = 0; i < n->count; ++i)
            if (execute(n->children[i], scope, result))
                return 1;
        return 0;
    default: die("line %d: not a statement", n->line);
    }
    return 0;
}

static struct Value number(long long value)
{
    struct Value v = { 0, value, NULL };
    return v;
}

static struct Value evaluate(struct Node* n, struct Scope* scope)
{
    switch (n->kind) {
    case NUM: return number(n->number);
    case STR: {
        struct Value v = { 1, 0, n->text };
        return v;
    }
    case VAR: {
        struct Value* v = lookup(scope, &globals, n->text);
        if (!v)
            die("line %d: undefined variable '%s'", n->line, n->text);
        return *v;
    }
    case UNARY: {
        long long x = evaluate(n->children[0], scope).number;
        return number(n->text[0] == '-' ? -x : !x);
    }
    case BINARY: {
        const char* op = n->text;
        if (strcmp(op, "&&") == 0)
            return number(evaluate(n->children[0], scope).number && evaluate(n->children[1], scope).number);
        if (strcmp(op, "||") == 0)
            return number(evaluate(n->children[0], scope).number || evaluate(n->children[1], scope).number);
        long long a = evaluate(n->children[0], scope).number;
        long long b = evaluate(n->children[1], scope).number;
        switch (op[0]) {
        case '+': return number(a + b);
        case '-': return number(a - b);
        case '*': return number(a * b);
        case '/':
        case '%':
            if (b == 0)
                die("line %d: division by zero", n->line);
            return number(op[0] == '/' ? a / b : a % b);
        case '=': return number(a == b);
        case '!': return number(a != b);
        case '<': return number(op[1] ? a <= b : a < b);
        case '>': return number(op[1] ? a >= b : a > b);
        }
        die("line %d: bad operator %s", n->line, op);
    }
    case CALL: {
        for (int f = 0; f < function_count; ++f) {
            if (strcmp(functions[f].name, n->text) != 0)
                continue;
            if (functions[f].param_count != n->count)
                die("line %d: %s takes %d arguments", n->line, n->text, functions[f].param_count);
            struct Scope* local = calloc(1, sizeof *local);
            for (int i = 0; i < n->count; ++i)
                define(local, functions[f].params[i], evaluate(n->children[i], scope));
            struct Value result = number(0);
            execute(functions[f].body, local, &result);
            free(local);
            return result;
        }
        die("line %d: unknown function '%s'", n->line, n->text);
    }
    default: die("line %d: not an expression", n->line);
    }
    return number(0);
}

int main(int argc, char** argv)
{
    if (argc < 2)
        die("usage: interp FILE");
    FILE* file = fopen(argv[1], "r");
    if (!file)
        die("cannot open %s", argv[1]);
    static char text[1 << 16];
    size_t length = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[length] = 0;
    source = text;
    advance();

    struct Node* program = node(BLOCK);
    while (token_kind != T_END) {
        if (accept("fn")) {
            struct Function* f = &functions[function_count++];
            f->name = strdup(token);
            advance();
            expect("(");
            f->params = malloc(sizeof(char*) * 8);
            if (!accept(")")) {
                do {
                    f->params[f->param_count++] = strdup(token);
                    advance();
                } while (accept(","));
                expect(")");
            }
            f->body = block();
        } else {
            add(program, statement());
        }
    }
    struct Value ignored;
    execute(program, &globals, &ignored);
    fprintf(stderr, "%lld statements executed\n", steps);
    return 0;
}
