// V8's compile speed on one module: node [V8 flags] v8-compile.mjs FILE.wasm RUNS
// Compiles the module RUNS times with the synchronous `new WebAssembly.Module` and prints
// the median, the minimum and the module and code-section sizes. Each run appends a distinct custom
// section, so V8's native-module cache never hands back an earlier result.
import { readFileSync } from 'node:fs';

const [file, runsText] = process.argv.slice(2);
const runs = Number(runsText ?? 20);
const bytes = readFileSync(file);

function leb(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

function codeSectionSize(b) {
  let i = 8;
  const read = () => {
    let result = 0, shift = 0, byte;
    do {
      byte = b[i++];
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return result >>> 0;
  };
  while (i < b.length) {
    const id = b[i++];
    const size = read();
    if (id === 10) return size;
    i += size;
  }
  return 0;
}

function variant(n) {
  const name = [...Buffer.from(`wk-bench-${n}`)];
  const payload = [...leb(name.length), ...name];
  return Buffer.concat([bytes, Buffer.from([0, ...leb(payload.length), ...payload])]);
}

new WebAssembly.Module(variant(-1)); // warm-up: V8's own start-up paths
const times = [];
for (let n = 0; n < runs; n++) {
  const b = variant(n);
  const t0 = process.hrtime.bigint();
  new WebAssembly.Module(b);
  times.push(Number(process.hrtime.bigint() - t0));
}
times.sort((a, b) => a - b);
process.stdout.write(`module_bytes: ${bytes.length}\ncode_bytes: ${codeSectionSize(bytes)}\n`);
process.stdout.write(`compile_ns: ${times[Math.floor(times.length / 2)]}\ncompile_min_ns: ${times[0]}\n`);
