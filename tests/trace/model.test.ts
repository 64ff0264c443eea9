// model.test.ts: the page without a browser. Does the viewer model carry every slice, sample and
// band of the Chrome JSON, and is the page one file that asks the network for nothing?

import { test } from "uvu";
import * as assert from "uvu/assert";
import { toChrome, toHtml, toModel, CORES_PID } from "../../tools/trace/index";
import { synthTrace, countRaw } from "./synth";

const raw = synthTrace({ cores: 3, seed: 12 });
const j = toChrome(raw);

test("the model has every task slice of the JSON, in start order, with names resolved", () => {
  const m = toModel(j);
  const xs = j.traceEvents.filter((e) => e.cat === "task");
  assert.is(m.slices.t.length, xs.length);
  xs.forEach((e, i) => {
    assert.is(m.slices.t[i], e.ts);
    assert.is(m.slices.c[i], e.tid);
    assert.is(m.machines[m.slices.m[i]].id, e.pid);
    assert.is(m.fnNames[m.slices.f[i]], e.name);
  });
  assert.equal(m.machines.map((x) => x.name), ["app", "fs", "net"]);
  assert.is(m.cores, 3);
});

test("load pane: one series per machine with every load_sample; assignment: every band", () => {
  const m = toModel(j);
  assert.is(m.load.length, 3);
  const samples = m.load.reduce((n, l) => n + l.load.length, 0);
  assert.ok(samples >= countRaw(raw, "load_sample"), "grants add points to the cores line");
  const firstApp = j.traceEvents.find((e) => e.ph === "C" && e.pid === 1 && e.name === "load")!;
  const k = m.load[0].t.indexOf(firstApp.ts);
  assert.ok(k >= 0);
  assert.is(m.load[0].load[k], (firstApp.args as any).utilisation);
  const bands = j.traceEvents.filter((e) => e.ph === "X" && e.pid === CORES_PID).length;
  assert.is(m.assign.reduce((n, a) => n + a.t.length, 0), bands);
  assert.is(m.flows.length, countRaw(raw, "ims_recv"));
});

test("the page is one file: inline style and script, data as JSON, no URL to fetch", () => {
  const html = toHtml(raw, { title: "t <1>" });
  assert.match(html, /<title>t &lt;1&gt;<\/title>/);
  assert.match(html, /<script type="application\/json" id="sview-data">/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.not.match(html, /\b(src|href)\s*=/i);
  assert.not.match(html, /https?:\/\//);
  assert.not.match(html, /@import|url\(/);
  const data = /<script type="application\/json" id="sview-data">([^]*?)<\/script>/.exec(html)![1];
  assert.equal(JSON.parse(data), JSON.parse(JSON.stringify(toModel(j, "t <1>"))));
  assert.is(toHtml(j, { title: "t <1>" }), html, "from the RawTrace or from its JSON: the same page");
});

test.run();
