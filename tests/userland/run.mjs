// Runs one case of cases.json: a program of userland/bin under node's WASI, in a fresh
// temporary root preopened as "/" (the case's files, and /bin holding every built program as
// make-initrd lays it out), with the `wasmkern` imports stubbed in JavaScript:
//   spawn    runs the child to completion right away, in this process, under its own WASI
//            (stdio: the caller's fds 0-2 as the caller had them); the child's status waits
//            for `wait`; EAGAIN when the case's "process_limit" processes exist; gives a
//            process handle (spawn_with_handles also hands handles to the child)
//   handles  per process, as the kernel's (values differ): the first process holds the root
//            resource; EBADF, EINVAL, ENOTCAPABLE as the kernel's lookups
//   wait     returns that status once and closes the handle (ECHILD after)
//   kill     a child that has already run cannot be stopped (0); process_by_pid ESRCH for an
//            unknown pid
//   ps       (root resource) a record per process still known: the running chain of parents, and exited
//            children not yet waited for (shown as running when the case says "lingering":
//            true, as a background program that is still busy); memory is the instance's
//            memory size, cpu time a fixed fake (pid * 1.5 ms) so that the output is predictable
//   meminfo  a fixed record (MEMINFO)
//   dmesg    the newest bytes of a fixed log (DMESG, DMESG_DROPPED bytes dropped before it)
//   poweroff writes "stub: poweroff N" on stderr and ends this process with status N
// Then it compares status, stdout, stderr and (when the case lists them) the files left in the
// root, /bin excluded.
//
//   node run.mjs --wasm-dir DIR --cases FILE --case NAME [--runner node|wasmkern --wasmkern PATH]
//
// --runner wasmkern runs a plain WASI program (one without wasmkern imports) under
// `wasmkern run` instead, against the same expectations.
//
// A case: { program, args?, env?, stdin?, files?: { "path": "text" | "path/": null },
//           programs?: { "path": "NAME" (a copy of NAME.wasm) }, lingering?: bool,
//           process_limit?: N,
//           expect: { status, stdout?, stderr?, stdout_match?, stderr_match?, files? } }
// stdin, stdout, stderr, each of args and each file's text (in files and expect.files) may be
// an array of pieces (see joined); *_match are regular expressions.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

// What the meminfo stub reports: 64 MiB with 40 MiB free; a heap holding 3 MiB, 1.5 MiB in use.
const MEMINFO = [64n << 20n, 40n << 20n, 3n << 19n, 3n << 20n];

// What the dmesg stub's ring holds: a partial line (the rest was dropped), then two lines.
const DMESG = 'ped line\n[    0.001000] info: stub: first line\n[    0.002000] warn: stub: second line\n';
const DMESG_DROPPED = 5000n;

const ERRNO = { AGAIN: 6, BADF: 8, CHILD: 12, FAULT: 21, INVAL: 28, MFILE: 33, NETDOWN: 38, NOENT: 44, NOEXEC: 45, NOSYS: 52, SRCH: 71,
    NOTCAPABLE: 76 };
// Object types and rights as kernel/object/kernel_object.h.
const OBJECT = { PROCESS: 1, RESOURCE: 2 };
const RIGHT = { DUPLICATE: 1, TRANSFER: 2, WAIT: 16, KILL: 64, INSPECT: 128, POWER: 256, MANAGE: 512, ALL: 1023 };
const CHILD_RIGHTS = RIGHT.DUPLICATE | RIGHT.TRANSFER | RIGHT.WAIT | RIGHT.KILL | RIGHT.INSPECT;

// The wasmkern imports as kernel/sys/wasmkern_module.cpp defines them: i32 parameters, an i32
// errno result. A program importing one with another type would not link on the kernel, so
// the stub refuses it too.
const KERNEL_SIGNATURES = {
    spawn: [10, 1], wait: [2, 1], kill: [1, 1], ps: [4, 1], meminfo: [2, 1], dmesg: [3, 1], poweroff: [2, 1],
    pipe: [1, 1], wait_console: [2, 1], interrupt: [1, 1], spawn_with_handles: [13, 1], handle_close: [1, 1],
    spawn_listening: [14, 1],
    handle_duplicate: [3, 1], handles: [3, 1], process_info: [3, 1], process_by_pid: [3, 1],
};

