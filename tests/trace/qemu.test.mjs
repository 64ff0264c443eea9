// qemu.test.mjs: tracing on the QEMU host (boot/trace.c drains the rings into a RAM log or over COM3,
// tools/boot/boot.ts bootTraced decodes them). Does a traced pipeline run on -smp 2 bring back events
// from every core, in time order per core, one task slice per dispatch the cores counted, with the
// machines named, nothing lost, and the program's stdout as without tracing, through either path?
// Is a loss or a cut stream reported?
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aam, image, ROOT } from '../lib/aam.mjs';

const require = createRequire(import.meta.url);
require('esbuild-register/dist/node').register({ target: 'node20' });
const { bootTraced, decodeTraceStream } = require('../../tools/boot/boot.ts');
const { validateChrome } = require('../../tools/trace/index.ts');
const { abiProblem } = require('../../tools/host/manifest.ts');
const EVENTS = JSON.parse(fs.readFileSync(path.join(ROOT, 'runtime/trace-events.json'), 'utf8')).events;
const ID = Object.fromEntries(EVENTS.map((e) => [e.name, e.id]));
const ARGS = ['200', '100'];

const hasQemu = () => spawnSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' }).status === 0;

let traced, plainImage, tracedImage, tinyImage;  // one traced boot, shared by the tests below
async function tracedRun() {
  if (traced) return traced;
  if (!hasQemu()) throw new Error('qemu-system-x86_64 is missing: run `sh boot/deps.sh` as root to install it');
  const out = path.join(ROOT, 'build/test-images/pipeline-trace.wasm');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  plainImage = image('examples/pipeline.ts');  // the untraced build, meanwhile (each takes ~20 s here)
  const tiny = path.join(ROOT, 'build/test-images/pipeline-trace16.wasm');  // 16-event rings: they overflow
  tinyImage = aam(['build', 'examples/pipeline.ts', '--trace', '--define', 'AAM_TRACE_SLOTS=16', '-o', tiny])
    .then((b) => { assert.is(b.code, 0, b.stderr); return tiny; });
  const b = await aam(['build', 'examples/pipeline.ts', '--trace', '-o', out]);
  assert.is(b.code, 0, b.stderr);
  const t0 = Date.now();
  tracedImage = out;
  const r = await bootTraced(fs.readFileSync(out), { root: ROOT, cores: 2, stats: false, args: ARGS, capture: true });
  const events = r.raw.perCore.reduce((n, c) => n + c.events.length, 0);
  console.log(`  traced pipeline ${ARGS.join(' ')} on -smp 2: ${events} events, ${r.bytes} bytes in ${r.frames} frames, ` +
    `QEMU ${r.ms.toFixed(0)} ms, bootTraced ${Date.now() - t0} ms (with the kernel build unless cached)`);
  return (traced = r);
}

// Every slice a core opens is closed by the same task before the next opens; returns the count.
function checkSlices(raw) {
  let n = 0;
  for (const c of raw.perCore) {
    let open = null;
    for (const e of c.events) {
      if (e.type === ID.task_begin || e.type === ID.task_resume) {
        assert.is(open, null, `core ${c.core}: a slice opens inside task 0x${open?.c.toString(16)}`);
        open = e;
        n++;
      } else if (e.type === ID.task_end || e.type === ID.task_block) {
        assert.ok(open && open.c === e.c, `core ${c.core}: a slice closes task 0x${e.c.toString(16)} that is not open`);
        open = null;
      }
    }
  }
  return n;
}

// The pipeline's counters that depend on timing (manager ticks, grants) are masked.
const steady = (s) => s.replace(/ticks \d+/g, 'ticks N').replace(/grants \d+, revokes \d+/g, 'grants N, revokes N');

test('a traced pipeline on QEMU -smp 2: exit 0, events from every core, none lost, the END frame', async () => {
  const r = await tracedRun();
  assert.is(r.code, 0, r.stderr);
  assert.is(r.raw.host, 'qemu');
  assert.is(r.raw.cores, 2);
  for (const c of r.raw.perCore) {
    assert.ok(c.events.length > 0, `core ${c.core} has no events`);
    assert.is(c.lost, 0, `core ${c.core} lost events`);
  }
});

