// Runs one corpus case (userland/corpus/manifest.json) under one or two runtimes and
// checks the capture: stdout, stderr, exit status and the files left in the
// preopened directory /sandbox (a fresh copy of the case's fixture for each run).
//
//   node harness.mjs --corpus DIR --wasm-dir DIR --case NAME --runners node[,wasmkern]
//                    [--wasmkern PATH] [--expected DIR] [--update]
//
// With two runners the captures must be identical. The first must also equal the
// committed capture in --expected (NAME.json; optional with two runners); --update
// rewrites that file from the first runner instead.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

// ---- the child: one program under node:wasi ----------------------------------------
if (process.argv[2] === '--exec-node') {
    const [wasmPath, sandbox, specJson] = process.argv.slice(3, 6);
    const spec = JSON.parse(specJson);
    const { WASI } = await import('node:wasi');
    const wasi = new WASI({
        version: 'preview1',
        args: [path.basename(wasmPath), ...(spec.args ?? [])],
        env: spec.env ?? {},
        preopens: { '/sandbox': sandbox },
        returnOnExit: true,
    });
    const module = await WebAssembly.compile(fs.readFileSync(wasmPath));
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
    let status;
    try {
        status = wasi.start(instance);
    } catch (error) {
        // A trap: ends the run with the status of wasmkern's (128 + SIGABRT).
        process.stderr.write(`trap: ${error.message}\n`);
        status = 134;
    }
    process.exit(status);
}

// ---- the parent ---------------------------------------------------------------------
function parseArguments(argv) {
    const options = { runners: 'node', update: false };
    for (let i = 0; i < argv.length; ++i) {
        const key = argv[i].replace(/^--/, '');
        if (key === 'update') options.update = true;
        else options[key.replace(/-(.)/g, (_, c) => c.toUpperCase())] = argv[++i];
    }
    for (const required of ['corpus', 'wasmDir', 'case'])
        if (!options[required]) throw new Error(`missing --${required}`);
    return options;
}

function copyFixture(corpus, fixture) {
    const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'wasi-corpus-'));
    if (fixture) fs.cpSync(path.join(corpus, 'fixtures', fixture), sandbox, { recursive: true, verbatimSymlinks: true });
    return sandbox;
}

