// abi.mjs: the image↔host contract, from its one data file to the three languages that use it.
//
// Owns: reading and checking runtime/abi.json (names, offsets inside their records, no overlap,
// natural alignment, fixed regions that do not collide), writing its constants in AssemblyScript
// (~lib/rt/abi), TypeScript (tools/host/abi.ts: the Node host, the tools, the trace decoder, the
// boot tool) and C (boot/abi.h: the QEMU shim), each with the data file's box diagrams, and the
// contract's hash that an image's manifest carries. The data file's `files` split the contracts
// into parts (memory, machine, trace, host, dev), one generated file each per language
// (runtime/rt/abi_memory.ts, tools/host/abi_memory.ts, boot/abi_memory.h, …), so no generated
// file outgrows a reader; abi.ts/abi.h re-export or include every part, and a part imports the
// names it uses from the parts before it (never after: no cycle). boot/abi.h also gets the event
// ids of runtime/trace-events.json (C cannot read JSON), and runtime/sys/trace_events.ts the same
// ids as AssemblyScript constants (the image cannot read JSON either).
// Not: where the numbers are used, nor the manifest itself (tools/build/link.ts).
//
//   node tools/build/abi.mjs           write the generated files (`make gen`, `aam gen`)
//   node tools/build/abi.mjs --check   list the generated files that are out of date; exit 1 if any
//
// Plain JavaScript (not TypeScript like the rest of tools/) so that the bundler (tools/bundle.mjs),
// the tests and a shell can run it without a build step; the build (compile.ts) imports it too.
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";

export const SOURCE = "runtime/abi.json";
export const EVENTS = "runtime/trace-events.json";
/** The entry file of each language (what code imports or includes); the parts sit beside them. */
export const OUTPUTS = { as: "runtime/rt/abi.ts", ts: "tools/host/abi.ts", c: "boot/abi.h", events: "runtime/sys/trace_events.ts" };
/** The generated file of one part (a `files` entry of the data file) in one language. */
export const partFile = (lang, part) => ({ as: `runtime/rt/abi_${part}.ts`, ts: `tools/host/abi_${part}.ts`, c: `boot/abi_${part}.h` })[lang];
export const REGENERATE = "make gen";

const SIZES = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, f64: 8 };
const NAME = /^[A-Z][A-Z0-9_]*$/;
const WIDTH = 100;                         // generated lines stay within this

export class AbiError extends Error { name = "AbiError"; }

// ── expressions: "0x1000", 64, "FRAMEWORK_END - FRAMEWORK_BASE", "MAX_MACHINES + 1" ────────────
function tokens(s) {
  const out = [];
  const re = /\s*(0x[0-9a-fA-F]+|\d+|[A-Z][A-Z0-9_]*|[-+*()])/y;
  let m;
  while (re.lastIndex < s.length && (m = re.exec(s))) out.push(m[1]);
  if (re.lastIndex < s.trimEnd().length) throw new AbiError(`bad expression '${s}'`);
  return out;
}

// sum := term (('+'|'-') term)*; term := atom ('*' atom)*; atom := number | NAME | '(' sum ')'
function evaluate(expr, lookup) {
  if (typeof expr === "number") return expr;
  const t = tokens(String(expr));
  let i = 0;
  const atom = () => {
    const x = t[i++];
    if (x === "(") { const v = sum(); if (t[i++] !== ")") throw new AbiError(`bad expression '${expr}'`); return v; }
    if (x === undefined) throw new AbiError(`bad expression '${expr}'`);
    return /^\d|^0x/.test(x) ? Number(x) : lookup(x);
  };
  const term = () => { let v = atom(); while (t[i] === "*") { i++; v *= atom(); } return v; };
  const sum = () => {
    let v = term();
    while (t[i] === "+" || t[i] === "-") v = t[i++] === "+" ? v + term() : v - term();
    return v;
  };
  const v = sum();
  if (i !== t.length) throw new AbiError(`bad expression '${expr}'`);
  return v;
}

const isHex = (v) => typeof v === "string" && /^0x[0-9a-fA-F]+$/.test(v);

