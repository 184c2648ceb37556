// A benchmark, not a test: wall time of one corpus case (userland/corpus/manifest.json)
// as a whole process under `wasmkern run`, under node:wasi (harness.mjs's child) and
// natively (the same C built with clang -O2 for the host). Prints the median and the
// spread of --runs runs each (default 5). Cases whose arguments name /sandbox paths
// run natively from a copy of the fixture with /sandbox replaced by its path.
//
//   node measure.mjs --corpus DIR --wasm-dir DIR --wasmkern PATH --case NAME
//                    [--runs 5] [--cc clang-19]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const harness = path.join(path.dirname(fileURLToPath(import.meta.url)), 'harness.mjs');

const options = { runs: '5', cc: 'clang-19' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) options[argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase())] = argv[i + 1];
for (const required of ['corpus', 'wasmDir', 'wasmkern', 'case'])
    if (!options[required]) throw new Error(`missing --${required}`);

const manifest = JSON.parse(fs.readFileSync(path.join(options.corpus, 'manifest.json'), 'utf8'));
const spec = manifest[options.case];
if (!spec) throw new Error(`no case ${options.case}`);
const wasm = path.resolve(options.wasmDir, `${spec.program}.wasm`);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'wasi-measure-'));

function sandbox() {
    const directory = fs.mkdtempSync(path.join(scratch, 'sandbox-'));
    if (spec.fixture) fs.cpSync(path.join(options.corpus, 'fixtures', spec.fixture), directory, { recursive: true });
    return directory;
}

function time(command, args, directory) {
    const started = process.hrtime.bigint();
    const run = spawnSync(command, args, { cwd: directory, input: spec.stdin ?? '', maxBuffer: 64 << 20 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.error) throw run.error;
    return { seconds, status: run.status };
}

const env = Object.entries(spec.env ?? {});
const runners = {
    wasmkern: (directory) => time(options.wasmkern,
        ['run', '--dir', `${directory}::/sandbox`, ...env.flatMap(([k, v]) => ['--env', `${k}=${v}`]), wasm, ...(spec.args ?? [])],
        directory),
    node: (directory) => time(process.execPath, ['--no-warnings', harness, '--exec-node', wasm, directory, JSON.stringify(spec)], directory),
};

const native = path.join(scratch, spec.program);
const built = spawnSync(options.cc, ['-O2', '-w', path.join(options.corpus, `${spec.program}.c`), '-lm', '-o', native]);
if (built.status === 0) {
    runners.native = (directory) => time(native, (spec.args ?? []).map((a) => a.replace(/^\/sandbox/, directory)), directory);
} else {
    console.log(`native: ${options.cc} failed, skipped`);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`${options.case}: median of ${options.runs} runs, whole process wall time`);
for (const [name, runner] of Object.entries(runners)) {
    const seconds = [];
    let status;
    for (let i = 0; i < Number(options.runs); ++i) {
        const directory = sandbox();
        const result = runner(directory);
        seconds.push(result.seconds);
        status = result.status;
        fs.rmSync(directory, { recursive: true, force: true });
    }
    console.log(`  ${name.padEnd(9)} ${median(seconds).toFixed(3)} s  (min ${Math.min(...seconds).toFixed(3)}, max ${Math.max(...seconds).toFixed(3)}, status ${status})`);
}
fs.rmSync(scratch, { recursive: true, force: true });
