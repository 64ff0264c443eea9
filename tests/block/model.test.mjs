// model.test.mjs: the Node host's virtio-blk device model (tools/host/virtio.ts) driven directly,
// as a driver would but without an image, to reach what a correct driver never sends: does a
// descriptor outside the memory, a looping chain, a chain that is no block request or a sector
// past the end fail only that request, with a line naming what and where, while good requests
// around them complete and raise the interrupt on the routed core?
// Deterministic: each step waits for the used index to move (an event), never for a time.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as esbuild from "esbuild";
import { ROOT, before } from "../lib/aam.mjs";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aam-model-"));
let M;                                        // the bundled tools/host/virtio.ts and tools/host/abi.ts
before(test, async () => {
  const out = path.join(dir, "virtio.mjs");
  await esbuild.build({ stdin: { contents: 'export * from "./tools/host/virtio.ts"; export * from "./tools/host/abi.ts";', resolveDir: ROOT, loader: "ts" },
    outfile: out, bundle: true, format: "esm", platform: "node", logLevel: "error" });
  M = await import(out);
});
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const DESC = 0x10000, AVAIL = 0x10400, USED = 0x10800, NUM = 16;

// A device on a 16-sector disk (sector k filled with byte k), set up as runtime/dev/virtio.ts
// does, its interrupts routed to core 1.
function setup(readOnly = false) {
  const img = path.join(dir, `d${Math.random().toString(36).slice(2)}.img`);
  const b = Buffer.alloc(16 * 512);
  for (let k = 0; k < 16; k++) b.fill(k, k * 512, (k + 1) * 512);
  fs.writeFileSync(img, b);
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 4, shared: true });
  const ctl = new Int32Array(new SharedArrayBuffer(4 * 8));
  const errFile = path.join(dir, "err" + Math.random().toString(36).slice(2));
  const err = fs.openSync(errFile, "w+");
  const dev = new M.BlockDevice({ path: img, readOnly }, 0, memory, ctl, err);
  const io = M.devImports([dev.data]);
  const w = (reg, v) => io.dev_write(0, reg, v);
  w(M.VIRTIO_STATUS, 0);
  w(M.VIRTIO_STATUS, 3);
  w(M.VIRTIO_DRIVER_FEATURES_SEL, 1); w(M.VIRTIO_DRIVER_FEATURES, 1);
  w(M.VIRTIO_STATUS, 11);
  w(M.VIRTIO_QUEUE_SEL, 0); w(M.VIRTIO_QUEUE_NUM, NUM);
  w(M.VIRTIO_QUEUE_DESC_LOW, DESC); w(M.VIRTIO_QUEUE_AVAIL_LOW, AVAIL); w(M.VIRTIO_QUEUE_USED_LOW, USED);
  w(M.VIRTIO_QUEUE_READY, 1);
  w(M.VIRTIO_STATUS, 15);
  io.dev_route(0, 1);
  const dv = new DataView(memory.buffer);
  let next = 0;
  const desc = (i, at, len, flags, nxt = 0) => {
    dv.setUint32(DESC + 16 * i, at, true); dv.setUint32(DESC + 16 * i + 4, 0, true);
    dv.setUint32(DESC + 16 * i + 8, len, true); dv.setUint16(DESC + 16 * i + 12, flags, true); dv.setUint16(DESC + 16 * i + 14, nxt, true);
  };
  // Make chain `head` available, notify, wait until the device returned it; its used element.
  const submit = async (head) => {
    dv.setUint16(AVAIL + 4 + 2 * (next % NUM), head, true);
    next++;
    Atomics.store(new Uint16Array(memory.buffer), (AVAIL + 2) >> 1, next);
    w(M.VIRTIO_QUEUE_NOTIFY, 0);
    while (Atomics.load(new Uint16Array(memory.buffer), (USED + 2) >> 1) !== next) await new Promise((r) => setImmediate(r));
    const el = USED + 4 + 8 * ((next - 1) % NUM);
    return { id: dv.getUint32(el, true), len: dv.getUint32(el + 4, true) };
  };
  const header = (at, type, sector) => { dv.setUint32(at, type, true); dv.setUint32(at + 4, 0, true); dv.setUint32(at + 8, sector, true); dv.setUint32(at + 12, 0, true); };
  const pending = () => Atomics.load(new Int32Array(memory.buffer), (M.CORE_BASE + M.CORE_REC_SIZE + M.FC_IRQ_PENDING) >> 2);
  const stderr = () => fs.readFileSync(errFile, "utf8");
  return { img, memory, ctl, dev, io, dv, desc, submit, header, pending, stderr };
}