test('per core, timestamps are non-decreasing (inexact ones spread between exact readings)', async () => {
  const r = await tracedRun();
  for (const c of r.raw.perCore) {
    for (let i = 1; i < c.events.length; i++)
      assert.ok(c.events[i].ts >= c.events[i - 1].ts, `core ${c.core}: event ${i} at ${c.events[i].ts} before ${c.events[i - 1].ts}`);
    assert.ok(c.events.every((e) => Object.values(ID).includes(e.type)), 'every record decodes to a known event');
  }
});

test('task_begin + task_resume = the dispatches the cores counted (tasks run), and slices nest per core', async () => {
  const r = await tracedRun();
  const all = r.raw.perCore.flatMap((c) => c.events);
  const n = (name) => all.filter((e) => e.type === ID[name]).length;
  assert.ok(r.raw.stats, 'the records for --stats came back in MEM frames');
  assert.is(n('task_begin') + n('task_resume'), r.raw.stats.tasksRun);
  assert.ok(n('task_begin') >= 400, `200 transform calls + 200 sink calls begin (${n('task_begin')})`);
  checkSlices(r.raw);                          // a core runs one task at a time
});

test('COM3 alone (aam trace --host qemu --com3: no RAM log, every frame streamed): a valid Chrome trace, nothing lost, every call\'s slices, stdout unchanged; --com3 on the Node host is refused', async () => {
  await tracedRun();
  const out = path.join(ROOT, 'build/test-images/pipeline-com3.json');
  fs.rmSync(out, { force: true });
  const t0 = Date.now();
  const r = await aam(['trace', tracedImage, '--host', 'qemu', '--com3', '--cores', '2', '-o', out, '--', ...ARGS]);
  console.log(`  streamed over COM3 only: ${Date.now() - t0} ms in all`);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /events from 2 cores, none lost/);
  const chrome = JSON.parse(fs.readFileSync(out, 'utf8'));
  const problems = validateChrome(chrome);
  assert.equal(problems, [], problems.slice(0, 5).join('\n'));
  const slices = chrome.traceEvents.filter((e) => e.cat === 'task');
  assert.ok(slices.filter((e) => e.name === 'transform').length >= 200 && slices.filter((e) => e.name === 'sink').length >= 200, 'every call runs a slice');
  assert.is(steady(r.stdout), steady(traced.stdout));
  const bad = await aam(['trace', tracedImage, '--com3', '-o', out]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, '--com3 is for --host qemu');
});

test('machines are named from the records copied out at exit; task functions from the manifest', async () => {
  const r = await tracedRun();
  const names = Object.values(r.raw.machines);
  for (const m of ['idle', 'producer', 'transform', 'sink']) assert.ok(names.includes(m), `machine ${m} in ${names}`);
  assert.ok(Object.values(r.raw.fns).includes('transform'));
  const sink = r.raw.stats.machines.find((m) => m.name === 'sink');
  assert.is(sink.callsIn, 200);
});

test('tracing leaves the program\'s stdout unchanged (the untraced image on QEMU -smp 2)', async () => {
  const r = await tracedRun();
  const plain = await aam(['boot', await plainImage, '--cores', '2', '--', ...ARGS]);
  assert.is(plain.code, 0, plain.stderr);
  assert.ok(/items 200 sum ok/.test(r.stdout), r.stdout);
  assert.is(steady(r.stdout), steady(plain.stdout));
});

test('a ring that overflows: its losses are counted and reported, never silent', async () => {
  await tracedRun();
  const r = await bootTraced(fs.readFileSync(await tinyImage), { root: ROOT, cores: 2, stats: false, args: ARGS, capture: true });
  assert.is(r.code, 0, r.stderr);
  const lost = r.raw.perCore.reduce((n, c) => n + c.lost, 0);
  const seen = r.raw.perCore.flatMap((c) => c.events).filter((e) => e.type === ID.task_begin || e.type === ID.task_resume).length;
  console.log(`  16-slot rings: ${seen} of ${r.raw.stats.tasksRun} dispatches seen, ${lost} events lost`);
  assert.ok(lost > 0, 'a 16-slot ring overflows between two clock reads');
  assert.ok(seen < r.raw.stats.tasksRun && seen + lost >= r.raw.stats.tasksRun, `seen ${seen} + lost ${lost} account for ${r.raw.stats.tasksRun}`);
  assert.ok(/items 200 sum ok/.test(r.stdout), 'a full ring never blocks a core');
});

