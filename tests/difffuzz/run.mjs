// node run.mjs FILE.wasm...: the V8 side of the differential fuzzer. For each module it
// prints the transcript that difffuzz_run prints for Wasmkern (format in
// docs/difffuzz.md). Lines starting with '#' carry details the comparison ignores.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const kValTypes = new Map([
  [0x7f, 'i32'], [0x7e, 'i64'], [0x7d, 'f32'], [0x7c, 'f64'], [0x7b, 'v128'],
  [0x70, 'funcref'], [0x6f, 'externref'],
]);

// The signature of every exported function, in export order. JavaScript offers no
// type reflection without flags, so this reads the type, import, function and export
// sections itself. Generated modules use no GC types, so every type is a plain func.
function exportedFunctions(bytes) {
  let pos = 8;
  const byte = () => {
    if (pos >= bytes.length) throw new Error(`truncated module at byte ${pos}`);
    return bytes[pos++];
  };
  const leb = () => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const b = byte();
      value |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return Number(value);
    }
  };
  const name = () => {
    const length = leb();
    const text = new TextDecoder().decode(bytes.subarray(pos, pos + length));
    pos += length;
    return text;
  };
  const valType = () => {
    const code = byte();
    const type = kValTypes.get(code);
    if (type === undefined) throw new Error(`unsupported value type 0x${code.toString(16)} at byte ${pos - 1}`);
    return type;
  };
  const vec = (read) => Array.from({ length: leb() }, read);
  const limits = () => {
    const flags = byte();
    leb();
    if (flags & 1) leb();
  };

  const types = [];
  const functionTypes = [];
  const exports = [];
  while (pos < bytes.length) {
    const id = byte();
    const size = leb();
    const end = pos + size;
    if (id === 1) {
      for (let count = leb(); count > 0; --count) {
        const form = byte();
        if (form !== 0x60) throw new Error(`unsupported type form 0x${form.toString(16)} at byte ${pos - 1}`);
        types.push({ params: vec(valType), results: vec(valType) });
      }
    } else if (id === 2) {
      for (let count = leb(); count > 0; --count) {
        name();
        name();
        const kind = byte();
        if (kind === 0) functionTypes.push(leb());
        else if (kind === 1) { valType(); limits(); }
        else if (kind === 2) limits();
        else if (kind === 3) { valType(); byte(); }
        else if (kind === 4) { byte(); leb(); }
        else throw new Error(`unsupported import kind ${kind}`);
      }
    } else if (id === 3) {
      functionTypes.push(...vec(leb));
    } else if (id === 7) {
      for (let count = leb(); count > 0; --count) {
        const exportName = name();
        const kind = byte();
        const index = leb();
        if (kind === 0) exports.push({ name: exportName, ...types[functionTypes[index]] });
      }
    }
    pos = end;
  }
  return exports;
}

function formatF32(value) {
  if (Number.isNaN(value)) return 'nan';
  const cell = new Float32Array([value]);
  return 'f32:' + new Uint32Array(cell.buffer)[0].toString(16).padStart(8, '0');
}

function formatF64(value) {
  if (Number.isNaN(value)) return 'nan';
  const cell = new Float64Array([value]);
  return 'f64:' + new BigUint64Array(cell.buffer)[0].toString(16).padStart(16, '0');
}

function formatValue(type, value) {
  switch (type) {
    case 'i32': return String(value);
    case 'i64': return BigInt.asIntN(64, value).toString();
    case 'f32': return formatF32(value);
    case 'f64': return formatF64(value);
    default: return value === null ? 'null' : 'ref';
  }
}

function zeroArgument(type) {
  switch (type) {
    case 'i64': return 0n;
    case 'i32': case 'f32': case 'f64': return 0;
    default: return null;
  }
}

let lines = [];
const emit = (line) => lines.push(line);

