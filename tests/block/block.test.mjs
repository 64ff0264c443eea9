// block.test.mjs: machine "block" (aams/block) over the virtio driver (runtime/dev/virtio.ts), on
// the Node host's device model (tools/host/virtio.ts) and, for parity, on QEMU's virtio-blk
// (boot/virtio.c). Questions: are written sectors in the disk file, byte for byte? do many
// requests in flight from many tasks each complete exactly once? are a write to a read-only disk
// and a request outside the disk refused, by the client and by the machine itself? do interrupts
// reach only the owning machine's core? does `--disk` refuse a bad file in one line? is stdout
// the same on both hosts?
// Deterministic: every check counts requests, interrupts or bytes; nothing is timed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { aam, image, prebuild, statsTable, before } from "../lib/aam.mjs";

const DISK = "tests/block/programs/disk.ts";
const IRQ = "tests/block/programs/irq.ts";
const MOVE = "tests/block/programs/move.ts";
const FAST_RELEASE = { defines: { AAM_IDLE_TICKS: "3" } };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-block-"));
let n = 0;
/** A fresh disk image of `sectors` sectors; `fill(i)` gives byte i (default zeros). */
function disk(sectors = 128, fill = null) {
  const f = path.join(dir, `d${n++}.img`);
  const b = Buffer.alloc(sectors * 512);
  if (fill) for (let i = 0; i < b.length; i++) b[i] = fill(i);
  fs.writeFileSync(f, b);
  return f;
}
const pattern = (i) => (i * 13 + (i >> 9)) & 255;

const images = {};
before(test, async () => {
  await prebuild([[DISK], [IRQ], [IRQ, { trace: true }], [MOVE, FAST_RELEASE]]);
  images.disk = await image(DISK);
  images.irq = await image(IRQ);
  images.irqTrace = await image(IRQ, { trace: true });
  images.move = await image(MOVE, FAST_RELEASE);
});
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("a program writes sectors, reads them back, and the disk file holds exactly those bytes", async () => {
  const f = disk(64);
  const r = await aam(["run", images.disk, "--cores", "2", "--disk", f, "--", "rw", "3", "5"]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^disk: 64 sectors, read-write\nrw: write 0 flush 0 read 0 same yes fnv [0-9a-f]+\n$/);
  const b = fs.readFileSync(f);
  assert.is(b.length, 64 * 512, "the file keeps its size");
  for (let k = 0; k < 64; k++) {
    for (let i = 0; i < 512; i++) {
      const want = k >= 3 && k < 8 ? (k * 7 + i) & 255 : 0;
      if (b[k * 512 + i] !== want) assert.unreachable(`sector ${k} byte ${i}: ${b[k * 512 + i]}, expected ${want}`);
    }
  }
});

test("a program reads what Node put in the file", async () => {
  const f = disk(32, pattern);
  const r = await aam(["run", images.disk, "--cores", "2", "--disk", f, "--", "read", "2", "3"]);
  assert.is(r.code, 0, r.stderr);
  let h = 0x811c9dc5;
  for (const x of fs.readFileSync(f).subarray(1024, 2560)) h = Math.imul(h ^ x, 16777619) >>> 0;
  assert.is(r.stdout, `disk: 32 sectors, read-write\nread: 0 fnv ${h.toString(16)}\n`);
});

test("many requests in flight from 64 tasks (more than the queue holds) complete exactly once each, with interrupts counted", async () => {
  const f = disk(128);
  const r = await aam(["run", images.disk, "--cores", "2", "--stats", "--disk", f, "--", "many", "64", "10"]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /many: 64 tasks x 10 rounds, requests completed 1280 of 1280, wrong reads 0\n/);
  const { rows, summary } = statsTable(r.stderr);
  assert.ok(rows.reduce((s, c) => s + c.irqs, 0) > 0, "interrupts were taken");
  assert.is(summary.contextsInUse, 0, "no task is left blocked on a request");
  const m = /^block +\d+ +\d+ +(\d+)/m.exec(r.stderr);
  assert.ok(m && Number(m[1]) === 1281, `block served 1280 calls and one info: ${r.stderr}`);
});

