// lzo_parity.test.mjs: machine lzo on both hosts. lzo_corpus.ts's round trips and fuzz run on
// Node (2 cores) and bare metal under QEMU (-smp 1 and 2); stdout must be the same bytes (sizes
// and CRC-32s of every compressed stream, fuzz outcome counts, error messages) and the status 0.
// examples/lzo.ts on both hosts: the same lzop file out of `-c` (lzop -d reads it), the input back
// out of `-d` of what lzop -9 wrote.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image } from "../lib/aam.mjs";
import { corpus, pipe, aamPipe } from "./lzo-corpus.mjs";

const PROGRAM = "tests/aams/programs/lzo_corpus.ts";
const SMP = [1, 2];

for (const args of [["corpus"], ["fuzz", "100"], ["streamfuzz", "20"]]) {
  test(`lzo_corpus ${args.join(" ")}: same stdout and status 0 on Node (2 cores) and QEMU -smp ${SMP.join(", ")}`, async () => {
    const img = await image(PROGRAM);
    const node = await aam(["run", img, "--cores", "2", "--", ...args]);
    assert.is(node.code, 0, node.stderr);
    assert.match(node.stdout, { corpus: /^corpus wrong 0$/m, fuzz: /^guards broken 0, serving after yes, leaked 0$/m, streamfuzz: /different 0$/m }[args[0]]);
    for (const n of SMP) {
      const q = await aam(["boot", img, "--cores", String(n), "--", ...args]);
      assert.is(q.code, 0, `QEMU -smp ${n}: ${q.stderr}`);
      assert.is(q.stdout, node.stdout, `QEMU -smp ${n}: stdout differs from Node's`);
    }
  });
}

test("examples/lzo.ts under QEMU -smp 2: -c writes the same lzop file as on Node, which lzop -d reads; -d gives back what lzop -9 compressed", async () => {
  const img = await image("examples/lzo.ts");
  const data = corpus();
  for (const name of ["empty", "text", "repeat"]) {
    const node = aamPipe(img, ["-c"], data[name], 2);
    const q = aamPipe(img, ["-c"], data[name], 2, "boot");
    assert.is(q.code, 0, `${name}: ${q.stderr}`);
    assert.ok(q.stdout.equals(node.stdout), `${name}: QEMU wrote ${q.stdout.length} bytes, Node ${node.stdout.length}`);
    const d = pipe("lzop", ["-dc"], q.stdout);
    assert.ok(d.code === 0 && d.stdout.equals(data[name]), `${name}: lzop -d of QEMU's file: ${d.stderr}`);
    const z = pipe("lzop", ["-9c"], data[name]).stdout;
    const back = aamPipe(img, ["-d"], z, 2, "boot");
    assert.is(back.code, 0, `${name}: ${back.stderr}`);
    assert.ok(back.stdout.equals(data[name]), `${name}: QEMU -d gave ${back.stdout.length} bytes, not ${data[name].length}`);
  }
});

test.run();