// NOTE: a JavaScript function cannot take a v128, so log-v128 is this wasm module:
// (func (export "log-v128") (param v128) (call $log (i32x4.extract_lane 0..3 (local.get 0))))
// with $log = env.log (param i32 i32 i32 i32).
const kLogV128Module = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x0c, 0x02, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x00, 0x60, 0x01, 0x7b, 0x00,
  0x02, 0x0b, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6c, 0x6f, 0x67, 0x00, 0x00,
  0x03, 0x02, 0x01, 0x01,
  0x07, 0x0c, 0x01, 0x08, 0x6c, 0x6f, 0x67, 0x2d, 0x76, 0x31, 0x32, 0x38, 0x00, 0x01,
  0x0a, 0x1a, 0x01, 0x18, 0x00,
  0x20, 0x00, 0xfd, 0x1b, 0x00,
  0x20, 0x00, 0xfd, 0x1b, 0x01,
  0x20, 0x00, 0xfd, 0x1b, 0x02,
  0x20, 0x00, 0xfd, 0x1b, 0x03,
  0x10, 0x00, 0x0b,
]);
const hex32 = (lane) => (lane >>> 0).toString(16).padStart(8, '0');
const logV128 = new WebAssembly.Instance(new WebAssembly.Module(kLogV128Module), {
  env: { log: (a, b, c, d) => emit(`log-v128 ${hex32(a)} ${hex32(b)} ${hex32(c)} ${hex32(d)}`) },
}).exports['log-v128'];

const imports = {
  'fuzzing-support': {
    'log-i32': (value) => emit(`log-i32 ${value}`),
    'log-i64': (value) => emit(`log-i64 ${BigInt.asIntN(64, value)}`),
    'log-f32': (value) => emit(`log-f32 ${formatF32(value)}`),
    'log-f64': (value) => emit(`log-f64 ${formatF64(value)}`),
    'log-v128': logV128,
  },
};

// "memory PAGES HASH" for the exported memory, printed after every call: a store that
// no later load reads still shows. The hash is FNV-1a over little-endian 32-bit words.
function memoryLine(memory) {
  const words = new Uint32Array(memory.buffer);
  let hash = 2166136261;
  for (let i = 0; i < words.length; ++i) hash = Math.imul(hash ^ words[i], 16777619);
  return `memory ${memory.buffer.byteLength / 65536} ${(hash >>> 0).toString(16).padStart(8, '0')}`;
}

// A wasm trap is a RuntimeError; V8 reports stack exhaustion as a RangeError.
const isTrap = (error) => error instanceof WebAssembly.RuntimeError || error instanceof RangeError;
const oneLine = (error) => String(error).replace(/\n/g, ' ');

function runModule(path) {
  emit(`module ${basename(path)}`);
  let module;
  let instance;
  let functions;
  try {
    const bytes = new Uint8Array(readFileSync(path));
    functions = exportedFunctions(bytes);
    module = new WebAssembly.Module(bytes);
    instance = new WebAssembly.Instance(module, imports);
  } catch (error) {
    emit('error');
    emit(`# ${oneLine(error)}`);
    return;
  }
  const exports = instance.exports;
  const memoryName = WebAssembly.Module.exports(module).find((entry) => entry.kind === 'memory')?.name;
  const memory = memoryName === undefined ? null : exports[memoryName];
  const hangLimitInitializer = functions.some((f) => f.name === 'hangLimitInitializer')
    ? exports.hangLimitInitializer : null;
  for (const { name, params, results } of functions) {
    emit(`call ${name}`);
    if (params.includes('v128') || results.includes('v128')) {
      emit('skip');
      continue;
    }
    try {
      if (hangLimitInitializer) hangLimitInitializer();
    } catch (error) {
      emit('error');
      emit('# hangLimitInitializer failed');
      continue;
    }
    try {
      const value = exports[name](...params.map(zeroArgument));
      const values = results.length === 1 ? [value] : results.length === 0 ? [] : value;
      emit(['result', ...results.map((type, i) => formatValue(type, values[i]))].join(' '));
    } catch (error) {
      emit(isTrap(error) ? 'trap' : 'error');
      emit(`# ${oneLine(error)}`);
    }
    if (memory) emit(memoryLine(memory));
  }
}

for (const path of process.argv.slice(2)) {
  runModule(path);
  process.stdout.write(lines.map((line) => line + '\n').join(''));
  lines = [];
}
