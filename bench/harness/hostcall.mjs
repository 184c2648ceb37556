// Host-call cost in V8: node [V8 flags] hostcall.mjs hostcall.wasm CALLS
// The module's exported `spin(n)` calls the imported `bench.nop()` n times; prints the
// median over 7 timed runs of ns per call (the loop's own cost is included; it is ~1 cycle).
import { readFileSync } from 'node:fs';

const [file, callsText] = process.argv.slice(2);
const calls = Number(callsText ?? 1e7);
const module = new WebAssembly.Module(readFileSync(file));
const instance = new WebAssembly.Instance(module, { bench: { nop: () => {} } });
const spin = instance.exports.spin;
spin(1000);
const times = [];
for (let run = 0; run < 7; run++) {
  const t0 = process.hrtime.bigint();
  spin(calls);
  times.push(Number(process.hrtime.bigint() - t0) / calls);
}
times.sort((a, b) => a - b);
process.stdout.write(`ns_per_call: ${times[3].toFixed(2)}\n`);