// ── the model: every constant with its value and how each language spells it ───────────────────
/** runtime/abi.json (parsed) as { spec, consts: [{name, value, text, type, doc}], byName, problems }.
 *  `text` is the value as source (a literal, or BASE + offset), valid in all three languages;
 *  `problems` is empty for a well-formed contract. */
export function model(spec) {
  const raw = new Map();                   // name → { expr, type, doc, text? } before evaluation
  const problems = [];
  const define = (name, def) => {
    if (!NAME.test(name)) problems.push(`${name}: not a NAME_IN_CAPITALS`);
    if (raw.has(name)) problems.push(`${name} is defined twice`);
    raw.set(name, def);
  };
  const values = new Map();
  const busy = new Set();
  const value = (name) => {
    if (values.has(name)) return values.get(name);
    const d = raw.get(name);
    if (!d) throw new AbiError(`unknown name ${name}`);
    if (busy.has(name)) throw new AbiError(`${name} is defined in terms of itself`);
    busy.add(name);
    const v = evaluate(d.expr, value);
    busy.delete(name);
    if (!Number.isSafeInteger(v)) throw new AbiError(`${name} = ${v}: not an integer`);
    values.set(name, v);
    return v;
  };
  const ev = (expr, what) => {
    try { return evaluate(expr, value); } catch (e) { problems.push(`${what}: ${e.message}`); return NaN; }
  };
  const records = new Map((spec.contracts ?? []).filter((c) => c.kind === "record").map((r) => [r.name, r]));

  if (spec.format !== "aam-abi/1") problems.push(`format is ${spec.format}, expected aam-abi/1`);
  for (const c of spec.contracts ?? []) {
    for (const k of c.constants ?? []) define(k.name, { expr: k.value, type: k.type ?? "usize", doc: k.doc, hex: isHex(k.value) });
    if (c.kind === "record") {
      if (c.sizeName) define(c.sizeName, { expr: c.size, type: "usize", doc: `bytes of a ${c.title}` });
      const [parent, field] = (c.within ?? "").split(".");
      const pf = c.within ? records.get(parent)?.fields?.find((f) => f.name === field) : null;
      if (c.within && !pf) problems.push(`${c.name}: within ${c.within}: no such record field`);
      const base = c.base ?? (pf ? records.get(parent).prefix + pf.name : null);
      for (const f of c.fields) {
        define(c.prefix + f.name, {
          expr: base ? `${base} + ${f.at}` : f.at, type: "usize",
          text: base ? `${base} + ${f.at}` : null, doc: f.doc,
        });
        if (f.sizeName) define(f.sizeName, { expr: fieldBytesExpr(f), type: "usize", doc: `bytes of ${c.prefix}${f.name}` });
      }
    } else if (c.kind === "enum") {
      for (const v of c.values) define(c.prefix + v.name, { expr: v.value, type: c.type ?? "u32", doc: v.doc });
    } else if (c.kind === "bits") {
      for (const f of c.fields) {
        define(`${c.prefix}${f.name}_SHIFT`, { expr: f.at, type: "u32", doc: `${f.name}: lowest bit` });
        define(`${c.prefix}${f.name}_BITS`, { expr: f.bits, type: "u32", doc: `${f.name}: width` });
        if (f.drop) define(`${c.prefix}${f.name}_DROP`, { expr: f.drop, type: "u32", doc: `${f.name}: low bits of the value not stored` });
        if (f.bits === 1) define(c.prefix + f.name, { expr: 2 ** f.at, type: c.width > 32 ? "u64" : "u32", hex: true, doc: `${f.name}: the flag's value` });
      }
    } else if (c.kind !== "constants" && c.kind !== "map") problems.push(`${c.name}: unknown kind ${c.kind}`);
  }

  const consts = [];
  for (const [name, d] of raw) {
    let v = NaN;
    try { v = value(name); } catch (e) { problems.push(`${name}: ${e.message}`); }
    const lit = d.hex ? "0x" + v.toString(16) : String(v);
    consts.push({ name, value: v, text: d.text ?? lit, type: d.type, doc: d.doc });
  }
  if (!problems.length) checkContracts(spec, records, (x, what) => ev(x, what), problems);
  checkFiles(spec, problems);
  for (const [k, v] of Object.entries(spec.manifest ?? {})) {
    if (k === "doc") continue;
    for (const [field, name] of Object.entries(v)) if (!raw.has(name)) problems.push(`manifest.${k}.${field}: unknown name ${name}`);
  }
  return { spec, consts, byName: new Map(consts.map((c) => [c.name, c])), problems };
}

