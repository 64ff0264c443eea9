// host.test.ts: does the generated TypeScript host client (gen/ts.ts) pack each call record as
// the C layout says, hand the right buffers to the transport, and unpack results and out data?
// A fake transport records the requests and answers as a server would; the end-to-end run over
// the real host transport is tests/igen-run.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { zlibClient, ZlibLevel, ZLIB_INTERFACE_HASH, IgenHost } from './cases/zlib/zlib_igen_host';
import { netClient } from './cases/include/net_igen_host';
import { layoutClient } from './cases/layout/layout_igen_host';

type Req = Parameters<IgenHost['call']>[0];

// A transport that keeps each request and answers with `answer(req)`.
function fake(answer: (req: Req) => { record?: Uint8Array; buffers?: Uint8Array[] }) {
  const seen: Req[] = [];
  const host: IgenHost = {
    async call(req) {
      seen.push(req);
      const a = answer(req);
      return { record: a.record ?? req.record, buffers: a.buffers ?? req.buffers.map((b) => b.data) };
    },
  };
  return { host, seen };
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

test('zlib.compress: record fields at their C offsets, lengths from the buffers, the result and the out buffer back', async () => {
  const { host, seen } = fake((req) => {
    const record = req.record.slice();
    dv(record).setInt32(24, -2, true);                      // the result, at RESULT = 24
    return { record, buffers: [req.buffers[0].data, Uint8Array.from({ length: 16 }, (_, i) => i + 1)] };
  });
  const r = await zlibClient(host).compress(Uint8Array.from([9, 8, 7, 6, 5]), 16, { level: ZlibLevel.ZLIB_BEST, window_bits: 15, raw: true });
  const req = seen[0];
  assert.equal([req.machine, req.hash, req.slot, req.ordinal, req.record.length], ['zlib', ZLIB_INTERFACE_HASH, 0, 0xdbf36946, 32]);
  const d = dv(req.record);
  assert.equal([d.getUint32(4, true), d.getUint32(12, true), d.getInt32(16, true), d.getUint8(20), d.getUint8(21)], [5, 16, 9, 15, 1]);
  assert.equal(req.buffers.map((b) => [b.field, b.dir, b.data.length]), [[0, 'in', 5], [8, 'out', 16]]);
  assert.equal([...req.buffers[0].data], [9, 8, 7, 6, 5]);
  assert.is(r.result, -2);
  assert.equal([...r.dst], Array.from({ length: 16 }, (_, i) => i + 1));
});

test('zlib.decompress fills a given out array in place; zlib.stats decodes an out struct; zlib.reset resolves to undefined', async () => {
  const { host } = fake((req) => {
    if (req.slot === 1) return { buffers: [req.buffers[0].data, new Uint8Array([4, 3, 2, 1])] };
    if (req.slot === 2) {
      const st = new Uint8Array(32), s = dv(st);
      s.setBigUint64(0, 1000n, true); s.setBigUint64(8, 250n, true); s.setUint32(16, 3, true); s.setFloat64(24, 0.25, true);
      return { buffers: [st] };
    }
    return {};
  });
  const z = zlibClient(host);
  const dst = new Uint8Array(4);
  const d = await z.decompress(new Uint8Array(10), dst);
  assert.equal([...dst], [4, 3, 2, 1]);
  assert.equal([...d.dst], [4, 3, 2, 1]);
  assert.equal((await z.stats()).st, { bytes_in: 1000n, bytes_out: 250n, calls: 3, ratio: 0.25 });
  assert.is(await z.reset(), undefined);
});

test('a refusal from the transport rejects the call with the same error', async () => {
  const host: IgenHost = { call: async () => { throw new Error('connect: machine zlib serves interface 0x1 but the client was built against 0x2'); } };
  try {
    await zlibClient(host).reset();
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, 'connect: machine zlib serves interface 0x1');
  }
});

test('a buffer longer than its length parameter can count is refused before the call', async () => {
  const { host, seen } = fake(() => ({}));
  const n = netClient(host);
  try {
    await n.send({ ip: new Uint8Array([10, 0, 0, 1]), port: 2 }, new Uint8Array(70000));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, RangeError);
    assert.match((e as Error).message, 'net.send len: length 70000 does not fit its length parameter (0..65535)');
  }
  assert.is(seen.length, 0);
});

test('layout.mixed: an array of structs in, a constant-length inout struct array back and updated in place', async () => {
  const { host, seen } = fake((req) => {
    const oc = req.buffers[1].data.slice();
    oc.forEach((b, i) => (oc[i] = b + 1));
    const record = req.record.slice();
    dv(record).setFloat64(16, 1.5, true);
    return { record, buffers: [req.buffers[0].data, oc] };
  });
  const mixed = { color: 5 as const, big: 0x80000000 as const, f: 1, ull: 2n, l: 3, bytes: new Uint8Array(5), sc: -1, p: 0, tp: 0, matrix: 0 };
  const oc = [{ a: 1, b: 2, c: 3 }, { a: 4, b: 5, c: 6 }, { a: 7, b: 8, c: 9 }];
  const r = await layoutClient(host).mixed([mixed, mixed], oc);
  assert.is(seen[0].buffers[0].data.length, 2 * 48);
  assert.is(dv(seen[0].record).getUint16(4, true), 2);
  assert.is(r.result, 1.5);
  assert.equal(oc[2], { a: 8, b: 9, c: 10 });
  assert.equal(r.oc[0], { a: 2, b: 3, c: 4 });
});

test.run();
