import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image } from "../lib/aam.mjs";

test("f64/f32/integer formatting and string building on 4 cores at once give the right text every time", async () => {
  const img = await image("tests/runtime/programs/strings.ts");
  const r = await aam(["run", img, "--cores", "4", "--", "20000"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, "cores 4 wrong results 0");
});

test.run();