// The parts: every contract in exactly one, each part named by a lower-case word.
function checkFiles(spec, problems) {
  const contracts = new Set((spec.contracts ?? []).map((c) => c.name));
  const where = new Map();
  if (!Array.isArray(spec.files) || !spec.files.length) { problems.push("files: missing (the parts the contracts are written to)"); return; }
  for (const f of spec.files) {
    if (!/^[a-z]+$/.test(f.name ?? "")) problems.push(`files: ${JSON.stringify(f.name)}: not a lower-case word`);
    if (!f.doc) problems.push(`files.${f.name}: no doc`);
    for (const c of f.contracts ?? []) {
      if (!contracts.has(c)) problems.push(`files.${f.name}: no contract ${c}`);
      if (where.has(c)) problems.push(`contract ${c} is in files ${where.get(c)} and ${f.name}`);
      where.set(c, f.name);
    }
  }
  for (const c of contracts) if (!where.has(c)) problems.push(`contract ${c} is in no part (files)`);
}

// A field's bytes as an expression: count × (bytes, or its type's size).
function fieldBytesExpr(f) {
  const one = f.bytes !== undefined ? `(${f.bytes})` : String(SIZES[f.type] ?? NaN);
  return f.count === undefined ? one : `${one} * (${f.count})`;
}
const fieldBytes = (f, lookup) => evaluate(fieldBytesExpr(f), lookup);

// Well-formedness: fields inside their record, in offset order, not overlapping, naturally aligned;
// fixed records inside their regions and apart; bit fields inside their word; enum values distinct.
function checkContracts(spec, records, ev, problems) {
  const fixed = [];                        // [start, end, what] of every fixed-address block
  for (const c of spec.contracts) {
    if (c.kind === "record") {
      const size = ev(c.size, `${c.name}.size`);
      let end = 0, prev = "";
      for (const f of c.fields) {
        const what = `${c.name}.${f.name}`;
        if (f.type !== undefined && !(f.type in SIZES)) { problems.push(`${what}: unknown type ${f.type}`); continue; }
        if ((f.type === undefined) === (f.bytes === undefined)) { problems.push(`${what}: give either type or bytes`); continue; }
        if (!f.doc) problems.push(`${what}: no doc`);
        const bytes = fieldBytes(f, (x) => ev(x, what));
        const align = f.type ? SIZES[f.type] : 4;
        if (!Number.isInteger(f.at) || f.at < 0) problems.push(`${what}: offset ${f.at} is not a byte offset`);
        else if (f.at % align) problems.push(`${what}: offset ${f.at} is not ${align}-byte aligned`);
        if (f.at < end) problems.push(`${what} at ${f.at} overlaps ${prev} (which ends at ${end}) or is out of offset order`);
        if (f.at + bytes > size) problems.push(`${what}: ${f.at} + ${bytes} bytes passes the record's end (${size})`);
        end = f.at + bytes; prev = what;
      }
      if (c.within) {
        const [p, field] = c.within.split(".");
        const pf = records.get(p)?.fields.find((f) => f.name === field);
        if (pf && size > fieldBytes(pf, (x) => ev(x, c.name))) problems.push(`${c.name}: ${size} bytes do not fit ${c.within}`);
      }
      if (c.base) fixed.push([ev(c.base, c.name), ev(c.base, c.name) + size, `record ${c.name}`]);
      if (c.name === "core") fixed.push([ev("CORE_BASE", c.name), ev("CORE_BASE + MAX_CORES * CORE_REC_SIZE", c.name), "the per-core records"]);
    } else if (c.kind === "bits") {
      let end = 0, prev = "";
      for (const f of c.fields) {
        if (f.at < end) problems.push(`${c.name}.${f.name}: bit ${f.at} overlaps ${prev}`);
        if (f.at + f.bits > c.width) problems.push(`${c.name}.${f.name}: bits ${f.at}..${f.at + f.bits - 1} pass the ${c.width}-bit word`);
        end = f.at + f.bits; prev = f.name;
      }
    } else if (c.kind === "enum" && !c.repeats) {
      const seen = new Map();
      for (const v of c.values) {
        if (seen.has(v.value)) problems.push(`${c.name}: ${v.name} and ${seen.get(v.value)} are both ${v.value}`);
        seen.set(v.value, v.name);
      }
    } else if (c.kind === "map") {
      let last = -1;
      for (const r of c.regions) {
        if (typeof r.at === "string" && !/[A-Z0-9]/.test(r.at[0])) continue;     // "heap start": not a constant
        const at = ev(r.at, `map ${r.at}`);
        if (at <= last) problems.push(`map: region at ${r.at} is not above the one before`);
        last = at;
      }
    }
  }
  fixed.sort((a, b) => a[0] - b[0]);
  const base = ev("MEMORY_BASE", "map");
  for (let i = 0; i < fixed.length; i++) {
    if (fixed[i][1] > base) problems.push(`${fixed[i][2]} passes MEMORY_BASE`);
    if (i && fixed[i][0] < fixed[i - 1][1]) problems.push(`${fixed[i][2]} overlaps ${fixed[i - 1][2]}`);
  }
}