// The function imports from module `wasmkern`: [{ name, params, results }], where params and
// results are counts, or null when a type is not all i32. Reads the type and import sections.
function wasmkernImports(bytes) {
    let at = 8;
    const byte = () => {
        if (at >= bytes.length) throw new Error('truncated module');
        return bytes[at++];
    };
    const leb = () => {
        let result = 0, shift = 0, b;
        do {
            b = byte();
            result += (b & 0x7f) * 2 ** shift;
            shift += 7;
        } while (b & 0x80);
        return result;
    };
    const name = () => {
        const length = leb();
        const text = Buffer.from(bytes.subarray(at, at + length)).toString('utf8');
        at += length;
        return text;
    };
    const valueTypes = () => {
        const count = leb();
        let allI32 = true;
        for (let i = 0; i < count; ++i) if (byte() !== 0x7f) allI32 = false;
        return allI32 ? count : null;
    };
    const types = [];
    const result = [];
    while (at < bytes.length) {
        const id = byte();
        const size = leb();
        const end = at + size;
        if (id === 1) {
            for (let count = leb(), i = 0; i < count; ++i) {
                if (byte() !== 0x60) return null; // rec groups and GC types: not from clang
                const params = valueTypes();
                const results = valueTypes();
                types.push({ params, results });
            }
        } else if (id === 2) {
            for (let count = leb(), i = 0; i < count; ++i) {
                const module = name();
                const field = name();
                const kind = byte();
                if (kind !== 0) return null; // clang's programs import functions only
                const type = types[leb()];
                if (module === 'wasmkern') result.push({ name: field, ...type });
            }
            return result;
        }
        at = end;
    }
    return result;
}

function checkWasmkernImports(bytes, what) {
    const imports = wasmkernImports(bytes);
    if (imports === null) return; // a module this reader does not follow: instantiation decides
    for (const { name, params, results } of imports) {
        const wanted = KERNEL_SIGNATURES[name];
        if (!wanted) throw new Error(`${what} imports wasmkern.${name}, which the kernel does not define`);
        if (params !== wanted[0] || results !== wanted[1])
            throw new Error(`${what} imports wasmkern.${name} with ${params} params and ${results} results; ` +
                `the kernel has ${wanted[0]} i32 params and ${wanted[1]} i32 results`);
    }
}

