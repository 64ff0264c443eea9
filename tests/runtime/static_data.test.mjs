import { test } from "uvu";
import * as assert from "uvu/assert";
import { aam, image } from "../lib/aam.mjs";

const PROG = "tests/runtime/programs/static_data.ts";

test("static data changed by core 0 survives the instantiation of cores 1..3 (started 150 ms apart)", async () => {
  const img = await image(PROG);
  const r = await aam(["run", img, "--cores", "4"], { env: { AAM_HOST_STAGGER_MS: "150" } });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, "failures 0");
  for (let c = 0; c < 4; c++) assert.match(r.stdout, `core ${c} sees core 0's static data;`);
});

test("the same program linked with active data segments does see them copied again (the test can fail)", async () => {
  const img = await image(PROG, { env: { AAM_LINK_ACTIVE_DATA: "1" } });
  const r = await aam(["run", img, "--cores", "4"], { env: { AAM_HOST_STAGGER_MS: "150" } });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, "sees re-copied static data");
});

test("module-level lets are per core: core 0's change is not seen by the others", async () => {
  const img = await image(PROG);
  const r = await aam(["run", img, "--cores", "2"]);
  assert.match(r.stdout, "core 0 sees core 0's static data; its greeting: core 0 changed its own copy");
  assert.match(r.stdout, "core 1 sees core 0's static data; its greeting: initial");
});

test.run();