/** The contract's hash: every name and value (not the docs), and the manifest's mapping. An image
 *  built for another hash is refused by the hosts. */
export function abiHash(m) {
  const h = createHash("sha256");
  h.update(JSON.stringify([m.consts.map((c) => [c.name, c.value]), m.spec.manifest && { ...m.spec.manifest, doc: undefined }]));
  return h.digest("hex").slice(0, 16);
}

// ── text ────────────────────────────────────────────────────────────────────────────────────
function wrap(text, width, first, rest = first) {
  const out = [];
  let line = first, empty = true;
  for (const w of String(text).split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + w.length > width) { out.push(line); line = rest; empty = true; }
    line += (empty ? (line && !line.endsWith(" ") ? " " : "") : " ") + w;
    empty = false;
  }
  if (!empty) out.push(line);
  return out;
}
const para = (text, indent = "") => wrap(text, WIDTH, `// ${indent}`);

function title(t) {
  const mid = ` ${t} `;
  const side = Math.max(4, Math.floor((WIDTH - 5 - mid.length) / 2));
  return `// ╒${"═".repeat(side)}${mid}${"═".repeat(side)}╕`;
}

function typeText(f) {
  const count = f.count === undefined ? "" : `[${f.count}]`;
  if (f.bytes !== undefined) {
    const b = typeof f.bytes === "number" ? `${f.bytes} B` : f.bytes;
    return count ? `${b}${count}` : b;
  }
  return f.type + count;
}

function recordDiagram(c, m) {
  const where = c.base ? `at ${c.base}` : c.within ? `in ${c.within}` : "offsets";
  const bytes = evaluate(c.size, (x) => m.byName.get(x).value);
  const size = typeof c.size === "number" ? `${bytes} bytes` : `${c.size} = ${bytes} bytes`;
  const lines = [title(`${c.title}: ${c.prefix}*, ${where}, ${size}`)];
  lines.push(...para(c.doc));
  const nameW = Math.max(...c.fields.map((f) => f.name.length)) + 2;
  const typeW = Math.max(...c.fields.map((f) => typeText(f).length)) + 2;
  for (const f of c.fields) {
    const head = `//  ${("+" + f.at).padEnd(6)}${f.name.padEnd(nameW)}${typeText(f).padEnd(typeW)}`;
    const pad = "//" + " ".repeat(head.length - 2);
    lines.push(...wrap(f.doc, WIDTH, head, pad));
    if (f.write) lines.push(...wrap(`w: ${f.write}`, WIDTH, pad, pad + "   "));
    if (f.read) lines.push(...wrap(`r: ${f.read}`, WIDTH, pad, pad + "   "));
  }
  return lines;
}

function bitsDiagram(c) {
  const lines = [title(`${c.title}: ${c.prefix}*, a ${c.width}-bit word`)];
  lines.push(...para(c.doc));
  const nameW = Math.max(...c.fields.map((f) => f.name.length)) + 2;
  for (const f of c.fields) {
    const span = f.bits === 1 ? `bit ${f.at}` : `bits ${f.at}–${f.at + f.bits - 1}`;
    const head = `//  ${span.padEnd(12)}${f.name.padEnd(nameW)}`;
    lines.push(...wrap(f.doc, WIDTH, head, "//" + " ".repeat(head.length - 2)));
  }
  return lines;
}