// ---- the child: the program and its descendants in this process --------------------------
async function execute(wasmPath, root, spec) {
    const { WASI } = await import('node:wasi');
    const processes = new Map(); // pid -> { parent, name, state, status, memory }
    let nextPid = 1;
    let nextHandle = 0x2f1;

    // NUL-terminated strings packed in [pointer, pointer + length) of memory.
    const strings = (memory, pointer, length) => {
        const bytes = new Uint8Array(memory.buffer, pointer, length);
        const result = [];
        let start = 0;
        for (let i = 0; i < bytes.length; ++i) {
            if (bytes[i] === 0) {
                result.push(Buffer.from(bytes.subarray(start, i)).toString('utf8'));
                start = i + 1;
            }
        }
        if (start !== bytes.length) throw new Error('string buffer does not end with a NUL');
        return result;
    };

    // Runs `bytes` as process `pid` to completion, holding `granted` ([{ type, pid, rights }]);
    // returns its status.
    function run(pid, bytes, args, env, fds, granted) {
        const wasi = new WASI({
            version: 'preview1',
            args,
            env,
            preopens: { '/': root },
            returnOnExit: true,
            stdin: fds[0],
            stdout: fds[1],
            stderr: fds[2],
        });
        const record = processes.get(pid);
        let memory = null;
        const inBounds = (pointer, length) => pointer >>> 0 === pointer && pointer + length <= memory.buffer.byteLength;
        const handles = new Map(); // value -> { type, pid, rights }
        const addHandle = (object) => {
            if (handles.size >= 1024) return null;
            const value = nextHandle;
            nextHandle = (nextHandle + 0x4a3) & 0x7fffffff;
            handles.set(value, { ...object, rights: object.rights & RIGHT.ALL });
            return value;
        };
        // [errno, object]: the kernel's checks in the kernel's order.
        const lookup = (value, type, rights) => {
            const found = handles.get(value >>> 0);
            if (!found) return [ERRNO.BADF, null];
            if (type && found.type !== type) return [ERRNO.INVAL, null];
            if ((found.rights & rights) !== rights) return [ERRNO.NOTCAPABLE, null];
            return [0, found];
        };
        for (const object of granted) addHandle(object);
        const writeU32 = (at, value) => new DataView(memory.buffer).setUint32(at, value, true);
        const wasmkern = {
            spawn(pathPointer, pathLength, argvPointer, argvLength, envPointer, envLength, stdinFd, stdoutFd, stderrFd, pidOut) {
                return wasmkern.spawn_with_handles(pathPointer, pathLength, argvPointer, argvLength, envPointer, envLength,
                    stdinFd, stdoutFd, stderrFd, 0, 0, 0, pidOut);
            },
            // No network here: as the kernel without a network device.
            spawn_listening() { return ERRNO.NETDOWN; },
            spawn_with_handles(pathPointer, pathLength, argvPointer, argvLength, envPointer, envLength, stdinFd, stdoutFd,
                stderrFd, handlesPointer, handleCount, stackBytes, pidOut) {
                if (!inBounds(pathPointer, pathLength) || !inBounds(argvPointer, argvLength) ||
                    !inBounds(envPointer, envLength) || !inBounds(pidOut, 4))
                    return ERRNO.FAULT;
                if (handleCount > 64) return ERRNO.INVAL;
                if (!inBounds(handlesPointer, handleCount * 8)) return ERRNO.FAULT;
                const childGrants = [];
                for (let i = 0; i < handleCount; ++i) {
                    const view = new DataView(memory.buffer);
                    const [error, found] = lookup(view.getUint32(handlesPointer + i * 8, true), 0, RIGHT.DUPLICATE);
                    if (error) return error;
                    childGrants.push({ ...found, rights: found.rights & view.getUint32(handlesPointer + i * 8 + 4, true) });
                }
                if (handles.size >= 1024) return ERRNO.MFILE;
                const childPath = Buffer.from(new Uint8Array(memory.buffer, pathPointer, pathLength)).toString('utf8');
                if (!childPath.startsWith('/')) return ERRNO.INVAL;
                let childArgs, childEnv;
                try {
                    childArgs = strings(memory, argvPointer, argvLength);
                    childEnv = Object.fromEntries(strings(memory, envPointer, envLength).map((entry) => {
                        const equals = entry.indexOf('=');
                        return equals < 0 ? [entry, ''] : [entry.slice(0, equals), entry.slice(equals + 1)];
                    }));
                } catch {
                    return ERRNO.INVAL;
                }
                const childFds = [stdinFd, stdoutFd, stderrFd].map((fd) => (fd >= 0 && fd <= 2 ? fds[fd] : -1));
                if (childFds.includes(-1)) return ERRNO.BADF;
                if (spec.process_limit !== undefined && processes.size >= spec.process_limit) return ERRNO.AGAIN;
                const hostPath = path.join(root, childPath);
                let childBytes;
                try {
                    if (!fs.statSync(hostPath).isFile()) return ERRNO.NOEXEC;
                    childBytes = fs.readFileSync(hostPath);
                } catch {
                    return ERRNO.NOENT;
                }
                const childPid = nextPid++;
                processes.set(childPid, { parent: pid, name: path.basename(childPath), state: 0, status: 0, memory: 0 });
                record.state = 1; // blocked while the child runs
                const status = run(childPid, childBytes, childArgs, childEnv, childFds, childGrants);
                record.state = 0;
                if (status === null) {
                    processes.delete(childPid);
                    return ERRNO.NOEXEC;
                }
                const child = processes.get(childPid);
                child.state = 2;
                child.status = status;
                writeU32(pidOut, addHandle({ type: OBJECT.PROCESS, pid: childPid, rights: CHILD_RIGHTS }));
                return 0;
            },
            wait(handle, statusOut) {
                if (!inBounds(statusOut, 4)) return ERRNO.FAULT;
                const [error, found] = lookup(handle, OBJECT.PROCESS, RIGHT.WAIT);
                if (error) return error;
                const child = processes.get(found.pid);
                if (!child || child.state !== 2) return ERRNO.CHILD;
                processes.delete(found.pid);
                handles.delete(handle >>> 0);
                writeU32(statusOut, child.status);
                return 0;
            },
            kill(handle) {
                return lookup(handle, OBJECT.PROCESS, RIGHT.KILL)[0];
            },
            handle_close(handle) {
                return handles.delete(handle >>> 0) ? 0 : ERRNO.BADF;
            },
            handle_duplicate(handle, rights, handleOut) {
                if (!inBounds(handleOut, 4)) return ERRNO.FAULT;
                const [error, found] = lookup(handle, 0, RIGHT.DUPLICATE);
                if (error) return error;
                const value = addHandle({ ...found, rights: found.rights & rights });
                if (value === null) return ERRNO.MFILE;
                writeU32(handleOut, value);
                return 0;
            },
            handles(buffer, bufferLength, countOut) {
                if (!inBounds(buffer, bufferLength) || !inBounds(countOut, 4)) return ERRNO.FAULT;
                [...handles.entries()].slice(0, Math.floor(bufferLength / 16)).forEach(([value, object], index) => {
                    [value, object.type, object.rights, 0].forEach((field, i) => writeU32(buffer + index * 16 + i * 4, field));
                });
                writeU32(countOut, handles.size);
                return 0;
            },
            process_info(handle, buffer, bufferLength) {
                if (!inBounds(buffer, bufferLength)) return ERRNO.FAULT;
                if (bufferLength < 64) return ERRNO.INVAL;
                const [error, found] = lookup(handle, OBJECT.PROCESS, RIGHT.INSPECT);
                if (error) return error;
                if (!processes.has(found.pid)) return ERRNO.SRCH;
                writeRecord(buffer, found.pid, processes.get(found.pid));
                return 0;
            },
            process_by_pid(resource, target, handleOut) {
                if (!inBounds(handleOut, 4)) return ERRNO.FAULT;
                const [error] = lookup(resource, OBJECT.RESOURCE, RIGHT.MANAGE);
                if (error) return error;
                if (!processes.has(target)) return ERRNO.SRCH;
                const value = addHandle({ type: OBJECT.PROCESS, pid: target,
                    rights: RIGHT.KILL | RIGHT.INSPECT | RIGHT.DUPLICATE | RIGHT.TRANSFER });
                if (value === null) return ERRNO.MFILE;
                writeU32(handleOut, value);
                return 0;
            },
            // Children run to completion inside spawn here, so no two run at once: a pipe
            // could not work (the kernel's cases are the boot sessions) and no Ctrl-C comes.
            pipe(fdsOut) {
                if (!inBounds(fdsOut, 8)) return ERRNO.FAULT;
                return ERRNO.NOSYS;
            },
            wait_console(childPid, statusOut) {
                return wasmkern.wait(childPid, statusOut);
            },
            interrupt(handle) {
                return wasmkern.kill(handle);
            },
            ps(resource, buffer, bufferLength, countOut) {
                if (!inBounds(buffer, bufferLength) || !inBounds(countOut, 4)) return ERRNO.FAULT;
                const [error] = lookup(resource, OBJECT.RESOURCE, RIGHT.INSPECT);
                if (error) return error;
                const all = [...processes.entries()].sort((a, b) => a[0] - b[0]);
                all.slice(0, Math.floor(bufferLength / 64)).forEach(([id, p], index) => writeRecord(buffer + index * 64, id, p));
                writeU32(countOut, all.length);
                return 0;
            },
            meminfo(buffer, bufferLength) {
                if (!inBounds(buffer, bufferLength)) return ERRNO.FAULT;
                if (bufferLength < 32) return ERRNO.INVAL;
                const view = new DataView(memory.buffer);
                MEMINFO.forEach((value, index) => view.setBigUint64(buffer + index * 8, value, true));
                return 0;
            },
            dmesg(buffer, bufferLength, infoOut) {
                if (!inBounds(buffer, bufferLength) || !inBounds(infoOut, 16)) return ERRNO.FAULT;
                const text = Buffer.from(DMESG, 'utf8');
                const copied = Math.min(bufferLength, text.length);
                text.subarray(text.length - copied).copy(Buffer.from(memory.buffer, buffer, copied));
                const view = new DataView(memory.buffer);
                view.setUint32(infoOut, copied, true);
                view.setUint32(infoOut + 4, text.length, true);
                view.setBigUint64(infoOut + 8, DMESG_DROPPED, true);
                return 0;
            },
            poweroff(resource, status) {
                const [error] = lookup(resource, OBJECT.RESOURCE, RIGHT.POWER);
                if (error) return error;
                process.stderr.write(`stub: poweroff ${status}\n`);
                process.exit(status);
            },
        };
        // A 64-byte process record (ps, process_info).
        function writeRecord(at, id, p) {
            const view = new DataView(memory.buffer);
            new Uint8Array(memory.buffer, at, 64).fill(0);
            view.setUint32(at, id, true);
            view.setUint32(at + 4, p.parent, true);
            view.setUint32(at + 8, p.state === 2 && spec.lingering ? 0 : p.state, true);
            view.setBigUint64(at + 16, BigInt(p.memory), true);
            view.setBigUint64(at + 24, BigInt(id) * 1500000n, true);
            Buffer.from(p.name, 'utf8').subarray(0, 32).copy(Buffer.from(memory.buffer, at + 32, 32));
        }
        let instance;
        try {
            const module = new WebAssembly.Module(bytes);
            // Outside the catch's reach: a mismatch is a failed test, not ENOEXEC.
            try {
                checkWasmkernImports(new Uint8Array(bytes), args[0]);
            } catch (error) {
                process.stderr.write(`stub: ${error.message}\n`);
                process.exit(99);
            }
            instance = new WebAssembly.Instance(module, { ...wasi.getImportObject(), wasmkern });
        } catch (error) {
            if (pid === 1) throw error;
            return null; // not a valid program: spawn reports ENOEXEC
        }
        memory = instance.exports.memory;
        record.memory = memory.buffer.byteLength;
        try {
            return wasi.start(instance);
        } catch (error) {
            process.stderr.write(`stub: pid ${pid} trapped\n`);
            return 134;
        }
    }

    processes.set(nextPid++, { parent: 0, name: path.basename(wasmPath, '.wasm'), state: 0, status: 0, memory: 0 });
    // The first process holds the root resource, as the kernel's shell does.
    return run(1, fs.readFileSync(wasmPath), [path.basename(wasmPath, '.wasm'), ...(spec.args ?? []).map(joined)], spec.env ?? {},
        [0, 1, 2], [{ type: OBJECT.RESOURCE, pid: 0, rights: RIGHT.ALL }]);
}