// The decoder on hand-made streams: a loss with no event still reaches the trace; a cut frame ends it.
function frame(kind, core, arg, payload = new Uint8Array(0)) {
  const b = new Uint8Array(16 + payload.length), v = new DataView(b.buffer);
  v.setUint32(0, 0x544d4141, true); v.setUint16(4, kind, true); v.setUint16(6, core, true);
  v.setUint32(8, payload.length, true); v.setUint32(12, arg, true); b.set(payload, 16);
  return b;
}
// The two record kinds of runtime/sys/trace.ts: full (32 bytes, exact time) and compact (8 bytes, no time).
function full(ts, type, c) {
  const b = new Uint8Array(32), v = new DataView(b.buffer);
  v.setUint32(0, type, true); v.setUint32(12, c, true); v.setFloat64(16, ts, true);
  return b;
}
// close: the close of the open slice folded into the tag (1 task_end, 2 task_block)
function compact(type, machine = 0, fn = 0, task = 0, close = 0) {
  const b = new Uint8Array(8), v = new DataView(b.buffer);
  v.setBigUint64(0, 0x80n | BigInt(close << 5) | BigInt(type) | (BigInt(machine) << 8n) | (BigInt(fn) << 20n) | ((BigInt(task) >> 4n) << 36n), true);
  return b;
}
const cat = (...parts) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out; };
const manifest = { fns: {} };

test('decoder: LOST counts are reported, compact records decode (closes take the open slice\'s fields) and are spread between exact ones, a cut stream keeps what came whole', () => {
  const end = new Uint8Array(8); new DataView(end.buffer).setFloat64(0, 5000, true);
  const evs = cat(full(1000, ID.task_begin, 0x70), compact(ID.task_begin, 4095, 65535, 0xfffffff0, 1), compact(ID.task_block), full(4000, ID.core_park, 0));
  const stream = cat(frame(1, 0, 0, evs), frame(1, 1, 3), frame(4, 0, 0, end));
  const { raw, frames, ended } = decodeTraceStream(stream, manifest, 2);
  assert.is(frames, 3);
  assert.ok(ended);
  assert.equal(raw.perCore.map((c) => c.lost), [0, 3]);
  assert.equal(raw.perCore[0].events.map((e) => e.ts), [1000, 1750, 2500, 3250, 4000]);
  assert.equal(raw.perCore[0].events.map((e) => [e.type, e.a, e.b, e.c]), [[ID.task_begin, 0, 0, 0x70], [ID.task_end, 0, 0, 0x70],
    [ID.task_begin, 4095, 65535, 0xfffffff0], [ID.task_block, 4095, 65535, 0xfffffff0], [ID.core_park, 0, 0, 0]]);
  const cut = decodeTraceStream(stream.subarray(0, stream.length - 10), manifest, 2);
  assert.is(cut.frames, 2);
  assert.not.ok(cut.ended);
  assert.is(cut.raw.perCore[0].events.length, 5);
});

test('decoder: a fatal TRAP frame\'s flight recorder comes after the exit\'s last drain (the other core\'s latest events in it); a task trap\'s at once', () => {
  const end = new Uint8Array(8); new DataView(end.buffer).setFloat64(0, 9000, true);
  const stream = (fatal) => cat(frame(1, 0, 0, full(1000, ID.task_begin, 0x70)), frame(3, 0, fatal ? 1 : 0),
    frame(1, 1, 0, cat(full(2000, ID.task_begin, 0x80), compact(ID.task_begin, 3, 9, 0x90, 1))), frame(4, 0, 0, end));
  const write = process.stderr.write;
  let err = '';
  process.stderr.write = (s) => { err += s; return true; };
  try {
    decodeTraceStream(stream(true), manifest, 2);
    const fatal = err; err = '';
    decodeTraceStream(stream(false), manifest, 2);
    const task = err;
    assert.match(fatal, /core 1:\n.*task_begin.*task=0x80\n.*task_end.*task=0x80 failed=0\n.*task_begin.*task=0x90\n/);
    assert.match(task, /core 1: no events/);
  } finally { process.stderr.write = write; }
});

test('an image built for another image↔host contract (an older aam\'s rings, say) is refused with a rebuild hint, by both hosts', async () => {
  await tracedRun();
  assert.match(abiProblem({ trace: { ringWord: 1296, headerSize: 64, eventSize: 32 } }), /another image↔host contract \(no contract hash in its manifest.* rebuild it with this aam/);
  assert.is(abiProblem(JSON.parse(fs.readFileSync(await tinyImage + '.json', 'utf8'))), null);
});

test.run();