function mapDiagram(c, m) {
  const docs = c.regions.map((r) => wrap(r.doc, 70, "", ""));
  const inner = Math.max(...docs.flat().map((l) => l.length)) + 2;
  const addr = (r) => {
    if (typeof r.at === "string" && !/[A-Z0-9]/.test(r.at[0])) return r.at.padEnd(10);
    const v = evaluate(r.at, (x) => m.byName.get(x).value);
    return "0x" + v.toString(16).padStart(8, "0");
  };
  const label = (r) => r.label ?? (typeof r.at === "string" && NAME.test(r.at) ? r.at : "");
  const lines = [title(c.title)];
  lines.push(...para(c.doc));
  c.regions.forEach((r, i) => {
    lines.push(`//  ${addr(r)} ${i ? "├" : "┌"}${"─".repeat(inner)}${i ? "┤" : "┐"} ${label(r)}`.trimEnd());
    for (const d of docs[i]) lines.push(`//             │ ${d.padEnd(inner - 2)} │`);
  });
  lines.push(`//             └${"─".repeat(inner)}┘`);
  return lines;
}

// One constant in each language.
const emit = {
  as: (k) => ["// @ts-ignore: decorator", `@inline export const ${k.name}: ${k.type} = ${k.text};`],
  ts: (k) => [`export const ${k.name} = ${k.text};`],
  c: (k) => [`#define ${k.name} ${/[ +]/.test(k.text) ? `(${k.text})` : k.value > 0x7fffffff ? k.text + "u" : k.text}`],
};
const docLine = { as: (d) => [`/** ${d} */`], ts: (d) => [`/** ${d} */`], c: (d) => [`// ${d}`] };

// The constants of some contracts in one language; `names` collects the names defined.
function body(m, lang, contracts = m.spec.contracts, names = []) {
  const out = [];
  const k = (name) => { names.push(name); return emit[lang](m.byName.get(name)); };
  const documented = (name, doc) => [...(doc ? wrap(doc, WIDTH, lang === "c" ? "// " : "/** ", lang === "c" ? "// " : " *  ").map((l, i, a) => lang !== "c" && i === a.length - 1 ? l + " */" : l) : []), ...k(name)];
  for (const c of contracts) {
    out.push("");
    if (c.kind === "constants") {
      out.push(`// ── ${c.title} ${"─".repeat(Math.max(4, WIDTH - 8 - c.title.length))}`, ...para(c.doc));
      for (const x of c.constants) out.push(...documented(x.name, x.doc));
    } else if (c.kind === "map") {
      out.push(...mapDiagram(c, m));
    } else if (c.kind === "record") {
      out.push(...recordDiagram(c, m));
      for (const x of c.constants ?? []) out.push(...documented(x.name, x.doc));
      if (c.sizeName) out.push(...k(c.sizeName));
      for (const f of c.fields) {
        out.push(...k(c.prefix + f.name));
        if (f.sizeName) out.push(...k(f.sizeName));
      }
    } else if (c.kind === "bits") {
      out.push(...bitsDiagram(c));
      for (const f of c.fields) {
        for (const s of ["_SHIFT", "_BITS", "_DROP", ""]) if (m.byName.has(c.prefix + f.name + s) && (s || f.bits === 1)) out.push(...k(c.prefix + f.name + s));
      }
    } else if (c.kind === "enum") {
      out.push(`// ── ${c.title}: ${c.prefix}* ${"─".repeat(Math.max(4, WIDTH - 10 - c.title.length - c.prefix.length))}`, ...para(c.doc));
      for (const v of c.values) out.push(...documented(c.prefix + v.name, v.doc));
    }
  }
  return out;
}

const WHAT = {
  as: "the image↔host contract in AssemblyScript, compiled as ~lib/rt/abi",
  ts: "the image↔host contract in TypeScript, for the Node host, the tools, the trace decoder and `aam boot`",
  c: "the image↔host contract in C, for the QEMU shim",
};