test("a read-only disk refuses writes (EROFS) and its file is unchanged; reads work", async () => {
  const f = disk(16, pattern);
  const was = fs.readFileSync(f);
  const r = await aam(["run", images.disk, "--cores", "2", "--disk", `${f}:ro`, "--", "ro"]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^disk: 16 sectors, read-only\nro: readOnly yes, write -30: block\.write: lba 0 \+ 1 sectors: the disk is read-only \(EROFS\)\nro: read 0 fnv [0-9a-f]+\n$/);
  assert.ok(fs.readFileSync(f).equals(was), "the file was not written");
});

test("requests outside the disk are refused with an error naming lba and size (EINVAL)", async () => {
  const r = await aam(["run", images.disk, "--cores", "2", "--disk", disk(40), "--", "range"]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /range: read lba 40: -22: block\.read: lba 40 \+ 1 sectors is outside the disk \(40 sectors\) \(EINVAL\)\n/);
  assert.match(r.stdout, /range: read lba 39 x2: -22: block\.read: lba 39 \+ 2 sectors is outside the disk \(40 sectors\) \(EINVAL\)\n/);
  assert.match(r.stdout, /range: read 0 sectors: -22\nrange: read the last sector: 0\n/);
});

test("the machine checks every request itself, and the kernel refuses a pointer outside the caller's memory", async () => {
  const f = disk(8);
  const r = await aam(["run", images.disk, "--cores", "2", "--disk", `${f}:ro`, "--", "raw"]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /raw: info sectors 8 read_only 1 max_sectors 2048\n/);
  assert.match(r.stdout, /raw: past the end -22, across the end -22, bytes != count x 512 -22, above max -22\n/);
  assert.match(r.stdout, /raw: a pointer outside the caller's memory: failed yes: machine 'block' task read, parameter buf: \[0x[0-9a-f]+, \+512\) is not memory of the calling machine 'main'\n/);
  assert.match(r.stdout, /raw: write -30\n/);
});

test("interrupts reach only the core of the machine that owns the device: the cores of 'spin' and 'main' take none", async () => {
  const r = await aam(["run", images.irq, "--cores", "3", "--stats", "--disk", disk(16), "--", "40"]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.is(r.stdout, "irq: 80 requests, bad 0\nirq: cores distinct yes\nirq: block's core took some, spin's core 0, main's core 0\n");
  const m = /irq: cores block (\d+) spin (\d+) main (\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  const [blockCore, spinCore, mainCore] = m.slice(1).map(Number);
  const { rows } = statsTable(r.stderr);
  assert.is(rows[spinCore].irqs, 0, "spin's core in --stats");
  assert.is(rows[mainCore].irqs, 0, "main's core in --stats");
  assert.ok(rows[blockCore].irqs > 0 && rows[blockCore].irqs <= 80, `block's core took ${rows[blockCore].irqs} (at most one per request)`);
});

test("under QEMU too, only the block machine's core takes interrupts (aam boot --stats: irqs per core)", async () => {
  const r = await aam(["boot", images.irq, "--cores", "3", "--stats", "--disk", disk(16), "--", "15"]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.is(r.stdout, "irq: 30 requests, bad 0\nirq: cores distinct yes\nirq: block's core took some, spin's core 0, main's core 0\n");
  const [blockCore, spinCore, mainCore] = /irq: cores block (\d+) spin (\d+) main (\d+)/.exec(r.stderr).slice(1).map(Number);
  const irqs = Object.fromEntries([...r.stderr.matchAll(/^aam boot stats: core (\d+): .*, irqs (\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]));
  assert.is(irqs[spinCore], 0, r.stderr);
  assert.is(irqs[mainCore], 0, r.stderr);
  assert.ok(irqs[blockCore] > 0 && irqs[blockCore] <= 30, r.stderr);
});

test("the device follows its machine: block loses its core, gets one again, and its interrupts still arrive (both hosts)", async () => {
  for (const cmd of ["run", "boot"]) {
    const r = await aam([cmd, images.move, "--cores", "3", "--disk", disk(16), "--", "15"]);
    assert.is(r.code, 0, `${cmd}: ${r.stderr}${r.stdout}`);
    assert.is(r.stdout, "move: 60 requests, bad 0, block lost its core and got one again: yes\n", `${cmd}: ${r.stderr}`);
  }
});

test("the trace has an irq event for each interrupt taken, all on the block machine's core", async () => {
  const out = path.join(dir, "irq.json");
  const r = await aam(["trace", images.irqTrace, "--cores", "3", "--stats", "--disk", disk(16), "-o", out, "--", "10"]);
  assert.is(r.code, 0, r.stderr);
  const m = /irq: cores block (\d+) spin (\d+) main (\d+)/.exec(r.stderr);
  const events = JSON.parse(fs.readFileSync(out, "utf8")).traceEvents.filter((e) => e.name === "irq");
  const { rows } = statsTable(r.stderr);
  assert.is(events.length, rows.reduce((s, c) => s + c.irqs, 0), "one event per interrupt counted");
  assert.ok(events.length > 0);
  for (const e of events) assert.is(e.args.core, Number(m[1]), JSON.stringify(e));
});

test("--disk refuses a missing file, a folder, a size that is not a multiple of 512 and an empty file, in one line", async () => {
  const odd = path.join(dir, "odd.img");
  fs.writeFileSync(odd, Buffer.alloc(1000));
  const empty = path.join(dir, "empty.img");
  fs.writeFileSync(empty, "");
  const cases = [
    [path.join(dir, "nope.img"), /--disk .*nope\.img: no such file/],
    [dir, /--disk .*: not a regular file/],
    [odd, /--disk .*odd\.img: its size, 1000 bytes, is not a multiple of 512 \(the sector size\)/],
    [`${empty}:ro`, /--disk .*empty\.img: the file is empty/],
  ];
  for (const [d, re] of cases) {
    for (const cmd of ["run", "boot"]) {
      const r = await aam([cmd, images.disk, "--disk", d]);
      assert.is(r.code, 2, `${cmd} --disk ${d}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  }
  const b = await aam(["build", DISK, "--disk", odd]);
  assert.is(b.code, 2);
  assert.match(b.stderr, /aam build does not take --disk/);
});

test("a program without a disk: BlockClient.open() is null", async () => {
  const r = await aam(["run", images.disk, "--cores", "2"]);
  assert.is(r.code, 3, r.stderr);
  assert.is(r.stdout, "disk: no disk attached\n");
});

// Parity: the same stdout (and the same disk bytes) on Node and under QEMU.
const PARITY = [
  { name: "rw", args: ["rw", "3", "5"], cores: 2 },
  { name: "many", args: ["many", "6", "10"], cores: 2 },
  { name: "ro", args: ["ro"], cores: 2, ro: true },
  { name: "range", args: ["range"], cores: 2 },
  { name: "raw", args: ["raw"], cores: 2, ro: true },
  { name: "irq", args: ["20"], cores: 3, irq: true },
  { name: "none", args: [], cores: 1, none: true },
];
for (const s of PARITY) {
  test(`parity ${s.name}: the same stdout, status and disk bytes on Node and QEMU (${s.cores} cores)`, async () => {
    const img = s.irq ? images.irq : images.disk;
    const a = disk(48, pattern), b = disk(48, pattern);
    const opt = (f) => s.none ? [] : ["--disk", s.ro ? `${f}:ro` : f];
    const node = await aam(["run", img, "--cores", String(s.cores), ...opt(a), "--", ...s.args]);
    const qemu = await aam(["boot", img, "--cores", String(s.cores), ...opt(b), "--", ...s.args]);
    assert.is(qemu.stdout, node.stdout, `stdout differs; qemu stderr:\n${qemu.stderr}`);
    assert.is(qemu.code, node.code, `status; qemu stderr:\n${qemu.stderr}`);
    assert.is(node.code, s.none ? 3 : 0, node.stderr);
    assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), "the disk files differ after the runs");
  });
}

test.run();