// ---- the parent ----------------------------------------------------------------------------
function parseArguments(argv) {
    const options = {};
    for (let i = 0; i < argv.length; i += 2) {
        if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
        options[argv[i].slice(2)] = argv[i + 1];
    }
    for (const required of ['wasm-dir', 'cases', 'case'])
        if (!options[required]) throw new Error(`missing --${required}`);
    options.runner ??= 'node';
    if (!['node', 'wasmkern'].includes(options.runner)) throw new Error(`unknown --runner ${options.runner}`);
    if (options.runner === 'wasmkern' && !options.wasmkern) throw new Error('--runner wasmkern needs --wasmkern PATH');
    return options;
}

function makeRoot(wasmDir, files, programs) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-userland-'));
    fs.mkdirSync(path.join(root, 'bin'));
    for (const name of fs.readdirSync(wasmDir)) {
        if (name.endsWith('.wasm') && name !== 'probe.wasm')
            fs.copyFileSync(path.join(wasmDir, name), path.join(root, 'bin', name.slice(0, -5)));
    }
    for (const [name, program] of Object.entries(programs ?? {})) {
        const full = path.join(root, name);
        if (!full.startsWith(root + path.sep)) throw new Error(`case program ${name} leaves the root`);
        fs.mkdirSync(path.dirname(full), { recursive: true });
        fs.copyFileSync(path.join(wasmDir, `${program}.wasm`), full);
    }
    for (const [name, content] of Object.entries(files ?? {})) {
        const full = path.join(root, name);
        if (!full.startsWith(root + path.sep)) throw new Error(`case file ${name} leaves the root`);
        if (name.endsWith('/')) fs.mkdirSync(full, { recursive: true });
        else {
            fs.mkdirSync(path.dirname(full), { recursive: true });
            fs.writeFileSync(full, joined(content));
        }
    }
    return root;
}

