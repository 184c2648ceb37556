// A benchmark, not a test: wall time of one corpus case (userland/corpus/manifest.json)
// as a whole process under `wasmkern run`, under node:wasi (harness.mjs's child) and
// natively (the same C built with clang -O2 for the host). Prints the median wall time
// with its spread and the median CPU time of --runs runs each (default 5). Cases whose arguments name /sandbox paths
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

// CPU time (user + system, all threads) comes from GNU time when installed: on a
// loaded machine it says more than the wall time.
const gnuTime = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

function time(command, args, directory) {
    const report = path.join(scratch, 'rusage');
    const [program, programArgs] = gnuTime ? [gnuTime, ['-f', '%U %S', '-o', report, command, ...args]] : [command, args];
    const started = process.hrtime.bigint();
    const run = spawnSync(program, programArgs, { cwd: directory, input: spec.stdin ?? '', maxBuffer: 64 << 20 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.error) throw run.error;
    let cpu = NaN;
    if (gnuTime) {
        const [user, system] = fs.readFileSync(report, 'utf8').trim().split('\n').pop().split(' ').map(Number);
        cpu = user + system;
    }
    return { seconds, cpu, status: run.status };
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
console.log(`${options.case}: median of ${options.runs} runs of the whole process (wall time; CPU time, user + system)`);
for (const [name, runner] of Object.entries(runners)) {
    const wall = [];
    const cpu = [];
    let status;
    for (let i = 0; i < Number(options.runs); ++i) {
        const directory = sandbox();
        const result = runner(directory);
        wall.push(result.seconds);
        cpu.push(result.cpu);
        status = result.status;
        fs.rmSync(directory, { recursive: true, force: true });
    }
    console.log(`  ${name.padEnd(9)} wall ${median(wall).toFixed(3)} s (min ${Math.min(...wall).toFixed(3)}, max ${Math.max(...wall).toFixed(3)})` +
                `  cpu ${median(cpu).toFixed(3)} s  status ${status}`);
}
fs.rmSync(scratch, { recursive: true, force: true });
