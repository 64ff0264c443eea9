// stall.test.mjs: stall reports leave the heap as it was, on both hosts. The program waits for
// each report by counting them (FW_STALLS), never by time.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image } from "../lib/aam.mjs";

test("stall reports leave the heap as it was (a task waits for each report by counting them), on Node and QEMU", async () => {
  const img = await image("tests/runtime/programs/stall_leak.ts", { defines: { AAM_STALL_MS: "20" } });
  for (const host of ["run", "boot"]) {
    const r = await aam([host, img, "--cores", "2"], { timeoutMs: 300000 });
    assert.is(r.code, 0, `${host}: ${r.stdout}${r.stderr}`);
    assert.fixture(r.stdout, "stall reports 3, blocks leaked 0\n");
    assert.is(r.stderr.match(/^aam: stall: task 0x[0-9a-f]+ \(stuck\) of machine main has run on core \d+ for \d+ ms$/gm)?.length, 3, `${host}: ${r.stderr}`);
  }
});

test.run();