// Every entry under root except bin/: directories as "path/": null, files with their text.
function snapshot(root) {
    const result = {};
    const walk = (relative) => {
        for (const name of fs.readdirSync(path.join(root, relative)).sort()) {
            const rel = relative ? `${relative}/${name}` : name;
            if (rel === 'bin') continue;
            if (fs.lstatSync(path.join(root, rel)).isDirectory()) {
                result[`${rel}/`] = null;
                walk(rel);
            } else result[rel] = fs.readFileSync(path.join(root, rel), 'utf8');
        }
    };
    walk('');
    return result;
}

// A case's text: a string, or an array of strings and { "repeat": TEXT, "times": N } pieces.
const joined = (value) =>
    Array.isArray(value) ? value.map((piece) => (typeof piece === 'string' ? piece : piece.repeat.repeat(piece.times))).join('') : value;

async function main() {
    const options = parseArguments(process.argv.slice(2));
    const cases = JSON.parse(fs.readFileSync(options.cases, 'utf8'));
    const spec = cases[options.case];
    if (!spec) throw new Error(`no case ${options.case} in ${options.cases}`);
    const wasmPath = path.resolve(options['wasm-dir'], `${spec.program}.wasm`);
    if (!fs.existsSync(wasmPath)) throw new Error(`${wasmPath} is missing (build wk_userland)`);
    const root = makeRoot(options['wasm-dir'], spec.files, spec.programs);
    const failures = [];
    try {
        const runnerOptions = { input: joined(spec.stdin) ?? '', env: {}, timeout: 60000, maxBuffer: 16 << 20 };
        let run;
        if (options.runner === 'wasmkern') {
            // Plain WASI only: `wasmkern run` has no wasmkern imports.
            const imports = wasmkernImports(new Uint8Array(fs.readFileSync(wasmPath)));
            if (imports === null || imports.length > 0) throw new Error(`${spec.program} imports wasmkern: node runner only`);
            const args = ['run', '--dir', `${root}::/`];
            for (const [key, value] of Object.entries(spec.env ?? {})) args.push('--env', `${key}=${value}`);
            run = spawnSync(options.wasmkern, [...args, wasmPath, ...(spec.args ?? []).map(joined)], runnerOptions);
        } else {
            // The child needs neither the files (already in root) nor the expectations, which may be
            // larger than one argument may be (128 KiB on Linux).
            const childSpec = JSON.stringify({ ...spec, files: undefined, expect: undefined });
            run = spawnSync(process.execPath, ['--no-warnings', self, '--exec', wasmPath, root, childSpec], runnerOptions);
        }
        // EPIPE: the program ended without reading all of its input, which is its right.
        if (run.error && !(run.error.code === 'EPIPE' && run.status !== null)) throw run.error;
        const actual = {
            status: run.status ?? `signal ${run.signal}`,
            stdout: run.stdout.toString('utf8'),
            stderr: run.stderr.toString('utf8'),
        };
        const expect = spec.expect ?? {};
        const check = (what, ok, wanted, got) => {
            if (!ok) failures.push(`${what}:\n  expected ${JSON.stringify(wanted)}\n  actual   ${JSON.stringify(got)}`);
        };
        check('status', actual.status === (expect.status ?? 0), expect.status ?? 0, actual.status);
        for (const stream of ['stdout', 'stderr']) {
            if (expect[stream] !== undefined) check(stream, actual[stream] === joined(expect[stream]), joined(expect[stream]), actual[stream]);
            else if (expect[`${stream}_match`] === undefined) check(stream, actual[stream] === '', '', actual[stream]);
            if (expect[`${stream}_match`] !== undefined) {
                const pattern = new RegExp(expect[`${stream}_match`]);
                check(`${stream} (pattern)`, pattern.test(actual[stream]), pattern.source, actual[stream]);
            }
        }
        if (expect.files !== undefined) {
            const files = snapshot(root);
            const sorted = (tree) => JSON.stringify(Object.fromEntries(Object.entries(tree).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
            const wanted = Object.fromEntries(Object.entries(expect.files).map(([name, text]) => [name, text === null ? null : joined(text)]));
            check('files', sorted(files) === sorted(wanted), wanted, files);
        }
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
    if (failures.length) {
        console.log(`${options.case}: FAILED\n${failures.join('\n')}`);
        process.exit(1);
    }
    console.log(`${options.case}: ok`);
}

if (process.argv[2] === '--exec') {
    const [wasmPath, root, specJson] = process.argv.slice(3, 6);
    process.exitCode = await execute(wasmPath, root, JSON.parse(specJson));
} else {
    await main();
}
