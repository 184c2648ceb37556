/* A bytecode interpreter: a stack machine with 64-bit values, eight locals and a switch
 * dispatch loop, running a bytecode program (assembled below) that sums weighted Collatz
 * chain lengths for 1..n and calls a bytecode subroutine for every number. Branchy,
 * indirect-jump-heavy integer code, like any interpreter's inner loop. */
#include "bench.h"

enum Op {
    kPush,  /* imm: push imm */
    kLoad,  /* imm: push local[imm] */
    kStore, /* imm: pop into local[imm] */
    kAdd,
    kSub,
    kMul,
    kAnd,
    kShr,   /* pop b, pop a, push a >> b */
    kLess,  /* pop b, pop a, push a < b */
    kEqual,
    kJumpIfZero, /* imm: pop, jump to imm if zero */
    kJump,       /* imm: jump to imm */
    kCall,       /* imm: push return address, jump to imm (locals are shared) */
    kReturn,
    kHalt,
};

typedef struct {
    int32_t op;
    int32_t imm;
} Insn;

typedef struct {
    Insn code[256];
    int count;
} Program;

static int emit(Program* p, int op, int imm)
{
    p->code[p->count].op = op;
    p->code[p->count].imm = imm;
    return p->count++;
}

static void patch(Program* p, int at, int target)
{
    p->code[at].imm = target;
}

/* locals: 0 = i, 1 = n, 2 = x, 3 = steps, 4 = total, 5 = scratch */
static void assemble(Program* p)
{
    p->count = 0;
    emit(p, kPush, 1);
    emit(p, kStore, 0);
    int loop = emit(p, kLoad, 0);
    emit(p, kLoad, 1);
    emit(p, kLess, 0);
    int exit_loop = emit(p, kJumpIfZero, 0);
    emit(p, kLoad, 0);
    emit(p, kStore, 2);
    emit(p, kPush, 0);
    emit(p, kStore, 3);
    int inner = emit(p, kLoad, 2);
    emit(p, kPush, 1);
    emit(p, kEqual, 0);
    int not_done = emit(p, kJumpIfZero, 0);
    int inner_exit = emit(p, kJump, 0);
    patch(p, not_done, p->count);
    emit(p, kLoad, 2);
    emit(p, kPush, 1);
    emit(p, kAnd, 0);
    int even = emit(p, kJumpIfZero, 0);
    emit(p, kLoad, 2); /* odd: x = 3x + 1 */
    emit(p, kPush, 3);
    emit(p, kMul, 0);
    emit(p, kPush, 1);
    emit(p, kAdd, 0);
    emit(p, kStore, 2);
    int joined = emit(p, kJump, 0);
    patch(p, even, p->count);
    emit(p, kLoad, 2); /* even: x = x >> 1 */
    emit(p, kPush, 1);
    emit(p, kShr, 0);
    emit(p, kStore, 2);
    patch(p, joined, p->count);
    emit(p, kLoad, 3);
    emit(p, kPush, 1);
    emit(p, kAdd, 0);
    emit(p, kStore, 3);
    emit(p, kJump, inner);
    patch(p, inner_exit, p->count);
    int call = emit(p, kCall, 0);
    emit(p, kLoad, 0);
    emit(p, kPush, 1);
    emit(p, kAdd, 0);
    emit(p, kStore, 0);
    emit(p, kJump, loop);
    patch(p, exit_loop, p->count);
    emit(p, kHalt, 0);
    /* subroutine: total = total + steps * ((i & 7) + 1) */
    patch(p, call, p->count);
    emit(p, kLoad, 0);
    emit(p, kPush, 7);
    emit(p, kAnd, 0);
    emit(p, kPush, 1);
    emit(p, kAdd, 0);
    emit(p, kLoad, 3);
    emit(p, kMul, 0);
    emit(p, kLoad, 4);
    emit(p, kAdd, 0);
    emit(p, kStore, 4);
    emit(p, kReturn, 0);
}

static int64_t run(Program const* p, int64_t* locals, uint64_t* executed)
{
    int64_t stack[64];
    int32_t returns[16];
    int sp = 0, rp = 0, pc = 0;
    uint64_t count = 0;
    for (;;) {
        Insn insn = p->code[pc++];
        count++;
        switch (insn.op) {
        case kPush: stack[sp++] = insn.imm; break;
        case kLoad: stack[sp++] = locals[insn.imm]; break;
        case kStore: locals[insn.imm] = stack[--sp]; break;
        case kAdd: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] + (uint64_t)stack[sp]); break;
        case kSub: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] - (uint64_t)stack[sp]); break;
        case kMul: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] * (uint64_t)stack[sp]); break;
        case kAnd: sp--; stack[sp - 1] &= stack[sp]; break;
        case kShr: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] >> (stack[sp] & 63)); break;
        case kLess: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case kEqual: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case kJumpIfZero: if (stack[--sp] == 0) pc = insn.imm; break;
        case kJump: pc = insn.imm; break;
        case kCall: returns[rp++] = pc; pc = insn.imm; break;
        case kReturn: pc = returns[--rp]; break;
        case kHalt: *executed = count; return locals[4];
        default: fprintf(stderr, "interp: bad opcode %d at %d\n", insn.op, pc - 1); exit(1);
        }
    }
}

int main(int argc, char** argv)
{
    int64_t n = bench_size(argc, argv, 20000);
    uint64_t start = bench_now_ns();

    Program program;
    assemble(&program);
    int64_t locals[8] = { 0 };
    locals[1] = n;
    uint64_t executed = 0;
    int64_t total = run(&program, locals, &executed);

    uint64_t hash = bench_mix(bench_mix(0, (uint64_t)total), executed);
    uint64_t end = bench_now_ns();
    bench_report(hash, start, end);
    return 0;
}