// A generated file's opening: what it is, where it comes from, what it holds.
function header(m, lang, file, part) {
  const entry = OUTPUTS[lang];
  const lines = [
    ...para(`${path.basename(file)}: ${part ? `part "${part.name}" of ${path.basename(entry)}, ` : ""}${WHAT[lang]}${part ? `: ${part.doc}` : ""}.`),
    "//",
    ...para(`GENERATED by tools/build/abi.mjs from ${SOURCE}${lang === "c" && !part ? ` and ${EVENTS}` : ""}: do not edit. ` +
      `Change the data file and run \`${REGENERATE}\` (node tools/build/abi.mjs); the build refuses a stale copy and ` +
      `tests/abi checks every one. The same constants: ${["as", "ts", "c"].filter((l) => l !== lang).map((l) => part ? partFile(l, part.name) : OUTPUTS[l]).join(", ")}. ` +
      `Contract hash ${abiHash(m)}.`),
  ];
  if (!part) lines.push("//", ...para(m.spec.doc));
  return lines;
}

// The parts in order, each with its contracts, the names it defines and the parts it uses.
function parts(m) {
  const byName = new Map(m.spec.contracts.map((c) => [c.name, c]));
  const owner = new Map();                 // constant → part
  const out = m.spec.files.map((f) => {
    const contracts = f.contracts.map((c) => byName.get(c));
    const names = [];
    body(m, "ts", contracts, names);
    for (const n of names) owner.set(n, f.name);
    return { ...f, contracts, names };
  });
  out.forEach((p, i) => {
    p.uses = new Map();                    // earlier part → names of it this part's values use
    for (const n of p.names) {
      for (const t of m.byName.get(n).text.match(/[A-Z][A-Z0-9_]*/g) ?? []) {
        const o = owner.get(t);
        if (!o || o === p.name) continue;
        if (out.findIndex((q) => q.name === o) > i) throw new AbiError(`${SOURCE}: ${n} (part ${p.name}) uses ${t} of part ${o}, which comes after it in files: reorder the parts`);
        if (!p.uses.has(o)) p.uses.set(o, new Set());
        p.uses.get(o).add(t);
      }
    }
  });
  return out;
}

const imports = (p) => [...p.uses].map(([o, names]) => `import { ${[...names].sort().join(", ")} } from "./abi_${o}";`);

