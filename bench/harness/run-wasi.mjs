// Runs a wasm32-wasi command module under node:wasi: node [V8 flags] run-wasi.mjs FILE.wasm ARGS...
// With WK_BENCH_STATS=1 in the environment it reports, on stderr, how long V8 took to compile
// and to instantiate the module (the program's own time_ns line covers only its work).
import { WASI } from 'node:wasi';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node run-wasi.mjs FILE.wasm [ARGS...]\n');
  process.exit(2);
}
const bytes = readFileSync(file);
const t0 = process.hrtime.bigint();
const module = new WebAssembly.Module(bytes);
const t1 = process.hrtime.bigint();
const wasi = new WASI({ version: 'preview1', args: [basename(file), ...args], env: {}, returnOnExit: true });
const instance = new WebAssembly.Instance(module, wasi.getImportObject());
const t2 = process.hrtime.bigint();
const code = wasi.start(instance);
if (process.env.WK_BENCH_STATS)
  process.stderr.write(`compile_ns: ${t1 - t0}\ninstantiate_ns: ${t2 - t1}\n`);
process.exitCode = code;
