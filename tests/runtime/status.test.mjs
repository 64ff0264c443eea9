// status.test.mjs: an exit status is 0..255 on both hosts; any other value is refused with a
// message and the system ends with status 70, never with the value wrapped modulo 256. QEMU's own
// status holds only 0..127: the kernel passes a larger one on (boot/main.c machine_exit).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image } from "../lib/aam.mjs";

const PROG = "tests/runtime/programs/status.ts";
const CASES = [
  [["200"], 200, null],
  [["255"], 255, null],
  [["256"], 70, "aam: main returned 256: an exit status is 0..255; the system ends with status 70"],
  [["-1"], 70, "aam: main returned -1: an exit status is 0..255; the system ends with status 70"],
  [["exit", "130"], 130, null],
  [["exit", "1000"], 70, "aam: exit(1000): an exit status is 0..255; the system ends with status 70"],
];

for (const [args, code, message] of CASES) {
  test(`${args.join(" ")}: status ${code}${message ? ", refused with a message" : ""}, the same on Node and QEMU`, async () => {
    const img = await image(PROG);
    for (const host of ["run", "boot"]) {
      const r = await aam([host, img, "--cores", "2", "--", ...args], { timeoutMs: 300000 });
      assert.is(r.code, code, `${host}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^status: /, `${host}: ${r.stdout}`);
      if (message) assert.match(r.stderr, new RegExp(`^${message.replace(/[.()]/g, "\\$&")}$`, "m"), `${host}: ${r.stderr}`);
      else assert.not.match(r.stderr, "exit status", `${host}: ${r.stderr}`);
    }
  });
}

test.run();