// Every entry under `root`, sorted: directories as "dir", symlinks with their target,
// files as text when small and printable, otherwise size and sha256.
function snapshot(root) {
    const result = {};
    const walk = (relative) => {
        const entries = fs.readdirSync(path.join(root, relative)).sort();
        for (const name of entries) {
            const rel = relative ? `${relative}/${name}` : name;
            const full = path.join(root, rel);
            const stat = fs.lstatSync(full);
            if (stat.isSymbolicLink()) result[rel] = { symlink: fs.readlinkSync(full) };
            else if (stat.isDirectory()) {
                result[rel] = 'dir';
                walk(rel);
            } else {
                const data = fs.readFileSync(full);
                const printable = data.length <= 4096 && !data.some((b) => b < 9 || (b > 13 && b < 32));
                result[rel] = printable
                    ? { text: data.toString('utf8') }
                    : { size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
            }
        }
    };
    walk('');
    return result;
}

const runners = {
    node(options, spec, wasmPath, sandbox) {
        return spawnSync(process.execPath, ['--no-warnings', self, '--exec-node', wasmPath, sandbox, JSON.stringify(spec)], {
            input: spec.stdin ?? '',
            env: {},
            timeout: 120000,
            maxBuffer: 64 << 20,
        });
    },
    // `wasmkern run` from the wasm directory, so that argv[0] is the file name as for node.
    wasmkern(options, spec, wasmPath, sandbox) {
        const args = ['run', '--dir', `${sandbox}::/sandbox`];
        for (const [key, value] of Object.entries(spec.env ?? {})) args.push('--env', `${key}=${value}`);
        args.push(path.basename(wasmPath), ...(spec.args ?? []));
        return spawnSync(options.wasmkern, args, {
            cwd: path.dirname(wasmPath),
            input: spec.stdin ?? '',
            env: {},
            timeout: 120000,
            maxBuffer: 64 << 20,
        });
    },
};

function capture(options, runnerName, spec) {
    const runner = runners[runnerName];
    if (!runner) throw new Error(`unknown runner ${runnerName}`);
    const wasmPath = path.resolve(options.wasmDir, `${spec.program}.wasm`);
    const sandbox = copyFixture(options.corpus, spec.fixture);
    try {
        const started = process.hrtime.bigint();
        const run = runner(options, spec, wasmPath, sandbox);
        const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
        if (run.error) throw run.error;
        let stderr = run.stderr.toString('utf8');
        let status = run.status ?? `signal ${run.signal}`;
        // wasmkern (like wasmtime) refuses proc_exit statuses outside [0, 126) with an
        // error line and status 1, where node and the kernel pass the low 8 bits on:
        // compare what the program asked for.
        const refused = /error: proc_exit\((\d+)\): exit status outside \[0, 126\)\n$/.exec(stderr);
        if (runnerName === 'wasmkern' && refused && status === 1) {
            stderr = stderr.slice(0, refused.index);
            status = Number(BigInt(refused[1]) % 256n);
        }
        // A trap's message and backtrace differ between runtimes; that there was one
        // (something on stderr, status 134) is what must agree.
        if (spec.trap) stderr = stderr.length > 0 ? '<trap message>' : '';
        return {
            capture: {
                status,
                stdout: run.stdout.toString('utf8'),
                stderr,
                files: snapshot(sandbox),
            },
            milliseconds,
        };
    } finally {
        fs.rmSync(sandbox, { recursive: true, force: true });
    }
}

// The first difference between two captures, as text; null when equal.
function difference(a, b, where = '') {
    if (typeof a !== typeof b || (typeof a !== 'object' && a !== b) || (a === null) !== (b === null))
        return `${where || 'capture'}: ${JSON.stringify(a)?.slice(0, 400)} != ${JSON.stringify(b)?.slice(0, 400)}`;
    if (typeof a !== 'object' || a === null) return null;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
        const found = difference(a[key], b[key], where ? `${where}.${key}` : key);
        if (found) return found;
    }
    return null;
}

const options = parseArguments(process.argv.slice(2));
const manifest = JSON.parse(fs.readFileSync(path.join(options.corpus, 'manifest.json'), 'utf8'));
const spec = manifest[options.case];
if (!spec) throw new Error(`no case ${options.case} in the manifest`);

const names = options.runners.split(',');
const results = names.map((name) => ({ name, ...capture(options, name, spec) }));
for (const result of results) console.log(`${options.case}: ${result.name} status ${result.capture.status} in ${result.milliseconds.toFixed(0)} ms`);

let failure = null;
const expectedPath = path.join(options.expected ?? path.join(path.dirname(self), 'expected'), `${options.case}.json`);
if (results.length >= 2) {
    for (const other of results.slice(1)) {
        const found = difference(results[0].capture, other.capture);
        if (found) failure = `${results[0].name} vs ${other.name}: ${found}`;
    }
}
if (options.update) {
    fs.writeFileSync(expectedPath, JSON.stringify(results[0].capture, null, 2) + '\n');
    console.log(`wrote ${expectedPath}`);
} else if (!failure && (results.length === 1 || fs.existsSync(expectedPath))) {
    // With several runners the first must still match the committed capture, so that
    // all of them drifting together is caught too.
    const expected = JSON.parse(fs.readFileSync(expectedPath, 'utf8'));
    const found = difference(expected, results[0].capture);
    if (found) failure = `${results[0].name} vs ${expectedPath}: ${found}`;
}
if (failure) {
    console.log(`MISMATCH ${failure}`);
    process.exit(1);
}
console.log(`${options.case}: ok`);