/** The generated files' text by output path (relative to the repository). */
export function generate(root) {
  const spec = JSON.parse(fs.readFileSync(path.join(root, SOURCE), "utf8"));
  const m = model(spec);
  if (m.problems.length) throw new AbiError(`${SOURCE}:\n  ${m.problems.join("\n  ")}`);
  const ps = parts(m);
  const files = {};
  for (const p of ps) {
    files[partFile("as", p.name)] = [...header(m, "as", partFile("as", p.name), p), ...(p.uses.size ? ["", ...imports(p)] : []), ...body(m, "as", p.contracts)].join("\n") + "\n";
    files[partFile("ts", p.name)] = [...header(m, "ts", partFile("ts", p.name), p), ...(p.uses.size ? ["", ...imports(p)] : []), ...body(m, "ts", p.contracts)].join("\n") + "\n";
    files[partFile("c", p.name)] = [...header(m, "c", partFile("c", p.name), p), "#pragma once", ...[...p.uses.keys()].map((o) => `#include "abi_${o}.h"`), ...body(m, "c", p.contracts)].join("\n") + "\n";
  }
  const list = (lang) => ps.flatMap((p) => wrap(p.doc, WIDTH, `//   ${path.basename(partFile(lang, p.name)).padEnd(16)}`, `//   ${"".padEnd(16)}`));
  // AssemblyScript: every part
  files[OUTPUTS.as] = [...header(m, "as", OUTPUTS.as), "//", "// The parts:", ...list("as"), "",
    ...ps.map((p) => `export * from "./abi_${p.name}";`)].join("\n") + "\n";
  // TypeScript: every part, the hash and the manifest's entries
  const manifest = Object.entries(spec.manifest ?? {}).filter(([k]) => k !== "doc");
  const used = [...new Set(manifest.flatMap(([, v]) => Object.values(v)))].sort();
  const from = ps.map((p) => [p.name, used.filter((n) => p.names.includes(n))]).filter(([, ns]) => ns.length);
  files[OUTPUTS.ts] = [...header(m, "ts", OUTPUTS.ts), "//", "// The parts:", ...list("ts"), "",
    ...ps.map((p) => `export * from "./abi_${p.name}";`), "",
    ...from.map(([o, ns]) => `import { ${ns.join(", ")} } from "./abi_${o}";`), "",
    "// ── the manifest ──────────────────────────────────────────────────────────────────────────────",
    ...para(spec.manifest?.doc ?? ""),
    `export const ABI_HASH = "${abiHash(m)}";`,
    ...manifest.map(([k, v]) => `export const MANIFEST_${k.toUpperCase()} = { ${Object.entries(v).map(([f, n]) => `${f}: ${n}`).join(", ")} };`),
  ].join("\n") + "\n";
  // C: every part, and the event ids
  const events = JSON.parse(fs.readFileSync(path.join(root, EVENTS), "utf8")).events;
  files[OUTPUTS.c] = [...header(m, "c", OUTPUTS.c), "//", "// The parts:", ...list("c"), "#pragma once",
    ...ps.map((p) => `#include "abi_${p.name}.h"`), "",
    `// ── trace event ids (${EVENTS}) ${"─".repeat(WIDTH - 31 - EVENTS.length)}`,
    ...events.map((e) => `#define EV_${e.name.toUpperCase()} ${e.id}`),
  ].join("\n") + "\n";
  // AssemblyScript: the event ids (runtime/sys/trace.ts and every trace point)
  files[OUTPUTS.events] = [`// trace_events.ts: GENERATED by tools/build/abi.mjs from ${EVENTS}; do not edit.`, "",
    ...events.flatMap((e) => {
      if (!/^[a-z_]+$/.test(e.name) || !Number.isInteger(e.id) || e.id < 1 || e.id > 0xffff) throw new AbiError(`${EVENTS}: bad event ${JSON.stringify(e)}`);
      return ["// @ts-ignore: decorator", `@inline export const EV_${e.name.toUpperCase()}: u32 = ${e.id};`];
    }),
  ].join("\n") + "\n";
  return files;
}

/** Every generated file (repository-relative), the entries and all parts. */
export const outputs = (root) => Object.keys(generate(root));
/** The generated files the image compiles: the AssemblyScript parts, their entry, the event ids. */
export const imageOutputs = (root) => outputs(root).filter((f) => f.startsWith("runtime/"));

/** The generated files that differ from what the data file gives: [{ file, why }]. */
export function stale(root, which) {
  const want = generate(root);
  which ??= Object.keys(want);
  const out = [];
  for (const file of which) {
    let have = null;
    try { have = fs.readFileSync(path.join(root, file), "utf8"); } catch { /* missing */ }
    if (have !== want[file]) out.push({ file, why: have === null ? "missing" : "out of date" });
  }
  return out;
}

/** One message for a build or a test to stop with, or "" when every file is current. */
export function staleMessage(root, which) {
  const s = stale(root, which);
  return s.length ? `${s.map((x) => `${x.file} is ${x.why} with ${x.file === OUTPUTS.events ? EVENTS : SOURCE}`).join("; ")}: run \`${REGENERATE}\`` : "";
}

export function write(root) {
  const files = generate(root);
  const changed = [];
  for (const [file, text] of Object.entries(files)) {
    const p = path.join(root, file);
    if (fs.existsSync(p) && fs.readFileSync(p, "utf8") === text) continue;
    fs.writeFileSync(p, text);
    changed.push(file);
  }
  return changed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
  try {
    if (process.argv.includes("--check")) {
      const msg = staleMessage(root);
      if (msg) { process.stderr.write(`abi: ${msg}\n`); process.exit(1); }
      process.stdout.write("abi: every generated file is current\n");
    } else {
      const changed = write(root);
      process.stdout.write(changed.length ? `abi: wrote ${changed.join(", ")}\n` : "abi: every generated file is current\n");
    }
  } catch (e) {
    process.stderr.write(`abi: ${e.message}\n`);
    process.exit(1);
  }
}
