// Copy propagation through block parameters (see passes.h).
//
// Not sweeps of the layout to a fixed point (one sweep per nesting level of loops,
// quadratic), but witnesses, as in a SAT solver's watched literals. A parameter q is
// trivial when its arguments, resolved, name at most one value other than q; aliasing
// only merges values, so a trivial parameter stays trivial. Each live parameter keeps
// two *witnesses*: two of its arguments that resolve to different values, neither q
// (the proof it is not trivial), and `scanned`, how far its scan of the arguments
// went: every argument up to there resolves to a witness's value or to q. Only a
// merge of the witnesses' values (or of one with q) can make it trivial; then its scan
// goes on from `scanned` for a new second witness, or finds it trivial. So each
// argument is read once in all (plus once when the witness is taken), whatever the
// order in which parameters go.
//
// Each value that is not an alias keeps a list of the parameters watching it (nodes
// naming the parameter and which of its two witnesses it is). When p is aliased to s,
// the parameters to look at are s itself and those with one witness on each side:
// they are in both lists, so walking the shorter finds them all. The lists are then
// joined in O(1). A node is walked only as part of the shorter list, which the join
// at least doubles, so it is walked at most log2(nodes) times: O(N log N) in all for
// N = parameters + edge arguments (plus find's near-constant path compression).
// Parameters are only marked while this runs, so argument indices stay put; blocks'
// lists and their edges' arguments are compacted once at the end.
#include "engine/opt/passes.h"

namespace wk::engine::opt {

namespace {

class Simplifier {
public:
    explicit Simplifier(Function& function)
        : m_function(function)
    {
    }

    Result<u32> run(SimplifyStats* stats);

private:
    struct Watch {
        Value witness[2] { kNone, kNone };
        u32 node[2] { kNone, kNone };
        u32 scanned { 0 }; // arguments [0, scanned) were read
    };

    Value find(Value value);
    Result<void> prepare();
    void scan(Value param);
    void add_watcher(Value param, u32 which, Value witness);
    void merge(Value param, Value target);
    bool needs_scan(Value param);
    void enqueue(Value param);
    void compact();

