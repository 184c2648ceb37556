// V8's instantiation time of one module: node [V8 flags] v8-instantiate.mjs FILE.wasm RUNS
// Compiles once, then times RUNS synchronous `new WebAssembly.Instance` after a warm-up
// (imports: bench.nop, for the modules that take it); prints the median and the minimum.
import { readFileSync } from 'node:fs';

const [file, runsText] = process.argv.slice(2);
const runs = Number(runsText ?? 200);
const module = new WebAssembly.Module(readFileSync(file));
const imports = { bench: { nop: () => {} } };
new WebAssembly.Instance(module, imports);
const times = [];
for (let n = 0; n < runs; n++) {
  const t0 = process.hrtime.bigint();
  new WebAssembly.Instance(module, imports);
  times.push(Number(process.hrtime.bigint() - t0));
}
times.sort((a, b) => a - b);
process.stdout.write(`instantiate_ns: ${times[Math.floor(times.length / 2)]}\ninstantiate_min_ns: ${times[0]}\n`);
