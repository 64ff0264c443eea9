// lzo_parity.test.mjs: machine lzo on both hosts. lzo_corpus.ts's round trips and fuzz run on
// Node (2 cores) and bare metal under QEMU (-smp 1 and 2); stdout must be the same bytes (sizes
// and CRC-32s of every compressed stream, fuzz outcome counts, error messages) and the status 0.
// examples/lzo.ts is not run under QEMU here: it needs stdin, which the QEMU host does not give
// programs yet.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image } from "../lib/aam.mjs";

const PROGRAM = "tests/aams/programs/lzo_corpus.ts";
const SMP = [1, 2];

for (const args of [["corpus"], ["fuzz", "100"]]) {
  test(`lzo_corpus ${args.join(" ")}: same stdout and status 0 on Node (2 cores) and QEMU -smp ${SMP.join(", ")}`, async () => {
    const img = await image(PROGRAM);
    const node = await aam(["run", img, "--cores", "2", "--", ...args]);
    assert.is(node.code, 0, node.stderr);
    assert.match(node.stdout, args[0] === "corpus" ? /^corpus wrong 0$/m : /^guards broken 0, serving after yes, leaked 0$/m);
    for (const n of SMP) {
      const q = await aam(["boot", img, "--cores", String(n), "--", ...args]);
      assert.is(q.code, 0, `QEMU -smp ${n}: ${q.stderr}`);
      assert.is(q.stdout, node.stdout, `QEMU -smp ${n}: stdout differs from Node's`);
    }
  });
}

test.run();