    Function& m_function;
    Vector<Watch> m_watch; // per value (parameters only)
    // Per value: the nodes watching it, head, tail and length (stale nodes included).
    Vector<u32> m_head;
    Vector<u32> m_tail;
    Vector<u32> m_length;
    Vector<u32> m_node_param;
    Vector<u32> m_node_next;
    Vector<u8> m_queued;
    Vector<Value> m_worklist;
    usize m_steps { 0 };
    usize m_size { 0 };
    u32 m_removed { 0 };
};

// The value `value` stands for, shortening the alias chains walked on the way (each
// alias then names its final target directly; the uses are rewritten at the end).
Value Simplifier::find(Value value)
{
    Value root = value;
    while (m_function.value(root).kind == ValueKind::Alias)
        root = m_function.value(root).def;
    while (value != root) {
        Value next = m_function.value(value).def;
        m_function.value(value).def = root;
        value = next;
    }
    return root;
}

// Everything is allocated here, so that the rest cannot fail: at most one queue entry
// per parameter, and two nodes per scan that finds witnesses (a scan finds them at
// most once per argument it reads, plus once per parameter).
Result<void> Simplifier::prepare()
{
    u32 values = m_function.value_count();
    TRY(m_watch.try_resize(values));
    TRY(m_head.try_resize(values, kNone));
    TRY(m_tail.try_resize(values, kNone));
    TRY(m_length.try_resize(values, 0));
    TRY(m_queued.try_resize(values, 0));
    usize params = 0;
    usize args = 0;
    for (Block block : m_function.layout()) {
        if (block == m_function.entry())
            continue;
        params += m_function.params(block).size();
        args += m_function.params(block).size() * m_function.preds(block).size();
    }
    m_size = params + args;
    TRY(m_worklist.try_reserve(params));
    TRY(m_node_param.try_reserve(2 * (params + args)));
    TRY(m_node_next.try_reserve(2 * (params + args)));
    for (Block block : m_function.layout()) {
        if (block == m_function.entry())
            continue;
        Span<const Value> list = m_function.params(block);
        for (u32 k = static_cast<u32>(list.size()); k > 0; --k)
            enqueue(list[k - 1]);
    }
    return {};
}

void Simplifier::enqueue(Value param)
{
    if (m_queued[param] || m_function.value(param).kind != ValueKind::Param)
        return;
    m_queued[param] = 1;
    MUST(m_worklist.try_append(param));
}

void Simplifier::add_watcher(Value param, u32 which, Value witness)
{
    u32 node = static_cast<u32>(m_node_param.size());
    MUST(m_node_param.try_append(param));
    MUST(m_node_next.try_append(m_head[witness]));
    if (m_head[witness] == kNone)
        m_tail[witness] = node;
    m_head[witness] = node;
    ++m_length[witness];
    m_watch[param].witness[which] = witness;
    m_watch[param].node[which] = node;
}

// Whether a parameter's witnesses no longer prove it non-trivial (or it has none yet).
bool Simplifier::needs_scan(Value param)
{
    const Watch& watch = m_watch[param];
    if (watch.witness[1] == kNone)
        return true;
    Value a = find(watch.witness[0]);
    Value b = find(watch.witness[1]);
    return a == b || a == param || b == param;
}

// Goes on reading the arguments of `param` from where its last scan stopped: finds a
// second witness, or aliases the parameter to the one value its arguments name.
void Simplifier::scan(Value param)
{
    if (m_function.value(param).kind != ValueKind::Param || m_function.value(param).def == m_function.entry()
        || !needs_scan(param))
        return;
    Watch& watch = m_watch[param];
    // Everything read so far resolves to `kept` or to the parameter itself.
    Value kept = kNone;
    for (Value witness : watch.witness) {
        if (witness != kNone && find(witness) != param)
            kept = find(witness);
    }
    Block block = m_function.value(param).def;
    u32 index = m_function.value(param).index;
    Span<const u32> preds = m_function.preds(block);
    for (u32 k = watch.scanned; k < preds.size(); ++k) {
        ++m_steps;
        Value arg = find(m_function.edge_args(preds[k])[index]);
        if (arg == param || arg == kept)
            continue;
        if (kept == kNone) {
            kept = arg;
            continue;
        }
        watch.scanned = k + 1;
        add_watcher(param, 0, kept);
        add_watcher(param, 1, arg);
        return;
    }
    watch.scanned = static_cast<u32>(preds.size());
    watch.witness[0] = watch.witness[1] = kNone;
    if (kept == kNone)
        return; // only ever itself (or no predecessor): left alone, as by the sweeps
    m_function.make_alias(param, kept);
    ++m_removed;
    merge(param, kept);
}

// `param` was just aliased to `target` (a value that is not an alias): queues what may
// have become trivial and hands the watchers of `param` to `target`.
void Simplifier::merge(Value param, Value target)
{
    enqueue(target);
    Value shorter = m_length[param] <= m_length[target] ? param : target;
    for (u32 node = m_head[shorter]; node != kNone; node = m_node_next[node]) {
        ++m_steps;
        Value user = m_node_param[node];
        if (m_function.value(user).kind != ValueKind::Param)
            continue;
        const Watch& watch = m_watch[user];
        if (watch.node[0] != node && watch.node[1] != node)
            continue; // stale: the user has found other witnesses since
        if (needs_scan(user))
            enqueue(user);
    }
    if (m_head[param] == kNone)
        return;
    if (m_head[target] == kNone)
        m_head[target] = m_head[param];
    else
        m_node_next[m_tail[target]] = m_head[param];
    m_tail[target] = m_tail[param];
    m_length[target] += m_length[param];
    m_head[param] = m_tail[param] = kNone;
    m_length[param] = 0;
}

// Drops the aliased parameters from their blocks and the matching edge arguments.
void Simplifier::compact()
{
    ListPool& lists = m_function.lists();
    for (Block block : m_function.layout()) {
        BlockData& data = m_function.block(block);
        Span<u32> params = lists.span(data.params);
        u32 kept = 0;
        for (Value param : params)
            kept += m_function.value(param).kind == ValueKind::Param ? 1 : 0;
        if (kept == params.size())
            continue;
        for (u32 edge : lists.span(data.preds)) {
            List& list = m_function.edge(edge).args;
            Span<u32> args = lists.span(list);
            u32 out = 0;
            for (u32 k = 0; k < args.size(); ++k) {
                if (m_function.value(params[k]).kind == ValueKind::Param)
                    args[out++] = args[k];
            }
            lists.truncate(list, out);
        }
        u32 out = 0;
        for (Value param : params) {
            if (m_function.value(param).kind != ValueKind::Param)
                continue;
            m_function.value(param).index = out;
            params[out++] = param;
        }
        lists.truncate(data.params, out);
    }
}

Result<u32> Simplifier::run(SimplifyStats* stats)
{
    TRY(prepare());
    while (!m_worklist.is_empty()) {
        Value param = m_worklist.last();
        truncate(m_worklist, m_worklist.size() - 1);
        m_queued[param] = 0;
        scan(param);
    }
    compact();
    m_function.resolve_aliases();
    if (stats) {
        stats->steps = m_steps;
        stats->nodes = m_node_param.size();
        stats->size = m_size;
    }
    return m_removed;
}

} // namespace

Result<u32> simplify_block_params(Function& function, SimplifyStats* stats)
{
    Simplifier simplifier(function);
    return simplifier.run(stats);
}

Result<u32> simplify_block_params(Function& function)
{
    return simplify_block_params(function, nullptr);
}

} // namespace wk::engine::opt