test("a good read completes: data, status, used length, the interrupt bit on the routed core and its wake", async () => {
  const s = setup();
  s.header(0x20000, 0, 3);
  s.desc(0, 0x20000, 16, 1, 1); s.desc(1, 0x21000, 1024, 3, 2); s.desc(2, 0x22000, 1, 2);
  const u = await s.submit(0);
  assert.equal(u, { id: 0, len: 1025 });
  assert.is(s.dv.getUint8(0x22000), 0, "status OK");
  assert.is(s.dv.getUint8(0x21000), 3); assert.is(s.dv.getUint8(0x21000 + 1023), 4);
  assert.is(s.pending(), 1, "bit 0 of core 1's FC_IRQ_PENDING");
  assert.is(Atomics.load(s.ctl, 1), 1, "core 1 woken");
  assert.is(s.io.dev_read(0, M.VIRTIO_INTERRUPT_STATUS), 1);
  s.io.dev_write(0, M.VIRTIO_INTERRUPT_ACK, 1);
  assert.is(s.io.dev_read(0, M.VIRTIO_INTERRUPT_STATUS), 0);
  s.dev.stop();
});

test("hostile chains fail alone, each with a line naming what and where; the next good request completes", async () => {
  const s = setup();
  const size = s.memory.buffer.byteLength;
  s.header(0x20000, 0, 0);
  s.desc(0, 0x20000, 16, 1, 1); s.desc(1, size - 100, 512, 3, 2); s.desc(2, 0x22000, 1, 2);       // data past the end
  assert.equal(await s.submit(0), { id: 0, len: 0 });
  s.desc(3, 0x20000, 16, 1, 4); s.desc(4, 0x21000, 512, 3, 3);                                       // a loop
  assert.equal(await s.submit(3), { id: 3, len: 0 });
  s.desc(5, 0x20000, 16, 1, 99);                                                                     // next outside the table
  assert.equal(await s.submit(5), { id: 5, len: 0 });
  s.desc(6, 0x21000, 512, 2);                                                                        // no header, no status
  assert.equal(await s.submit(6), { id: 6, len: 0 });
  s.header(0x20100, 0, 15);                                                                          // sectors 15..16: past the end
  s.desc(7, 0x20100, 16, 1, 8); s.desc(8, 0x21000, 1024, 3, 9); s.desc(9, 0x22000, 1, 2);
  assert.equal(await s.submit(7), { id: 7, len: 1 });
  assert.is(s.dv.getUint8(0x22000), 1, "IOERR");
  s.header(0x20200, 1, 2);                                                                           // a good write
  s.dv.setUint8(0x23000, 0xab);
  s.desc(10, 0x20200, 16, 1, 11); s.desc(11, 0x23000, 512, 1, 12); s.desc(12, 0x22000, 1, 2);
  assert.equal(await s.submit(10), { id: 10, len: 1 });
  assert.is(s.dv.getUint8(0x22000), 0);
  s.dev.stop();
  assert.is(fs.readFileSync(s.img)[1024], 0xab, "the write reached the file");
  const e = s.stderr();
  assert.match(e, new RegExp(`descriptor 1 points at 0x${(size - 100).toString(16)} \\+ 512 bytes, outside the image's memory \\(${size} bytes\\); the request is dropped`));
  assert.match(e, /the chain at descriptor 3 loops; the request is dropped/);
  assert.match(e, /descriptor 99 is outside the table of 16; the request is dropped/);
  assert.match(e, /the chain at descriptor 6 is not a block request/);
  assert.is(e.trim().split("\n").length, 4, e);
});

test("a read-only device answers IOERR to a write and leaves the file alone; FEATURES_OK needs VERSION_1", async () => {
  const s = setup(true);
  assert.is(s.io.dev_read(0, M.VIRTIO_DEVICE_FEATURES) & (1 << 5), 1 << 5, "VIRTIO_BLK_F_RO offered");
  const was = fs.readFileSync(s.img);
  s.header(0x20000, 1, 0);
  s.desc(0, 0x20000, 16, 1, 1); s.desc(1, 0x21000, 512, 1, 2); s.desc(2, 0x22000, 1, 2);
  assert.equal(await s.submit(0), { id: 0, len: 1 });
  assert.is(s.dv.getUint8(0x22000), 1);
  s.dev.stop();
  assert.ok(fs.readFileSync(s.img).equals(was));
  const t = setup();
  t.io.dev_write(0, M.VIRTIO_STATUS, 0);
  t.io.dev_write(0, M.VIRTIO_STATUS, 3);
  t.io.dev_write(0, M.VIRTIO_STATUS, 11);                     // VERSION_1 not accepted
  assert.is(t.io.dev_read(0, M.VIRTIO_STATUS) & 8, 0, "FEATURES_OK refused");
  t.dev.stop();
});

test.run();
